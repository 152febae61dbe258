//! The batch executor for SQLite files: a synchronous connection owned by the writer thread.
//!
//! sqlx's SQLite driver runs every statement on a worker thread of its own and hands results
//! back through channels: two thread wake-ups per statement, which under load cost more than
//! the statements. Here the writer thread talks to SQLite directly, with prepared statements
//! cached for the connection's life. The statements are built with sea-query from the same
//! entity definitions sea-orm uses everywhere else, against the one schema in `migrations/`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use sea_orm::sea_query::{OnConflict, Order, Query, SqliteQueryBuilder};
use sea_orm::{ColumnTrait, Value};
use warden_assistant::{Assistant, LedgerError, OpenTask, SenderState};
use warden_audit::ChainHead;
use warden_types::Clock;

use crate::batch::{self, Executor, Resolved, StateRow, Writes};
use crate::connect::SQLITE_PRAGMAS;
use crate::entity::{
    allowlist, audit_head, audit_log, calendar_jobs, inbound, outbox, pairing_requests,
    sender_state, tasks, vendors,
};
use crate::ledger::Job;

pub(crate) struct SqliteExecutor {
    conn: Connection,
    sql: Sql,
    assistant: Arc<Assistant>,
    redactor: Arc<warden_redaction::Redactor>,
    clock: Arc<dyn Clock>,
    _checkpointer: Checkpointer,
}

/// Moves WAL frames into the database file off the writer's path, every
/// [`Checkpointer::EVERY`], with a connection of its own. PASSIVE never blocks the writer.
/// Dropped with the executor, it does a last checkpoint and is joined, so a writer that has
/// stopped leaves no thread touching the database files.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Checkpointer {
    const EVERY: Duration = Duration::from_millis(250);

    fn start(path: &Path) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("warden-checkpoint".into())
            .spawn(move || loop {
                let last = !matches!(
                    stopped.recv_timeout(Self::EVERY),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
                if last {
                    return;
                }
            });
        let thread = spawned
            .map_err(|e| tracing::error!(error = %e, "cannot start the checkpoint thread"))
            .ok();
        Ok(Self {
            stop: Some(stop),
            thread,
        })
    }
}

#[async_trait(?Send)]
impl Executor for SqliteExecutor {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Resolved>, LedgerError> {
        self.try_commit(jobs).map_err(ledger_error)
    }
}

impl SqliteExecutor {
    /// Opens the database file `Store::connect` created and migrated.
    pub fn open(
        path: &Path,
        assistant: Arc<Assistant>,
        redactor: Arc<warden_redaction::Redactor>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        for (name, value) in SQLITE_PRAGMAS {
            conn.execute_batch(&format!("PRAGMA {name} = {value};"))?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        // Checkpoints copy the WAL into the database file; done on commit they stall the one
        // writer for milliseconds. A checkpointer thread does them instead (see below).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(Self {
            conn,
            sql: Sql::build(),
            assistant,
            redactor,
            clock,
            _checkpointer: checkpointer,
        })
    }

    fn try_commit(&mut self, jobs: &[Job]) -> Result<Vec<Resolved>, rusqlite::Error> {
        let Self {
            conn,
            sql,
            assistant,
            redactor,
            clock,
            ..
        } = self;
        // IMMEDIATE takes the write lock first (waiting up to busy_timeout for another
        // writer), so the head read below cannot go stale before the commit.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = tx.prepare_cached(&sql.head)?.query_row([1], |r| {
            Ok(ChainHead {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })?;
        let now = clock.now();
        let keys = batch::keys(jobs);

        let mut seen = HashSet::new();
        {
            let mut stmt = tx.prepare_cached(&sql.seen)?;
            for (provider, id) in &keys.inbound {
                if stmt.exists(params![provider.as_str(), id])? {
                    seen.insert((*provider, (*id).to_owned()));
                }
            }
        }

        let mut states = HashMap::with_capacity(keys.senders.len());
        {
            let mut state_stmt = tx.prepare_cached(&sql.state)?;
            let mut allowed_stmt = tx.prepare_cached(&sql.allowed)?;
            let mut tasks_stmt = tx.prepare_cached(&sql.open_tasks)?;
            let mut vendor_stmt = tx.prepare_cached(&sql.vendor)?;
            let marketplace = assistant.policy().marketplace;
            let codes = assistant.issues_codes();
            let since = assistant.policy().approval.window_start(now).as_i64();
            let mut codes_stmt = tx.prepare_cached(&sql.pairing_codes)?;
            for sender in &keys.senders {
                let mut s = SenderState::default();
                let row = state_stmt
                    .query_row([sender.as_str()], |r| {
                        Ok(StateRow {
                            sender: String::new(),
                            pair_failures: r.get(0)?,
                            locked_until_ms: r.get(1)?,
                            rate_start_ms: r.get(2)?,
                            rate_count: r.get(3)?,
                            rate_notified: r.get(4)?,
                            next_task_no: r.get(5)?,
                        })
                    })
                    .optional()?;
                if let Some(row) = row {
                    row.apply_to(&mut s);
                }
                s.paired = allowed_stmt.exists([sender.as_str()])?;
                // Vendors only matter with the marketplace on; skip the lookup otherwise.
                if marketplace {
                    s.vendor = vendor_stmt
                        .query_row([sender.as_str()], |r| r.get::<_, i64>(0))
                        .optional()?
                        .map(warden_marketplace::VendorId);
                }
                let open = tasks_stmt.query_map([sender.as_str()], |r| {
                    Ok(OpenTask {
                        no: r.get(0)?,
                        title: r.get(1)?,
                    })
                })?;
                for task in open {
                    s.open_tasks.push(task?);
                }
                // Pairing codes only matter when strangers may ask for them.
                if codes {
                    let rows = codes_stmt.query_map(params![sender.as_str(), since], |r| {
                        Ok(crate::pairing::issued_code(
                            &r.get::<_, String>(0)?,
                            &r.get::<_, String>(1)?,
                            r.get(2)?,
                            r.get(3)?,
                        ))
                    })?;
                    for code in rows {
                        s.pairing_codes.extend(code?);
                    }
                }
                states.insert((*sender).clone(), s);
            }
        }
        let backlog: i64 = if assistant.issues_codes() {
            tx.prepare_cached(&sql.pairing_backlog)?.query_row(
                params![warden_gates::RequestStatus::Pending.as_str(), now.as_i64()],
                |r| r.get(0),
            )?
        } else {
            0
        };
        let backlog = u32::try_from(backlog).unwrap_or(u32::MAX);

        let (writes, resolved) =
            batch::plan(assistant, redactor, jobs, head, now, &seen, states, backlog);
        write(&tx, sql, writes)?;
        tx.commit()?;
        Ok(resolved)
    }
}

