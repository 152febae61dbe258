//! Keyed pseudonyms for senders, so no stored row ever holds a phone number.

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use warden_types::{PhoneNumber, SenderId};

/// Turns phone numbers into stable [`SenderId`]s: `HMAC-SHA256(key, e164)`, first 128 bits,
/// lowercase hex.
///
/// Keyed, because phone numbers are a small space (~10^11): an unkeyed hash of one is reversed by
/// enumeration in minutes. With a secret key, a leaked database does not map ids back to numbers.
/// Rotating the key changes every id, so the key is long-lived configuration; it should be at
/// least [`Pseudonymizer::MIN_KEY_BYTES`] random bytes (see [`Pseudonymizer::try_new`]).
pub struct Pseudonymizer {
    key: SecretString,
}

/// The pseudonym key is shorter than [`Pseudonymizer::MIN_KEY_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("pseudonym key must be at least {min} bytes")]
pub struct WeakKey {
    pub min: usize,
}

impl Pseudonymizer {
    /// Shortest key [`Pseudonymizer::try_new`] accepts (128 bits).
    pub const MIN_KEY_BYTES: usize = 16;

    /// Accepts any key; config should prefer [`Pseudonymizer::try_new`].
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    /// Like [`Pseudonymizer::new`], refusing keys shorter than [`Pseudonymizer::MIN_KEY_BYTES`].
    pub fn try_new(key: SecretString) -> Result<Self, WeakKey> {
        if key.expose_secret().len() < Self::MIN_KEY_BYTES {
            return Err(WeakKey {
                min: Self::MIN_KEY_BYTES,
            });
        }
        Ok(Self::new(key))
    }

    #[expect(
        clippy::expect_used,
        reason = "both failures are impossible: HMAC takes keys of any length, and 16 bytes hex-encode \
                  to 32 lowercase hex digits; warden-types offers no infallible SenderId constructor"
    )]
    pub fn sender_id(&self, phone: &PhoneNumber) -> SenderId {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(phone.as_e164().as_bytes());
        let tag = mac.finalize().into_bytes();
        let truncated = tag.get(..SenderId::HEX_LEN / 2).unwrap_or(&tag);
        SenderId::from_hex(&hex::encode(truncated)).expect("16 bytes are 32 lowercase hex digits")
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymizer(<key redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pz(key: &str) -> Pseudonymizer {
        Pseudonymizer::new(SecretString::from(key))
    }

    fn phone(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap()
    }

    #[test]
    fn pseudonym_is_stable_and_keyed() {
        let n = phone("+447700900089");
        let a = pz("key-one-0123456789abcdef");
        let id = a.sender_id(&n);
        assert_eq!(id, a.sender_id(&n), "same key, same number → same id");
        assert_eq!(
            id,
            pz("key-one-0123456789abcdef").sender_id(&n),
            "stable across instances"
        );
        assert_ne!(
            id,
            pz("key-two-0123456789abcdef").sender_id(&n),
            "other key → other id"
        );
        assert_ne!(
            id,
            a.sender_id(&phone("+447700900088")),
            "other number → other id"
        );
        assert!(!id.as_str().contains("7700900089"), "{}", id.as_str());
        // Known answer (checked with Python's hmac module): catches a change of truncation or input.
        assert_eq!(id.as_str(), "9e9ce2f2ad4decfb1ac674537686f5bf");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let shown = format!("{:?}", pz("super-secret-key-material"));
        assert!(!shown.contains("super-secret"), "{shown}");
    }

    #[test]
    fn try_new_refuses_short_keys() {
        assert!(Pseudonymizer::try_new(SecretString::from("short")).is_err());
        assert!(Pseudonymizer::try_new(SecretString::from("0123456789abcdef")).is_ok());
    }

    proptest! {
        #[test]
        fn pseudonym_never_contains_the_national_number(cc in 1u8..=9, rest in "[0-9]{7,14}") {
            let raw = format!("+{cc}{rest}");
            let id = pz("k").sender_id(&phone(&raw));
            prop_assert!(!id.as_str().contains(&raw[1..]));
            prop_assert_eq!(id.as_str().len(), SenderId::HEX_LEN);
        }
    }
}
