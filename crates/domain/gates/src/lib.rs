//! Pure safety gates: how many messages a sender may send, how often a stranger may guess the
//! pairing token or ask for a pairing code, how many forged webhooks one client address may make
//! us audit, and how many operator-plane requests a client or an operator may make.
//!
//! Every gate is a value type plus a function of `(policy, state, now)`: no clock, no store, no
//! locks. The store persists the state between messages, so a restart or a second instance sees
//! the same counters; the decision itself lives here, once.

mod approval;
mod auth_failures;
mod keyed;
mod pairing;
mod rate;

pub use approval::{
    ApprovalPolicy, CodeDecision, CodeLimit, InvalidCode, IssuedCode, PairingCode, PairingMode,
    RequestStatus, Undecidable,
};
pub use auth_failures::AuthFailureLimiter;
pub use keyed::{KeyedLimiter, OverLimit};
pub use pairing::{PairGate, PairState, PairingPolicy};
pub use rate::{RateDecision, RatePolicy, RateWindow};
