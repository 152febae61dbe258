//! The batch executor on sea-orm: Postgres (and SQLite databases without a file).
//!
//! Each batch reads with one query per table (`IN` lists) and writes with one multi-row
//! statement per table, so the round trips per batch do not grow with its size.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, Statement, TransactionTrait,
};
use warden_assistant::{Assistant, Clock, LedgerError, OpenTask, SenderState};
use warden_audit::ChainHead;
use warden_types::{Provider, SenderId};

use crate::batch::{self, Executor, Keys, Resolved, StateRow, Writes};
use crate::entity::{allowlist, audit_head, audit_log, inbound, sender_state, tasks};
use crate::ledger::{ledger_error, Job};
use crate::Store;

/// Postgres allows 65 535 bind parameters per statement; audit rows have 7 columns.
const AUDIT_ROWS_PER_INSERT: usize = 2_000;

pub(crate) struct SeaOrmExecutor {
    pub store: Store,
    pub assistant: Arc<Assistant>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait(?Send)]
impl Executor for SeaOrmExecutor {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Resolved>, LedgerError> {
        self.try_commit(jobs).await.map_err(ledger_error)
    }
}

impl SeaOrmExecutor {
    async fn try_commit(&self, jobs: &[Job]) -> Result<Vec<Resolved>, DbErr> {
        let txn = self.store.writer_connection().begin().await?;
        let head = lock_head(&txn).await?;
        let now = self.clock.now();
        let keys = batch::keys(jobs);
        let seen = seen_ids(&txn, &keys).await?;
        let states = load_states(&txn, &keys).await?;
        let (writes, resolved) = batch::plan(&self.assistant, jobs, head, now, &seen, states);
        flush(&txn, writes).await?;
        txn.commit().await?;
        Ok(resolved)
    }
}

