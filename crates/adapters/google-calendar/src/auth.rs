//! The one-time consent that yields `GOOGLE_REFRESH_TOKEN`, for `warden calendar auth`: OAuth
//! 2.0 for installed apps (RFC 8252) with a loopback redirect, PKCE with S256 (RFC 7636), a
//! `state` checked in constant time, and the scope [`SCOPE`] only.
//!
//! The app owns the loopback listener and the randomness; this module builds the consent URL,
//! reads the redirect and exchanges the code, so each step is tested without a browser.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warden_provider_http::{is_allowed_base_url, read_bounded};

use crate::SCOPE;

/// Google's consent page.
pub const AUTHORIZATION_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// A token answer is a few KiB at most (an `id_token` included).
const MAX_TOKEN_BODY: usize = 16 * 1024;

/// A PKCE verifier and its S256 challenge. `Debug` shows the challenge only.
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl Pkce {
    /// From 32 bytes the caller drew from a CSPRNG: a 43-character base64url verifier (RFC 7636
    /// §4.1) and `BASE64URL(SHA-256(verifier))` as the challenge (§4.2).
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self::from_verifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier: SecretString::from(verifier),
            challenge,
        }
    }

    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

/// `state` from 32 CSPRNG bytes: base64url, 43 characters.
pub fn state_from_random(bytes: [u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The consent URL to open in a browser: code flow, the one scope, PKCE S256, `state`, and
/// `access_type=offline` with `prompt=consent` so Google issues a refresh token every time.
pub fn authorization_url(
    client_id: &str,
    redirect_uri: &str,
    pkce: &Pkce,
    state: &str,
) -> Result<Url, AuthError> {
    Url::parse_with_params(
        AUTHORIZATION_URL,
        [
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", SCOPE),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", "S256"),
            ("state", state),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ],
    )
    .map_err(|_| AuthError::Exchange("url".to_owned()))
}

/// Why the consent did not produce a refresh token. Codes only, never a token or a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The redirect was not for this request: its `state` differs (another tab, or a forged
    /// request to the loopback port).
    #[error("the redirect's state does not match this request")]
    StateMismatch,
    /// The user declined, or Google refused the request (`error=access_denied`, …).
    #[error("Google refused the consent: {0}")]
    Denied(String),
    /// The redirect carried neither a code nor an error.
    #[error("the redirect carried no authorization code")]
    MissingCode,
    /// The token endpoint refused the code (`invalid_grant`: expired or used, …) or failed.
    #[error("the token endpoint refused the code: {0}")]
    Exchange(String),
    /// The answer had no refresh token.
    #[error("Google returned no refresh token")]
    NoRefreshToken,
    /// The grant covers more than `calendar.events`: untick the other scopes and try again.
    #[error("the grant covers more than {SCOPE}")]
    ScopeTooBroad,
    /// `GOOGLE_OAUTH_URL` is not https (or http to loopback) without a path.
    #[error("GOOGLE_OAUTH_URL must be https (http only for a loopback host), without a path")]
    InvalidOAuthUrl,
}

/// The code from the redirect's request target (`/?state=…&code=…&scope=…`), once its `state`
/// matches `expected` (compared in constant time).
pub fn code_from_redirect(target: &str, expected: &str) -> Result<SecretString, AuthError> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| AuthError::StateMismatch)?;
    for (key, value) in pairs {
        match key.as_str() {
            "state" if state.is_none() => state = Some(value),
            "code" if code.is_none() => code = Some(value),
            "error" if error.is_none() => error = Some(value),
            // A repeated parameter is not a redirect Google sent.
            "state" | "code" | "error" => return Err(AuthError::StateMismatch),
            _ => {}
        }
    }
    let matches = state.is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())));
    if !matches {
        return Err(AuthError::StateMismatch);
    }
    if let Some(error) = error {
        return Err(AuthError::Denied(code_word(&error)));
    }
    match code {
        Some(code) if !code.is_empty() => Ok(SecretString::from(code)),
        _ => Err(AuthError::MissingCode),
    }
}

/// An error code from the outside, repeated only if it is a plain `snake_case` word.
fn code_word(raw: &str) -> String {
    let plain = !raw.is_empty()
        && raw.len() <= 40
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain {
        raw.to_owned()
    } else {
        "other".to_owned()
    }
}

/// The parameters of the code exchange.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// `GOOGLE_OAUTH_URL`: the token endpoint is `{oauth_url}/token`.
    pub oauth_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    pub redirect_uri: &'a str,
    pub timeout: Duration,
}

