//! Warden's acceptance suite: the real gateway on an ephemeral port and a fresh database per test,
//! spoken to over HTTP by the providers' simulators, calling out to their mock APIs (both from
//! `warden-simulators`). One module per control, each test named after the risk it covers, each
//! control checked on SQLite and on Postgres.

#![allow(
    clippy::panic,
    reason = "the harness fails a test loudly, like the assertions it stands next to"
)]

// `on_both_backends!` for every module.
#[macro_use]
extern crate warden_test_support;

mod support;

mod admin;
mod advisor;
mod audit;
mod calendar;
mod commands;
mod console;
mod edge;
mod health;
mod leaks;
mod marketplace;
mod meta;
mod outbox;
mod pairing;
mod privacy;
mod rate_limit;
mod raw;
mod replay;
mod senders;
mod signature;
