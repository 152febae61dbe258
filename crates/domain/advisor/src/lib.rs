//! The LLM as an untrusted advisor.
//!
//! For a free-text message (one that is not a command) from an allowed sender:
//! 1. the input guard ([`warden_guard`]) screens the text; an injection never reaches a model;
//! 2. a [`ContextPack`] holds the minimum the model needs — the sender's own message and open
//!    tasks, redacted, capped in tokens;
//! 3. the model ([`LlmAdvisor`]) answers; its text is untrusted;
//! 4. the output guard parses it into a strict schema, blocks forbidden intents, leaks and
//!    injected instructions; a proposed command is only shown, never executed;
//! 5. the reply is labelled as a suggestion, or the coded workflow answers instead.
//!
//! Every outcome comes back with exactly one audit event (codes, never text); see
//! [`Advisor::advise`] for the detail keys. The crate README has the output schema, the
//! forbidden intents and the known weaknesses.

pub mod context;
mod meaning;
mod numbers;
pub mod output;
pub mod ports;
pub mod prompt;

use std::sync::Arc;

pub use context::{estimate_tokens, ContextError, ContextPack};
pub use output::{BlockReason, Intent, ValidatedAdvice};
pub use ports::{GuardModel, LlmAdvisor, LlmError, Prompt, SafetyVerdict};
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_guard::Guard;
use warden_redaction::Redactor;
/// The country hint of [`AdviceInput::region`].
pub use warden_redaction::Region;
use warden_types::SenderId;

/// The first line of every reply that is not a suggestion: fixed, so a failure never echoes
/// anything and always points to the coded workflow.
pub const FALLBACK_LEAD: &str = "I can't help with that here. Send help to see what I can do.";

/// The whole reply when the model is not used (injection, model failure, blocked answer):
/// [`FALLBACK_LEAD`], a blank line, then [`warden_commands::help_text`] (a test keeps the copy
/// in step).
pub const FALLBACK_REPLY: &str = "I can't help with that here. Send help to see what I can do.\n\n\
Commands:\n\
add <task> - add a task\n\
list - show your tasks\n\
done <number> - mark a task done\n\
help - show this message";

/// Opens every reply that came from the model, so the user can tell advice from Warden's own
/// (coded) answers.
pub const SUGGESTION_LABEL: &str = "\u{1F4A1} Suggestion (AI, may be wrong):";

/// Opens the line that shows a proposed command. The user must send it themselves; it then goes
/// through the normal command path like any other message.
pub const SUGGESTION_COMMAND_PREFIX: &str = "To do it, send: ";

/// Limits of the advisor. Defaults are the documented ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisorConfig {
    /// Cap on the prompt (system + context + message), in tokens as [`estimate_tokens`] counts
    /// them (an approximation; see its error bound).
    pub max_prompt_tokens: usize,
    /// Cap on the model's answer, in tokens, passed to the model.
    pub max_output_tokens: u32,
    /// Longest suggestion shown to the user, in characters (label included).
    pub max_reply_chars: usize,
    /// Domains (lowercase, e.g. `example.org`) a suggestion may mention, with their subdomains,
    /// in plain spelling. Empty by default: every link or domain blocks the answer.
    pub allowed_domains: Vec<String>,
    /// The gateway has a calendar: the prompt lists `remind`, `events` and `unremind`.
    pub calendar_commands: bool,
}

impl Default for AdvisorConfig {
    fn default() -> Self {
        Self {
            max_prompt_tokens: 1500,
            max_output_tokens: 400,
            max_reply_chars: 1000,
            allowed_domains: Vec::new(),
            calendar_commands: false,
        }
    }
}

/// `domain` as [`AdvisorConfig::allowed_domains`] holds it (trimmed, lowercase, no trailing
/// dot), or `None` when it is not a plain host name of two or more labels (no scheme, path,
/// port, wildcard or obfuscation): an allowlist entry names exactly one site and its subdomains.
#[must_use]
pub fn allowed_domain(domain: &str) -> Option<String> {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    (labels.len() >= 2 && domain.len() <= 253 && labels.iter().all(label_ok)).then_some(domain)
}

/// One free-text message to advise on, with the sender's own data. Only this sender's: there is
/// deliberately no way to hand the advisor anyone else's tasks or messages.
#[derive(Clone, Copy)]
pub struct AdviceInput<'a> {
    pub sender: &'a SenderId,
    pub message: &'a str,
    /// Titles of the sender's open tasks, in list order.
    pub open_tasks: &'a [String],
    /// The sender's own country, so that national numbers in the message are read the way
    /// the sender dials them, and redacted before the model sees them.
    pub region: Option<warden_redaction::Region>,
}

