use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_commands::{Command, CommandError, PairToken};
use warden_gates::{
    ApprovalPolicy, CodeDecision, PairGate, PairingCode, PairingMode, PairingPolicy, RateDecision,
    RatePolicy,
};
use warden_types::{InboundMessage, SenderId, UnixMillis};

use warden_marketplace::MarketCommandError;

use warden_calendar::jobs::{CalendarJob, JobAction};
use warden_calendar::{EventId, NewEvent, OwnerZone, POPUP_MINUTES_BEFORE};

use crate::{CalendarRead, Decision, Effect, MarketRoute, PairingCodes, SenderState};

/// Tunable limits. Defaults are the documented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub rate: RatePolicy,
    pub pairing: PairingPolicy,
    /// Pairing codes' lifetime and limits (used when the pairing mode issues codes).
    pub approval: ApprovalPolicy,
    /// Open tasks per sender: bounds storage and the size of a `list` reply.
    pub max_open_tasks: usize,
    /// Free text (not a command) from an allowed sender goes to the LLM advisor instead of
    /// the help reply. Off by default (`WARDEN_AI_ENABLED`).
    pub ai_advice: bool,
    /// The concierge marketplace: registered vendors' messages and clients' marketplace
    /// commands are routed to it. Off by default (`WARDEN_MARKET_ENABLED`).
    pub marketplace: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            rate: RatePolicy::default(),
            pairing: PairingPolicy::default(),
            approval: ApprovalPolicy::default(),
            max_open_tasks: 100,
            ai_advice: false,
            marketplace: false,
        }
    }
}

/// Fixed reply texts. Kept together so that docs/COMMANDS.md and tests can quote them.
#[derive(Debug, Clone, Copy)]
pub struct ReplyText;

impl ReplyText {
    pub const PAIRED: &'static str = "Paired. Send help to see what I can do.";
    pub const ALREADY_PAIRED: &'static str =
        "You are already paired. Send help to see what I can do.";
    pub const WRONG_TOKEN: &'static str = "That pairing token is not valid.";
    pub const PAIRING_LOCKED: &'static str = "Too many wrong tokens. Try again later.";
    /// A request for a pairing code over a limit (per sender or global).
    pub const PAIRING_LIMITED: &'static str =
        "Too many pairing requests right now. Try again later.";
    pub const SLOW_DOWN: &'static str = "You are sending messages too fast. Please wait a minute.";
    pub const TEXT_ONLY: &'static str = "I can only read text messages.";
    pub const NO_TASKS: &'static str = "No open tasks. Add one with: add <title>";
    pub const TOO_MANY_TASKS: &'static str =
        "You have too many open tasks. Complete some with: done <n>";
    /// The answer in the webhook's response to `remind` or `unremind` while the calendar
    /// write is on its way (through the outbox, the write's own reply follows instead).
    pub const CALENDAR_PENDING: &'static str = "On it: I am writing to the calendar.";
    /// `remind`, `events` or `unremind` on a gateway without a calendar.
    pub const NO_CALENDAR: &'static str = "The calendar is not set up on this gateway.";
    /// WhatsApp via Twilio carries at most 1600 characters.
    pub const MAX_REPLY_CHARS: usize = 1600;

    /// The answer to a stranger's `/pair` in approval mode, e.g. "Your pairing code is
    /// K7Q3-M2XP. Ask the owner to approve it; it expires in 1 hour."
    pub fn pairing_code(code: &PairingCode, expires_in_ms: i64) -> String {
        format!(
            "Your pairing code is {}. Ask the owner to approve it; it expires in {}.",
            code.display(),
            duration_words(expires_in_ms)
        )
    }
}

