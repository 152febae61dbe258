//! The harness: the real app on an ephemeral port, on a fresh SQLite or Postgres database, with a
//! hand-moved clock, generated secrets and the providers' simulators from `warden-simulators`.
//!
//! [`Gateway`] is one Warden under test (`gateway.rs`); it talks to the server in `talk.rs` and
//! reads its database in `database.rs`. [`Settings`] are what a test may configure, [`Secrets`]
//! what it must never find in a log, [`Person`] who sends.

use std::time::Duration;

mod assertions;
mod database;
mod gateway;
mod people;
mod secrets;
mod settings;
mod talk;

pub use assertions::assert_absent;
pub use gateway::Gateway;
pub use people::{phone_needles, Person, ALICE, BOB, CAROL, EVERYONE};
pub use secrets::Secrets;
pub use settings::{Settings, GOOGLE_CLIENT_ID};
pub use talk::{encode, with_field};
pub use warden_assistant::ReplyText;
pub use warden_simulators::ModelApi;
pub use warden_test_support::Backend;

/// The public URL the gateway is configured with (and Twilio signs).
pub const PUBLIC_URL: &str = "https://warden.acceptance.invalid";
/// Where the manual clock starts: 2027-01-15, far from any digit run in the test numbers.
pub const T0_MS: i64 = 1_800_000_000_000;
pub const MINUTE_MS: i64 = 60_000;

/// How long a test waits for the delivery worker before calling it stuck.
pub const SETTLE: Duration = Duration::from_secs(15);

/// An audit row exactly as stored.
pub type AuditRow = warden_audit::AuditRecord;
