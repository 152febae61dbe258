//! The public edge: the accept loop every listener uses, with the limits that keep one client
//! from taking the port down without sending a valid request.
//!
//! [`serve`] takes a listener, a router and [`EdgeLimits`], and applies, per connection:
//! a header-read timeout and a keep-alive idle timeout ([`conn`]), a cap per client address
//! and a global cap below the descriptor limit with a budget kept for health probes
//! ([`caps`], [`rlimit`]), and, per request, the framing rules of [`rules`] (`Host`, `Expect`,
//! a declared `Content-Length` over the body limit). HTTP/1.1 only, as before.
//!
//! A second listener (the operator plane's admin port) gets the same edge by calling
//! [`serve`] with its own router and limits; each call keeps its own caps.

mod caps;
mod conn;
pub mod rlimit;
pub mod rules;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use caps::{Admission, Registry, Ticket};

/// `WARDEN_HEADER_TIMEOUT_SECS`: a request head must be complete this long after its first byte.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// `WARDEN_IDLE_TIMEOUT_SECS`: a connection waiting for a request is closed after this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// `WARDEN_MAX_CONNECTIONS_PER_IP`: connections one client address (IPv6: one /64) may hold.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Connections kept beyond the global cap for health probes, when no held connection can make
/// room. Counted in [`rlimit::RESERVED_DESCRIPTORS`].
pub const HEALTH_BUDGET: usize = 16;
/// What a connection from the health budget may ask.
pub const HEALTH_PATHS: [&str; 2] = ["/healthz", "/readyz"];
/// A health-budget connection gets one request, and this long to send it.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest request head (request line and headers); beyond it: 431. Providers send a few
/// KiB.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// hyper's read buffer per connection: bounds memory at about `max_connections × 64 KiB`
/// however slowly headers arrive (a head still incomplete at this size is 431 too).
pub const MAX_BUF_BYTES: usize = 64 * 1024;
/// After a failed `accept` (descriptors exhausted), wait this long before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Shed connections are logged as a count at most this often.
const SHED_LOG_EVERY: Duration = Duration::from_secs(10);

