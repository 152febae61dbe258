//! Twilio's message status callback: what happened to a message we sent.
//!
//! Twilio POSTs a form to the `StatusCallback` URL given at send time each time an outbound
//! message changes status (not for its initial `queued`/`accepted`/`scheduled`). It is signed
//! like the inbound webhook, so the app authenticates it with the same
//! [`crate::WebhookAuthenticator`] before calling [`parse_status_callback`].
//!
//! A WhatsApp status callback carries `MessageSid`, `MessageStatus`, the legacy copies `SmsSid`
//! and `SmsStatus`, `AccountSid`, `From`, `To`, `ChannelToAddress`, `ChannelPrefix`,
//! `ChannelInstallSid`, `ApiVersion`, and depending on the event `EventType` (`DELIVERED`,
//! `READ`, `UNDELIVERED`), `StructuredMessage`, `ErrorCode` and `ChannelStatusMessage`. Twilio
//! adds fields without notice; only `MessageSid`, `MessageStatus` and `ErrorCode` are read, and
//! each at most once (the same rule as [`crate::normalise`]). The addresses are never read:
//! the message id is what ties a callback to the outbox row.
//!
//! Callbacks arrive out of order and may repeat; [`DeliveryStatus::advance`] makes applying
//! them idempotent, so nothing here de-duplicates.

use warden_delivery::DeliveryStatus;
use warden_types::ProviderMessageId;

/// Why a status callback form is not usable. Names the field, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("status callback field {0} is missing")]
    MissingField(&'static str),
    #[error("status callback field {0} is invalid or repeated")]
    InvalidField(&'static str),
}

/// One status report for a message Warden sent through Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// The `SM…` id Twilio returned when the message was sent.
    pub provider_id: ProviderMessageId,
    /// `None` for statuses that say nothing the outbox records (`queued`, `sending`,
    /// `accepted`, `scheduled`): the message is still on its way.
    pub status: Option<DeliveryStatus>,
    /// Twilio's numeric error code (e.g. 63016: outside the 24-hour WhatsApp window), present
    /// when the message failed. A code, never Twilio's text, which can quote the recipient.
    pub error_code: Option<i64>,
}

const MESSAGE_SID: &str = "MessageSid";
const MESSAGE_STATUS: &str = "MessageStatus";
const ERROR_CODE: &str = "ErrorCode";

/// Twilio's error codes are five digits; nine leaves room without accepting an overflow.
const MAX_ERROR_CODE_DIGITS: usize = 9;

/// Reads an authenticated status callback form.
///
/// - `MessageSid` is required: `SM`/`MM` + 32 hex digits, as for inbound messages.
/// - `MessageStatus` is required and must be one of Twilio's outbound statuses:
///   `sent` → `Sent`, `delivered` → `Delivered`, `read` → `Read`; `undelivered`, `failed` and
///   `canceled` → `Failed`; `queued`, `sending`, `accepted`, `scheduled` → `None`.
///   `received`/`receiving` (an inbound message webhook pointed at the status URL by mistake)
///   and anything unknown are refused rather than guessed at; Twilio's other documented value,
///   `partially_delivered`, concerns multi-recipient MMS, which Warden never sends.
/// - `ErrorCode` is optional: decimal digits, or empty (no code).
pub fn parse_status_callback(params: &[(String, String)]) -> Result<StatusCallback, StatusError> {
    let sid = single(params, MESSAGE_SID)?.ok_or(StatusError::MissingField(MESSAGE_SID))?;
    let provider_id = is_message_sid(sid)
        .then(|| ProviderMessageId::new(sid).ok())
        .flatten()
        .ok_or(StatusError::InvalidField(MESSAGE_SID))?;

    let status =
        single(params, MESSAGE_STATUS)?.ok_or(StatusError::MissingField(MESSAGE_STATUS))?;
    let status = delivery_status(status).ok_or(StatusError::InvalidField(MESSAGE_STATUS))?;

    let error_code = match single(params, ERROR_CODE)? {
        None | Some("") => None,
        Some(code) => Some(parse_error_code(code).ok_or(StatusError::InvalidField(ERROR_CODE))?),
    };

    Ok(StatusCallback {
        provider_id,
        status,
        error_code,
    })
}

