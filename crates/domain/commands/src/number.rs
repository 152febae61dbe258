//! The argument of `done`: the position of a task in the last list shown.

use std::fmt;

use crate::CommandError;

/// A task number in `1..=999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskNumber(u32);

impl TaskNumber {
    /// Smallest valid task number.
    pub const MIN: u32 = 1;
    /// Largest valid task number.
    pub const MAX: u32 = 999;

    /// Returns [`CommandError::NumberOutOfRange`] unless `MIN <= n <= MAX`.
    pub fn new(n: u32) -> Result<Self, CommandError> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(CommandError::NumberOutOfRange)
        }
    }

    /// Parses the canonical decimal spelling: ASCII digits only, no sign, no leading zero.
    ///
    /// `"0"` and anything with four or more digits is [`CommandError::NumberOutOfRange`]; any
    /// other shape (`"+3"`, `"-1"`, `"03"`, `"3a"`, `"３"`, `"3 4"`) is
    /// [`CommandError::InvalidNumber`]. Never overflows: the value is only computed once the
    /// text is known to have at most three digits.
    pub(crate) fn parse(text: &str) -> Result<Self, CommandError> {
        let digits = text.as_bytes();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(CommandError::InvalidNumber);
        }
        if digits == b"0" {
            return Err(CommandError::NumberOutOfRange);
        }
        if digits.first() == Some(&b'0') {
            return Err(CommandError::InvalidNumber);
        }
        if digits.len() > 3 {
            // No leading zero and four or more digits: at least 1000.
            return Err(CommandError::NumberOutOfRange);
        }
        let n = digits
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        Self::new(n)
    }

    /// The number, in `1..=999`.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TaskNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_enforces_range_bounds() {
        assert_eq!(TaskNumber::new(0), Err(CommandError::NumberOutOfRange));
        assert_eq!(TaskNumber::new(1).map(TaskNumber::get), Ok(1));
        assert_eq!(TaskNumber::new(999).map(TaskNumber::get), Ok(999));
        assert_eq!(TaskNumber::new(1000), Err(CommandError::NumberOutOfRange));
        assert_eq!(
            TaskNumber::new(u32::MAX),
            Err(CommandError::NumberOutOfRange)
        );
    }

    #[test]
    fn display_is_the_plain_number() {
        assert_eq!(TaskNumber::new(42).unwrap().to_string(), "42");
    }

    #[test]
    fn leading_zero_is_not_a_second_spelling() {
        assert_eq!(TaskNumber::parse("03"), Err(CommandError::InvalidNumber));
        assert_eq!(TaskNumber::parse("00"), Err(CommandError::InvalidNumber));
        assert_eq!(TaskNumber::parse("0999"), Err(CommandError::InvalidNumber));
    }

    #[test]
    fn non_ascii_digits_are_rejected() {
        assert_eq!(
            TaskNumber::parse("\u{FF13}"),
            Err(CommandError::InvalidNumber)
        );
        assert_eq!(
            TaskNumber::parse("\u{663}"),
            Err(CommandError::InvalidNumber)
        );
    }
}
