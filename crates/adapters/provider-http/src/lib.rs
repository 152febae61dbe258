//! The HTTP plumbing shared by the provider adapters that send (Twilio, Meta, and the LLM and
//! calendar adapters to come), so each adapter keeps only its own wire format.
//!
//! The senders hand a failure back to the outbox ([`transport_error`], [`retry_after`]); the
//! adapters that wait for an answer retry in place with [`send_with_retries`].

mod retry;

use std::time::Duration;

use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};
use reqwest::Client;
use warden_delivery::SendError;

pub use retry::{send_with_retries, Failure, RetryPolicy};

/// A provider's `Retry-After` is honoured up to this: longer is an outage, better handled by
/// the outbox's own backoff and an operator than by a message waiting a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// A client bounded by `timeout` (connection included) that never follows redirects, so
/// credentials only ever go to the configured host.
pub fn client(timeout: Duration) -> Result<Client, reqwest::Error> {
    Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// A failure before any response: the message may or may not have reached the provider, so
/// it is retryable, named by kind only (reqwest's text may quote the URL).
pub fn transport_error(error: &reqwest::Error) -> SendError {
    let reason = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "transport"
    };
    SendError::Retryable {
        reason: reason.to_owned(),
        retry_after: None,
    }
}

/// The body, or `None` if it cannot be read in time or exceeds `max` bytes.
pub async fn read_bounded(mut response: reqwest::Response, max: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > max {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// `Retry-After` as delay-seconds, or as an HTTP-date measured against the response's own
/// `Date` header (so no clock is read here); capped at [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is "a very long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let now = httpdate::parse_http_date(headers.get(DATE)?.to_str().ok()?).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// `https://host[:port]`, or `http://` to 127.0.0.1, localhost or `[::1]` (tests, a local
/// proxy): credentials must not cross a network in clear text, and nothing may smuggle a path,
/// query or userinfo into the authority.
pub fn is_allowed_base_url(url: &str) -> bool {
    let (authority, secure) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, true)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, false)
    } else {
        return false;
    };
    let bare = !authority.is_empty()
        && !authority.chars().any(|c| {
            matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace() || c.is_control()
        });
    if !bare {
        return false;
    }
    if secure {
        return true;
    }
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        authority
            .strip_prefix(host)
            .is_some_and(|port| port.is_empty() || port.starts_with(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(
            retry_after(&headers(&[(RETRY_AFTER, "7")])),
            Some(Duration::from_secs(7))
        );
        let dated = headers(&[
            (RETRY_AFTER, "Wed, 21 Oct 2015 07:28:30 GMT"),
            (DATE, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        assert_eq!(retry_after(&dated), Some(Duration::from_secs(30)));
        let past = headers(&[
            (RETRY_AFTER, "Wed, 21 Oct 2015 07:27:00 GMT"),
            (DATE, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
    }

    #[test]
    fn garbled_retry_after_is_ignored_or_capped() {
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER, "-1")])), None);
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER, "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
        // An HTTP-date without the response's Date cannot be measured without a clock.
        let undated = headers(&[(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:30 GMT")]);
        assert_eq!(retry_after(&undated), None);
        for huge in ["99999999", "999999999999999999999999"] {
            assert_eq!(
                retry_after(&headers(&[(RETRY_AFTER, huge)])),
                Some(MAX_RETRY_AFTER)
            );
        }
    }

    #[test]
    fn credentials_travel_only_over_https_or_to_loopback() {
        for ok in [
            "https://api.twilio.com",
            "https://graph.facebook.com:443",
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9",
        ] {
            assert!(is_allowed_base_url(ok), "{ok}");
        }
        for bad in [
            "http://api.twilio.com",
            "http://127.0.0.1.evil.com",
            "https://user@host",
            "https://host/path",
            "https://host?x",
            "ftp://host",
            "https://",
            "http://localhost@evil.com",
        ] {
            assert!(!is_allowed_base_url(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(307).insert_header("location", "http://127.0.0.1:1/steal"),
            )
            .mount(&server)
            .await;
        let response = client(Duration::from_secs(5))
            .expect("client")
            .get(server.uri())
            .send()
            .await
            .expect("response");
        assert_eq!(response.status().as_u16(), 307);
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused() {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(100)))
            .mount(&server)
            .await;
        let c = client(Duration::from_secs(5)).expect("client");
        let r = c.get(server.uri()).send().await.expect("response");
        assert_eq!(read_bounded(r, 99).await, None);
        let r = c.get(server.uri()).send().await.expect("response");
        assert_eq!(read_bounded(r, 100).await.map(|b| b.len()), Some(100));
    }
}
