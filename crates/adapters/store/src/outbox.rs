//! The outbox after enqueue: claims, attempt results, provider status callbacks and operator
//! actions, through sea-orm on both backends.
//!
//! Every transaction here that audits starts by locking the audit chain head (its first
//! statement is a write), which serialises it with the ledger's writer on both backends: on
//! SQLite it takes the database write lock before reading anything, on Postgres the head row.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait, Value,
};
use warden_audit::{AuditEvent, ChainHead, Detail, EventKind};
use warden_delivery::{
    AttemptResult, Claimed, DeliveryStatus, IdempotencyKey, OutboundMessage, OutboxError,
    OutboxStore, StatusApplied,
};
use warden_types::{MessageBody, PhoneNumber, Provider, ProviderMessageId, SenderId, UnixMillis};

use crate::entity::{audit_head, audit_log, outbox};
use crate::Store;

/// [`OutboxStore`] on the store's pool, plus what operators need (`warden outbox …`).
#[derive(Debug, Clone)]
pub struct SqlOutbox {
    store: Store,
}

/// One outbox message as operators see it: no body, the recipient masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxView {
    pub id: i64,
    pub provider: String,
    pub sender: String,
    pub recipient_masked: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What `requeue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    Requeued,
    /// No message has that id.
    NotFound,
    /// Only failed messages can be requeued.
    NotFailed,
}

fn unavailable(e: DbErr) -> OutboxError {
    OutboxError::Unavailable(Box::new(e))
}

/// A duration as the store's millisecond columns hold it.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl SqlOutbox {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Newest first; `failed_only` for `warden outbox list --failed`.
    pub async fn list(&self, failed_only: bool, limit: u64) -> Result<Vec<OutboxView>, DbErr> {
        let mut q = outbox::Entity::find()
            .order_by_desc(outbox::Column::Id)
            .limit(limit);
        if failed_only {
            q = q.filter(outbox::Column::Status.eq(DeliveryStatus::Failed.as_str()));
        }
        Ok(q.all(self.store.connection())
            .await?
            .into_iter()
            .map(|m| OutboxView {
                recipient_masked: m
                    .recipient
                    .as_deref()
                    .and_then(|r| PhoneNumber::parse(r).ok())
                    .map(|p| p.masked()),
                id: m.id,
                provider: m.provider,
                sender: m.sender,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                next_attempt_ms: m.next_attempt_ms,
                created_ms: m.created_ms,
                updated_ms: m.updated_ms,
            })
            .collect())
    }

    /// Puts a failed message back in the queue with a fresh attempt budget, audited with
    /// `actor` (`cli`, `operator:<id>`).
    pub async fn requeue(&self, id: i64, now: UnixMillis, actor: &str) -> Result<Requeued, DbErr> {
        let txn = self.store.connection().begin().await?;
        let head = lock_head(&txn).await?;
        let Some(row) = outbox::Entity::find_by_id(id).one(&txn).await? else {
            return Ok(Requeued::NotFound);
        };
        if row.status != DeliveryStatus::Failed.as_str() || row.recipient.is_none() {
            return Ok(Requeued::NotFailed);
        }
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Status,
                Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(outbox::Column::Attempts, Expr::value(0))
            .col_expr(outbox::Column::NextAttemptMs, Expr::value(now.as_i64()))
            .col_expr(
                outbox::Column::ClaimedUntilMs,
                Expr::value(Value::BigInt(None)),
            )
            .col_expr(outbox::Column::UpdatedMs, Expr::value(now.as_i64()))
            .filter(outbox::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let event = event(
            EventKind::OutboxRequeued,
            &row,
            Detail::new().with("id", id).with("actor", actor),
        );
        append_audit(&txn, self.store.audit_redactor(), head, now, &[event]).await?;
        txn.commit().await?;
        Ok(Requeued::Requeued)
    }
}

fn event(kind: EventKind, row: &outbox::Model, detail: Detail) -> AuditEvent {
    AuditEvent {
        kind,
        sender: SenderId::from_hex(&row.sender).ok(),
        detail: detail.with("provider", &row.provider),
    }
}

/// Takes the audit chain's write lock and reads its head. MUST be a transaction's first
/// statement (see the module doc).
/// Writes messages a transaction decided to send, pending and due now.
async fn insert_messages(
    txn: &DatabaseTransaction,
    messages: Vec<warden_assistant::marketplace::OutboxMessage>,
    now: UnixMillis,
) -> Result<(), DbErr> {
    if messages.is_empty() {
        return Ok(());
    }
    let at = now.as_i64();
    let rows = messages.into_iter().map(|m| outbox::ActiveModel {
        id: NotSet,
        idempotency_key: Set(m.key),
        provider: Set(m.provider.as_str().to_owned()),
        sender: Set(m.sender.map(|s| s.as_str().to_owned()).unwrap_or_default()),
        recipient: Set(Some(m.to.as_e164().to_owned())),
        body: Set(Some(m.body)),
        status: Set(DeliveryStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_ms: Set(at),
        claimed_until_ms: Set(None),
        last_error: Set(None),
        provider_message_id: Set(None),
        created_ms: Set(at),
        updated_ms: Set(at),
    });
    outbox::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

/// The end of every operator-side transaction: the messages it decided to send, then its
/// audit events after `head` (taken by [`lock_head`] when it began), then the commit.
pub(crate) async fn commit_step(
    txn: DatabaseTransaction,
    redactor: &warden_redaction::Redactor,
    head: ChainHead,
    now: UnixMillis,
    audit: &[AuditEvent],
    messages: Vec<warden_assistant::marketplace::OutboxMessage>,
) -> Result<(), DbErr> {
    insert_messages(&txn, messages, now).await?;
    append_audit(&txn, redactor, head, now, audit).await?;
    txn.commit().await
}

pub(crate) async fn lock_head(txn: &DatabaseTransaction) -> Result<ChainHead, DbErr> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one(Statement::from_string(
            backend,
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    Ok(ChainHead {
        seq: row.try_get_by_index(0)?,
        hash: row.try_get_by_index(1)?,
    })
}

pub(crate) async fn append_audit(
    txn: &DatabaseTransaction,
    redactor: &warden_redaction::Redactor,
    mut head: ChainHead,
    now: UnixMillis,
    events: &[AuditEvent],
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        let r = crate::batch::redacted_append(&head, now, e, redactor);
        head = r.head();
        rows.push(audit_log::ActiveModel {
            seq: Set(r.seq),
            at_ms: Set(r.at_ms),
            kind: Set(r.kind),
            sender: Set(r.sender),
            detail: Set(r.detail),
            prev_hash: Set(r.prev_hash),
            hash: Set(r.hash),
        });
    }
    audit_log::Entity::insert_many(rows).exec(txn).await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(head.seq))
        .col_expr(audit_head::Column::Hash, Expr::value(head.hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

fn claim_sql(backend: DbBackend) -> &'static str {
    match backend {
        // SKIP LOCKED: two instances' workers pass each other's claims by instead of waiting.
        DbBackend::Postgres | DbBackend::MySql => {
            "UPDATE outbox SET claimed_until_ms = $1, attempts = attempts + 1, updated_ms = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $2 \
             AND (claimed_until_ms IS NULL OR claimed_until_ms <= $2) ORDER BY id LIMIT $3 \
             FOR UPDATE SKIP LOCKED) \
             RETURNING id, provider, recipient, body, idempotency_key, attempts"
        }
        // SQLite has one writer at a time: the UPDATE holds the write lock for the whole claim.
        DbBackend::Sqlite => {
            "UPDATE outbox SET claimed_until_ms = ?1, attempts = attempts + 1, updated_ms = ?2 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_ms <= ?2 \
             AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?2) ORDER BY id LIMIT ?3) \
             RETURNING id, provider, recipient, body, idempotency_key, attempts"
        }
    }
}

#[async_trait]
impl OutboxStore for SqlOutbox {
    async fn claim_due(
        &self,
        now: UnixMillis,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Claimed>, OutboxError> {
        let db = self.store.connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all(Statement::from_sql_and_values(
                backend,
                claim_sql(backend),
                [
                    now.as_i64().saturating_add(ms(lease)).into(),
                    now.as_i64().into(),
                    i64::from(limit).into(),
                ],
            ))
            .await
            .map_err(unavailable)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let lease_until = UnixMillis(now.as_i64().saturating_add(ms(lease)));
            let id: i64 = row.try_get_by_index(0).map_err(unavailable)?;
            let decoded = (|| {
                let provider: String = row.try_get_by_index(1).ok()?;
                let recipient: Option<String> = row.try_get_by_index(2).ok()?;
                let body: Option<String> = row.try_get_by_index(3).ok()?;
                let key: String = row.try_get_by_index(4).ok()?;
                let attempts: i32 = row.try_get_by_index(5).ok()?;
                Some(Claimed {
                    id,
                    provider: Provider::from_str_opt(&provider)?,
                    message: OutboundMessage {
                        to: PhoneNumber::parse(recipient.as_deref()?).ok()?,
                        body: MessageBody::new(body?),
                        idempotency_key: IdempotencyKey::new(key)?,
                    },
                    attempts: u32::try_from(attempts).ok()?,
                    lease_until,
                })
            })();
            match decoded {
                Some(c) => claimed.push(c),
                // Only a hand-edited row can get here: fail it visibly rather than loop on it.
                None => {
                    tracing::error!(id, "undeliverable outbox row");
                    self.record(
                        vec![AttemptResult::Failed {
                            id,
                            lease_until,
                            reason: "undecodable_row".into(),
                        }],
                        now,
                    )
                    .await?;
                }
            }
        }
        Ok(claimed)
    }

    async fn record(
        &self,
        results: Vec<AttemptResult>,
        now: UnixMillis,
    ) -> Result<(), OutboxError> {
        if results.is_empty() {
            return Ok(());
        }
        let go = async {
            let txn = self.store.connection().begin().await?;
            let head = lock_head(&txn).await?;
            let ids: Vec<i64> = results.iter().map(AttemptResult::id).collect();
            let rows: HashMap<i64, outbox::Model> = outbox::Entity::find()
                .filter(outbox::Column::Id.is_in(ids))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect();
            let mut events = Vec::with_capacity(results.len());
            for result in &results {
                let (id, update, kind, detail) = match result {
                    AttemptResult::Sent {
                        id, provider_id, ..
                    } => (
                        *id,
                        outbox::Entity::update_many()
                            .col_expr(
                                outbox::Column::Status,
                                Expr::value(DeliveryStatus::Sent.as_str()),
                            )
                            .col_expr(
                                outbox::Column::ProviderMessageId,
                                Expr::value(provider_id.as_str()),
                            )
                            // Delivered: the number and text are no longer needed here.
                            .col_expr(outbox::Column::Recipient, Expr::value(Value::String(None)))
                            .col_expr(outbox::Column::Body, Expr::value(Value::String(None)))
                            .col_expr(outbox::Column::LastError, Expr::value(Value::String(None))),
                        EventKind::OutboxSent,
                        Detail::new().with("id", id),
                    ),
                    AttemptResult::Retry { id, reason, at, .. } => (
                        *id,
                        outbox::Entity::update_many()
                            .col_expr(outbox::Column::NextAttemptMs, Expr::value(at.as_i64()))
                            .col_expr(outbox::Column::LastError, Expr::value(reason.as_str())),
                        EventKind::OutboxRetryScheduled,
                        Detail::new()
                            .with("id", id)
                            .with("next_attempt_ms", at.as_i64())
                            .with("reason", reason),
                    ),
                    AttemptResult::Failed { id, reason, .. } => (
                        *id,
                        outbox::Entity::update_many()
                            .col_expr(
                                outbox::Column::Status,
                                Expr::value(DeliveryStatus::Failed.as_str()),
                            )
                            .col_expr(outbox::Column::LastError, Expr::value(reason.as_str())),
                        EventKind::OutboxFailed,
                        Detail::new().with("id", id).with("reason", reason),
                    ),
                };
                let Some(row) = rows.get(&id) else { continue };
                // Only the current claim may settle a message: after its lease ran out another
                // worker may hold it (or have settled it), and a late result must not undo that.
                if row.status != DeliveryStatus::Pending.as_str()
                    || row.claimed_until_ms != Some(result.lease_until().as_i64())
                {
                    tracing::warn!(id, "attempt result dropped: the claim had expired");
                    continue;
                }
                update
                    .col_expr(
                        outbox::Column::ClaimedUntilMs,
                        Expr::value(Value::BigInt(None)),
                    )
                    .col_expr(outbox::Column::UpdatedMs, Expr::value(now.as_i64()))
                    .filter(outbox::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                events.push(event(kind, row, detail.with("attempts", row.attempts)));
            }
            append_audit(&txn, self.store.audit_redactor(), head, now, &events).await?;
            txn.commit().await
        };
        go.await.map_err(unavailable)
    }

    async fn apply_status(
        &self,
        provider: Provider,
        provider_id: &ProviderMessageId,
        reported: DeliveryStatus,
        error_code: Option<i64>,
        now: UnixMillis,
    ) -> Result<StatusApplied, OutboxError> {
        let go = async {
            let txn = self.store.connection().begin().await?;
            let head = lock_head(&txn).await?;
            let Some(row) = outbox::Entity::find()
                .filter(outbox::Column::Provider.eq(provider.as_str()))
                .filter(outbox::Column::ProviderMessageId.eq(provider_id.as_str()))
                .one(&txn)
                .await?
            else {
                return Ok(StatusApplied::Unknown);
            };
            let Some(current) = DeliveryStatus::from_str_opt(&row.status) else {
                return Ok(StatusApplied::Unchanged);
            };
            let next = current.advance(reported);
            if next == current {
                return Ok(StatusApplied::Unchanged);
            }
            let mut update = outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value(next.as_str()))
                .col_expr(outbox::Column::UpdatedMs, Expr::value(now.as_i64()));
            if let Some(code) = error_code {
                update = update.col_expr(
                    outbox::Column::LastError,
                    Expr::value(format!("provider_code_{code}")),
                );
            }
            update
                .filter(outbox::Column::Id.eq(row.id))
                .exec(&txn)
                .await?;
            let mut detail = Detail::new()
                .with("id", row.id)
                .with("from", current.as_str())
                .with("to", next.as_str());
            if let Some(code) = error_code {
                detail = detail.with("error_code", code);
            }
            append_audit(
                &txn,
                self.store.audit_redactor(),
                head,
                now,
                &[event(EventKind::OutboxStatus, &row, detail)],
            )
            .await?;
            txn.commit().await?;
            Ok(StatusApplied::Moved {
                from: current,
                to: next,
            })
        };
        go.await.map_err(unavailable)
    }
}
