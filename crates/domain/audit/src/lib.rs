//! Tamper-evident audit log: what happened, in an append-only SHA-256 hash chain.
//!
//! - [`EventKind`], [`Detail`], [`AuditEvent`]: what is recorded. Details are fixed keys with
//!   short values; senders are [`Pseudonymizer`] ids. No phone number or message body is ever
//!   part of an audit row.
//! - [`append`], [`row_hash`], [`AuditRecord`], [`ChainHead`]: how a row joins the chain. The
//!   row hash is a hand-written canonical encoding (no serde), defined once in [`row_hash`].
//! - [`ChainVerifier`]: streaming verification that reports the first bad row; [`Verdict`] and
//!   [`Verification`]: its result recorded as an `audit.verified` row of its own.
//! - [`AuditFilter`], [`Seek`]: which rows an operator searches for, page by page.
//!
//! Pure domain crate: no I/O, no clock (timestamps are passed in), no async. The store crate
//! persists rows; the design is in `docs/design/audit-chain.md`.

mod chain;
mod detail;
mod kind;
mod pseudonym;
mod query;
mod verification;

pub use chain::{
    append, row_hash, verify_all, AuditEvent, AuditRecord, ChainError, ChainHead, ChainVerifier,
    VerifiedChain, GENESIS_HASH,
};
pub use detail::{Detail, DetailError, MAX_KEY_LEN};
pub use kind::EventKind;
pub use pseudonym::{Pseudonymizer, WeakKey};
pub use query::{AuditFilter, FilterError, Seek};
pub use verification::{Verdict, Verification};
