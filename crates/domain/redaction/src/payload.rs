//! Raw provider payloads, redacted field by field before they are kept for debugging or exported.

use serde_json::Value;

use crate::sensitive::marker;
use crate::Redactor;

/// The encoding of a raw payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// `application/json` (Meta Cloud API webhooks).
    Json,
    /// `application/x-www-form-urlencoded` (Twilio webhooks and status callbacks).
    Form,
}

/// The payload could not be decoded, so it cannot be redacted field by field. Keep nothing of it
/// rather than the raw bytes. The error says which encoding failed, never what the bytes were.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RawPayloadError {
    /// Not valid JSON.
    #[error("payload is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// Not a valid form encoding.
    #[error("payload is not a valid form encoding")]
    Form(#[source] serde_urlencoded::de::Error),
    /// The redacted form could not be encoded again.
    #[error("redacted payload could not be encoded")]
    Encode,
}

/// Keys (compared without case, `_` or `-`) whose value is a phone number or user id: masked
/// like a phone number whatever it looks like.
const PHONE_KEYS: &[&str] = &[
    "from",
    "to",
    "waid",
    "recipientid",
    "phone",
    "phonenumber",
    "displayphonenumber",
    "forwardedfrom",
    "userid",
    "input",
    "called",
    "caller",
];

/// Keys whose value is content or identity and is never kept, only its length and hash.
const SENSITIVE_KEYS: &[&str] = &[
    "body",
    "text",
    "caption",
    "name",
    "profilename",
    "formattedname",
    "firstname",
    "lastname",
    "middlename",
    "email",
    "address",
    "latitude",
    "longitude",
    "label",
    "vcard",
    "filename",
    "title",
    "description",
    "emoji",
    "payload",
    "referralbody",
    "buttontext",
    "buttonpayload",
    "listtitle",
    "ocr",
    "transcript",
];

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Phone,
    Sensitive,
    Other,
}

fn classify(key: &str) -> KeyClass {
    let k = normalise(key);
    if PHONE_KEYS.contains(&k.as_str()) {
        KeyClass::Phone
    } else if SENSITIVE_KEYS.contains(&k.as_str())
        // Twilio's MediaUrl0…9 point at the user's pictures.
        || k.starts_with("mediaurl")
    {
        KeyClass::Sensitive
    } else {
        KeyClass::Other
    }
}

/// Redacts a raw provider payload field by field and encodes it again.
///
/// Values under keys known to hold personal data are masked whole: phone numbers and user ids
/// (`from`, `to`, `wa_id`, `recipient_id`, `display_phone_number`, Twilio's `From`, `To`,
/// `WaId`…) as phone numbers, content and names (`body`, `text`, `caption`, `name`,
/// `ProfileName`, `MediaUrl0`…) as `<redacted len=N sha256=…>`. Every other string value, and
/// every key, goes through [`Redactor::redact`]. JSON objects come back with their keys sorted.
///
/// # Errors
/// [`RawPayloadError`] when the bytes are not valid for `kind`.
pub fn redact_raw_payload(
    redactor: &Redactor,
    kind: PayloadKind,
    bytes: &[u8],
) -> Result<String, RawPayloadError> {
    match kind {
        PayloadKind::Json => {
            let value: Value = serde_json::from_slice(bytes).map_err(RawPayloadError::Json)?;
            let redacted = redact_value(redactor, value, KeyClass::Other);
            Ok(redacted.to_string())
        }
        PayloadKind::Form => {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(bytes).map_err(RawPayloadError::Form)?;
            let redacted: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| {
                    let value = redact_leaf(redactor, &v, classify(&k));
                    (redactor.redact(&k).into_owned(), value)
                })
                .collect();
            serde_urlencoded::to_string(redacted).map_err(|_| RawPayloadError::Encode)
        }
    }
}

fn redact_leaf(redactor: &Redactor, value: &str, class: KeyClass) -> String {
    match class {
        KeyClass::Phone => redactor.mask_phone_value(value),
        KeyClass::Sensitive => marker(value.as_bytes()),
        KeyClass::Other => redactor.redact(value).into_owned(),
    }
}

fn redact_value(redactor: &Redactor, value: Value, class: KeyClass) -> Value {
    match value {
        Value::String(s) => Value::String(redact_leaf(redactor, &s, class)),
        // A number under a personal key (`"wa_id": 447700900123`, coordinates) is masked too.
        Value::Number(n) if class != KeyClass::Other => {
            Value::String(redact_leaf(redactor, &n.to_string(), class))
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(redactor, v, class))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let child = classify(&k);
                    let class = if child == KeyClass::Other {
                        class_for_child(class)
                    } else {
                        child
                    };
                    (
                        redactor.redact(&k).into_owned(),
                        redact_value(redactor, v, class),
                    )
                })
                .collect(),
        ),
        other => other,
    }
}

/// Under a personal key, nested objects stay personal (`"text": {"body": …}`, `"profile":
/// {"name": …}` is handled by the inner key); a phone key's nested object is not a phone.
fn class_for_child(parent: KeyClass) -> KeyClass {
    match parent {
        KeyClass::Sensitive => KeyClass::Sensitive,
        KeyClass::Phone | KeyClass::Other => KeyClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RedactionConfig;

    fn redactor() -> Redactor {
        Redactor::new(RedactionConfig::default()).unwrap()
    }

    #[test]
    fn meta_webhook_keeps_structure_and_ids_but_no_number_name_or_text() {
        let raw = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jane Doe"},"wa_id":"447700900123"}],"messages":[{"from":"447700900123","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1712345678","text":{"body":"call me on 07700 900456, code 1234"},"type":"text"}]}}]}]}"#;
        let out = redact_raw_payload(&redactor(), PayloadKind::Json, raw).unwrap();
        for gone in ["Jane", "447700900123", "15550783881", "07700", "call me"] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        for kept in [
            "whatsapp_business_account",
            "wamid.HBgL",
            "1712345678",
            "\"type\":\"text\"",
        ] {
            assert!(out.contains(kept), "{kept} missing in {out}");
        }
        assert!(out.contains("+44 ••• ••• ••23"), "{out}");
        assert!(out.contains("<redacted len="), "{out}");
    }

    #[test]
    fn twilio_form_masks_from_to_body_and_profile_name() {
        let raw = b"SmsMessageSid=SM0123456789abcdef0123456789abcdef&Body=Hi+there+07700900456&From=whatsapp%3A%2B447700900123&To=whatsapp%3A%2B14155238886&ProfileName=Jane&WaId=447700900123&NumMedia=0";
        let out = redact_raw_payload(&redactor(), PayloadKind::Form, raw).unwrap();
        for gone in ["Jane", "447700900123", "14155238886", "Hi+there"] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        assert!(
            out.contains("SmsMessageSid=SM0123456789abcdef0123456789abcdef"),
            "{out}"
        );
        assert!(out.contains("NumMedia=0"), "{out}");
    }

    #[test]
    fn undecodable_payloads_are_errors_without_their_bytes() {
        let err =
            redact_raw_payload(&redactor(), PayloadKind::Json, b"{\"from\": \"+4477").unwrap_err();
        assert!(!err.to_string().contains("4477"));
    }
}