/// "1 hour", "2 hours", "1 minute", "59 minutes": whole hours when exact, else minutes
/// rounded up (a code never outlives what its holder was told).
fn duration_words(ms: i64) -> String {
    let minutes = ms.max(0).saturating_add(59_999) / 60_000;
    let (n, unit) = if minutes >= 60 && minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes.max(1), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The rules of the task assistant. Holds the allowlist from config, the pairing token and how
/// strangers may pair.
pub struct Assistant {
    policy: Policy,
    configured: HashSet<SenderId>,
    pair_token: SecretString,
    mode: PairingMode,
    /// Set together with a mode that issues codes ([`Assistant::with_pairing_mode`]).
    codes: Option<Arc<dyn PairingCodes>>,
    /// The owner's zone when a calendar is wired ([`Assistant::with_calendar`]).
    calendar: Option<OwnerZone>,
}

/// What a stranger's `/pair` asks for, under the pairing mode.
enum PairIntent<'a> {
    /// Check the shared token.
    Token(&'a PairToken),
    /// Issue (or repeat) a pairing code for an operator to approve.
    Code,
}

impl fmt::Debug for Assistant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assistant")
            .field("policy", &self.policy)
            .field("configured_senders", &self.configured.len())
            .field("pair_token", &"<redacted>")
            .field("pairing_mode", &self.mode)
            .finish()
    }
}

impl Assistant {
    pub fn new(
        policy: Policy,
        configured: impl IntoIterator<Item = SenderId>,
        pair_token: SecretString,
    ) -> Self {
        Self {
            policy,
            configured: configured.into_iter().collect(),
            pair_token,
            mode: PairingMode::Token,
            codes: None,
            calendar: None,
        }
    }

    /// The calendar commands are answered (a calendar is wired), with `<when>` read in `zone`
    /// (`WARDEN_TIMEZONE`).
    #[must_use]
    pub fn with_calendar(mut self, zone: OwnerZone) -> Self {
        self.calendar = Some(zone);
        self
    }

    /// The owner's zone, when the calendar is on.
    pub fn calendar_zone(&self) -> Option<&OwnerZone> {
        self.calendar.as_ref()
    }

