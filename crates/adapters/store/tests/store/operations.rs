//! Operating the store: readiness probes that tell the truth and write nothing, and connection
//! errors that never carry the database password into a log.

use std::error::Error;

use warden_assistant::{Ledger, Readiness, ReplyVia};
use warden_store::{SqlLedger, Store, WriterConfig};
use warden_test_support::{Backend, ManualClock, TestDb};

use crate::support::*;

on_both_backends!(
    readiness_reports_ready_after_migration_and_not_ready_before,
    connect_errors_never_echo_the_database_url_password,
);

async fn tables(store: &Store) -> anyhow::Result<i64> {
    scalar(
        store,
        match store.backend() {
            sea_orm::DbBackend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
            }
            _ => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        },
    )
    .await
}

async fn readiness_reports_ready_after_migration_and_not_ready_before(
    backend: Backend,
) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await?;
    assert_eq!(tables(&store).await?, 0);

    let ready = store.readiness().await;
    assert!(
        matches!(ready, Readiness::NotReady { .. }),
        "unmigrated database reported {ready:?}"
    );
    let ledger = SqlLedger::start(
        store.clone(),
        assistant(&[ALICE]),
        ManualClock::at(T0),
        WriterConfig::default(),
    );
    assert!(matches!(
        ledger.readiness().await,
        Readiness::NotReady { .. }
    ));
    // A probe MUST NOT write: not even the migrations bookkeeping table.
    assert_eq!(
        tables(&store).await?,
        0,
        "readiness created tables in an unmigrated database"
    );

    store.migrate().await?;
    assert_eq!(
        store.readiness().await,
        Readiness::Ready { audit_head_seq: 0 }
    );
    assert_eq!(
        ledger
            .handle(
                sender(ALICE),
                twilio(&sid(1), ALICE, "add milk"),
                ReplyVia::Response
            )
            .await?,
        handled("Added task 1: milk")
    );
    let before = snapshot(&store).await?;
    assert_eq!(
        ledger.readiness().await,
        Readiness::Ready { audit_head_seq: 3 }
    );
    assert_eq!(snapshot(&store).await?, before);

    // Migrating twice is a no-op and stays ready.
    store.migrate().await?;
    assert_eq!(
        store.readiness().await,
        Readiness::Ready { audit_head_seq: 3 }
    );
    Ok(())
}

const PASSWORD: &str = "s3cretpw";

/// Display and Debug of the error and of every source below it.
fn everything_said_about(e: &(dyn Error + 'static)) -> String {
    let mut said = String::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        said.push_str(&format!("{err}\n{err:?}\n"));
        cur = err.source();
    }
    said
}

async fn connect_errors_never_echo_the_database_url_password(
    backend: Backend,
) -> anyhow::Result<()> {
    let failing: Vec<String> = match backend {
        Backend::Postgres => vec![
            // Nothing listens there.
            format!("postgres://user:{PASSWORD}@127.0.0.1:1/x"),
            // The server answers, and refuses the role.
            format!("postgres://no_such_role:{PASSWORD}@127.0.0.1:5432/test"),
            // Unparseable or invalid options.
            format!("postgres://user:{PASSWORD}@127.0.0.1:5432/x?sslmode=bogus"),
            format!("postgres://user:{PASSWORD}@[::1/x"),
            format!("postgres://user:{PASSWORD}@127.0.0.1:notaport/x"),
        ],
        Backend::Sqlite => vec![
            // A directory that cannot be created.
            format!("sqlite:///proc/warden-{PASSWORD}/warden.db"),
            format!("sqlite://warden.db?key={PASSWORD}"),
            format!("mysql://user:{PASSWORD}@127.0.0.1:1/x"),
        ],
    };
    for url in &failing {
        let err = Store::connect(url)
            .await
            .err()
            .ok_or_else(|| anyhow::anyhow!("connect succeeded: {url}"))?;
        let said = everything_said_about(&err);
        assert!(!said.contains(PASSWORD), "{url} →\n{said}");
    }

    // A store that did connect with a password does not show it either.
    if backend == Backend::Postgres {
        let db = TestDb::new(backend).await;
        // The test server trusts local connections, so any password is accepted.
        let url = match db.url.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((user, host)) => format!(
                    "{scheme}://{}:{PASSWORD}@{host}",
                    user.split(':').next().unwrap_or(user)
                ),
                None => format!("{scheme}://postgres:{PASSWORD}@{rest}"),
            },
            None => anyhow::bail!("unexpected test url"),
        };
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let ledger = SqlLedger::start(
            store.clone(),
            assistant(&[ALICE]),
            ManualClock::at(T0),
            WriterConfig::default(),
        );
        for shown in [format!("{store:?}"), format!("{ledger:?}")] {
            assert!(!shown.contains(PASSWORD), "{shown}");
        }
    }
    Ok(())
}

/// A ledger whose writer could not start answers every message 503; readiness must say so
/// rather than report the database as fine.
#[tokio::test]
async fn readiness_reports_a_stopped_writer() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db_dir = dir.path().join("gone");
    std::fs::create_dir(&db_dir)?;
    let store = Store::connect(&format!("sqlite://{}", db_dir.join("w.db").display())).await?;
    store.migrate().await?;
    // The writer opens its own connection to the file; take the directory away first.
    std::fs::remove_dir_all(&db_dir)?;
    let ledger = SqlLedger::start(
        store,
        assistant(&[ALICE]),
        ManualClock::at(T0),
        WriterConfig::default(),
    );
    let mut readiness = ledger.readiness().await;
    for _ in 0..100 {
        if readiness
            == (Readiness::NotReady {
                reason: "ledger writer stopped",
            })
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        readiness = ledger.readiness().await;
    }
    assert_eq!(
        readiness,
        Readiness::NotReady {
            reason: "ledger writer stopped"
        }
    );
    let refused = ledger
        .handle(
            sender(ALICE),
            twilio(&sid(1), ALICE, "add milk"),
            ReplyVia::Response,
        )
        .await;
    assert!(
        matches!(refused, Err(warden_assistant::LedgerError::Unavailable(_))),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test]
async fn in_memory_sqlite_is_refused_with_a_clear_error() {
    for url in ["sqlite::memory:", "sqlite://file.db?mode=memory"] {
        let err = Store::connect(url).await.expect_err(url);
        assert!(
            err.to_string()
                .contains("in-memory SQLite is not supported"),
            "{err}"
        );
    }
}
