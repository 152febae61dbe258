//! Calendar jobs after they were written in the message's transaction: claims under a lease,
//! and the settling of each attempt with its audit event and the user's reply in the outbox,
//! through sea-orm on both backends.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
    TransactionTrait, Value,
};
use warden_assistant::marketplace::OutboxMessage;
use warden_assistant::outbox::enqueued_event;
use warden_calendar::jobs::{
    CalendarJob, ClaimedJob, JobAction, JobOutcome, JobResult, JobStore, JobStoreError,
};
use warden_calendar::{EventId, NewEvent, POPUP_MINUTES_BEFORE};
use warden_commands::TaskTitle;
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

use crate::entity::calendar_jobs;
use crate::outbox::{commit_step, lock_head, ms};
use crate::Store;

pub(crate) const PENDING: &str = "pending";
pub(crate) const DONE: &str = "done";
pub(crate) const FAILED: &str = "failed";
pub(crate) const INSERT: &str = "insert";
pub(crate) const DELETE: &str = "delete";

/// [`JobStore`] on the store's pool.
#[derive(Debug, Clone)]
pub struct SqlCalendarJobs {
    store: Store,
}

fn unavailable(e: DbErr) -> JobStoreError {
    JobStoreError::Unavailable(Box::new(e))
}

impl SqlCalendarJobs {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// `last_error` holds 64 characters; reasons are codes, cut rather than fail the transaction.
fn code(reason: &str) -> String {
    reason.chars().take(64).collect()
}

fn claim_sql(backend: DbBackend) -> &'static str {
    match backend {
        // SKIP LOCKED: two instances' workers pass each other's claims by instead of waiting.
        DbBackend::Postgres | DbBackend::MySql => {
            "UPDATE calendar_jobs SET claimed_until_ms = $1, attempts = attempts + 1, \
             updated_ms = $2 WHERE id IN (SELECT id FROM calendar_jobs WHERE status = 'pending' \
             AND next_attempt_ms <= $2 AND (claimed_until_ms IS NULL OR claimed_until_ms <= $2) \
             ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, action, event_id, sender, title, start_ms, end_ms, zone, done_reply, \
             attempts"
        }
        // SQLite has one writer at a time: the UPDATE holds the write lock for the whole claim.
        DbBackend::Sqlite => {
            "UPDATE calendar_jobs SET claimed_until_ms = ?1, attempts = attempts + 1, \
             updated_ms = ?2 WHERE id IN (SELECT id FROM calendar_jobs WHERE status = 'pending' \
             AND next_attempt_ms <= ?2 AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?2) \
             ORDER BY id LIMIT ?3) \
             RETURNING id, action, event_id, sender, title, start_ms, end_ms, zone, done_reply, \
             attempts"
        }
    }
}

/// A claimed row as the domain's job; `None` for a row no release writes (hand-edited).
fn decode(row: &sea_orm::QueryResult) -> Option<(CalendarJob, u32)> {
    let action: String = row.try_get_by_index(1).ok()?;
    let event_id: String = row.try_get_by_index(2).ok()?;
    let sender: String = row.try_get_by_index(3).ok()?;
    let title: Option<String> = row.try_get_by_index(4).ok()?;
    let start: Option<i64> = row.try_get_by_index(5).ok()?;
    let end: Option<i64> = row.try_get_by_index(6).ok()?;
    let zone: Option<String> = row.try_get_by_index(7).ok()?;
    let done_reply: Option<String> = row.try_get_by_index(8).ok()?;
    let attempts: i32 = row.try_get_by_index(9).ok()?;
    let owner = SenderId::from_hex(&sender).ok()?;
    let id = EventId::parse(&event_id)?;
    let action = match action.as_str() {
        INSERT => JobAction::Insert(NewEvent {
            id,
            owner: owner.clone(),
            title: TaskTitle::new(title.as_deref()?).ok()?,
            start: UnixMillis(start?),
            end: UnixMillis(end?),
            zone: zone?,
            popup_minutes_before: POPUP_MINUTES_BEFORE,
        }),
        DELETE => JobAction::Delete(id),
        _ => return None,
    };
    Some((
        CalendarJob {
            action,
            owner,
            done_reply: done_reply?,
        },
        u32::try_from(attempts).ok()?,
    ))
}

