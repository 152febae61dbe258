//! One Unicode source for the characters that hide or impersonate text.
//!
//! The command parser (what user prose Warden stores and shows again may contain) and the
//! injection guard (what counts as evidence of obfuscation) apply different policies, but both
//! classify characters here, from Unicode's own data, so they cannot disagree about what a
//! character is:
//!
//! - **Hidden** ([`hidden`]): the `Default_Ignorable_Code_Point` property (characters that
//!   render as nothing), split by the `Bidi_Control` and `Variation_Selector` properties and the
//!   tag block, from ICU4X's compiled data (already in the tree through `url`/`idna`). Unicode
//!   leaves the interlinear annotation controls U+FFF9–FFFB out of the property although
//!   renderers may hide the annotated text; they are added here.
//! - **Look-alikes** ([`lookalike`]): UTS #39 confusables. Two strings are confusable when their
//!   skeletons are equal, so a character is read as the ASCII letters or digits whose skeleton
//!   its own skeleton equals (Cyrillic `а` as `a`, Greek `ν` as `v`, `ı` as `i`).
//!
//! Pure: no I/O, no allocation in [`hidden`].

use icu_properties::props::{
    BidiControl, DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup, Script,
    VariationSelector,
};
use icu_properties::{CodePointMapData, CodePointSetData};
use std::sync::OnceLock;
use unicode_security::GeneralSecurityProfile as _;

/// Why a character is (or may be) invisible to the person reading the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// A bidi embedding, override or isolate (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): it
    /// reorders what is shown ("Trojan Source").
    BidiControl,
    /// An implicit directional mark (LRM U+200E, RLM U+200F, ALM U+061C): keyboards insert them
    /// in right-to-left text, and they cannot reorder a span the way controls can.
    DirectionalMark,
    /// A variation selector (U+FE00–FE0F, U+E0100–E01EF, Mongolian U+180B–180D and U+180F):
    /// one after a base character picks its glyph (U+2764 U+FE0F is a red heart); a run of
    /// them carries data nobody sees.
    VariationSelector,
    /// A tag character (U+E0000–E007F): meaningful only in emoji tag sequences (subdivision
    /// flags); anywhere else invisible ASCII ("ASCII smuggling").
    Tag,
    /// Any other character that renders as nothing: zero-width space, non-joiner and joiner,
    /// soft hyphen, word joiner, invisible operators, Hangul fillers, the BOM, interlinear
    /// annotation controls, unassigned default-ignorable code points…
    Invisible,
}

/// Interlinear annotation anchor, separator and terminator: format characters outside
/// `Default_Ignorable_Code_Point` whose annotation text a renderer may not show.
const INTERLINEAR_ANNOTATION: std::ops::RangeInclusive<char> = '\u{FFF9}'..='\u{FFFB}';

/// What hides `c` from a reader, if anything. ASCII (controls included: they are not
/// default-ignorable) is never hidden here.
#[must_use]
pub fn hidden(c: char) -> Option<Hidden> {
    if c.is_ascii() {
        return None;
    }
    if CodePointSetData::new::<BidiControl>().contains(c) {
        return Some(if matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}') {
            Hidden::DirectionalMark
        } else {
            Hidden::BidiControl
        });
    }
    if CodePointSetData::new::<VariationSelector>().contains(c) {
        return Some(Hidden::VariationSelector);
    }
    if ('\u{E0000}'..='\u{E007F}').contains(&c) {
        return Some(Hidden::Tag);
    }
    if CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        || INTERLINEAR_ANNOTATION.contains(&c)
    {
        return Some(Hidden::Invisible);
    }
    None
}

/// The ASCII character a tag character stands for (U+E0020–E007E → `' '`–`'~'`).
#[must_use]
pub fn tag_ascii(c: char) -> Option<char> {
    let cp = u32::from(c);
    if (0xE0020..=0xE007E).contains(&cp) {
        char::from_u32(cp - 0xE0000)
    } else {
        None
    }
}

/// The byte a variation selector encodes in the usual smuggling scheme (U+FE00–FE0F → 0–15,
/// U+E0100–E01EF → 16–255: 256 selectors, one per byte value).
#[must_use]
pub fn variation_byte(c: char) -> Option<u8> {
    let cp = u32::from(c);
    let value = match cp {
        0xFE00..=0xFE0F => cp - 0xFE00,
        0xE0100..=0xE01EF => cp - 0xE0100 + 16,
        _ => return None,
    };
    u8::try_from(value).ok()
}

