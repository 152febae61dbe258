//! Operator usernames: a small ASCII alphabet, so two accounts can never look alike.

use std::fmt;

/// 3..=64 characters of `[a-z0-9._-]`, lowercased on parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a username needs at least {min} characters")]
    TooShort { min: usize },
    #[error("a username has at most {max} characters")]
    TooLong { max: usize },
    #[error("a username may contain only a-z, 0-9, '.', '_' and '-'")]
    BadCharacter,
}

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 64;

impl Username {
    /// ASCII lowercasing only: Unicode case folding would turn look-alikes such as the Kelvin
    /// sign (U+212A) into a plain `k`, letting two spellings name one account.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let chars = raw.chars().count();
        if chars < USERNAME_MIN {
            return Err(NameError::TooShort { min: USERNAME_MIN });
        }
        if chars > USERNAME_MAX {
            return Err(NameError::TooLong { max: USERNAME_MAX });
        }
        let lower = raw.to_ascii_lowercase();
        if !lower.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        }) {
            return Err(NameError::BadCharacter);
        }
        Ok(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_are_lowercased() {
        assert_eq!(
            Username::parse("Ana.Lopez_2").unwrap().as_str(),
            "ana.lopez_2"
        );
        assert_eq!(Username::parse("OPS-1").unwrap().to_string(), "ops-1");
    }

    #[test]
    fn length_edges_are_three_and_sixty_four() {
        assert_eq!(Username::parse("ab"), Err(NameError::TooShort { min: 3 }));
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(NameError::TooLong { max: 64 })
        );
    }

    #[test]
    fn look_alikes_spaces_and_symbols_are_refused() {
        for bad in [
            "\u{212A}elvin", // Kelvin sign would fold to "kelvin" under Unicode lowercasing
            "аdmin",         // Cyrillic а
            "ana lopez",
            " ana",
            "ana@example",
            "ana\u{200b}x",
            "ana/..",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(NameError::BadCharacter),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn a_parsed_username_is_always_in_the_alphabet_and_reparses_to_itself(raw in "\\PC{0,70}") {
            if let Ok(name) = Username::parse(&raw) {
                let s = name.as_str();
                prop_assert!((3..=64).contains(&s.len()));
                prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)));
                prop_assert_eq!(Username::parse(s), Ok(name.clone()));
            }
        }
    }
}