#[async_trait]
impl JobStore for SqlCalendarJobs {
    async fn claim_due(
        &self,
        now: UnixMillis,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, JobStoreError> {
        let db = self.store.connection();
        let backend = db.get_database_backend();
        let lease_until = UnixMillis(now.as_i64().saturating_add(ms(lease)));
        let rows = db
            .query_all(Statement::from_sql_and_values(
                backend,
                claim_sql(backend),
                [
                    lease_until.as_i64().into(),
                    now.as_i64().into(),
                    i64::from(limit).into(),
                ],
            ))
            .await
            .map_err(unavailable)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get_by_index(0).map_err(unavailable)?;
            match decode(&row) {
                Some((job, attempts)) => claimed.push(ClaimedJob {
                    id,
                    job,
                    attempts,
                    lease_until,
                }),
                // Only a hand-edited row can get here: park it visibly rather than loop on it.
                None => {
                    tracing::error!(id, "undecodable calendar job");
                    calendar_jobs::Entity::update_many()
                        .col_expr(calendar_jobs::Column::Status, Expr::value(FAILED))
                        .col_expr(
                            calendar_jobs::Column::LastError,
                            Expr::value("undecodable_row"),
                        )
                        .filter(calendar_jobs::Column::Id.eq(id))
                        .exec(db)
                        .await
                        .map_err(unavailable)?;
                }
            }
        }
        Ok(claimed)
    }

    async fn record(&self, results: Vec<JobResult>, now: UnixMillis) -> Result<(), JobStoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let go = async {
            let txn = self.store.connection().begin().await?;
            let head = lock_head(&txn).await?;
            let ids: Vec<i64> = results.iter().map(|r| r.id).collect();
            let rows: HashMap<i64, calendar_jobs::Model> = calendar_jobs::Entity::find()
                .filter(calendar_jobs::Column::Id.is_in(ids))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect();
            let mut events = Vec::with_capacity(results.len() * 2);
            let mut replies = Vec::new();
            for result in results {
                let Some(row) = rows.get(&result.id) else {
                    continue;
                };
                // Only the current claim may settle a job: after its lease ran out another
                // worker may hold it (or have settled it), and a late result must not undo that.
                if row.status != PENDING
                    || row.claimed_until_ms != Some(result.lease_until.as_i64())
                {
                    tracing::warn!(
                        id = row.id,
                        "calendar result dropped: the claim had expired"
                    );
                    continue;
                }
                let update = calendar_jobs::Entity::update_many()
                    .col_expr(
                        calendar_jobs::Column::ClaimedUntilMs,
                        Expr::value(Value::BigInt(None)),
                    )
                    .col_expr(calendar_jobs::Column::UpdatedMs, Expr::value(now.as_i64()))
                    .filter(calendar_jobs::Column::Id.eq(row.id));
                let (update, settled) = match result.outcome {
                    JobOutcome::Retry { reason, at } => (
                        update
                            .col_expr(
                                calendar_jobs::Column::NextAttemptMs,
                                Expr::value(at.as_i64()),
                            )
                            .col_expr(calendar_jobs::Column::LastError, Expr::value(code(&reason))),
                        None,
                    ),
                    JobOutcome::Done { audit, reply } => (
                        update.col_expr(calendar_jobs::Column::Status, Expr::value(DONE)),
                        Some((audit, reply)),
                    ),
                    JobOutcome::Failed { audit, reply } => {
                        let reason = code(audit.detail.get("reason").unwrap_or("failed"));
                        (
                            update
                                .col_expr(calendar_jobs::Column::Status, Expr::value(FAILED))
                                .col_expr(calendar_jobs::Column::LastError, Expr::value(reason)),
                            Some((audit, reply)),
                        )
                    }
                };
                let update = if settled.is_some() {
                    // Settled: the title, times, reply text and number are no longer needed.
                    update
                        .col_expr(
                            calendar_jobs::Column::Title,
                            Expr::value(Value::String(None)),
                        )
                        .col_expr(
                            calendar_jobs::Column::StartMs,
                            Expr::value(Value::BigInt(None)),
                        )
                        .col_expr(
                            calendar_jobs::Column::EndMs,
                            Expr::value(Value::BigInt(None)),
                        )
                        .col_expr(
                            calendar_jobs::Column::Zone,
                            Expr::value(Value::String(None)),
                        )
                        .col_expr(
                            calendar_jobs::Column::DoneReply,
                            Expr::value(Value::String(None)),
                        )
                        .col_expr(
                            calendar_jobs::Column::Recipient,
                            Expr::value(Value::String(None)),
                        )
                } else {
                    update
                };
                update.exec(&txn).await?;
                let Some((audit, reply)) = settled else {
                    continue;
                };
                events.push(audit);
                let to = row
                    .recipient
                    .as_deref()
                    .and_then(|r| PhoneNumber::parse(r).ok());
                let provider = Provider::from_str_opt(&row.provider);
                if let (Some(to), Some(provider)) = (to, provider) {
                    let sender = SenderId::from_hex(&row.sender).ok();
                    events.push(enqueued_event(sender.clone(), &row.reply_key, provider));
                    replies.push(OutboxMessage {
                        key: row.reply_key.clone(),
                        provider,
                        sender,
                        to,
                        body: reply,
                    });
                }
            }
            commit_step(
                txn,
                self.store.audit_redactor(),
                head,
                now,
                &events,
                replies,
            )
            .await
        };
        go.await.map_err(unavailable)
    }
}
