//! Validated value types shared by every Warden domain crate.
//!
//! Once a value has one of these types it is valid: parsing happens once, at the boundary.
//! None of these types implements `Display` for personal data, and their `Debug` output is
//! masked, so a stray `{:?}` in a log line cannot leak a phone number or a message body.

mod ids;
mod phone;
mod time;

pub use ids::{IdError, MessageBody, Provider, ProviderMessageId, SenderId};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use time::{Clock, DateError, UnixMillis, UtcDate, UtcTime};

/// One inbound WhatsApp message after the provider adapter authenticated and normalised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub provider: Provider,
    pub id: ProviderMessageId,
    pub from: PhoneNumber,
    pub body: MessageBody,
    /// Attachments the provider announced; Warden reads text only.
    pub media_count: u32,
}
