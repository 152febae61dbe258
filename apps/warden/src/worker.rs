//! Runs outbox delivery passes in the background: right after a message is enqueued, and on a
//! short tick for retries that come due and leases that run out.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tracing::field::Empty;
use tracing::Instrument as _;
use warden_delivery::{
    deliver_due, MessageSender, OutboundMessage, OutboxError, OutboxStore, PassConfig, PassReport,
    SendError, Senders, SentMessage,
};
use warden_types::Clock;
use warden_types::Provider;

use crate::telemetry::OUTBOX_PASS_SPAN;

/// How often the worker looks for due retries when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
/// How long shutdown waits for a pass in flight (its sends are bounded by their timeouts).
const DRAIN: Duration = Duration::from_secs(15);

/// The delivery worker's wake-up: committing writers tell it that messages wait.
#[derive(Debug, Clone)]
pub struct NotifyWake(pub Arc<Notify>);

impl warden_delivery::DeliveryWake for NotifyWake {
    fn wake(&self) {
        self.0.notify_one();
    }
}

/// One delivery pass over the outbox, as the worker runs it on its tick and tests run it on
/// demand (instead of waiting for the tick).
pub struct Delivery {
    outbox: Arc<dyn OutboxStore>,
    senders: Senders,
    config: PassConfig,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        senders: Senders,
        config: PassConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            outbox,
            senders: traced(senders),
            config,
            clock,
        }
    }

    /// Claims what is due on the clock, sends it, records every result.
    pub async fn pass(&self) -> Result<PassReport, OutboxError> {
        let pass = tracing::info_span!(
            OUTBOX_PASS_SPAN,
            claimed = Empty,
            sent = Empty,
            retried = Empty,
            failed = Empty,
        );
        let now = || self.clock.now();
        let jitter = || rand::random::<f64>();
        let result = deliver_due(&*self.outbox, &self.senders, &self.config, &now, &jitter)
            .instrument(pass.clone())
            .await;
        if let Ok(report) = &result {
            pass.record("claimed", report.claimed);
            pass.record("sent", report.sent);
            pass.record("retried", report.retried);
            pass.record("failed", report.failed);
            if report.claimed > 0 {
                tracing::debug!(
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    "outbox pass"
                );
            }
        }
        result
    }
}

#[derive(Debug)]
pub struct Worker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Worker {
    pub fn start(delivery: Arc<Delivery>, wake: Arc<Notify>) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                let full = match delivery.pass().await {
                    Ok(report) => {
                        u32::try_from(report.claimed).unwrap_or(u32::MAX) >= delivery.config.batch
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox pass failed; will retry");
                        false
                    }
                };
                // A full batch means more may be waiting: go again at once.
                if full && stopped.try_recv().is_err() {
                    continue;
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(TICK) => {}
                }
            }
        });
        Self { stop, task }
    }

    /// Finishes the pass in flight (bounded), then stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(DRAIN, self.task).await.is_err() {
            tracing::warn!("outbox worker still busy after shutdown; its leases will expire");
        }
    }
}

/// Gives every send a span of its own: provider and outcome (`sent`, `retryable`, `permanent`)
/// with the sender's reason code, never the recipient or the text.
fn traced(senders: Senders) -> Senders {
    senders
        .into_iter()
        .map(|(provider, inner)| {
            let sender: Arc<dyn MessageSender> = Arc::new(TracedSender { provider, inner });
            (provider, sender)
        })
        .collect()
}

struct TracedSender {
    provider: Provider,
    inner: Arc<dyn MessageSender>,
}

#[async_trait]
impl MessageSender for TracedSender {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    async fn send(&self, msg: &OutboundMessage) -> Result<SentMessage, SendError> {
        let span = tracing::info_span!(
            "send",
            provider = self.provider.as_str(),
            outcome = Empty,
            reason = Empty,
        );
        let result = self.inner.send(msg).instrument(span.clone()).await;
        match &result {
            Ok(_) => span.record("outcome", "sent"),
            Err(e @ SendError::Retryable { .. }) => span
                .record("outcome", "retryable")
                .record("reason", e.reason()),
            Err(e @ SendError::Permanent { .. }) => span
                .record("outcome", "permanent")
                .record("reason", e.reason()),
        };
        result
    }
}
