//! The writer task: one transaction per batch of queued jobs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, Statement, TransactionTrait,
};
use tokio::sync::mpsc;
use warden_assistant::{Assistant, Clock, Effect, LedgerError, OpenTask, Outcome, SenderState};
use warden_audit::{AuditEvent, AuditRecord, ChainHead};
use warden_gates::{PairState, RateWindow};
use warden_types::{Provider, SenderId, UnixMillis};

use crate::entity::{allowlist, audit_head, audit_log, inbound, sender_state, tasks};
use crate::ledger::{ledger_error, Job};
use crate::Store;

/// Postgres allows 65 535 bind parameters per statement; audit rows have 7 columns.
const AUDIT_ROWS_PER_INSERT: usize = 2_000;

pub(crate) struct Writer {
    store: Store,
    assistant: Arc<Assistant>,
    clock: Arc<dyn Clock>,
}

/// What one job resolves to once its batch commits.
enum Resolved {
    Inbound(Outcome),
    Audit,
}

impl Writer {
    pub(crate) fn new(store: Store, assistant: Arc<Assistant>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            assistant,
            clock,
        }
    }

    pub(crate) async fn run(self, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
        let mut batch = Vec::with_capacity(max_batch);
        while rx.recv_many(&mut batch, max_batch).await > 0 {
            let started = std::time::Instant::now();
            let result = self.commit(&batch).await;
            tracing::trace!(
                jobs = batch.len(),
                micros = started.elapsed().as_micros() as u64,
                "batch"
            );
            match result {
                Ok(resolved) => {
                    for (job, r) in batch.drain(..).zip(resolved) {
                        answer(job, Ok(r));
                    }
                }
                // One bad job must not sink its neighbours: retry each alone, so only the
                // job that really fails gets the error.
                Err(e) if batch.len() > 1 => {
                    tracing::warn!(error = %e, jobs = batch.len(), "batch failed; retrying jobs one by one");
                    for job in batch.drain(..) {
                        let single = std::slice::from_ref(&job);
                        let r = self
                            .commit(single)
                            .await
                            .map(|mut v| v.pop())
                            .map_err(ledger_error);
                        match r {
                            Ok(Some(r)) => answer(job, Ok(r)),
                            Ok(None) => {
                                answer(job, Err(LedgerError::Failed("empty batch result".into())))
                            }
                            Err(e) => answer(job, Err(e)),
                        }
                    }
                }
                Err(e) => {
                    for job in batch.drain(..) {
                        answer(job, Err(ledger_error(clone_err(&e))));
                    }
                }
            }
        }
    }

    async fn commit(&self, jobs: &[Job]) -> Result<Vec<Resolved>, DbErr> {
        let txn = self.store.writer_connection().begin().await?;
        let mut head = lock_head(&txn).await?;
        let now = self.clock.now();

        let seen = seen_ids(&txn, jobs).await?;
        let mut states = load_states(&txn, jobs).await?;

        let mut w = Writes::default();
        let mut resolved = Vec::with_capacity(jobs.len());
        let mut batch_ids = HashSet::new();
        for job in jobs {
            match job {
                Job::Audit { event, .. } => {
                    w.append(&mut head, now, event);
                    resolved.push(Resolved::Audit);
                }
                Job::Inbound { sender, msg, .. } => {
                    let key = (msg.provider, msg.id.as_str().to_owned());
                    if seen.contains(&key) || !batch_ids.insert(key) {
                        resolved.push(Resolved::Inbound(Outcome::Duplicate));
                        continue;
                    }
                    w.inbound.push(inbound::ActiveModel {
                        provider: Set(msg.provider.as_str().to_owned()),
                        message_id: Set(msg.id.as_str().to_owned()),
                        sender: Set(sender.as_str().to_owned()),
                        received_ms: Set(now.as_i64()),
                    });
                    let state = states.entry(sender.clone()).or_default();
                    let decision = self.assistant.decide(sender, msg, state, now);
                    state.apply(&decision.effects);
                    w.touched.insert(sender.clone());
                    for effect in &decision.effects {
                        w.effect(sender, now, effect);
                    }
                    for event in &decision.audit {
                        w.append(&mut head, now, event);
                    }
                    resolved.push(Resolved::Inbound(Outcome::Handled {
                        reply: decision.reply,
                    }));
                }
            }
        }
        w.flush(&txn, &states, &head).await?;
        txn.commit().await?;
        Ok(resolved)
    }
}

