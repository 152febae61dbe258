//! A background job that runs one pass, sleeps, and runs again until the gateway shuts down:
//! the outreach scheduler and the retention job.

use std::future::Future;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What shutdown does to a pass that is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlight {
    /// Let it finish (short passes whose work should not be cut).
    Finish,
    /// Drop it at its next await (its transaction rolls back).
    Abandon,
}

/// How long shutdown waits for the task before leaving it.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Periodic {
    name: &'static str,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Periodic {
    /// A first pass at once, then one every `every` after the previous one ends.
    pub fn start<F, Fut>(
        name: &'static str,
        every: Duration,
        in_flight: InFlight,
        mut pass: F,
    ) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            loop {
                match in_flight {
                    InFlight::Finish => pass().await,
                    InFlight::Abandon => tokio::select! {
                        _ = &mut stopped => return,
                        () = pass() => {}
                    },
                }
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(every) => {}
                }
            }
        });
        Self { name, stop, task }
    }

    /// Stops between passes (or abandons the pass in flight, as started); waits up to 10 s.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(SHUTDOWN_WAIT, self.task)
            .await
            .is_err()
        {
            tracing::warn!("{} still busy after shutdown", self.name);
        }
    }
}
