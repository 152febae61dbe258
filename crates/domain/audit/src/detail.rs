//! Structured, non-personal event details and their canonical text encoding.
//!
//! The encoding is stored in the `detail` column and covered by the row hash, so it is defined
//! here by hand (no serde) and never changes:
//!
//! - pairs `key=value`, keys in ascending byte order, joined by `&`; no pairs → `""`;
//! - keys match `[a-z_]{1,32}` and are never escaped;
//! - in values, `%`, `&`, `=` and every byte outside printable ASCII (`0x20..=0x7E`) are written
//!   as `%XX` (uppercase hex of the UTF-8 byte); every other byte is written as itself.
//!
//! [`Detail::decode`] accepts exactly the strings [`Detail::encode`] produces (it rejects
//! unsorted or duplicate keys, needless or lowercase escapes), so `decode(s)?.encode() == s`
//! and `encode` is injective.

use std::collections::BTreeMap;
use std::fmt;

/// Longest allowed key, in bytes.
pub const MAX_KEY_LEN: usize = 32;

/// Why a detail key or an encoded detail string was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DetailError {
    #[error("detail key must match [a-z_]{{1,32}}")]
    BadKey,
    #[error("detail pair has no '='")]
    MissingEquals,
    #[error("detail keys are not in strictly ascending order")]
    KeysNotSorted,
    #[error("detail value has a malformed or non-canonical escape")]
    BadEscape,
    #[error("detail value has a byte that must be escaped")]
    UnescapedByte,
    #[error("detail value is not valid UTF-8")]
    NotUtf8,
}

/// Structured, non-personal details of an audit event.
///
/// Keys are fixed identifiers (`command`, `task_id`, `reason`); values are short codes, ids and
/// numbers. Never put a phone number, a message body or a secret in here: the audit log keeps
/// rows forever and cannot redact them later without breaking the chain.
///
/// ```
/// use warden_audit::Detail;
/// let d = Detail::new().with("task_id", 17).with("command", "add");
/// assert_eq!(d.encode(), "command=add&task_id=17");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail(BTreeMap<String, String>);

impl Detail {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `key = value`.
    ///
    /// Keys are meant to be literals, hence `&'static str`. A key outside `[a-z_]{1,32}` is a
    /// programming error: debug builds panic on it; release builds store a sanitised key
    /// (ASCII letters lowercased, other bytes → `_`, cut to 32, empty → `_`) rather than drop
    /// the audit event. Use [`Detail::try_with`] for keys that are not literals.
    #[must_use]
    pub fn with(mut self, key: &'static str, value: impl ToString) -> Self {
        debug_assert!(is_valid_key(key), "invalid audit detail key {key:?}");
        self.0.insert(sanitize_key(key), value.to_string());
        self
    }

    /// Adds (or replaces) `key = value`, refusing a key outside `[a-z_]{1,32}`.
    pub fn try_with(mut self, key: &str, value: impl ToString) -> Result<Self, DetailError> {
        if !is_valid_key(key) {
            return Err(DetailError::BadKey);
        }
        self.0.insert(key.to_owned(), value.to_string());
        Ok(self)
    }

    /// Every value passed through `rewrite` (a redactor), keys unchanged; `None` when no value
    /// changed, so the common case allocates nothing.
    pub fn rewritten<'a>(
        &'a self,
        rewrite: impl Fn(&'a str) -> std::borrow::Cow<'a, str>,
    ) -> Option<Self> {
        let mut changed = None::<BTreeMap<String, String>>;
        for (key, value) in &self.0 {
            if let std::borrow::Cow::Owned(new) = rewrite(value) {
                changed
                    .get_or_insert_with(|| self.0.clone())
                    .insert(key.clone(), new);
            }
        }
        changed.map(Self)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Pairs in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The canonical encoding (see the module docs). Deterministic; `""` when empty.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            for &b in value.as_bytes() {
                if needs_escape(b) {
                    out.push('%');
                    out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
                    out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
                } else {
                    out.push(char::from(b));
                }
            }
        }
        out
    }

    /// The strict inverse of [`Detail::encode`]: accepts only canonical encodings.
    pub fn decode(s: &str) -> Result<Detail, DetailError> {
        let mut map = BTreeMap::new();
        if s.is_empty() {
            return Ok(Self(map));
        }
        let mut last_key: Option<&str> = None;
        for pair in s.split('&') {
            let (key, raw) = pair.split_once('=').ok_or(DetailError::MissingEquals)?;
            if !is_valid_key(key) {
                return Err(DetailError::BadKey);
            }
            if last_key.is_some_and(|last| last >= key) {
                return Err(DetailError::KeysNotSorted);
            }
            last_key = Some(key);
            map.insert(key.to_owned(), unescape(raw)?);
        }
        Ok(Self(map))
    }
}

impl fmt::Display for Detail {
    /// The canonical encoding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn needs_escape(b: u8) -> bool {
    !(0x20..=0x7e).contains(&b) || matches!(b, b'%' | b'&' | b'=')
}

