//! What the gateway's database holds, read the way an operator or an auditor would.

use std::time::Duration;

use anyhow::{Context, Result};
use sea_orm::{ConnectionTrait, Statement};
use warden_store::OutboxView;

use super::{AuditRow, Gateway, SETTLE};

impl Gateway {
    /// A number of the first row `sql` returns, selected `AS n`.
    pub async fn query_i64(&self, sql: &str) -> Result<i64> {
        let db = self.store().connection();
        let row = db
            .query_one(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("no row")?;
        Ok(row.try_get::<i64>("", "n")?)
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> Result<i64> {
        self.query_i64(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await
    }

    /// Audit rows of `kind`.
    pub async fn count_kind(&self, kind: &str) -> Result<i64> {
        self.query_i64(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE kind = '{kind}'"
        ))
        .await
    }

    pub async fn audit(&self) -> Result<Vec<AuditRow>> {
        Ok(self.store().audit_records(i64::MIN, u64::MAX).await?)
    }

    pub async fn audit_kinds(&self) -> Result<Vec<String>> {
        Ok(self.audit().await?.into_iter().map(|r| r.kind).collect())
    }

    /// Every value of every column of every Warden table, as text, one line per row.
    pub async fn everything_stored(&self) -> Result<String> {
        const TABLES: [(&str, &[&str]); 6] = [
            (
                "inbound_messages",
                &["provider", "message_id", "sender", "received_ms"],
            ),
            ("allowlist", &["sender", "added_ms"]),
            (
                "sender_state",
                &[
                    "sender",
                    "pair_failures",
                    "locked_until_ms",
                    "rate_start_ms",
                    "rate_count",
                    "rate_notified",
                    "next_task_no",
                ],
            ),
            (
                "tasks",
                &["sender", "task_no", "title", "created_ms", "done_ms"],
            ),
            (
                "audit_log",
                &[
                    "seq",
                    "at_ms",
                    "kind",
                    "sender",
                    "detail",
                    "prev_hash",
                    "hash",
                ],
            ),
            ("audit_head", &["id", "seq", "hash"]),
        ];
        let db = self.store().connection();
        let mut out = String::new();
        for (table, columns) in TABLES {
            let select: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("CAST({c} AS TEXT) AS c{i}"))
                .collect();
            let sql = format!("SELECT {} FROM {table}", select.join(", "));
            for row in db
                .query_all(Statement::from_string(db.get_database_backend(), sql))
                .await?
            {
                out.push_str(table);
                for i in 0..columns.len() {
                    let v: Option<String> = row.try_get("", &format!("c{i}"))?;
                    out.push('|');
                    out.push_str(v.as_deref().unwrap_or("NULL"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// A text column of the first row `sql` returns, selected `AS s`.
    pub async fn query_string(&self, sql: &str) -> Result<Option<String>> {
        let db = self.store().connection();
        let row = db
            .query_one(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("no row")?;
        Ok(row.try_get::<Option<String>>("", "s")?)
    }

    /// The operator actions, as `warden vendor|offers|consent|call|outbox` reach them.
    pub fn operator(&self) -> &warden::operator::Operator {
        &self.running().operator
    }

    /// Registers a vendor the way `warden vendor add` does.
    pub async fn add_vendor(&self, name: &str, phone: &str, tags: &str) -> Result<i64> {
        Ok(self
            .operator()
            .register_vendor(name, phone, tags, "cli")
            .await?
            .0)
    }

    /// The one outbox row there is, failing unless there is exactly one.
    pub async fn only_outbox_row(&self) -> Result<OutboxView> {
        let rows = self.operator().outbox(false, 100).await?;
        anyhow::ensure!(rows.len() == 1, "expected one outbox row, got {rows:?}");
        rows.into_iter().next().context("one row")
    }

    /// The provider's id for outbox message `id` (the wamid Meta answered the send with).
    pub async fn provider_message_id(&self, id: i64) -> Result<String> {
        self.query_string(&format!(
            "SELECT provider_message_id AS s FROM outbox WHERE id = {id}"
        ))
        .await?
        .context("the message has no provider id")
    }

    /// Polls `check` every 20 ms until it holds, failing after `within`.
    pub async fn wait_until<F, Fut>(&self, what: &str, within: Duration, mut check: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let deadline = tokio::time::Instant::now() + within;
        while !check().await? {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "timed out after {within:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Waits until no outbox message is pending: every reply was sent or failed for good.
    /// Runs one outbox delivery pass now, as the worker does on its tick: a test that expects
    /// nothing to be due steps it instead of sleeping through ticks.
    pub async fn deliver_now(&self) -> Result<warden_delivery::PassReport> {
        Ok(self.running().delivery.pass().await?)
    }

    /// Waits until no calendar job is pending (the calendar worker runs on its own tick).
    pub async fn calendar_settled(&self, within: Duration) -> Result<()> {
        self.wait_until("the calendar jobs to settle", within, || async {
            Ok(self
                .query_i64("SELECT COUNT(*) AS n FROM calendar_jobs WHERE status = 'pending'")
                .await?
                == 0)
        })
        .await
    }

    /// Runs one outreach-scheduler tick now, as the scheduler does on its own.
    pub async fn plan_now(&self) -> Result<warden_assistant::marketplace::TickReport> {
        let market = self
            .running()
            .market
            .as_ref()
            .context("the marketplace is not enabled")?;
        Ok(market.tick().await?)
    }

    pub async fn outbox_settled(&self) -> Result<()> {
        self.wait_until("the outbox to settle", SETTLE, || async {
            Ok(self
                .query_i64("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
                .await?
                == 0)
        })
        .await
    }
}
