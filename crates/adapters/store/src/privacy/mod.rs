//! Data subjects and retention on both backends ([`PrivacyStore`]).
//!
//! Erasure and pruning run in one transaction whose first statement takes the audit chain's
//! head lock (as `outbox.rs` and `market` do), so they are serialised with the ledger's writer
//! and every other instance, and their audit event joins the chain in the same commit. Which
//! tables hold a subject's data is [`tables`]'s alone.

mod retention;
mod tables;

use async_trait::async_trait;
use sea_orm::{
    AccessMode, ColumnTrait, DbErr, EntityTrait, IsolationLevel, QueryFilter, QueryOrder,
    TransactionTrait,
};
use warden_audit::AuditEvent;
use warden_privacy::{
    AuditDetail, AuditEntry, Cutoffs, ErasureAudit, PrivacyStore, PrivacyStoreError, PruneAudit,
    Pruned, Subject, SubjectRows, TableCounts, TableRows,
};
use warden_types::UnixMillis;

use crate::entity::audit_log;
use crate::outbox::{commit_step, lock_head};
use crate::Store;
use tables::{Keys, SubjectTable};

fn db_err(e: DbErr) -> PrivacyStoreError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => PrivacyStoreError::Unavailable(Box::new(e)),
        other => PrivacyStoreError::Failed(Box::new(other)),
    }
}

/// [`PrivacyStore`] on the store's pool.
#[derive(Debug, Clone)]
pub struct SqlPrivacy {
    store: Store,
}

impl SqlPrivacy {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[async_trait]
impl PrivacyStore for SqlPrivacy {
    async fn subject_rows(&self, subject: &Subject) -> Result<SubjectRows, PrivacyStoreError> {
        let go = async {
            // One snapshot, as `verify_audit` reads (SQLite's read transaction already is one).
            let postgres = self.store.backend() == sea_orm::DbBackend::Postgres;
            let txn = self
                .store
                .connection()
                .begin_with_config(
                    postgres.then_some(IsolationLevel::RepeatableRead),
                    postgres.then_some(AccessMode::ReadOnly),
                )
                .await?;
            let keys = Keys::load(&txn, subject).await?;
            let mut tables = Vec::with_capacity(SubjectTable::ALL.len());
            for table in SubjectTable::ALL {
                tables.push(TableRows {
                    table: table.name(),
                    rows: table.export(&txn, &keys).await?,
                });
            }
            let audit = audit_log::Entity::find()
                .filter(audit_log::Column::Sender.eq(subject.pseudonym.as_str()))
                .order_by_asc(audit_log::Column::Seq)
                .all(&txn)
                .await?
                .into_iter()
                .map(|r| AuditEntry {
                    seq: r.seq,
                    at_ms: r.at_ms,
                    kind: r.kind,
                    detail: AuditDetail::from_stored(&r.detail),
                })
                .collect();
            txn.commit().await?;
            Ok(SubjectRows { tables, audit })
        };
        go.await.map_err(db_err)
    }

    async fn erase_subject(
        &self,
        subject: &Subject,
        now: UnixMillis,
        audit: ErasureAudit<'_>,
    ) -> Result<TableCounts, PrivacyStoreError> {
        let go = async {
            let txn = self.store.connection().begin().await?;
            let head = lock_head(&txn).await?;
            let keys = Keys::load(&txn, subject).await?;
            let mut counts = TableCounts::default();
            for table in SubjectTable::ALL {
                counts
                    .0
                    .insert(table.name(), table.erase(&txn, &keys).await?);
            }
            let event = audit(&counts);
            commit_step(
                txn,
                self.store.audit_redactor(),
                head,
                now,
                &[event],
                Vec::new(),
            )
            .await?;
            Ok(counts)
        };
        go.await.map_err(db_err)
    }

    async fn prune(
        &self,
        cutoffs: &Cutoffs,
        now: UnixMillis,
        audit: PruneAudit<'_>,
    ) -> Result<Pruned, PrivacyStoreError> {
        let go = async {
            let txn = self.store.connection().begin().await?;
            let head = lock_head(&txn).await?;
            let pruned = retention::prune(&txn, cutoffs).await?;
            let events: Vec<AuditEvent> = audit(&pruned).into_iter().collect();
            commit_step(
                txn,
                self.store.audit_redactor(),
                head,
                now,
                &events,
                Vec::new(),
            )
            .await?;
            Ok(pruned)
        };
        go.await.map_err(db_err)
    }
}
