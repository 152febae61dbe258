//! Sending WhatsApp messages through Twilio's REST API
//! (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`).
//!
//! **No idempotency key.** Twilio documents no idempotency header or parameter for creating a
//! Message: `I-Twilio-Idempotency-Token` is a header Twilio *sends* on its webhooks so receivers
//! can drop retried deliveries, and the Message create parameters (Twilio's OpenAPI spec and
//! the SDKs generated from it) include nothing of the kind. Sending an undocumented header would
//! only suggest a guarantee nobody gives, so [`OutboundMessage::idempotency_key`] is unused here.
//! A retry after a lost response can therefore deliver a second copy: delivery is
//! at-least-once, and de-duplication relies on the outbox recording each attempt and each
//! accepted `SM…` id. For the same reason an unreadable success response is `Permanent`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use warden_delivery::{MessageSender, OutboundMessage, SendError, SentMessage};
use warden_types::{PhoneNumber, Provider, ProviderMessageId};

// The tests match the request's content type.
#[cfg(test)]
use crate::account::FORM_CONTENT_TYPE;
use crate::account::{self, RestAccount};
use crate::status::is_message_sid;

pub const DEFAULT_API_URL: &str = "https://api.twilio.com";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `Retry-After` longer than this is taken as this: a garbled header must not park a reply
/// for weeks (the outbox honours `retry_after` above its own backoff cap).
pub use warden_provider_http::MAX_RETRY_AFTER;

/// Where and as whom to send. `Debug` hides the auth token.
#[derive(Clone)]
pub struct RestConfig {
    /// Scheme and host, no path. `https` is required except for a loopback host (tests).
    pub api_url: String,
    /// `AC` + 32 hex digits; the username of HTTP Basic auth and part of the URL.
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The business's WhatsApp sender, sent as `whatsapp:+<E.164>`.
    pub from: PhoneNumber,
    /// Bound on one attempt, connection and response body included.
    pub timeout: Duration,
    /// Public `https` URL Twilio posts status callbacks to (see [`crate::parse_status_callback`]).
    pub status_callback: Option<String>,
}

impl RestConfig {
    /// A config with the default API URL and timeout and no status callback.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: SecretString,
        from: PhoneNumber,
    ) -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_owned(),
            account_sid: account_sid.into(),
            auth_token,
            from,
            timeout: DEFAULT_TIMEOUT,
            status_callback: None,
        }
    }
}

impl fmt::Debug for RestConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("RestConfig", f)
    }
}

impl RestConfig {
    /// `Debug` under `name` (also [`crate::VoiceConfig`]'s): the auth token redacted, the
    /// status callback only as set or not.
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("api_url", &self.api_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            // Callback URLs may carry Basic-auth credentials (`https://user:pass@host/...`).
            .field(
                "status_callback",
                &self.status_callback.as_ref().map(|_| "[set]"),
            )
            .finish()
    }
}

/// Why a [`TwilioSender`] could not be built from its config. Names the setting, not its value.
#[derive(Debug, thiserror::Error)]
pub enum RestSetupError {
    #[error("Twilio API URL must be https (http only for a loopback host), without a path")]
    InvalidApiUrl,
    #[error("Twilio account SID must be AC followed by 32 hex digits")]
    InvalidAccountSid,
    #[error("Twilio auth token is empty")]
    EmptyAuthToken,
    #[error("Twilio request timeout must be greater than zero")]
    ZeroTimeout,
    #[error("Twilio status callback must be an https URL without spaces or control characters")]
    InvalidStatusCallback,
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// [`MessageSender`] for WhatsApp through Twilio's Programmable Messaging REST API.
pub struct TwilioSender {
    account: RestAccount,
}

impl fmt::Debug for TwilioSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.account.debug_as("TwilioSender", f)
    }
}

