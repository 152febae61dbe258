//! The free-text argument of `add`: the only place user prose enters the command grammar.

use std::fmt;

use crate::CommandError;

/// A validated task title: 1..=[`TaskTitle::MAX_CHARS`] Unicode scalar values, trimmed, with no
/// control, bidi-control, invisible or replacement characters.
///
/// Titles may hold personal or medical information ("buy insulin"), so `Debug` prints only the
/// character count and there is deliberately no `Display`: the text can only be reached through
/// [`TaskTitle::as_str`], which makes every use visible in review.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TaskTitle(String);

impl TaskTitle {
    /// Largest accepted title, in Unicode scalar values (Rust `char`s), after trimming.
    pub const MAX_CHARS: usize = 200;

    /// Validates a title. Leading and trailing Unicode whitespace is trimmed; inner whitespace is
    /// kept as is.
    ///
    /// Checks run in this order and the first failure wins: [`CommandError::EmptyTitle`],
    /// [`CommandError::TitleTooLong`], then one pass over the characters where the first
    /// offending character decides between [`CommandError::ControlCharacter`],
    /// [`CommandError::BidiControl`], [`CommandError::InvisibleCharacter`] and
    /// [`CommandError::ReplacementCharacter`].
    ///
    /// Work is bounded by `MAX_CHARS` whatever the length of `raw`.
    pub fn new(raw: &str) -> Result<Self, CommandError> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(CommandError::EmptyTitle);
        }
        // `nth` stops after MAX_CHARS + 1 chars: no full scan of a hostile megabyte.
        if title.chars().nth(Self::MAX_CHARS).is_some() {
            return Err(CommandError::TitleTooLong);
        }
        if let Some(unsafe_char) = crate::hidden::find(title) {
            return Err(unsafe_char.into());
        }
        Ok(Self(title.to_owned()))
    }

    /// The title text. Treat it as personal data: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TaskTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskTitle")
            .field("chars", &self.0.chars().count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_at_max_chars_is_accepted_and_one_more_is_rejected() {
        // Multi-byte chars: the limit is in chars, not bytes.
        let max = "é".repeat(TaskTitle::MAX_CHARS);
        assert_eq!(TaskTitle::new(&max).map(|t| t.as_str().len()), Ok(400));
        let over = "é".repeat(TaskTitle::MAX_CHARS + 1);
        assert_eq!(TaskTitle::new(&over), Err(CommandError::TitleTooLong));
    }

    #[test]
    fn title_is_trimmed_but_inner_whitespace_is_kept() {
        let t = TaskTitle::new(" \u{A0} buy   milk\u{3000} ").unwrap();
        assert_eq!(t.as_str(), "buy   milk");
    }

    #[test]
    fn whitespace_only_title_is_rejected_as_empty() {
        assert_eq!(
            TaskTitle::new(" \u{A0}\u{3000} "),
            Err(CommandError::EmptyTitle)
        );
        assert_eq!(TaskTitle::new(""), Err(CommandError::EmptyTitle));
    }

    #[test]
    fn debug_of_title_shows_count_not_text() {
        let t = TaskTitle::new("insulin refill").unwrap();
        let dbg = format!("{t:?}");
        assert_eq!(dbg, "TaskTitle { chars: 14 }");
        assert!(!dbg.contains("insulin"));
        assert!(!format!("{t:#?}").contains("insulin"));
    }

    #[test]
    fn rejects_every_c0_c1_and_del_control_character() {
        for c in ('\u{0}'..='\u{1F}').chain('\u{7F}'..='\u{9F}') {
            assert_eq!(
                TaskTitle::new(&format!("a{c}b")),
                Err(CommandError::ControlCharacter),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn rejects_unicode_line_and_paragraph_separators_inside_title() {
        assert_eq!(
            TaskTitle::new("a\u{2028}b"),
            Err(CommandError::ControlCharacter)
        );
        assert_eq!(
            TaskTitle::new("a\u{2029}b"),
            Err(CommandError::ControlCharacter)
        );
    }

    #[test]
    fn rejects_every_trojan_source_bidi_character() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert_eq!(
                TaskTitle::new(&format!("a{c}b")),
                Err(CommandError::BidiControl),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn implicit_direction_marks_are_allowed_for_rtl_text() {
        assert!(TaskTitle::new("\u{5E9}\u{5DC}\u{5D5}\u{5DD} 3\u{200F}").is_ok());
        assert!(TaskTitle::new("a\u{200E}b\u{61C}c").is_ok());
    }

    #[test]
    fn rejects_zero_width_and_smuggling_characters() {
        let invisible = [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{180E}',
            '\u{3164}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{E0100}',
        ];
        for c in invisible {
            assert_eq!(
                TaskTitle::new(&format!("a{c}b")),
                Err(CommandError::InvisibleCharacter),
                "U+{:04X}",
                c as u32
            );
        }
    }

    /// Default-ignorable code points no hand table listed (unassigned ones included), and the
    /// interlinear annotation controls, are refused from the one Unicode source.
    #[test]
    fn rejects_every_default_ignorable_not_only_a_listed_few() {
        for c in [
            '\u{2065}',
            '\u{FFF0}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{1BCA0}',
            '\u{1D173}',
            '\u{E0080}',
            '\u{E01F0}',
            '\u{E0FFF}',
        ] {
            assert_eq!(
                TaskTitle::new(&format!("a{c}b")),
                Err(CommandError::InvisibleCharacter),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn rejects_bytes_smuggled_behind_emoji_variation_selectors() {
        // Two or more selectors in a row pick no glyph: they encode data.
        assert_eq!(
            TaskTitle::new("milk \u{1F600}\u{FE01}\u{FE0E}\u{FE03}"),
            Err(CommandError::InvisibleCharacter)
        );
    }

    #[test]
    fn leading_bom_is_not_trimmed_away_but_rejected() {
        // U+FEFF is not White_Space, so trim() keeps it and the character check sees it.
        assert_eq!(
            TaskTitle::new("\u{FEFF}milk"),
            Err(CommandError::InvisibleCharacter)
        );
    }

    #[test]
    fn rejects_replacement_character_from_lossy_decoding() {
        assert_eq!(
            TaskTitle::new("caf\u{FFFD}"),
            Err(CommandError::ReplacementCharacter)
        );
    }

    #[test]
    fn ordinary_emoji_with_variation_selector_is_allowed() {
        assert!(TaskTitle::new("call mum \u{2764}\u{FE0F} \u{1F600}").is_ok());
    }

    #[test]
    fn too_long_wins_over_bad_characters() {
        let s = format!("{}\u{202E}", "a".repeat(TaskTitle::MAX_CHARS));
        assert_eq!(TaskTitle::new(&s), Err(CommandError::TitleTooLong));
    }

    #[test]
    fn huge_title_is_rejected_without_panicking() {
        let s = "x".repeat(1 << 20);
        assert_eq!(TaskTitle::new(&s), Err(CommandError::TitleTooLong));
    }
}