fn write(tx: &rusqlite::Transaction<'_>, sql: &Sql, w: Writes) -> Result<(), rusqlite::Error> {
    let mut stmt = tx.prepare_cached(&sql.insert_inbound)?;
    for r in &w.inbound {
        stmt.execute(params![r.provider, r.message_id, r.sender, r.received_ms])?;
    }
    let mut stmt = tx.prepare_cached(&sql.insert_allow)?;
    for (sender, added_ms) in &w.allow {
        stmt.execute(params![sender, added_ms])?;
    }
    let mut stmt = tx.prepare_cached(&sql.insert_task)?;
    for t in &w.new_tasks {
        stmt.execute(params![
            t.sender,
            t.task_no,
            t.title,
            t.created_ms,
            t.done_ms
        ])?;
    }
    let mut stmt = tx.prepare_cached(&sql.complete_task)?;
    for (sender, no, at) in &w.done_tasks {
        stmt.execute(params![at, sender, no])?;
    }
    let mut stmt = tx.prepare_cached(&sql.upsert_state)?;
    for r in &w.states {
        stmt.execute(params![
            r.sender,
            r.pair_failures,
            r.locked_until_ms,
            r.rate_start_ms,
            r.rate_count,
            r.rate_notified,
            r.next_task_no
        ])?;
    }
    if !w.outbox.is_empty() {
        let mut stmt = tx.prepare_cached(&sql.insert_outbox)?;
        for r in &w.outbox {
            stmt.execute(params![
                r.idempotency_key,
                r.provider,
                r.sender,
                r.recipient,
                r.body,
                "pending",
                0,
                r.created_ms,
                r.created_ms,
                r.created_ms
            ])?;
        }
    }
    if !w.pairing.is_empty() {
        let mut stmt = tx.prepare_cached(&sql.insert_pairing)?;
        for r in &w.pairing {
            stmt.execute(params![
                r.code,
                r.sender,
                r.phone,
                r.provider,
                warden_gates::RequestStatus::Pending.as_str(),
                r.requested_ms,
                r.expires_ms
            ])?;
        }
    }
    if !w.calendar_jobs.is_empty() {
        let mut stmt = tx.prepare_cached(&sql.insert_calendar_job)?;
        for r in &w.calendar_jobs {
            stmt.execute(params![
                r.reply_key,
                r.action,
                r.event_id,
                r.sender,
                r.provider,
                r.recipient,
                r.title,
                r.start_ms,
                r.end_ms,
                r.zone,
                r.done_reply,
                crate::calendar::PENDING,
                0,
                r.created_ms,
                r.created_ms,
                r.created_ms
            ])?;
        }
    }
    if !w.audit.is_empty() {
        let mut stmt = tx.prepare_cached(&sql.insert_audit)?;
        for r in &w.audit {
            stmt.execute(params![
                r.seq,
                r.at_ms,
                r.kind,
                r.sender,
                r.detail,
                r.prev_hash,
                r.hash
            ])?;
        }
        tx.prepare_cached(&sql.update_head)?
            .execute(params![w.head.seq, w.head.hash, 1])?;
    }
    Ok(())
}

