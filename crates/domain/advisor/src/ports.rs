//! The one seam the advisor needs: a language model that turns a prompt into text.
//!
//! Adapters (`warden-gemini`, `warden-ollama`) only speak HTTP. Everything they return is
//! untrusted and goes through the output guard; nothing they do can execute a command.

use async_trait::async_trait;

/// What the advisor sends to a model. Built only by [`crate::Advisor`] from a redacted
/// [`crate::ContextPack`], so no adapter ever sees a secret or a raw phone number.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// Fixed instructions: who the model is, what it may not do, the reply schema.
    pub system: String,
    /// The redacted context pack and the user's redacted message, clearly delimited.
    pub user: String,
    /// The JSON schema the reply must follow; adapters request structured output with it
    /// (Gemini `responseSchema`, Ollama `format`).
    pub response_schema: serde_json::Value,
    /// Upper bound on the model's answer, in tokens.
    pub max_output_tokens: u32,
}

/// Why a model gave no usable text. Names only kinds and status codes: a provider's error
/// text may quote the prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No answer within the adapter's deadline (retries included).
    #[error("the model timed out")]
    Timeout,
    /// Connection refused, reset, DNS failure: nothing usable came back.
    #[error("the model could not be reached ({0})")]
    Transport(&'static str),
    /// The provider answered with an HTTP error status (after bounded retries for 429/5xx).
    #[error("the model answered HTTP {0}")]
    Status(u16),
    /// The response exceeded the adapter's size limit.
    #[error("the model's response was too large")]
    TooLarge,
    /// The response was not the provider's documented shape (no candidate, no message…).
    #[error("the model's response was malformed ({0})")]
    Malformed(&'static str),
    /// The provider declined to answer (safety block, empty candidate list with a block reason).
    #[error("the model declined to answer ({0})")]
    Refused(&'static str),
}

impl LlmError {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Timeout => "timeout",
            LlmError::Transport(_) => "transport",
            LlmError::Status(_) => "status",
            LlmError::TooLarge => "too_large",
            LlmError::Malformed(_) => "malformed",
            LlmError::Refused(_) => "refused",
        }
    }
}

/// A language model, as an untrusted advisor.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait LlmAdvisor: Send + Sync {
    /// The provider's name for logs and audit (`"gemini"`, `"ollama"`).
    fn provider(&self) -> &'static str;

    /// MUST send `prompt` to the model requesting JSON output that follows
    /// `prompt.response_schema`, and return the model's text (the JSON document as the model
    /// wrote it, not parsed or trusted). MUST give up within the adapter's configured timeout,
    /// retry only 429/5xx/transport failures a bounded number of times, refuse responses over
    /// its size limit with [`LlmError::TooLarge`], and never put the prompt, the API key or the
    /// provider's error text into an error or a log.
    async fn complete(&self, prompt: &Prompt) -> Result<String, LlmError>;
}

/// What a guard model (Llama Guard and its kind) says about a user's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafetyVerdict {
    Safe,
    /// With the model's category codes (`S1`, `S14`…), checked to be short codes: a model's
    /// free text never reaches the audit log.
    Unsafe {
        categories: Vec<String>,
    },
}

/// A second opinion on a message the input guard let through: a local guard model. Off unless
/// configured. The advisor fails closed: a guard model that errs or times out means the
/// message is not advised (the coded workflow answers), never that it is allowed.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait GuardModel: Send + Sync {
    /// The provider's name for logs and audit (`"ollama"`).
    fn provider(&self) -> &'static str;

    /// MUST classify `text` (the user's redacted message) and answer within the adapter's
    /// deadline; the same rules as [`LlmAdvisor::complete`] for retries, sizes and errors.
    async fn classify(&self, text: &str) -> Result<SafetyVerdict, LlmError>;
}
