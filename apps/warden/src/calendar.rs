//! The calendar worker: every [`TICK`] it claims due calendar jobs (reminders to create,
//! events to delete), calls Google Calendar and settles them with their audit event and the
//! user's reply in the outbox, then wakes the delivery worker.

use std::sync::Arc;
use std::time::Duration;

use warden_calendar::jobs::{run_due, JobPassConfig, JobPassReport, JobStore, JobStoreError};
use warden_calendar::Calendar;
use warden_delivery::DeliveryWake;
use warden_types::Clock;

use crate::periodic::{InFlight, Periodic};

/// How often the worker looks for due jobs. A look with nothing due is one indexed read.
pub const TICK: Duration = Duration::from_millis(250);

/// One pass over the calendar jobs, as the worker runs it on its tick and tests run it on
/// demand.
pub struct CalendarWork {
    jobs: Arc<dyn JobStore>,
    calendar: Arc<dyn Calendar>,
    config: JobPassConfig,
    clock: Arc<dyn Clock>,
    wake: Arc<dyn DeliveryWake>,
}

impl std::fmt::Debug for CalendarWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarWork")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CalendarWork {
    pub fn new(
        jobs: Arc<dyn JobStore>,
        calendar: Arc<dyn Calendar>,
        config: JobPassConfig,
        clock: Arc<dyn Clock>,
        wake: Arc<dyn DeliveryWake>,
    ) -> Self {
        Self {
            jobs,
            calendar,
            config,
            clock,
            wake,
        }
    }

    /// Claims what is due on the clock, calls the calendar, records every result; wakes the
    /// delivery worker when a reply was enqueued.
    pub async fn pass(&self) -> Result<JobPassReport, JobStoreError> {
        let now = || self.clock.now();
        let jitter = || rand::random::<f64>();
        let report = run_due(&*self.jobs, &*self.calendar, &self.config, &now, &jitter).await?;
        if report.done + report.failed > 0 {
            self.wake.wake();
        }
        if report.claimed > 0 {
            tracing::debug!(
                claimed = report.claimed,
                done = report.done,
                retried = report.retried,
                failed = report.failed,
                "calendar pass"
            );
        }
        Ok(report)
    }
}

/// Starts the worker; shutdown finishes the pass in flight (its calls are bounded by the
/// adapter's timeout, and an abandoned call would only be repeated under the same event id).
pub fn start(work: Arc<CalendarWork>) -> Periodic {
    Periodic::start("calendar worker", TICK, InFlight::Finish, move || {
        let work = work.clone();
        async move {
            if let Err(e) = work.pass().await {
                tracing::warn!(error = %e, "calendar pass failed; will retry");
            }
        }
    })
}
