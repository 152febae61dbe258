//! Reads and small writes for the operator plane's views: the audit log page by page, and the
//! allowlist of paired senders. Writes take the audit chain's head lock and audit in the same
//! transaction, like every other writer.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use warden_audit::{AuditEvent, AuditFilter, AuditRecord, Seek};
use warden_types::{SenderId, UnixMillis};

use crate::entity::{allowlist, audit_log};
use crate::outbox::{commit_step, lock_head};
use crate::Store;

/// One allowlist row: a paired sender (pseudonym) and when it was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowlistEntry {
    pub sender: String,
    pub added_ms: i64,
}

impl Store {
    /// The newest audit rows of any of `kinds` (stored names), newest first, at most `limit`:
    /// the console's recent security alerts.
    pub async fn audit_recent(
        &self,
        kinds: &[&str],
        limit: u64,
    ) -> Result<Vec<AuditRecord>, DbErr> {
        Ok(audit_log::Entity::find()
            .filter(audit_log::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_desc(audit_log::Column::Seq)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(AuditRecord::from)
            .collect())
    }

    /// When each event of `kind` (a stored name) at or after `since_ms` happened, oldest
    /// first, at most `limit`: the console's messages-per-hour chart reads times only.
    pub async fn audit_times_since(
        &self,
        kind: &str,
        since_ms: i64,
        limit: u64,
    ) -> Result<Vec<i64>, DbErr> {
        audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::AtMs)
            .filter(audit_log::Column::Kind.eq(kind))
            .filter(audit_log::Column::AtMs.gte(since_ms))
            .order_by_asc(audit_log::Column::Seq)
            .limit(limit)
            .into_tuple::<i64>()
            .all(self.connection())
            .await
    }

    /// One page of the audit rows `filter` admits, at most `limit`, starting where `seek` says
    /// and in its order (oldest first after a seq; newest first before one, or from the head).
    pub async fn audit_page(
        &self,
        seek: Seek,
        limit: u64,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, DbErr> {
        let mut q = audit_log::Entity::find();
        if let Some(kind) = filter.kind() {
            q = q.filter(audit_log::Column::Kind.eq(kind.as_str()));
        }
        if let Some(since) = filter.since() {
            q = q.filter(audit_log::Column::AtMs.gte(since.as_i64()));
        }
        if let Some(until) = filter.until() {
            q = q.filter(audit_log::Column::AtMs.lt(until.as_i64()));
        }
        q = match seek {
            Seek::After(seq) => q
                .filter(audit_log::Column::Seq.gt(seq))
                .order_by_asc(audit_log::Column::Seq),
            Seek::Before(seq) => q
                .filter(audit_log::Column::Seq.lt(seq))
                .order_by_desc(audit_log::Column::Seq),
            Seek::Newest => q.order_by_desc(audit_log::Column::Seq),
        };
        Ok(q
            // The drivers bind LIMIT as a signed 64-bit integer.
            .limit(limit.min(i64::MAX.unsigned_abs()))
            .all(self.connection())
            .await?
            .into_iter()
            .map(AuditRecord::from)
            .collect())
    }

    /// Appends one event to the chain on its own (after the locked head, like every writer).
    pub async fn record_audit(&self, now: UnixMillis, event: AuditEvent) -> Result<(), DbErr> {
        let txn = self.connection().begin().await?;
        let head = lock_head(&txn).await?;
        commit_step(txn, self.audit_redactor(), head, now, &[event], Vec::new()).await
    }

    /// Every paired sender, oldest first.
    pub async fn allowlist(&self) -> Result<Vec<AllowlistEntry>, DbErr> {
        Ok(allowlist::Entity::find()
            .order_by_asc(allowlist::Column::AddedMs)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|r| AllowlistEntry {
                sender: r.sender,
                added_ms: r.added_ms,
            })
            .collect())
    }

    /// Adds `sender` with `event` audited; false (and nothing written) when already there.
    pub async fn allow_sender(
        &self,
        sender: &SenderId,
        now: UnixMillis,
        event: AuditEvent,
    ) -> Result<bool, DbErr> {
        let txn = self.connection().begin().await?;
        let head = lock_head(&txn).await?;
        if allowlist::Entity::find_by_id(sender.as_str().to_owned())
            .one(&txn)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        allowlist::Entity::insert(allowlist::ActiveModel {
            sender: Set(sender.as_str().to_owned()),
            added_ms: Set(now.as_i64()),
        })
        .exec_without_returning(&txn)
        .await?;
        commit_step(txn, self.audit_redactor(), head, now, &[event], Vec::new()).await?;
        Ok(true)
    }

    /// Removes `sender` with `event` audited; false (and nothing written) when it was not there.
    pub async fn remove_sender(
        &self,
        sender: &SenderId,
        now: UnixMillis,
        event: AuditEvent,
    ) -> Result<bool, DbErr> {
        let txn = self.connection().begin().await?;
        let head = lock_head(&txn).await?;
        let removed = allowlist::Entity::delete_by_id(sender.as_str().to_owned())
            .exec(&txn)
            .await?
            .rows_affected;
        if removed == 0 {
            return Ok(false);
        }
        commit_step(txn, self.audit_redactor(), head, now, &[event], Vec::new()).await?;
        Ok(true)
    }
}
