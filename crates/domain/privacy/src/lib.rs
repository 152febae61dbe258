//! Data subjects and retention: what Warden holds about one phone number (export), how it is
//! removed (erasure), and how long everything else is kept (retention).
//!
//! - [`SubjectExport`], [`ErasureReport`], [`erased_event`]: the export document and what an
//!   erasure records (counts and actor, never the subject).
//! - [`RetentionPolicy`], [`Cutoffs`], [`Pruned`]: ages, validation and the cut-offs of a pass.
//! - [`PrivacyStore`]: the store's part; [`PrivacyService`]: the use cases over it.
//!
//! Pure domain crate: no I/O, no clock of its own, no runtime.

mod ports;
mod retention;
mod service;
mod subject;

pub use ports::{ErasureAudit, PrivacyStore, PrivacyStoreError, PruneAudit};
pub use retention::{
    Category, Cutoffs, Pruned, RetentionAges, RetentionError, RetentionPolicy, MAX_DAYS,
    PROVIDER_RETRY_DAYS,
};
pub use service::{PrivacyService, TextVisibility};
pub use subject::{
    erased_event, rfc3339, Actor, AuditDetail, AuditEntry, BadActor, ErasureReport, Row, Subject,
    SubjectExport, SubjectRows, TableCounts, TableRows, Value, SCHEMA_VERSION,
};