/// The limits of one listener. Settings with defaults; see README's configuration table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    /// `None`: derived from `RLIMIT_NOFILE` at start. A configured cap above what the
    /// descriptors allow is lowered to it.
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: usize,
    /// A declared `Content-Length` above this is refused with 413 before the body is read.
    pub max_body_bytes: usize,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: None,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` resolves, then stops accepting,
/// lets requests in flight finish and returns once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: EdgeLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let descriptors = rlimit::raise_soft_limit();
    let budget = rlimit::connection_budget(descriptors.soft);
    let cap = rlimit::connection_cap(limits.max_connections, budget);
    if limits.max_connections.is_some_and(|n| n > cap) {
        tracing::warn!(
            max_connections = cap,
            descriptors = descriptors.soft,
            "WARDEN_MAX_CONNECTIONS is above what the descriptor limit allows; lowered"
        );
    }
    tracing::info!(
        max_connections = cap,
        max_connections_per_ip = limits.max_connections_per_ip,
        header_timeout_secs = limits.header_timeout.as_secs(),
        idle_timeout_secs = limits.idle_timeout.as_secs(),
        descriptors = descriptors.soft,
        descriptors_raised_from = descriptors.raised_from,
        "edge limits"
    );
    let app = app.layer(axum::middleware::from_fn_with_state(
        limits.max_body_bytes,
        rules::enforce,
    ));
    let full = Kind {
        app: app.clone(),
        http: http1_builder(limits.header_timeout, limits.idle_timeout, true),
        header_timeout: limits.header_timeout,
        idle_timeout: limits.idle_timeout,
    };
    let probe_timeout = HEALTH_TIMEOUT.min(limits.header_timeout);
    let health = Kind {
        app: app.layer(axum::middleware::from_fn(health_only)),
        http: http1_builder(probe_timeout, probe_timeout, false),
        header_timeout: probe_timeout,
        idle_timeout: probe_timeout,
    };
    let registry = Registry::new(cap, limits.max_connections_per_ip, HEALTH_BUDGET);
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut shed = ShedLog::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e, &mut shed).await;
                    continue;
                }
            },
        };
        // Connections made to close still hold their descriptors until their tasks run: let
        // them, before taking more (new ones wait in the listen backlog meanwhile).
        registry.wait_for_closes().await;
        let (kind, ticket) = match registry.admit(peer.ip()) {
            Admission::Full(ticket) => (&full, ticket),
            Admission::Health(ticket) => (&health, ticket),
            Admission::Refused(why) => {
                // Closed at once: no byte read, no task, no buffer.
                drop(stream);
                shed.record(why, registry.held());
                continue;
            }
        };
        connections.spawn(connection(stream, peer, kind.clone(), ticket, stop.clone()));
    }
    drop(listener);
    stop.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// How one class of connection is served.
#[derive(Debug, Clone)]
struct Kind {
    app: Router,
    http: http1::Builder,
    header_timeout: Duration,
    idle_timeout: Duration,
}

fn http1_builder(header: Duration, idle: Duration, keep_alive: bool) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // The watchdog enforces each phase exactly; hyper's own timer is the backstop.
        .header_read_timeout(header + idle)
        .max_buf_size(MAX_BUF_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        .keep_alive(keep_alive);
    http
}

/// Serves one connection until it ends, overstays its phase, is chosen to make room, or the
/// server stops (then the request in flight finishes and the connection closes).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    kind: Kind,
    ticket: Ticket,
    stop: CancellationToken,
) {
    let state = ticket.state.clone();
    let mut watchdog = std::pin::pin!(conn::watchdog(
        state.clone(),
        kind.header_timeout,
        kind.idle_timeout
    ));
    // A connection that has not sent a byte gets no read buffer yet (hyper allocates and
    // touches 8 KiB on its first read): thousands of silent sockets then cost little more than
    // a task. `peek`, not `readable`, which may report a fresh socket ready before any data.
    let mut first = [0u8; 1];
    tokio::select! {
        peeked = stream.peek(&mut first) => {
            if !matches!(peeked, Ok(n) if n > 0) {
                return;
            }
        }
        () = &mut watchdog => return,
        () = ticket.close.cancelled() => return,
        () = stop.cancelled() => return,
    }
    let io = TokioIo::new(conn::Tracked::new(stream, state.clone()));
    let service = conn::ConnService::new(kind.app, peer, state);
    let mut http = std::pin::pin!(kind.http.serve_connection(io, service));
    let mut stopping = false;
    loop {
        tokio::select! {
            served = http.as_mut() => {
                if let Err(e) = served {
                    // hyper's errors name the protocol fault, never request content.
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = &mut watchdog => {
                tracing::debug!("connection closed: header or idle timeout");
                break;
            }
            () = ticket.close.cancelled() => {
                tracing::debug!("waiting connection closed to make room for a new one");
                break;
            }
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                http.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The health budget's router: probes are answered, everything else is told to come back.
async fn health_only(req: Request, next: Next) -> Response {
    if HEALTH_PATHS.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::RETRY_AFTER, "1"),
            (header::CONNECTION, "close"),
        ],
        "over capacity; retry shortly",
    )
        .into_response()
}

/// Per-connection `accept` errors are the client's; anything else (`EMFILE`, `ENFILE`,
/// `ENOBUFS`) is ours: wait briefly instead of spinning on a full descriptor table.
async fn accept_failed(e: &io::Error, shed: &mut ShedLog) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    if shed.due() {
        tracing::warn!(error = %e, "accept failed; backing off");
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// Counts connections refused at the caps and logs the count now and then, so an attack does
/// not become a log flood.
#[derive(Debug, Default)]
struct ShedLog {
    last: Option<Instant>,
    per_client: u64,
    global: u64,
}

impl ShedLog {
    fn due(&mut self) -> bool {
        let now = Instant::now();
        if self.last.is_some_and(|t| now < t + SHED_LOG_EVERY) {
            return false;
        }
        self.last = Some(now);
        true
    }

    fn record(&mut self, why: caps::Refused, held: usize) {
        match why {
            caps::Refused::PerClient => self.per_client += 1,
            caps::Refused::Global => self.global += 1,
        }
        if self.due() {
            tracing::warn!(
                over_per_ip_cap = self.per_client,
                over_global_cap = self.global,
                held,
                "connections refused at the edge's caps"
            );
            self.per_client = 0;
            self.global = 0;
        }
    }
}
