use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IsolationLevel, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use warden_audit::{AuditRecord, ChainError, ChainHead, ChainVerifier, VerifiedChain};

use crate::entity::{audit_head, audit_log};
use crate::Store;

/// Rows read per page: bounded memory whatever the chain's length.
const PAGE: u64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read the audit log")]
    Read(#[from] DbErr),
    #[error("audit chain broken at {0}")]
    Broken(#[from] ChainError),
}

impl Store {
    /// Reads the whole audit log in seq order, page by page, and checks every link and the
    /// stored head. Read-only.
    ///
    /// Rows and head are read in one snapshot (a read-only repeatable-read transaction; on
    /// SQLite a read transaction, which sees one WAL snapshot), so a gateway committing while
    /// this runs cannot make an intact chain look broken.
    pub async fn verify_audit(&self) -> Result<VerifiedChain, VerifyError> {
        // SQLite has neither setting (sea-orm warns when given them); its read transaction is
        // already one snapshot.
        let postgres = self.connection().get_database_backend() == sea_orm::DbBackend::Postgres;
        let txn = self
            .connection()
            .begin_with_config(
                postgres.then_some(IsolationLevel::RepeatableRead),
                postgres.then_some(AccessMode::ReadOnly),
            )
            .await?;
        let mut verifier = ChainVerifier::new();
        let mut after = i64::MIN;
        loop {
            let page = records(&txn, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for row in &page {
                verifier.push(row)?;
            }
        }
        let head = audit_head::Entity::find_by_id(1)
            .one(&txn)
            .await?
            .map(|h| ChainHead {
                seq: h.seq,
                hash: h.hash,
            });
        txn.commit().await?;
        Ok(verifier.finish(head.as_ref())?)
    }

    /// Up to `limit` audit rows with `seq > after_seq`, in seq order, exactly as stored.
    pub async fn audit_records(
        &self,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, DbErr> {
        records(self.connection(), after_seq, limit).await
    }
}

async fn records(
    db: &impl ConnectionTrait,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<AuditRecord>, DbErr> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        // The drivers bind LIMIT as a signed 64-bit integer.
        .limit(limit.min(i64::MAX.unsigned_abs()))
        .all(db)
        .await?
        .into_iter()
        .map(AuditRecord::from)
        .collect())
}