    /// How strangers may pair (`WARDEN_PAIRING_MODE`; [`PairingMode::Token`] unless set), and
    /// where the codes of [`PairingMode::Approval`] and [`PairingMode::Both`] come from.
    #[must_use]
    pub fn with_pairing_mode(mut self, mode: PairingMode, codes: Arc<dyn PairingCodes>) -> Self {
        self.mode = mode;
        self.codes = Some(codes);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn pairing_mode(&self) -> PairingMode {
        self.mode
    }

    /// Whether strangers may ask for pairing codes: the store then loads their codes and the
    /// global backlog for [`Assistant::decide`].
    pub fn issues_codes(&self) -> bool {
        self.mode.issues_codes() && self.codes.is_some()
    }

    /// Decides what one accepted message does. Pure: no I/O, no clock.
    pub fn decide(
        &self,
        sender: &SenderId,
        msg: &InboundMessage,
        state: &SenderState,
        now: UnixMillis,
    ) -> Decision {
        let mut d = Decision::default();
        d.audit.push(event(
            EventKind::MessageAccepted,
            sender,
            Detail::new()
                .with("provider", msg.provider.as_str())
                .with("message_id", msg.id.as_str())
                .with("media", msg.media_count),
        ));

        let parsed = warden_commands::parse(msg.body.as_str());
        // A registered vendor's number is routed to the marketplace, never to the client
        // grammar; it needs no pairing (an operator registered it).
        let vendor = state.vendor.filter(|_| self.policy.marketplace);
        let allowed = vendor.is_some() || state.paired || self.configured.contains(sender);
        if !allowed {
            self.stranger(sender, parsed, state, now, &mut d);
            return d;
        }

        let (rate, window) = self.policy.rate.check(state.rate, now);
        d.effects.push(Effect::SetRate(window));
        if let RateDecision::Drop { notify } = rate {
            d.audit.push(event(
                EventKind::RateLimitExceeded,
                sender,
                Detail::new()
                    .with("count", window.count)
                    .with("limit", self.policy.rate.limit),
            ));
            d.reply = notify.then(|| ReplyText::SLOW_DOWN.to_owned());
            return d;
        }

        if let Some(vendor) = vendor {
            if msg.body.as_str().trim().is_empty() {
                reject(
                    sender,
                    "media_only",
                    ReplyText::TEXT_ONLY.to_owned(),
                    &mut d,
                );
            } else {
                d.market = Some(MarketRoute::Vendor(vendor));
            }
            return d;
        }

        if msg.body.as_str().trim().is_empty() && msg.media_count > 0 {
            reject(
                sender,
                "media_only",
                ReplyText::TEXT_ONLY.to_owned(),
                &mut d,
            );
            return d;
        }
        if self.policy.marketplace {
            // The marketplace grammar first: none of its keywords is a task command.
            match warden_marketplace::parse(msg.body.as_str()) {
                Ok(command) => {
                    d.market = Some(MarketRoute::Client(command));
                    return d;
                }
                Err(MarketCommandError::NotMarketplace) => {}
                Err(e) => {
                    reject(sender, e.code(), clip(e.to_string()), &mut d);
                    return d;
                }
            }
        }
        match parsed {
            Ok(command) => self.execute(sender, msg, command, state, now, &mut d),
            // Free text, not a malformed command: the advisor answers after this commit.
            // Its gates (input guard, output guard) run there; the rate gate above already
            // counted this message. "remind me to …" is prose too: the advisor may suggest the
            // `remind` command for the user to send.
            Err(CommandError::UnknownCommand | CommandError::ReminderProse)
                if self.policy.ai_advice =>
            {
                d.advise = true
            }
            Err(e) => reject(sender, e.code(), rejection_reply(&e), &mut d),
        }
        d
    }

    /// Strangers may only pair; anything else is dropped without a reply.
    fn stranger(
        &self,
        sender: &SenderId,
        parsed: Result<Command, CommandError>,
        state: &SenderState,
        now: UnixMillis,
        d: &mut Decision,
    ) {
        let Some(intent) = self.pair_intent(&parsed) else {
            d.audit
                .push(event(EventKind::SenderUnknown, sender, Detail::new()));
            return;
        };
        let pairing = self.policy.pairing;
        if let PairGate::Locked { until } = pairing.gate(state.pairing, now) {
            // Audited, not answered: the attempt that locked already said so, and every reply
            // is an outbound message someone pays for and a stranger could farm.
            d.audit.push(event(
                EventKind::PairingLocked,
                sender,
                Detail::new().with("locked_until_ms", until.as_i64()),
            ));
            return;
        }
        match intent {
            PairIntent::Token(token) => self.check_token(sender, token, state, now, d),
            PairIntent::Code => self.request_code(sender, state, now, d),
        }
    }

    /// The mode matrix: which `/pair` forms mean what.
    fn pair_intent<'a>(&self, parsed: &'a Result<Command, CommandError>) -> Option<PairIntent<'a>> {
        let codes = self.issues_codes();
        match parsed {
            Ok(Command::Pair(token)) if self.mode.accepts_token() => Some(PairIntent::Token(token)),
            // Approval only: token pairing is off, so any `/pair` asks for a code and the
            // token is never compared.
            Ok(Command::Pair(_)) | Err(CommandError::InvalidToken)
                if codes && !self.mode.accepts_token() =>
            {
                Some(PairIntent::Code)
            }
            Err(CommandError::MissingArgument { keyword: "/pair" }) if codes => {
                Some(PairIntent::Code)
            }
            _ => None,
        }
    }

    fn check_token(
        &self,
        sender: &SenderId,
        token: &PairToken,
        state: &SenderState,
        now: UnixMillis,
        d: &mut Decision,
    ) {
        let pairing = self.policy.pairing;
        let expected = self.pair_token.expose_secret().as_bytes();
        if bool::from(token.as_str().as_bytes().ct_eq(expected)) {
            d.effects.push(Effect::Allowlist);
            d.effects
                .push(Effect::SetPairing(warden_gates::PairState::default()));
            d.audit
                .push(event(EventKind::PairingSucceeded, sender, Detail::new()));
            d.audit.push(event(
                EventKind::AllowlistAdded,
                sender,
                Detail::new().with("source", "pairing"),
            ));
            d.reply = Some(ReplyText::PAIRED.to_owned());
        } else {
            let next = pairing.on_failure(state.pairing, now);
            d.effects.push(Effect::SetPairing(next));
            d.audit.push(event(
                EventKind::PairingFailed,
                sender,
                Detail::new()
                    .with("failures", next.failures)
                    .with("locked", next.locked_until.is_some()),
            ));
            d.reply = Some(
                if next.locked_until.is_some() {
                    ReplyText::PAIRING_LOCKED
                } else {
                    ReplyText::WRONG_TOKEN
                }
                .to_owned(),
            );
        }
    }

    /// A stranger asks for a pairing code. Every answer is an outbound message, so requests
    /// pass the sender's message rate gate first (over it: audited, not answered).
    fn request_code(
        &self,
        sender: &SenderId,
        state: &SenderState,
        now: UnixMillis,
        d: &mut Decision,
    ) {
        let Some(codes) = &self.codes else {
            d.audit
                .push(event(EventKind::SenderUnknown, sender, Detail::new()));
            return;
        };
        let (rate, window) = self.policy.rate.check(state.rate, now);
        d.effects.push(Effect::SetRate(window));
        if let RateDecision::Drop { .. } = rate {
            d.audit.push(event(
                EventKind::RateLimitExceeded,
                sender,
                Detail::new()
                    .with("count", window.count)
                    .with("limit", self.policy.rate.limit),
            ));
            return;
        }
        let (code, expires_at, repeat) =
            match self
                .policy
                .approval
                .request(&state.pairing_codes, state.pairing_backlog, now)
            {
                CodeDecision::Pending { code, expires_at } => (code, expires_at, true),
                CodeDecision::Issue { expires_at } => {
                    let code = codes.fresh();
                    d.effects.push(Effect::RequestPairing {
                        code: code.clone(),
                        requested_at: now,
                        expires_at,
                    });
                    (code, expires_at, false)
                }
                CodeDecision::Limited(limit) => {
                    d.audit.push(event(
                        EventKind::PairingLimited,
                        sender,
                        Detail::new().with("limit", limit.as_str()),
                    ));
                    d.reply = Some(ReplyText::PAIRING_LIMITED.to_owned());
                    return;
                }
            };
        // The code's first half only: enough to follow one request through the log.
        d.audit.push(event(
            EventKind::PairingRequested,
            sender,
            Detail::new()
                .with("code_prefix", code.prefix())
                .with("expires_ms", expires_at.as_i64())
                .with("repeat", repeat),
        ));
        d.reply = Some(ReplyText::pairing_code(
            &code,
            expires_at.as_i64().saturating_sub(now.as_i64()),
        ));
    }

    fn execute(
        &self,
        sender: &SenderId,
        msg: &InboundMessage,
        command: Command,
        state: &SenderState,
        now: UnixMillis,
        d: &mut Decision,
    ) {
        let name = command.name();
        let reply = match command {
            Command::Help => warden_commands::help_text().to_owned(),
            Command::Pair(_) => ReplyText::ALREADY_PAIRED.to_owned(),
            Command::List => list_reply(state),
            Command::Add(title) => {
                if state.open_tasks.len() >= self.policy.max_open_tasks {
                    reject(
                        sender,
                        "task_limit",
                        ReplyText::TOO_MANY_TASKS.to_owned(),
                        d,
                    );
                    return;
                }
                let no = state.next_task_no;
                let position = state.open_tasks.len() + 1;
                d.effects.push(Effect::AddTask {
                    no,
                    title: title.as_str().to_owned(),
                });
                d.audit.push(event(
                    EventKind::TaskAdded,
                    sender,
                    Detail::new()
                        .with("task_no", no)
                        .with("created_ms", now.as_i64()),
                ));
                clip(format!("Added task {position}: {}", title.as_str()))
            }
            Command::Done(n) => {
                let index = usize::try_from(n.get()).unwrap_or(usize::MAX);
                let Some(task) = index.checked_sub(1).and_then(|i| state.open_tasks.get(i)) else {
                    let reply =
                        format!("There is no open task {}. Send list to see them.", n.get());
                    reject(sender, "no_such_task", reply, d);
                    return;
                };
                d.effects.push(Effect::CompleteTask { no: task.no });
                d.audit.push(event(
                    EventKind::TaskCompleted,
                    sender,
                    Detail::new().with("task_no", task.no),
                ));
                clip(format!("Done: {}", task.title))
            }
            Command::Remind(_) | Command::Events | Command::Unremind(_)
                if self.calendar.is_none() =>
            {
                reject(sender, "calendar_off", ReplyText::NO_CALENDAR.to_owned(), d);
                return;
            }
            Command::Remind(reminder) => {
                let Some(zone) = &self.calendar else { return };
                let slot = match warden_calendar::resolve(&reminder.when, now, zone) {
                    Ok(slot) => slot,
                    Err(e) => {
                        reject(sender, e.code(), e.to_string(), d);
                        return;
                    }
                };
                let id = EventId::for_message(msg.provider, &msg.id);
                d.audit.push(event(
                    EventKind::CommandExecuted,
                    sender,
                    Detail::new()
                        .with("command", name)
                        .with("event", id.as_str()),
                ));
                let done_reply =
                    warden_calendar::reply::created(&reminder.title, &reminder.when, &slot, zone);
                d.effects.push(Effect::Calendar(CalendarJob {
                    action: JobAction::Insert(NewEvent {
                        id,
                        owner: sender.clone(),
                        title: reminder.title,
                        start: slot.start,
                        end: slot.end,
                        zone: zone.name().to_owned(),
                        popup_minutes_before: POPUP_MINUTES_BEFORE,
                    }),
                    owner: sender.clone(),
                    done_reply,
                }));
                // The reply waits for the calendar: it is the job's to send.
                return;
            }
            Command::Events => {
                d.calendar = Some(CalendarRead::Events);
                return;
            }
            Command::Unremind(n) => {
                d.calendar = Some(CalendarRead::Unremind(n));
                return;
            }
        };
        d.audit.push(event(
            EventKind::CommandExecuted,
            sender,
            Detail::new().with("command", name),
        ));
        d.reply = Some(reply);
    }
}

