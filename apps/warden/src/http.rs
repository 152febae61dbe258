//! The HTTP edge: routes, status codes, nothing else. Policy lives in the domain crates.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use tracing::field::Empty;
use tracing::Instrument as _;
use warden_assistant::{LedgerError, MessageService, Outcome, Readiness, ReplyVia};
use warden_delivery::{OutboxError, OutboxStore, StatusApplied};
use warden_gates::AuthFailureLimiter;
use warden_twilio::WebhookAuthenticator;
use warden_types::Clock;
use warden_types::Provider;

/// The Twilio channel's edge state.
#[derive(Debug)]
pub struct TwilioEdge {
    pub auth: WebhookAuthenticator,
    /// The exact URLs Twilio signs for the message and status routes.
    pub url: String,
    pub status_url: String,
    pub reply_via: ReplyVia,
}

/// The Meta channel's edge state.
#[derive(Debug)]
pub struct MetaEdge {
    pub signature: warden_meta::SignatureVerifier,
    pub subscription: warden_meta::SubscriptionVerifier,
    /// Items for another business number are not ours to process.
    pub phone_number_id: String,
}

/// Everything a request handler needs.
pub struct AppState {
    pub service: MessageService,
    /// `None`: the channel is disabled (its secrets are not configured).
    pub twilio: Option<TwilioEdge>,
    pub meta: Option<MetaEdge>,
    pub outbox: Arc<dyn OutboxStore>,
    pub auth_failures: Mutex<AuthFailureLimiter>,
    pub clock: Arc<dyn Clock>,
    /// Advice whose reply goes through the outbox runs after the webhook answered; shutdown
    /// waits for it.
    pub advice_tasks: tokio_util::task::TaskTracker,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/webhooks/twilio", post(twilio_webhook))
        .route("/webhooks/twilio/status", post(twilio_status))
        .route("/webhooks/meta", get(meta_subscribe).post(meta_webhook))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route_layer(axum::middleware::from_fn(trace_webhook))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
        .with_state(state)
}

/// One span per webhook request: route, provider and the status answered. Fixed strings and
/// numbers only: no path, query, header or body content is recorded.
async fn trace_webhook(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (route, provider) = match req.uri().path() {
        "/webhooks/twilio" => ("/webhooks/twilio", "twilio"),
        "/webhooks/twilio/status" => ("/webhooks/twilio/status", "twilio"),
        "/webhooks/meta" => ("/webhooks/meta", "meta"),
        _ => return next.run(req).await,
    };
    let span = tracing::info_span!(
        "webhook",
        route,
        provider,
        method = req.method().as_str(),
        status = Empty,
    );
    let response = next.run(req).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    response
}

