//! Fixtures: a migrated database with a ledger on it, message builders, and raw-SQL probes
//! that look at the tables the way an auditor (or an attacker) with database access would.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbBackend, ExecResult, Statement, Value};
use secrecy::SecretString;
use tokio::task::JoinSet;
use warden_assistant::{Assistant, Ledger, LedgerError, Outcome, Policy, ReplyVia};
use warden_audit::{AuditRecord, Pseudonymizer};
use warden_store::{SqlLedger, Store, WriterConfig};
use warden_test_support::{Backend, ManualClock, TestDb};
use warden_types::{
    InboundMessage, MessageBody, PhoneNumber, Provider, ProviderMessageId, SenderId,
};

pub const PAIR_TOKEN: &str = "pair-token-0123456789";
pub const ALICE: &str = "+14155550100";
pub const STRANGER: &str = "+14155550199";
/// 2026-01-01T00:00:00Z: any fixed instant; the clock only moves when a test moves it.
pub const T0: i64 = 1_767_225_600_000;

pub fn sender(phone: &str) -> SenderId {
    let phone = PhoneNumber::parse(phone).expect("test phone number");
    Pseudonymizer::new(SecretString::from(
        "test-pseudonym-key-0123456789".to_owned(),
    ))
    .sender_id(&phone)
}

/// A Twilio-shaped message id: `SM` and 32 hex digits.
pub fn sid(n: u64) -> String {
    format!("SM{n:032x}")
}

pub fn msg(provider: Provider, id: &str, from: &str, body: &str) -> InboundMessage {
    InboundMessage {
        provider,
        id: ProviderMessageId::new(id).expect("test message id"),
        from: PhoneNumber::parse(from).expect("test phone number"),
        body: MessageBody::new(body),
        media_count: 0,
    }
}

pub fn twilio(id: &str, from: &str, body: &str) -> InboundMessage {
    msg(Provider::Twilio, id, from, body)
}

/// The allowlist from config: `phones` may use the assistant without pairing.
pub fn assistant(phones: &[&str]) -> Arc<Assistant> {
    Arc::new(Assistant::new(
        Policy::default(),
        phones.iter().map(|p| sender(p)),
        SecretString::from(PAIR_TOKEN.to_owned()),
    ))
}

/// A fresh, migrated database with one ledger on it. Alice is configured; the stranger is not.
pub struct Fixture {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub ledger: SqlLedger,
    configured: Vec<String>,
    // Last: the database is dropped after everything that uses it.
    pub db: TestDb,
}

impl Fixture {
    pub async fn new(backend: Backend) -> Self {
        Self::with_senders(backend, &[ALICE]).await
    }

    pub async fn with_senders(backend: Backend, configured: &[&str]) -> Self {
        Self::with_assistant(backend, configured, assistant(configured)).await
    }

    /// Alice configured, free text handed to the LLM advisor.
    pub async fn advising(backend: Backend) -> Self {
        let advising = Arc::new(Assistant::new(
            Policy {
                ai_advice: true,
                ..Policy::default()
            },
            [sender(ALICE)],
            SecretString::from(PAIR_TOKEN.to_owned()),
        ));
        Self::with_assistant(backend, &[ALICE], advising).await
    }

    /// Alice configured, the concierge marketplace on.
    pub async fn marketplace(backend: Backend) -> Self {
        let assistant = Arc::new(Assistant::new(
            Policy {
                marketplace: true,
                ..Policy::default()
            },
            [sender(ALICE)],
            SecretString::from(PAIR_TOKEN.to_owned()),
        ));
        Self::with_assistant(backend, &[ALICE], assistant).await
    }

    /// Alice configured; strangers ask for pairing codes (`approval` mode) under `approval`'s
    /// limits, the codes counting up from 1.
    pub async fn pairing(backend: Backend, approval: warden_gates::ApprovalPolicy) -> Self {
        let assistant = Arc::new(
            Assistant::new(
                Policy {
                    approval,
                    ..Policy::default()
                },
                [sender(ALICE)],
                SecretString::from(PAIR_TOKEN.to_owned()),
            )
            .with_pairing_mode(
                warden_gates::PairingMode::Approval,
                Arc::new(CountingCodes::default()),
            ),
        );
        Self::with_assistant(backend, &[ALICE], assistant).await
    }

