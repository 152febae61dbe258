use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot, watch};
use warden_assistant::{Assistant, FollowUp, Ledger, LedgerError, Outcome, Readiness, ReplyVia};
use warden_audit::AuditEvent;
use warden_types::Clock;
use warden_types::{InboundMessage, SenderId};

use crate::batch;
use crate::connect::WriterTarget;
use crate::exec_postgres::PostgresExecutor;
use crate::exec_sqlite::SqliteExecutor;
use crate::Store;

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Most jobs in one transaction. Bounds statement size (bind parameters) and the latency
    /// one slow batch adds to the requests behind it.
    pub max_batch: usize,
    /// Jobs waiting for the writer before callers feel back-pressure.
    pub queue: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            queue: 8192,
        }
    }
}

pub(crate) enum Job {
    Inbound {
        sender: SenderId,
        msg: InboundMessage,
        via: ReplyVia,
        done: oneshot::Sender<Result<Outcome, LedgerError>>,
    },
    Audit {
        event: AuditEvent,
        done: oneshot::Sender<Result<(), LedgerError>>,
    },
    FollowUp {
        follow_up: FollowUp,
        done: oneshot::Sender<Result<Option<String>, LedgerError>>,
    },
}

/// The [`Ledger`] on SQLite or Postgres, with a group-committing writer task.
///
/// Across instances on one Postgres, each batch takes a row lock on the audit chain head
/// first, so batches (and with them the replay check, the rate counters and the chain)
/// are serialised database-wide.
#[derive(Clone)]
pub struct SqlLedger {
    store: Store,
    jobs: mpsc::Sender<Job>,
    stopped: watch::Receiver<()>,
}

/// Resolves once the writer has finished every queued job and released the database.
#[derive(Debug, Clone)]
pub struct WriterStopped(watch::Receiver<()>);

impl WriterStopped {
    /// Waits for the writer to stop. It stops once every clone of its ledger is dropped.
    pub async fn wait(mut self) {
        while self.0.changed().await.is_ok() {}
    }
}

impl std::fmt::Debug for SqlLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlLedger")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl SqlLedger {
    /// Starts the writer task on the current tokio runtime. It stops when the last clone of
    /// the ledger is dropped, after finishing the jobs already queued.
    pub fn start(
        store: Store,
        assistant: Arc<Assistant>,
        clock: Arc<dyn Clock>,
        config: WriterConfig,
    ) -> Self {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        // Dropped when the writer thread ends, which is what `WriterStopped` waits for.
        let (alive, stopped) = watch::channel(());
        let max_batch = config.max_batch.max(1);
        let target = store.writer().clone();
        let redactor = store.audit_redactor().clone();
        // The writer gets a thread and a runtime of its own: on the shared runtime every
        // database await would queue its wake-up behind HTTP tasks, and the single writer's
        // latency is every message's latency.
        let spawned = std::thread::Builder::new()
            .name("warden-writer".into())
            .spawn(move || {
                let _alive = alive;
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot start the writer runtime");
                        return;
                    }
                };
                match target {
                    WriterTarget::SqliteFile(path) => match SqliteExecutor::open(&path, assistant, redactor, clock) {
                        Ok(exec) => rt.block_on(batch::run(exec, rx, max_batch)),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot open the SQLite writer connection")
                        }
                    },
                    WriterTarget::Postgres(conn) => {
                        let exec = PostgresExecutor {
                            conn,
                            assistant,
                            redactor,
                            clock,
                        };
                        rt.block_on(batch::run(exec, rx, max_batch));
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the writer thread");
        }
        Self {
            store,
            jobs: tx,
            stopped,
        }
    }

    /// A handle that resolves when the writer has stopped (for graceful shutdown).
    pub fn stopped(&self) -> WriterStopped {
        WriterStopped(self.stopped.clone())
    }

    async fn submit<T>(
        &self,
        job: Job,
        rx: oneshot::Receiver<Result<T, LedgerError>>,
    ) -> Result<T, LedgerError> {
        self.jobs
            .send(job)
            .await
            .map_err(|_| LedgerError::Unavailable("writer stopped".into()))?;
        rx.await
            .map_err(|_| LedgerError::Unavailable("writer dropped the job".into()))?
    }
}

#[async_trait]
impl Ledger for SqlLedger {
    async fn handle(
        &self,
        sender: SenderId,
        msg: InboundMessage,
        via: ReplyVia,
    ) -> Result<Outcome, LedgerError> {
        let (done, rx) = oneshot::channel();
        self.submit(
            Job::Inbound {
                sender,
                msg,
                via,
                done,
            },
            rx,
        )
        .await
    }

    async fn follow_up(&self, follow_up: FollowUp) -> Result<Option<String>, LedgerError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::FollowUp { follow_up, done }, rx).await
    }

    async fn audit(&self, event: AuditEvent) -> Result<(), LedgerError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::Audit { event, done }, rx).await
    }

    async fn readiness(&self) -> Readiness {
        // Without its writer the ledger answers every message 503: not ready, whatever the
        // database says.
        if self.jobs.is_closed() {
            return Readiness::NotReady {
                reason: "ledger writer stopped",
            };
        }
        self.store.readiness().await
    }
}

/// Connection trouble is `Unavailable` (retryable, 503); everything else `Failed`.
pub(crate) fn ledger_error(e: DbErr) -> LedgerError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => LedgerError::Unavailable(Box::new(e)),
        other => LedgerError::Failed(Box::new(other)),
    }
}
