//! The retention job: every interval, one pass of the retention policy (see
//! `warden_privacy::RetentionPolicy`), audited `retention.pruned` when it pruned anything.
//! Several instances may run it: each pass takes the audit chain's lock, so passes never
//! overlap, and a pass after another finds nothing left to prune.

use std::time::Duration;

use warden_privacy::PrivacyService;

use crate::periodic::{InFlight, Periodic};

/// A first pass right away (a gateway that restarts often still prunes), then one every
/// `interval`; shutdown abandons a pass in flight (its transaction rolls back).
pub fn start(privacy: PrivacyService, interval: Duration) -> Periodic {
    Periodic::start("retention job", interval, InFlight::Abandon, move || {
        let privacy = privacy.clone();
        async move {
            match privacy.prune().await {
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
            }
        }
    })
}
