//! Plans the concierge marketplace's next outreach batches: every [`TICK`] the scheduler asks
//! the store for requests whose next batch is due by the (injected) clock, so tests drive it by
//! moving a manual clock.

use std::time::Duration;

use warden_assistant::marketplace::MarketService;

use crate::periodic::{InFlight, Periodic};

/// How often the scheduler looks for due batches. A look with nothing due is one indexed read.
pub const TICK: Duration = Duration::from_millis(250);

/// Starts the scheduler; shutdown finishes the tick in flight. The marketplace wakes the
/// delivery worker itself when a tick enqueued messages.
pub fn start(market: MarketService) -> Periodic {
    Periodic::start("outreach scheduler", TICK, InFlight::Finish, move || {
        let market = market.clone();
        async move {
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
        }
    })
}
