use std::str::FromStr;
use std::time::Duration;

use sea_orm::SqlxSqliteConnector;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions as _;
use warden_assistant::Readiness;
use warden_migrations::{Migrator, MigratorTrait};

use crate::entity::audit_head;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Names the scheme only: a database URL may carry a password.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("invalid database URL")]
    InvalidUrl(#[source] sqlx::Error),
    #[error("cannot connect to the database")]
    Connect(#[source] sea_orm::DbErr),
    #[error("cannot create the database directory")]
    CreateDir(#[source] std::io::Error),
    #[error("migration failed")]
    Migrate(#[source] sea_orm::DbErr),
}

/// A connected database. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk before any reply
    /// depends on it, so durability holds across power loss, not just process crashes. Group
    /// commit in the writer pays that fsync once per batch instead of once per message.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::InvalidUrl)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .disable_statement_logging();
            if let Some(dir) = opts.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(StoreError::CreateDir)?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .connect_with(opts)
                .await
                .map_err(|e| {
                    StoreError::Connect(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
                })?;
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.max_connections(16)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(5))
                .acquire_timeout(Duration::from_secs(5))
                // Statement logs would carry parameters: task titles are personal data.
                .sqlx_logging(false);
            Database::connect(opts).await.map_err(StoreError::Connect)?
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(Self { db })
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies pending migrations; a no-op when up to date.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::Migrate)
    }

    /// Reachable, fully migrated, and the audit chain head is readable. Writes nothing.
    pub async fn readiness(&self) -> Readiness {
        match Migrator::get_pending_migrations(&self.db).await {
            Ok(pending) if pending.is_empty() => {}
            Ok(_) => {
                return Readiness::NotReady {
                    reason: "migrations pending",
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
