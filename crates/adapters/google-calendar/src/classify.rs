//! What a failed call means: retry, give up, or stop calling. Codes only (statuses and
//! Google's machine-readable reasons), never a message text, a title or a credential.

use std::time::Duration;

use warden_calendar::CalendarError;

use crate::wire::ApiErrorEnvelope;

/// Google's documented rate-limit reasons, which it sends with 403 as well as 429.
const RATE_LIMIT_REASONS: [&str; 3] = [
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "quotaExceeded",
];

/// The first reason of a Calendar API error body, if it is a plain identifier (Google's are
/// camelCase words); anything else is not repeated.
pub(crate) fn api_reason(body: &[u8]) -> Option<String> {
    let envelope: ApiErrorEnvelope = serde_json::from_slice(body).ok()?;
    let reason = envelope.error.errors.into_iter().next()?.reason;
    let plain = !reason.is_empty()
        && reason.len() <= 40
        && reason.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then_some(reason)
}

/// A non-success status of the Calendar API, with the error body's reason when there was one.
pub(crate) fn api_status(
    status: u16,
    reason: Option<&str>,
    retry_after: Option<Duration>,
) -> CalendarError {
    let code = match reason {
        Some(reason) => format!("http_{status}_{reason}"),
        None => format!("http_{status}"),
    };
    let rate_limited = reason.is_some_and(|r| RATE_LIMIT_REASONS.contains(&r));
    if matches!(status, 408 | 429) || status >= 500 || (status == 403 && rate_limited) {
        CalendarError::Retryable {
            reason: code,
            retry_after,
        }
    } else {
        CalendarError::Permanent { reason: code }
    }
}

/// A failure before any response: the request may or may not have reached Google, so it is
/// retryable (an insert is idempotent on its id), named by kind only.
pub(crate) fn transport(prefix: &str, error: &reqwest::Error) -> CalendarError {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "transport"
    };
    CalendarError::Retryable {
        reason: format!("{prefix}{kind}"),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_server_errors_are_retryable_other_client_errors_are_not() {
        for (status, reason) in [
            (429, None),
            (500, None),
            (503, Some("backendError")),
            (403, Some("rateLimitExceeded")),
            (403, Some("userRateLimitExceeded")),
            (408, None),
        ] {
            assert!(
                matches!(
                    api_status(status, reason, None),
                    CalendarError::Retryable { .. }
                ),
                "{status} {reason:?}"
            );
        }
        for (status, reason) in [
            (400, Some("invalid")),
            (403, Some("forbidden")),
            (403, None),
            (404, Some("notFound")),
            (401, None),
        ] {
            assert!(
                matches!(
                    api_status(status, reason, None),
                    CalendarError::Permanent { .. }
                ),
                "{status} {reason:?}"
            );
        }
    }

    #[test]
    fn only_a_plain_reason_from_the_error_body_is_repeated() {
        let body = br#"{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded for 'dentist'"}],"code":403,"message":"Rate Limit Exceeded"}}"#;
        assert_eq!(api_reason(body).as_deref(), Some("rateLimitExceeded"));
        let quoting = br#"{"error":{"errors":[{"reason":"call mum at 5"}],"code":400}}"#;
        assert_eq!(api_reason(quoting), None);
        assert_eq!(api_reason(b"<html>oops</html>"), None);
        assert_eq!(
            api_status(403, Some("forbidden"), None).reason(),
            "http_403_forbidden"
        );
    }
}
