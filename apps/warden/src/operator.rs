//! Every operator action, one function each. The CLI, the demo and the tests call these (and the
//! admin API and console will): input is validated by the domain types, the work is done by the
//! domain's use cases, and nothing here decides a rule.

use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use warden_assistant::marketplace::{BatchSchedule, HeldOffer, MarketError, MarketService};
use warden_assistant::pairing::{PairingError, PairingService, PendingPairing};
use warden_audit::{
    AuditEvent, AuditFilter, AuditRecord, Detail, EventKind, Pseudonymizer, Seek, Verdict,
    Verification, VerifiedChain,
};
use warden_delivery::DeliveryWake;
use warden_gates::{ApprovalPolicy, PairingCode};
use warden_marketplace::{
    BusinessName, CallError, CallSid, ConsentRecord, RequestRef, TagSet, Vendor, VendorId,
};
use warden_privacy::{
    Actor, ErasureReport, PrivacyService, PrivacyStoreError, Pruned, RetentionPolicy,
    SubjectExport, TextVisibility,
};
use warden_store::{
    AllowlistEntry, OutboxView, Requeued, SqlMarket, SqlOutbox, SqlPairing, SqlPrivacy, Store,
    VerifyError,
};
use warden_types::{Clock, PhoneNumber, SenderId, UnixMillis};

use crate::Config;

