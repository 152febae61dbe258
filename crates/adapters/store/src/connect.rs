use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait};
use sea_orm::{SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::ConnectOptions as _;
use warden_assistant::Readiness;
use warden_migrations::{Alias, Migrator, MigratorTrait, Query};
use warden_redaction::{RedactionConfig, Redactor};

use crate::entity::audit_head;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Names the scheme only: a database URL may carry a password.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("in-memory SQLite is not supported: use a file, e.g. sqlite://./data/warden.db")]
    InMemorySqlite,
    #[error("invalid database URL")]
    InvalidUrl(#[source] sqlx::Error),
    #[error("cannot connect to the database")]
    Connect(#[source] sea_orm::DbErr),
    #[error("cannot create the database directory")]
    CreateDir(#[source] std::io::Error),
    #[error("migration failed")]
    Migrate(#[source] sea_orm::DbErr),
    #[error("cannot build the audit redactor")]
    Redactor(#[source] warden_redaction::RedactorError),
}

/// A connected database. Cheap to clone (pool handles).
///
/// The ledger's writer never shares the read pool: a connection of its own keeps its caches
/// warm (on SQLite a connection's page cache is dropped whenever another connection commits).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    writer: WriterTarget,
    /// Every audit detail value passes through it before it is hashed and stored: the chain
    /// cannot be redacted afterwards.
    audit_redactor: Arc<Redactor>,
}

/// Where the ledger's writer writes.
#[derive(Debug, Clone)]
pub(crate) enum WriterTarget {
    /// The file, for the writer's own synchronous connection (`exec_sqlite`).
    SqliteFile(PathBuf),
    /// A one-connection pool (`exec_postgres`).
    Postgres(DatabaseConnection),
}

/// Every SQLite connection's settings, for sqlx's pool and the ledger's own connection alike.
///
/// WAL with `synchronous=FULL`: a commit is on disk before any reply depends on it, so
/// durability holds across power loss, not just process crashes. Group commit pays that fsync
/// once per batch instead of once per message.
pub(crate) const SQLITE_PRAGMAS: &[(&str, &str)] = &[
    // Set before WAL so that it takes effect on a new database; rows are small and keys
    // random, so a commit dirties many pages, each written whole to the WAL.
    ("page_size", "1024"),
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    // REPLACE deletes conflicting rows without firing DELETE triggers unless this is on: it
    // would overwrite audit rows past the append-only triggers.
    ("recursive_triggers", "ON"),
    // 64 MiB page cache and memory-mapped reads: the hot indexes stay in memory.
    ("cache_size", "-65536"),
    ("mmap_size", "268435456"),
    ("temp_store", "MEMORY"),
];

/// Session settings of the Postgres writer connection.
///
/// Every writer statement finds rows by key (primary keys, `= ANY`, `UNNEST` joins) and runs
/// thousands of times a second, so each is planned once (generic plan) instead of per
/// execution. A plan made while the tables were still empty would otherwise pick sequential
/// scans and hash joins and keep them as the tables grow; ruling those out for this session
/// keeps the once-made plan an index plan.
const WRITER_SESSION: [(&str, &str); 4] = [
    ("plan_cache_mode", "force_generic_plan"),
    ("enable_seqscan", "off"),
    ("enable_hashjoin", "off"),
    ("enable_mergejoin", "off"),
];

fn sqlx_connect_error(e: sqlx::Error) -> StoreError {
    StoreError::Connect(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
}

impl Store {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk before any reply
    /// depends on it, so durability holds across power loss, not just process crashes. Group
    /// commit in the writer pays that fsync once per batch instead of once per message.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::open(url, true).await
    }

    /// As [`Store::connect`], but an SQLite file must already exist: for read-only tools such
    /// as `warden audit verify`, which must not create an empty database at a mistyped path.
    pub async fn connect_existing(url: &str) -> Result<Self, StoreError> {
        Self::open(url, false).await
    }

    async fn open(url: &str, create: bool) -> Result<Self, StoreError> {
        let (db, writer) = if url.starts_with("sqlite:") {
            let mut opts = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::InvalidUrl)?
                .create_if_missing(create)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging();
            for (name, value) in SQLITE_PRAGMAS {
                opts = opts.pragma(*name, *value);
            }
            // The ledger writes through a connection of its own, which needs the same file.
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::InMemorySqlite);
            }
            let file = opts.get_filename().to_path_buf();
            if let Some(dir) = opts.get_filename().parent().filter(|_| create) {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(StoreError::CreateDir)?;
                }
            }
            let readers = SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .connect_with(opts)
                .await
                .map_err(sqlx_connect_error)?;
            (
                SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
                WriterTarget::SqliteFile(file),
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Built with sqlx directly: sea-orm's parse errors and connect spans quote the whole
            // URL, password and all. Statement logs would carry parameters (task titles).
            let opts = PgConnectOptions::from_str(url)
                .map_err(StoreError::InvalidUrl)?
                .disable_statement_logging();
            let pool = |max, opts: PgConnectOptions| {
                PgPoolOptions::new()
                    .max_connections(max)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
            };
            let readers = pool(8, opts.clone()).await.map_err(sqlx_connect_error)?;
            let writer = pool(1, opts.options(WRITER_SESSION))
                .await
                .map_err(sqlx_connect_error)?;
            (
                SqlxPostgresConnector::from_sqlx_postgres_pool(readers),
                WriterTarget::Postgres(SqlxPostgresConnector::from_sqlx_postgres_pool(writer)),
            )
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        // The built-in patterns are on from the start; the app adds its configured secrets.
        let audit_redactor = Redactor::new(RedactionConfig::default())
            .map(Arc::new)
            .map_err(StoreError::Redactor)?;
        Ok(Self {
            db,
            writer,
            audit_redactor,
        })
    }

    /// Uses `redactor` (e.g. one that knows the configured secrets) for audit details.
    #[must_use]
    pub fn with_audit_redactor(mut self, redactor: impl Into<Arc<Redactor>>) -> Self {
        self.audit_redactor = redactor.into();
        self
    }

    pub(crate) fn audit_redactor(&self) -> &Arc<Redactor> {
        &self.audit_redactor
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The pool for reads and ad-hoc statements.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) fn writer(&self) -> &WriterTarget {
        &self.writer
    }

    /// Applies pending migrations; a no-op when up to date.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::Migrate)
    }

    /// Reachable, fully migrated, and the audit chain head is readable. Writes nothing.
    pub async fn readiness(&self) -> Readiness {
        // Read the bookkeeping table directly: `Migrator::get_pending_migrations` first creates
        // it (`CREATE TABLE IF NOT EXISTS`), which would make this probe write.
        let applied = Query::select()
            .column(Alias::new("version"))
            .from(Migrator::migration_table_name())
            .to_owned();
        match self.db.query_all(self.backend().build(&applied)).await {
            Ok(rows) => {
                let applied: HashSet<String> = rows
                    .iter()
                    .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                    .collect();
                if Migrator::migrations()
                    .iter()
                    .any(|m| !applied.contains(m.name()))
                {
                    return Readiness::NotReady {
                        reason: "migrations pending",
                    };
                }
            }
            Err(_) => {
                return Readiness::NotReady {
                    reason: "database unreachable or not migrated",
                }
            }
        }
        match audit_head::Entity::find_by_id(1).one(&self.db).await {
            Ok(Some(head)) => Readiness::Ready {
                audit_head_seq: head.seq,
            },
            Ok(None) => Readiness::NotReady {
                reason: "audit chain head missing",
            },
            Err(_) => Readiness::NotReady {
                reason: "audit chain head unreadable",
            },
        }
    }
}
