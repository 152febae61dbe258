//! The seams this use case needs from the outside world.
//!
//! `Ledger` is the one port the message path writes through. Its contract is transactional on
//! purpose: replay detection, the gates, the command and the audit chain must commit together
//! or not at all, and only the adapter can own a database transaction.

use async_trait::async_trait;
use warden_audit::AuditEvent;
use warden_gates::PairingCode;
use warden_marketplace::{MarketCommand, VendorId};
use warden_types::{InboundMessage, SenderId};

/// What became of one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Committed; send this reply (or none).
    Handled { reply: Option<String> },
    /// The (provider, message id) was seen before: nothing was written.
    Duplicate,
    /// Committed; the message is free text for the LLM advisor. No reply was sent or
    /// enqueued: hand the ticket to [`crate::MessageService::advise`].
    Advise(Box<AdviceTicket>),
    /// Committed (replay key, rate window, `message.accepted`); the message is for the
    /// concierge marketplace. Hand the ticket to [`crate::marketplace::MarketService::handle`]
    /// (what [`crate::MessageService::handle_inbound`] does before it returns).
    Market(Box<MarketTicket>),
    /// Committed; the message needs the calendar's list (`events`, `unremind`). Hand the
    /// ticket to [`crate::MessageService`] (what `handle_inbound` does before it returns).
    Calendar(Box<CalendarTicket>),
}

/// A committed calendar command waiting for the calendar's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarTicket {
    pub sender: SenderId,
    pub msg: InboundMessage,
    pub via: ReplyVia,
    pub read: crate::CalendarRead,
}

/// Which marketplace step a message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketRoute {
    /// A client's marketplace command (`request`, `requests`, `accept`, `cancel`,
    /// `consent call`).
    Client(MarketCommand),
    /// A message from a registered vendor: a reply to outreach.
    Vendor(VendorId),
}

/// A committed message waiting for its marketplace step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketTicket {
    pub sender: SenderId,
    /// Carries the sender's number in memory only: the client's is stored with a request
    /// (needed to relay offers and to call), never logged.
    pub msg: InboundMessage,
    pub via: ReplyVia,
    pub route: MarketRoute,
}

/// A committed free-text message waiting for the advisor's answer. Carries everything the
/// follow-up needs, so the slow model call happens outside any transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceTicket {
    pub sender: SenderId,
    pub msg: InboundMessage,
    pub via: ReplyVia,
    /// The sender's own open task titles, in list order, as of the commit.
    pub open_tasks: Vec<String>,
}

/// What follows an advised message (or a calendar read): the audit of how it went, and the
/// reply.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub ticket: AdviceTicket,
    pub audit: Vec<AuditEvent>,
    pub reply: String,
    /// A calendar write the follow-up decided (`unremind`): stored as a durable job in the
    /// same transaction. Its reply then comes when the job is settled (through the outbox);
    /// `reply` is answered only in the webhook's response.
    pub calendar_job: Option<Box<warden_calendar::jobs::CalendarJob>>,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store cannot take writes now (down, overloaded, shutting down). Nothing was written.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else. Nothing was written.
    #[error("the store failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Whether the store can serve the message path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready { audit_head_seq: i64 },
    NotReady { reason: &'static str },
}

/// How the reply to a message leaves Warden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyVia {
    /// In the webhook's own HTTP response (Twilio TwiML): returned in [`Outcome::Handled`].
    Response,
    /// Through the durable outbox, written in the message's own transaction and delivered by
    /// a worker; [`Outcome::Handled`] then carries no reply.
    Outbox,
    /// Recorded and decided, but no reply is sent: the message kind asks for none (a
    /// reaction to an earlier message, say).
    Silent,
}

/// Durable, transactional record of the message path.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// MUST, in one transaction: return `Outcome::Duplicate` and write nothing when
    /// `(msg.provider, msg.id)` was recorded before, also when two callers race on the same id;
    /// otherwise record the id, load `sender`'s state, run the ledger's
    /// [`crate::Assistant::decide`] with the ledger's [`warden_types::Clock`], persist every effect and append
    /// every audit event to the hash chain, and commit before returning. With
    /// [`ReplyVia::Outbox`] the reply MUST be written to the outbox in that same transaction,
    /// at most once per message.
    /// On error nothing of this message is written.
    async fn handle(
        &self,
        sender: SenderId,
        msg: InboundMessage,
        via: ReplyVia,
    ) -> Result<Outcome, LedgerError>;

    /// MUST, in one transaction: append `f.audit` to the chain and, with
    /// [`ReplyVia::Outbox`], write `f.reply` to the outbox under the same key the message's
    /// own reply would have had (so a message never gets two replies: a second call for the
    /// same message fails and writes nothing). Returns the reply to put in the response for [`ReplyVia::Response`],
    /// `None` otherwise. On error nothing is written.
    async fn follow_up(&self, f: FollowUp) -> Result<Option<String>, LedgerError>;

    /// MUST append `event` to the audit chain durably before returning.
    async fn audit(&self, event: AuditEvent) -> Result<(), LedgerError>;

    /// MUST NOT write. Ready only when reachable, migrated and the chain head is readable.
    async fn readiness(&self) -> Readiness;
}

/// Where pairing codes come from: the one source of randomness the message path needs, kept
/// outside [`crate::Assistant::decide`] so the decision stays a function of its inputs.
pub trait PairingCodes: Send + Sync {
    /// MUST return a code drawn from a cryptographically secure generator, independent of every
    /// code returned before (a guessable code would let a stranger's request be confused with
    /// another's). Called only when a code is issued.
    fn fresh(&self) -> PairingCode;
}
