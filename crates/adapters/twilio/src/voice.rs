//! Placing outbound voice calls through Twilio's Programmable Voice REST API
//! (`POST /2010-04-01/Accounts/{AccountSid}/Calls.json`): the marketplace's [`CallPlacer`].
//!
//! **What the call says.** The script travels inline as the `Twiml` parameter, not as a `Url`
//! Twilio would fetch: an inline script needs no second public endpoint (which would have to
//! verify Twilio's signature and be reachable before the call connects), cannot be swapped by
//! whoever controls that endpoint, and fixes the words at the moment the call was decided. The
//! script names only the request reference (`R-7F3K2Q`, a keyed hash that identifies nobody),
//! spelled out one character at a time so it survives text-to-speech; never a number or a name.
//!
//! **No idempotency key, no retries.** As for Messages (see `rest.rs`), Twilio documents no
//! idempotency parameter for creating a Call, so a retry after a lost response may ring the
//! phone twice. The port leaves retries to the caller (after a fresh consent decision), and a
//! 2xx whose body cannot be read is [`CallError::Permanent`]: Twilio most likely placed the call.
//!
//! **Codes only.** [`CallError`] carries a `&'static str` that goes to the audit log. Twilio's
//! error body (`{"code":21211,"message":"The 'To' number +1… is not a valid phone number",…}`)
//! contributes at most its numeric code, and only when it is one of the documented codes listed
//! in `twilio_code`; `message` is never read, since it can quote the number. Nothing here logs.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use secrecy::SecretString;
use warden_delivery::SendError;
use warden_marketplace::{CallError, CallPlacer, CallSid, RequestRef};
use warden_types::PhoneNumber;

use crate::account::{self, RestAccount};
use crate::rest::{RestConfig, RestSetupError};
use crate::twiml::push_escaped;
use crate::{DEFAULT_API_URL, DEFAULT_TIMEOUT};

/// Whom to call from, and where the API is. `Debug` hides the auth token and the status
/// callback (which may carry credentials); the caller id prints masked.
#[derive(Clone)]
pub struct VoiceConfig {
    /// Scheme and host, no path. `https` is required except for a loopback host (tests).
    pub api_url: String,
    /// `AC` + 32 hex digits; the username of HTTP Basic auth and part of the URL.
    pub account_sid: String,
    pub auth_token: SecretString,
    /// A voice-capable Twilio number (or verified caller id), sent as plain E.164.
    pub from: PhoneNumber,
    /// Bound on the create request (connection and response body included), not on the call.
    pub timeout: Duration,
    /// Public `https` URL Twilio posts the call's status to when it completes.
    pub status_callback: Option<String>,
}

impl VoiceConfig {
    /// A config with the default API URL and timeout and no status callback.
    pub fn new(account_sid: String, auth_token: SecretString, from: PhoneNumber) -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_owned(),
            account_sid,
            auth_token,
            from,
            timeout: DEFAULT_TIMEOUT,
            status_callback: None,
        }
    }
}

impl VoiceConfig {
    /// The same settings as a [`RestConfig`], which [`RestAccount`] validates and uses.
    fn into_rest(self) -> RestConfig {
        RestConfig {
            api_url: self.api_url,
            account_sid: self.account_sid,
            auth_token: self.auth_token,
            from: self.from,
            timeout: self.timeout,
            status_callback: self.status_callback,
        }
    }
}

impl fmt::Debug for VoiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.clone().into_rest().debug_as("VoiceConfig", f)
    }
}

/// [`CallPlacer`] through Twilio's Programmable Voice REST API. Built by [`TwilioVoice::new`],
/// which refuses a config that could leak the credentials (see [`RestSetupError`]).
pub struct TwilioVoice {
    account: RestAccount,
}

impl fmt::Debug for TwilioVoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.account.debug_as("TwilioVoice", f)
    }
}

impl TwilioVoice {
    /// Validates the config (the same rules as [`crate::TwilioSender::new`]) and builds a client
    /// of its own: the config's timeout, and no redirects, so the Basic-auth credentials are
    /// only ever sent to the configured host.
    pub fn new(config: VoiceConfig) -> Result<Self, RestSetupError> {
        Ok(Self {
            account: RestAccount::new(config.into_rest(), "Calls")?,
        })
    }

    /// `To`, `From`, `Twiml` and, when configured, `StatusCallback`, form-encoded.
    fn form(&self, to: &PhoneNumber, reference: &RequestRef) -> Result<String, CallError> {
        let twiml = call_twiml(reference);
        self.account
            .form(vec![
                ("To", to.as_e164()),
                ("From", self.account.from().as_e164()),
                ("Twiml", twiml.as_str()),
            ])
            .ok_or(CallError::Permanent("encode"))
    }
}

#[async_trait]
impl CallPlacer for TwilioVoice {
    async fn place_call(
        &self,
        to: &PhoneNumber,
        reference: &RequestRef,
    ) -> Result<CallSid, CallError> {
        let form = self.form(to, reference)?;
        let response = self
            .account
            .post_form(form)
            .await
            .map_err(|e| transport_call_error(&e))?;
        let body = response.body.as_deref();
        if response.status.is_success() {
            // Twilio accepted the call and will ring; if we cannot read its id, retrying
            // would most likely ring the phone a second time.
            return body
                .and_then(created_call_sid)
                .ok_or(CallError::Permanent("unreadable_response"));
        }
        Err(classify(response.status, body))
    }
}

