//! [`LlmAdvisor`] for a self-hosted Ollama: `POST {base}/api/chat`, non-streaming.
//!
//! - JSON mode: the prompt's JSON schema goes as is in `format` (Ollama turns it into a
//!   grammar), so no translation is needed.
//! - Ollama has no credentials, but the prompt holds the user's (redacted) data: the base URL
//!   must be https, or http to a loopback host. An Ollama elsewhere on the LAN needs a TLS
//!   proxy in front of it.
//! - One deadline ([`OllamaConfig::timeout`]) covers every attempt and every wait between them.
//!   429, 5xx and transport failures are retried up to [`OllamaConfig::max_attempts`] times with
//!   doubling backoff; a `Retry-After` is honoured up to [`RETRY_AFTER_CAP`], and a longer one (or
//!   one that would overrun the deadline) ends the call with the status at once.
//! - Errors are [`LlmError`]s: kinds and status codes only. Ollama's error body
//!   (`{"error": "..."}`) is never read: it can quote the prompt.
//! - [`OllamaGuard`] is the same client asking a guard model (`llama-guard3`) for a second
//!   opinion on a user's redacted message: `safe`, or `unsafe` and category codes.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;
use reqwest::Client;
use warden_advisor::{GuardModel, LlmAdvisor, LlmError, Prompt, SafetyVerdict};
use warden_provider_http::{is_allowed_base_url, send_with_retries, Failure, RetryPolicy};

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";
pub const DEFAULT_MODEL: &str = "llama3.2";
/// The whole call, retries and waits included. Local models on a CPU are slow, and the first
/// call after a restart also loads the model.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// A 400-token JSON answer is a few KiB; Ollama adds only timing counters.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);
/// Attempts are bounded so a misconfiguration cannot turn into a request storm.
pub const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// A `Retry-After` up to this is waited for (a proxy in front of Ollama may send one); a
/// longer one means an outage, and the advisor's fallback answers sooner than the model would.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(5);
/// Doubling backoff stops growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Low but not zero: the answer must follow the schema, not be creative.
const TEMPERATURE: f32 = 0.2;

/// Where to reach Ollama and which model to ask. Holds no credential.
#[derive(Debug, Clone)]
pub struct OllamaConfig {
    /// Scheme and host (and port), no path. `https`, or `http` only to a loopback host.
    /// The app reads it from `OLLAMA_URL`.
    pub base_url: String,
    /// A pulled model, e.g. `llama3.2` or `qwen2.5:7b`.
    pub model: String,
    /// Deadline of one [`LlmAdvisor::complete`] call, retries and waits included.
    pub timeout: Duration,
    /// A successful response body larger than this is refused with [`LlmError::TooLarge`].
    pub max_response_bytes: usize,
    /// Attempts per call (1 = no retry), at most [`MAX_ATTEMPTS_LIMIT`].
    pub max_attempts: u32,
    /// Wait before the first retry when no `Retry-After` is given; doubles per retry.
    pub backoff: Duration,
}

impl Default for OllamaConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: DEFAULT_BACKOFF,
        }
    }
}

/// Why an [`OllamaAdvisor`] could not be built. Names the setting, never its value.
#[derive(Debug, thiserror::Error)]
pub enum OllamaSetupError {
    #[error("Ollama URL must be https, or http only to a loopback host (put TLS in front of a LAN Ollama), without a path")]
    InvalidBaseUrl,
    #[error("Ollama model must be a non-empty name without spaces or control characters")]
    InvalidModel,
    #[error("Ollama timeout must be greater than zero")]
    ZeroTimeout,
    #[error("Ollama response size limit must be greater than zero")]
    ZeroMaxResponseBytes,
    #[error("Ollama max attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}")]
    InvalidMaxAttempts,
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// [`LlmAdvisor`] backed by Ollama's `/api/chat`.
#[derive(Debug)]
pub struct OllamaAdvisor {
    client: Client,
    endpoint: String,
    model: String,
    retry: RetryPolicy,
}

impl OllamaAdvisor {
    /// Validates the config and builds a client that never follows redirects (the prompt must
    /// not be forwarded to a host nobody configured).
    pub fn new(config: OllamaConfig) -> Result<Self, OllamaSetupError> {
        let base = config.base_url.trim_end_matches('/');
        if !is_allowed_base_url(base) {
            return Err(OllamaSetupError::InvalidBaseUrl);
        }
        if !is_model_name(&config.model) {
            return Err(OllamaSetupError::InvalidModel);
        }
        if config.timeout.is_zero() {
            return Err(OllamaSetupError::ZeroTimeout);
        }
        if config.max_response_bytes == 0 {
            return Err(OllamaSetupError::ZeroMaxResponseBytes);
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&config.max_attempts) {
            return Err(OllamaSetupError::InvalidMaxAttempts);
        }
        let client =
            warden_provider_http::client(config.timeout).map_err(OllamaSetupError::HttpClient)?;
        Ok(Self {
            client,
            endpoint: format!("{base}/api/chat"),
            model: config.model,
            retry: RetryPolicy {
                provider: "ollama",
                timeout: config.timeout,
                max_attempts: config.max_attempts,
                backoff: config.backoff,
                max_backoff: MAX_BACKOFF,
                retry_after_cap: RETRY_AFTER_CAP,
                max_response_bytes: config.max_response_bytes,
            },
        })
    }