fn is_valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn sanitize_key(key: &str) -> String {
    let mut out: String = key
        .bytes()
        .take(MAX_KEY_LEN)
        .map(|b| match b.to_ascii_lowercase() {
            c @ b'a'..=b'z' => char::from(c),
            _ => '_',
        })
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

fn upper_hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn unescape(raw: &str) -> Result<String, DetailError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hi = it
                .next()
                .and_then(upper_hex_digit)
                .ok_or(DetailError::BadEscape)?;
            let lo = it
                .next()
                .and_then(upper_hex_digit)
                .ok_or(DetailError::BadEscape)?;
            let decoded = (hi << 4) | lo;
            if !needs_escape(decoded) {
                return Err(DetailError::BadEscape);
            }
            bytes.push(decoded);
        } else if needs_escape(b) {
            return Err(DetailError::UnescapedByte);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).map_err(|_| DetailError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::btree_map;
    use proptest::prelude::*;

    fn from_map(map: BTreeMap<String, String>) -> Detail {
        map.into_iter()
            .fold(Detail::new(), |d, (k, v)| d.try_with(&k, v).unwrap())
    }

    fn arb_detail() -> impl Strategy<Value = Detail> {
        btree_map("[a-z_]{1,32}", any::<String>(), 0..6).prop_map(from_map)
    }

    #[test]
    fn detail_encoding_round_trips() {
        let d = Detail::new()
            .with("task_id", 17)
            .with("command", "add")
            .with("reason", "a&b=c%d é\n")
            .with("empty", "");
        let s = d.encode();
        assert_eq!(
            s,
            "command=add&empty=&reason=a%26b%3Dc%25d %C3%A9%0A&task_id=17"
        );
        assert_eq!(Detail::decode(&s), Ok(d));
        assert_eq!(Detail::decode(""), Ok(Detail::new()));
        assert_eq!(Detail::new().encode(), "");
    }

    #[test]
    fn encoding_is_independent_of_insertion_order() {
        let a = Detail::new().with("b", 2).with("a", 1);
        let b = Detail::new().with("a", 1).with("b", 2);
        assert_eq!(a.encode(), b.encode());
    }

    #[test]
    fn try_with_refuses_keys_outside_the_alphabet() {
        for bad in [
            "",
            "Command",
            "task-id",
            "a=b",
            "a&b",
            "ключ",
            &"a".repeat(33),
        ] {
            assert_eq!(
                Detail::new().try_with(bad, 1),
                Err(DetailError::BadKey),
                "{bad:?}"
            );
        }
        assert!(Detail::new().try_with(&"a".repeat(32), 1).is_ok());
    }

    #[test]
    fn sanitized_keys_stay_in_the_alphabet() {
        assert_eq!(sanitize_key("Task-Id"), "task_id");
        assert_eq!(sanitize_key(""), "_");
        assert_eq!(sanitize_key(&"x".repeat(40)).len(), MAX_KEY_LEN);
        assert!(is_valid_key(&sanitize_key("ключ")));
    }

    #[test]
    fn decode_refuses_non_canonical_input() {
        let cases = [
            ("b=1&a=2", DetailError::KeysNotSorted),
            ("a=1&a=2", DetailError::KeysNotSorted),
            ("a", DetailError::MissingEquals),
            ("a=1&", DetailError::MissingEquals),
            ("=1", DetailError::BadKey),
            ("A=1", DetailError::BadKey),
            ("a=%61", DetailError::BadEscape),
            ("a=%c3%a9", DetailError::BadEscape),
            ("a=%2", DetailError::BadEscape),
            ("a=%", DetailError::BadEscape),
            ("a=x=y", DetailError::UnescapedByte),
            ("a=é", DetailError::UnescapedByte),
            ("a=\n", DetailError::UnescapedByte),
            ("a=%FF", DetailError::NotUtf8),
        ];
        for (input, err) in cases {
            assert_eq!(Detail::decode(input), Err(err), "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_details_round_trip(d in arb_detail()) {
            let s = d.encode();
            prop_assert_eq!(Detail::decode(&s), Ok(d));
        }

        #[test]
        fn encode_is_injective(a in arb_detail(), b in arb_detail()) {
            prop_assert_eq!(a == b, a.encode() == b.encode());
        }

        #[test]
        fn values_differing_in_one_byte_encode_differently(v in any::<String>(), c in any::<char>()) {
            let a = Detail::new().with("v", &v);
            let b = Detail::new().with("v", format!("{v}{c}"));
            prop_assert_ne!(a.encode(), b.encode());
        }

        #[test]
        fn decode_is_total_and_accepts_only_canonical_text(s in "\\PC*|[a-z_=&%0-9A-F]{0,24}") {
            if let Ok(d) = Detail::decode(&s) {
                prop_assert_eq!(d.encode(), s);
            }
        }

        #[test]
        fn encoded_detail_is_printable_ascii(d in arb_detail()) {
            prop_assert!(d.encode().bytes().all(|b| (0x20..=0x7e).contains(&b)));
        }
    }
}

#[cfg(test)]
mod rewrite_tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn rewriting_changes_only_what_the_rewriter_changes() {
        let d = Detail::new()
            .with("reason", "ok")
            .with("note", "call +15550100");
        let redacted = d
            .rewritten(|v| {
                if v.contains('+') {
                    Cow::Owned("<phone>".into())
                } else {
                    Cow::Borrowed(v)
                }
            })
            .expect("changed");
        assert_eq!(redacted.get("note"), Some("<phone>"));
        assert_eq!(redacted.get("reason"), Some("ok"));
        assert_eq!(
            d.rewritten(Cow::Borrowed),
            None,
            "nothing to rewrite: no copy"
        );
    }
}
