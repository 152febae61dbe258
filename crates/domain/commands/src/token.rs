//! The argument of `/pair`: a one-time secret that links a phone number to an account.

use std::fmt;

use crate::CommandError;

/// A syntactically valid pairing token: [`PairToken::MIN_LEN`]..=[`PairToken::MAX_LEN`]
/// characters of `A-Z a-z 0-9 _ -`.
///
/// This type only checks the shape. Whether the token matches the configured one is the pairing
/// gate's job, and it must compare in constant time.
///
/// `Debug` prints `PairToken(<redacted>)` and there is no `Display`. `==` is a best-effort
/// constant-time comparison (length is not hidden), so that deriving equality on [`crate::Command`]
/// does not plant a timing leak; do not rely on it in place of the gate's own comparison.
#[derive(Clone)]
pub struct PairToken(String);

impl PairToken {
    /// Shortest accepted token, in ASCII characters.
    pub const MIN_LEN: usize = 16;
    /// Longest accepted token, in ASCII characters.
    pub const MAX_LEN: usize = 128;

    /// Checks the shape of a token; the text is taken as is (not trimmed).
    pub fn new(raw: &str) -> Result<Self, CommandError> {
        let ok_len = (Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CommandError::InvalidToken)
        }
    }

    /// The token text. It is a secret: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PairToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairToken(<redacted>)")
    }
}

impl PartialEq for PairToken {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for PairToken {}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Sup3r_secret-T0ken";

    #[test]
    fn token_length_bounds_are_16_and_128() {
        assert_eq!(
            PairToken::new(&"a".repeat(15)),
            Err(CommandError::InvalidToken)
        );
        assert!(PairToken::new(&"a".repeat(16)).is_ok());
        assert!(PairToken::new(&"a".repeat(128)).is_ok());
        assert_eq!(
            PairToken::new(&"a".repeat(129)),
            Err(CommandError::InvalidToken)
        );
    }

    #[test]
    fn token_rejects_characters_outside_the_alphabet() {
        for bad in ['.', '=', '+', '/', ' ', '\n', '\u{E9}', '\u{200B}'] {
            let raw = format!("{}{bad}", "a".repeat(20));
            assert_eq!(
                PairToken::new(&raw),
                Err(CommandError::InvalidToken),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn multibyte_token_is_rejected_even_if_byte_length_fits() {
        // 16 bytes, 8 chars, none in the alphabet.
        assert_eq!(
            PairToken::new(&"\u{E9}".repeat(8)),
            Err(CommandError::InvalidToken)
        );
    }

    #[test]
    fn debug_of_pair_token_is_redacted() {
        let t = PairToken::new(SECRET).unwrap();
        assert_eq!(format!("{t:?}"), "PairToken(<redacted>)");
        assert!(!format!("{t:#?}").contains(SECRET));
        assert_eq!(t.as_str(), SECRET);
    }

    #[test]
    fn equality_compares_whole_token() {
        let a = PairToken::new(SECRET).unwrap();
        let b = PairToken::new("Sup3r_secret-T0kem").unwrap();
        let c = PairToken::new("Sup3r_secret-T0ken-longer").unwrap();
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