/// Lengths only: the message and titles are the sender's words.
impl std::fmt::Debug for AdviceInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdviceInput")
            .field("sender", self.sender)
            .field("message_len", &self.message.len())
            .field("open_tasks", &self.open_tasks.len())
            .finish()
    }
}

/// How advising ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceOutcome {
    /// The model's answer passed the output guard and is the reply, labelled.
    Suggested,
    /// The input guard fired: the model was not called; fallback reply.
    InjectionDetected,
    /// The model answered but the output guard refused it; fallback reply.
    OutputBlocked,
    /// The model failed (timeout, error, malformed transport); fallback reply.
    Unavailable,
}

/// The reply to send and what to audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    pub outcome: AdviceOutcome,
    pub reply: String,
    pub audit: Vec<AuditEvent>,
}

/// The advisor use case.
pub struct Advisor {
    config: AdvisorConfig,
    guard: Guard,
    redactor: Arc<Redactor>,
    llm: Arc<dyn LlmAdvisor>,
    second_opinion: Option<Arc<dyn GuardModel>>,
}

impl std::fmt::Debug for Advisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advisor")
            .field("config", &self.config)
            .field("provider", &self.llm.provider())
            .finish_non_exhaustive()
    }
}

impl Advisor {
    /// `redactor` MUST know every configured secret (exact-match), so neither the context
    /// pack nor a reply can carry one.
    pub fn new(
        config: AdvisorConfig,
        guard: Guard,
        redactor: Arc<Redactor>,
        llm: Arc<dyn LlmAdvisor>,
    ) -> Self {
        Self {
            config,
            guard,
            redactor,
            llm,
            second_opinion: None,
        }
    }

    /// Asks `model` too before the advisor model sees a message the input guard let through.
    #[must_use]
    pub fn with_second_opinion(mut self, model: Arc<dyn GuardModel>) -> Self {
        self.second_opinion = Some(model);
        self
    }

    /// The guard model's word on the redacted message: `None` to go on, or the fallback.
    async fn second_opinion(&self, input: &AdviceInput<'_>) -> Option<Advice> {
        let model = self.second_opinion.as_ref()?;
        let provider = model.provider();
        let text = self.redactor.redact_in(input.message, input.region);
        match model.classify(&text).await {
            Ok(SafetyVerdict::Safe) => None,
            Ok(SafetyVerdict::Unsafe { categories }) => {
                let mut reasons = vec!["guard_model".to_owned()];
                // Short codes only: a model's free text never reaches the audit log.
                reasons.extend(
                    categories
                        .into_iter()
                        .filter(|c| {
                            (1..=8).contains(&c.len())
                                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        })
                        .take(14),
                );
                Some(fallback(
                    input.sender,
                    AdviceOutcome::InjectionDetected,
                    EventKind::AiInjectionDetected,
                    Detail::new()
                        .with("reasons", reasons.join(","))
                        .with("provider", provider),
                ))
            }
            // Fails closed: no answer from the guard model is not a yes.
            Err(e) => Some(fallback(
                input.sender,
                AdviceOutcome::Unavailable,
                EventKind::AiUnavailable,
                Detail::new()
                    .with("provider", provider)
                    .with("stage", "guard_model")
                    .with("error", e.code()),
            )),
        }
    }

    /// Screens, asks the model, checks its answer. Never fails: every failure is an outcome
    /// with [`FALLBACK_REPLY`]. The model is called at most once, and only when the input guard
    /// found no injection and the guard model, if one is configured, said the redacted message
    /// is safe (an error or timeout of the guard model is `ai.unavailable` with
    /// `stage=guard_model`: it fails closed).
    ///
    /// Audit (always exactly one event, `sender` set, never any text):
    /// - `ai.injection_detected`: `reasons` (comma-joined guard codes), `score` (two decimals);
    ///   or, from the guard model, `reasons` (`guard_model` and its category codes), `provider`;
    /// - `ai.unavailable`: `provider`, `error` ([`LlmError::code`] or [`ContextError::code`]);
    /// - `ai.output_blocked`: `provider`, `reason` ([`BlockReason::as_str`]);
    /// - `ai.suggested`: `provider`, `intent`, `proposed` (command name or `none`).
    pub async fn advise(&self, input: AdviceInput<'_>) -> Advice {
        let verdict = self.guard.check(input.message);
        if verdict.is_injection() {
            let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.as_str()).collect();
            let detail = Detail::new()
                .with("reasons", reasons.join(","))
                .with("score", format!("{:.2}", verdict.score));
            return fallback(
                input.sender,
                AdviceOutcome::InjectionDetected,
                EventKind::AiInjectionDetected,
                detail,
            );
        }