/// The script Twilio speaks when the callee answers, as TwiML. It names the request by its
/// reference only, each character separated by a pause (`R-7F3K2Q` → "R, 7, F, 3, K, 2, Q"),
/// and says it twice. The reference's alphabet is XML-safe already; it is escaped anyway, so
/// the script stays well-formed whatever a future reference format allows.
pub fn call_twiml(reference: &RequestRef) -> String {
    let spelled = spell_out(reference.as_str());
    let mut out = String::with_capacity(256);
    out.push_str("<Response><Say>");
    push_escaped(
        &mut out,
        &format!(
            "Hello. This is your Warden concierge, calling about your request {spelled}. \
             Again, the reference is {spelled}. Please continue on WhatsApp. Goodbye."
        ),
    );
    out.push_str("</Say></Response>");
    out
}

/// `R-7F3K2Q` → `R, 7, F, 3, K, 2, Q`: the dash dropped, the rest read one by one.
fn spell_out(reference: &str) -> String {
    reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The created Call's id, if it is a `CA…` id.
fn created_call_sid(body: &[u8]) -> Option<CallSid> {
    let sid = account::created_sid(body)?;
    is_call_sid(&sid).then(|| CallSid::new(&sid).ok()).flatten()
}

/// `CA` then 32 hex digits, Twilio's pattern for a Call SID.
fn is_call_sid(sid: &str) -> bool {
    sid.strip_prefix("CA")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Timeouts, throttling (429) and provider errors (5xx) are retryable; everything else will
/// fail again. A 4xx is named by Twilio's code when it is a documented one, else by status.
fn classify(status: StatusCode, body: Option<&[u8]>) -> CallError {
    let code = status.as_u16();
    if code == 429 || code == 408 || status.is_server_error() {
        return CallError::Retryable(status_name(code));
    }
    if status.is_client_error() {
        if let Some(name) = body
            .and_then(account::twilio_error_code)
            .and_then(twilio_code)
        {
            return CallError::Permanent(name);
        }
    }
    CallError::Permanent(status_name(code))
}

/// Maps each listed literal to `"<prefix><literal>"`, so the number and its name cannot drift.
macro_rules! static_names {
    ($value:expr, $prefix:literal, [$($n:literal),* $(,)?]) => {
        match $value {
            $( $n => Some(concat!($prefix, stringify!($n))), )*
            _ => None,
        }
    };
}

/// Twilio's error code as an audit code (`twilio_21211`), for the codes Twilio documents for
/// creating a Call and for account or authentication trouble. [`CallError`] holds a
/// `&'static str`, so the codes are a closed list; any other code is dropped and the error is
/// named by its HTTP status.
fn twilio_code(code: i64) -> Option<&'static str> {
    static_names!(
        code,
        "twilio_",
        [
            // Authentication and account state.
            20003, 20005, 20008, 20404, 20429, //
            // Call creation: missing or invalid To/From/Url/Twiml, permissions, trial limits.
            21201, 21202, 21203, 21204, 21205, 21206, 21207, 21208, 21209, 21210, 21211, 21212,
            21213, 21214, 21215, 21216, 21217, 21218, 21219, 21220, 21401, 21402, 21403, 21404,
            // Dial / TwiML.
            13223, 13224, 13225, 13227,
        ]
    )
}

/// The audit code of an HTTP status with no usable Twilio code.
fn status_name(code: u16) -> &'static str {
    static_names!(
        code,
        "http_",
        [
            300, 301, 302, 303, 304, 307, 308, 400, 401, 402, 403, 404, 405, 406, 408, 409, 410,
            411, 412, 413, 414, 415, 422, 429, 500, 501, 502, 503, 504,
        ]
    )
    .unwrap_or(match code {
        500..=599 => "http_5xx",
        400..=499 => "http_4xx",
        300..=399 => "http_3xx",
        _ => "http_other",
    })
}

/// The shared transport classification (`timeout`, `connect`, `transport`) as a static code.
fn transport_call_error(error: &SendError) -> CallError {
    CallError::Retryable(match error.reason() {
        "timeout" => "timeout",
        "connect" => "connect",
        _ => "transport",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_sid_is_ca_and_32_hex_digits() {
        assert!(is_call_sid("CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7"));
        for bad in [
            "",
            "CA",
            "SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7",
            "ca7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7",
            "CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e",
            "CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7f",
            "CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8eg",
        ] {
            assert!(!is_call_sid(bad), "{bad:?}");
        }
    }

    #[test]
    fn codes_are_named_after_their_number() {
        assert_eq!(twilio_code(21211), Some("twilio_21211"));
        assert_eq!(twilio_code(99999), None);
        assert_eq!(status_name(503), "http_503");
        assert_eq!(status_name(599), "http_5xx");
        assert_eq!(status_name(451), "http_4xx");
    }

    #[test]
    fn reference_is_spelled_out_for_speech() {
        let reference = RequestRef::parse("R-7F3K2Q").unwrap();
        assert_eq!(spell_out(reference.as_str()), "R, 7, F, 3, K, 2, Q");
        let twiml = call_twiml(&reference);
        assert!(twiml.starts_with("<Response><Say>"), "{twiml}");
        assert!(twiml.ends_with("</Say></Response>"), "{twiml}");
        assert_eq!(twiml.matches("R, 7, F, 3, K, 2, Q").count(), 2, "{twiml}");
    }
}
