//! The durable outbox, as a port, and one delivery pass over it.
//!
//! At-least-once: a message is claimed under a lease, sent, and its result recorded. A worker
//! that dies after claiming leaves the lease to expire and another pass sends it again; one
//! that dies after the provider accepted but before recording may send a second copy, which
//! providers that honour the idempotency key drop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use warden_types::{Provider, ProviderMessageId, UnixMillis};

use crate::{
    DeliveryStatus, MessageSender, OutboundMessage, RetryDecision, RetryPolicy, SendError,
};

/// A message a worker claimed and must now attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub provider: Provider,
    pub message: OutboundMessage,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    /// The claim's lease end, which identifies the claim: a result is recorded only while the
    /// message is still held under it.
    pub lease_until: UnixMillis,
}

/// What one attempt came to, for [`OutboxStore::record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Sent {
        id: i64,
        lease_until: UnixMillis,
        provider_id: ProviderMessageId,
    },
    Retry {
        id: i64,
        lease_until: UnixMillis,
        reason: String,
        at: UnixMillis,
    },
    Failed {
        id: i64,
        lease_until: UnixMillis,
        reason: String,
    },
}

impl AttemptResult {
    pub fn id(&self) -> i64 {
        match self {
            Self::Sent { id, .. } | Self::Retry { id, .. } | Self::Failed { id, .. } => *id,
        }
    }

    /// The claim this result belongs to.
    pub fn lease_until(&self) -> UnixMillis {
        match self {
            Self::Sent { lease_until, .. }
            | Self::Retry { lease_until, .. }
            | Self::Failed { lease_until, .. } => *lease_until,
        }
    }
}

/// What a provider status callback did to the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusApplied {
    /// The message's status moved (and was audited).
    Moved {
        from: DeliveryStatus,
        to: DeliveryStatus,
    },
    /// Already at or past the reported status: nothing written.
    Unchanged,
    /// No outbox message has that provider id (not sent by Warden, or sent by another system).
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Nothing was written; try again later.
    #[error("the outbox store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Durable outbox storage. Messages enter it inside the transaction that decided to send
/// them (the store's ledger); this port covers what happens afterwards.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// MUST atomically take up to `limit` messages that are pending, due at `now` and not under
    /// another worker's lease, lease them until `now + lease`, and count the attempt. Two
    /// callers (also in two processes on one database) MUST never hold the same message.
    async fn claim_due(
        &self,
        now: UnixMillis,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Claimed>, OutboxError>;

    /// MUST record every result and audit it in one transaction, and release the leases. A
    /// result whose claim is no longer current (its lease ran out and another worker claimed
    /// the message, or the message was settled) MUST be dropped.
    /// `Sent` MUST clear the stored recipient and body (they are no longer needed).
    async fn record(&self, results: Vec<AttemptResult>, now: UnixMillis)
        -> Result<(), OutboxError>;

    /// MUST move the status of the message with this provider id forward only
    /// ([`DeliveryStatus::advance`]) and audit the move.
    async fn apply_status(
        &self,
        provider: Provider,
        provider_id: &ProviderMessageId,
        reported: DeliveryStatus,
        error_code: Option<i64>,
        now: UnixMillis,
    ) -> Result<StatusApplied, OutboxError>;
}

/// Counts from one [`deliver_due`] pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// The senders a pass can use, by provider. A message for a provider with no sender is
/// retried later (the channel may be enabled after a restart), not dropped.
pub type Senders = HashMap<Provider, Arc<dyn MessageSender>>;

/// How a pass is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassConfig {
    pub batch: u32,
    /// Longer than a send can take (the senders' timeouts), so a lease never expires under a
    /// live attempt.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

