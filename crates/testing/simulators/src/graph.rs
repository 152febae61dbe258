//! A stand-in for Meta's Graph API `POST /{version}/{phone-number-id}/messages`, where the
//! outbox worker sends Meta replies.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use warden_types::PhoneNumber;

use crate::server::{json_error, Script};
use crate::{
    new_wamid, poll_until, CannedReply, MockServer, ReceivedRequest, Recorded, Sent,
    SimulatorError, META_PHONE_NUMBER_ID,
};

/// How a [`MockGraph`] starts. The default: a free loopback port, [`META_PHONE_NUMBER_ID`], the
/// gateway's default API version, any bearer token, recording, accepting.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    pub listen: SocketAddr,
    pub phone_number_id: String,
    pub api_version: String,
    /// The bearer token every send must carry. `None` accepts any, for a caller that learns
    /// the token later and checks it with [`MockGraph::sends`].
    pub access_token: Option<SecretString>,
    /// Keep every request and accepted message (the demo, the tests), or only count them (the
    /// benchmark, whose memory would grow with every reply).
    pub record: bool,
    /// `false`: every send is answered 404 (no such route) until [`MockGraph::accept`].
    pub accepting: bool,
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            phone_number_id: META_PHONE_NUMBER_ID.to_owned(),
            api_version: warden_meta::DEFAULT_API_VERSION.to_owned(),
            access_token: None,
            record: true,
            accepting: true,
        }
    }
}

/// Why the mock refused a send, as the Graph API would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GraphRefusal {
    #[error("not POST /{{version}}/{{phone-number-id}}/messages of the configured version")]
    UnknownPath,
    #[error("sent for another phone number id")]
    UnknownPhoneNumberId,
    #[error("not authorised with the configured access token")]
    Unauthorised,
    #[error("not a WhatsApp text message to a +E.164 number")]
    InvalidMessage,
}

impl GraphRefusal {
    fn response(self) -> Response {
        let (status, code, message) = match self {
            Self::UnknownPath => (StatusCode::NOT_FOUND, 2500, "Unknown path components."),
            Self::UnknownPhoneNumberId => {
                (StatusCode::BAD_REQUEST, 100, "Unknown phone number id.")
            }
            Self::Unauthorised => (StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token."),
            Self::InvalidMessage => (StatusCode::BAD_REQUEST, 100, "Invalid parameter."),
        };
        let body =
            json!({ "error": { "message": message, "type": "OAuthException", "code": code } });
        json_error(status, body.to_string())
    }
}

struct GraphState {
    phone_number_id: String,
    api_version: String,
    access_token: Option<SecretString>,
    record: bool,
    accepting: AtomicBool,
    script: Script,
    accepted: AtomicU64,
    refused: AtomicU64,
    requests: Recorded<ReceivedRequest>,
    sends: Recorded<Sent>,
    /// When the most recent message was accepted.
    last_accepted: Mutex<Option<Instant>>,
}

/// Meta's Graph API for sends: checks the path, the bearer token and the message shape,
/// answers 200 with a fresh wamid as Meta does, and counts (optionally records) what it
/// received and accepted. Scripted answers ([`MockGraph::answer`]) come first.
#[derive(Debug)]
pub struct MockGraph {
    pub addr: SocketAddr,
    server: MockServer<GraphState>,
}

#[derive(serde::Deserialize)]
struct SendRequest {
    messaging_product: String,
    to: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<SendText>,
}

#[derive(serde::Deserialize)]
struct SendText {
    body: String,
}

impl MockGraph {
    pub async fn start(options: GraphOptions) -> Result<Self, SimulatorError> {
        let state = GraphState {
            phone_number_id: options.phone_number_id,
            api_version: options.api_version,
            access_token: options.access_token,
            record: options.record,
            accepting: AtomicBool::new(options.accepting),
            script: Script::default(),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            requests: Recorded::default(),
            sends: Recorded::default(),
            last_accepted: Mutex::new(None),
        };
        let routes = Router::new().fallback(graph_send);
        let server = MockServer::start("mock Graph API", options.listen, routes, state).await?;
        Ok(Self {
            addr: server.addr,
            server,
        })
    }

    /// Accepts every well-formed send, on a free loopback port.
    pub async fn healthy() -> Result<Self, SimulatorError> {
        Self::start(GraphOptions::default()).await
    }

    /// Answers 404 to everything until [`MockGraph::answer`] or [`MockGraph::accept`].
    pub async fn empty() -> Result<Self, SimulatorError> {
        Self::start(GraphOptions {
            accepting: false,
            ..GraphOptions::default()
        })
        .await
    }