fn answer(job: Job, r: Result<Resolved, LedgerError>) {
    // A caller that gave up (client disconnected) is not an error: the work is committed.
    match (job, r) {
        (Job::Inbound { done, .. }, Ok(Resolved::Inbound(o))) => {
            let _ = done.send(Ok(o));
        }
        (Job::Audit { done, .. }, Ok(Resolved::Audit)) => {
            let _ = done.send(Ok(()));
        }
        (Job::Inbound { done, .. }, Err(e)) => {
            let _ = done.send(Err(e));
        }
        (Job::Audit { done, .. }, Err(e)) => {
            let _ = done.send(Err(e));
        }
        (Job::Inbound { done, .. }, Ok(Resolved::Audit)) => {
            let _ = done.send(Err(LedgerError::Failed("job/result mismatch".into())));
        }
        (Job::Audit { done, .. }, Ok(Resolved::Inbound(_))) => {
            let _ = done.send(Err(LedgerError::Failed("job/result mismatch".into())));
        }
    }
}

/// `DbErr` is not `Clone`; every job of a failed single-job batch gets the same description.
fn clone_err(e: &DbErr) -> DbErr {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))
        }
        other => DbErr::Custom(other.to_string()),
    }
}

/// Takes the chain head under a lock (Postgres: row lock `FOR UPDATE`; SQLite: the database
/// write lock, taken by the first statement), serialising every writer of every instance.
async fn lock_head(txn: &DatabaseTransaction) -> Result<ChainHead, DbErr> {
    // Writing first matters on SQLite too: its BEGIN is deferred, and a transaction that reads
    // first cannot later wait for the write lock (it fails at once with SQLITE_BUSY, or
    // BUSY_SNAPSHOT once another writer committed). A no-op UPDATE takes the lock up front
    // (honouring busy_timeout) and, with RETURNING, reads the head in the same round trip.
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
    jobs: &[Job],
) -> Result<HashSet<(Provider, String)>, DbErr> {
    let mut by_provider: HashMap<Provider, Vec<&str>> = HashMap::new();
    for job in jobs {
        if let Job::Inbound { msg, .. } = job {
            by_provider
                .entry(msg.provider)
                .or_default()
                .push(msg.id.as_str());
        }
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
    jobs: &[Job],
) -> Result<HashMap<SenderId, SenderState>, DbErr> {
    let senders: HashSet<&SenderId> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Inbound { sender, .. } => Some(sender),
            Job::Audit { .. } => None,
        })
        .collect();
    let mut states: HashMap<SenderId, SenderState> = HashMap::with_capacity(senders.len());
    if senders.is_empty() {
        return Ok(states);
    }
    let keys: Vec<&str> = senders.iter().map(|s| s.as_str()).collect();
    let by_key: HashMap<&str, &SenderId> = senders.iter().map(|s| (s.as_str(), *s)).collect();

    for row in sender_state::Entity::find()
        .filter(sender_state::Column::Sender.is_in(keys.clone()))
        .all(txn)
        .await?
    {
        if let Some(id) = by_key.get(row.sender.as_str()) {
            let s = states.entry((*id).clone()).or_default();
            s.pairing = PairState {
                failures: u32::try_from(row.pair_failures).unwrap_or(0),
                locked_until: row.locked_until_ms.map(UnixMillis),
            };
            s.rate = row.rate_start_ms.map(|start| RateWindow {
                start: UnixMillis(start),
                count: u32::try_from(row.rate_count).unwrap_or(u32::MAX),
                notified: row.rate_notified,
            });
            s.next_task_no = row.next_task_no;
        }
    }
    for row in allowlist::Entity::find()
        .filter(allowlist::Column::Sender.is_in(keys.clone()))
        .all(txn)
        .await?
    {
        if let Some(id) = by_key.get(row.sender.as_str()) {
            states.entry((*id).clone()).or_default().paired = true;
        }
    }
    for row in tasks::Entity::find()
        .filter(tasks::Column::Sender.is_in(keys))
        .filter(tasks::Column::DoneMs.is_null())
        .order_by_asc(tasks::Column::Sender)
        .order_by_asc(tasks::Column::TaskNo)
        .all(txn)
        .await?
    {
        if let Some(id) = by_key.get(row.sender.as_str()) {
            states
                .entry((*id).clone())
                .or_default()
                .open_tasks
                .push(OpenTask {
                    no: row.task_no,
                    title: row.title,
                });
        }
    }
    Ok(states)
}