/// Busy or locked is `Unavailable` (retryable, 503); everything else `Failed`.
fn ledger_error(e: rusqlite::Error) -> LedgerError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            LedgerError::Unavailable(Box::new(e))
        }
        _ => LedgerError::Failed(Box::new(e)),
    }
}

/// The executor's statements, built once with `?` placeholders. Parameters bind in the order
/// the columns are listed.
struct Sql {
    head: String,
    seen: String,
    state: String,
    allowed: String,
    open_tasks: String,
    vendor: String,
    pairing_codes: String,
    pairing_backlog: String,
    insert_inbound: String,
    insert_allow: String,
    insert_task: String,
    complete_task: String,
    upsert_state: String,
    insert_outbox: String,
    insert_pairing: String,
    insert_calendar_job: String,
    insert_audit: String,
    update_head: String,
}

/// `sender_state`'s counter columns, in the order `StateRow` binds and reads them.
const STATE_COUNTERS: [sender_state::Column; 6] = [
    sender_state::Column::PairFailures,
    sender_state::Column::LockedUntilMs,
    sender_state::Column::RateStartMs,
    sender_state::Column::RateCount,
    sender_state::Column::RateNotified,
    sender_state::Column::NextTaskNo,
];

/// A placeholder value: only its position matters.
fn p() -> Value {
    Value::Int(None)
}