    async fn with_assistant(
        backend: Backend,
        configured: &[&str],
        assistant: Arc<Assistant>,
    ) -> Self {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let clock = ManualClock::at(T0);
        let ledger = SqlLedger::start(
            store.clone(),
            assistant,
            clock.clone(),
            WriterConfig::default(),
        );
        Self {
            store,
            clock,
            ledger,
            configured: configured.iter().map(|s| (*s).to_owned()).collect(),
            db,
        }
    }

    /// Another instance of the app on the same database: its own pool, writer and assistant.
    pub async fn second_instance(&self) -> anyhow::Result<(Store, SqlLedger)> {
        let store = Store::connect(&self.db.url).await?;
        let phones: Vec<&str> = self.configured.iter().map(String::as_str).collect();
        let ledger = SqlLedger::start(
            store.clone(),
            assistant(&phones),
            self.clock.clone(),
            WriterConfig::default(),
        );
        Ok((store, ledger))
    }

    pub async fn handle(&self, from: &str, m: InboundMessage) -> Result<Outcome, LedgerError> {
        self.ledger
            .handle(sender(from), m, ReplyVia::Response)
            .await
    }
}

/// Pairing codes 00000001, 00000002, … (predictable on purpose: only the store is under test).
#[derive(Default)]
pub struct CountingCodes(std::sync::atomic::AtomicU32);

impl warden_assistant::PairingCodes for CountingCodes {
    fn fresh(&self) -> warden_gates::PairingCode {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let [a, b, c, d] = n.to_be_bytes();
        warden_gates::PairingCode::from_entropy([0, a, b, c, d])
    }
}

pub fn handled(reply: &str) -> Outcome {
    Outcome::Handled {
        reply: Some(reply.to_owned()),
    }
}

/// Runs every job concurrently, each on its own task; results come back in job order.
pub async fn handle_concurrently(
    jobs: Vec<(SqlLedger, SenderId, InboundMessage)>,
) -> Vec<Result<Outcome, LedgerError>> {
    let mut set = JoinSet::new();
    let n = jobs.len();
    for (i, (ledger, from, m)) in jobs.into_iter().enumerate() {
        set.spawn(async move { (i, ledger.handle(from, m, ReplyVia::Response).await) });
    }
    let mut out: Vec<Option<Result<Outcome, LedgerError>>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.expect("handle task panicked");
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.expect("every job answered"))
        .collect()
}

pub async fn exec(store: &Store, sql: &str) -> Result<ExecResult, sea_orm::DbErr> {
    store
        .connection()
        .execute(Statement::from_string(store.backend(), sql))
        .await
}

pub async fn exec_with(
    store: &Store,
    sql: &str,
    values: Vec<Value>,
) -> Result<ExecResult, sea_orm::DbErr> {
    store
        .connection()
        .execute(Statement::from_sql_and_values(store.backend(), sql, values))
        .await
}

/// `?` on SQLite, `$n` on Postgres.
pub fn placeholders(backend: DbBackend, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect()
}

