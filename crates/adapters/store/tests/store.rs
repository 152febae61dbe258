//! Integration tests of the store adapter, named after the risk each one closes.
//!
//! Every test is one `async fn(Backend)` and runs twice, as `<module>::sqlite::<name>` and
//! `<module>::postgres::<name>` (see [`on_both_backends!`]). Postgres tests never skip: they fail
//! when the server at `WARDEN_TEST_POSTGRES_URL` is unreachable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

/// Generates a `sqlite` and a `postgres` test module, each with one `#[tokio::test]` per listed
/// `async fn(Backend) -> anyhow::Result<()>` of the enclosing module.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> anyhow::Result<()> {
                    super::$test(warden_test_support::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> anyhow::Result<()> {
                    super::$test(warden_test_support::Backend::Postgres).await
                }
            )+
        }
    };
}

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
#[path = "store/replay.rs"]
mod replay;
#[path = "store/state.rs"]
mod state;
