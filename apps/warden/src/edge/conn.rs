//! One client connection's clock: which phase it is in and when that phase must end.
//!
//! hyper has one timer for "waiting for a request head", and starts it both when a connection
//! opens and when a response was sent, so an idle keep-alive connection and a slow header share
//! one deadline. Warden keeps two, like Go's `ReadHeaderTimeout`/`IdleTimeout`:
//!
//! - **idle**: no request in flight and no byte of the next one read yet; ends after the idle
//!   timeout from the later of the last response and the last byte moved (so a client that
//!   stops reading its response is also dropped);
//! - **head**: the first byte of a request head arrived; the whole head must follow within the
//!   header timeout, however slowly the bytes trickle;
//! - **busy**: a handler is running; the router's request timeout bounds it.
//!
//! The IO wrapper sees bytes move, the service wrapper sees requests start and end; a watchdog
//! per connection closes it when its phase's deadline passes.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;
use tower_service::Service as _;

/// No head has started.
const NONE: u64 = u64::MAX;

/// Milliseconds since the edge started: a shared, cheap, monotonic timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Epoch(Instant);

impl Epoch {
    pub fn new() -> Self {
        Self(Instant::now())
    }

    pub fn now_ms(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(self, ms: u64) -> Instant {
        self.0 + Duration::from_millis(ms)
    }
}

impl Default for Epoch {
    fn default() -> Self {
        Self::new()
    }
}

/// What one connection is doing, updated from its IO and its service.
#[derive(Debug)]
pub struct ConnState {
    epoch: Epoch,
    in_flight: AtomicU32,
    /// When the first byte of the pending request head was read; [`NONE`] if none was.
    head_started: AtomicU64,
    /// When the connection opened or its last response was handed to hyper.
    idle_since: AtomicU64,
    /// When a byte was last read or written.
    last_io: AtomicU64,
    /// Wakes the watchdog when the phase changes, so a new phase's (earlier) deadline counts.
    changed: Notify,
}

/// Where a connection is in its life, for the watchdog and for eviction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a request since `since` (ms).
    Idle { since: u64 },
    /// Reading a request head that started at `since` (ms).
    Head { since: u64 },
    /// A handler is running.
    Busy,
}

impl ConnState {
    pub fn new(epoch: Epoch) -> Self {
        let now = epoch.now_ms();
        Self {
            epoch,
            in_flight: AtomicU32::new(0),
            head_started: AtomicU64::new(NONE),
            idle_since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            changed: Notify::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Phase::Busy;
        }
        match self.head_started.load(Ordering::Acquire) {
            NONE => Phase::Idle {
                since: self
                    .idle_since
                    .load(Ordering::Acquire)
                    .max(self.last_io.load(Ordering::Acquire)),
            },
            since => Phase::Head { since },
        }
    }

    /// Since when the connection has been waiting for a request (idle or mid-head); `None`
    /// while a handler runs. Eviction picks the longest waiter.
    pub fn waiting_since(&self) -> Option<u64> {
        match self.phase() {
            Phase::Busy => None,
            Phase::Head { since } => Some(since),
            Phase::Idle { .. } => Some(self.idle_since.load(Ordering::Acquire)),
        }
    }

    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let now = self.epoch.now_ms();
        self.last_io.store(now, Ordering::Release);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            // Only the first byte of a head starts its clock.
            let started = self
                .head_started
                .compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if started {
                self.changed.notify_one();
            }
        }
    }

    fn wrote(&self, n: usize) {
        if n > 0 {
            self.last_io.store(self.epoch.now_ms(), Ordering::Release);
        }
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NONE, Ordering::Release);
        self.changed.notify_one();
    }

    fn request_ended(&self) {
        self.idle_since
            .store(self.epoch.now_ms(), Ordering::Release);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.changed.notify_one();
    }
}

/// Resolves when the connection has overstayed its phase: idle past `idle`, or a head not
/// complete `header` after its first byte. Woken by phase changes; busy connections are also
/// looked at again every `min(header, idle)`.
pub async fn watchdog(state: Arc<ConnState>, header: Duration, idle: Duration) {
    let recheck = header.min(idle);
    loop {
        let deadline = match state.phase() {
            Phase::Idle { since } => Some(state.epoch.at(since) + idle),
            Phase::Head { since } => Some(state.epoch.at(since) + header),
            Phase::Busy => None,
        };
        let wake = match deadline {
            Some(at) if at <= Instant::now() => return,
            Some(at) => at,
            None => Instant::now() + recheck,
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = state.changed.notified() => {}
        }
    }
}

/// The socket, reporting every byte moved to the connection's state.
#[derive(Debug)]
pub struct Tracked<T> {
    inner: T,
    state: Arc<ConnState>,
}

impl<T> Tracked<T> {
    pub fn new(inner: T, state: Arc<ConnState>) -> Self {
        Self { inner, state }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.state.read(buf.filled().len().saturating_sub(before));
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.state.wrote(n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            self.state.wrote(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router as hyper calls it on one connection: adds the peer address (handlers rate-limit
/// failed authentications by it) and marks the request in flight until its response is ready.
#[derive(Debug, Clone)]
pub struct ConnService {
    app: Router,
    peer: SocketAddr,
    state: Arc<ConnState>,
}

impl ConnService {
    pub fn new(app: Router, peer: SocketAddr, state: Arc<ConnState>) -> Self {
        Self { app, peer, state }
    }
}

/// Ends the busy phase however the handler's future ends (completed, or dropped with the
/// connection).
struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        self.state.request_started();
        let in_flight = InFlight(self.state.clone());
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // Router is always ready: `poll_ready` need not be awaited.
        let response = self.app.clone().call(req);
        Box::pin(async move {
            let response = response.await;
            drop(in_flight);
            response
        })
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// A handler started on this connection.
    pub fn start_request(state: &super::ConnState) {
        state.request_started();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_slow_head_gets_the_header_timeout_not_the_idle_one() {
        let state = Arc::new(ConnState::new(Epoch::new()));
        let dog = tokio::spawn(watchdog(
            state.clone(),
            Duration::from_secs(10),
            Duration::from_secs(60),
        ));
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!dog.is_finished(), "idle for 30 s of 60");
        state.read(1);
        assert!(matches!(state.phase(), Phase::Head { .. }));
        // A byte every 2 s does not extend the head's deadline.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            state.read(1);
        }
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(dog.is_finished(), "head not done 10 s after its first byte");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_restarts_after_each_response() {
        let state = Arc::new(ConnState::new(Epoch::new()));
        let dog = tokio::spawn(watchdog(
            state.clone(),
            Duration::from_secs(10),
            Duration::from_secs(60),
        ));
        tokio::time::sleep(Duration::from_secs(5)).await;
        state.read(100);
        state.request_started();
        assert_eq!(state.phase(), Phase::Busy);
        // A handler's own time is not idle time.
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert!(!dog.is_finished());
        state.request_ended();
        assert!(matches!(state.phase(), Phase::Idle { .. }));
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert!(!dog.is_finished());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(dog.is_finished(), "idle past 60 s after the response");
    }

    #[tokio::test(start_paused = true)]
    async fn busy_connections_are_not_evictable_and_waiters_are_ordered() {
        let epoch = Epoch::new();
        let old = ConnState::new(epoch);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let new = ConnState::new(epoch);
        assert!(old.waiting_since() < new.waiting_since());
        new.request_started();
        assert_eq!(new.waiting_since(), None);
    }
}