pub async fn scalar(store: &Store, sql: &str) -> anyhow::Result<i64> {
    let row = store
        .connection()
        .query_one(Statement::from_string(store.backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row from {sql}"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

pub async fn count(store: &Store, table: &str) -> anyhow::Result<i64> {
    scalar(store, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// Every row of `table` as text, in a stable order: for before/after comparisons.
pub async fn dump(store: &Store, table: &str, cols: &[&str]) -> anyhow::Result<Vec<String>> {
    let row_text = cols
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    let order = cols.join(", ");
    let rows = store
        .connection()
        .query_all(Statement::from_string(
            store.backend(),
            format!("SELECT {row_text} AS r FROM {table} ORDER BY {order}"),
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "r"))
        .collect::<Result<_, _>>()?)
}

/// The whole persistent state of the message path.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub inbound: Vec<String>,
    pub allowlist: Vec<String>,
    pub sender_state: Vec<String>,
    pub tasks: Vec<String>,
    pub audit_log: Vec<String>,
    pub audit_head: Vec<String>,
}

pub async fn snapshot(store: &Store) -> anyhow::Result<Snapshot> {
    Ok(Snapshot {
        inbound: dump(
            store,
            "inbound_messages",
            &["provider", "message_id", "sender", "received_ms"],
        )
        .await?,
        allowlist: dump(store, "allowlist", &["sender", "added_ms"]).await?,
        sender_state: dump(
            store,
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
        )
        .await?,
        tasks: dump(
            store,
            "tasks",
            &["sender", "task_no", "title", "created_ms", "done_ms"],
        )
        .await?,
        audit_log: dump(
            store,
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
        )
        .await?,
        audit_head: dump(store, "audit_head", &["id", "seq", "hash"]).await?,
    })
}

/// `(seq, hash)` of the stored chain head.
pub async fn head(store: &Store) -> anyhow::Result<(i64, String)> {
    let row = store
        .connection()
        .query_one(Statement::from_string(
            store.backend(),
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("audit_head row missing"))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

pub async fn audit_rows(store: &Store) -> anyhow::Result<Vec<AuditRecord>> {
    Ok(store.audit_records(i64::MIN, u64::MAX).await?)
}

/// Writes a row straight into `audit_log`, as someone with database access could.
pub async fn insert_audit_row(
    store: &Store,
    r: &AuditRecord,
) -> Result<ExecResult, sea_orm::DbErr> {
    let p = placeholders(store.backend(), 7);
    exec_with(
        store,
        &format!(
            "INSERT INTO audit_log (seq, at_ms, kind, sender, detail, prev_hash, hash) \
             VALUES ({})",
            p.join(", ")
        ),
        vec![
            r.seq.into(),
            r.at_ms.into(),
            r.kind.clone().into(),
            r.sender.clone().into(),
            r.detail.clone().into(),
            r.prev_hash.clone().into(),
            r.hash.clone().into(),
        ],
    )
    .await
}

/// What an attacker with raw database access does first: switch off the append-only triggers.
pub async fn drop_append_only_triggers(store: &Store) -> anyhow::Result<()> {
    let sql: &[&str] = match store.backend() {
        DbBackend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "ALTER TABLE audit_head DISABLE TRIGGER ALL",
        ],
        _ => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_head_forward_only",
            "DROP TRIGGER audit_head_no_delete",
        ],
    };
    for s in sql {
        exec(store, s).await?;
    }
    Ok(())
}

/// Makes every `INSERT INTO tasks` fail (only for `title` when given), like a full disk or a
/// constraint the code did not expect, in the middle of the writer's transaction.
pub async fn inject_task_insert_fault(store: &Store, title: Option<&str>) -> anyhow::Result<()> {
    match store.backend() {
        DbBackend::Postgres => {
            exec(
                store,
                "CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'injected fault'; END; $$",
            )
            .await?;
            let when = title.map_or(String::new(), |t| format!("WHEN (NEW.title = '{t}')"));
            exec(
                store,
                &format!(
                    "CREATE TRIGGER test_fault BEFORE INSERT ON tasks FOR EACH ROW {when} \
                     EXECUTE FUNCTION test_fault()"
                ),
            )
            .await?;
        }
        _ => {
            let when = title.map_or(String::new(), |t| format!("WHEN NEW.title = '{t}'"));
            exec(
                store,
                &format!(
                    "CREATE TRIGGER test_fault BEFORE INSERT ON tasks {when} \
                     BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                ),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn remove_task_insert_fault(store: &Store) -> anyhow::Result<()> {
    match store.backend() {
        DbBackend::Postgres => {
            exec(store, "DROP TRIGGER test_fault ON tasks").await?;
            exec(store, "DROP FUNCTION test_fault()").await?;
        }
        _ => {
            exec(store, "DROP TRIGGER test_fault").await?;
        }
    }
    Ok(())
}

/// Holds every pooled connection of `store`, so its writer cannot start a transaction: jobs
/// submitted meanwhile queue up and the next batch takes them all.
pub async fn hold_pool(
    store: &Store,
    backend: Backend,
) -> anyhow::Result<Vec<sea_orm::DatabaseTransaction>> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    // Holding the audit head's lock (the database write lock on SQLite, the row lock on
    // Postgres) stalls the writer at the start of its next transaction, so the jobs submitted
    // meanwhile queue up and share one batch.
    let _ = backend;
    let txn = store.connection().begin().await?;
    txn.execute_unprepared("UPDATE audit_head SET seq = seq WHERE id = 1")
        .await?;
    Ok(vec![txn])
}
