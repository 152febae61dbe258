//! The WhatsApp task assistant as a use case: for one authenticated, de-duplicated inbound
//! message, decide every effect, every audit event and the reply.
//!
//! [`Assistant::decide`] is a pure function of the message, the sender's stored state and the
//! time. The store runs it inside its transaction (see [`ports::Ledger`]), so the rules live here
//! once while the store is free to group-commit many messages per transaction.

mod decide;
pub mod marketplace;
pub mod outbox;
pub mod pairing;
pub mod ports;
mod service;
mod state;

pub use decide::{Assistant, Policy, ReplyText};
pub use ports::{
    AdviceTicket, CalendarTicket, FollowUp, Ledger, LedgerError, MarketRoute, MarketTicket,
    Outcome, PairingCodes, Readiness, ReplyVia,
};
pub use service::{CalendarReads, MessageService};

/// See [`ReplyText::CALENDAR_PENDING`].
pub const CALENDAR_PENDING_REPLY: &str = ReplyText::CALENDAR_PENDING;
pub use state::{CalendarRead, Decision, Effect, OpenTask, SenderState};

#[cfg(test)]
mod tests;