impl TwilioSender {
    /// Validates the config and builds a client of its own: the config's timeout, and no
    /// redirects, so the Basic-auth credentials are only ever sent to the configured host.
    /// (No constructor takes a caller's client, which might follow redirects.)
    pub fn new(config: RestConfig) -> Result<Self, RestSetupError> {
        Ok(Self {
            account: RestAccount::new(config, "Messages")?,
        })
    }

    /// `To`, `From`, `Body` and, when configured, `StatusCallback`, form-encoded.
    fn form(&self, msg: &OutboundMessage) -> Result<String, SendError> {
        let to = whatsapp_address(&msg.to);
        let from = whatsapp_address(self.account.from());
        self.account
            .form(vec![
                ("To", to.as_str()),
                ("From", from.as_str()),
                ("Body", msg.body.as_str()),
            ])
            .ok_or_else(|| permanent("encode"))
    }
}

#[async_trait]
impl MessageSender for TwilioSender {
    fn provider(&self) -> Provider {
        Provider::Twilio
    }

    async fn send(&self, msg: &OutboundMessage) -> Result<SentMessage, SendError> {
        let form = self.form(msg)?;
        let response = self.account.post_form(form).await?;
        let body = response.body.as_deref();
        if response.status.is_success() {
            // Twilio created the Message and will deliver it; if we cannot read its id,
            // retrying would most likely send the recipient a second copy.
            return body
                .and_then(created_message_id)
                .map(|provider_id| SentMessage { provider_id })
                .ok_or_else(|| permanent("unreadable_response"));
        }
        let code = body.and_then(account::twilio_error_code);
        Err(SendError::from_http_status(
            response.status.as_u16(),
            code,
            response.retry_after,
        ))
    }
}

/// Twilio's address for a WhatsApp user: the channel prefix, then E.164 (with the `+`).
fn whatsapp_address(number: &PhoneNumber) -> String {
    format!("whatsapp:{}", number.as_e164())
}

/// The created Message's id, if it is an `SM…` id.
fn created_message_id(body: &[u8]) -> Option<ProviderMessageId> {
    let sid = account::created_sid(body)?;
    is_message_sid(&sid)
        .then(|| ProviderMessageId::new(&sid).ok())
        .flatten()
}

