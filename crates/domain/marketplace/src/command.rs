//! The marketplace's commands, parsed as strictly as the task grammar in `warden-commands`:
//!
//! ```text
//! request <text>            record a request (3..=500 characters, one line)
//! requests                  list your requests
//! accept <ref> <offer-no>   accept an offer, e.g. accept R-7F3K2Q 2   (offer-no 1..=99)
//! cancel <ref>              cancel a request
//! consent call yes|no       allow or forbid Warden to call you
//! ```
//!
//! Keywords are ASCII-case-insensitive and separated from arguments by spaces or tabs. None of
//! them is a `warden-commands` keyword (`help`, `list`, `add`, `done`, `/pair`), so the app tries
//! this grammar first and falls through to the task grammar on
//! [`MarketCommandError::NotMarketplace`]. The parser is total, checks the byte length first and
//! never echoes its input in an error.

use crate::request::{RequestRef, RequestText};
use crate::text::TextError;

/// Longest accepted message in bytes (the channel's limit), checked before anything else.
pub const MAX_INPUT_BYTES: usize = 1600;

/// A marketplace command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketCommand {
    Request(RequestText),
    Requests,
    Accept {
        reference: RequestRef,
        offer_no: u32,
    },
    Cancel(RequestRef),
    /// `consent call yes` (true) or `consent call no` (false).
    ConsentCall(bool),
}

impl MarketCommand {
    /// Stable name for the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Request(_) => "request",
            Self::Requests => "requests",
            Self::Accept { .. } => "accept",
            Self::Cancel(_) => "cancel",
            Self::ConsentCall(_) => "consent_call",
        }
    }
}

/// Why a message is not a marketplace command. `Display` is safe to send back; `code` is the
/// audit reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MarketCommandError {
    /// Not one of this grammar's keywords: try the task grammar.
    #[error("Unknown command.")]
    NotMarketplace,
    #[error("The message is too long.")]
    MessageTooLong,
    #[error("{0} needs an argument.")]
    MissingArgument(&'static str),
    #[error("{0} takes no argument.")]
    UnexpectedArgument(&'static str),
    #[error("The request text is not valid: {0}.")]
    BadText(TextError),
    #[error("A request reference looks like R-7F3K2Q.")]
    BadReference,
    #[error("The offer number must be between 1 and 99.")]
    BadOfferNumber,
    #[error("Write: accept <reference> <offer number>, e.g. accept R-7F3K2Q 2.")]
    BadAccept,
    #[error("Write: consent call yes, or consent call no.")]
    BadConsent,
}

impl MarketCommandError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotMarketplace => "unknown_command",
            Self::MessageTooLong => "message_too_long",
            Self::MissingArgument(_) => "missing_argument",
            Self::UnexpectedArgument(_) => "unexpected_argument",
            Self::BadText(e) => e.code(),
            Self::BadReference => "bad_reference",
            Self::BadOfferNumber => "bad_offer_number",
            Self::BadAccept => "bad_accept",
            Self::BadConsent => "bad_consent",
        }
    }
}

const SEPARATORS: [char; 2] = [' ', '\t'];

fn split_word(text: &str) -> (&str, Option<&str>) {
    match text.split_once(SEPARATORS) {
        Some((w, rest)) => {
            let rest = rest.trim_start_matches(SEPARATORS);
            (w, (!rest.is_empty()).then_some(rest))
        }
        None => (text, None),
    }
}

/// Parses one message. Total: never panics.
pub fn parse(input: &str) -> Result<MarketCommand, MarketCommandError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(MarketCommandError::MessageTooLong);
    }
    let text = input.trim();
    let (word, arg) = split_word(text);
    let keyword = ["request", "requests", "accept", "cancel", "consent"]
        .into_iter()
        .find(|k| word.eq_ignore_ascii_case(k))
        .ok_or(MarketCommandError::NotMarketplace)?;
    match (keyword, arg) {
        ("requests", None) => Ok(MarketCommand::Requests),
        ("requests", Some(_)) => Err(MarketCommandError::UnexpectedArgument("requests")),
        (k, None) => Err(MarketCommandError::MissingArgument(k)),
        ("request", Some(a)) => RequestText::new(a)
            .map(MarketCommand::Request)
            .map_err(MarketCommandError::BadText),
        ("accept", Some(a)) => {
            let (r, rest) = split_word(a);
            let Some(n) = rest else {
                return Err(MarketCommandError::BadAccept);
            };
            if n.contains(SEPARATORS) {
                return Err(MarketCommandError::BadAccept);
            }
            let reference = RequestRef::parse(r).map_err(|_| MarketCommandError::BadReference)?;
            Ok(MarketCommand::Accept {
                reference,
                offer_no: parse_offer_no(n)?,
            })
        }
        ("cancel", Some(a)) => RequestRef::parse(a)
            .map(MarketCommand::Cancel)
            .map_err(|_| MarketCommandError::BadReference),
        (_, Some(a)) => {
            // consent
            let (what, rest) = split_word(a);
            let answer = rest.ok_or(MarketCommandError::BadConsent)?;
            if !what.eq_ignore_ascii_case("call") {
                return Err(MarketCommandError::BadConsent);
            }
            if answer.eq_ignore_ascii_case("yes") {
                Ok(MarketCommand::ConsentCall(true))
            } else if answer.eq_ignore_ascii_case("no") {
                Ok(MarketCommand::ConsentCall(false))
            } else {
                Err(MarketCommandError::BadConsent)
            }
        }
    }
}

