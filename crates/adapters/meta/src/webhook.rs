//! Normalisation of the Cloud API `messages` webhook into domain values.
//!
//! Meta posts `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
//! "value":{"metadata":{..},"messages":[..],"statuses":[..]}}]}]}`. One delivery can carry
//! several messages and statuses; a bad item is reported in [`WebhookBatch::rejected`] and
//! the others still go through, because Meta retries the whole delivery when it is refused and
//! one poisoned item must not block the rest for days.
//!
//! Call [`parse_webhook`] only after [`crate::SignatureVerifier::verify`] accepted the same
//! bytes.

use serde::Deserialize;
use serde_json::Value;
use warden_delivery::DeliveryStatus;
use warden_types::{InboundMessage, MessageBody, PhoneNumber, Provider, ProviderMessageId};

use crate::payload::{self, Envelope, MessageDto, MessagesValue, StatusDto};

/// Most messages plus statuses one delivery may carry.
///
/// Meta sends a handful per delivery; a personal assistant's number sees far fewer. The bound
/// caps the work (one ledger transaction and perhaps one reply per message) that one signed
/// request can cause, should the app secret leak. The edge's body-size limit bounds memory.
pub const MAX_ITEMS: usize = 100;

const OBJECT: &str = "whatsapp_business_account";
const MESSAGES_FIELD: &str = "messages";
/// Phone number ids are Graph object ids: decimal digits, 15–17 today.
const MAX_PHONE_NUMBER_ID_LEN: usize = 32;
/// WhatsApp allows at most 10 media items per message; Meta announces each as one message.
const NON_TEXT_MEDIA_COUNT: u32 = 1;

/// Everything Warden takes from one webhook delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookBatch {
    pub messages: Vec<MetaMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// Items that were skipped, without their content.
    pub rejected: Vec<RejectedItem>,
}

/// One inbound message, normalised. `Debug` is masked by the domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaMessage {
    /// The business number it was sent to; the app compares it with its configured one.
    pub phone_number_id: String,
    pub kind: MessageKind,
    /// `body` is the text for [`MessageKind::Text`], the bot-defined reply id for
    /// [`MessageKind::InteractiveReply`], and empty with `media_count == 1` for every other
    /// kind, so the domain answers that it reads text only.
    pub inbound: InboundMessage,
}

/// What kind of message arrived. Keeps no content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Text,
    /// A reply button, list row or template quick-reply button was tapped.
    InteractiveReply,
    /// Image, audio, video, document or sticker.
    Media,
    Location,
    Reaction,
    Contacts,
    /// Anything else: `unsupported`/`unknown`, `system`, `order`, types added after this code.
    Unsupported,
}

impl MessageKind {
    /// Whether the message gets a reply at all. A reaction is an acknowledgement of an earlier
    /// message: it is recorded (replay key, rate window, audit) but answering it would invite a
    /// loop of reactions and replies.
    pub fn wants_reply(self) -> bool {
        self != Self::Reaction
    }

    /// Whether the sender should be told that Warden reads text only. A reaction is an
    /// acknowledgement, and answering it would invite a loop of reactions and replies.
    pub fn wants_text_only_reply(self) -> bool {
        !matches!(self, Self::Text | Self::InteractiveReply | Self::Reaction)
    }

    /// A stable name for the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::InteractiveReply => "interactive_reply",
            Self::Media => "media",
            Self::Location => "location",
            Self::Reaction => "reaction",
            Self::Contacts => "contacts",
            Self::Unsupported => "unsupported",
        }
    }
}

/// A delivery report for a message Warden sent. Holds no recipient and no error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub phone_number_id: String,
    pub provider_id: ProviderMessageId,
    pub status: DeliveryStatus,
    /// Meta's numeric error code (`errors[0].code`) for a failure, e.g. 131047.
    pub error_code: Option<i64>,
    pub timestamp_secs: Option<i64>,
}

/// Which list a rejected item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Message,
    Status,
}

/// An item that was skipped. `index` counts items of its kind across the whole delivery, in
/// document order, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectedItem {
    pub item: ItemKind,
    pub index: usize,
    /// A stable snake_case code, e.g. `invalid_from` or `unknown_status`.
    pub reason: &'static str,
}

