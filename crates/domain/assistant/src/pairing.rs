//! Owner-approved pairing, the operator's side: list the pending codes, approve one (the sender
//! joins the allowlist and is told so through the outbox) or reject one.
//!
//! The stranger's side (asking for a code) is part of the message path
//! ([`crate::Assistant::decide`]); the rules both sides share are `warden_gates`'
//! [`ApprovalPolicy`]. The store only loads and writes ([`PairingStore`]).
//!
//! A rejection sends the stranger nothing: a reply would be an outbound message a stranger can
//! make us send (and pay for) at will, and it would tell someone probing numbers that a human
//! looked at the request. The code simply stops working; asking again is rate-limited.

use std::sync::Arc;

use async_trait::async_trait;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_gates::{ApprovalPolicy, InvalidCode, PairingCode, RequestStatus, Undecidable};
use warden_types::{Clock, PhoneNumber, Provider, SenderId, UnixMillis};

use crate::marketplace::OutboxMessage;
use crate::outbox::{enqueued_event, pairing_reply_key};
use crate::ReplyText;

/// One stored request for a pairing code.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingRequest {
    pub code: PairingCode,
    pub sender: SenderId,
    /// The number the request came from, to reply on approval; cleared once decided.
    pub phone: Option<PhoneNumber>,
    pub provider: Provider,
    pub status: RequestStatus,
    pub requested_at: UnixMillis,
    pub expires_at: UnixMillis,
}

