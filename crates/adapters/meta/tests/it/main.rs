//! Black-box tests of the Meta adapter: documented webhook payloads, and the Graph sender
//! against a local mock server. One binary, so the suite links once.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

mod graph;
mod webhook;
