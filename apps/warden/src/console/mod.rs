//! The operator console: server-rendered HTML under `/console` on the admin listener, on top of
//! the same use cases as the admin API ([`warden_access::Access`], [`crate::operator::Operator`])
//! and the same [`authorize`] decision. No JavaScript at all: forms post, the server redirects.
//!
//! Templates are [maud](https://maud.lambda.xyz): the HTML is Rust checked at compile time, and
//! every interpolated value is escaped unless wrapped in `PreEscaped` (used only for the SVG
//! chart's numbers, which the code formats itself). askama would need template files and a
//! second syntax for the same guarantee; maud keeps a page next to the handler that fills it.
//!
//! The session lives in two `__Host-` cookies (`HttpOnly`, `Secure`, `SameSite=Strict`,
//! `Path=/`): the access token and the refresh token. An expired access token is renewed with
//! the refresh cookie (rotated as `POST /api/v1/auth/refresh` rotates it); without a live
//! session a page redirects to the login form with its own path as `next`. Every POST carries a
//! synchronizer token (an HMAC of the session id) and must come from the console's own origin.

mod audit;
mod chart;
mod market;
mod outbox;
mod pages;
mod people;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use warden_access::{AccessError, Session, SessionActor};
use warden_operators::{authorize, Resource};

use crate::admin::routes::Guard;
use crate::admin::AdminState;

/// The access token's cookie.
pub const ACCESS_COOKIE: &str = "__Host-warden_session";
/// The refresh token's cookie.
pub const REFRESH_COOKIE: &str = "__Host-warden_refresh";
/// The form field every POST carries its CSRF token in.
pub const CSRF_FIELD: &str = "csrf";
/// The Content-Security-Policy of every console answer: no script at all, styles from
/// Warden's own stylesheet, forms only to Warden, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The largest form the console reads.
const MAX_FORM_BYTES: usize = 16 * 1024;
/// The longest `next` path a login keeps.
const MAX_NEXT: usize = 200;

/// The key CSRF tokens are made under: derived from `WARDEN_JWT_KEY` (so every instance agrees
/// and a restart keeps open forms valid), or random for a state built without one.
pub struct CsrfKey(SecretSlice<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

impl CsrfKey {
    /// HMAC-SHA256 of a fixed label under the JWT key: a separate key for a separate purpose.
    pub fn derived(jwt_key: &[u8]) -> Self {
        Self(SecretSlice::from(hmac_bytes(
            jwt_key,
            b"warden console csrf v1",
        )))
    }

    /// A fresh random key (tokens do not survive a restart).
    pub fn random() -> Self {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(SecretSlice::from(key))
    }

    /// The token for one session (refresh-token family): stable across access-token renewals,
    /// useless for any other session.
    pub fn token(&self, session: &str) -> String {
        hex::encode(hmac_bytes(self.0.expose_secret(), session.as_bytes()))
    }

    fn verify(&self, session: &str, presented: &str) -> bool {
        let Ok(presented) = hex::decode(presented) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.expose_secret()) else {
            return false;
        };
        mac.update(session.as_bytes());
        mac.verify_slice(&presented).is_ok()
    }
}

fn hmac_bytes(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes a key of any length; kept total without a panic.
        Err(_) => Vec::new(),
    }
}

/// A form body, parsed once by the guard (which needs its CSRF field) and handed to the handler.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The row id a form names in its `id` field (a vendor, an offer, a message, an operator):
    /// a positive integer, or `None`.
    pub fn id(&self) -> Option<i64> {
        self.get("id")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|id| *id > 0)
    }
}

/// The signed-in operator and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub who: SessionActor,
    pub csrf: String,
}

/// `next` as a login may follow it: a console path, nothing else (no scheme, no host, no `//`,
/// no query), so a crafted login link cannot send an operator elsewhere.
pub fn safe_next(raw: &str) -> Option<&str> {
    let ok = raw.len() <= MAX_NEXT
        && (raw == "/console" || raw.starts_with("/console/"))
        && !raw.contains("//")
        && !raw.contains("..")
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    ok.then_some(raw)
}

/// The login page's address, remembering `next` when it is safe.
pub fn login_url(next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) => match serde_urlencoded::to_string([("next", next)]) {
            Ok(q) => format!("/console/login?{q}"),
            Err(_) => "/console/login".to_owned(),
        },
        None => "/console/login".to_owned(),
    }
}

/// A `Set-Cookie` value with the console's flags; `None` clears the cookie.
fn cookie(name: &str, value: Option<&str>) -> Option<HeaderValue> {
    let v = match value {
        Some(v) => format!("{name}={v}; Path=/; Secure; HttpOnly; SameSite=Strict"),
        None => format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&v).ok()
}

/// Sets both cookies of a new or renewed session on `response`.
pub fn set_session(response: &mut Response, session: &Session) {
    let h = response.headers_mut();
    for c in [
        cookie(ACCESS_COOKIE, Some(session.access_token.expose_secret())),
        cookie(REFRESH_COOKIE, Some(session.refresh_token.expose())),
    ]
    .into_iter()
    .flatten()
    {
        h.append(header::SET_COOKIE, c);
    }
}