impl Default for PassConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            lease: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Claims due messages, sends them concurrently, records every result in one transaction.
/// `now` and `jitter` are injected so that the pass stays deterministic under test.
pub async fn deliver_due(
    store: &dyn OutboxStore,
    senders: &Senders,
    config: &PassConfig,
    now: &(dyn Fn() -> UnixMillis + Sync),
    jitter: &(dyn Fn() -> f64 + Sync),
) -> Result<PassReport, OutboxError> {
    let claimed = store.claim_due(now(), config.lease, config.batch).await?;
    let mut report = PassReport {
        claimed: claimed.len(),
        ..PassReport::default()
    };
    if claimed.is_empty() {
        return Ok(report);
    }
    let attempts = claimed.iter().map(|c| async move {
        let outcome = match senders.get(&c.provider) {
            Some(sender) => sender.send(&c.message).await,
            None => Err(SendError::Retryable {
                reason: "channel_disabled".into(),
                retry_after: None,
            }),
        };
        (c, outcome)
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let at = now();
    let results = outcomes
        .into_iter()
        .map(|(c, outcome)| match outcome {
            Ok(sent) => {
                report.sent += 1;
                AttemptResult::Sent {
                    id: c.id,
                    lease_until: c.lease_until,
                    provider_id: sent.provider_id,
                }
            }
            Err(e) => match config.retry.after_failure(c.attempts, &e, jitter()) {
                RetryDecision::RetryAfter(delay) => {
                    report.retried += 1;
                    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                    AttemptResult::Retry {
                        id: c.id,
                        lease_until: c.lease_until,
                        reason: e.reason().to_owned(),
                        at: UnixMillis(at.as_i64().saturating_add(delay_ms)),
                    }
                }
                RetryDecision::GiveUp => {
                    report.failed += 1;
                    AttemptResult::Failed {
                        id: c.id,
                        lease_until: c.lease_until,
                        reason: e.reason().to_owned(),
                    }
                }
            },
        })
        .collect();
    store.record(results, at).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{IdempotencyKey, SentMessage};
    use warden_types::{MessageBody, PhoneNumber};

    fn claimed(id: i64, provider: Provider, attempts: u32) -> Claimed {
        Claimed {
            id,
            provider,
            message: OutboundMessage {
                to: PhoneNumber::parse("+14155550123").expect("valid"),
                body: MessageBody::new("hi"),
                idempotency_key: IdempotencyKey::new(format!("k{id}")).expect("valid"),
            },
            attempts,
            lease_until: UnixMillis(61_000),
        }
    }

    #[derive(Default)]
    struct FakeStore {
        due: Mutex<Vec<Claimed>>,
        recorded: Mutex<Vec<AttemptResult>>,
    }

    #[async_trait]
    impl OutboxStore for FakeStore {
        async fn claim_due(
            &self,
            _: UnixMillis,
            _: Duration,
            limit: u32,
        ) -> Result<Vec<Claimed>, OutboxError> {
            let mut due = self.due.lock().expect("lock");
            let n = due.len().min(limit as usize);
            Ok(due.drain(..n).collect())
        }
        async fn record(
            &self,
            results: Vec<AttemptResult>,
            _: UnixMillis,
        ) -> Result<(), OutboxError> {
            self.recorded.lock().expect("lock").extend(results);
            Ok(())
        }
        async fn apply_status(
            &self,
            _: Provider,
            _: &ProviderMessageId,
            _: DeliveryStatus,
            _: Option<i64>,
            _: UnixMillis,
        ) -> Result<StatusApplied, OutboxError> {
            Ok(StatusApplied::Unknown)
        }
    }

    /// Answers from a script, one entry per call.
    struct ScriptedSender(Mutex<Vec<Result<SentMessage, SendError>>>);

    #[async_trait]
    impl MessageSender for ScriptedSender {
        fn provider(&self) -> Provider {
            Provider::Meta
        }
        async fn send(&self, _: &OutboundMessage) -> Result<SentMessage, SendError> {
            self.0.lock().expect("lock").remove(0)
        }
    }

    fn senders(script: Vec<Result<SentMessage, SendError>>) -> Senders {
        let mut s = Senders::new();
        s.insert(
            Provider::Meta,
            Arc::new(ScriptedSender(Mutex::new(script))) as Arc<dyn MessageSender>,
        );
        s
    }

    async fn pass(store: &FakeStore, senders: &Senders) -> PassReport {
        deliver_due(
            store,
            senders,
            &PassConfig::default(),
            &|| UnixMillis(1_000),
            &|| 0.0,
        )
        .await
        .expect("pass")
    }

    #[tokio::test]
    async fn an_accepted_message_is_recorded_sent_with_the_provider_id() {
        let store = FakeStore::default();
        store
            .due
            .lock()
            .expect("lock")
            .push(claimed(1, Provider::Meta, 1));
        let id = ProviderMessageId::new("wamid.X").expect("valid");
        let report = pass(
            &store,
            &senders(vec![Ok(SentMessage {
                provider_id: id.clone(),
            })]),
        )
        .await;
        assert_eq!(
            report,
            PassReport {
                claimed: 1,
                sent: 1,
                retried: 0,
                failed: 0
            }
        );
        assert_eq!(
            *store.recorded.lock().expect("lock"),
            vec![AttemptResult::Sent {
                id: 1,
                lease_until: UnixMillis(61_000),
                provider_id: id
            }]
        );
    }

    #[tokio::test]
    async fn a_provider_outage_schedules_a_retry_with_backoff_not_a_loss() {
        let store = FakeStore::default();
        store
            .due
            .lock()
            .expect("lock")
            .push(claimed(1, Provider::Meta, 1));
        let err = SendError::Retryable {
            reason: "http_503".into(),
            retry_after: None,
        };
        pass(&store, &senders(vec![Err(err)])).await;
        let recorded = store.recorded.lock().expect("lock");
        let [AttemptResult::Retry { at, reason, .. }] = recorded.as_slice() else {
            panic!("{recorded:?}")
        };
        assert_eq!(reason, "http_503");
        assert_eq!(
            at.as_i64(),
            1_000 + 250,
            "half the 500 ms base with zero jitter"
        );
    }

    #[tokio::test]
    async fn a_rejected_message_fails_permanently_and_is_not_retried() {
        let store = FakeStore::default();
        store
            .due
            .lock()
            .expect("lock")
            .push(claimed(1, Provider::Meta, 1));
        let err = SendError::Permanent {
            reason: "http_400_code_131026".into(),
        };
        let report = pass(&store, &senders(vec![Err(err)])).await;
        assert_eq!(report.failed, 1);
        assert!(matches!(
            store.recorded.lock().expect("lock")[0],
            AttemptResult::Failed { .. }
        ));
    }

    #[tokio::test]
    async fn a_message_for_a_disabled_channel_waits_instead_of_being_dropped() {
        let store = FakeStore::default();
        store
            .due
            .lock()
            .expect("lock")
            .push(claimed(1, Provider::Twilio, 1));
        let report = pass(&store, &senders(vec![])).await;
        assert_eq!(report.retried, 1);
    }

    #[tokio::test]
    async fn an_idle_outbox_records_nothing() {
        let store = FakeStore::default();
        assert_eq!(pass(&store, &senders(vec![])).await, PassReport::default());
        assert!(store.recorded.lock().expect("lock").is_empty());
    }
}
