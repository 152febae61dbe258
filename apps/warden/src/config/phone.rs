//! Numbers an operator configures or types in. The domain type checks only the E.164 shape;
//! here libphonenumber checks that the number can exist, since a typo (a digit missing or one
//! too many) usually keeps the shape and then silently matches or reaches nobody.

use warden_types::PhoneNumber;

/// Whether libphonenumber knows `number` as a valid number of its country.
pub fn is_valid(number: &PhoneNumber) -> bool {
    phonenumber::parse(None, number.as_e164()).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// An operator's input as a number that can exist; the error says what is wrong, never echoes
/// the input.
pub fn parse_valid(raw: &str) -> Result<PhoneNumber, String> {
    let phone = PhoneNumber::parse(raw).map_err(|e| format!("is not an E.164 number: {e}"))?;
    if !is_valid(&phone) {
        return Err("is not a valid phone number".to_owned());
    }
    Ok(phone)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_number_of_the_right_shape_can_still_be_invalid() {
        let valid = ["+14155550123", "+6834002", "+351912345001", "+447400900123"];
        for n in valid {
            assert!(is_valid(&PhoneNumber::parse(n).unwrap()), "{n}");
        }
        // A US number a digit short; the UK drama range, which no phone can have.
        for n in ["+1415555012", "+447700900123", "+15551234567"] {
            assert!(!is_valid(&PhoneNumber::parse(n).unwrap()), "{n}");
        }
    }
}