/// What a non-ASCII character is read as: the ASCII letters or digits it is confusable with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookAlike {
    ascii: [u8; LookAlike::MAX],
    len: u8,
    /// See [`LookAlike::impersonates`].
    foreign: bool,
}

impl LookAlike {
    /// Longest reading kept (UTS #39 prototypes of letters are one to three characters).
    const MAX: usize = 4;

    /// The ASCII reading, e.g. `"a"` for Cyrillic `а`, `"m"` for Cyrillic `м`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes = self.ascii.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Whether Latin text has no business holding the character: it belongs to another script
    /// (Cyrillic, Greek, Armenian, Cherokee…) or is a Latin character UTS #39 restricts in
    /// identifiers (IPA small capitals, phonetic letters). Turkish `ı` does not impersonate;
    /// Cyrillic `о` and small-capital `ɪ` do.
    #[must_use]
    pub fn impersonates(&self) -> bool {
        self.foreign
    }
}

/// The UTS #39 skeleton of one character, when it is at most [`LookAlike::MAX`] characters.
fn skeleton(c: char) -> Option<([char; LookAlike::MAX], usize)> {
    let mut buf = [0u8; 4];
    let mut out = ['\0'; LookAlike::MAX];
    let mut len = 0;
    for s in unicode_security::skeleton(c.encode_utf8(&mut buf)) {
        // Combining marks (the overlay of `ø`, the dot of `ı`'s prototype) do not change what
        // letter is read.
        if is_combining(s) {
            continue;
        }
        *out.get_mut(len)? = s;
        len += 1;
    }
    Some((out, len))
}

fn is_combining(c: char) -> bool {
    GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

type Skeleton = ([char; LookAlike::MAX], usize);

/// Skeleton → the ASCII character that has it, in the order [`reading`] searches.
fn ascii_by_skeleton() -> &'static [(Skeleton, u8)] {
    static TABLE: OnceLock<Vec<(Skeleton, u8)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (b'a'..=b'z')
            .chain(b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .filter_map(|b| skeleton(char::from(b)).map(|s| (s, b)))
            .collect()
    })
}

/// The ASCII character whose skeleton is `skel`: lowercase letters first, then digits, then
/// capitals (so `l`, `I` and `1`, which share a skeleton, read as `l`); with `capitals`, capital
/// letters first, lowercased (for a character read through its capital).
fn reading(skel: &Skeleton, capitals: bool) -> Option<u8> {
    let table = ascii_by_skeleton();
    let find = |pred: fn(&u8) -> bool| {
        table
            .iter()
            .find(|(s, b)| pred(b) && s == skel)
            .map(|(_, b)| b.to_ascii_lowercase())
    };
    if capitals {
        find(u8::is_ascii_uppercase)
    } else {
        find(u8::is_ascii_lowercase)
            .or_else(|| find(u8::is_ascii_digit))
            .or_else(|| find(u8::is_ascii_uppercase))
    }
}

/// Latin small capitals, which UTS #39 keeps as prototypes of their own (so nothing maps them
/// to ASCII) although they are, by name, their letter: "ɪɢɴᴏʀᴇ" reads "ignore".
fn small_capital(c: char) -> Option<u8> {
    Some(match c {
        'ᴀ' => b'a',
        'ʙ' => b'b',
        'ᴄ' => b'c',
        'ᴅ' => b'd',
        'ᴇ' => b'e',
        'ꜰ' => b'f',
        'ɢ' => b'g',
        'ʜ' => b'h',
        'ɪ' => b'i',
        'ᴊ' => b'j',
        'ᴋ' => b'k',
        'ʟ' => b'l',
        'ᴍ' => b'm',
        'ɴ' => b'n',
        'ᴏ' => b'o',
        'ᴘ' => b'p',
        'ꞯ' => b'q',
        'ʀ' => b'r',
        'ꜱ' => b's',
        'ᴛ' => b't',
        'ᴜ' => b'u',
        'ᴠ' => b'v',
        'ᴡ' => b'w',
        'ʏ' => b'y',
        'ᴢ' => b'z',
        _ => return None,
    })
}

