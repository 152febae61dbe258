//! sea-orm row types. Plain data, mirroring `migrations/`; never leave this crate.

pub mod allowlist;
pub mod audit_head;
pub mod audit_log;
pub mod inbound;
pub mod outbox;
pub mod sender_state;
pub mod tasks;