/// Why a whole delivery was refused. Never carries input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookPayloadError {
    /// RFC 8259 JSON is UTF-8 text; bytes that are not, even inside a field Warden ignores, mark
    /// a payload Meta did not write.
    #[error("webhook body is not UTF-8")]
    NotUtf8,
    #[error("webhook body is not JSON")]
    NotJson,
    #[error("webhook is not for a WhatsApp Business Account")]
    WrongObject,
    /// The JSON does not have the Cloud API shape; the field names the part.
    #[error("webhook JSON has no valid {0}")]
    Malformed(&'static str),
    #[error("webhook has more than {max} messages and statuses")]
    TooManyItems { max: usize },
}

impl WebhookPayloadError {
    /// A stable code for the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotUtf8 => "not_utf8",
            Self::NotJson => "not_json",
            Self::WrongObject => "wrong_object",
            Self::Malformed(_) => "malformed",
            Self::TooManyItems { .. } => "too_many_items",
        }
    }
}

/// Parses a signed webhook body into the messages and statuses it carries.
///
/// Changes whose `field` is not `messages` are skipped silently (Meta sends account and
/// template updates to the same URL when subscribed). Structural problems fail the whole
/// delivery; a bad message or status is only listed in `rejected`.
pub fn parse_webhook(raw: &[u8]) -> Result<WebhookBatch, WebhookPayloadError> {
    let mut batch = WebhookBatch::default();
    let (mut message_index, mut status_index) = (0, 0);
    for change in messages_changes(raw)? {
        let phone_number_id = change.metadata.phone_number_id;
        for item in change.messages {
            match normalise_message(&phone_number_id, item) {
                Ok(message) => batch.messages.push(message),
                Err(reason) => batch.rejected.push(RejectedItem {
                    item: ItemKind::Message,
                    index: message_index,
                    reason,
                }),
            }
            message_index += 1;
        }
        for item in change.statuses {
            match normalise_status(&phone_number_id, item) {
                Ok(status) => batch.statuses.push(status),
                Err(reason) => batch.rejected.push(RejectedItem {
                    item: ItemKind::Status,
                    index: status_index,
                    reason,
                }),
            }
            status_index += 1;
        }
    }
    Ok(batch)
}

/// Whether a `Content-Type` value names JSON: the media type `application/json` exactly (any
/// case, parameters such as `charset` allowed), not a look-alike such as `application/jsonx`.
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON_MEDIA_TYPE))
}

const JSON_MEDIA_TYPE: &str = "application/json";

/// The `messages` changes of the delivery, checked for shape and size before any item is read.
fn messages_changes(raw: &[u8]) -> Result<Vec<MessagesValue>, WebhookPayloadError> {
    // serde_json checks UTF-8 only in the strings it keeps; the whole body must be text.
    let text = std::str::from_utf8(raw).map_err(|_| WebhookPayloadError::NotUtf8)?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            WebhookPayloadError::Malformed("envelope")
        } else {
            WebhookPayloadError::NotJson
        }
    })?;
    if envelope.object.as_deref() != Some(OBJECT) {
        return Err(WebhookPayloadError::WrongObject);
    }
    let mut changes = Vec::new();
    let mut items: usize = 0;
    for change in envelope.entry.into_iter().flat_map(|e| e.changes) {
        if change.field.as_deref() != Some(MESSAGES_FIELD) {
            continue;
        }
        let value = change
            .value
            .ok_or(WebhookPayloadError::Malformed("value"))?;
        let value = MessagesValue::deserialize(value)
            .map_err(|_| WebhookPayloadError::Malformed("value"))?;
        if !is_phone_number_id(&value.metadata.phone_number_id) {
            return Err(WebhookPayloadError::Malformed("phone_number_id"));
        }
        items = items
            .saturating_add(value.messages.len())
            .saturating_add(value.statuses.len());
        if items > MAX_ITEMS {
            return Err(WebhookPayloadError::TooManyItems { max: MAX_ITEMS });
        }
        changes.push(value);
    }
    Ok(changes)
}

fn is_phone_number_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_PHONE_NUMBER_ID_LEN && id.bytes().all(|b| b.is_ascii_digit())
}

