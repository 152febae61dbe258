//! A value that is never printed.

use std::fmt;

use sha2::{Digest, Sha256};

/// A whole value (message body, OCR text, profile name) that may be carried and used but never
/// printed: `Debug` and `Display` show `<redacted len=N sha256=1a2b3c4d>`, the byte length and the
/// first 32 bits of its SHA-256, so two log lines can be seen to refer to the same value.
///
/// The hash is unkeyed: for short, guessable values (a phone number, a yes/no answer) it can be
/// confirmed by brute force. Wrap such values only when their length and equality are harmless.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T: AsRef<[u8]>> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the one call that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: AsRef<[u8]>> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// `<redacted len=N sha256=8hex>` for any bytes.
pub(crate) fn marker(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!(
        "<redacted len={} sha256={}>",
        bytes.len(),
        hex::encode(digest.get(..4).unwrap_or_default())
    )
}

impl<T: AsRef<[u8]>> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&marker(self.0.as_ref()))
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&marker(self.0.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_print_length_and_hash_never_the_value() {
        let body = Sensitive::new("Meet me at 10, my number is +447700900123".to_owned());
        for shown in [
            format!("{body:?}"),
            format!("{body}"),
            format!("{:#?}", body),
        ] {
            assert!(shown.starts_with("<redacted len=41 sha256="), "{shown}");
            assert!(!shown.contains("Meet"), "{shown}");
            assert_eq!(shown.len(), "<redacted len=41 sha256=12345678>".len());
        }
        assert_eq!(body.expose().len(), 41);
    }

    #[test]
    fn equal_values_have_equal_markers() {
        assert_eq!(
            format!("{}", Sensitive::new("a")),
            format!("{}", Sensitive::new(b"a"))
        );
        assert_ne!(
            format!("{}", Sensitive::new("a")),
            format!("{}", Sensitive::new("b"))
        );
    }
}
