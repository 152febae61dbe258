//! The retention job: every interval, one pass of the retention policy (see
//! `warden_privacy::RetentionPolicy`), audited `retention.pruned` when it pruned anything.
//! Several instances may run it: each pass takes the audit chain's lock, so passes never
//! overlap, and a pass after another finds nothing left to prune.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warden_privacy::PrivacyService;

#[derive(Debug)]
pub struct RetentionJob {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RetentionJob {
    /// A first pass right away (a gateway that restarts often still prunes), then one every
    /// `interval`.
    pub fn start(privacy: PrivacyService, interval: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    result = privacy.prune() => match result {
                        Ok(p) if p.total() > 0 => tracing::info!(
                            done_tasks = p.done_tasks,
                            sent_outbox = p.sent_outbox,
                            replay_ids = p.replay_ids,
                            held_offers = p.held_offers,
                            closed_requests = p.closed_requests,
                            expired_consents = p.expired_consents,
                            "retention pass pruned old rows"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "retention pass failed; will retry"),
                    },
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
        });
        Self { stop, task }
    }

    /// Stops between passes; a pass in flight is abandoned (its transaction rolls back).
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            tracing::warn!("retention job still busy after shutdown");
        }
    }
}
