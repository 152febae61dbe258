//! The batch executor for Postgres, on sea-orm.
//!
//! Every statement has one fixed text whatever the batch size: keys and rows travel as arrays
//! (`= ANY($1)`, `UNNEST(...)`), so each is parsed and prepared once per connection and a batch
//! costs five round trips (BEGIN, head lock, one read, one write, COMMIT) however many
//! messages it holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::ArrayType;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait, Value,
};
use warden_assistant::{Assistant, LedgerError, OpenTask, SenderState};
use warden_audit::ChainHead;
use warden_types::Clock;
use warden_types::{Provider, SenderId, UnixMillis};

use crate::batch::{self, Executor, Keys, Resolved, StateRow, Writes};
use crate::ledger::{ledger_error, Job};

/// Arrays cannot carry NULL through the driver binding, so absent values travel as a sentinel
/// that `NULLIF` turns back into NULL. No timestamp or counter is ever this value.
const NULL_I64: i64 = i64::MIN;

pub(crate) struct PostgresExecutor {
    /// The writer's one-connection pool.
    pub conn: DatabaseConnection,
    pub assistant: Arc<Assistant>,
    pub redactor: Arc<warden_redaction::Redactor>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait(?Send)]
impl Executor for PostgresExecutor {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Resolved>, LedgerError> {
        self.try_commit(jobs).await.map_err(ledger_error)
    }
}

impl PostgresExecutor {
    async fn try_commit(&self, jobs: &[Job]) -> Result<Vec<Resolved>, DbErr> {
        let txn = self.conn.begin().await?;
        let head = lock_head(&txn).await?;
        let now = self.clock.now();
        let keys = batch::keys(jobs);
        let (seen, mut states) = load(&txn, &keys).await?;
        let backlog = if self.assistant.issues_codes() && !keys.senders.is_empty() {
            let since = self.assistant.policy().approval.window_start(now);
            load_pairing(&txn, &keys, since, now, &mut states).await?
        } else {
            0
        };
        let (writes, resolved) = batch::plan(
            &self.assistant,
            &self.redactor,
            jobs,
            head,
            now,
            &seen,
            states,
            backlog,
        );
        flush(&txn, writes).await?;
        txn.commit().await?;
        Ok(resolved)
    }
}

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

fn texts<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(
        ArrayType::String,
        Some(Box::new(
            items
                .into_iter()
                .map(|s| Value::String(Some(Box::new(s.to_owned()))))
                .collect(),
        )),
    )
}

fn bigints(items: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(
        ArrayType::BigInt,
        Some(Box::new(
            items.into_iter().map(|n| Value::BigInt(Some(n))).collect(),
        )),
    )
}

fn ints(items: impl IntoIterator<Item = i32>) -> Value {
    Value::Array(
        ArrayType::Int,
        Some(Box::new(
            items.into_iter().map(|n| Value::Int(Some(n))).collect(),
        )),
    )
}

fn bools(items: impl IntoIterator<Item = bool>) -> Value {
    Value::Array(
        ArrayType::Bool,
        Some(Box::new(
            items.into_iter().map(|b| Value::Bool(Some(b))).collect(),
        )),
    )
}