/// The batch's writes, collected so each table gets one statement per batch.
#[derive(Default)]
struct Writes {
    inbound: Vec<inbound::ActiveModel>,
    audit: Vec<audit_log::ActiveModel>,
    allow: Vec<allowlist::ActiveModel>,
    new_tasks: Vec<tasks::ActiveModel>,
    done_tasks: Vec<(SenderId, i64, UnixMillis)>,
    touched: HashSet<SenderId>,
}

impl Writes {
    fn append(&mut self, head: &mut ChainHead, now: UnixMillis, event: &AuditEvent) {
        let AuditRecord {
            seq,
            at_ms,
            kind,
            sender,
            detail,
            prev_hash,
            hash,
        } = warden_audit::append(head, now, event);
        *head = ChainHead {
            seq,
            hash: hash.clone(),
        };
        self.audit.push(audit_log::ActiveModel {
            seq: Set(seq),
            at_ms: Set(at_ms),
            kind: Set(kind),
            sender: Set(sender),
            detail: Set(detail),
            prev_hash: Set(prev_hash),
            hash: Set(hash),
        });
    }

    fn effect(&mut self, sender: &SenderId, now: UnixMillis, effect: &Effect) {
        match effect {
            Effect::Allowlist => self.allow.push(allowlist::ActiveModel {
                sender: Set(sender.as_str().to_owned()),
                added_ms: Set(now.as_i64()),
            }),
            Effect::AddTask { no, title } => self.new_tasks.push(tasks::ActiveModel {
                sender: Set(sender.as_str().to_owned()),
                task_no: Set(*no),
                title: Set(title.clone()),
                created_ms: Set(now.as_i64()),
                done_ms: Set(None),
            }),
            Effect::CompleteTask { no } => self.done_tasks.push((sender.clone(), *no, now)),
            // Gate state is written once per sender from the final in-memory state.
            Effect::SetPairing(_) | Effect::SetRate(_) => {}
        }
    }

    async fn flush(
        self,
        txn: &DatabaseTransaction,
        states: &HashMap<SenderId, SenderState>,
        head: &ChainHead,
    ) -> Result<(), DbErr> {
        if !self.inbound.is_empty() {
            inbound::Entity::insert_many(self.inbound)
                .exec_without_returning(txn)
                .await?;
        }
        if !self.allow.is_empty() {
            allowlist::Entity::insert_many(self.allow)
                .on_conflict(
                    OnConflict::column(allowlist::Column::Sender)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
        }
        if !self.new_tasks.is_empty() {
            tasks::Entity::insert_many(self.new_tasks)
                .exec_without_returning(txn)
                .await?;
        }
        for (sender, no, at) in self.done_tasks {
            tasks::Entity::update_many()
                .col_expr(tasks::Column::DoneMs, Expr::value(at.as_i64()))
                .filter(tasks::Column::Sender.eq(sender.as_str()))
                .filter(tasks::Column::TaskNo.eq(no))
                .exec(txn)
                .await?;
        }
        let rows: Vec<sender_state::ActiveModel> = self
            .touched
            .iter()
            .filter_map(|s| states.get(s).map(|st| state_row(s, st)))
            .collect();
        if !rows.is_empty() {
            sender_state::Entity::insert_many(rows)
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
        if !self.audit.is_empty() {
            let mut audit = self.audit;
            while !audit.is_empty() {
                let rest = audit.split_off(audit.len().min(AUDIT_ROWS_PER_INSERT));
                audit_log::Entity::insert_many(audit)
                    .exec_without_returning(txn)
                    .await?;
                audit = rest;
            }
            audit_head::Entity::update_many()
                .col_expr(audit_head::Column::Seq, Expr::value(head.seq))
                .col_expr(audit_head::Column::Hash, Expr::value(head.hash.clone()))
                .filter(audit_head::Column::Id.eq(1))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

fn state_row(sender: &SenderId, s: &SenderState) -> sender_state::ActiveModel {
    sender_state::ActiveModel {
        sender: Set(sender.as_str().to_owned()),
        pair_failures: Set(i32::try_from(s.pairing.failures).unwrap_or(i32::MAX)),
        locked_until_ms: Set(s.pairing.locked_until.map(UnixMillis::as_i64)),
        rate_start_ms: Set(s.rate.map(|w| w.start.as_i64())),
        rate_count: Set(s
            .rate
            .map_or(0, |w| i32::try_from(w.count).unwrap_or(i32::MAX))),
        rate_notified: Set(s.rate.is_some_and(|w| w.notified)),
        next_task_no: Set(s.next_task_no),
    }
}