impl std::fmt::Debug for PairingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingRequest")
            .field("code", &self.code)
            .field("sender", &self.sender)
            .field("provider", &self.provider)
            .field("status", &self.status)
            .field("requested_at", &self.requested_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A pending request as an operator sees it: never the full number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPairing {
    pub code: PairingCode,
    /// `+61•••••••56`; `None` if the stored number is gone.
    pub phone_masked: Option<String>,
    pub requested_at: UnixMillis,
    pub expires_at: UnixMillis,
}

/// What an operator's decision writes, all in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub code: PairingCode,
    pub sender: SenderId,
    pub status: RequestStatus,
    /// Who decided: `"cli"`, `"operator:<id>"`.
    pub decided_by: String,
    /// Add the sender to the allowlist (an existing entry is kept).
    pub allowlist: bool,
    pub reply: Option<OutboxMessage>,
    pub audit: Vec<AuditEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum PairingStoreError {
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the store failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value does not parse; names the column, never the value.
    #[error("stored {0} is corrupt")]
    Corrupt(&'static str),
}

/// The pairing requests' store.
#[async_trait]
pub trait PairingStore: Send + Sync {
    /// MUST NOT write. Every request still pending (expired or not), oldest first.
    async fn pending(&self) -> Result<Vec<PairingRequest>, PairingStoreError>;

    /// MUST start a transaction whose first statement takes the audit chain's head lock, so
    /// a decision is serialised with the message path's writer and every other writer (two
    /// operators deciding one code: the second sees the first's decision).
    async fn begin(&self) -> Result<Box<dyn PairingTxn>, PairingStoreError>;
}

/// One decision's transaction. Dropped without [`PairingTxn::commit`], it writes nothing.
#[async_trait]
pub trait PairingTxn: Send {
    /// MUST return the request stored under exactly `code`, whatever its status.
    async fn request(
        &mut self,
        code: &PairingCode,
    ) -> Result<Option<PairingRequest>, PairingStoreError>;

    /// MUST, then commit: set the request's status, decision time and `decided_by`, clear its
    /// number, add the allowlist entry and the outbox row if asked, and append `audit` to the
    /// chain. On error nothing is written.
    async fn commit(
        self: Box<Self>,
        settlement: Settlement,
        now: UnixMillis,
    ) -> Result<(), PairingStoreError>;
}

/// Why an operator's decision was refused. Never echoes the code or a number.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("CODE {0}")]
    InvalidCode(#[from] InvalidCode),
    #[error("the actor label must be 1–64 printable ASCII characters")]
    InvalidActor,
    #[error("no pairing request has that code")]
    Unknown,
    #[error("that pairing code has expired; the sender can send /pair for a new one")]
    Expired,
    #[error("that pairing request was already {}", .0.as_str())]
    AlreadyDecided(RequestStatus),
    #[error(transparent)]
    Store(#[from] PairingStoreError),
}

/// The operator's pairing actions.
#[derive(Clone)]
pub struct PairingService {
    store: Arc<dyn PairingStore>,
    policy: ApprovalPolicy,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PairingService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl PairingService {
    pub fn new(
        store: Arc<dyn PairingStore>,
        policy: ApprovalPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            policy,
            clock,
        }
    }

    /// Requests an operator may still decide, oldest first: expired ones are left out.
    pub async fn pending(&self) -> Result<Vec<PendingPairing>, PairingError> {
        let now = self.clock.now();
        Ok(self
            .store
            .pending()
            .await?
            .into_iter()
            .filter(|r| self.policy.decidable(r.status, r.expires_at, now).is_ok())
            .map(|r| PendingPairing {
                phone_masked: r.phone.as_ref().map(PhoneNumber::masked),
                code: r.code,
                requested_at: r.requested_at,
                expires_at: r.expires_at,
            })
            .collect())
    }

    /// Approves `code`: the sender joins the allowlist (as with the token) and is told so.
    pub async fn approve(&self, code: &str, actor: &str) -> Result<PairingCode, PairingError> {
        self.decide(code, actor, RequestStatus::Approved).await
    }

    /// Rejects `code`: the request ends; the stranger is sent nothing (see the module docs).
    pub async fn reject(&self, code: &str, actor: &str) -> Result<PairingCode, PairingError> {
        self.decide(code, actor, RequestStatus::Rejected).await
    }

    async fn decide(
        &self,
        code: &str,
        actor: &str,
        status: RequestStatus,
    ) -> Result<PairingCode, PairingError> {
        let code = PairingCode::parse(code)?;
        let actor = actor_label(actor)?;
        let mut txn = self.store.begin().await?;
        let request = txn.request(&code).await?.ok_or(PairingError::Unknown)?;
        let now = self.clock.now();
        self.policy
            .decidable(request.status, request.expires_at, now)
            .map_err(|e| match e {
                Undecidable::Expired => PairingError::Expired,
                Undecidable::AlreadyDecided(s) => PairingError::AlreadyDecided(s),
            })?;
        let settlement = settlement(request, status, actor)?;
        txn.commit(settlement, now).await?;
        Ok(code)
    }
}

/// The writes of one decision: the audit names the actor and the code's first half only.
fn settlement(
    request: PairingRequest,
    status: RequestStatus,
    actor: &str,
) -> Result<Settlement, PairingError> {
    let PairingRequest {
        code,
        sender,
        phone,
        provider,
        ..
    } = request;
    let detail = || {
        Detail::new()
            .with("code_prefix", code.prefix())
            .with("actor", actor)
    };
    let event = |kind, detail| AuditEvent {
        kind,
        sender: Some(sender.clone()),
        detail,
    };
    let mut audit = Vec::new();
    let mut reply = None;
    if status == RequestStatus::Approved {
        let to = phone.ok_or(PairingStoreError::Corrupt("pairing request phone"))?;
        let key = pairing_reply_key(&code);
        audit.push(event(EventKind::PairingApproved, detail()));
        audit.push(event(
            EventKind::AllowlistAdded,
            Detail::new().with("source", "approval"),
        ));
        audit.push(enqueued_event(Some(sender.clone()), &key, provider));
        reply = Some(OutboxMessage {
            key,
            provider,
            sender: Some(sender.clone()),
            to,
            body: ReplyText::PAIRED.to_owned(),
        });
    } else {
        audit.push(event(EventKind::PairingRejected, detail()));
    }
    Ok(Settlement {
        allowlist: status == RequestStatus::Approved,
        code,
        sender,
        status,
        decided_by: actor.to_owned(),
        reply,
        audit,
    })
}

/// Who acted, as recorded: a short printable label the caller chose, never free text.
fn actor_label(actor: &str) -> Result<&str, PairingError> {
    let ok = (1..=64).contains(&actor.len()) && actor.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(actor).ok_or(PairingError::InvalidActor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const NOW: UnixMillis = UnixMillis(1_800_000_000_000);
    const HOUR: i64 = 3_600_000;

    struct Fixed;
    impl Clock for Fixed {
        fn now(&self) -> UnixMillis {
            NOW
        }
    }

    /// An in-memory store: the requests, and what each commit wrote.
    #[derive(Default)]
    struct Memory {
        requests: Mutex<Vec<PairingRequest>>,
        commits: Mutex<Vec<Settlement>>,
    }

    struct MemoryTxn(Arc<Memory>);

    #[async_trait]
    impl PairingStore for Arc<Memory> {
        async fn pending(&self) -> Result<Vec<PairingRequest>, PairingStoreError> {
            Ok(self.requests.lock().unwrap().clone())
        }
        async fn begin(&self) -> Result<Box<dyn PairingTxn>, PairingStoreError> {
            Ok(Box::new(MemoryTxn(self.clone())))
        }
    }

    #[async_trait]
    impl PairingTxn for MemoryTxn {
        async fn request(
            &mut self,
            code: &PairingCode,
        ) -> Result<Option<PairingRequest>, PairingStoreError> {
            Ok(self
                .0
                .requests
                .lock()
                .unwrap()
                .iter()
                .find(|r| &r.code == code)
                .cloned())
        }
        async fn commit(
            self: Box<Self>,
            s: Settlement,
            _now: UnixMillis,
        ) -> Result<(), PairingStoreError> {
            for r in self.0.requests.lock().unwrap().iter_mut() {
                if r.code == s.code {
                    r.status = s.status;
                    r.phone = None;
                }
            }
            self.0.commits.lock().unwrap().push(s);
            Ok(())
        }
    }

    fn request(code: &str, expires_at: UnixMillis) -> PairingRequest {
        PairingRequest {
            code: PairingCode::parse(code).unwrap(),
            sender: SenderId::from_hex("0123456789abcdef0fedcba987654321").unwrap(),
            phone: Some(PhoneNumber::parse("+61491570156").unwrap()),
            provider: Provider::Meta,
            status: RequestStatus::Pending,
            requested_at: expires_at.plus_ms(-HOUR),
            expires_at,
        }
    }

    fn service(requests: Vec<PairingRequest>) -> (PairingService, Arc<Memory>) {
        let memory = Arc::new(Memory {
            requests: Mutex::new(requests),
            commits: Mutex::default(),
        });
        let service = PairingService::new(
            Arc::new(memory.clone()),
            ApprovalPolicy::default(),
            Arc::new(Fixed),
        );
        (service, memory)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The fakes never wait: one poll finishes every future.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("a fake future waited"),
        }
    }

    #[test]
    fn approval_allowlists_the_sender_and_replies_paired_under_a_key_of_the_code() {
        let (svc, memory) = service(vec![request("K7Q3-M2XP", NOW.plus_ms(1))]);
        let code = block_on(svc.approve("k7q3m2xp", "cli")).unwrap();
        assert_eq!(code.as_str(), "K7Q3M2XP");
        let commits = memory.commits.lock().unwrap();
        let s = &commits[0];
        assert!(s.allowlist);
        assert_eq!(s.status, RequestStatus::Approved);
        assert_eq!(s.decided_by, "cli");
        let reply = s.reply.as_ref().unwrap();
        assert_eq!(reply.body, ReplyText::PAIRED);
        assert_eq!(reply.to.as_e164(), "+61491570156");
        assert_eq!(reply.provider, Provider::Meta);
        assert_eq!(reply.key, pairing_reply_key(&code));
        let kinds: Vec<_> = s.audit.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::PairingApproved,
                EventKind::AllowlistAdded,
                EventKind::OutboxEnqueued
            ]
        );
        let detail = s.audit[0].detail.to_string();
        assert!(
            detail.contains("cli") && detail.contains("K7Q3"),
            "{detail}"
        );
        assert!(
            !detail.contains("M2XP") && !detail.contains("91570156"),
            "{detail}"
        );
    }

    #[test]
    fn rejection_sends_the_stranger_nothing() {
        let (svc, memory) = service(vec![request("K7Q3-M2XP", NOW.plus_ms(HOUR))]);
        block_on(svc.reject("K7Q3-M2XP", "operator:7")).unwrap();
        let commits = memory.commits.lock().unwrap();
        assert!(!commits[0].allowlist);
        assert_eq!(commits[0].reply, None);
        assert_eq!(commits[0].audit.len(), 1);
        assert_eq!(commits[0].audit[0].kind, EventKind::PairingRejected);
    }

    #[test]
    fn expired_unknown_and_decided_codes_cannot_be_decided() {
        let (svc, memory) = service(vec![request("K7Q3-M2XP", NOW)]);
        assert!(matches!(
            block_on(svc.approve("K7Q3-M2XP", "cli")),
            Err(PairingError::Expired)
        ));
        assert!(matches!(
            block_on(svc.approve("K7Q3-M2XQ", "cli")),
            Err(PairingError::Unknown)
        ));
        assert!(matches!(
            block_on(svc.approve("K7Q3-M2X", "cli")),
            Err(PairingError::InvalidCode(_))
        ));
        assert!(memory.commits.lock().unwrap().is_empty());

        let (svc, _) = service(vec![request("K7Q3-M2XP", NOW.plus_ms(1))]);
        block_on(svc.reject("K7Q3-M2XP", "cli")).unwrap();
        assert!(matches!(
            block_on(svc.approve("K7Q3-M2XP", "cli")),
            Err(PairingError::AlreadyDecided(RequestStatus::Rejected))
        ));
    }

    #[test]
    fn actor_label_is_short_and_printable() {
        let (svc, _) = service(vec![request("K7Q3-M2XP", NOW.plus_ms(1))]);
        for bad in ["", "a b", "x\n", &"a".repeat(65)] {
            assert!(matches!(
                block_on(svc.reject("K7Q3-M2XP", bad)),
                Err(PairingError::InvalidActor)
            ));
        }
    }

    #[test]
    fn pending_list_masks_numbers_and_leaves_out_expired_codes() {
        let (svc, _) = service(vec![
            request("AAAA-AAAA", NOW),
            request("BBBB-BBBB", NOW.plus_ms(1)),
        ]);
        let pending = block_on(svc.pending()).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].code.as_str(), "BBBBBBBB");
        let masked = pending[0].phone_masked.clone().unwrap();
        assert!(!masked.contains("91570156"), "{masked}");
    }
}
