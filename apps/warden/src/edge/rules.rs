//! Request framing rules checked before a handler runs or a body byte is read: what hyper
//! parses but does not enforce.
//!
//! - `Host`: RFC 9112 §3.2 requires exactly one valid `Host` on HTTP/1.1; a request without
//!   one is answered 400 (an origin that routes on `Host` behind a proxy could be confused).
//! - `Expect`: only `100-continue` is understood; anything else is 417 (RFC 9110 §10.1.1).
//! - `Content-Length` above the body limit: 413 at once. hyper sends `100 Continue` only when
//!   a handler first reads the body, so a client that asked for it is refused without the
//!   invitation, and no one holds a connection for the request timeout by promising 10 MB.
//!
//! Every refusal closes the connection: the unread body would otherwise be the next request.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderValue, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Why a request was refused before its handler. Messages name the rule, never echo input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400: HTTP/1.1 without `Host`.
    MissingHost,
    /// 400: more than one `Host`, or one that is not `host[:port]`.
    BadHost,
    /// 417: an `Expect` other than `100-continue`.
    UnsupportedExpectation,
    /// 413: the declared `Content-Length` is above the body limit.
    TooLarge,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Self::MissingHost | Self::BadHost => StatusCode::BAD_REQUEST,
            Self::UnsupportedExpectation => StatusCode::EXPECTATION_FAILED,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::MissingHost => "an HTTP/1.1 request needs a Host header",
            Self::BadHost => "exactly one Host header of the form host[:port] is required",
            Self::UnsupportedExpectation => "only Expect: 100-continue is supported",
            Self::TooLarge => "the declared body is larger than this gateway accepts",
        }
    }
}

/// RFC 9457 problem details, like every other error Warden answers with.
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Refused"),
            "status": status.as_u16(),
            "detail": self.message(),
        });
        (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                ),
                (header::CONNECTION, HeaderValue::from_static("close")),
            ],
            body.to_string(),
        )
            .into_response()
    }
}

/// Middleware: refuses a request that breaks a framing rule, else passes it on. The state is
/// the body limit in bytes.
pub async fn enforce(State(max_body_bytes): State<usize>, req: Request, next: Next) -> Response {
    match check(&req, max_body_bytes) {
        Ok(()) => next.run(req).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// The rules, in the order a server must apply them: who the request is for, what it expects,
/// then how much it declares.
pub fn check(req: &Request<Body>, max_body_bytes: usize) -> Result<(), Refusal> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if req.version() == Version::HTTP_11 => return Err(Refusal::MissingHost),
        (None, _) => {}
        (Some(host), None) if is_valid_host(host) => {}
        _ => return Err(Refusal::BadHost),
    }
    for expect in req.headers().get_all(header::EXPECT) {
        if !expect.as_bytes().eq_ignore_ascii_case(b"100-continue") {
            return Err(Refusal::UnsupportedExpectation);
        }
    }
    // hyper has parsed and checked `Content-Length` (several differing values are already a
    // 400); its value is the body's exact size hint. Chunked bodies are bounded as read.
    let declared = req.body().size_hint().lower();
    if usize::try_from(declared).map_or(true, |n| n > max_body_bytes) {
        return Err(Refusal::TooLarge);
    }
    Ok(())
}

/// `uri-host [ ":" port ]`: an authority without user info.
fn is_valid_host(value: &HeaderValue) -> bool {
    let Ok(text) = value.to_str() else {
        return false;
    };
    let port_is_digits = match text.rsplit_once(':') {
        // `[::1]` has colons but no port; `[::1]:80` and `host:80` have one.
        Some((_, port)) if !port.contains(']') => port.bytes().all(|b| b.is_ascii_digit()),
        _ => true,
    };
    !text.is_empty() && !text.contains('@') && port_is_digits && Authority::try_from(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    const LIMIT: usize = 64 * 1024;

    fn request(version: Version, headers: &[(&str, &str)], body: Body) -> Request<Body> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri("/webhooks/twilio")
            .version(version);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(body).unwrap()
    }

    fn sized(n: usize) -> Body {
        Body::from(vec![b'x'; n])
    }

    #[test]
    fn http11_without_host_is_400_but_http10_is_not() {
        let no_host = request(Version::HTTP_11, &[], Body::empty());
        assert_eq!(check(&no_host, LIMIT), Err(Refusal::MissingHost));
        let old = request(Version::HTTP_10, &[], Body::empty());
        assert_eq!(check(&old, LIMIT), Ok(()));
    }

    #[test]
    fn duplicate_or_malformed_host_is_400() {
        for bad in ["", "a b", "user@host", "host/path", "host:port"] {
            let req = request(Version::HTTP_11, &[("host", bad)], Body::empty());
            assert_eq!(check(&req, LIMIT), Err(Refusal::BadHost), "{bad:?}");
        }
        let two = request(
            Version::HTTP_11,
            &[("host", "a.example"), ("host", "b.example")],
            Body::empty(),
        );
        assert_eq!(check(&two, LIMIT), Err(Refusal::BadHost));
        for good in [
            "warden.example.com",
            "127.0.0.1:8080",
            "[::1]:80",
            "localhost",
        ] {
            let req = request(Version::HTTP_11, &[("host", good)], Body::empty());
            assert_eq!(check(&req, LIMIT), Ok(()), "{good}");
        }
    }

    #[test]
    fn expectations_other_than_100_continue_are_417() {
        for bad in ["200-ok", "100-continue, foo", ""] {
            let req = request(
                Version::HTTP_11,
                &[("host", "h"), ("expect", bad)],
                Body::empty(),
            );
            assert_eq!(
                check(&req, LIMIT),
                Err(Refusal::UnsupportedExpectation),
                "{bad:?}"
            );
        }
        let ok = request(
            Version::HTTP_11,
            &[("host", "h"), ("expect", "100-Continue")],
            sized(10),
        );
        assert_eq!(check(&ok, LIMIT), Ok(()));
    }

    #[test]
    fn declared_length_above_the_limit_is_413_before_reading() {
        let over = request(Version::HTTP_11, &[("host", "h")], sized(LIMIT + 1));
        assert_eq!(check(&over, LIMIT), Err(Refusal::TooLarge));
        let at = request(Version::HTTP_11, &[("host", "h")], sized(LIMIT));
        assert_eq!(check(&at, LIMIT), Ok(()));
        // With 100-continue too: the size decides, and it is checked before any body is read.
        let expect = request(
            Version::HTTP_11,
            &[("host", "h"), ("expect", "100-continue")],
            sized(LIMIT + 1),
        );
        assert_eq!(check(&expect, LIMIT), Err(Refusal::TooLarge));
    }

    #[test]
    fn every_refusal_closes_the_connection_and_echoes_nothing() {
        for refusal in [
            Refusal::MissingHost,
            Refusal::BadHost,
            Refusal::UnsupportedExpectation,
            Refusal::TooLarge,
        ] {
            let response = refusal.into_response();
            assert_eq!(response.status(), refusal.status());
            assert_eq!(
                response.headers().get(header::CONNECTION),
                Some(&HeaderValue::from_static("close"))
            );
        }
    }
}