/// Why an operator action was refused or failed. Says what was wrong with the input, never
/// echoes it.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// An argument did not pass its domain type; `field` names it as the CLI spells it.
    #[error("{field} {why}")]
    Invalid { field: &'static str, why: String },
    #[error("the concierge marketplace is not enabled (set WARDEN_MARKET_ENABLED=true)")]
    MarketplaceDisabled,
    #[error(transparent)]
    Market(#[from] MarketError),
    #[error(transparent)]
    Pairing(#[from] PairingError),
    #[error("no outbox message with id {0}")]
    OutboxNotFound(i64),
    #[error("message {0} has not failed; only failed messages can be retried")]
    OutboxNotFailed(i64),
    #[error("the database failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Subject and retention actions need the gateway's pseudonym key and retention policy.
    #[error(
        "subject and retention actions need the gateway's configuration (WARDEN_PSEUDONYM_KEY)"
    )]
    PrivacyUnavailable,
    #[error(transparent)]
    Privacy(#[from] PrivacyStoreError),
    #[error("the allowlist needs the gateway's pseudonym key (WARDEN_PSEUDONYM_KEY)")]
    NoPseudonymKey,
}

fn store_err(e: impl std::error::Error + Send + Sync + 'static) -> OperatorError {
    OperatorError::Store(Box::new(e))
}

fn invalid(field: &'static str, why: impl std::fmt::Display) -> OperatorError {
    OperatorError::Invalid {
        field,
        why: why.to_string(),
    }
}

/// What an operator call came to.
#[derive(Debug)]
pub enum CallOutcome {
    /// Placed; the provider's call id.
    Placed(CallSid),
    /// Permitted but the provider refused or failed (audited with its code).
    Failed(CallError),
    /// Refused before dialling: calling disabled, or no valid consent (audited).
    Refused,
}

/// The operator actions over one store.
#[derive(Clone)]
pub struct Operator {
    store: Store,
    outbox: SqlOutbox,
    pairing: PairingService,
    /// The marketplace, and the pseudonymizer that routes a registered vendor's messages.
    market: Option<(MarketService, Arc<Pseudonymizer>)>,
    /// The gateway's pseudonymizer: the allowlist holds pseudonyms, never numbers.
    pseudonyms: Option<Arc<Pseudonymizer>>,
    /// Wakes a running gateway's delivery worker when an action enqueued a message.
    wake: Option<Arc<dyn DeliveryWake>>,
    /// Subject export and erasure, and retention.
    privacy: Option<PrivacyService>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("market", &self.market.is_some())
            .field("privacy", &self.privacy.is_some())
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// Over a store the caller opened: the outbox and audit actions.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            outbox: SqlOutbox::new(store.clone()),
            pairing: PairingService::new(
                Arc::new(SqlPairing::new(store.clone())),
                ApprovalPolicy::default(),
                clock.clone(),
            ),
            store,
            market: None,
            pseudonyms: None,
            wake: None,
            privacy: None,
            clock,
        }
    }

    /// In a running gateway: messages an action enqueues go out at once, not on the next tick.
    pub fn with_wake(mut self, wake: Arc<dyn DeliveryWake>) -> Self {
        self.wake = Some(wake);
        self
    }

    fn wake(&self) {
        if let Some(w) = &self.wake {
            w.wake();
        }
    }

    /// Adds the allowlist actions, under the gateway's pseudonym key.
    pub fn with_pseudonyms(mut self, pseudonyms: Arc<Pseudonymizer>) -> Self {
        self.pseudonyms = Some(pseudonyms);
        self
    }

    /// Adds the subject and retention actions: `pseudonyms` under the gateway's key (the tables
    /// know a number by its pseudonym), `policy` as configured.
    pub fn with_privacy(mut self, pseudonyms: Arc<Pseudonymizer>, policy: RetentionPolicy) -> Self {
        self.privacy = Some(PrivacyService::new(
            Arc::new(SqlPrivacy::new(self.store.clone())),
            pseudonyms,
            policy,
            self.clock.clone(),
        ));
        self
    }

    /// Adds the marketplace actions: `market` as the gateway runs it, `pseudonyms` under the
    /// gateway's key (a vendor is routed by the pseudonym of its number).
    pub fn with_market(mut self, market: MarketService, pseudonyms: Arc<Pseudonymizer>) -> Self {
        self.pseudonyms = Some(pseudonyms.clone());
        self.market = Some((market, pseudonyms));
        self
    }

    /// For a CLI command: the existing database of `config`, with the marketplace (and its call
    /// placer) exactly as `serve` builds them.
    pub async fn connect(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let redactor = Arc::new(config.redactor().context("building the redactor")?);
        let store = Store::connect_existing(config.database_url.expose_secret())
            .await
            .context("opening the database")?
            .with_audit_redactor(redactor.clone());
        let pseudonyms = Arc::new(Pseudonymizer::new(config.pseudonym_key.clone()));
        let operator = Self::new(store.clone(), clock.clone())
            .with_pseudonyms(pseudonyms.clone())
            .with_privacy(pseudonyms.clone(), config.retention.policy);
        Ok(match &config.market {
            Some(m) => operator.with_market(
                market_service(m, store, redactor, clock)?
                    .with_calls(crate::call_placer(config, m)?),
                pseudonyms,
            ),
            None => operator,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The subject and retention use cases (for the gateway's background job).
    pub fn privacy(&self) -> Result<&PrivacyService, OperatorError> {
        self.privacy
            .as_ref()
            .ok_or(OperatorError::PrivacyUnavailable)
    }

    fn market(&self) -> Result<&MarketService, OperatorError> {
        self.market
            .as_ref()
            .map(|(m, _)| m)
            .ok_or(OperatorError::MarketplaceDisabled)
    }

    // ---- vendors ----

    /// `warden vendor add`: registers a vendor (audited `vendor.changed` with `actor`).
    pub async fn register_vendor(
        &self,
        name: &str,
        phone: &str,
        tags: &str,
        actor: &str,
    ) -> Result<VendorId, OperatorError> {
        let (market, pseudonyms) = self
            .market
            .as_ref()
            .ok_or(OperatorError::MarketplaceDisabled)?;
        let name = BusinessName::new(name).map_err(|e| invalid("--name", e))?;
        let phone = crate::config::phone::parse_valid(phone).map_err(|e| invalid("--phone", e))?;
        let tags = TagSet::parse_vendor_tags(tags).map_err(|e| invalid("--tags", e))?;
        let sender = pseudonyms.sender_id(&phone);
        Ok(market
            .register_vendor(name, phone, sender, tags, actor)
            .await?)
    }

    /// `warden vendor list`: every vendor, by id (mask the phone when showing it).
    pub async fn vendors(&self) -> Result<Vec<Vendor>, OperatorError> {
        Ok(self.market()?.vendors().await?)
    }

    /// `warden vendor disable|enable`: audited `vendor.changed` with `actor`.
    pub async fn set_vendor_active(
        &self,
        id: i64,
        active: bool,
        actor: &str,
    ) -> Result<(), OperatorError> {
        Ok(self
            .market()?
            .set_vendor_active(VendorId(id), active, actor)
            .await?)
    }

    // ---- offers, consent, calls ----

    /// `warden offers held`: held replies, oldest first (redact the text unless asked not to).
    pub async fn held_offers(&self) -> Result<Vec<HeldOffer>, OperatorError> {
        Ok(self.market()?.held_offers().await?)
    }

    /// A held reply with its text for an operator's review, once `offer.revealed` (with
    /// `actor`, never the text) is committed.
    pub async fn reveal_offer(&self, id: i64, actor: &str) -> Result<HeldOffer, OperatorError> {
        Ok(self.market()?.reveal_offer(id, actor).await?)
    }

    /// `warden offers release`: relays a held reply, masked like any offer (audited
    /// `offer.relayed` with `actor`).
    pub async fn release_offer(&self, id: i64, actor: &str) -> Result<(), OperatorError> {
        Ok(self.market()?.release_offer(id, actor).await?)
    }

    /// `warden offers discard`: drops a held reply after review (audited `offer.discarded`
    /// with `actor`); the client never sees it.
    pub async fn discard_offer(&self, id: i64, actor: &str) -> Result<(), OperatorError> {
        Ok(self.market()?.discard_offer(id, actor).await?)
    }

    /// `warden consent list`: every client's consent record (pseudonymous clients).
    pub async fn consents(&self) -> Result<Vec<(SenderId, ConsentRecord)>, OperatorError> {
        Ok(self.market()?.consents().await?)
    }

    /// `warden call <reference>`: calls the request's client only with their unexpired consent;
    /// audited either way.
    pub async fn call(&self, reference: &str) -> Result<CallOutcome, OperatorError> {
        let reference = RequestRef::parse(reference).map_err(|e| invalid("reference", e))?;
        Ok(match self.market()?.operator_call(&reference).await? {
            Some(Ok(sid)) => CallOutcome::Placed(sid),
            Some(Err(e)) => CallOutcome::Failed(e),
            None => CallOutcome::Refused,
        })
    }

    // ---- pairing ----

    /// `warden pairing list`: pending, unexpired pairing requests, oldest first (numbers masked).
    pub async fn pairings(&self) -> Result<Vec<PendingPairing>, OperatorError> {
        Ok(self.pairing.pending().await?)
    }

    /// `warden pairing approve`: the sender joins the allowlist and is sent "Paired…" through
    /// the outbox (a running gateway sends it). Audited `pairing.approved` with `actor`
    /// (`"cli"`, `"operator:<id>"`).
    pub async fn approve_pairing(
        &self,
        code: &str,
        actor: &str,
    ) -> Result<PairingCode, OperatorError> {
        let code = self.pairing.approve(code, actor).await?;
        self.wake();
        Ok(code)
    }

    /// `warden pairing reject`: the request ends; the stranger is sent nothing. Audited
    /// `pairing.rejected` with `actor`.
    pub async fn reject_pairing(
        &self,
        code: &str,
        actor: &str,
    ) -> Result<PairingCode, OperatorError> {
        Ok(self.pairing.reject(code, actor).await?)
    }

    // ---- outbox and audit ----

    /// `warden outbox list`: newest first, recipients masked, no message text.
    pub async fn outbox(
        &self,
        failed_only: bool,
        limit: u64,
    ) -> Result<Vec<OutboxView>, OperatorError> {
        self.outbox
            .list(failed_only, limit)
            .await
            .map_err(|e| OperatorError::Store(Box::new(e)))
    }

    /// `warden outbox retry`: a failed message back in the queue with a fresh attempt budget
    /// (audited `outbox.requeued` with `actor`: `cli`, `operator:<id>`); a running gateway
    /// sends it.
    pub async fn retry_outbox(&self, id: i64, actor: &str) -> Result<(), OperatorError> {
        match self
            .outbox
            .requeue(id, self.clock.now(), actor)
            .await
            .map_err(|e| OperatorError::Store(Box::new(e)))?
        {
            Requeued::Requeued => {
                self.wake();
                Ok(())
            }
            Requeued::NotFound => Err(OperatorError::OutboxNotFound(id)),
            Requeued::NotFailed => Err(OperatorError::OutboxNotFailed(id)),
        }
    }

    /// One page of the audit rows `filter` admits, at most `limit`, in `seek`'s order (the
    /// API reads forward after a seq, the console pages back from the head). Every role that
    /// may read the audit log reads the same rows: they hold no number and no message text.
    pub async fn audit(
        &self,
        seek: Seek,
        limit: u64,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, OperatorError> {
        self.store
            .audit_page(seek, limit, filter)
            .await
            .map_err(store_err)
    }

    /// The newest audit rows of any of `kinds`, newest first (at most `limit`).
    pub async fn audit_recent(
        &self,
        kinds: &[EventKind],
        limit: u64,
    ) -> Result<Vec<AuditRecord>, OperatorError> {
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        self.store
            .audit_recent(&names, limit)
            .await
            .map_err(store_err)
    }

    /// When each `kind` event at or after `since` happened, oldest first (at most `limit`).
    pub async fn audit_times_since(
        &self,
        kind: EventKind,
        since: UnixMillis,
        limit: u64,
    ) -> Result<Vec<i64>, OperatorError> {
        self.store
            .audit_times_since(kind.as_str(), since.as_i64(), limit)
            .await
            .map_err(store_err)
    }

    fn pseudonyms(&self) -> Result<&Pseudonymizer, OperatorError> {
        self.pseudonyms
            .as_deref()
            .ok_or(OperatorError::NoPseudonymKey)
    }

    fn sender_of(&self, phone: &str) -> Result<SenderId, OperatorError> {
        let phone = crate::config::phone::parse_valid(phone).map_err(|e| invalid("phone", e))?;
        Ok(self.pseudonyms()?.sender_id(&phone))
    }

    /// Paired senders (pseudonyms; the table never holds a number), oldest first.
    pub async fn allowlist(&self) -> Result<Vec<AllowlistEntry>, OperatorError> {
        self.store.allowlist().await.map_err(store_err)
    }

    /// Lets `phone` talk to the assistant without pairing (audited `allowlist.added`); false
    /// when it already could.
    pub async fn allow(&self, phone: &str, actor: &str) -> Result<bool, OperatorError> {
        let sender = self.sender_of(phone)?;
        let event = AuditEvent {
            kind: EventKind::AllowlistAdded,
            sender: Some(sender.clone()),
            detail: Detail::new()
                .with("source", "operator")
                .with("actor", actor),
        };
        self.store
            .allow_sender(&sender, self.clock.now(), event)
            .await
            .map_err(store_err)
    }

    /// Removes a paired sender (audited `allowlist.removed`): their next message is a
    /// stranger's. A number listed in `WARDEN_ALLOWED_SENDERS` stays allowed by config.
    pub async fn disallow(&self, phone: &str, actor: &str) -> Result<bool, OperatorError> {
        let sender = self.sender_of(phone)?;
        let event = AuditEvent {
            kind: EventKind::AllowlistRemoved,
            sender: Some(sender.clone()),
            detail: Detail::new().with("actor", actor),
        };
        self.store
            .remove_sender(&sender, self.clock.now(), event)
            .await
            .map_err(store_err)
    }

    // ---- data subjects and retention ----

    /// `warden subject export`: everything held about `phone` as one document. With
    /// `include_text` false (a reader who may not read text), every task, message and offer
    /// body is replaced by its length in characters.
    pub async fn export_subject(
        &self,
        phone: &str,
        include_text: bool,
    ) -> Result<SubjectExport, OperatorError> {
        let phone = subject_phone(phone)?;
        let text = match include_text {
            true => TextVisibility::Include,
            false => TextVisibility::Withhold,
        };
        Ok(self.privacy()?.export(&phone, text).await?)
    }

    /// `warden subject erase`: deletes everything held about `phone` in one transaction,
    /// audited `subject.erased` with per-table counts and `actor`, never the subject. An
    /// unknown number succeeds with zero counts.
    pub async fn erase_subject(
        &self,
        phone: &str,
        actor: &str,
    ) -> Result<ErasureReport, OperatorError> {
        let phone = subject_phone(phone)?;
        let actor = Actor::new(actor).map_err(|e| invalid("actor", e))?;
        Ok(self.privacy()?.erase(&phone, &actor).await?)
    }

    /// `warden retention run`: one retention pass now (audited `retention.pruned` when it
    /// pruned anything).
    pub async fn prune_now(&self) -> Result<Pruned, OperatorError> {
        Ok(self.privacy()?.prune().await?)
    }

    /// The whole hash chain, in one snapshot, read-only.
    pub async fn verify_audit(&self) -> Result<VerifiedChain, VerifyError> {
        self.store.verify_audit().await
    }

    /// `warden audit verify`, `POST /api/v1/audit/verify` and the console's "Verify chain": the
    /// whole chain in one snapshot, its verdict then recorded as `audit.verified` by `actor`
    /// (`cli`, `operator:<id>`) so the dashboard shows the last check, whoever ran it and
    /// wherever. A verdict that could not be recorded (the database refused the write) is
    /// still returned: it is the answer to the question asked, and the failure is logged.
    pub async fn verify_audit_as(&self, actor: &str) -> Result<VerifiedChain, VerifyError> {
        let result = self.store.verify_audit().await;
        let verdict = match &result {
            Ok(chain) => Verdict::of(Ok(chain)),
            Err(VerifyError::Broken(e)) => Verdict::of(Err(e)),
            Err(VerifyError::Read(_)) => return result,
        };
        if let Err(e) = self
            .store
            .record_audit(self.clock.now(), verdict.event(actor))
            .await
        {
            tracing::error!(error = %e, "recording the audit verification failed");
        }
        result
    }

    /// The last recorded verification of the chain, if any.
    pub async fn last_verification(&self) -> Result<Option<Verification>, OperatorError> {
        Ok(self
            .audit_recent(&[EventKind::AuditVerified], 1)
            .await?
            .first()
            .and_then(Verification::from_record))
    }
}

/// A subject's number: E.164 is enough (any number Warden may hold, valid or not, can be
/// exported and erased).
fn subject_phone(raw: &str) -> Result<PhoneNumber, OperatorError> {
    PhoneNumber::parse(raw)
        .map_err(|e| invalid("--phone", format_args!("is not an E.164 number: {e}")))
}

/// The marketplace use case on `store`, as configured.
pub(crate) fn market_service(
    m: &crate::config::MarketSettings,
    store: Store,
    redactor: Arc<warden_redaction::Redactor>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<MarketService> {
    Ok(MarketService::new(
        Arc::new(SqlMarket::new(store)),
        Arc::new(crate::marketplace(m, redactor)?),
        BatchSchedule {
            interval_ms: m.batch_interval_ms,
        },
        clock,
    ))
}