    /// Every attempt, within one deadline. Ollama's error body is never read.
    async fn post_with_retries(&self, body: &[u8]) -> Result<Vec<u8>, LlmError> {
        let request = || {
            self.client
                .post(&self.endpoint)
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec())
        };
        send_with_retries(request, &self.retry)
            .await
            .map_err(llm_error)
    }
}

#[async_trait]
impl LlmAdvisor for OllamaAdvisor {
    fn provider(&self) -> &'static str {
        "ollama"
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, LlmError> {
        let request = wire::ChatRequest::new(&self.model, prompt, TEMPERATURE);
        let body = serde_json::to_vec(&request).map_err(|_| LlmError::Malformed("encode"))?;
        let response = self.post_with_retries(&body).await?;
        wire::answer_text(&response)
    }
}

/// The guard model a second opinion comes from, unless configured otherwise.
pub const DEFAULT_GUARD_MODEL: &str = "llama-guard3:1b";
/// A second opinion is on the message path before the advisor's own call: short.
pub const DEFAULT_GUARD_TIMEOUT: Duration = Duration::from_secs(3);

/// [`GuardModel`] backed by a Llama Guard–style model on Ollama's `/api/chat`.
#[derive(Debug)]
pub struct OllamaGuard {
    inner: OllamaAdvisor,
}

impl OllamaGuard {
    /// The same validation and client as [`OllamaAdvisor::new`]; `config.model` names the
    /// guard model.
    pub fn new(config: OllamaConfig) -> Result<Self, OllamaSetupError> {
        Ok(Self {
            inner: OllamaAdvisor::new(config)?,
        })
    }
}

#[async_trait]
impl GuardModel for OllamaGuard {
    fn provider(&self) -> &'static str {
        "ollama"
    }

    async fn classify(&self, text: &str) -> Result<SafetyVerdict, LlmError> {
        let request = wire::GuardRequest::new(&self.inner.model, text);
        let body = serde_json::to_vec(&request).map_err(|_| LlmError::Malformed("encode"))?;
        let response = self.inner.post_with_retries(&body).await?;
        wire::safety_verdict(&response)
    }
}

fn llm_error(failure: Failure) -> LlmError {
    match failure {
        Failure::Timeout => LlmError::Timeout,
        Failure::Transport(kind) => LlmError::Transport(kind),
        Failure::Status(code) => LlmError::Status(code),
        Failure::TooLarge => LlmError::TooLarge,
    }
}

/// The model travels in the JSON body, not the URL, so Ollama's own names
/// (`namespace/model:tag`, `hf.co/user/repo:Q4_K_M`) are all allowed; only what no model name
/// holds is refused.
fn is_model_name(model: &str) -> bool {
    !model.is_empty()
        && model.len() <= 200
        && !model.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_model_names_are_accepted_and_blank_ones_refused() {
        for ok in [
            "llama3.2",
            "qwen2.5:7b",
            "library/llama3.2:latest",
            "hf.co/u/r:Q4_K_M",
        ] {
            assert!(is_model_name(ok), "{ok}");
        }
        for bad in ["", " ", "llama 3", "llama\n", "llama\u{0}"] {
            assert!(!is_model_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_default_config_is_usable() {
        assert!(OllamaAdvisor::new(OllamaConfig::default()).is_ok());
    }
}
