//! The store adapter: Warden's state on SQLite (embedded default) or Postgres, from one code
//! path and one schema (`migrations/`).
//!
//! [`SqlLedger`] implements the message path's [`warden_assistant::Ledger`] port with a single
//! writer task that group-commits: every message waiting when a transaction starts joins it, so
//! one fsync covers many messages while each reply still waits for its own commit.

mod access;
mod admin;
mod batch;
mod calendar;
mod connect;
mod entity;
mod exec_postgres;
mod exec_sqlite;
mod ledger;
mod market;
mod outbox;
mod pairing;
mod privacy;
mod verify;

pub use access::SqlAccess;
pub use admin::AllowlistEntry;
pub use calendar::SqlCalendarJobs;
pub use connect::{Store, StoreError};
pub use ledger::{SqlLedger, WriterConfig, WriterStopped};
pub use market::SqlMarket;
pub use outbox::{OutboxView, Requeued, SqlOutbox};
pub use pairing::SqlPairing;
pub use privacy::SqlPrivacy;
pub use verify::VerifyError;
