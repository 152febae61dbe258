//! Small text helpers shared by the modules: character screening, folding for matching, clipping.

/// Why a piece of free text was refused. Never carries the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is too long")]
    TooLong,
    #[error("the text contains a control character or line break")]
    ControlCharacter,
    #[error("the text contains a text-direction control character")]
    BidiControl,
    #[error("the text contains an invisible character")]
    InvisibleCharacter,
    #[error("the text contains an unreadable character")]
    ReplacementCharacter,
}

impl TextError {
    /// Stable snake_case code for the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "empty_text",
            Self::TooLong => "text_too_long",
            Self::ControlCharacter => "control_character",
            Self::BidiControl => "bidi_control",
            Self::InvisibleCharacter => "invisible_character",
            Self::ReplacementCharacter => "replacement_character",
        }
    }
}

/// Trims `raw` and checks it holds 1..=`max_chars` characters, none of them control, bidi,
/// invisible or replacement characters. Work is bounded by `max_chars`.
pub(crate) fn screen(raw: &str, max_chars: usize) -> Result<&str, TextError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().nth(max_chars).is_some() {
        return Err(TextError::TooLong);
    }
    if let Some(hidden) = warden_commands::hidden::find(text) {
        return Err(text_error(hidden));
    }
    Ok(text)
}

/// Why `c` may not appear in screened text, if it may not: the same policy as task titles
/// (`warden_commands::hidden`).
pub(crate) fn forbidden(c: char) -> Option<TextError> {
    warden_commands::hidden::classify(c).map(text_error)
}

fn text_error(hidden: warden_commands::hidden::HiddenChar) -> TextError {
    use warden_commands::hidden::HiddenChar;
    match hidden {
        HiddenChar::Control => TextError::ControlCharacter,
        HiddenChar::BidiControl => TextError::BidiControl,
        HiddenChar::Invisible => TextError::InvisibleCharacter,
        HiddenChar::Replacement => TextError::ReplacementCharacter,
    }
}

/// Text that came from someone untrusted (a vendor) made safe to show: newlines kept, every
/// other control, bidi, invisible and replacement character dropped, clipped to `max_chars`.
pub(crate) fn sanitize_untrusted(text: &str, max_chars: usize) -> String {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|&c| c == '\n' || forbidden(c).is_none())
        .collect();
    clip(cleaned.trim(), max_chars)
}

/// Cuts `text` to `max_chars` characters, ending with `…` when cut.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().nth(max_chars).is_none() {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Lowercase with the Latin accents of the supported languages folded to ASCII, so that
/// `Cadeira`, `CADEIRA` and `cadéira` match the same keyword. Characters without a folding are
/// lowercased and kept.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        for l in c.to_lowercase() {
            match fold_char(l) {
                Some(s) => out.push_str(s),
                None => out.push(l),
            }
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'ć' | 'č' => "c",
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'ł' => "l",
        'ś' | 'š' => "s",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// The words of folded text: maximal runs of alphanumeric characters.
pub(crate) fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_bounds_length_and_rejects_hidden_characters() {
        assert_eq!(screen("  van  ", 10), Ok("van"));
        assert_eq!(screen("   ", 10), Err(TextError::Empty));
        assert_eq!(screen(&"é".repeat(11), 10), Err(TextError::TooLong));
        assert_eq!(screen(&"é".repeat(10), 10).map(str::len), Ok(20));
        assert_eq!(screen("a\nb", 10), Err(TextError::ControlCharacter));
        assert_eq!(screen("a\u{202E}b", 10), Err(TextError::BidiControl));
        assert_eq!(screen("a\u{200B}b", 10), Err(TextError::InvisibleCharacter));
    }

    #[test]
    fn fold_removes_accents_and_case() {
        assert_eq!(
            fold("Cadeira de RODAS, São João, Straße"),
            "cadeira de rodas, sao joao, strasse"
        );
    }

    #[test]
    fn sanitize_drops_bidi_and_keeps_newlines() {
        assert_eq!(sanitize_untrusted("a\u{202E}b\nc\u{7}", 100), "ab\nc");
        assert_eq!(sanitize_untrusted("abcdef", 4), "abc…");
    }
}