/// Takes the chain head under a row lock, serialising every writer of every instance; the
/// no-op UPDATE locks and RETURNING reads in one round trip.
async fn lock_head(txn: &DatabaseTransaction) -> Result<ChainHead, DbErr> {
    let row = txn
        .query_one(stmt(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
            vec![],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    Ok(ChainHead {
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
    })
}

/// Everything a batch reads, in one round trip: the replay keys already stored and every
/// sender's counters, allowlist entry and open tasks, as one `UNION ALL` whose first column
/// says which table a row came from.
///
/// Runs after [`lock_head`], in a statement of its own: under READ COMMITTED a statement sees
/// what was committed before it started, so reading only once the lock is held is what makes
/// these reads current across instances.
async fn load(
    txn: &DatabaseTransaction,
    keys: &Keys<'_>,
) -> Result<(HashSet<(Provider, String)>, HashMap<SenderId, SenderState>), DbErr> {
    let mut seen = HashSet::new();
    let mut states: HashMap<SenderId, SenderState> = HashMap::with_capacity(keys.senders.len());
    if keys.inbound.is_empty() {
        return Ok((seen, states));
    }
    let rows = txn
        .query_all(stmt(
            // The replay check joins on the full primary key `(provider, message_id)`: a
            // `provider = $1 AND message_id = ANY($2)` form lets a generic plan seek on the
            // provider alone and filter the rest.
            "SELECT 'i' AS src, provider AS sender, message_id AS txt, \
                    NULL::bigint AS n1, NULL::bigint AS n2, NULL::bigint AS n3, \
                    NULL::int AS i1, NULL::int AS i2, NULL::bool AS flag \
               FROM inbound_messages \
              WHERE (provider, message_id) IN (SELECT * FROM UNNEST($1::varchar[], $2::varchar[])) \
             UNION ALL \
             SELECT 's', sender, NULL, locked_until_ms, rate_start_ms, next_task_no, \
                    pair_failures, rate_count, rate_notified \
               FROM sender_state WHERE sender = ANY($3::varchar[]) \
             UNION ALL \
             SELECT 'a', sender, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
               FROM allowlist WHERE sender = ANY($3::varchar[]) \
             UNION ALL \
             SELECT 'v', sender, NULL, id, NULL, NULL, NULL, NULL, NULL \
               FROM vendors WHERE sender = ANY($3::varchar[]) \
             UNION ALL \
             SELECT 't', sender, title, task_no, NULL, NULL, NULL, NULL, NULL \
               FROM tasks WHERE sender = ANY($3::varchar[]) AND done_ms IS NULL",
            vec![
                texts(keys.inbound.iter().map(|(p, _)| p.as_str())),
                texts(keys.inbound.iter().map(|(_, id)| *id)),
                texts(keys.senders.iter().map(|s| s.as_str())),
            ],
        ))
        .await?;
    let by_key: HashMap<&str, &SenderId> = keys.senders.iter().map(|s| (s.as_str(), *s)).collect();
    let mut open = Vec::new();
    for row in rows {
        let src: String = row.try_get("", "src")?;
        let key: String = row.try_get("", "sender")?;
        match src.as_str() {
            "i" => {
                if let Some(p) = Provider::from_str_opt(&key) {
                    seen.insert((p, row.try_get("", "txt")?));
                }
            }
            "s" => {
                let counters = StateRow {
                    sender: String::new(),
                    locked_until_ms: row.try_get("", "n1")?,
                    rate_start_ms: row.try_get("", "n2")?,
                    next_task_no: row.try_get("", "n3")?,
                    pair_failures: row.try_get("", "i1")?,
                    rate_count: row.try_get("", "i2")?,
                    rate_notified: row.try_get("", "flag")?,
                };
                if let Some(s) = state_of(&mut states, &by_key, &key) {
                    counters.apply_to(s);
                }
            }
            "a" => {
                if let Some(s) = state_of(&mut states, &by_key, &key) {
                    s.paired = true;
                }
            }
            "v" => {
                let id: i64 = row.try_get("", "n1")?;
                if let Some(s) = state_of(&mut states, &by_key, &key) {
                    s.vendor = Some(warden_marketplace::VendorId(id));
                }
            }
            _ => {
                let no: i64 = row.try_get("", "n1")?;
                let title: String = row.try_get("", "txt")?;
                open.push((key, no, title));
            }
        }
    }
    // Sorted here rather than in SQL: the planner then only has to find rows by key.
    open.sort_by_key(|(_, no, _)| *no);
    for (key, no, title) in open {
        if let Some(s) = state_of(&mut states, &by_key, &key) {
            s.open_tasks.push(OpenTask { no, title });
        }
    }
    Ok((seen, states))
}

/// The batch's senders' pairing codes requested after `since`, and every sender's live codes
/// (the global backlog), in one round trip; only run when strangers may ask for codes.
async fn load_pairing(
    txn: &DatabaseTransaction,
    keys: &Keys<'_>,
    since: UnixMillis,
    now: UnixMillis,
    states: &mut HashMap<SenderId, SenderState>,
) -> Result<u32, DbErr> {
    let rows = txn
        .query_all(stmt(
            "SELECT sender, code, status, requested_ms, expires_ms FROM pairing_requests \
              WHERE sender = ANY($1::varchar[]) AND requested_ms > $2 \
             UNION ALL \
             SELECT '', '', '', COUNT(*), NULL FROM pairing_requests \
              WHERE status = 'pending' AND expires_ms > $3",
            vec![
                texts(keys.senders.iter().map(|s| s.as_str())),
                Value::BigInt(Some(since.as_i64())),
                Value::BigInt(Some(now.as_i64())),
            ],
        ))
        .await?;
    let by_key: HashMap<&str, &SenderId> = keys.senders.iter().map(|s| (s.as_str(), *s)).collect();
    let mut backlog = 0;
    for row in rows {
        let key: String = row.try_get("", "sender")?;
        let requested: i64 = row.try_get("", "requested_ms")?;
        if key.is_empty() {
            backlog = u32::try_from(requested).unwrap_or(u32::MAX);
            continue;
        }
        let code: String = row.try_get("", "code")?;
        let status: String = row.try_get("", "status")?;
        let expires: i64 = row.try_get("", "expires_ms")?;
        if let Some(s) = state_of(states, &by_key, &key) {
            s.pairing_codes.extend(crate::pairing::issued_code(
                &code, &status, requested, expires,
            ));
        }
    }
    Ok(backlog)
}

/// The state of the sender `key` names, if the batch has that sender.
fn state_of<'s>(
    states: &'s mut HashMap<SenderId, SenderState>,
    by_key: &HashMap<&str, &SenderId>,
    key: &str,
) -> Option<&'s mut SenderState> {
    by_key
        .get(key)
        .map(|id| states.entry((*id).clone()).or_default())
}

