//! Sending text messages through the Graph API (`POST /{version}/{phone-number-id}/messages`).
//!
//! **No idempotency key.** The Cloud API documents no idempotency header or field for sends
//! (`biz_opaque_callback_data` is only echoed back in status webhooks; Meta does not
//! de-duplicate on it), so none is sent and [`OutboundMessage::idempotency_key`] is unused
//! here. A retry after a lost response can deliver a second copy: delivery is at-least-once,
//! and de-duplication relies on the outbox recording each attempt and each accepted wamid.
//! For the same reason an unreadable success response is `Permanent`, not `Retryable`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use warden_delivery::{MessageSender, OutboundMessage, SendError, SentMessage};
use warden_provider_http::{is_allowed_base_url, read_bounded, retry_after, transport_error};
use warden_types::{Provider, ProviderMessageId};

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_API_VERSION: &str = "v21.0";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `Retry-After` longer than this is taken as this: a garbled header must not park a reply
/// for weeks (the outbox honours `retry_after` above its own cap).
pub use warden_provider_http::MAX_RETRY_AFTER;

/// Graph responses to a send are a few hundred bytes; more is not a Graph response.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Meta error codes that mean "slow down", returned with HTTP 400 rather than 429:
/// 4 (app call rate), 80007 (WABA rate), 130429 (throughput), 131056 (pair rate limit).
/// Retrying later succeeds, so they are classified like a 429.
const THROTTLING_CODES: [i64; 4] = [4, 80007, 130429, 131056];

/// Where and as whom to send. `Debug` hides the access token.
#[derive(Clone)]
pub struct GraphConfig {
    /// Scheme and host, no trailing path. `https` is required except for a loopback host.
    pub base_url: String,
    /// `v` + major + `.` + minor, e.g. `v21.0`.
    pub api_version: String,
    /// The business phone number's Graph id (digits), not the phone number.
    pub phone_number_id: String,
    pub access_token: SecretString,
    /// Bound on one attempt, connection included.
    pub timeout: Duration,
}

impl GraphConfig {
    /// A config with the default base URL, API version and timeout.
    pub fn new(phone_number_id: impl Into<String>, access_token: SecretString) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            phone_number_id: phone_number_id.into(),
            access_token,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a [`MetaSender`] could not be built from its config. Names the setting, not its value.
#[derive(Debug, thiserror::Error)]
pub enum GraphSetupError {
    #[error("Graph base URL must be https (http only for a loopback host), without a path")]
    InvalidBaseUrl,
    #[error("Graph API version must look like v21.0")]
    InvalidApiVersion,
    #[error("Meta phone number id must be decimal digits")]
    InvalidPhoneNumberId,
    #[error("Meta access token is empty")]
    EmptyAccessToken,
    #[error("Graph timeout must be greater than zero")]
    ZeroTimeout,
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// [`MessageSender`] for the WhatsApp Cloud API.
pub struct MetaSender {
    client: Client,
    endpoint: String,
    access_token: SecretString,
    timeout: Duration,
}

impl fmt::Debug for MetaSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaSender")
            .field("endpoint", &self.endpoint)
            .field("access_token", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MetaSender {
    /// Builds its own client: the config's timeout, no redirects (a redirect would carry the
    /// bearer token somewhere else).
    pub fn new(config: GraphConfig) -> Result<Self, GraphSetupError> {
        let client =
            warden_provider_http::client(config.timeout).map_err(GraphSetupError::HttpClient)?;
        Self::with_client(config, client)
    }

    /// Uses a shared client. The config's timeout is still applied to every request.
    pub fn with_client(config: GraphConfig, client: Client) -> Result<Self, GraphSetupError> {
        let base = config.base_url.trim_end_matches('/');
        if !is_allowed_base_url(base) {
            return Err(GraphSetupError::InvalidBaseUrl);
        }
        if !is_api_version(&config.api_version) {
            return Err(GraphSetupError::InvalidApiVersion);
        }
        let id = &config.phone_number_id;
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphSetupError::InvalidPhoneNumberId);
        }
        if config.access_token.expose_secret().is_empty() {
            return Err(GraphSetupError::EmptyAccessToken);
        }
        if config.timeout.is_zero() {
            return Err(GraphSetupError::ZeroTimeout);
        }
        Ok(Self {
            client,
            endpoint: format!("{base}/{}/{id}/messages", config.api_version),
            access_token: config.access_token,
            timeout: config.timeout,
        })
    }
}

#[async_trait]
impl MessageSender for MetaSender {
    fn provider(&self) -> Provider {
        Provider::Meta
    }

