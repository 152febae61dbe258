//! The calendar event id of a reminder, derived from the message that asked for it.
//!
//! Google Calendar lets the client choose an event's id (characters `a-v` and `0-9`, the
//! base32hex alphabet of RFC 4648 §7 in lowercase, 5 to 1024 of them) and answers 409 to a
//! second insert with the same id. Deriving the id from the inbound message makes every retry
//! of the write, and every replay of the webhook, name the same event: exactly one can exist.

use std::fmt;

use sha2::{Digest, Sha256};
use warden_types::{Provider, ProviderMessageId};

/// Versioned so that a future change of derivation cannot collide with today's ids.
const DOMAIN: &[u8] = b"warden.calendar.event.v1";

/// A calendar event id: 52 characters of lowercase base32hex (SHA-256, 256 bits, unpadded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(String);

impl EventId {
    /// Google's bounds for a client-chosen id.
    pub const MIN_LEN: usize = 5;
    pub const MAX_LEN: usize = 1024;

    /// The id of the event that message `id` from `provider` asks for. The message id is hashed,
    /// not encoded, so the calendar learns nothing about the message and every id has one length.
    pub fn for_message(provider: Provider, id: &ProviderMessageId) -> Self {
        let mut hash = Sha256::new();
        hash.update(DOMAIN);
        hash.update([0]);
        hash.update(provider.as_str().as_bytes());
        hash.update([0]);
        hash.update(id.as_str().as_bytes());
        Self(base32hex(&hash.finalize()))
    }

    /// An id read back from the calendar, if it is in Google's alphabet and length.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 4648 §7 base32hex, lowercase, without padding.
fn base32hex(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[usize::from((buffer >> bits) & 31)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            ALPHABET[usize::from((buffer << (5 - bits)) & 31)],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(raw: &str) -> ProviderMessageId {
        ProviderMessageId::new(raw).unwrap()
    }

    #[test]
    fn base32hex_matches_the_rfc_4648_test_vectors() {
        // RFC 4648 §10, lowercased and without padding.
        for (input, expected) in [
            ("", ""),
            ("f", "co"),
            ("fo", "cpng"),
            ("foo", "cpnmu"),
            ("foob", "cpnmuog"),
            ("fooba", "cpnmuoj1"),
            ("foobar", "cpnmuoj1e8"),
        ] {
            assert_eq!(base32hex(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn a_replayed_message_names_the_same_event() {
        let a = EventId::for_message(Provider::Twilio, &id("SM0123456789abcdef0123456789abcdef"));
        let b = EventId::for_message(Provider::Twilio, &id("SM0123456789abcdef0123456789abcdef"));
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 52);
    }

    #[test]
    fn the_same_message_id_on_another_channel_is_another_event() {
        let raw = id("wamid.HBgLMTIzNDU2Nzg5MBUCABIYFjNFQjBDMDk4");
        assert_ne!(
            EventId::for_message(Provider::Twilio, &raw),
            EventId::for_message(Provider::Meta, &raw)
        );
    }

    #[test]
    fn ids_from_the_calendar_are_checked_against_googles_alphabet() {
        assert!(EventId::parse("abcde").is_some());
        assert!(EventId::parse("0123456789abcdefghijklmnopqrstuv").is_some());
        assert!(EventId::parse("abcd").is_none());
        assert!(EventId::parse("abcdw").is_none());
        assert!(EventId::parse("ABCDE").is_none());
        assert!(EventId::parse("abc_e").is_none());
        assert!(EventId::parse(&"a".repeat(1025)).is_none());
    }

    proptest! {
        #[test]
        fn every_derived_id_is_one_google_accepts(raw in "[A-Za-z0-9._:=-]{1,128}", meta in any::<bool>()) {
            let provider = if meta { Provider::Meta } else { Provider::Twilio };
            let event = EventId::for_message(provider, &id(&raw));
            prop_assert_eq!(EventId::parse(event.as_str()), Some(event.clone()));
            prop_assert_eq!(event.as_str().len(), 52);
        }

        #[test]
        fn base32hex_length_is_the_unpadded_length(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let text = base32hex(&bytes);
            prop_assert_eq!(text.len(), (bytes.len() * 8).div_ceil(5));
        }
    }
}
