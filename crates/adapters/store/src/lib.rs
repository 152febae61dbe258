//! The store adapter: Warden's state on SQLite (embedded default) or Postgres, from one code
//! path and one schema (`migrations/`).
//!
//! [`SqlLedger`] implements the message path's [`warden_assistant::Ledger`] port with a single
//! writer task that group-commits: every message waiting when a transaction starts joins it, so
//! one fsync covers many messages while each reply still waits for its own commit.

mod batch;
mod connect;
mod entity;
mod exec_postgres;
mod exec_sqlite;
mod ledger;
mod market;
mod outbox;
mod privacy;
mod verify;

pub use connect::{Store, StoreError};
pub use ledger::{SqlLedger, WriterConfig, WriterStopped};
pub use market::SqlMarket;
pub use outbox::{OutboxView, Requeued, SqlOutbox};
pub use privacy::SqlPrivacy;
pub use verify::VerifyError;