    async fn send(&self, msg: &OutboundMessage) -> Result<SentMessage, SendError> {
        let body = serde_json::to_vec(&TextMessage::new(msg)).map_err(|_| permanent("encode"))?;
        let response = self
            .client
            .post(&self.endpoint)
            .bearer_auth(self.access_token.expose_secret())
            .header(CONTENT_TYPE, "application/json")
            .timeout(self.timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = read_bounded(response, MAX_RESPONSE_BYTES).await;
        if status.is_success() {
            // Meta accepted the request; if we cannot read the id, retrying would send a copy.
            return bytes
                .as_deref()
                .and_then(sent_id)
                .map(|provider_id| SentMessage { provider_id })
                .ok_or_else(|| permanent("unreadable_response"));
        }
        let code = bytes.as_deref().and_then(graph_error_code);
        Err(classify(status, code, retry_after))
    }
}

/// The send body. `to` keeps the `+`: Meta prepends the *business* number's country code to
/// a number without it ("If the plus sign is omitted ... This can result in undelivered or
/// misdelivered messages", Sending messages guide, "WhatsApp user phone number formats").
#[derive(Serialize)]
struct TextMessage<'a> {
    messaging_product: &'static str,
    recipient_type: &'static str,
    to: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    text: Text<'a>,
}

#[derive(Serialize)]
struct Text<'a> {
    /// No link previews: a reply quoting a user-supplied URL must not make WhatsApp fetch it.
    preview_url: bool,
    body: &'a str,
}

impl<'a> TextMessage<'a> {
    fn new(msg: &'a OutboundMessage) -> Self {
        Self {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: msg.to.as_e164(),
            kind: "text",
            text: Text {
                preview_url: false,
                body: msg.body.as_str(),
            },
        }
    }
}

#[derive(Deserialize)]
struct SendResponse {
    messages: Vec<SentId>,
}

#[derive(Deserialize)]
struct SentId {
    id: String,
}

#[derive(Deserialize)]
struct GraphErrorEnvelope {
    error: GraphError,
}

/// Only the code: `message` and `error_data.details` can quote the recipient's number.
#[derive(Deserialize)]
struct GraphError {
    code: Option<i64>,
}

fn sent_id(body: &[u8]) -> Option<ProviderMessageId> {
    let response: SendResponse = serde_json::from_slice(body).ok()?;
    let first = response.messages.into_iter().next()?;
    ProviderMessageId::new(&first.id).ok()
}

fn graph_error_code(body: &[u8]) -> Option<i64> {
    serde_json::from_slice::<GraphErrorEnvelope>(body)
        .ok()?
        .error
        .code
}

fn classify(status: StatusCode, code: Option<i64>, retry_after: Option<Duration>) -> SendError {
    match SendError::from_http_status(status.as_u16(), code, retry_after) {
        SendError::Permanent { reason } if code.is_some_and(|c| THROTTLING_CODES.contains(&c)) => {
            SendError::Retryable {
                reason,
                retry_after,
            }
        }
        other => other,
    }
}

fn permanent(reason: &str) -> SendError {
    SendError::Permanent {
        reason: reason.to_owned(),
    }
}

fn is_api_version(version: &str) -> bool {
    let Some((major, minor)) = version.strip_prefix('v').and_then(|v| v.split_once('.')) else {
        return false;
    };
    let digits = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_throttling_codes_are_retryable_even_with_http_400() {
        for code in THROTTLING_CODES {
            let e = classify(StatusCode::BAD_REQUEST, Some(code), None);
            assert!(matches!(e, SendError::Retryable { .. }), "{code}");
            assert_eq!(e.reason(), format!("http_400_code_{code}"));
        }
        let e = classify(StatusCode::BAD_REQUEST, Some(131047), None);
        assert!(matches!(e, SendError::Permanent { .. }));
    }

    #[test]
    fn api_version_has_the_graph_shape() {
        for ok in ["v21.0", "v9.0", "v100.10"] {
            assert!(is_api_version(ok), "{ok}");
        }
        for bad in ["21.0", "v21", "v21.0/../x", "v.0", "V21.0", ""] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn config_debug_hides_the_access_token() {
        let config = GraphConfig::new(
            "106540352242922",
            SecretString::from("EAAJB-secret".to_owned()),
        );
        let shown = format!("{config:?}");
        assert!(!shown.contains("EAAJB"), "{shown}");
        let sender = MetaSender::new(config).unwrap();
        let shown = format!("{sender:?}");
        assert!(!shown.contains("EAAJB"), "{shown}");
    }
}
