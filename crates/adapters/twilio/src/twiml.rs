//! TwiML for the synchronous webhook answer.
//!
//! Twilio reads the HTTP response to the inbound webhook as TwiML: `<Message>` sends a reply
//! in the same conversation, an empty `<Response/>` acknowledges without replying.

/// `Content-Type` of a TwiML answer. Twilio accepts `text/xml` and `application/xml`; the
/// charset matches the XML declaration.
pub const TWIML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const OPEN: &str = "<Response><Message>";
const CLOSE: &str = "</Message></Response>";

/// The TwiML answer to an inbound webhook.
///
/// `Some(text)` replies with `text`, XML-escaped (`& < > " '`) and with the characters XML 1.0
/// forbids removed (control characters other than tab, newline and carriage return, and
/// U+FFFE/U+FFFF), so reply text can never inject markup such as a second `<Message>` or a
/// `<Redirect>`. `None`, or a text that is empty after that clean-up, yields an empty
/// `<Response/>`: Twilio rejects an empty `<Message>` with an error, and "no reply" is the
/// only sensible reading of one.
pub fn twiml_reply(text: Option<&str>) -> String {
    let text = text.unwrap_or("");
    let mut out =
        String::with_capacity(DECLARATION.len() + OPEN.len() + text.len() + CLOSE.len() + 16);
    out.push_str(DECLARATION);
    out.push_str(OPEN);
    let content_start = out.len();
    push_escaped(&mut out, text);
    if out.len() == content_start {
        out.truncate(DECLARATION.len());
        out.push_str("<Response/>");
    } else {
        out.push_str(CLOSE);
    }
    out
}

/// Appends `text` as XML character data: `& < > " '` escaped, characters XML 1.0 forbids
/// dropped. Shared with the Voice adapter's `<Say>`.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
}

/// XML 1.0 `Char`: `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`
/// (a Rust `char` is never a surrogate).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The text inside `<Message>`, unescaped; `None` for the empty response. Fails the test on
    /// anything that is not exactly the shape `twiml_reply` promises.
    fn message_text(twiml: &str) -> Option<String> {
        let rest = twiml.strip_prefix(DECLARATION).unwrap();
        if rest == "<Response/>" {
            return None;
        }
        let inner = rest
            .strip_prefix(OPEN)
            .unwrap()
            .strip_suffix(CLOSE)
            .unwrap();
        assert!(
            !inner.contains(['<', '>', '"', '\'']),
            "raw markup in {inner:?}"
        );
        assert!(
            inner.chars().all(is_xml_char),
            "illegal XML char in {inner:?}"
        );
        // Every '&' starts one of the five entities we emit.
        let mut text = String::new();
        let mut parts = inner.split('&');
        text.push_str(parts.next().unwrap());
        for part in parts {
            let (entity, tail) = part.split_once(';').unwrap();
            text.push(match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                other => panic!("unexpected entity {other}"),
            });
            text.push_str(tail);
        }
        Some(text)
    }

    #[test]
    fn renders_reply() {
        assert_eq!(
            twiml_reply(Some("Done: task added.")),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Done: task added.</Message></Response>"#
        );
    }

    #[test]
    fn none_is_the_empty_response() {
        assert_eq!(
            twiml_reply(None),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
        );
    }

    #[test]
    fn empty_or_all_illegal_text_is_no_reply() {
        assert_eq!(twiml_reply(Some("")), twiml_reply(None));
        assert_eq!(twiml_reply(Some("\u{0}\u{1b}\u{FFFE}")), twiml_reply(None));
    }

    #[test]
    fn twiml_escapes_markup_injection() {
        let attack =
            r#"ok</Message><Redirect>https://evil.example/x?a=1&b='2'</Redirect><Message>"#;
        let out = twiml_reply(Some(attack));
        assert_eq!(out.matches("<Message>").count(), 1);
        assert!(!out.contains("<Redirect>"));
        assert!(out.contains(
            "ok&lt;/Message&gt;&lt;Redirect&gt;https://evil.example/x?a=1&amp;b=&apos;2&apos;"
        ));
        assert_eq!(message_text(&out).as_deref(), Some(attack));
    }

    #[test]
    fn strips_characters_illegal_in_xml() {
        let out = twiml_reply(Some("a\u{0}b\u{8}c\u{1b}[31md\te\nf\rg\u{FFFF}h\u{1F600}"));
        assert_eq!(
            message_text(&out).as_deref(),
            Some("abc[31md\te\nf\rgh\u{1F600}")
        );
    }

    #[test]
    fn content_type_is_xml_utf8() {
        assert!(TWIML_CONTENT_TYPE.starts_with("text/xml"));
        assert!(TWIML_CONTENT_TYPE.ends_with("charset=utf-8"));
    }

    proptest! {
        #[test]
        fn twiml_is_well_formed_and_round_trips(text in any::<String>()) {
            let out = twiml_reply(Some(&text));
            let kept: String = text.chars().filter(|&c| is_xml_char(c)).collect();
            let expected = if kept.is_empty() { None } else { Some(kept) };
            prop_assert_eq!(message_text(&out), expected);
        }
    }
}
