//! Runs outbox delivery passes in the background: right after a message is enqueued, and on a
//! short tick for retries that come due and leases that run out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use warden_assistant::Clock;
use warden_outbound::{deliver_due, OutboxStore, PassConfig, Senders};

/// How often the worker looks for due retries when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
/// How long shutdown waits for a pass in flight (its sends are bounded by their timeouts).
const DRAIN: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct Worker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Worker {
    pub fn start(
        outbox: Arc<dyn OutboxStore>,
        senders: Senders,
        config: PassConfig,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
    ) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let now = || clock.now();
            let jitter = || rand::random::<f64>();
            loop {
                let full = match deliver_due(&*outbox, &senders, &config, &now, &jitter).await {
                    Ok(report) => {
                        if report.claimed > 0 {
                            tracing::debug!(
                                sent = report.sent,
                                retried = report.retried,
                                failed = report.failed,
                                "outbox pass"
                            );
                        }
                        u32::try_from(report.claimed).unwrap_or(u32::MAX) >= config.batch
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