#[derive(Deserialize)]
struct CodeTokens {
    refresh_token: Option<String>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
}

/// Exchanges `code` with its PKCE verifier for the refresh token (RFC 6749 §4.1.3, RFC 7636
/// §4.5). Refuses a grant wider than [`SCOPE`].
pub async fn exchange_code(
    exchange: &Exchange<'_>,
    code: &SecretString,
    pkce: &Pkce,
) -> Result<SecretString, AuthError> {
    let base = exchange.oauth_url.trim_end_matches('/');
    if !is_allowed_base_url(base) {
        return Err(AuthError::InvalidOAuthUrl);
    }
    let client = warden_provider_http::client(exchange.timeout)
        .map_err(|_| AuthError::Exchange("client".to_owned()))?;
    let form = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.expose_secret()),
        ("code_verifier", pkce.verifier.expose_secret()),
        ("client_id", exchange.client_id),
        ("client_secret", exchange.client_secret.expose_secret()),
        ("redirect_uri", exchange.redirect_uri),
    ])
    .map_err(|_| AuthError::Exchange("encode".to_owned()))?;
    let response = client
        .post(format!("{base}/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| {
            AuthError::Exchange(
                if e.is_timeout() {
                    "timeout"
                } else {
                    "transport"
                }
                .to_owned(),
            )
        })?;
    let status = response.status().as_u16();
    let body = read_bounded(response, MAX_TOKEN_BODY)
        .await
        .ok_or_else(|| AuthError::Exchange("too_large".to_owned()))?;
    if status != 200 {
        let code = serde_json::from_slice::<TokenError>(&body)
            .map(|e| code_word(&e.error))
            .unwrap_or_else(|_| format!("http_{status}"));
        return Err(AuthError::Exchange(code));
    }
    let tokens: CodeTokens =
        serde_json::from_slice(&body).map_err(|_| AuthError::Exchange("malformed".to_owned()))?;
    if let Some(scope) = tokens.scope.as_deref() {
        if scope.split_ascii_whitespace().any(|s| s != SCOPE) {
            return Err(AuthError::ScopeTooBroad);
        }
    }
    match tokens.refresh_token {
        Some(token) if !token.is_empty() => Ok(SecretString::from(token)),
        _ => Err(AuthError::NoRefreshToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_s256_of_the_verifier() {
        // RFC 7636 Appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let random = Pkce::from_random([7; 32]);
        assert_eq!(random.verifier.expose_secret().len(), 43);
        assert!(!format!("{random:?}").contains(random.verifier.expose_secret()));
    }

    #[test]
    fn the_consent_url_asks_for_the_one_scope_with_pkce_and_state() {
        let pkce = Pkce::from_random([1; 32]);
        let url = authorization_url("cid", "http://127.0.0.1:5555", &pkce, "st4te").unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(url.host_str(), Some("accounts.google.com"));
        assert_eq!(get("scope"), Some(SCOPE));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("code_challenge"), Some(pkce.challenge()));
        assert_eq!(get("state"), Some("st4te"));
        assert_eq!(get("redirect_uri"), Some("http://127.0.0.1:5555"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("access_type"), Some("offline"));
        assert!(!url.as_str().contains(pkce.verifier.expose_secret()));
    }

    #[test]
    fn only_a_redirect_with_this_state_yields_its_code() {
        let code = code_from_redirect("/?state=abc&code=4%2F0Ab&scope=x", "abc").unwrap();
        assert_eq!(code.expose_secret(), "4/0Ab");
        for (target, error) in [
            ("/?state=abd&code=4", AuthError::StateMismatch),
            ("/?code=4", AuthError::StateMismatch),
            ("/favicon.ico", AuthError::StateMismatch),
            ("/?state=abc&state=abc&code=4", AuthError::StateMismatch),
            ("/?state=abc&code=4&code=5", AuthError::StateMismatch),
            ("/?state=abc", AuthError::MissingCode),
            ("/?state=abc&code=", AuthError::MissingCode),
            (
                "/?state=abc&error=access_denied",
                AuthError::Denied("access_denied".to_owned()),
            ),
            (
                "/?state=abc&error=%3Cscript%3E",
                AuthError::Denied("other".to_owned()),
            ),
        ] {
            assert_eq!(
                code_from_redirect(target, "abc").map(|_| ()),
                Err(error),
                "{target}"
            );
        }
    }
}
