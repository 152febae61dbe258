//! A stand-in for Twilio's REST API: `POST /2010-04-01/Accounts/{sid}/Messages.json` (WhatsApp
//! sends from the outbox) and `.../Calls.json` (Twilio Voice, for the marketplace).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use warden_types::PhoneNumber;

use crate::server::json_error;
use crate::{poll_until, MockServer, ReceivedRequest, Recorded, Sent, SimulatorError};

/// How often [`MockTwilioApi::wait_for_messages`] looks.
const POLL: Duration = Duration::from_millis(5);

struct ApiState {
    account_sid: String,
    /// The `Authorization` header every request must carry (Basic, account SID and token);
    /// `None` takes any Basic credentials.
    authorization: Option<String>,
    requests: Recorded<ReceivedRequest>,
    messages: Recorded<Sent>,
    calls: Recorded<(Sent, String)>,
    refused: AtomicU64,
}

/// Twilio's Messages and Calls APIs: checks the account, its Basic credentials and the form,
/// answers 201 with a fresh `SM…`/`CA…` sid as Twilio does, and records what it received and
/// accepted.
#[derive(Debug)]
pub struct MockTwilioApi {
    pub addr: SocketAddr,
    server: MockServer<ApiState>,
}

impl MockTwilioApi {
    /// Serves on a free loopback port for `account_sid`. With `auth_token`, requests must carry
    /// exactly its credentials; without, any Basic credentials (the caller checks
    /// [`MockTwilioApi::requests`]).
    pub async fn start(
        account_sid: &str,
        auth_token: Option<&SecretString>,
    ) -> Result<Self, SimulatorError> {
        let authorization = auth_token.map(|token| {
            let pair = format!("{account_sid}:{}", token.expose_secret());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        let state = ApiState {
            account_sid: account_sid.to_owned(),
            authorization,
            requests: Recorded::default(),
            messages: Recorded::default(),
            calls: Recorded::default(),
            refused: AtomicU64::new(0),
        };
        let routes = Router::new().fallback(twilio_create);
        let server = MockServer::start_local("mock Twilio API", routes, state).await?;
        Ok(Self {
            addr: server.addr,
            server,
        })
    }

    /// The base URL to configure as `TWILIO_API_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Requests refused (wrong account or credentials, malformed form, unknown resource).
    pub fn refused(&self) -> u64 {
        self.server.state.refused.load(Ordering::Acquire)
    }

    /// WhatsApp messages accepted, from index `from` on.
    pub fn messages_since(&self, from: usize) -> Vec<Sent> {
        self.server.state.messages.since(from)
    }

    /// WhatsApp messages accepted.
    pub fn messages(&self) -> Vec<Sent> {
        self.messages_since(0)
    }

    /// Calls accepted, with the Call SID each was given.
    pub fn calls(&self) -> Vec<(Sent, String)> {
        self.server.state.calls.all()
    }

    /// Every request received, whatever it was answered, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.server.state.requests.all()
    }

    /// Polls until at least `count` messages were accepted; `false` on timeout.
    pub async fn wait_for_messages(&self, count: usize, timeout: Duration) -> bool {
        poll_until(timeout, POLL, || self.server.state.messages.len() >= count).await
    }

    pub async fn shutdown(self) -> Result<(), SimulatorError> {
        self.server.shutdown().await
    }
}

async fn twilio_create(
    State(state): State<Arc<ApiState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ReceivedRequest::new(method, &uri, headers, body);
    state.requests.push(request.clone());
    let refuse = |status: StatusCode, code: u32| {
        state.refused.fetch_add(1, Ordering::AcqRel);
        json_error(
            status,
            json!({ "code": code, "status": status.as_u16() }).to_string(),
        )
    };
    let segments: Vec<&str> = request.path.split('/').collect();
    let ["", "2010-04-01", "Accounts", sid, resource] = segments.as_slice() else {
        return refuse(StatusCode::NOT_FOUND, 20404);
    };
    if request.method != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, 20004);
    }
    let credentials = request.header("authorization");
    let authorised = match (&state.authorization, credentials) {
        (Some(want), Some(got)) => want == got,
        (None, Some(got)) => got.starts_with("Basic "),
        (_, None) => false,
    };
    if *sid != state.account_sid || !authorised {
        return refuse(StatusCode::UNAUTHORIZED, 20003);
    }
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body) else {
        return refuse(StatusCode::BAD_REQUEST, 21100);
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let sid = match *resource {
        "Messages.json" => {
            let (Some(to), Some(body)) = (field("To"), field("Body")) else {
                return refuse(StatusCode::BAD_REQUEST, 21604);
            };
            let Some(to) = to.strip_prefix("whatsapp:").map(str::to_owned) else {
                return refuse(StatusCode::BAD_REQUEST, 63007);
            };
            if PhoneNumber::parse(&to).is_err() {
                return refuse(StatusCode::BAD_REQUEST, 21211);
            }
            let sid = format!("SM{}", crate::random_hex(16));
            state.messages.push(Sent { to, body });
            sid
        }
        "Calls.json" => {
            let (Some(to), Some(twiml)) = (field("To"), field("Twiml")) else {
                return refuse(StatusCode::BAD_REQUEST, 21201);
            };
            if PhoneNumber::parse(&to).is_err() {
                return refuse(StatusCode::BAD_REQUEST, 21211);
            }
            let sid = format!("CA{}", crate::random_hex(16));
            state.calls.push((Sent { to, body: twiml }, sid.clone()));
            sid
        }
        _ => return refuse(StatusCode::NOT_FOUND, 20404),
    };
    (
        StatusCode::CREATED,
        Json(json!({ "sid": sid, "status": "queued" })),
    )
        .into_response()
}
