//! Strict `application/x-www-form-urlencoded` decoding for webhook bodies.
//!
//! Decoding follows the WHATWG URL Standard (what Twilio's form encoder and every HTTP stack
//! agree on: `&`-separated pairs, first `=` splits, `+` is a space, `%XX` is a byte, a `%` not
//! followed by two hex digits stays literal), with two deliberate differences from
//! `form_urlencoded::parse`: decoded bytes that are not UTF-8 are an error instead of being
//! replaced with U+FFFD (so two different bodies can never decode to the same fields), and the
//! number of fields is capped.

/// Why a form body was refused. Never carries the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("form body has more than {max} fields")]
    TooManyFields { max: usize },
    #[error("form field is not valid UTF-8 after percent-decoding")]
    InvalidUtf8,
}

/// Twilio sends about 16 fields, plus two per media item (at most 10). Anything far above is
/// not Twilio; the cap bounds the work done (and the memory held) before signature checking.
pub const MAX_FIELDS: usize = 128;

/// Decodes a form body into `(key, value)` pairs, keeping their order and duplicates (both are
/// needed: the signature covers every pair). Empty segments (`a=1&&b=2`) are skipped.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut fields = Vec::with_capacity(24);
    for segment in body.split(|&b| b == b'&').filter(|s| !s.is_empty()) {
        if fields.len() == MAX_FIELDS {
            return Err(FormError::TooManyFields { max: MAX_FIELDS });
        }
        let (key, value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &[][..]),
        };
        fields.push((decode(key)?, decode(value)?));
    }
    Ok(fields)
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_value);
                let lo = raw.get(i + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push((hi << 4) | lo);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::InvalidUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_twilio_encoding() {
        let fields =
            parse_form(b"From=whatsapp%3A%2B14155550123&Body=hi+there%21&Body=again").unwrap();
        assert_eq!(
            fields,
            vec![
                ("From".into(), "whatsapp:+14155550123".into()),
                ("Body".into(), "hi there!".into()),
                ("Body".into(), "again".into()),
            ]
        );
    }

    #[test]
    fn keeps_literal_percent_and_empty_values() {
        let fields = parse_form(b"a=100%&b&c=&=d&&e=%zz%4").unwrap();
        assert_eq!(
            fields,
            vec![
                ("a".into(), "100%".into()),
                ("b".into(), String::new()),
                ("c".into(), String::new()),
                (String::new(), "d".into()),
                ("e".into(), "%zz%4".into()),
            ]
        );
    }

    #[test]
    fn rejects_percent_encoded_invalid_utf8() {
        assert_eq!(parse_form(b"Body=%FF%FE"), Err(FormError::InvalidUtf8));
        assert_eq!(parse_form(b"Body=\xff"), Err(FormError::InvalidUtf8));
        // A lossy decoder would turn this into U+FFFD, indistinguishable from a real one.
        assert_eq!(parse_form(b"Body=%EF%BF%BD").unwrap()[0].1, "\u{FFFD}");
    }

    #[test]
    fn rejects_field_flood() {
        let ok = "a=1&".repeat(MAX_FIELDS);
        assert_eq!(parse_form(ok.as_bytes()).unwrap().len(), MAX_FIELDS);
        let flood = "a=1&".repeat(MAX_FIELDS + 1);
        assert_eq!(
            parse_form(flood.as_bytes()),
            Err(FormError::TooManyFields { max: MAX_FIELDS })
        );
    }

    proptest! {
        #[test]
        fn parse_form_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_form(&body);
        }

        #[test]
        fn agrees_with_whatwg_decoder_on_utf8(body in "[a-zA-Z0-9%+=&\u{e9}\u{1F600}]{0,64}") {
            let ours = parse_form(body.as_bytes());
            let theirs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body.as_bytes()).unwrap();
            match ours {
                Ok(fields) => prop_assert_eq!(fields, theirs),
                // Only when a %XX sequence produced bytes that are not UTF-8.
                Err(e) => {
                    prop_assert_eq!(e, FormError::InvalidUtf8);
                    let lossy = theirs
                        .iter()
                        .any(|(k, v)| k.contains(char::REPLACEMENT_CHARACTER) || v.contains(char::REPLACEMENT_CHARACTER));
                    prop_assert!(lossy, "only lossy decodes may be refused");
                }
            }
        }

        #[test]
        fn encode_then_parse_round_trips(
            fields in prop::collection::vec(("\\PC{0,10}", "\\PC{0,20}"), 0..20)
        ) {
            let body = serde_urlencoded::to_string(&fields).unwrap();
            prop_assert_eq!(parse_form(body.as_bytes()).unwrap(), fields);
        }
    }
}

/// A field Warden reads appeared more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repeated;

/// The value of a field that must appear at most once: the signature covers every copy, so a
/// repeat would let two readers disagree on which one counts.
pub(crate) fn single<'a>(
    params: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, Repeated> {
    let mut found = None;
    for (_, value) in params.iter().filter(|(key, _)| key == name) {
        if found.replace(value.as_str()).is_some() {
            return Err(Repeated);
        }
    }
    Ok(found)
}