/// Numbered bind parameters for one statement.
#[derive(Default)]
struct Params(Vec<Value>);

impl Params {
    fn bind(&mut self, value: Value) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }
}

/// Writes the whole batch in one statement: data-modifying CTEs, one per table, all in one
/// round trip. They share one snapshot, which is why `plan` folds a task added and completed
/// in the same batch into its insert.
async fn flush(txn: &DatabaseTransaction, w: Writes) -> Result<(), DbErr> {
    // Only replies routed through the outbox need this, so the TwiML path keeps its one write.
    if !w.outbox.is_empty() {
        let o = &w.outbox;
        txn.execute(stmt(
            "INSERT INTO outbox (idempotency_key, provider, sender, recipient, body, status, \
             attempts, next_attempt_ms, created_ms, updated_ms) \
             SELECT k, p, s, r, b, 'pending', 0, c, c, c FROM UNNEST($1::varchar[], \
             $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::bigint[]) \
             AS u(k, p, s, r, b, c)",
            vec![
                texts(o.iter().map(|r| r.idempotency_key.as_str())),
                texts(o.iter().map(|r| r.provider)),
                texts(o.iter().map(|r| r.sender.as_str())),
                texts(o.iter().map(|r| r.recipient.as_str())),
                texts(o.iter().map(|r| r.body.as_str())),
                bigints(o.iter().map(|r| r.created_ms)),
            ],
        ))
        .await?;
    }
    if !w.pairing.is_empty() {
        let r = &w.pairing;
        txn.execute(stmt(
            "INSERT INTO pairing_requests (code, sender, phone, provider, status, \
             requested_ms, expires_ms) \
             SELECT c, s, ph, pr, 'pending', rq, ex FROM UNNEST($1::varchar[], $2::varchar[], \
             $3::varchar[], $4::varchar[], $5::bigint[], $6::bigint[]) \
             AS u(c, s, ph, pr, rq, ex)",
            vec![
                texts(r.iter().map(|r| r.code.as_str())),
                texts(r.iter().map(|r| r.sender.as_str())),
                texts(r.iter().map(|r| r.phone.as_str())),
                texts(r.iter().map(|r| r.provider)),
                bigints(r.iter().map(|r| r.requested_ms)),
                bigints(r.iter().map(|r| r.expires_ms)),
            ],
        ))
        .await?;
    }
    if !w.calendar_jobs.is_empty() {
        let c = &w.calendar_jobs;
        txn.execute(stmt(
            "INSERT INTO calendar_jobs (reply_key, action, event_id, sender, provider, recipient, \
             title, start_ms, end_ms, zone, done_reply, status, attempts, next_attempt_ms, \
             created_ms, updated_ms) \
             SELECT k, a, e, s, p, NULLIF(r, ''), NULLIF(t, ''), NULLIF(st, $12), \
             NULLIF(en, $12), NULLIF(z, ''), d, 'pending', 0, cr, cr, cr \
             FROM UNNEST($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], \
             $5::varchar[], $6::varchar[], $7::text[], $8::bigint[], $9::bigint[], \
             $10::varchar[], $11::text[], $13::bigint[]) \
             AS u(k, a, e, s, p, r, t, st, en, z, d, cr)",
            vec![
                texts(c.iter().map(|r| r.reply_key.as_str())),
                texts(c.iter().map(|r| r.action)),
                texts(c.iter().map(|r| r.event_id.as_str())),
                texts(c.iter().map(|r| r.sender.as_str())),
                texts(c.iter().map(|r| r.provider)),
                // '' stands for "none": a number, a title and a zone are never empty.
                texts(c.iter().map(|r| r.recipient.as_deref().unwrap_or(""))),
                texts(c.iter().map(|r| r.title.as_deref().unwrap_or(""))),
                bigints(c.iter().map(|r| r.start_ms.unwrap_or(NULL_I64))),
                bigints(c.iter().map(|r| r.end_ms.unwrap_or(NULL_I64))),
                texts(c.iter().map(|r| r.zone.as_deref().unwrap_or(""))),
                texts(c.iter().map(|r| r.done_reply.as_str())),
                Value::BigInt(Some(NULL_I64)),
                bigints(c.iter().map(|r| r.created_ms)),
            ],
        ))
        .await?;
    }
    let mut p = Params::default();
    let null = p.bind(Value::BigInt(Some(NULL_I64)));
    let sql = format!(
        "WITH \
         i AS (INSERT INTO inbound_messages (provider, message_id, sender, received_ms) \
               SELECT * FROM UNNEST({}::varchar[], {}::varchar[], {}::varchar[], {}::bigint[])), \
         a AS (INSERT INTO allowlist (sender, added_ms) \
               SELECT * FROM UNNEST({}::varchar[], {}::bigint[]) ON CONFLICT (sender) DO NOTHING), \
         t AS (INSERT INTO tasks (sender, task_no, title, created_ms, done_ms) \
               SELECT s, n, ti, c, NULLIF(d, {null}) FROM UNNEST({}::varchar[], {}::bigint[], \
               {}::varchar[], {}::bigint[], {}::bigint[]) AS u(s, n, ti, c, d)), \
         d AS (UPDATE tasks SET done_ms = x.done_ms \
               FROM UNNEST({}::varchar[], {}::bigint[], {}::bigint[]) AS x(sender, task_no, done_ms) \
               WHERE tasks.sender = x.sender AND tasks.task_no = x.task_no), \
         s AS (INSERT INTO sender_state (sender, pair_failures, locked_until_ms, rate_start_ms, \
               rate_count, rate_notified, next_task_no) \
               SELECT s, f, NULLIF(l, {null}), NULLIF(r, {null}), c, n, t FROM UNNEST({}::varchar[], \
               {}::int[], {}::bigint[], {}::bigint[], {}::int[], {}::bool[], {}::bigint[]) \
               AS u(s, f, l, r, c, n, t) \
               ON CONFLICT (sender) DO UPDATE SET pair_failures = EXCLUDED.pair_failures, \
               locked_until_ms = EXCLUDED.locked_until_ms, rate_start_ms = EXCLUDED.rate_start_ms, \
               rate_count = EXCLUDED.rate_count, rate_notified = EXCLUDED.rate_notified, \
               next_task_no = EXCLUDED.next_task_no), \
         l AS (INSERT INTO audit_log (seq, at_ms, kind, sender, detail, prev_hash, hash) \
               SELECT q, at, k, NULLIF(s, ''), d, ph, h FROM UNNEST({}::bigint[], {}::bigint[], \
               {}::varchar[], {}::varchar[], {}::text[], {}::varchar[], {}::varchar[]) \
               AS u(q, at, k, s, d, ph, h)) \
         UPDATE audit_head SET seq = {}, hash = {} WHERE id = 1",
        p.bind(texts(w.inbound.iter().map(|r| r.provider))),
        p.bind(texts(w.inbound.iter().map(|r| r.message_id.as_str()))),
        p.bind(texts(w.inbound.iter().map(|r| r.sender.as_str()))),
        p.bind(bigints(w.inbound.iter().map(|r| r.received_ms))),
        p.bind(texts(w.allow.iter().map(|(s, _)| s.as_str()))),
        p.bind(bigints(w.allow.iter().map(|(_, at)| *at))),
        p.bind(texts(w.new_tasks.iter().map(|t| t.sender.as_str()))),
        p.bind(bigints(w.new_tasks.iter().map(|t| t.task_no))),
        p.bind(texts(w.new_tasks.iter().map(|t| t.title.as_str()))),
        p.bind(bigints(w.new_tasks.iter().map(|t| t.created_ms))),
        p.bind(bigints(w.new_tasks.iter().map(|t| t.done_ms.unwrap_or(NULL_I64)))),
        p.bind(texts(w.done_tasks.iter().map(|(s, _, _)| s.as_str()))),
        p.bind(bigints(w.done_tasks.iter().map(|(_, no, _)| *no))),
        p.bind(bigints(w.done_tasks.iter().map(|(_, _, at)| *at))),
        p.bind(texts(w.states.iter().map(|r| r.sender.as_str()))),
        p.bind(ints(w.states.iter().map(|r| r.pair_failures))),
        p.bind(bigints(w.states.iter().map(|r| r.locked_until_ms.unwrap_or(NULL_I64)))),
        p.bind(bigints(w.states.iter().map(|r| r.rate_start_ms.unwrap_or(NULL_I64)))),
        p.bind(ints(w.states.iter().map(|r| r.rate_count))),
        p.bind(bools(w.states.iter().map(|r| r.rate_notified))),
        p.bind(bigints(w.states.iter().map(|r| r.next_task_no))),
        p.bind(bigints(w.audit.iter().map(|r| r.seq))),
        p.bind(bigints(w.audit.iter().map(|r| r.at_ms))),
        p.bind(texts(w.audit.iter().map(|r| r.kind.as_str()))),
        // A sender id is 32 hex characters, never empty: '' stands for "no sender".
        p.bind(texts(w.audit.iter().map(|r| r.sender.as_deref().unwrap_or("")))),
        p.bind(texts(w.audit.iter().map(|r| r.detail.as_str()))),
        p.bind(texts(w.audit.iter().map(|r| r.prev_hash.as_str()))),
        p.bind(texts(w.audit.iter().map(|r| r.hash.as_str()))),
        p.bind(Value::BigInt(Some(w.head.seq))),
        p.bind(Value::String(Some(Box::new(w.head.hash)))),
    );
    txn.execute(stmt(&sql, p.0)).await?;
    Ok(())
}