/// Takes the chain head under a lock, serialising every writer of every instance.
///
/// A no-op UPDATE takes the row lock (Postgres) or the database write lock (SQLite, whose
/// deferred BEGIN would otherwise fail at once instead of waiting for a busy writer), and
/// RETURNING reads the head in the same round trip.
async fn lock_head(txn: &DatabaseTransaction) -> Result<ChainHead, DbErr> {
    let row = txn
        .query_one(Statement::from_string(
            txn.get_database_backend(),
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    Ok(ChainHead {
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
    })
}

/// Replay keys of this batch that are already stored: one indexed lookup per provider
/// (the primary key is `(provider, message_id)`, so the provider must be in the predicate).
async fn seen_ids(
    txn: &DatabaseTransaction,
    keys: &Keys<'_>,
) -> Result<HashSet<(Provider, String)>, DbErr> {
    let mut by_provider: HashMap<Provider, Vec<&str>> = HashMap::new();
    for (provider, id) in &keys.inbound {
        by_provider.entry(*provider).or_default().push(id);
    }
    let mut seen = HashSet::new();
    for (provider, ids) in by_provider {
        let rows = inbound::Entity::find()
            .filter(inbound::Column::Provider.eq(provider.as_str()))
            .filter(inbound::Column::MessageId.is_in(ids))
            .all(txn)
            .await?;
        seen.extend(rows.into_iter().map(|r| (provider, r.message_id)));
    }
    Ok(seen)
}

/// Every sender's state in one query per table.
async fn load_states(
    txn: &DatabaseTransaction,
    keys: &Keys<'_>,
) -> Result<HashMap<SenderId, SenderState>, DbErr> {
    let mut states: HashMap<SenderId, SenderState> = HashMap::with_capacity(keys.senders.len());
    if keys.senders.is_empty() {
        return Ok(states);
    }
    let ids: Vec<&str> = keys.senders.iter().map(|s| s.as_str()).collect();
    let by_key: HashMap<&str, &SenderId> = keys.senders.iter().map(|s| (s.as_str(), *s)).collect();
    for row in sender_state::Entity::find()
        .filter(sender_state::Column::Sender.is_in(ids.clone()))
        .all(txn)
        .await?
    {
        if let Some(s) = by_key
            .get(row.sender.as_str())
            .map(|id| states.entry((*id).clone()).or_default())
        {
            StateRow {
                sender: String::new(),
                pair_failures: row.pair_failures,
                locked_until_ms: row.locked_until_ms,
                rate_start_ms: row.rate_start_ms,
                rate_count: row.rate_count,
                rate_notified: row.rate_notified,
                next_task_no: row.next_task_no,
            }
            .apply_to(s);
        }
    }
    for row in allowlist::Entity::find()
        .filter(allowlist::Column::Sender.is_in(ids.clone()))
        .all(txn)
        .await?
    {
        if let Some(s) = by_key
            .get(row.sender.as_str())
            .map(|id| states.entry((*id).clone()).or_default())
        {
            s.paired = true;
        }
    }
    for row in tasks::Entity::find()
        .filter(tasks::Column::Sender.is_in(ids))
        .filter(tasks::Column::DoneMs.is_null())
        .order_by_asc(tasks::Column::Sender)
        .order_by_asc(tasks::Column::TaskNo)
        .all(txn)
        .await?
    {
        if let Some(s) = by_key
            .get(row.sender.as_str())
            .map(|id| states.entry((*id).clone()).or_default())
        {
            s.open_tasks.push(OpenTask {
                no: row.task_no,
                title: row.title,
            });
        }
    }
    Ok(states)
}

async fn flush(txn: &DatabaseTransaction, w: Writes) -> Result<(), DbErr> {
    if !w.inbound.is_empty() {
        inbound::Entity::insert_many(w.inbound.into_iter().map(|r| inbound::ActiveModel {
            provider: Set(r.provider.to_owned()),
            message_id: Set(r.message_id),
            sender: Set(r.sender),
            received_ms: Set(r.received_ms),
        }))
        .exec_without_returning(txn)
        .await?;
    }
    if !w.allow.is_empty() {
        allowlist::Entity::insert_many(w.allow.into_iter().map(|(sender, added_ms)| {
            allowlist::ActiveModel {
                sender: Set(sender),
                added_ms: Set(added_ms),
            }
        }))
        .on_conflict(
            OnConflict::column(allowlist::Column::Sender)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    if !w.new_tasks.is_empty() {
        tasks::Entity::insert_many(w.new_tasks.into_iter().map(|t| tasks::ActiveModel {
            sender: Set(t.sender),
            task_no: Set(t.task_no),
            title: Set(t.title),
            created_ms: Set(t.created_ms),
            done_ms: Set(None),
        }))
        .exec_without_returning(txn)
        .await?;
    }
    for (sender, no, at) in w.done_tasks {
        tasks::Entity::update_many()
            .col_expr(tasks::Column::DoneMs, Expr::value(at))
            .filter(tasks::Column::Sender.eq(sender))
            .filter(tasks::Column::TaskNo.eq(no))
            .exec(txn)
            .await?;
    }
    if !w.states.is_empty() {
        sender_state::Entity::insert_many(w.states.into_iter().map(|r| {
            sender_state::ActiveModel {
                sender: Set(r.sender),
                pair_failures: Set(r.pair_failures),
                locked_until_ms: Set(r.locked_until_ms),
                rate_start_ms: Set(r.rate_start_ms),
                rate_count: Set(r.rate_count),
                rate_notified: Set(r.rate_notified),
                next_task_no: Set(r.next_task_no),
            }
        }))
        .on_conflict(
            OnConflict::column(sender_state::Column::Sender)
                .update_columns([
                    sender_state::Column::PairFailures,
                    sender_state::Column::LockedUntilMs,
                    sender_state::Column::RateStartMs,
                    sender_state::Column::RateCount,
                    sender_state::Column::RateNotified,
                    sender_state::Column::NextTaskNo,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    if !w.audit.is_empty() {
        let mut rows = w.audit;
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(AUDIT_ROWS_PER_INSERT));
            audit_log::Entity::insert_many(rows.into_iter().map(|r| audit_log::ActiveModel {
                seq: Set(r.seq),
                at_ms: Set(r.at_ms),
                kind: Set(r.kind),
                sender: Set(r.sender),
                detail: Set(r.detail),
                prev_hash: Set(r.prev_hash),
                hash: Set(r.hash),
            }))
            .exec_without_returning(txn)
            .await?;
            rows = rest;
        }
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::value(w.head.seq))
            .col_expr(audit_head::Column::Hash, Expr::value(w.head.hash))
            .filter(audit_head::Column::Id.eq(1))
            .exec(txn)
            .await?;
    }
    Ok(())
}