/// Every error the edge can answer with. Messages say what was wrong with the request, never
/// echo its content; internal causes are logged, not sent.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not a form, or a field is missing or malformed (named, not echoed).
    BadRequest(String),
    /// 403: the webhook signature (or account) does not authenticate the request.
    Forbidden(&'static str),
    /// 404: the channel is not configured on this gateway.
    ChannelDisabled(&'static str),
    /// 415: the body is not in the provider's format.
    UnsupportedMediaType(&'static str),
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
            ApiError::ChannelDisabled(channel) => (
                StatusCode::NOT_FOUND,
                format!("the {channel} channel is not configured on this gateway"),
            ),
            ApiError::UnsupportedMediaType(expected) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type: {expected}"),
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

impl From<OutboxError> for ApiError {
    fn from(e: OutboxError) -> Self {
        tracing::error!(error = %e, "outbox update failed");
        ApiError::Unavailable
    }
}

impl From<LedgerError> for ApiError {
    /// Logs the cause (through the redacting log pipeline): the provider only sees the status.
    fn from(e: LedgerError) -> Self {
        let cause = error_chain(&e);
        match e {
            LedgerError::Unavailable(_) => {
                tracing::warn!(error = %cause, "store unavailable; answered 503");
                ApiError::Unavailable
            }
            LedgerError::Failed(_) => {
                tracing::error!(error = %cause, "message not handled; answered 500");
                ApiError::Internal
            }
        }
    }
}

/// `e: cause: cause…`, for one log field.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with(expected))
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Parses and authenticates a Twilio form post signed over `base_url`.
async fn twilio_form(
    app: &AppState,
    peer: IpAddr,
    base_url: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let Some(twilio) = &app.twilio else {
        return Err(ApiError::ChannelDisabled("Twilio"));
    };
    if !content_type_is(headers, FORM) {
        return Err(ApiError::UnsupportedMediaType(FORM));
    }
    let params = tracing::info_span!("parse", provider = "twilio")
        .in_scope(|| warden_twilio::parse_form(body))
        .map_err(|e| ApiError::BadRequest(format!("malformed form body: {e}")))?;
    let url = match uri.query() {
        Some(q) => format!("{base_url}?{q}"),
        None => base_url.to_owned(),
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let verify = tracing::info_span!("verify_signature", provider = "twilio", outcome = Empty);
    let verified = verify.in_scope(|| twilio.auth.authenticate(&url, &params, signature));
    verify.record("outcome", verified.map_or_else(|f| f.reason(), |()| "ok"));
    if let Err(failure) = verified {
        return Err(refuse(app, peer, Provider::Twilio, failure.reason()).await);
    }
    Ok(params)
}

async fn twilio_webhook(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (url, via) = match &app.twilio {
        Some(t) => (t.url.as_str(), t.reply_via),
        None => return Err(ApiError::ChannelDisabled("Twilio")),
    };
    let params = twilio_form(&app, peer.ip(), url, &uri, &headers, &body).await?;

    let normalise = tracing::info_span!("normalise", provider = "twilio", outcome = Empty);
    let normalised = normalise.in_scope(|| warden_twilio::normalise(&params));
    normalise.record(
        "outcome",
        if normalised.is_ok() { "ok" } else { "rejected" },
    );
    let msg = normalised.map_err(|e| {
        tracing::warn!(error = %e, "authenticated Twilio webhook is not a WhatsApp message");
        ApiError::BadRequest(e.to_string())
    })?;
    let reply = match app.service.handle_inbound(msg, via).await? {
        Outcome::Duplicate => None,
        Outcome::Handled { reply } => reply,
        Outcome::Advise(ticket) => advise(&app, *ticket).await?,
        // `handle_inbound` runs the marketplace step and the calendar read itself; never
        // returned.
        Outcome::Market(_) | Outcome::Calendar(_) => None,
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, warden_twilio::TWIML_CONTENT_TYPE)],
        warden_twilio::twiml_reply(reply.as_deref()),
    )
        .into_response())
}

/// Runs the advisor for a free-text message. A reply in the response waits for it (bounded
/// by the model timeout); a reply through the outbox does not hold the webhook: the advice
/// runs in the background (the service wakes the delivery worker once its reply is enqueued).
async fn advise(
    app: &Arc<AppState>,
    ticket: warden_assistant::AdviceTicket,
) -> Result<Option<String>, ApiError> {
    if ticket.via == ReplyVia::Response {
        return Ok(app.service.advise(ticket).await?);
    }
    let app = app.clone();
    app.advice_tasks.clone().spawn(async move {
        if let Err(e) = app.service.advise(ticket).await {
            tracing::error!(error = %e, "advice not recorded");
        }
    });
    Ok(None)
}

/// Twilio's delivery report for a message sent through the outbox.
async fn twilio_status(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let url = match &app.twilio {
        Some(t) => t.status_url.clone(),
        None => return Err(ApiError::ChannelDisabled("Twilio")),
    };
    let params = twilio_form(&app, peer.ip(), &url, &uri, &headers, &body).await?;
    let callback = tracing::info_span!("normalise", provider = "twilio")
        .in_scope(|| warden_twilio::parse_status_callback(&params))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(status) = callback.status {
        apply_status(
            &app,
            Provider::Twilio,
            &callback.provider_id,
            status,
            callback.error_code,
        )
        .await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A provider's delivery report for a message sent through the outbox (Twilio's status callback,
/// a Meta `statuses[]` item): moves the outbox row forward, never back.
async fn apply_status(
    app: &AppState,
    provider: Provider,
    provider_id: &warden_types::ProviderMessageId,
    status: warden_delivery::DeliveryStatus,
    error_code: Option<i64>,
) -> Result<(), ApiError> {
    let applied = app
        .outbox
        .apply_status(provider, provider_id, status, error_code, app.clock.now())
        .instrument(tracing::info_span!(
            "apply_status",
            provider = provider.as_str(),
            status = status.as_str()
        ))
        .await?;
    match applied {
        StatusApplied::Moved { from, to } => tracing::info!(
            provider = provider.as_str(),
            from = from.as_str(),
            to = to.as_str(),
            "delivery status"
        ),
        StatusApplied::Unchanged => {}
        StatusApplied::Unknown => tracing::info!(
            provider = provider.as_str(),
            "status callback for a message not in the outbox"
        ),
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Subscribe {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription handshake: echo the challenge (digits only) only to someone who knows
/// the token.
async fn meta_subscribe(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<Subscribe>,
) -> Result<Response, ApiError> {
    let Some(meta) = &app.meta else {
        return Err(ApiError::ChannelDisabled("Meta"));
    };
    match meta.subscription.verify(
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
    ) {
        Ok(challenge) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge.to_owned(),
        )
            .into_response()),
        // Only a token holder gets here: the request is authentic but not Meta's shape.
        Err(warden_meta::HandshakeError::BadChallenge) => Err(ApiError::BadRequest(format!(
            "hub.challenge must be 1 to {} ASCII digits",
            warden_meta::MAX_CHALLENGE_LEN
        ))),
        Err(e) => {
            let reason = e.reason();
            if over_failure_limit(&app, peer.ip()) {
                return Err(ApiError::TooManyFailures);
            }
            tracing::warn!(reason, "Meta subscription handshake refused");
            Err(ApiError::Forbidden("webhook verification failed"))
        }
    }
}

/// Meta's webhook: signature over the raw bytes first, then every message and status in the
/// payload, each on its own and idempotently (a retried payload finds its messages recorded).
/// Answers 200 once everything in it is committed; replies leave through the outbox.
async fn meta_webhook(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(meta) = &app.meta else {
        return Err(ApiError::ChannelDisabled("Meta"));
    };
    let signature = headers
        .get(warden_meta::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let verify = tracing::info_span!("verify_signature", provider = "meta", outcome = Empty);
    let verified = verify.in_scope(|| meta.signature.verify(&body, signature));
    verify.record("outcome", verified.map_or_else(|f| f.reason(), |()| "ok"));
    if let Err(failure) = verified {
        return Err(refuse(&app, peer.ip(), Provider::Meta, failure.reason()).await);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !warden_meta::is_json_content_type(content_type) {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    let parse = tracing::info_span!(
        "normalise",
        provider = "meta",
        outcome = Empty,
        messages = Empty,
        statuses = Empty,
        rejected = Empty,
    );
    let parsed = parse.in_scope(|| warden_meta::parse_webhook(&body));
    match &parsed {
        Ok(b) => {
            parse.record("outcome", "ok");
            parse.record("messages", b.messages.len());
            parse.record("statuses", b.statuses.len());
            parse.record("rejected", b.rejected.len());
        }
        Err(e) => {
            parse.record("outcome", e.reason());
        }
    }
    let batch = parsed.map_err(|e| {
        tracing::warn!(
            reason = e.reason(),
            "signed Meta payload is not a WhatsApp webhook"
        );
        ApiError::BadRequest(format!("not a WhatsApp Cloud API webhook: {}", e.reason()))
    })?;
    if !batch.rejected.is_empty() {
        for item in &batch.rejected {
            tracing::warn!(
                index = item.index,
                reason = item.reason,
                "Meta webhook item skipped"
            );
        }
    }
    for m in batch.messages {
        if m.phone_number_id != meta.phone_number_id {
            tracing::warn!("Meta message for another business number ignored");
            continue;
        }
        let via = if m.kind.wants_reply() {
            ReplyVia::Outbox
        } else {
            ReplyVia::Silent
        };
        if let Outcome::Advise(ticket) = app.service.handle_inbound(m.inbound, via).await? {
            advise(&app, *ticket).await?;
        }
    }
    for s in batch.statuses {
        if s.phone_number_id != meta.phone_number_id {
            continue;
        }
        apply_status(&app, Provider::Meta, &s.provider_id, s.status, s.error_code).await?;
    }
    Ok((StatusCode::OK, "ok").into_response())
}

fn over_failure_limit(app: &AppState, ip: IpAddr) -> bool {
    let now = app.clock.now();
    app.auth_failures
        .lock()
        .map(|mut l| l.record_failure(ip, now))
        .unwrap_or(true)
}

/// A request that failed authentication: audited (without content) and answered 403, or 429
/// without an audit row once the client is over its failure limit, so forgers cannot flood
/// the audit log.
async fn refuse(app: &AppState, ip: IpAddr, provider: Provider, reason: &'static str) -> ApiError {
    if over_failure_limit(app, ip) {
        tracing::warn!(
            reason,
            "webhook authentication failed; client over its failure limit"
        );
        return ApiError::TooManyFailures;
    }
    tracing::warn!(reason, "webhook authentication failed");
    if let Err(e) = app.service.report_forged_webhook(provider, reason).await {
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
