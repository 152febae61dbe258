//! The strict, allowlisted command grammar of the Warden WhatsApp task assistant.
//!
//! # Why a grammar and not "understanding"
//!
//! Every inbound WhatsApp message is untrusted text. The only messages that can cause an effect
//! (add a task, complete one, pair a phone) are the ones that match this small, hand-written
//! grammar exactly; everything else is rejected with a reason code and answered with
//! [`help_text`]. This is the allowlist control against prompt injection and unintended actions:
//! no free-text sentence, however it is phrased, can become a command, and no language model sits
//! between the message and the decision of *which* action runs. The one piece of free text that
//! is accepted, a [`TaskTitle`], is stored as inert data and is screened for control, bidi
//! ("Trojan Source") and invisible characters that could hide content from the human reading it.
//!
//! The parser is total and cheap: it never panics, uses no regex, checks the byte length
//! ([`MAX_INPUT_BYTES`]) before looking at anything else, and does at most a few linear passes
//! over the (already bounded) input. The exact grammar, with accepted and rejected examples and
//! every error code, is in `docs/COMMANDS.md`.
//!
//! ```
//! use warden_commands::{parse, Command, CommandError};
//!
//! assert_eq!(parse("  LIST \n"), Ok(Command::List));
//! assert!(matches!(parse("add buy milk"), Ok(Command::Add(t)) if t.as_str() == "buy milk"));
//! assert!(matches!(parse("done 3"), Ok(Command::Done(n)) if n.get() == 3));
//! assert!(matches!(parse("remind tomorrow 9:30 call the dentist"),
//!     Ok(Command::Remind(r)) if r.when.to_string() == "tomorrow 09:30"));
//! let err = parse("please delete all my tasks").unwrap_err();
//! assert_eq!(err.code(), "unknown_command");
//! ```
//!
//! This crate is pure domain code: no I/O, no async, no allocation beyond the accepted argument.

mod error;
pub mod hidden;
mod number;
mod title;
mod token;
mod when;

pub use error::CommandError;
pub use number::TaskNumber;
pub use title::TaskTitle;
pub use token::PairToken;
pub use when::{Date, Day, TimeOfDay, Weekday, When};

/// Largest accepted message, in UTF-8 bytes of the raw body before trimming (Twilio's WhatsApp
/// body limit is 1600). Longer input is [`CommandError::MessageTooLong`] before any other check.
pub const MAX_INPUT_BYTES: usize = 1600;

/// A command the assistant may act on. Holding one means the message matched the grammar.
///
/// Deliberately not `#[non_exhaustive]`: adding a command must force every `match` in the
/// workspace to decide what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `help`: reply with [`help_text`].
    Help,
    /// `add <title>`: create a task.
    Add(TaskTitle),
    /// `list`: show open tasks, numbered.
    List,
    /// `done <n>`: complete task number `n` of the list.
    Done(TaskNumber),
    /// `/pair <token>`: link this phone number using a one-time token.
    Pair(PairToken),
    /// `remind <when> <title>`: create a calendar event.
    Remind(Reminder),
    /// `events`: show the upcoming calendar events Warden created for this sender, numbered.
    Events,
    /// `unremind <n>`: delete event number `n` of that list.
    Unremind(TaskNumber),
}

/// The argument of `remind`: when, as written, and a title under the task title rules.
///
/// When and what someone is reminded of are personal data: `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Reminder {
    pub when: When,
    pub title: TaskTitle,
}

impl std::fmt::Debug for Reminder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reminder")
            .field("when", &"<redacted>")
            .field("title", &self.title)
            .finish()
    }
}

impl Reminder {
    /// `<day> <time> <title>`, each separated by ASCII spaces or tabs. The `<when>` is checked
    /// first: a first word that is no day name and does not start with a digit is prose
    /// (`remind me to call mum`, [`CommandError::ReminderProse`]); any other malformed `<when>`
    /// is [`CommandError::InvalidWhen`].
    fn parse(argument: &str) -> Result<Self, CommandError> {
        let (day, rest) = next_word(argument);
        if !When::is_day_word(day) && !day.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(CommandError::ReminderProse);
        }
        let (time, title) = next_word(rest);
        if time.is_empty() {
            return Err(CommandError::InvalidWhen);
        }
        let when = When::parse(day, time)?;
        if title.is_empty() {
            return Err(CommandError::MissingTitle);
        }
        let title = TaskTitle::new(title)?;
        Ok(Self { when, title })
    }
}

