//! Integration tests of the store adapter, named after the risk each one closes.
//!
//! Every test is one `async fn(Backend)` and runs twice, as `<module>::<name>::sqlite` and
//! `<module>::<name>::postgres` (see `warden_test_support::on_both_backends!`). Postgres tests
//! never skip: they fail when the server at `WARDEN_TEST_POSTGRES_URL` is unreachable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

// `on_both_backends!` for every module of this test binary.
#[macro_use]
extern crate warden_test_support;

#[path = "store/support.rs"]
mod support;

#[path = "store/advice.rs"]
mod advice;
#[path = "store/atomicity.rs"]
mod atomicity;
#[path = "store/audit_chain.rs"]
mod audit_chain;
#[path = "store/concurrency.rs"]
mod concurrency;
#[path = "store/market.rs"]
mod market;
#[path = "store/operations.rs"]
mod operations;
#[path = "store/outbox.rs"]
mod outbox;
#[path = "store/pairing.rs"]
mod pairing;
#[path = "store/replay.rs"]
mod replay;
#[path = "store/retention.rs"]
mod retention;
#[path = "store/state.rs"]
mod state;