    /// The base URL to configure as `META_GRAPH_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// From now on (once the scripted answers are used up) every well-formed send is accepted.
    pub fn accept(&self) {
        self.server.state.accepting.store(true, Ordering::Release);
    }

    /// The next `times` sends get `reply`, after the answers scripted before it.
    pub fn answer(&self, reply: CannedReply, times: u64) {
        self.server.state.script.push(reply, times);
    }

    /// Messages accepted so far.
    pub fn accepted(&self) -> u64 {
        self.server.state.accepted.load(Ordering::Acquire)
    }

    /// Sends refused (wrong path or number id, bad token, malformed message).
    pub fn refused(&self) -> u64 {
        self.server.state.refused.load(Ordering::Acquire)
    }

    /// When the most recent message was accepted.
    pub fn last_accepted_at(&self) -> Option<Instant> {
        self.server.state.last_accepted.lock().ok().and_then(|t| *t)
    }

    /// The accepted messages from index `from` on (empty unless recording).
    pub fn sends_since(&self, from: usize) -> Vec<Sent> {
        self.server.state.sends.since(from)
    }

    /// Every request received, whatever it was answered, in order (empty unless recording).
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.server.state.requests.all()
    }

    /// Every request received, each checked to be a well-formed send authorised with
    /// `access_token` (whatever it was answered: a retried send appears once per attempt).
    pub fn sends(&self, access_token: &str) -> Result<Vec<Sent>, GraphRefusal> {
        let state = &self.server.state;
        self.requests()
            .iter()
            .map(|r| state.decode(r, Some(access_token)))
            .collect()
    }

    /// Polls until at least `count` messages were accepted; `false` on timeout.
    pub async fn wait_for(&self, count: u64, timeout: Duration, poll: Duration) -> bool {
        poll_until(timeout, poll, || self.accepted() >= count).await
    }

    pub async fn shutdown(self) -> Result<(), SimulatorError> {
        self.server.shutdown().await
    }
}

impl GraphState {
    /// The message in `r`, if it is a send the real API would take.
    fn decode(
        &self,
        r: &ReceivedRequest,
        access_token: Option<&str>,
    ) -> Result<Sent, GraphRefusal> {
        let segments: Vec<&str> = r.path.split('/').collect();
        let ["", version, phone_number_id, "messages"] = segments.as_slice() else {
            return Err(GraphRefusal::UnknownPath);
        };
        if r.method != Method::POST || *version != self.api_version {
            return Err(GraphRefusal::UnknownPath);
        }
        if *phone_number_id != self.phone_number_id {
            return Err(GraphRefusal::UnknownPhoneNumberId);
        }
        let bearer = r
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty());
        let authorised = match (bearer, access_token) {
            (Some(got), Some(want)) => got == want,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !authorised {
            return Err(GraphRefusal::Unauthorised);
        }
        let req: SendRequest =
            serde_json::from_slice(&r.body).map_err(|_| GraphRefusal::InvalidMessage)?;
        match (req.messaging_product.as_str(), req.kind.as_str(), req.text) {
            ("whatsapp", "text", Some(text))
                if req.to.starts_with('+') && PhoneNumber::parse(&req.to).is_ok() =>
            {
                Ok(Sent {
                    to: req.to,
                    body: text.body,
                })
            }
            _ => Err(GraphRefusal::InvalidMessage),
        }
    }
}

async fn graph_send(
    State(state): State<Arc<GraphState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ReceivedRequest::new(method, &uri, headers, body);
    let token = state.access_token.as_ref().map(|t| t.expose_secret());
    let decoded = state.decode(&request, token);
    if state.record {
        state.requests.push(request);
    }
    if let Some(reply) = state.script.next() {
        return reply.respond().await;
    }
    if !state.accepting.load(Ordering::Acquire) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let send = match decoded {
        Ok(send) => send,
        Err(refusal) => {
            state.refused.fetch_add(1, Ordering::AcqRel);
            return refusal.response();
        }
    };
    let to = send.to.clone();
    if state.record {
        state.sends.push(send);
    }
    if let Ok(mut at) = state.last_accepted.lock() {
        *at = Some(Instant::now());
    }
    state.accepted.fetch_add(1, Ordering::AcqRel);
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to.trim_start_matches('+') }],
        "messages": [{ "id": new_wamid() }],
    }))
    .into_response()
}
