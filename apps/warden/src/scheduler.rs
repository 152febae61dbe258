//! Plans the concierge marketplace's next outreach batches: every [`TICK`] the scheduler asks
//! the store for requests whose next batch is due by the (injected) clock, so tests drive it by
//! moving a manual clock.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warden_assistant::marketplace::MarketService;

/// How often the scheduler looks for due batches. A look with nothing due is one indexed read.
pub const TICK: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub struct Scheduler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Scheduler {
    /// The marketplace wakes the delivery worker itself when a tick enqueued messages.
    pub fn start(market: MarketService) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                match market.tick().await {
                    Ok(report) if report.enqueued > 0 => {
                        tracing::debug!(
                            requests = report.requests,
                            enqueued = report.enqueued,
                            "outreach batches planned"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "outreach planning failed; will retry"),
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(TICK) => {}
                }
            }
        });
        Self { stop, task }
    }

    /// Finishes the tick in flight, then stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            tracing::warn!("outreach scheduler still busy after shutdown");
        }
    }
}
