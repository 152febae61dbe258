//! Wire DTOs for the Cloud API `messages` webhook (private to the crate).
//!
//! They name only the fields Warden acts on; serde skips the rest (contact profile names,
//! `recipient_id`, error titles, media ids...), so that content is never copied out of the
//! parsed document. Fields are optional where Meta's absence should become a per-item
//! rejection rather than a failure of the whole delivery.

use serde::Deserialize;
use serde_json::Value;

/// The top level. Lenient, so a webhook for another product is reported as such (its
/// `object`) rather than as a shape error.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// `value` stays untyped until `field` says it is a `messages` change: other fields
/// (`account_update`, template updates...) have other shapes and are skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct Change {
    pub field: Option<String>,
    pub value: Option<Value>,
}

/// The value of a `messages` change. Items stay untyped so one malformed item is rejected
/// alone instead of failing the batch.
#[derive(Debug, Deserialize)]
pub(crate) struct MessagesValue {
    pub metadata: Metadata,
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    pub phone_number_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageDto {
    pub id: Option<String>,
    pub from: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub text: Option<TextDto>,
    pub interactive: Option<InteractiveDto>,
    pub button: Option<ButtonDto>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TextDto {
    pub body: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InteractiveDto {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub button_reply: Option<ReplyDto>,
    pub list_reply: Option<ReplyDto>,
}

/// A reply button or list row the bot defined; only its `id` is read (not the title).
#[derive(Debug, Deserialize)]
pub(crate) struct ReplyDto {
    pub id: Option<String>,
}

/// A template quick-reply button.
#[derive(Debug, Deserialize)]
pub(crate) struct ButtonDto {
    pub payload: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusDto {
    pub id: Option<String>,
    pub status: Option<String>,
    pub timestamp: Option<Value>,
    pub errors: Option<Vec<StatusErrorDto>>,
}

/// Only the numeric code: titles and details can quote the recipient.
#[derive(Debug, Deserialize)]
pub(crate) struct StatusErrorDto {
    pub code: Option<i64>,
}

/// Unix seconds from Meta's `"timestamp": "1750263773"` (a string of digits; a JSON number is
/// accepted too). Anything else is `None`.
pub(crate) fn unix_seconds(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) if !s.is_empty() && s.len() <= 18 => s
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten(),
        Value::Number(n) => n.as_i64().filter(|&n| n >= 0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_plain_non_negative_seconds() {
        assert_eq!(unix_seconds(&json!("1750263773")), Some(1_750_263_773));
        assert_eq!(unix_seconds(&json!(1_750_263_773)), Some(1_750_263_773));
        for bad in [
            json!(""),
            json!("+5"),
            json!("-5"),
            json!("1e9"),
            json!(" 1"),
            json!("9".repeat(19)),
            json!(-1),
            json!(1.5),
            json!(null),
        ] {
            assert_eq!(unix_seconds(&bad), None, "{bad}");
        }
    }
}