fn parse_offer_no(raw: &str) -> Result<u32, MarketCommandError> {
    let ok = (1..=2).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_digit())
        && !raw.starts_with('0');
    if !ok {
        return Err(MarketCommandError::BadOfferNumber);
    }
    raw.parse().map_err(|_| MarketCommandError::BadOfferNumber)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_command() {
        assert!(matches!(
            parse("request  wheelchair van in Lisbon on Saturday "),
            Ok(MarketCommand::Request(t)) if t.as_str() == "wheelchair van in Lisbon on Saturday"
        ));
        assert_eq!(parse("REQUESTS"), Ok(MarketCommand::Requests));
        assert_eq!(parse("accept r-7f3k2q 2").map(|c| c.name()), Ok("accept"));
        assert!(matches!(
            parse("accept R-7F3K2Q\t12"),
            Ok(MarketCommand::Accept { offer_no: 12, .. })
        ));
        assert!(matches!(
            parse("cancel R-7F3K2Q"),
            Ok(MarketCommand::Cancel(_))
        ));
        assert_eq!(
            parse("consent call yes"),
            Ok(MarketCommand::ConsentCall(true))
        );
        assert_eq!(
            parse("Consent CALL No"),
            Ok(MarketCommand::ConsentCall(false))
        );
    }

    #[test]
    fn task_grammar_words_are_not_marketplace_commands() {
        for s in [
            "help",
            "list",
            "add milk",
            "done 1",
            "/pair abc",
            "",
            "requestx van",
            "hello",
        ] {
            assert_eq!(parse(s), Err(MarketCommandError::NotMarketplace), "{s:?}");
        }
    }

    #[test]
    fn rejects_malformed_arguments() {
        let cases = [
            ("request", MarketCommandError::MissingArgument("request")),
            (
                "requests 2",
                MarketCommandError::UnexpectedArgument("requests"),
            ),
            ("request ab", MarketCommandError::BadText(TextError::Empty)),
            (
                "request van\nplease",
                MarketCommandError::BadText(TextError::ControlCharacter),
            ),
            (
                "request van \u{202E}x",
                MarketCommandError::BadText(TextError::BidiControl),
            ),
            ("accept R-7F3K2Q", MarketCommandError::BadAccept),
            ("accept R-7F3K2Q 1 2", MarketCommandError::BadAccept),
            ("accept R-7F3K2 1", MarketCommandError::BadReference),
            ("accept R-7F3K2Q 0", MarketCommandError::BadOfferNumber),
            ("accept R-7F3K2Q 01", MarketCommandError::BadOfferNumber),
            ("accept R-7F3K2Q 100", MarketCommandError::BadOfferNumber),
            ("accept R-7F3K2Q -1", MarketCommandError::BadOfferNumber),
            ("cancel all", MarketCommandError::BadReference),
            ("cancel R-7F3K2Q R-7F3K2Q", MarketCommandError::BadReference),
            ("consent call maybe", MarketCommandError::BadConsent),
            ("consent sms yes", MarketCommandError::BadConsent),
            ("consent call", MarketCommandError::BadConsent),
            ("consent call yes please", MarketCommandError::BadConsent),
        ];
        for (input, err) in cases {
            assert_eq!(parse(input), Err(err), "{input:?}");
        }
        let long = format!("request {}", "a".repeat(MAX_INPUT_BYTES));
        assert_eq!(parse(&long), Err(MarketCommandError::MessageTooLong));
        assert_eq!(
            parse(&format!("request {}", "a".repeat(501))),
            Err(MarketCommandError::BadText(TextError::TooLong))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn parser_is_total(s in "\\PC{0,2000}|(?i)(request|requests|accept|cancel|consent)[ \t]{0,3}[ -~\u{202E}\u{200B}\n]{0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn parser_is_total_on_arbitrary_strings(s in any::<String>()) {
            if let Err(e) = parse(&s) {
                prop_assert!(!e.code().is_empty());
                let shown = e.to_string();
                prop_assert!(shown.len() < 120);
            }
        }

        #[test]
        fn accepted_requests_are_screened(s in "request .{0,600}") {
            if let Ok(MarketCommand::Request(t)) = parse(&s) {
                prop_assert!(t.as_str().chars().count() <= RequestText::MAX_CHARS);
                prop_assert!(t.as_str().chars().all(|c| crate::text::forbidden(c).is_none()));
            }
        }
    }
}
