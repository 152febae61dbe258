//! Characters that hide, reorder or corrupt text for the person reading it. One policy for every
//! piece of user prose Warden stores and shows again (task titles, marketplace requests).

use crate::CommandError;

/// What kind of character [`classify`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenChar {
    /// C0, DEL, C1 (tab and newline included) or a Unicode line/paragraph separator.
    Control,
    /// A bidi embedding, override or isolate ("Trojan Source").
    BidiControl,
    /// A character that renders as nothing (zero-width, tag characters, fillers…).
    Invisible,
    /// U+FFFD, the mark of text corrupted before it reached us.
    Replacement,
}

impl From<HiddenChar> for CommandError {
    fn from(c: HiddenChar) -> Self {
        match c {
            HiddenChar::Control => CommandError::ControlCharacter,
            HiddenChar::BidiControl => CommandError::BidiControl,
            HiddenChar::Invisible => CommandError::InvisibleCharacter,
            HiddenChar::Replacement => CommandError::ReplacementCharacter,
        }
    }
}

/// Why `c` may not appear in user prose that people read (a task title, a request), if it may
/// not.
pub fn classify(c: char) -> Option<HiddenChar> {
    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
        Some(HiddenChar::Control)
    } else if is_bidi_control(c) {
        Some(HiddenChar::BidiControl)
    } else if is_invisible(c) {
        Some(HiddenChar::Invisible)
    } else if c == char::REPLACEMENT_CHARACTER {
        Some(HiddenChar::Replacement)
    } else {
        None
    }
}

/// Bidi embeddings, overrides and isolates: LRE RLE PDF LRO RLO, LRI RLI FSI PDI.
///
/// The implicit marks (LRM U+200E, RLM U+200F, ALM U+061C) are allowed: phone keyboards insert
/// them in right-to-left text and they cannot reorder a span the way these can.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing (or as blank) and so can hide text from the human reading
/// the task list, or smuggle instructions past them to a language model.
///
/// Variation selectors U+FE00–U+FE0F stay allowed because everyday emoji need them (U+2764
/// U+FE0F is a red heart); the supplementary selectors and tag characters, which have no such
/// everyday use and are a known "ASCII smuggling" channel, are rejected. So is U+200D ZWJ, which
/// means joined emoji sequences (family, rainbow flag) are rejected: a deliberate trade-off.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                // combining grapheme joiner
            | '\u{115F}' | '\u{1160}'   // Hangul choseong/jungseong fillers
            | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels
            | '\u{180E}'                // Mongolian vowel separator
            | '\u{200B}'..='\u{200D}'   // zero-width space, non-joiner, joiner
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{206A}'..='\u{206F}'   // deprecated format characters
            | '\u{3164}'                // Hangul filler
            | '\u{FEFF}'                // zero-width no-break space / BOM
            | '\u{FFA0}'                // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation
            | '\u{E0000}'..='\u{E007F}' // tag characters
            | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}
