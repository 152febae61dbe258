//! The concierge marketplace, as pure domain code.
//!
//! A client asks for something ("I need a wheelchair-accessible van in Lisbon on Saturday");
//! Warden records the request with deterministic tags, contacts matching vendors on the
//! client's behalf in gated batches, relays their offers back masked, and places a call only
//! with the client's explicit, unexpired consent.
//!
//! Shape (as in `warden-assistant`): every step is a pure function of loaded state and the time,
//! returning a [`Decision`] — effects for the store, audit events, outgoing messages and a
//! reply — that the store applies inside its transaction. No I/O, no clock, no randomness: ids
//! and time are parameters.
//!
//! - [`command`]: the `request` / `requests` / `accept` / `cancel` / `consent call` grammar.
//! - [`tags`]: keyword and synonym extraction; [`vendor`]: operator-registered vendors.
//! - [`request`]: requests and their non-enumerable references (`R-7F3K2Q`).
//! - [`outreach`]: ranking, batches and the hard gates with their ceilings.
//! - [`relay`]: masked vendor-bound text; vendor replies matched, checked, relayed or held.
//! - [`payment`]: the payment-redirect check.
//! - [`consent`]: call consent and the call decision; [`ports`]: the `CallPlacer` port.
//!
//! Audit events carry the client's pseudonymous `SenderId`, the request reference, vendor ids
//! and codes — never request text, vendor text, names or numbers. See `README.md`.

pub mod command;
pub mod consent;
pub mod decision;
mod market;
pub mod outreach;
pub mod payment;
pub mod ports;
pub mod relay;
pub mod request;
pub mod tags;
mod text;
pub mod vendor;

pub use command::{parse, MarketCommand, MarketCommandError};
pub use consent::{CallDecision, CallPermit, CallingPolicy, ConsentRecord};
pub use decision::{Decision, Effect, Gate, HeldText, Outgoing, Recipient};
pub use market::{Client, ClientState, MarketConfig, MarketText, Marketplace, MAX_REPLY_CHARS};
pub use outreach::{
    BatchPlan, OutreachConfigError, OutreachPolicy, OutreachSettings, VendorCounter, VendorCounters,
};
pub use payment::{payment_signals, HoldReason, PaymentSignal};
pub use ports::{CallError, CallPlacer, CallSid};
pub use relay::RelayPolicy;
pub use request::{Offer, RefKey, Request, RequestId, RequestRef, RequestStatus, RequestText};
pub use tags::{Tag, TagConfig, TagError, TagExtractor, TagListError, TagSet};
pub use text::TextError;
pub use vendor::{BusinessName, Vendor, VendorChange, VendorId};

#[cfg(test)]
mod tests;
