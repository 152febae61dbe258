//! Liveness says the process answers; readiness says the database can take the message path.

use anyhow::Result;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Backend, Gateway, Settings, ALICE};

on_both_backends!(
    healthz_is_ok_and_readyz_reports_database_state,
    readyz_does_not_write_to_an_unmigrated_database,
);

async fn healthz_is_ok_and_readyz_reports_database_state(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;

    let health = gw.get("/healthz").await?;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));

    let ready = gw.get("/readyz").await?;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body, r#"{"status":"ready","audit_head_seq":0}"#);

    gw.say(ALICE, "help").await?;
    let rows = gw.count("audit_log").await?;
    assert!(rows > 0);
    let ready = gw.get("/readyz").await?;
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.body,
        format!(r#"{{"status":"ready","audit_head_seq":{rows}}}"#)
    );
    gw.finish().await?;

    // A database that was never migrated: alive, not ready, and the message path fails closed.
    let gw = Gateway::start_unmigrated(backend).await?;
    assert_eq!(gw.get("/healthz").await?.status, 200);
    let ready = gw.get("/readyz").await?;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(
        ready.body.contains(r#""status":"not_ready""#),
        "{}",
        ready.body
    );
    assert!(!ready.body.contains("audit_head_seq"), "{}", ready.body);
    let answer = gw.send(ALICE, "help").await?;
    assert!(answer.status >= 500, "{} {}", answer.status, answer.body);
    assert!(!answer.body.contains("help"), "{}", answer.body);
    gw.stop().await
}

/// `Ledger::readiness` and `Store::readiness` promise to write nothing: a probe that Kubernetes
/// calls every few seconds must not run DDL (it takes locks, and fails for a read-only role).
async fn readyz_does_not_write_to_an_unmigrated_database(backend: Backend) -> Result<()> {
    let gw = Gateway::start_unmigrated(backend).await?;
    let tables = match backend {
        Backend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS t FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let list = |gw: &Gateway| {
        let db = gw.store().connection().clone();
        async move {
            let rows = db
                .query_all(Statement::from_string(db.get_database_backend(), tables))
                .await?;
            rows.iter()
                .map(|r| Ok(r.try_get::<String>("", "t")?))
                .collect::<Result<Vec<String>>>()
        }
    };
    assert_eq!(list(&gw).await?, Vec::<String>::new(), "fresh database");

    assert_eq!(gw.get("/readyz").await?.status, 503);

    assert_eq!(
        list(&gw).await?,
        Vec::<String>::new(),
        "GET /readyz created tables"
    );
    gw.stop().await
}

/// Without its writer the gateway cannot record anything: every message gets 503 (the provider
/// retries later) and readiness says why, so an orchestrator takes the instance out of rotation.
#[tokio::test]
async fn stopped_writer_answers_503_and_readyz_says_why() -> Result<()> {
    let gw = Gateway::start_without_writer().await?;
    let mut ready = gw.get("/readyz").await?;
    // The readers may notice the vanished file ("audit chain head unreadable") before the
    // writer thread has given up; wait for the writer's own reason.
    for _ in 0..100 {
        if ready.status == 503 && ready.body.contains("ledger writer stopped") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        ready = gw.get("/readyz").await?;
    }
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(
        ready.body.contains("ledger writer stopped"),
        "{}",
        ready.body
    );
    let answer = gw.send(ALICE, "help").await?;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(
        answer.body.contains("nothing was stored"),
        "{}",
        answer.body
    );
    gw.stop().await
}