fn normalise_message(phone_number_id: &str, item: Value) -> Result<MetaMessage, &'static str> {
    let dto = MessageDto::deserialize(item).map_err(|_| "malformed_message")?;
    let id = dto
        .id
        .as_deref()
        .and_then(|id| ProviderMessageId::new(id).ok())
        .ok_or("invalid_id")?;
    let from = dto.from.as_deref().and_then(sender).ok_or("invalid_from")?;
    let (kind, body) = content(&dto)?;
    let media_count = if body.is_some() {
        0
    } else {
        NON_TEXT_MEDIA_COUNT
    };
    Ok(MetaMessage {
        phone_number_id: phone_number_id.to_owned(),
        kind,
        inbound: InboundMessage {
            provider: Provider::Meta,
            id,
            from,
            body: MessageBody::new(body.unwrap_or_default()),
            media_count,
        },
    })
}

/// Meta sends the sender as E.164 digits without `+` (`"16505551234"`). Anything else,
/// including a leading `+`, is refused rather than repaired.
fn sender(from: &str) -> Option<PhoneNumber> {
    if from.is_empty() || !from.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PhoneNumber::parse(&format!("+{from}")).ok()
}

/// The kind, and the text Warden reads (`None` for kinds without text).
fn content(dto: &MessageDto) -> Result<(MessageKind, Option<String>), &'static str> {
    let kind = dto.kind.as_deref().ok_or("missing_type")?;
    Ok(match kind {
        "text" => {
            let body = dto.text.as_ref().and_then(|t| t.body.clone());
            (MessageKind::Text, Some(body.ok_or("missing_text")?))
        }
        "interactive" => {
            let Some(interactive) = &dto.interactive else {
                return Err("missing_reply");
            };
            let reply = match interactive.kind.as_deref() {
                Some("button_reply") => interactive.button_reply.as_ref(),
                Some("list_reply") => interactive.list_reply.as_ref(),
                // Flow responses (`nfm_reply`) and later kinds carry no text Warden reads.
                _ => return Ok((MessageKind::Unsupported, None)),
            };
            // The id the bot defined, not the title: a retitled button keeps working.
            let id = reply.and_then(|r| r.id.clone()).ok_or("missing_reply")?;
            (MessageKind::InteractiveReply, Some(id))
        }
        "button" => {
            let button = dto.button.as_ref().ok_or("missing_button")?;
            let payload = button.payload.clone().filter(|p| !p.is_empty());
            let body = payload.or_else(|| button.text.clone());
            (
                MessageKind::InteractiveReply,
                Some(body.ok_or("missing_button")?),
            )
        }
        "image" | "audio" | "video" | "document" | "sticker" => (MessageKind::Media, None),
        "location" => (MessageKind::Location, None),
        "reaction" => (MessageKind::Reaction, None),
        "contacts" => (MessageKind::Contacts, None),
        _ => (MessageKind::Unsupported, None),
    })
}

fn normalise_status(phone_number_id: &str, item: Value) -> Result<StatusUpdate, &'static str> {
    let dto = StatusDto::deserialize(item).map_err(|_| "malformed_status")?;
    let provider_id = dto
        .id
        .as_deref()
        .and_then(|id| ProviderMessageId::new(id).ok())
        .ok_or("invalid_id")?;
    // Mapped by hand: `pending` is Warden's own state, never a provider report. Meta's
    // `deleted`, `warning` and `played` have no delivery meaning here.
    let status = match dto.status.as_deref() {
        Some("sent") => DeliveryStatus::Sent,
        Some("delivered") => DeliveryStatus::Delivered,
        Some("read") => DeliveryStatus::Read,
        Some("failed") => DeliveryStatus::Failed,
        _ => return Err("unknown_status"),
    };
    let error_code = dto
        .errors
        .as_deref()
        .and_then(<[_]>::first)
        .and_then(|e| e.code);
    Ok(StatusUpdate {
        phone_number_id: phone_number_id.to_owned(),
        provider_id,
        status,
        error_code,
        timestamp_secs: dto.timestamp.as_ref().and_then(payload::unix_seconds),
    })
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
