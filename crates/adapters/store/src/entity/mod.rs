//! sea-orm row types. Plain data, mirroring `migrations/`; never leave this crate.

pub mod allowlist;
pub mod audit_head;
pub mod audit_log;
pub mod calendar_jobs;
pub mod call_consents;
pub mod inbound;
pub mod market_contacts;
pub mod market_offers;
pub mod market_requests;
pub mod operator_recovery_codes;
pub mod operators;
pub mod outbox;
pub mod pairing_requests;
pub mod refresh_tokens;
pub mod sender_state;
pub mod tasks;
pub mod vendor_counters;
pub mod vendors;