/// The word up to the first separator, and what follows the separator run.
fn next_word(text: &str) -> (&str, &str) {
    match text.split_once(SEPARATORS) {
        Some((word, rest)) => (word, rest.trim_start_matches(SEPARATORS)),
        None => (text, ""),
    }
}

impl Command {
    /// Stable lowercase name for the audit log: `"help"`, `"add"`, `"list"`, `"done"`, `"pair"`,
    /// `"remind"`, `"events"` or `"unremind"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Help => "help",
            Self::Add(_) => "add",
            Self::List => "list",
            Self::Done(_) => "done",
            Self::Pair(_) => "pair",
            Self::Remind(_) => "remind",
            Self::Events => "events",
            Self::Unremind(_) => "unremind",
        }
    }
}

/// The allowlist. Keywords are matched ASCII-case-insensitively and in full.
#[derive(Clone, Copy)]
enum Keyword {
    Help,
    List,
    Add,
    Done,
    Pair,
    Remind,
    Events,
    Unremind,
}

impl Keyword {
    const ALL: [(&'static str, Keyword); 8] = [
        ("help", Keyword::Help),
        ("list", Keyword::List),
        ("add", Keyword::Add),
        ("done", Keyword::Done),
        ("/pair", Keyword::Pair),
        ("remind", Keyword::Remind),
        ("events", Keyword::Events),
        ("unremind", Keyword::Unremind),
    ];

    fn lookup(word: &str) -> Option<(&'static str, Keyword)> {
        Self::ALL
            .into_iter()
            .find(|(spelling, _)| word.eq_ignore_ascii_case(spelling))
    }
}

/// The characters that separate the command word from its argument.
const SEPARATORS: [char; 2] = [' ', '\t'];

/// Parses one inbound message into a [`Command`], or says why it is not one.
///
/// Total: returns for every `&str`, never panics. See the crate docs and `docs/COMMANDS.md` for
/// the grammar.
pub fn parse(input: &str) -> Result<Command, CommandError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(CommandError::MessageTooLong);
    }
    let text = input.trim();
    if text.is_empty() {
        return Err(CommandError::Empty);
    }
    // The word ends at the first ASCII space or tab; anything else (a newline, a NBSP, a dot)
    // stays part of the word and so makes it unknown.
    let (word, argument) = next_word(text);
    // `text` is trimmed, so a separator is never last and the argument is empty only when there
    // is none.
    let argument = Some(argument).filter(|a| !a.is_empty());
    let Some((keyword, kind)) = Keyword::lookup(word) else {
        return Err(CommandError::UnknownCommand);
    };
    match (kind, argument) {
        (Keyword::Help, None) => Ok(Command::Help),
        (Keyword::List, None) => Ok(Command::List),
        (Keyword::Events, None) => Ok(Command::Events),
        (Keyword::Help | Keyword::List | Keyword::Events, Some(_)) => {
            Err(CommandError::UnexpectedArgument { keyword })
        }
        (
            Keyword::Add | Keyword::Done | Keyword::Pair | Keyword::Remind | Keyword::Unremind,
            None,
        ) => Err(CommandError::MissingArgument { keyword }),
        (Keyword::Add, Some(arg)) => TaskTitle::new(arg).map(Command::Add),
        (Keyword::Done, Some(arg)) => TaskNumber::parse(arg).map(Command::Done),
        (Keyword::Pair, Some(arg)) => PairToken::new(arg).map(Command::Pair),
        (Keyword::Remind, Some(arg)) => Reminder::parse(arg).map(Command::Remind),
        (Keyword::Unremind, Some(arg)) => TaskNumber::parse(arg).map(Command::Unremind),
    }
}

const HELP_TEXT: &str = "Commands:\n\
add <task> - add a task\n\
list - show your tasks\n\
done <number> - mark a task done\n\
help - show this message";

/// The short plain-text reply sent for `help` and after a rejected command.
///
/// Lists the everyday commands in well under 300 characters. `/pair` is left out on purpose: it
/// is a one-time onboarding step the operator hands out together with the token, and this text
/// is also sent to senders whose message was rejected.
pub fn help_text() -> &'static str {
    HELP_TEXT
}

#[cfg(test)]
mod tests;
