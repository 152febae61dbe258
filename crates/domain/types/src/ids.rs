use std::fmt;

/// Why an identifier was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("identifier contains characters outside [A-Za-z0-9._:=-]")]
    BadCharacter,
}

/// The channel a message came through. Part of the replay key: ids are unique per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Twilio,
    Meta,
}

impl Provider {
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Meta => "meta",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "twilio" => Some(Self::Twilio),
            "meta" => Some(Self::Meta),
            _ => None,
        }
    }
}

/// The provider's id of one message (Twilio `MessageSid`, Meta `wamid`): the replay key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderMessageId(String);

impl ProviderMessageId {
    /// Meta's wamids run to ~60 bytes; 128 leaves room without letting a payload bloat the index.
    pub const MAX_LEN: usize = 128;

    pub fn new(raw: &str) -> Result<Self, IdError> {
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(IdError::TooLong { max: Self::MAX_LEN });
        }
        let ok = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'=' | b'-'));
        if !ok {
            return Err(IdError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Pseudonymous sender id: a keyed hash of the phone number (see `warden-audit`).
///
/// Everything Warden stores about a sender is keyed by this, so neither the audit log nor the
/// task tables hold a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderId(String);

impl SenderId {
    /// 128 bits as lowercase hex.
    pub const HEX_LEN: usize = 32;

    pub fn from_hex(raw: &str) -> Result<Self, IdError> {
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.len() != Self::HEX_LEN {
            return Err(IdError::TooLong { max: Self::HEX_LEN });
        }
        if !raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(IdError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text a person wrote. `Debug` prints only its length: bodies may hold medical or
/// personal details and must never reach a log.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MessageBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageBody(<{} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_body_debug_hides_text() {
        let b = MessageBody::new("my diagnosis is X");
        assert_eq!(format!("{b:?}"), "MessageBody(<17 bytes>)");
    }

    #[test]
    fn provider_message_id_rejects_injection_characters() {
        assert!(ProviderMessageId::new("SM0123456789abcdef0123456789abcdef").is_ok());
        assert!(ProviderMessageId::new(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        )
        .is_ok());
        assert_eq!(ProviderMessageId::new(""), Err(IdError::Empty));
        assert_eq!(
            ProviderMessageId::new("SM1'; DROP TABLE x"),
            Err(IdError::BadCharacter)
        );
        assert!(ProviderMessageId::new(&"a".repeat(129)).is_err());
    }

    #[test]
    fn sender_id_is_lowercase_hex_of_fixed_length() {
        assert!(SenderId::from_hex(&"ab".repeat(16)).is_ok());
        assert!(SenderId::from_hex(&"AB".repeat(16)).is_err());
        assert!(SenderId::from_hex("abc").is_err());
    }
}
