//! RFC 9457 problem details: every error of the admin API, in one shape. A problem's text is
//! fixed by the code that raised it; it never carries a secret, a token or a phone number.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One problem, as `application/problem+json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem (`about:blank` plus the status's title when
    /// the status says it all).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: None,
            retry_after: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "https://warden.dev/problems/invalid-request",
            "Invalid request",
        )
        .detail(detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "https://warden.dev/problems/unauthorized",
            "Authentication required",
        )
        .detail("a valid bearer access token is required")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "https://warden.dev/problems/forbidden",
            "Forbidden",
        )
        .detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "https://warden.dev/problems/not-found",
            "Not found",
        )
        .detail(detail)
    }

    /// The path exists, the method does not; axum adds the `Allow` header.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "https://warden.dev/problems/method-not-allowed",
            "Method not allowed",
        )
        .detail("see the Allow header for the methods this path serves")
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "https://warden.dev/problems/conflict",
            "Conflict",
        )
        .detail(detail)
    }

    pub fn too_many(retry_after_secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "https://warden.dev/problems/rate-limited",
            "Too many requests",
        )
        .detail(format!("try again in {retry_after_secs} s"));
        p.retry_after = Some(retry_after_secs);
        p
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "https://warden.dev/problems/unavailable",
            "Temporarily unavailable",
        )
        .detail("the database is unavailable; try again")
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "https://warden.dev/problems/internal",
            "Internal error",
        )
        .detail("the request failed; the cause is in the server log")
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
