//! Operator access: who may act on the operator plane, and how they prove it.
//!
//! [`Access`] holds every use case (create and manage accounts, log in with a password and a
//! second factor, rotate and revoke sessions, authenticate a call) over the [`AccessStore`]
//! port. The rules themselves (roles, password policy, TOTP, lockout, token formats) are
//! `warden-operators`'; this crate orders them, persists their outcome through the port and
//! audits every security-relevant step. The CLI and the admin API call the same functions.

mod port;
mod service;

pub use port::{
    AccessStore, AccessStoreError, AccessTxn, Account, Entropy, NewAccount, PasswordCheck,
};
pub use service::{Access, AccessError, Acting, Enrolment, LoginRequest, Session, SessionActor};

#[cfg(test)]
mod tests;
