use std::fmt;

/// Why a string is not an E.164 phone number. Never carries the input itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number must start with '+' and a country code")]
    MissingPlus,
    #[error("phone number may contain only digits after '+'")]
    NotDigits,
    #[error("phone number must have 7 to 15 digits")]
    BadLength,
    #[error("country code cannot start with 0")]
    LeadingZero,
}

/// An E.164 number (`+` then 7–15 digits, no leading zero), e.g. `+14155550123`. Only the
/// shape: whether the number can exist (libphonenumber) is checked where operators configure
/// numbers (`apps/warden`), not on every inbound sender.
///
/// Accepts the `whatsapp:` prefix that Twilio puts on WhatsApp addresses. Deliberately strict:
/// no spaces, dashes or national formats, because the providers always send E.164 and anything
/// else at this boundary is a bug or an attack.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The shortest numbers in use have seven digits (Niue `+683 4002`, Tokelau).
    pub const MIN_DIGITS: usize = 7;
    pub const MAX_DIGITS: usize = 15;

    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let raw = input.strip_prefix("whatsapp:").unwrap_or(input);
        if raw.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        let digits = raw.strip_prefix('+').ok_or(PhoneNumberError::MissingPlus)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneNumberError::NotDigits);
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(PhoneNumberError::BadLength);
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::LeadingZero);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The number in E.164 form. Call it only where the number must leave the process
    /// (sending a message, keyed hashing), never for logging.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// Country-code-ish prefix and last two digits, e.g. `+44•••••••89`, for humans reading
    /// diagnostics. Not a pseudonym: use a keyed hash to correlate senders.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let head: String = digits.chars().take(2).collect();
        let tail: String = digits
            .chars()
            .skip(digits.len().saturating_sub(2))
            .collect();
        let hidden = digits.len().saturating_sub(4);
        format!("+{head}{}{tail}", "•".repeat(hidden))
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_twilio_whatsapp_address() {
        let n = PhoneNumber::parse("whatsapp:+14155550123").unwrap();
        assert_eq!(n.as_e164(), "+14155550123");
        assert_eq!(n, PhoneNumber::parse("+14155550123").unwrap());
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "whatsapp:",
            "14155550123",
            "+1 415 555 0123",
            "+1415555012a",
            "+0123456789",
            "+123456",
            "+1234567890123456",
            "whatsapp:whatsapp:+14155550123",
            "+١٤١٥٥٥٥٠١٢٣",
            "tel:+14155550123",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn debug_never_shows_the_full_number() {
        let n = PhoneNumber::parse("+447700900089").unwrap();
        let shown = format!("{n:?}");
        assert!(!shown.contains("7700900"), "{shown}");
        assert!(shown.ends_with("89)"), "{shown}");
    }

    proptest! {
        #[test]
        fn parse_is_total(s in "\\PC*") {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn valid_numbers_round_trip(cc in 1u8..=9, rest in "[0-9]{7,14}") {
            let raw = format!("+{cc}{rest}");
            let n = PhoneNumber::parse(&format!("whatsapp:{raw}")).unwrap();
            prop_assert_eq!(n.as_e164(), raw.as_str());
        }
    }
}