        if let Some(refused) = self.second_opinion(&input).await {
            return refused;
        }

        let provider = self.llm.provider();
        let unavailable = |code: &str| {
            fallback(
                input.sender,
                AdviceOutcome::Unavailable,
                EventKind::AiUnavailable,
                Detail::new().with("provider", provider).with("error", code),
            )
        };
        let prompt = match self.prompt(input) {
            Ok(prompt) => prompt,
            Err(e) => return unavailable(e.code()),
        };
        let answer = match self.llm.complete(&prompt).await {
            Ok(answer) => answer,
            Err(e) => return unavailable(e.code()),
        };
        match output::check_with(
            &answer,
            &self.guard,
            &self.redactor,
            &self.config.allowed_domains,
        ) {
            Err(reason) => fallback(
                input.sender,
                AdviceOutcome::OutputBlocked,
                EventKind::AiOutputBlocked,
                Detail::new()
                    .with("provider", provider)
                    .with("reason", reason.as_str()),
            ),
            Ok(advice) => {
                let detail = Detail::new()
                    .with("provider", provider)
                    .with("intent", advice.intent.as_str())
                    .with(
                        "proposed",
                        advice.proposed.as_ref().map_or("none", |c| c.name()),
                    );
                Advice {
                    outcome: AdviceOutcome::Suggested,
                    reply: suggestion_reply(&advice, self.config.max_reply_chars),
                    audit: vec![event(input.sender, EventKind::AiSuggested, detail)],
                }
            }
        }
    }

    /// The prompt [`Advisor::advise`] would send for `input`: [`prompt::system_prompt`] and a
    /// [`ContextPack`] built within what is left of `max_prompt_tokens`, so
    /// `estimate_tokens(system) + estimate_tokens(user) <= max_prompt_tokens`.
    ///
    /// # Errors
    /// [`ContextError`] when the budget cannot hold the fixed prompt, or redaction failed.
    pub fn prompt(&self, input: AdviceInput<'_>) -> Result<Prompt, ContextError> {
        let system = prompt::system_prompt(self.config.calendar_commands);
        let budget = self
            .config
            .max_prompt_tokens
            .checked_sub(estimate_tokens(&system))
            .ok_or(ContextError::BudgetTooSmall)?;
        let pack = ContextPack::build(
            &self.redactor,
            input.message,
            input.open_tasks,
            input.region,
            budget,
        )?;
        Ok(Prompt {
            system,
            user: pack.into_text(),
            response_schema: prompt::response_schema(),
            max_output_tokens: self.config.max_output_tokens,
        })
    }
}

fn event(sender: &SenderId, kind: EventKind, detail: Detail) -> AuditEvent {
    AuditEvent {
        kind,
        sender: Some(sender.clone()),
        detail,
    }
}

fn fallback(sender: &SenderId, outcome: AdviceOutcome, kind: EventKind, detail: Detail) -> Advice {
    Advice {
        outcome,
        reply: FALLBACK_REPLY.to_owned(),
        audit: vec![event(sender, kind, detail)],
    }
}

/// `💡 Suggestion (AI, may be wrong): {reply}` and, with a command, a line
/// `To do it, send: {command}`, within `max_chars`. The reply is cut first (with `…`) so the
/// command line stays whole; a command line that cannot fit whole is left out rather than shown
/// cut (a cut command would be a different command).
fn suggestion_reply(advice: &ValidatedAdvice, max_chars: usize) -> String {
    let label = SUGGESTION_LABEL.chars().count() + 1;
    let command_line = advice
        .command_text()
        .map(|c| format!("\n{SUGGESTION_COMMAND_PREFIX}{c}"))
        .filter(|line| label + line.chars().count() < max_chars)
        .unwrap_or_default();
    let room = max_chars.saturating_sub(label + command_line.chars().count());
    let text = format!(
        "{SUGGESTION_LABEL} {}{command_line}",
        clip_chars(&advice.reply, room)
    );
    clip_chars(&text, max_chars)
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
fn clip_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let Some(keep) = max.checked_sub(1) else {
        return String::new();
    };
    let end = text
        .char_indices()
        .nth(keep)
        .map_or(text.len(), |(at, _)| at);
    format!("{}\u{2026}", text.get(..end).unwrap_or_default())
}

#[cfg(test)]
mod tests;
