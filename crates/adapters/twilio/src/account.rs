//! The part of Twilio's REST API that [`crate::TwilioSender`] (Messages) and
//! [`crate::TwilioVoice`] (Calls) share: the validated account settings, a client of its own,
//! and one Basic-auth form POST to `/2010-04-01/Accounts/{AccountSid}/{Resource}.json` whose
//! answer is read within a bound. Each adapter keeps its own form fields and its own reading of
//! the answer.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Client, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use warden_delivery::SendError;
use warden_provider_http::{is_allowed_base_url, read_bounded, retry_after, transport_error};
use warden_types::PhoneNumber;

use crate::rest::{RestConfig, RestSetupError};

/// A Message or Call resource is one or two KB of JSON; far more is not Twilio's answer.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// A validated Twilio account bound to one REST resource (`Messages`, `Calls`).
pub(crate) struct RestAccount {
    client: Client,
    endpoint: String,
    account_sid: String,
    auth_token: SecretString,
    from: PhoneNumber,
    status_callback: Option<String>,
    timeout: Duration,
}

/// What [`RestAccount::post_form`] got back: the status, `Retry-After` if any, and the body,
/// `None` when it could not be read in time or exceeded [`MAX_RESPONSE_BYTES`].
pub(crate) struct FormResponse {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Option<Vec<u8>>,
}

impl RestAccount {
    /// Validates the config and builds a client of its own: the config's timeout, and no
    /// redirects, so the Basic-auth credentials are only ever sent to the configured host.
    /// (No constructor takes a caller's client, which might follow redirects.) The
    /// [`crate::VoiceConfig`] comes here as a [`RestConfig`] with the same settings.
    pub fn new(config: RestConfig, resource: &str) -> Result<Self, RestSetupError> {
        let base = config.api_url.trim_end_matches('/');
        if !is_allowed_base_url(base) {
            return Err(RestSetupError::InvalidApiUrl);
        }
        if !is_account_sid(&config.account_sid) {
            return Err(RestSetupError::InvalidAccountSid);
        }
        if config.auth_token.expose_secret().is_empty() {
            return Err(RestSetupError::EmptyAuthToken);
        }
        if config.timeout.is_zero() {
            return Err(RestSetupError::ZeroTimeout);
        }
        if let Some(url) = &config.status_callback {
            if !is_status_callback_url(url) {
                return Err(RestSetupError::InvalidStatusCallback);
            }
        }
        let client =
            warden_provider_http::client(config.timeout).map_err(RestSetupError::HttpClient)?;
        Ok(Self {
            client,
            endpoint: format!(
                "{base}/2010-04-01/Accounts/{}/{resource}.json",
                config.account_sid
            ),
            account_sid: config.account_sid,
            auth_token: config.auth_token,
            from: config.from,
            status_callback: config.status_callback,
            timeout: config.timeout,
        })
    }

    /// The configured sender (WhatsApp number or caller id).
    pub fn from(&self) -> &PhoneNumber {
        &self.from
    }

    /// `fields` then, when configured, `StatusCallback`, form-encoded; `None` if encoding fails.
    pub fn form<'a>(&'a self, mut fields: Vec<(&'a str, &'a str)>) -> Option<String> {
        if let Some(url) = &self.status_callback {
            fields.push(("StatusCallback", url));
        }
        serde_urlencoded::to_string(&fields).ok()
    }

    /// One Basic-auth form POST to the endpoint. A failure before any response is the shared
    /// transport classification (`timeout`, `connect`, `transport`).
    pub async fn post_form(&self, form: String) -> Result<FormResponse, SendError> {
        let response = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header(CONTENT_TYPE, FORM_CONTENT_TYPE)
            .header(ACCEPT, "application/json")
            .timeout(self.timeout)
            .body(form)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = read_bounded(response, MAX_RESPONSE_BYTES).await;
        Ok(FormResponse {
            status,
            retry_after,
            body,
        })
    }

    /// The adapter's `Debug`: endpoint, sender and timeout; never the auth token.
    pub fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("endpoint", &self.endpoint)
            .field("auth_token", &"[redacted]")
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The created resource (Message, Call); only its id is read.
#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body is `{"code":21211,"message":"...","more_info":"...","status":400}`.
/// Only the code: `message` can quote the recipient's number ("The 'To' number ... is not a
/// valid phone number").
#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
}

/// The `sid` of a created resource, unchecked: each adapter checks its own prefix.
pub(crate) fn created_sid(body: &[u8]) -> Option<String> {
    Some(serde_json::from_slice::<Created>(body).ok()?.sid)
}

/// Twilio's numeric error code, if the body is Twilio's error JSON and carries one.
pub(crate) fn twilio_error_code(body: &[u8]) -> Option<i64> {
    serde_json::from_slice::<TwilioError>(body).ok()?.code
}

/// `AC` then 32 hex digits (Twilio's pattern `^AC[0-9a-fA-F]{32}$`). It is interpolated into
/// the request path, so nothing looser is accepted.
fn is_account_sid(sid: &str) -> bool {
    sid.strip_prefix("AC")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Twilio posts status callbacks to this URL; only `https` keeps their content private, and
/// whitespace or control characters would make the URL Twilio signs differ from ours.
fn is_status_callback_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        host_end > 0 && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}
