//! The `/api/chat` request and response, and what a response means.

use serde::{Deserialize, Serialize};
use warden_advisor::{LlmError, Prompt, SafetyVerdict};

#[derive(Serialize)]
pub(crate) struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    stream: bool,
    /// A JSON schema object: Ollama's structured output (since 0.5).
    format: &'a serde_json::Value,
    options: Options,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct Options {
    temperature: f32,
    num_predict: u32,
}

impl<'a> ChatRequest<'a> {
    pub(crate) fn new(model: &'a str, prompt: &'a Prompt, temperature: f32) -> Self {
        Self {
            model,
            messages: [
                Message {
                    role: "system",
                    content: &prompt.system,
                },
                Message {
                    role: "user",
                    content: &prompt.user,
                },
            ],
            stream: false,
            format: &prompt.response_schema,
            options: Options {
                temperature,
                num_predict: prompt.max_output_tokens,
            },
        }
    }
}

#[derive(Deserialize)]
struct ChatResponse {
    message: Option<AssistantMessage>,
    /// Required: a body without it (an `{"error": ...}` with a 200) is not an answer.
    done: bool,
    done_reason: Option<String>,
}

#[derive(Deserialize)]
struct AssistantMessage {
    role: String,
    #[serde(default)]
    content: String,
}

/// The assistant message's content; or why there is no usable answer.
pub(crate) fn answer_text(body: &[u8]) -> Result<String, LlmError> {
    let response: ChatResponse =
        serde_json::from_slice(body).map_err(|_| LlmError::Malformed("not_a_response"))?;
    // Half a JSON document is useless, and the output guard should not have to say so.
    if !response.done {
        return Err(LlmError::Malformed("truncated"));
    }
    match response.done_reason.as_deref() {
        // Older Ollama versions send no done_reason.
        None | Some("stop") => {}
        Some("length") => return Err(LlmError::Malformed("truncated")),
        Some(_) => return Err(LlmError::Malformed("done_reason")),
    }
    let message = response.message.ok_or(LlmError::Malformed("no_message"))?;
    if message.role != "assistant" {
        return Err(LlmError::Malformed("role"));
    }
    if message.content.trim().is_empty() {
        return Err(LlmError::Malformed("empty"));
    }
    Ok(message.content)
}

/// A guard model's request: the user's message alone, as Llama Guard's chat template expects
/// (the template wraps it in the model's own safety policy).
#[derive(Serialize)]
pub(crate) struct GuardRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 1],
    stream: bool,
    options: Options,
}

impl<'a> GuardRequest<'a> {
    pub(crate) fn new(model: &'a str, text: &'a str) -> Self {
        Self {
            model,
            messages: [Message {
                role: "user",
                content: text,
            }],
            stream: false,
            // Deterministic, and the verdict is a few tokens (`unsafe\nS1,S14`).
            options: Options {
                temperature: 0.0,
                num_predict: 24,
            },
        }
    }
}

/// Llama Guard's answer: `safe`, or `unsafe` and a line of category codes. Anything else is
/// malformed, which the advisor treats as a failure (it fails closed).
pub(crate) fn safety_verdict(body: &[u8]) -> Result<SafetyVerdict, LlmError> {
    let text = answer_text(body)?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match lines.next().map(str::to_ascii_lowercase).as_deref() {
        Some("safe") => Ok(SafetyVerdict::Safe),
        Some("unsafe") => {
            let categories = lines
                .next()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| {
                    (1..=8).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric())
                })
                .take(14)
                .map(str::to_owned)
                .collect();
            Ok(SafetyVerdict::Unsafe { categories })
        }
        _ => Err(LlmError::Malformed("verdict")),
    }
}
