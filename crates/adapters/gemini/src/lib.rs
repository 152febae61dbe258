//! [`LlmAdvisor`] for Google's Gemini API: `POST {base}/v1beta/models/{model}:generateContent`.
//!
//! - The API key travels in the `x-goog-api-key` header, never in the query string, so it
//!   cannot land in an access log or a URL printed by an error.
//! - JSON mode: `responseMimeType: application/json` with the prompt's schema translated to
//!   Gemini's OpenAPI subset ([`to_gemini_schema`]).
//! - One deadline ([`GeminiConfig::timeout`]) covers every attempt and every wait between them.
//!   429, 5xx and transport failures are retried up to [`GeminiConfig::max_attempts`] times with
//!   doubling backoff; a `Retry-After` is honoured up to [`RETRY_AFTER_CAP`], and a longer one (or
//!   one that would overrun the deadline) ends the call with the status at once.
//! - Errors are [`LlmError`]s: kinds and status codes only. Gemini's error body
//!   (`{error:{code,message,status}}`) is never read: its message can quote the prompt.

mod schema;
mod wire;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Client;
use secrecy::{ExposeSecret, SecretString};
use warden_advisor::{LlmAdvisor, LlmError, Prompt};
use warden_provider_http::{is_allowed_base_url, send_with_retries, Failure, RetryPolicy};

pub use schema::to_gemini_schema;

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
pub const DEFAULT_MODEL: &str = "gemini-2.0-flash";
/// The whole call, retries and waits included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A 400-token JSON answer is a few KiB; usage metadata and safety ratings add little.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);
/// Attempts are bounded so a misconfiguration cannot turn into a request storm.
pub const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// A `Retry-After` up to this is waited for; a longer one means an outage or an exhausted
/// quota, and the advisor's fallback answers sooner than the model would.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(5);
/// Doubling backoff stops growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Low but not zero: the answer must follow the schema, not be creative.
const TEMPERATURE: f32 = 0.2;
const API_KEY_HEADER: &str = "x-goog-api-key";

/// Where and with which key to ask Gemini. `Debug` hides the API key.
#[derive(Clone)]
pub struct GeminiConfig {
    /// Scheme and host (and port), no path. `https` is required except for a loopback host.
    /// The app reads it from `GEMINI_API_URL`.
    pub base_url: String,
    /// From `GEMINI_API_KEY`.
    pub api_key: SecretString,
    /// A model id such as `gemini-2.0-flash`: letters, digits, `.`, `-`, `_`.
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

impl GeminiConfig {
    /// A config with the default base URL, model and limits.
    pub fn new(api_key: SecretString) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key,
            model: DEFAULT_MODEL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: DEFAULT_BACKOFF,
        }
    }
}

impl fmt::Debug for GeminiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeminiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// Why a [`GeminiAdvisor`] could not be built. Names the setting, never its value.
#[derive(Debug, thiserror::Error)]
pub enum GeminiSetupError {
    #[error("Gemini base URL must be https (http only for a loopback host), without a path")]
    InvalidBaseUrl,
    #[error("Gemini model must be letters, digits, '.', '-' or '_' (no '/', '..' or spaces)")]
    InvalidModel,
    #[error("Gemini API key is empty")]
    EmptyApiKey,
    #[error("Gemini API key contains characters not allowed in an HTTP header")]
    InvalidApiKey,
    #[error("Gemini timeout must be greater than zero")]
    ZeroTimeout,
    #[error("Gemini response size limit must be greater than zero")]
    ZeroMaxResponseBytes,
    #[error("Gemini max attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}")]
    InvalidMaxAttempts,
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// [`LlmAdvisor`] backed by Gemini's `generateContent`.
pub struct GeminiAdvisor {
    client: Client,
    endpoint: String,
    api_key: SecretString,
    retry: RetryPolicy,
}

impl fmt::Debug for GeminiAdvisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeminiAdvisor")
            .field("endpoint", &self.endpoint)
            .field("api_key", &"[redacted]")
            .field("timeout", &self.retry.timeout)
            .field("max_response_bytes", &self.retry.max_response_bytes)
            .field("max_attempts", &self.retry.max_attempts)
            .finish_non_exhaustive()
    }
}