/// Clears both cookies on `response`.
pub fn clear_session(response: &mut Response) {
    let h = response.headers_mut();
    for c in [cookie(ACCESS_COOKIE, None), cookie(REFRESH_COOKIE, None)]
        .into_iter()
        .flatten()
    {
        h.append(header::SET_COOKIE, c);
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A redirect after a POST (or to the login page): 303, so the browser GETs the target.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A POST must come from the console's own pages. A browser says so in `Sec-Fetch-Site`
/// (a header no page can set), and that is decisive when present: with `Referrer-Policy:
/// no-referrer`, Chromium sends `Origin: null` on a same-origin form post. Without it (an
/// older browser, a script), `Origin` or else `Referer` must name the host the request was
/// sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .filter(|o| o.as_bytes() != b"null")
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    let Some(rest) = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.eq_ignore_ascii_case(host)
}

/// The operator behind the session cookies: the access token if it is live, else a renewal
/// with the refresh token (the new pair is returned to be set on the answer).
async fn session(
    state: &AdminState,
    headers: &HeaderMap,
) -> Result<(SessionActor, Option<Session>), AccessError> {
    if let Some(token) = cookie_value(headers, ACCESS_COOKIE) {
        match state.access.authenticate(token).await {
            Ok(who) => return Ok((who, None)),
            Err(AccessError::BadSession) => {}
            Err(e) => return Err(e),
        }
    }
    let refresh = cookie_value(headers, REFRESH_COOKIE).ok_or(AccessError::BadSession)?;
    let renewed = state.access.refresh(refresh).await?;
    let who = state
        .access
        .authenticate(renewed.access_token.expose_secret())
        .await?;
    Ok((who, Some(renewed)))
}

/// Authenticates, checks CSRF and origin, and authorizes one console request for its route's
/// guard, with the admin API's request budgets.
pub async fn guard(
    State((state, guard)): State<(Arc<AdminState>, Guard)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let is_post = request.method() == Method::POST;
    if is_post && !same_origin(request.headers()) {
        return pages::refused(
            StatusCode::FORBIDDEN,
            "This form did not come from the console.",
        );
    }
    let (parts, body) = request.into_parts();
    let form = if is_post {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return pages::refused(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
        };
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            Ok(fields) => Form(fields),
            Err(_) => {
                return pages::refused(StatusCode::BAD_REQUEST, "The form could not be read.")
            }
        }
    } else {
        Form::default()
    };
    let mut request = Request::from_parts(parts, Body::empty());
    request.extensions_mut().insert(form.clone());

    let action = match guard {
        Guard::Public => {
            // Only a login attempt spends the per-address budget; the form and the stylesheet
            // are static.
            if is_post {
                if let Some(secs) = state.over_ip(peer.ip()) {
                    return pages::too_many(secs);
                }
            }
            return next.run(request).await;
        }
        Guard::OwnSession => None,
        Guard::Requires(action) => Some(action),
    };
    let (who, renewed) = match session(&state, request.headers()).await {
        Ok(s) => s,
        Err(AccessError::BadSession) => {
            if let Some(secs) = state.over_ip(peer.ip()) {
                return pages::too_many(secs);
            }
            let here = (!is_post).then(|| request.uri().path());
            let mut r = see_other(&login_url(here));
            clear_session(&mut r);
            return r;
        }
        Err(e) => {
            tracing::error!(error = %e, "console session check failed");
            return pages::refused(StatusCode::SERVICE_UNAVAILABLE, "Please try again.");
        }
    };
    if let Some(secs) = state.over_operator(who.actor.id) {
        return pages::too_many(secs);
    }
    let csrf = state.csrf.token(&who.session);
    if is_post {
        let presented = form.get(CSRF_FIELD).unwrap_or_default();
        if !state.csrf.verify(&who.session, presented) {
            return pages::refused(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from the console.",
            );
        }
    }
    if let Some(action) = action {
        if let Err(denied) = authorize(&who.actor, action, &Resource::Any) {
            return pages::refused(StatusCode::FORBIDDEN, &denied.to_string());
        }
    }
    request.extensions_mut().insert(Viewer { who, csrf });
    let mut response = next.run(request).await;
    if let Some(session) = renewed {
        set_session(&mut response, &session);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_console_path_and_never_another_site() {
        for good in ["/console", "/console/", "/console/senders"] {
            assert_eq!(safe_next(good), Some(good));
        }
        for bad in [
            "https://evil.example/console",
            "//evil.example/console",
            "/console//evil.example",
            "/consoles",
            "/console/../api/v1/audit",
            "/console/senders?x=1",
            "/console/\\evil",
            "/api/v1/audit",
            "",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
        assert_eq!(login_url(Some("https://evil.example/")), "/console/login");
        assert_eq!(
            login_url(Some("/console/senders")),
            "/console/login?next=%2Fconsole%2Fsenders"
        );
    }

    #[test]
    fn a_csrf_token_is_bound_to_its_session_and_key() {
        let key = CsrfKey::derived(b"0123456789abcdef0123456789abcdef");
        let token = key.token("family-1");
        assert!(key.verify("family-1", &token));
        assert!(!key.verify("family-2", &token));
        assert!(!key.verify("family-1", ""));
        assert!(!CsrfKey::derived(b"another key, also 32 bytes long!").verify("family-1", &token));
    }

    #[test]
    fn a_post_from_another_origin_or_none_is_not_same_origin() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
            }
            h
        };
        let host = (header::HOST, "127.0.0.1:8081");
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:8081")
        ])));
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::REFERER, "http://127.0.0.1:8081/console/senders")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:8081.evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(!same_origin(&headers(&[host])));
    }
}
