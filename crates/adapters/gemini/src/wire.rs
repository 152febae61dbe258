//! The `generateContent` request and response, and what a response means.

use serde::{Deserialize, Serialize};
use warden_advisor::{LlmError, Prompt};

use crate::schema::to_gemini_schema;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateContentRequest<'a> {
    system_instruction: Content<'a>,
    contents: [Content<'a>; 1],
    generation_config: GenerationConfig,
}

#[derive(Serialize)]
struct Content<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: [Part<'a>; 1],
}

#[derive(Serialize)]
struct Part<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    response_mime_type: &'static str,
    response_schema: serde_json::Value,
    max_output_tokens: u32,
    temperature: f32,
}

impl<'a> GenerateContentRequest<'a> {
    pub(crate) fn new(prompt: &'a Prompt, temperature: f32) -> Self {
        Self {
            system_instruction: Content {
                role: None,
                parts: [Part {
                    text: &prompt.system,
                }],
            },
            contents: [Content {
                role: Some("user"),
                parts: [Part { text: &prompt.user }],
            }],
            generation_config: GenerationConfig {
                response_mime_type: "application/json",
                response_schema: to_gemini_schema(&prompt.response_schema),
                max_output_tokens: prompt.max_output_tokens,
                temperature,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<CandidateContent>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<ResponsePart>,
}

#[derive(Deserialize)]
struct ResponsePart {
    text: Option<String>,
    /// A thinking model's reasoning summary: not the answer.
    #[serde(default)]
    thought: bool,
}

/// The first candidate's text parts, concatenated; or why there is no usable answer.
pub(crate) fn answer_text(body: &[u8]) -> Result<String, LlmError> {
    let response: GenerateContentResponse =
        serde_json::from_slice(body).map_err(|_| LlmError::Malformed("not_a_response"))?;
    if let Some(reason) = response
        .prompt_feedback
        .and_then(|feedback| feedback.block_reason)
    {
        return Err(LlmError::Refused(
            refusal_code(&reason).unwrap_or("blocked"),
        ));
    }
    let candidate = response
        .candidates
        .into_iter()
        .next()
        .ok_or(LlmError::Malformed("no_candidate"))?;
    match candidate.finish_reason.as_deref() {
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") => {}
        // Half a JSON document is useless, and the output guard should not have to say so.
        Some("MAX_TOKENS") => return Err(LlmError::Malformed("truncated")),
        Some(other) => {
            return Err(refusal_code(other)
                .map(LlmError::Refused)
                .unwrap_or(LlmError::Malformed("finish_reason")))
        }
    }
    let text: String = candidate
        .content
        .ok_or(LlmError::Malformed("no_content"))?
        .parts
        .into_iter()
        .filter(|part| !part.thought)
        .filter_map(|part| part.text)
        .collect();
    if text.trim().is_empty() {
        return Err(LlmError::Malformed("empty"));
    }
    Ok(text)
}

/// Gemini's block and finish reasons that mean "declined", as stable codes.
fn refusal_code(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "SAFETY" => "safety",
        "RECITATION" => "recitation",
        "BLOCKLIST" => "blocklist",
        "PROHIBITED_CONTENT" => "prohibited_content",
        "SPII" => "spii",
        "IMAGE_SAFETY" => "image_safety",
        "LANGUAGE" => "language",
        "OTHER" => "other",
        _ => return None,
    })
}