impl Sql {
    fn build() -> Self {
        use sea_orm::sea_query::Expr;
        Self {
            head: Query::select()
                .columns([audit_head::Column::Seq, audit_head::Column::Hash])
                .from(audit_head::Entity)
                .and_where(audit_head::Column::Id.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            seen: Query::select()
                .column(inbound::Column::MessageId)
                .from(inbound::Entity)
                .and_where(inbound::Column::Provider.eq(p()))
                .and_where(inbound::Column::MessageId.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            state: Query::select()
                .columns(STATE_COUNTERS)
                .from(sender_state::Entity)
                .and_where(sender_state::Column::Sender.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            allowed: Query::select()
                .column(allowlist::Column::Sender)
                .from(allowlist::Entity)
                .and_where(allowlist::Column::Sender.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            open_tasks: Query::select()
                .columns([tasks::Column::TaskNo, tasks::Column::Title])
                .from(tasks::Entity)
                .and_where(tasks::Column::Sender.eq(p()))
                .and_where(tasks::Column::DoneMs.is_null())
                .order_by(tasks::Column::TaskNo, Order::Asc)
                .build(SqliteQueryBuilder)
                .0,
            vendor: Query::select()
                .column(vendors::Column::Id)
                .from(vendors::Entity)
                .and_where(vendors::Column::Sender.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            pairing_codes: Query::select()
                .columns([
                    pairing_requests::Column::Code,
                    pairing_requests::Column::Status,
                    pairing_requests::Column::RequestedMs,
                    pairing_requests::Column::ExpiresMs,
                ])
                .from(pairing_requests::Entity)
                .and_where(pairing_requests::Column::Sender.eq(p()))
                .and_where(pairing_requests::Column::RequestedMs.gt(p()))
                .build(SqliteQueryBuilder)
                .0,
            pairing_backlog: Query::select()
                .expr(Expr::col(pairing_requests::Column::Code).count())
                .from(pairing_requests::Entity)
                .and_where(pairing_requests::Column::Status.eq(p()))
                .and_where(pairing_requests::Column::ExpiresMs.gt(p()))
                .build(SqliteQueryBuilder)
                .0,
            insert_inbound: Query::insert()
                .into_table(inbound::Entity)
                .columns([
                    inbound::Column::Provider,
                    inbound::Column::MessageId,
                    inbound::Column::Sender,
                    inbound::Column::ReceivedMs,
                ])
                .values_panic([p().into(), p().into(), p().into(), p().into()])
                .build(SqliteQueryBuilder)
                .0,
            insert_allow: Query::insert()
                .into_table(allowlist::Entity)
                .columns([allowlist::Column::Sender, allowlist::Column::AddedMs])
                .values_panic([p().into(), p().into()])
                .on_conflict(
                    OnConflict::column(allowlist::Column::Sender)
                        .do_nothing()
                        .to_owned(),
                )
                .build(SqliteQueryBuilder)
                .0,
            insert_task: Query::insert()
                .into_table(tasks::Entity)
                .columns([
                    tasks::Column::Sender,
                    tasks::Column::TaskNo,
                    tasks::Column::Title,
                    tasks::Column::CreatedMs,
                    tasks::Column::DoneMs,
                ])
                .values_panic(std::iter::repeat_with(|| p().into()).take(5))
                .build(SqliteQueryBuilder)
                .0,
            complete_task: Query::update()
                .table(tasks::Entity)
                .value(tasks::Column::DoneMs, Expr::val(p()))
                .and_where(tasks::Column::Sender.eq(p()))
                .and_where(tasks::Column::TaskNo.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
            upsert_state: Query::insert()
                .into_table(sender_state::Entity)
                .columns(std::iter::once(sender_state::Column::Sender).chain(STATE_COUNTERS))
                .values_panic(std::iter::repeat_with(|| p().into()).take(7))
                .on_conflict(
                    OnConflict::column(sender_state::Column::Sender)
                        .update_columns(STATE_COUNTERS)
                        .to_owned(),
                )
                .build(SqliteQueryBuilder)
                .0,
            insert_outbox: Query::insert()
                .into_table(outbox::Entity)
                .columns([
                    outbox::Column::IdempotencyKey,
                    outbox::Column::Provider,
                    outbox::Column::Sender,
                    outbox::Column::Recipient,
                    outbox::Column::Body,
                    outbox::Column::Status,
                    outbox::Column::Attempts,
                    outbox::Column::NextAttemptMs,
                    outbox::Column::CreatedMs,
                    outbox::Column::UpdatedMs,
                ])
                .values_panic(std::iter::repeat_with(|| p().into()).take(10))
                .build(SqliteQueryBuilder)
                .0,
            insert_pairing: Query::insert()
                .into_table(pairing_requests::Entity)
                .columns([
                    pairing_requests::Column::Code,
                    pairing_requests::Column::Sender,
                    pairing_requests::Column::Phone,
                    pairing_requests::Column::Provider,
                    pairing_requests::Column::Status,
                    pairing_requests::Column::RequestedMs,
                    pairing_requests::Column::ExpiresMs,
                ])
                .values_panic(std::iter::repeat_with(|| p().into()).take(7))
                .build(SqliteQueryBuilder)
                .0,
            insert_calendar_job: Query::insert()
                .into_table(calendar_jobs::Entity)
                .columns([
                    calendar_jobs::Column::ReplyKey,
                    calendar_jobs::Column::Action,
                    calendar_jobs::Column::EventId,
                    calendar_jobs::Column::Sender,
                    calendar_jobs::Column::Provider,
                    calendar_jobs::Column::Recipient,
                    calendar_jobs::Column::Title,
                    calendar_jobs::Column::StartMs,
                    calendar_jobs::Column::EndMs,
                    calendar_jobs::Column::Zone,
                    calendar_jobs::Column::DoneReply,
                    calendar_jobs::Column::Status,
                    calendar_jobs::Column::Attempts,
                    calendar_jobs::Column::NextAttemptMs,
                    calendar_jobs::Column::CreatedMs,
                    calendar_jobs::Column::UpdatedMs,
                ])
                .values_panic(std::iter::repeat_with(|| p().into()).take(16))
                .build(SqliteQueryBuilder)
                .0,
            insert_audit: Query::insert()
                .into_table(audit_log::Entity)
                .columns([
                    audit_log::Column::Seq,
                    audit_log::Column::AtMs,
                    audit_log::Column::Kind,
                    audit_log::Column::Sender,
                    audit_log::Column::Detail,
                    audit_log::Column::PrevHash,
                    audit_log::Column::Hash,
                ])
                .values_panic(std::iter::repeat_with(|| p().into()).take(7))
                .build(SqliteQueryBuilder)
                .0,
            update_head: Query::update()
                .table(audit_head::Entity)
                .value(audit_head::Column::Seq, Expr::val(p()))
                .value(audit_head::Column::Hash, Expr::val(p()))
                .and_where(audit_head::Column::Id.eq(p()))
                .build(SqliteQueryBuilder)
                .0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_bind_in_listed_column_order() {
        let sql = Sql::build();
        assert_eq!(
            sql.insert_inbound,
            r#"INSERT INTO "inbound_messages" ("provider", "message_id", "sender", "received_ms") VALUES (?, ?, ?, ?)"#
        );
        assert_eq!(
            sql.complete_task,
            r#"UPDATE "tasks" SET "done_ms" = ? WHERE "tasks"."sender" = ? AND "tasks"."task_no" = ?"#
        );
        assert!(sql
            .upsert_state
            .contains("ON CONFLICT (\"sender\") DO UPDATE"));
        assert_eq!(sql.insert_audit.matches('?').count(), 7);
    }
}