fn permanent(reason: &str) -> SendError {
    SendError::Permanent {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use warden_delivery::IdempotencyKey;
    use warden_types::MessageBody;
    use wiremock::matchers::{body_string, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
    const SID: &str = "SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7";
    const MESSAGES_PATH: &str =
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
    const RECIPIENT_DIGITS: &str = "4155550123";

    fn config(api_url: &str) -> RestConfig {
        RestConfig {
            api_url: api_url.to_owned(),
            ..RestConfig::new(
                ACCOUNT,
                SecretString::from(TOKEN.to_owned()),
                PhoneNumber::parse("+14155550100").unwrap(),
            )
        }
    }

    fn sender(server: &MockServer) -> TwilioSender {
        TwilioSender::new(config(&server.uri())).unwrap()
    }

    fn message(body: &str) -> OutboundMessage {
        OutboundMessage {
            to: PhoneNumber::parse("+14155550123").unwrap(),
            body: MessageBody::new(body),
            idempotency_key: IdempotencyKey::new("ob-42").unwrap(),
        }
    }

    /// Trimmed from the documented Message resource a create returns.
    fn created_body() -> serde_json::Value {
        serde_json::json!({
            "account_sid": ACCOUNT,
            "api_version": "2010-04-01",
            "body": "Done: call the dentist",
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": "whatsapp:+14155550100",
            "num_segments": "1",
            "sid": SID,
            "status": "queued",
            "to": "whatsapp:+14155550123",
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json"),
        })
    }

    fn twilio_error(status: u16, code: i64, text: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(serde_json::json!({
            "code": code,
            "message": text,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }))
    }

    async fn send_once(server: &MockServer, response: ResponseTemplate) -> SendError {
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .respond_with(response)
            .expect(1)
            .mount(server)
            .await;
        sender(server).send(&message("hi")).await.unwrap_err()
    }

    #[tokio::test]
    async fn sends_one_form_post_with_basic_auth_to_the_account_messages_endpoint() {
        let server = MockServer::start().await;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .and(header("authorization", format!("Basic {basic}").as_str()))
            .and(header("content-type", FORM_CONTENT_TYPE))
            .and(body_string(
                "To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155550100\
                 &Body=Done%3A+call+the+dentist+%26+pay+50%25",
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
            .expect(1)
            .mount(&server)
            .await;

        let sender = sender(&server);
        assert_eq!(sender.provider(), Provider::Twilio);
        let sent = sender
            .send(&message("Done: call the dentist & pay 50%"))
            .await
            .unwrap();
        assert_eq!(sent.provider_id.as_str(), SID);
    }

    #[tokio::test]
    async fn status_callback_url_is_requested_when_configured() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .and(body_string(
                "To=whatsapp%3A%2B14155550123&From=whatsapp%3A%2B14155550100&Body=hi\
                 &StatusCallback=https%3A%2F%2Fwarden.example.com%2Fwebhooks%2Ftwilio%2Fstatus",
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
            .expect(1)
            .mount(&server)
            .await;
        let sender = TwilioSender::new(RestConfig {
            status_callback: Some("https://warden.example.com/webhooks/twilio/status".into()),
            ..config(&server.uri())
        })
        .unwrap();
        assert_eq!(
            sender
                .send(&message("hi"))
                .await
                .unwrap()
                .provider_id
                .as_str(),
            SID
        );
    }

    #[tokio::test]
    async fn twilio_server_errors_are_retryable() {
        let server = MockServer::start().await;
        let err = send_once(&server, ResponseTemplate::new(500)).await;
        assert_eq!(
            err,
            SendError::Retryable {
                reason: "http_500".into(),
                retry_after: None
            }
        );
    }

    #[tokio::test]
    async fn throttled_send_waits_as_long_as_twilio_asks() {
        let server = MockServer::start().await;
        let response =
            twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "3");
        let err = send_once(&server, response).await;
        assert_eq!(
            err,
            SendError::Retryable {
                reason: "http_429_code_20429".into(),
                retry_after: Some(Duration::from_secs(3)),
            }
        );
    }

    #[tokio::test]
    async fn invalid_recipient_is_permanent_and_named_by_code_only() {
        let server = MockServer::start().await;
        let text = "The 'To' number whatsapp:+14155550123 is not a valid phone number.";
        let err = send_once(&server, twilio_error(400, 21211, text)).await;
        assert_eq!(
            err,
            SendError::Permanent {
                reason: "http_400_code_21211".into()
            }
        );
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(RECIPIENT_DIGITS), "{shown}");
        assert!(!shown.contains("not a valid"), "{shown}");
    }

    #[tokio::test]
    async fn error_without_a_readable_code_is_classified_by_status_alone() {
        let server = MockServer::start().await;
        let html = ResponseTemplate::new(503).set_body_string("<html>+14155550123</html>");
        let err = send_once(&server, html).await;
        assert_eq!(err.reason(), "http_503");
        assert!(!format!("{err:?}").contains(RECIPIENT_DIGITS));
    }

    #[tokio::test]
    async fn slow_twilio_is_a_retryable_timeout() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(created_body())
                    .set_delay(Duration::from_secs(2)),
            )
            .mount(&server)
            .await;
        let sender = TwilioSender::new(RestConfig {
            timeout: Duration::from_millis(200),
            ..config(&server.uri())
        })
        .unwrap();
        assert_eq!(
            sender.send(&message("hi")).await,
            Err(SendError::Retryable {
                reason: "timeout".into(),
                retry_after: None
            })
        );
    }

    #[tokio::test]
    async fn unreachable_twilio_is_a_retryable_connect_failure() {
        // Bind, learn the port, close: nothing listens there any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sender = TwilioSender::new(config(&format!("http://127.0.0.1:{port}"))).unwrap();
        assert_eq!(
            sender.send(&message("hi")).await,
            Err(SendError::Retryable {
                reason: "connect".into(),
                retry_after: None
            })
        );
    }

    #[tokio::test]
    async fn accepted_message_with_unreadable_response_is_not_retried() {
        let oversized = format!("{{\"sid\":\"{SID}\",\"pad\":\"{}\"}}", "x".repeat(70_000));
        for body in [
            "not json".to_owned(),
            "{}".to_owned(),
            r#"{"sid":"SM123"}"#.to_owned(),
            r#"{"sid":"MG7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7"}"#.to_owned(),
            oversized,
        ] {
            let server = MockServer::start().await;
            let err = send_once(&server, ResponseTemplate::new(201).set_body_string(body)).await;
            assert_eq!(err, permanent("unreadable_response"));
        }
    }

    #[tokio::test]
    async fn redirects_are_not_followed_with_the_credentials() {
        let server = MockServer::start().await;
        Mock::given(path("/elsewhere"))
            .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
            .expect(0)
            .mount(&server)
            .await;
        let redirect = ResponseTemplate::new(307)
            .insert_header("Location", format!("{}/elsewhere", server.uri()).as_str());
        let err = send_once(&server, redirect).await;
        assert_eq!(err, permanent("http_307"));
    }

    #[test]
    fn debug_never_shows_the_auth_token_or_full_numbers() {
        let mut cfg = config(DEFAULT_API_URL);
        cfg.status_callback = Some("https://user:hunter2@warden.example.com/status".into());
        let sender = TwilioSender::new(cfg.clone()).unwrap();
        for shown in [format!("{cfg:?}"), format!("{sender:?}")] {
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("4155550100"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }

    #[test]
    fn malformed_account_sid_is_refused_before_it_reaches_the_url() {
        for bad in [
            "",
            "AC123",
            "ac0123456789abcdef0123456789abcdef",
            "AC0123456789abcdef0123456789abcdeg",
            "AC0123456789abcdef0123456789abcdef0",
            "AC0123456789abcdef0123456789abc/..",
            "SK0123456789abcdef0123456789abcdef",
        ] {
            let cfg = RestConfig {
                account_sid: bad.to_owned(),
                ..config(DEFAULT_API_URL)
            };
            assert!(
                matches!(
                    TwilioSender::new(cfg),
                    Err(RestSetupError::InvalidAccountSid)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn credentials_travel_only_over_https_or_loopback() {
        for ok in [
            "https://api.twilio.com",
            "https://api.twilio.com/",
            "https://api.dublin.ie1.twilio.com:443",
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:1",
        ] {
            assert!(TwilioSender::new(config(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "api.twilio.com",
            "http://api.twilio.com",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "http://localhost@evil.example",
            "https://api.twilio.com/2010-04-01",
            "https://api.twilio.com?x=1",
            "https://",
            "ftp://api.twilio.com",
        ] {
            assert!(
                matches!(
                    TwilioSender::new(config(bad)),
                    Err(RestSetupError::InvalidApiUrl)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unusable_settings_are_refused() {
        let empty_token = RestConfig {
            auth_token: SecretString::from(String::new()),
            ..config(DEFAULT_API_URL)
        };
        assert!(matches!(
            TwilioSender::new(empty_token),
            Err(RestSetupError::EmptyAuthToken)
        ));
        let zero = RestConfig {
            timeout: Duration::ZERO,
            ..config(DEFAULT_API_URL)
        };
        assert!(matches!(
            TwilioSender::new(zero),
            Err(RestSetupError::ZeroTimeout)
        ));
        for bad in [
            "http://warden.example.com/status",
            "https://",
            "https:///status",
            "https://warden.example.com/sta tus",
            "https://warden.example.com/status\n",
            "warden.example.com/status",
        ] {
            let cfg = RestConfig {
                status_callback: Some(bad.to_owned()),
                ..config(DEFAULT_API_URL)
            };
            assert!(
                matches!(
                    TwilioSender::new(cfg),
                    Err(RestSetupError::InvalidStatusCallback)
                ),
                "{bad:?}"
            );
        }
    }
}