/// `Some(None)`: a known status that changes nothing. `None`: not a status we accept.
fn delivery_status(raw: &str) -> Option<Option<DeliveryStatus>> {
    Some(match raw {
        "queued" | "sending" | "accepted" | "scheduled" => None,
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" => Some(DeliveryStatus::Delivered),
        "read" => Some(DeliveryStatus::Read),
        "undelivered" | "failed" | "canceled" => Some(DeliveryStatus::Failed),
        _ => return None,
    })
}

fn parse_error_code(raw: &str) -> Option<i64> {
    let plain = raw.len() <= MAX_ERROR_CODE_DIGITS && raw.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| raw.parse().ok()).flatten()
}

fn single<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> Result<Option<&'a str>, StatusError> {
    crate::form::single(params, name).map_err(|_| StatusError::InvalidField(name))
}

pub(crate) use crate::inbound::is_message_sid;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{normalise, parse_form};
    use proptest::prelude::*;

    // The `status_*.form` fixtures are WhatsApp status callback bodies in the fields, order and
    // encoding of captured Twilio callbacks (including Twilio's `XXXX` masking of
    // `ChannelToAddress`); the failure ones follow the documented field list, not a capture.
    // Every number and SID is fake (`+1 415 555 01xx` is a fictional range).
    const SID: &str = "SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7";

    fn fixture(body: &[u8]) -> Vec<(String, String)> {
        parse_form(body).unwrap()
    }

    fn sent() -> Vec<(String, String)> {
        fixture(include_bytes!("fixtures/status_sent.form"))
    }

    fn with(params: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
        let mut out: Vec<_> = params.iter().filter(|(k, _)| k != key).cloned().collect();
        out.push((key.to_owned(), value.to_owned()));
        out
    }

    fn without(params: &[(String, String)], key: &str) -> Vec<(String, String)> {
        params.iter().filter(|(k, _)| k != key).cloned().collect()
    }

    #[test]
    fn real_sent_delivered_and_read_callbacks_advance_delivery() {
        for (body, expected) in [
            (
                &include_bytes!("fixtures/status_sent.form")[..],
                DeliveryStatus::Sent,
            ),
            (
                include_bytes!("fixtures/status_delivered.form"),
                DeliveryStatus::Delivered,
            ),
            (
                include_bytes!("fixtures/status_read.form"),
                DeliveryStatus::Read,
            ),
        ] {
            let cb = parse_status_callback(&fixture(body)).unwrap();
            assert_eq!(cb.provider_id.as_str(), SID);
            assert_eq!(cb.status, Some(expected));
            assert_eq!(cb.error_code, None);
        }
    }

    #[test]
    fn undelivered_outside_the_whatsapp_window_is_failed_with_code_63016() {
        let params = fixture(include_bytes!("fixtures/status_undelivered_63016.form"));
        let cb = parse_status_callback(&params).unwrap();
        assert_eq!(cb.provider_id.as_str(), SID);
        assert_eq!(cb.status, Some(DeliveryStatus::Failed));
        assert_eq!(cb.error_code, Some(63016));
    }

    #[test]
    fn failed_callback_is_failed_with_its_code() {
        let params = fixture(include_bytes!("fixtures/status_failed.form"));
        let cb = parse_status_callback(&params).unwrap();
        assert_eq!(cb.status, Some(DeliveryStatus::Failed));
        assert_eq!(cb.error_code, Some(63003));
    }

    #[test]
    fn canceled_message_is_failed() {
        let cb = parse_status_callback(&with(&sent(), MESSAGE_STATUS, "canceled")).unwrap();
        assert_eq!(cb.status, Some(DeliveryStatus::Failed));
    }

    #[test]
    fn intermediate_statuses_change_nothing() {
        for status in ["queued", "sending", "accepted", "scheduled"] {
            let cb = parse_status_callback(&with(&sent(), MESSAGE_STATUS, status)).unwrap();
            assert_eq!(cb.status, None, "{status}");
        }
    }

    #[test]
    fn inbound_webhook_posted_to_the_status_url_is_refused() {
        let inbound = fixture(include_bytes!("fixtures/whatsapp_text.form"));
        assert_eq!(
            parse_status_callback(&inbound),
            Err(StatusError::MissingField(MESSAGE_STATUS))
        );
        for status in ["received", "receiving"] {
            assert_eq!(
                parse_status_callback(&with(&inbound, MESSAGE_STATUS, status)),
                Err(StatusError::InvalidField(MESSAGE_STATUS)),
                "{status}"
            );
        }
    }

    #[test]
    fn status_callback_is_never_taken_for_an_inbound_message() {
        // Our own sent message, echoed back, must not become a message from the owner.
        assert!(normalise(&sent()).is_err());
        let read = fixture(include_bytes!("fixtures/status_read.form"));
        assert!(normalise(&read).is_err());
    }

    #[test]
    fn unknown_or_miscased_statuses_are_refused_not_guessed() {
        for bad in [
            "",
            "SENT",
            "Delivered",
            "partially_delivered",
            "deleted",
            "read ",
        ] {
            assert_eq!(
                parse_status_callback(&with(&sent(), MESSAGE_STATUS, bad)),
                Err(StatusError::InvalidField(MESSAGE_STATUS)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn missing_or_non_twilio_message_sid_is_refused() {
        assert_eq!(
            parse_status_callback(&without(&sent(), MESSAGE_SID)),
            Err(StatusError::MissingField(MESSAGE_SID))
        );
        for bad in [
            "",
            "SM123",
            "MG7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7",
            "SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7a",
            "SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8eg",
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        ] {
            assert_eq!(
                parse_status_callback(&with(&sent(), MESSAGE_SID, bad)),
                Err(StatusError::InvalidField(MESSAGE_SID)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn repeated_fields_that_are_read_are_refused() {
        for field in [MESSAGE_SID, MESSAGE_STATUS, ERROR_CODE] {
            let mut params = with(&sent(), ERROR_CODE, "63016");
            let copy = params.iter().find(|(k, _)| k == field).cloned().unwrap();
            params.push(copy);
            assert_eq!(
                parse_status_callback(&params),
                Err(StatusError::InvalidField(field)),
                "{field}"
            );
        }
    }

    #[test]
    fn error_code_must_be_plain_digits() {
        for bad in ["-1", "+63016", "63016 ", "6301a", "1234567890", "0x1f"] {
            assert_eq!(
                parse_status_callback(&with(&sent(), ERROR_CODE, bad)),
                Err(StatusError::InvalidField(ERROR_CODE)),
                "{bad:?}"
            );
        }
        let empty = parse_status_callback(&with(&sent(), ERROR_CODE, "")).unwrap();
        assert_eq!(empty.error_code, None);
        let code = parse_status_callback(&with(&sent(), ERROR_CODE, "30008")).unwrap();
        assert_eq!(code.error_code, Some(30008));
    }

    #[test]
    fn twilio_message_sid_pattern_is_exact() {
        assert!(is_message_sid(SID));
        assert!(is_message_sid("MM7D2C0F4E9B8A41C6A5D3E2F1B0C9D8E7"));
        for bad in [
            "",
            "SM",
            "MS7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7",
            "sm7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7",
        ] {
            assert!(!is_message_sid(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_status_callback_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(params) = parse_form(&body) {
                let _ = parse_status_callback(&params);
            }
        }

        #[test]
        fn errors_never_echo_field_values(
            params in prop::collection::vec(
                (prop::sample::select(vec!["MessageSid", "MessageStatus", "ErrorCode", "To"]),
                 // Values share no substring with the error texts, so a hit is an echo.
                 "(whatsapp:)?[0-9+:#%]{0,30}"),
                0..8,
            ).prop_map(|v| v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>())
        ) {
            if let Err(e) = parse_status_callback(&params) {
                let text = format!("{e} {e:?}");
                for (_, v) in &params {
                    if v.len() > 3 {
                        prop_assert!(!text.contains(v.as_str()), "{} echoed in {}", v, text);
                    }
                }
            }
        }
    }
}