impl GeminiAdvisor {
    /// Validates the config and builds a client that never follows redirects (a redirect would
    /// carry the API key to another host).
    pub fn new(config: GeminiConfig) -> Result<Self, GeminiSetupError> {
        let base = config.base_url.trim_end_matches('/');
        if !is_allowed_base_url(base) {
            return Err(GeminiSetupError::InvalidBaseUrl);
        }
        if !is_model_name(&config.model) {
            return Err(GeminiSetupError::InvalidModel);
        }
        if config.api_key.expose_secret().is_empty() {
            return Err(GeminiSetupError::EmptyApiKey);
        }
        api_key_header(&config.api_key).ok_or(GeminiSetupError::InvalidApiKey)?;
        if config.timeout.is_zero() {
            return Err(GeminiSetupError::ZeroTimeout);
        }
        if config.max_response_bytes == 0 {
            return Err(GeminiSetupError::ZeroMaxResponseBytes);
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&config.max_attempts) {
            return Err(GeminiSetupError::InvalidMaxAttempts);
        }
        let client =
            warden_provider_http::client(config.timeout).map_err(GeminiSetupError::HttpClient)?;
        Ok(Self {
            client,
            endpoint: format!("{base}/v1beta/models/{}:generateContent", config.model),
            api_key: config.api_key,
            retry: RetryPolicy {
                provider: "gemini",
                timeout: config.timeout,
                max_attempts: config.max_attempts,
                backoff: config.backoff,
                max_backoff: MAX_BACKOFF,
                retry_after_cap: RETRY_AFTER_CAP,
                max_response_bytes: config.max_response_bytes,
            },
        })
    }

    /// Every attempt, within one deadline. Gemini's error body is never read.
    async fn post_with_retries(&self, body: &[u8]) -> Result<Vec<u8>, LlmError> {
        let Some(key) = api_key_header(&self.api_key) else {
            // Checked at construction; kept as an error rather than a panic.
            return Err(LlmError::Transport("api_key"));
        };
        let request = || {
            self.client
                .post(&self.endpoint)
                .header(API_KEY_HEADER, key.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec())
        };
        send_with_retries(request, &self.retry)
            .await
            .map_err(llm_error)
    }
}

#[async_trait]
impl LlmAdvisor for GeminiAdvisor {
    fn provider(&self) -> &'static str {
        "gemini"
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, LlmError> {
        let request = wire::GenerateContentRequest::new(prompt, TEMPERATURE);
        let body = serde_json::to_vec(&request).map_err(|_| LlmError::Malformed("encode"))?;
        let response = self.post_with_retries(&body).await?;
        wire::answer_text(&response)
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

/// Marked sensitive so HTTP-level debug logging prints no value.
fn api_key_header(key: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(key.expose_secret()).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The model is spliced into the URL path: nothing that could leave `models/` or start a
/// query or fragment.
fn is_model_name(model: &str) -> bool {
    !model.is_empty()
        && model.len() <= 100
        && !model.contains("..")
        && model
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_cannot_escape_the_models_path() {
        for ok in ["gemini-2.0-flash", "gemini-1.5-pro-002", "gemini_exp.1"] {
            assert!(is_model_name(ok), "{ok}");
        }
        for bad in [
            "",
            "..",
            "gemini/../tunedModels/x",
            "models/gemini",
            "gemini?key=x",
            "gemini#x",
            "gemini 2",
            "gemini:streamGenerateContent",
            "gemini%2F..",
            "gemini\n",
        ] {
            assert!(!is_model_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn an_api_key_with_a_newline_is_refused_at_construction() {
        let config = GeminiConfig::new(SecretString::from("AIza\r\nX-Evil: 1".to_owned()));
        assert!(matches!(
            GeminiAdvisor::new(config),
            Err(GeminiSetupError::InvalidApiKey)
        ));
    }
}