/// The ASCII letters or digits `c` is confusable with under UTS #39, if any: its skeleton is
/// that of an ASCII character, or (case-insensitively) its capital's skeleton is that of an
/// ASCII capital (Cyrillic `к` through `К`, confusable with `K`), or it is a Latin small
/// capital. `None` for ASCII, for characters whose skeleton is their own or not ASCII (most
/// letters of most scripts), and for hidden characters (see [`hidden`]).
#[must_use]
pub fn lookalike(c: char) -> Option<LookAlike> {
    if c.is_ascii() || hidden(c).is_some() {
        return None;
    }
    let mut ascii = [0u8; LookAlike::MAX];
    let skel = skeleton(c)?;
    let single = reading(&skel, false)
        .or_else(|| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) if u != c => reading(&skeleton(u)?, true),
                _ => None,
            }
        })
        .or_else(|| small_capital(c));
    let len = if let Some(b) = single {
        ascii[0] = b;
        1
    } else {
        // A multi-letter reading ("oo"), or nothing ASCII.
        let (chars, len) = skel;
        if len == 0 {
            return None;
        }
        for (slot, ch) in ascii.iter_mut().zip(chars.iter().take(len)) {
            if !ch.is_ascii_alphanumeric() {
                return None;
            }
            *slot = u8::try_from(u32::from(*ch)).ok()?.to_ascii_lowercase();
        }
        len
    };
    let script = CodePointMapData::<Script>::new().get(c);
    let foreign = !matches!(script, Script::Latin | Script::Common | Script::Inherited)
        || !c.identifier_allowed();
    Some(LookAlike {
        ascii,
        len: u8::try_from(len).ok()?,
        foreign,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_ignorables_are_hidden_whatever_table_a_crate_once_kept() {
        // The parser's and the guard's former hand tables, and what they missed.
        for c in [
            '\u{AD}',
            '\u{34F}',
            '\u{115F}',
            '\u{1160}',
            '\u{17B4}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{2064}',
            '\u{206F}',
            '\u{3164}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{1BCA0}',
            '\u{1D173}',
            '\u{E0080}',
            '\u{E01F0}',
            '\u{FFF9}',
            '\u{FFFB}',
        ] {
            assert_eq!(hidden(c), Some(Hidden::Invisible), "U+{:04X}", u32::from(c));
        }
        for c in ['\u{FE00}', '\u{FE0F}', '\u{E0100}', '\u{E01EF}', '\u{180B}'] {
            assert_eq!(hidden(c), Some(Hidden::VariationSelector), "{c:?}");
        }
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert_eq!(hidden(c), Some(Hidden::BidiControl), "{c:?}");
        }
        for c in ['\u{200E}', '\u{200F}', '\u{61C}'] {
            assert_eq!(hidden(c), Some(Hidden::DirectionalMark), "{c:?}");
        }
        assert_eq!(hidden('\u{E0041}'), Some(Hidden::Tag));
        assert_eq!(tag_ascii('\u{E0041}'), Some('A'));
    }

    #[test]
    fn visible_text_is_not_hidden() {
        for c in "aZ09 \t\n~é ßж中😀\u{2764}\u{FFFD}".chars() {
            assert_eq!(hidden(c), None, "{c:?}");
        }
    }

    #[test]
    fn variation_selectors_encode_every_byte_once() {
        let mut seen = [false; 256];
        for cp in (0xFE00..=0xFE0F).chain(0xE0100..=0xE01EF) {
            let b = variation_byte(char::from_u32(cp).unwrap()).unwrap();
            assert!(!seen[usize::from(b)]);
            seen[usize::from(b)] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(variation_byte('\u{180B}'), None);
    }

    #[test]
    fn cyrillic_and_greek_lookalikes_read_as_latin_and_impersonate() {
        for (c, ascii) in [
            ('а', "a"),
            ('е', "e"),
            ('о', "o"),
            ('р', "p"),
            ('с', "c"),
            ('х', "x"),
            ('у', "y"),
            ('і', "i"),
            ('ο', "o"),
            ('ν', "v"),
            ('ɪ', "i"),
            // Through the capital: К is confusable with K.
            ('к', "k"),
            ('м', "m"),
            ('т', "t"),
            ('в', "b"),
            // Small capitals.
            ('ɢ', "g"),
            ('ʀ', "r"),
        ] {
            let l = lookalike(c);
            assert!(l.is_some(), "{c:?} has no reading");
            let l = l.unwrap();
            assert_eq!(l.as_str(), ascii, "{c:?}");
            assert!(l.impersonates(), "{c:?}");
        }
    }

    #[test]
    fn latin_letters_of_other_languages_do_not_impersonate() {
        let dotless = lookalike('ı').unwrap();
        assert_eq!(dotless.as_str(), "i");
        assert!(!dotless.impersonates());
        for c in ['ж', '中', 'ש', '😀'] {
            assert_eq!(lookalike(c), None, "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn classification_is_total(c in any::<char>()) {
            let _ = hidden(c);
            let _ = tag_ascii(c);
            let _ = variation_byte(c);
            if let Some(l) = lookalike(c) {
                prop_assert!(!l.as_str().is_empty());
                prop_assert!(l.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
            }
        }
    }
}
