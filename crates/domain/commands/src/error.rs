//! Why a message was rejected.
//!
//! Every variant's `Display` text is a short sentence that is safe to send back to the user and
//! safe to log: it never contains any part of the rejected input, only fixed words chosen by this
//! crate. [`CommandError::code`] gives a stable snake_case reason for the audit log.

/// Why [`crate::parse`] (or one of the argument constructors) rejected its input.
///
/// `Display` is user-facing and never echoes the input; `Debug` is derived and holds no input
/// either (the only payload is a `&'static str` keyword chosen by this crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The message was empty or only whitespace.
    #[error("The message is empty.")]
    Empty,
    /// The raw message was longer than [`crate::MAX_INPUT_BYTES`] bytes.
    #[error("The message is too long.")]
    MessageTooLong,
    /// The first word is not one of the allowlisted commands.
    #[error("Unknown command.")]
    UnknownCommand,
    /// A command that needs an argument (`add`, `done`, `/pair`, `remind`, `unremind`) was sent
    /// without one.
    #[error("{keyword} needs an argument.")]
    MissingArgument {
        /// The canonical command word, as the user should type it (`"add"`, `"done"`, `"/pair"`,
        /// `"remind"`, `"unremind"`).
        keyword: &'static str,
    },
    /// A command that takes no argument (`help`, `list`, `events`) was followed by something.
    #[error("{keyword} takes no argument.")]
    UnexpectedArgument {
        /// The canonical command word (`"help"`, `"list"` or `"events"`).
        keyword: &'static str,
    },
    /// A task title was empty after trimming (only reachable through [`crate::TaskTitle::new`]).
    #[error("The task title is empty.")]
    EmptyTitle,
    /// A task title had more than [`crate::TaskTitle::MAX_CHARS`] Unicode scalar values.
    #[error("The task title is too long (max 200 characters).")]
    TitleTooLong,
    /// A task title contained a control character (C0, DEL, C1, which includes tab and newline)
    /// or a Unicode line/paragraph separator (U+2028, U+2029).
    #[error("The task title contains a control character or line break.")]
    ControlCharacter,
    /// A task title contained a bidirectional embedding, override or isolate (U+202A–U+202E,
    /// U+2066–U+2069): the "Trojan Source" characters that make text display in another order
    /// than it is stored.
    #[error("The task title contains a text-direction control character.")]
    BidiControl,
    /// A task title contained an invisible character (zero-width space/joiner, word joiner, BOM,
    /// Unicode tag characters, ...), which can hide text from the reader.
    #[error("The task title contains an invisible character.")]
    InvisibleCharacter,
    /// A task title contained U+FFFD, the mark of text that was corrupted before it reached us.
    #[error("The task title contains an unreadable character.")]
    ReplacementCharacter,
    /// A task number was not plain ASCII decimal digits without sign or leading zero.
    #[error("The task number must be plain digits, like 3.")]
    InvalidNumber,
    /// A task number was well-formed but outside 1..=999.
    #[error("The task number must be between 1 and 999.")]
    NumberOutOfRange,
    /// A pairing token was not 16..=128 characters of `A-Z a-z 0-9 _ -`.
    #[error("The pairing token is not valid.")]
    InvalidToken,
    /// The `<when>` of `remind` was not a day (`YYYY-MM-DD`, `today`, `tomorrow`, `mon`…`sun`)
    /// followed by a time (`HH:MM`).
    #[error("Write the time like: remind tomorrow 9:30 <title>.")]
    InvalidWhen,
    /// A `YYYY-MM-DD` that is not a day of the calendar (30 February, month 13, before 2000).
    #[error("That date does not exist.")]
    NoSuchDate,
    /// An `HH:MM` past 23:59.
    #[error("The time must be 24-hour, 00:00 to 23:59.")]
    InvalidTime,
    /// `remind` followed by prose rather than a day (`remind me to call mum`): free text that
    /// starts with the word, which the LLM advisor may answer when it is on.
    #[error("Write the time like: remind tomorrow 9:30 <title>.")]
    ReminderProse,
    /// `remind <when>` with nothing after the time.
    #[error("remind needs a title after the time.")]
    MissingTitle,
}

impl CommandError {
    /// Stable snake_case reason code for the audit log and metrics.
    ///
    /// These strings are part of the audit format: never rename one, only add new ones.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::MessageTooLong => "message_too_long",
            Self::UnknownCommand => "unknown_command",
            Self::MissingArgument { .. } => "missing_argument",
            Self::UnexpectedArgument { .. } => "unexpected_argument",
            Self::EmptyTitle => "empty_title",
            Self::TitleTooLong => "title_too_long",
            Self::ControlCharacter => "control_character",
            Self::BidiControl => "bidi_control",
            Self::InvisibleCharacter => "invisible_character",
            Self::ReplacementCharacter => "replacement_character",
            Self::InvalidNumber => "invalid_number",
            Self::NumberOutOfRange => "number_out_of_range",
            Self::InvalidToken => "invalid_token",
            Self::InvalidWhen => "invalid_when",
            Self::NoSuchDate => "no_such_date",
            Self::InvalidTime => "invalid_time",
            Self::MissingTitle => "missing_title",
            Self::ReminderProse => "reminder_prose",
        }
    }
}