fn event(kind: EventKind, sender: &SenderId, detail: Detail) -> AuditEvent {
    AuditEvent {
        kind,
        sender: Some(sender.clone()),
        detail,
    }
}

/// A rejected command is audited by reason code only: its text may be anything, including
/// someone's medical details, and never reaches the log.
fn reject(sender: &SenderId, reason: &str, reply: String, d: &mut Decision) {
    d.audit.push(event(
        EventKind::CommandRejected,
        sender,
        Detail::new().with("reason", reason),
    ));
    d.reply = Some(reply);
}

fn rejection_reply(e: &CommandError) -> String {
    clip(format!("{e}\n{}", warden_commands::help_text()))
}

fn list_reply(state: &SenderState) -> String {
    if state.open_tasks.is_empty() {
        return ReplyText::NO_TASKS.to_owned();
    }
    let mut out = String::from("Open tasks:");
    for (i, task) in state.open_tasks.iter().enumerate() {
        let line = format!("\n{}. {}", i + 1, task.title);
        let more = format!("\n…and {} more", state.open_tasks.len() - i);
        if out.chars().count() + line.chars().count() + more.chars().count()
            > ReplyText::MAX_REPLY_CHARS
        {
            out.push_str(&more);
            break;
        }
        out.push_str(&line);
    }
    out
}

/// Cuts a reply to what the channel carries, on a character boundary.
fn clip(text: String) -> String {
    if text.chars().count() <= ReplyText::MAX_REPLY_CHARS {
        return text;
    }
    let mut out: String = text.chars().take(ReplyText::MAX_REPLY_CHARS - 1).collect();
    out.push('…');
    out
}
