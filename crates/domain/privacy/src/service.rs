//! The privacy use cases: export, erase, prune.

use std::sync::Arc;

use warden_audit::Pseudonymizer;
use warden_types::{Clock, PhoneNumber};

use crate::ports::{PrivacyStore, PrivacyStoreError};
use crate::retention::{Pruned, RetentionPolicy};
use crate::subject::{erased_event, Actor, ErasureReport, Subject, SubjectExport};

/// Who may see free text in an export (`Role::may_read_text` decides at the edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextVisibility {
    Include,
    /// Bodies replaced by their length in characters.
    Withhold,
}

/// Export, erasure and retention over one store.
#[derive(Clone)]
pub struct PrivacyService {
    store: Arc<dyn PrivacyStore>,
    pseudonyms: Arc<Pseudonymizer>,
    policy: RetentionPolicy,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PrivacyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl PrivacyService {
    /// `pseudonyms` MUST be under the gateway's key: the tables know a number by it.
    pub fn new(
        store: Arc<dyn PrivacyStore>,
        pseudonyms: Arc<Pseudonymizer>,
        policy: RetentionPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            pseudonyms,
            policy,
            clock,
        }
    }

    pub fn policy(&self) -> RetentionPolicy {
        self.policy
    }

    fn subject(&self, phone: &PhoneNumber) -> Subject {
        Subject {
            phone: phone.clone(),
            pseudonym: self.pseudonyms.sender_id(phone),
        }
    }

    /// Everything held about `phone`, as one document.
    #[tracing::instrument(skip_all)]
    pub async fn export(
        &self,
        phone: &PhoneNumber,
        text: TextVisibility,
    ) -> Result<SubjectExport, PrivacyStoreError> {
        let subject = self.subject(phone);
        let rows = self.store.subject_rows(&subject).await?;
        let export = SubjectExport::new(&subject, rows, self.clock.now());
        Ok(match text {
            TextVisibility::Include => export,
            TextVisibility::Withhold => export.withhold_text(),
        })
    }

    /// Deletes what is held about `phone` (audited `subject.erased`, without the subject).
    #[tracing::instrument(skip_all)]
    pub async fn erase(
        &self,
        phone: &PhoneNumber,
        actor: &Actor,
    ) -> Result<ErasureReport, PrivacyStoreError> {
        let subject = self.subject(phone);
        let audit = |counts: &_| erased_event(counts, actor);
        let counts = self
            .store
            .erase_subject(&subject, self.clock.now(), &audit)
            .await?;
        Ok(ErasureReport::new(counts))
    }

    /// One retention pass at the clock's now (audited `retention.pruned` when it pruned).
    #[tracing::instrument(skip_all)]
    pub async fn prune(&self) -> Result<Pruned, PrivacyStoreError> {
        let now = self.clock.now();
        let cutoffs = self.policy.cutoffs(now);
        self.store
            .prune(&cutoffs, now, &|p: &Pruned| p.audit_event())
            .await
    }
}
