//! `warden calendar auth`: the operator's one-time consent that yields `GOOGLE_REFRESH_TOKEN`.
//!
//! OAuth 2.0 for installed apps (RFC 8252 §7.3): Warden listens on `127.0.0.1` at a port the OS
//! picks, prints Google's consent URL (scope `calendar.events` only, PKCE S256, a random
//! `state`), waits for the browser's redirect, checks its `state`, exchanges the code and
//! prints the refresh token once, on stdout, for the operator to store. The token and the code
//! are never logged.

use std::time::Duration;

use anyhow::Context as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use warden_google_calendar::auth::{
    authorization_url, code_from_redirect, exchange_code, state_from_random, AuthError, Exchange,
    Pkce,
};

use crate::config::CalendarAuthConfig;

/// How long the operator has to click through the consent screen.
pub const CONSENT_TIMEOUT: Duration = Duration::from_secs(300);
/// The code exchange.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);
/// A browser's request head is well under this; more is not a browser.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// A connection that does not send its request head in this long is dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the consent: `show` gets the URL to open, and the refresh token is returned.
pub async fn run(
    config: &CalendarAuthConfig,
    consent_timeout: Duration,
    show: impl FnOnce(&str),
) -> anyhow::Result<SecretString> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("listening on a loopback port for Google's redirect")?;
    let redirect_uri = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let pkce = Pkce::from_random(random_bytes());
    let state = state_from_random(random_bytes());
    let url = authorization_url(&config.client_id, &redirect_uri, &pkce, &state)?;
    show(url.as_str());
    let code = tokio::time::timeout(consent_timeout, wait_for_code(&listener, &state))
        .await
        .context("no answer from the browser in time")??;
    let exchange = Exchange {
        oauth_url: &config.oauth_url,
        client_id: &config.client_id,
        client_secret: &config.client_secret,
        redirect_uri: &redirect_uri,
        timeout: EXCHANGE_TIMEOUT,
    };
    Ok(exchange_code(&exchange, &code, &pkce).await?)
}

/// What the operator is told after the consent, with the token.
pub fn instructions(token: &SecretString) -> String {
    format!(
        "Refresh token for the scope calendar.events (shown once, never logged):\n\n{}\n\n\
         Store it in a file only Warden can read (chmod 600) and set GOOGLE_REFRESH_TOKEN_FILE \
         to its path (or set GOOGLE_REFRESH_TOKEN). Revoke it at \
         https://myaccount.google.com/permissions if it leaks.",
        token.expose_secret()
    )
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Answers requests to the loopback port until one carries this request's `state`: its code,
/// or the error Google sent. Anything else (a favicon, a stray or forged request) gets 404 and
/// the wait goes on.
async fn wait_for_code(listener: &TcpListener, state: &str) -> Result<SecretString, AuthError> {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let Some(target) = request_target(&mut socket).await else {
            continue;
        };
        match code_from_redirect(&target, state) {
            Ok(code) => {
                respond(
                    &mut socket,
                    "200 OK",
                    "Warden has the calendar grant. You can close this window.",
                )
                .await;
                return Ok(code);
            }
            Err(AuthError::StateMismatch) => {
                respond(&mut socket, "404 Not Found", "Not found.").await
            }
            Err(error) => {
                respond(
                    &mut socket,
                    "400 Bad Request",
                    "Warden did not get the grant: see the terminal.",
                )
                .await;
                return Err(error);
            }
        }
    }
}

/// The target of a `GET` request (`/?state=…`), read within [`REQUEST_TIMEOUT`] and
/// [`MAX_REQUEST_HEAD`].
async fn request_target(socket: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0_u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(chunk.get(..n)?);
        }
        Some(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, read).await.ok()??;
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    }
}

async fn respond(socket: &mut TcpStream, status: &str, text: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const REFRESH: &str = "1//0refresh-from-consent";

    async fn get(uri: &str, target: &str) -> String {
        let authority = uri.trim_start_matches("http://");
        let mut stream = TcpStream::connect(authority).await.unwrap();
        let request = format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    /// Plays the browser: reads the consent URL `run` shows, sends a forged redirect first,
    /// then Google's redirect with the right `state` and a code.
    #[tokio::test]
    async fn the_consent_takes_only_the_redirect_with_its_state_and_yields_the_refresh_token() {
        let google = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains("code=4%2F0Ab"))
            .and(body_string_contains("code_verifier="))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "ya29.x",
                "expires_in": 3599,
                "refresh_token": REFRESH,
                "scope": warden_google_calendar::SCOPE,
                "token_type": "Bearer"
            })))
            .mount(&google)
            .await;
        let config = CalendarAuthConfig {
            client_id: "cid.apps.googleusercontent.com".to_owned(),
            client_secret: SecretString::from("GOCSPX-secret".to_owned()),
            oauth_url: google.uri(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let browser = tokio::spawn(async move {
            let url = rx.await.unwrap();
            let parsed = consent_url::parse(&url);
            let forged = get(&parsed.redirect_uri, "/?state=guess&code=4%2Fforged").await;
            assert!(forged.starts_with("HTTP/1.1 404"), "{forged}");
            let favicon = get(&parsed.redirect_uri, "/favicon.ico").await;
            assert!(favicon.starts_with("HTTP/1.1 404"), "{favicon}");
            let real = format!("/?state={}&code=4%2F0Ab&scope=x", parsed.state);
            let answer = get(&parsed.redirect_uri, &real).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            parsed
        });
        let token = run(&config, Duration::from_secs(10), |url| {
            tx.send(url.to_owned()).unwrap();
        })
        .await
        .unwrap();
        assert_eq!(token.expose_secret(), REFRESH);
        let parsed = browser.await.unwrap();
        assert_eq!(parsed.scope, warden_google_calendar::SCOPE);
        assert!(parsed.redirect_uri.starts_with("http://127.0.0.1:"));
        assert!(instructions(&token).contains("GOOGLE_REFRESH_TOKEN_FILE"));
    }

    #[tokio::test]
    async fn a_declined_consent_ends_the_wait_with_the_reason() {
        let config = CalendarAuthConfig {
            client_id: "cid".to_owned(),
            client_secret: SecretString::from("s".to_owned()),
            oauth_url: "http://127.0.0.1:9".to_owned(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        tokio::spawn(async move {
            let parsed = consent_url::parse(&rx.await.unwrap());
            let target = format!("/?state={}&error=access_denied", parsed.state);
            get(&parsed.redirect_uri, &target).await
        });
        let error = run(&config, Duration::from_secs(10), |url| {
            tx.send(url.to_owned()).unwrap();
        })
        .await
        .unwrap_err();
        assert_eq!(
            error.downcast_ref::<AuthError>(),
            Some(&AuthError::Denied("access_denied".to_owned()))
        );
    }

    /// The consent URL's parameters, read the way a browser would.
    mod consent_url {
        #[derive(Debug)]
        pub struct Parsed {
            pub redirect_uri: String,
            pub state: String,
            pub scope: String,
        }

        pub fn parse(url: &str) -> Parsed {
            let query = url.split_once('?').unwrap().1;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
            let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
            Parsed {
                redirect_uri: get("redirect_uri"),
                state: get("state"),
                scope: get("scope"),
            }
        }
    }
}
