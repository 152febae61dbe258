//! The pieces every mock provider API of `warden demo` (and the benchmark) is built from: a
//! local HTTP server serving an axum router over the mock's state until it is shut down, the
//! record of what a mock accepted, and polling for it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warden_types::PhoneNumber;

/// One message (or call) a mock provider API accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct Sent {
    /// The recipient, E.164 with `+` (any channel prefix such as `whatsapp:` removed).
    pub to: String,
    /// The message body (or, for a call, its TwiML).
    pub body: String,
}

impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sent").finish_non_exhaustive()
    }
}

impl Sent {
    /// The recipient, masked for display.
    pub fn to_masked(&self) -> String {
        PhoneNumber::parse(&self.to)
            .map(|p| p.masked())
            .unwrap_or_else(|_| "<invalid number>".to_owned())
    }
}

/// Serves a router over a shared state `S` on a listener of its own until
/// [`MockServer::shutdown`].
pub struct MockServer<S> {
    /// Where it listens (the port actually bound when asked for port 0).
    pub addr: SocketAddr,
    /// What the handlers and the mock's owner share (counters, [`Recorded`] requests).
    pub state: Arc<S>,
    /// What it stands in for, for errors ("mock Graph API").
    name: &'static str,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl<S> std::fmt::Debug for MockServer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync + 'static> MockServer<S> {
    /// Serves `routes` over `state` on a free loopback port.
    pub async fn start_local(
        name: &'static str,
        routes: Router<Arc<S>>,
        state: S,
    ) -> anyhow::Result<Self> {
        Self::start(name, SocketAddr::from(([127, 0, 0, 1], 0)), routes, state).await
    }

    /// Serves `routes` over `state` on `listen` (port 0 picks a free one).
    pub async fn start(
        name: &'static str,
        listen: SocketAddr,
        routes: Router<Arc<S>>,
        state: S,
    ) -> anyhow::Result<Self> {
        let state = Arc::new(state);
        let app = routes.with_state(state.clone());
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the {name} on {listen}"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            addr,
            state,
            name,
            stop,
            server,
        })
    }

    /// The base URL (`http://127.0.0.1:port`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving once the requests in flight are answered.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server
            .await
            .with_context(|| format!("{} panicked", self.name))??;
        Ok(())
    }
}

/// What a mock accepted, in order; shared between its handlers and the demo.
pub struct Recorded<T>(Mutex<Vec<T>>);

impl<T> Default for Recorded<T> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl<T> std::fmt::Debug for Recorded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorded")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Recorded<T> {
    pub fn push(&self, item: T) {
        if let Ok(mut items) = self.0.lock() {
            items.push(item);
        }
    }

    /// Everything recorded from index `from` on.
    pub fn since(&self, from: usize) -> Vec<T> {
        self.0
            .lock()
            .map(|items| items.get(from..).map(<[T]>::to_vec).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Everything recorded.
    pub fn all(&self) -> Vec<T> {
        self.since(0)
    }
}

impl<T> Recorded<T> {
    pub fn len(&self) -> usize {
        self.0.lock().map(|items| items.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Checks `done` every `poll` until it holds (`true`) or `timeout` passes (`false`).
pub async fn poll_until(timeout: Duration, poll: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(poll).await;
    }
}

/// A multi-line text indented under the exchange it belongs to.
pub(crate) fn indent(text: &str) -> String {
    text.lines().map(|l| format!("\n     {l}")).collect()
}

/// A long provider id cut to its first `chars` bytes for display.
pub(crate) fn abbreviate(id: &str, chars: usize) -> String {
    match id.get(..chars) {
        Some(head) if id.len() > chars => format!("{head}…"),
        _ => id.to_owned(),
    }
}
