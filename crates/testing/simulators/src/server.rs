//! The pieces every mock provider API is built from: a local HTTP server serving an axum router
//! over the mock's state until it is shut down, the record of what a mock received and
//! accepted, scripted answers, and polling for what arrived.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warden_types::PhoneNumber;

use crate::SimulatorError;

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

/// One request a mock received, as it arrived (whatever the mock answered).
#[derive(Clone)]
pub struct ReceivedRequest {
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Method and path only: the headers carry credentials, the body numbers and text.
impl std::fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ReceivedRequest {
    pub(crate) fn new(method: Method, uri: &Uri, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            method,
            path: uri.path().to_owned(),
            headers,
            body,
        }
    }

    /// The value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted answer, for a mock to give instead of its usual one (a provider's 500, a 429
/// with `Retry-After`, a reply that comes too late).
#[derive(Clone)]
pub struct CannedReply {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: String,
    delay: Duration,
}

impl std::fmt::Debug for CannedReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CannedReply")
            .field("status", &self.status)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

impl CannedReply {
    /// An empty answer with `status` (an invalid code becomes 500).
    pub fn status(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header (ignored if `name` or `value` is not a valid header).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.to_owned()),
        ) {
            self.headers.push((name, value));
        }
        self
    }

    /// `body` as `application/json`.
    pub fn json(self, body: &serde_json::Value) -> Self {
        let mut reply = self.header(header::CONTENT_TYPE.as_str(), "application/json");
        reply.body = body.to_string();
        reply
    }

    /// `body` as `text/plain`.
    pub fn text(self, body: impl Into<String>) -> Self {
        let mut reply = self.header(header::CONTENT_TYPE.as_str(), "text/plain");
        reply.body = body.into();
        reply
    }

    /// Answers only after `delay` (longer than the caller's timeout: a hung provider).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Waits out the delay, then answers.
    pub(crate) async fn respond(self) -> Response {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let mut response = (self.status, self.body).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Scripted answers, each given `times` times, in the order they were queued.
#[derive(Debug, Default)]
pub(crate) struct Script(Mutex<VecDeque<(CannedReply, u64)>>);

impl Script {
    pub(crate) fn push(&self, reply: CannedReply, times: u64) {
        if times == 0 {
            return;
        }
        if let Ok(mut queue) = self.0.lock() {
            queue.push_back((reply, times));
        }
    }

    /// The next scripted answer, if any is left.
    pub(crate) fn next(&self) -> Option<CannedReply> {
        let mut queue = self.0.lock().ok()?;
        let (reply, left) = queue.front_mut()?;
        let reply = reply.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(reply)
    }
}

/// Serves a router over a shared state `S` on a listener of its own until
/// [`MockServer::shutdown`] (or until dropped: then it stops accepting and its task ends with
/// the runtime).
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
    ) -> Result<Self, SimulatorError> {
        Self::start(name, SocketAddr::from(([127, 0, 0, 1], 0)), routes, state).await
    }

    /// Serves `routes` over `state` on `listen` (port 0 picks a free one).
    pub async fn start(
        name: &'static str,
        listen: SocketAddr,
        routes: Router<Arc<S>>,
        state: S,
    ) -> Result<Self, SimulatorError> {
        let state = Arc::new(state);
        let app = routes.with_state(state.clone());
        let bind = |source| SimulatorError::Bind { name, source };
        let listener = TcpListener::bind(listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
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
    pub async fn shutdown(self) -> Result<(), SimulatorError> {
        let name = self.name;
        let _ = self.stop.send(());
        self.server
            .await
            .map_err(|_| SimulatorError::Panicked { name })?
            .map_err(|source| SimulatorError::Serve { name, source })
    }
}

/// What a mock received or accepted, in order; shared between its handlers and its owner.
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

/// A provider's JSON error answer.
pub(crate) fn json_error(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
