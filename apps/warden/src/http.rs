//! The HTTP edge: routes, status codes, nothing else. Policy lives in the domain crates.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use warden_assistant::{Clock, LedgerError, MessageService, Outcome, Readiness};
use warden_gates::AuthFailureLimiter;
use warden_twilio::WebhookAuthenticator;
use warden_types::Provider;

/// Everything a request handler needs.
pub struct AppState {
    pub service: MessageService,
    pub twilio: WebhookAuthenticator,
    /// The exact URL Twilio signs for this route.
    pub twilio_url: String,
    pub auth_failures: Mutex<AuthFailureLimiter>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/webhooks/twilio", post(twilio_webhook))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .with_state(state)
}

/// Every error the edge can answer with. Messages say what was wrong with the request, never
/// echo its content; internal causes are logged, not sent.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not a form, or a field is missing or malformed (named, not echoed).
    BadRequest(String),
    /// 403: the webhook signature (or account) does not authenticate the request.
    Forbidden(&'static str),
    /// 415: webhooks are form-encoded.
    UnsupportedMediaType,
    /// 429: this client has failed authentication too often.
    TooManyFailures,
    /// 503: the store cannot take the message now; the provider will retry.
    Unavailable,
    /// 500: nothing was stored; the provider will retry.
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m.to_owned()),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/x-www-form-urlencoded".to_owned(),
            ),
            ApiError::TooManyFailures => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed authentications from this address; try again later".to_owned(),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unavailable; nothing was stored, retry later".to_owned(),
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; nothing was stored".to_owned(),
            ),
        };
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response()
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Unavailable(_) => ApiError::Unavailable,
            LedgerError::Failed(_) => ApiError::Internal,
        }
    }
}

async fn twilio_webhook(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(ApiError::UnsupportedMediaType);
    }
    let params = warden_twilio::parse_form(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed form body: {e}")))?;

    let url = match uri.query() {
        Some(q) => format!("{}?{q}", app.twilio_url),
        None => app.twilio_url.clone(),
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(failure) = app.twilio.authenticate(&url, &params, signature) {
        return Err(refuse(&app, peer.ip(), failure.reason()).await);
    }

    let msg = warden_twilio::normalise(&params).map_err(|e| {
        tracing::warn!(error = %e, "authenticated Twilio webhook is not a WhatsApp message");
        ApiError::BadRequest(e.to_string())
    })?;
    let reply = match app.service.handle_inbound(msg).await? {
        Outcome::Duplicate => None,
        Outcome::Handled { reply } => reply,
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, warden_twilio::TWIML_CONTENT_TYPE)],
        warden_twilio::twiml_reply(reply.as_deref()),
    )
        .into_response())
}

/// A request that failed authentication: audited (without content) and answered 403, or 429
/// without an audit row once the client is over its failure limit, so forgers cannot flood
/// the audit log.
async fn refuse(app: &AppState, ip: IpAddr, reason: &'static str) -> ApiError {
    let now = app.clock.now();
    let over = app
        .auth_failures
        .lock()
        .map(|mut l| l.record_failure(ip, now))
        .unwrap_or(true);
    if over {
        tracing::warn!(
            reason,
            "webhook authentication failed; client over its failure limit"
        );
        return ApiError::TooManyFailures;
    }
    tracing::warn!(reason, "webhook authentication failed");
    if let Err(e) = app
        .service
        .report_forged_webhook(Provider::Twilio, reason)
        .await
    {
        tracing::error!(error = %e, "could not audit a forged webhook");
    }
    ApiError::Forbidden("invalid webhook signature")
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    match app.service.ledger().readiness().await {
        Readiness::Ready { audit_head_seq } => (
            StatusCode::OK,
            Json(ReadyBody {
                status: "ready",
                reason: None,
                audit_head_seq: Some(audit_head_seq),
            }),
        )
            .into_response(),
        Readiness::NotReady { reason } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ReadyBody {
                status: "not_ready",
                reason: Some(reason),
                audit_head_seq: None,
            }),
        )
            .into_response(),
    }
}

#[derive(serde::Serialize)]
struct ReadyBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_head_seq: Option<i64>,
}
