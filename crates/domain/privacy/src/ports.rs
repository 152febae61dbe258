//! The store, as subject export, erasure and retention need it. The adapter reads, deletes and
//! counts; which rows a subject owns in each table is the adapter's to know (it knows the
//! columns), and what an erasure or a pass audits is decided here.

use async_trait::async_trait;
use warden_audit::AuditEvent;
use warden_types::UnixMillis;

use crate::retention::{Cutoffs, Pruned};
use crate::subject::{Subject, SubjectRows, TableCounts};

/// Why the store could not do what was asked. Nothing was written. Never names a number.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyStoreError {
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the store failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Builds the audit event of an erasure from its counts.
pub type ErasureAudit<'a> = &'a (dyn Fn(&TableCounts) -> AuditEvent + Send + Sync);

/// Builds the audit event of a retention pass from its counts (`None`: nothing to record).
pub type PruneAudit<'a> = &'a (dyn Fn(&Pruned) -> Option<AuditEvent> + Send + Sync);

/// Subject data and retention on the store.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Every row of every table that can hold data about `subject` (matched by its number or
    /// its pseudonym, and the rows that hang off those), one entry per table even when empty,
    /// and every audit row whose sender is the pseudonym. MUST read in one snapshot. Free text
    /// MUST be [`crate::Value::Text`], so that it can be withheld.
    async fn subject_rows(&self, subject: &Subject) -> Result<SubjectRows, PrivacyStoreError>;

    /// Deletes (or irreversibly unlinks from the subject) every row [`Self::subject_rows`]
    /// returns except the audit chain's, and appends `audit(&counts)`. MUST do both in one
    /// transaction whose first act takes the audit chain's head lock, so it is serialised with
    /// every other writer and either all of it happens or none. A subject with no rows is not
    /// an error: the counts are zero.
    async fn erase_subject(
        &self,
        subject: &Subject,
        now: UnixMillis,
        audit: ErasureAudit<'_>,
    ) -> Result<TableCounts, PrivacyStoreError>;

    /// Deletes exactly the rows [`Cutoffs`] describes and nothing else, and appends the event
    /// `audit` makes of the counts (none when it returns `None`). MUST do both in one
    /// transaction whose first act takes the audit chain's head lock.
    async fn prune(
        &self,
        cutoffs: &Cutoffs,
        now: UnixMillis,
        audit: PruneAudit<'_>,
    ) -> Result<Pruned, PrivacyStoreError>;
}
