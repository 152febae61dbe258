//! Test fixtures shared by the store tests and the acceptance suite.
//!
//! Postgres tests never skip: they use `WARDEN_TEST_POSTGRES_URL` (default the CI server at
//! `postgres://postgres@127.0.0.1:5432/test`) and fail loudly when it is unreachable. Each test
//! gets its own freshly created database, dropped when the fixture is dropped.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test fixtures fail the test loudly"
)]

pub mod market;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, Database};
use warden_store::Store;
use warden_types::Clock;
use warden_types::UnixMillis;

/// A clock tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(ms: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(ms)))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::SeqCst))
    }
}

/// Generates a `sqlite` and a `postgres` test, in a module named after the risk, from each
/// `async fn name(backend: Backend) -> anyhow::Result<()>` next to the macro call: the tests
/// are `<module>::<name>::sqlite` and `<module>::<name>::postgres`, so that one nextest filter
/// (`test(/postgres/)`) selects every Postgres variant. The caller depends on `tokio` (with
/// `macros` and `rt-multi-thread`) and `anyhow`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                super::$name($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )+};
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// An isolated, empty database that disappears with the fixture.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("WARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("warden.db").display());
                Self {
                    url,
                    backend,
                    _dir: Some(dir),
                    pg_drop: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("warden_t_{}", random_hex(8));
                let db = Database::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("Postgres tests need a server at WARDEN_TEST_POSTGRES_URL (default {admin}): {e}")
                });
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let _ = db.close().await;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Self {
                    url: format!("{base}/{name}"),
                    backend,
                    _dir: None,
                    pg_drop: Some((admin.clone(), name)),
                }
            }
        }
    }

    /// Connected and migrated.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort, off the async runtime: a leftover database only costs disk space.
        if let Some((admin, name)) = self.pg_drop.take() {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio_runtime() else { return };
                rt.block_on(async move {
                    if let Ok(db) = Database::connect(&admin).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

fn tokio_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Runs raw SQL against `url` the way an attacker with database access would: outside the
/// application, e.g. to drop the append-only triggers and edit history.
pub async fn execute_sql(url: &str, sql: &str) {
    let db = Database::connect(url).await.expect("connect for raw SQL");
    db.execute_unprepared(sql).await.expect("raw SQL");
    let _ = db.close().await;
}

/// SQL that removes the audit log's append-only triggers on `backend`.
pub fn drop_audit_triggers(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
             DROP TRIGGER audit_head_forward_only; DROP TRIGGER audit_head_no_delete;"
        }
        Backend::Postgres => {
            "ALTER TABLE audit_log DISABLE TRIGGER ALL; ALTER TABLE audit_head DISABLE TRIGGER ALL;"
        }
    }
}
