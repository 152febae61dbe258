//! A stand-in for the LLM the advisor calls: Ollama's `POST /api/chat` (non-streaming) or
//! Gemini's `POST /v1beta/models/{model}:generateContent`, each answering in its real response
//! envelope.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use crate::{CannedReply, MockServer, ReceivedRequest, Recorded, SimulatorError};

/// Which model API a [`MockModel`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelApi {
    Gemini,
    Ollama,
}

/// The JSON document the advisor's schema asks a model to write.
pub fn advice(intent: &str, reply: &str) -> String {
    json!({ "intent": intent, "reply": reply }).to_string()
}

struct ModelState {
    api: ModelApi,
    /// What the model writes, and after how long; `None` answers 404 (nothing configured).
    answer: Mutex<Option<CannedReply>>,
    /// The calls, whose bodies are the prompts.
    calls: Recorded<ReceivedRequest>,
}

/// A model behind a local server: counts calls, keeps the prompts, answers what it was told
/// to (see [`MockModel::answer`]).
#[derive(Debug)]
pub struct MockModel {
    pub addr: SocketAddr,
    api: ModelApi,
    server: MockServer<ModelState>,
}

impl MockModel {
    /// Serves `api` on a free loopback port; calls get 404 until [`MockModel::answer`].
    pub async fn start(api: ModelApi) -> Result<Self, SimulatorError> {
        let state = ModelState {
            api,
            answer: Mutex::new(None),
            calls: Recorded::default(),
        };
        let name = match api {
            ModelApi::Gemini => "mock Gemini",
            ModelApi::Ollama => "mock Ollama",
        };
        let server = MockServer::start_local(name, Router::new().fallback(chat), state).await?;
        Ok(Self {
            addr: server.addr,
            api,
            server,
        })
    }

    pub fn api(&self) -> ModelApi {
        self.api
    }

    /// The base URL to configure as `OLLAMA_URL` or `GEMINI_API_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// From now on every call is answered with `text` (what the model "writes", normally an
    /// [`advice`] document) in the API's response envelope.
    pub fn answer(&self, text: &str) {
        self.answer_after(text, Duration::ZERO);
    }

    /// As [`MockModel::answer`], but each answer comes only after `delay`.
    pub fn answer_after(&self, text: &str, delay: Duration) {
        let reply = CannedReply::status(200)
            .json(&envelope(self.api, text))
            .delay(delay);
        if let Ok(mut answer) = self.server.state.answer.lock() {
            *answer = Some(reply);
        }
    }

    /// How many times the model was called.
    pub fn calls(&self) -> usize {
        self.server.state.calls.len()
    }

    /// The request bodies (the prompts), to check what reached the model.
    pub fn prompts(&self) -> Vec<String> {
        self.server
            .state
            .calls
            .all()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    }

    pub async fn shutdown(self) -> Result<(), SimulatorError> {
        self.server.shutdown().await
    }
}

/// `text` as the model's message in `api`'s response envelope.
fn envelope(api: ModelApi, text: &str) -> Value {
    match api {
        ModelApi::Gemini => json!({
            "candidates": [{
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0
            }],
            "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "totalTokenCount": 150},
            "modelVersion": "gemini-2.0-flash"
        }),
        ModelApi::Ollama => json!({
            "model": "llama3.2",
            "created_at": "2026-11-26T10:00:00.000000Z",
            "message": {"role": "assistant", "content": text},
            "done": true,
            "done_reason": "stop",
            "total_duration": 512_000_000u64,
            "eval_count": 30
        }),
    }
}

/// Whether `path` is where `api` takes a chat call.
fn is_chat(api: ModelApi, path: &str) -> bool {
    match api {
        ModelApi::Ollama => path == "/api/chat",
        ModelApi::Gemini => path
            .strip_prefix("/v1beta/models/")
            .and_then(|rest| rest.strip_suffix(":generateContent"))
            .is_some_and(|model| !model.is_empty() && !model.contains('/')),
    }
}

async fn chat(
    State(state): State<Arc<ModelState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST || !is_chat(state.api, uri.path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    state
        .calls
        .push(ReceivedRequest::new(method, &uri, headers, body));
    let answer = state.answer.lock().ok().and_then(|a| a.clone());
    match answer {
        Some(reply) => reply.respond().await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
