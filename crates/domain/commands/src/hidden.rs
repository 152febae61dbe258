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
/// not. What is hidden comes from [`warden_unicode`] (Unicode's `Default_Ignorable_Code_Point`
/// and friends), the one source the injection guard reads too; what is allowed of it is this
/// policy:
///
/// - the implicit marks (LRM, RLM, ALM): phone keyboards insert them in right-to-left text and
///   they cannot reorder a span the way the bidi controls can;
/// - one variation selector of U+FE00–FE0F or a Mongolian one after a character: everyday emoji
///   need them (U+2764 U+FE0F is a red heart). The supplementary selectors and tag characters,
///   which have no such everyday use and are known smuggling channels, are rejected, and so is a
///   selector after a selector ([`find`]). So is U+200D ZWJ, which means joined emoji sequences
///   (family, rainbow flag) are rejected: a deliberate trade-off.
pub fn classify(c: char) -> Option<HiddenChar> {
    use warden_unicode::Hidden;
    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
        return Some(HiddenChar::Control);
    }
    if c == char::REPLACEMENT_CHARACTER {
        return Some(HiddenChar::Replacement);
    }
    match warden_unicode::hidden(c)? {
        Hidden::BidiControl => Some(HiddenChar::BidiControl),
        Hidden::DirectionalMark => None,
        Hidden::VariationSelector if everyday_selector(c) => None,
        Hidden::VariationSelector | Hidden::Tag | Hidden::Invisible => Some(HiddenChar::Invisible),
    }
}

/// U+FE00–FE0F (emoji and CJK glyph variants) and the Mongolian free variation selectors.
fn everyday_selector(c: char) -> bool {
    warden_unicode::variation_byte(c).is_none_or(|b| b < 16)
}

/// The first reason `text` may not be shown as written: a character [`classify`] refuses, or a
/// variation selector right after another (one picks a glyph; a run carries hidden data).
pub fn find(text: &str) -> Option<HiddenChar> {
    let mut after_selector = false;
    for c in text.chars() {
        if let Some(hidden) = classify(c) {
            return Some(hidden);
        }
        let selector = warden_unicode::hidden(c) == Some(warden_unicode::Hidden::VariationSelector);
        if selector && after_selector {
            return Some(HiddenChar::Invisible);
        }
        after_selector = selector;
    }
    None
}
