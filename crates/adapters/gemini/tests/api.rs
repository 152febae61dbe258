//! `GeminiAdvisor` against a local mock of `generateContent`, with real request and response
//! shapes. Tests are named after the risk they close.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{json, Value};
use warden_advisor::{LlmAdvisor, LlmError, Prompt};
use warden_gemini::{GeminiAdvisor, GeminiConfig, GeminiSetupError};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "AIzaSyD-test-gemini-key-0123456789";
const GENERATE_PATH: &str = "/v1beta/models/gemini-2.0-flash:generateContent";
const ANSWER: &str = r#"{"reply":"Your next task is: buy stamps","intent":"answer"}"#;
const USER_TEXT: &str = "<context>tasks: buy stamps</context> what is next? my pin is 4711";

fn config(base_url: String) -> GeminiConfig {
    GeminiConfig {
        base_url,
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Duration::from_millis(10),
        ..GeminiConfig::new(SecretString::from(API_KEY.to_owned()))
    }
}

fn advisor(server: &MockServer) -> GeminiAdvisor {
    GeminiAdvisor::new(config(server.uri())).unwrap()
}

fn prompt() -> Prompt {
    Prompt {
        system: "You are an untrusted advisor. Answer in JSON.".to_owned(),
        user: USER_TEXT.to_owned(),
        response_schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["reply", "intent"],
            "properties": {
                "reply": {"type": "string", "maxLength": 600},
                "intent": {"type": "string", "enum": ["answer", "propose_command"]}
            }
        }),
        max_output_tokens: 400,
    }
}

/// A real `generateContent` response, answer split over two parts.
fn answered(text: &str) -> ResponseTemplate {
    let (a, b) = text.split_at(text.len() / 2);
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{
            "content": {"parts": [{"text": a}, {"text": b}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
            "safetyRatings": [
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}
            ]
        }],
        "usageMetadata": {"promptTokenCount": 52, "candidatesTokenCount": 17, "totalTokenCount": 69},
        "modelVersion": "gemini-2.0-flash"
    }))
}

/// Gemini's error envelope, quoting the prompt as real errors sometimes do.
fn gemini_error(code: u16, status: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"error": {
        "code": code,
        "message": format!("Invalid request near '{USER_TEXT}' with key {API_KEY}"),
        "status": status,
    }}))
}

async fn complete_with(response: ResponseTemplate) -> Result<String, LlmError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    advisor(&server).complete(&prompt()).await
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn assert_leaks_nothing(error: &LlmError) {
    let shown = format!("{error} {error:?}");
    for secret in [API_KEY, "AIza", "stamps", "4711", "Invalid request"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[tokio::test]
async fn sends_json_mode_request_with_the_key_in_a_header_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .and(header("x-goog-api-key", API_KEY))
        .and(header("content-type", "application/json"))
        .respond_with(answered(ANSWER))
        .expect(1)
        .mount(&server)
        .await;

    let text = advisor(&server).complete(&prompt()).await.unwrap();
    assert_eq!(text, ANSWER);

    let received = server.received_requests().await.unwrap();
    let request = &received[0];
    assert_eq!(request.url.query(), None, "the key must not be in the URL");
    assert!(!request.url.as_str().contains(API_KEY));
    assert!(request.headers.get("authorization").is_none());
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "You are an untrusted advisor. Answer in JSON."}]})
    );
    assert_eq!(
        body["contents"],
        json!([{"role": "user", "parts": [{"text": USER_TEXT}]}])
    );
    let generation = &body["generationConfig"];
    assert_eq!(generation["responseMimeType"], "application/json");
    assert_eq!(generation["maxOutputTokens"], 400);
    assert!(generation["temperature"].as_f64().unwrap() <= 0.3);
    assert_eq!(
        generation["responseSchema"],
        json!({
            "type": "OBJECT",
            "required": ["reply", "intent"],
            "properties": {
                "reply": {"type": "STRING", "maxLength": 600},
                "intent": {"type": "STRING", "enum": ["answer", "propose_command"]}
            }
        }),
        "additionalProperties must be stripped, types upper-cased"
    );
}

#[tokio::test]
async fn thought_parts_are_not_part_of_the_answer() {
    let response = ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{
            "content": {"parts": [
                {"text": "Let me think about stamps...", "thought": true},
                {"text": ANSWER}
            ], "role": "model"},
            "finishReason": "STOP"
        }]
    }));
    assert_eq!(complete_with(response).await.unwrap(), ANSWER);
}

#[tokio::test]
async fn a_server_error_is_retried_and_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .respond_with(gemini_error(500, "INTERNAL"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .respond_with(answered(ANSWER))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(advisor(&server).complete(&prompt()).await.unwrap(), ANSWER);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn rate_limit_retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .respond_with(gemini_error(429, "RESOURCE_EXHAUSTED").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(GENERATE_PATH))
        .respond_with(answered(ANSWER))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    assert_eq!(advisor(&server).complete(&prompt()).await.unwrap(), ANSWER);
    // The configured backoff is 10 ms: only Retry-After explains a one-second wait.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_beyond_the_cap_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(gemini_error(429, "RESOURCE_EXHAUSTED").insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = advisor(&server).complete(&prompt()).await.unwrap_err();
    assert_eq!(error, LlmError::Status(429));
    assert_eq!(requests(&server).await, 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for (code, status) in [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(gemini_error(code, status))
            .mount(&server)
            .await;
        let error = advisor(&server).complete(&prompt()).await.unwrap_err();
        assert_eq!(error, LlmError::Status(code));
        assert_eq!(requests(&server).await, 1, "HTTP {code} was retried");
        assert_leaks_nothing(&error);
    }
}

#[tokio::test]
async fn a_persistent_outage_gives_up_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(gemini_error(503, "UNAVAILABLE"))
        .mount(&server)
        .await;
    let error = advisor(&server).complete(&prompt()).await.unwrap_err();
    assert_eq!(error, LlmError::Status(503));
    assert_eq!(requests(&server).await, 3);
    assert_leaks_nothing(&error);
}

#[tokio::test]
async fn a_slow_model_times_out_within_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answered(ANSWER).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let advisor = GeminiAdvisor::new(GeminiConfig {
        timeout: Duration::from_millis(200),
        ..config(server.uri())
    })
    .unwrap();
    let started = Instant::now();
    assert_eq!(
        advisor.complete(&prompt()).await.unwrap_err(),
        LlmError::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn retries_stay_within_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(gemini_error(503, "UNAVAILABLE").set_delay(Duration::from_millis(150)))
        .mount(&server)
        .await;
    let advisor = GeminiAdvisor::new(GeminiConfig {
        timeout: Duration::from_millis(300),
        max_attempts: 10,
        backoff: Duration::from_millis(50),
        ..config(server.uri())
    })
    .unwrap();
    let started = Instant::now();
    let error = advisor.complete(&prompt()).await.unwrap_err();
    assert!(
        matches!(error, LlmError::Timeout | LlmError::Status(503)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(800));
}

#[tokio::test]
async fn an_oversized_response_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answered(&"x".repeat(4096)))
        .expect(1)
        .mount(&server)
        .await;
    let advisor = GeminiAdvisor::new(GeminiConfig {
        max_response_bytes: 1024,
        ..config(server.uri())
    })
    .unwrap();
    assert_eq!(
        advisor.complete(&prompt()).await.unwrap_err(),
        LlmError::TooLarge
    );
}

#[tokio::test]
async fn malformed_responses_are_malformed() {
    for (body, reason) in [
        (ResponseTemplate::new(200).set_body_string("not json"), "not_a_response"),
        (ResponseTemplate::new(200).set_body_json(json!({})), "no_candidate"),
        (
            ResponseTemplate::new(200).set_body_json(json!({"candidates": []})),
            "no_candidate",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"candidates": [{"finishReason": "STOP"}]})),
            "no_content",
        ),
        (
            ResponseTemplate::new(200).set_body_json(
                json!({"candidates": [{"content": {"parts": [], "role": "model"}, "finishReason": "STOP"}]}),
            ),
            "empty",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"candidates": "nope"})),
            "not_a_response",
        ),
    ] {
        assert_eq!(
            complete_with(body).await.unwrap_err(),
            LlmError::Malformed(reason)
        );
    }
}

#[tokio::test]
async fn a_blocked_prompt_is_refused() {
    let response = ResponseTemplate::new(200).set_body_json(json!({
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]
        },
        "usageMetadata": {"promptTokenCount": 52, "totalTokenCount": 52}
    }));
    assert_eq!(
        complete_with(response).await.unwrap_err(),
        LlmError::Refused("safety")
    );
}

#[tokio::test]
async fn a_safety_stopped_answer_is_refused_not_returned() {
    for (reason, code) in [
        ("SAFETY", "safety"),
        ("RECITATION", "recitation"),
        ("BLOCKLIST", "blocklist"),
        ("PROHIBITED_CONTENT", "prohibited_content"),
        ("SPII", "spii"),
    ] {
        let response = ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{
                "content": {"parts": [{"text": "{\"reply\": \"partial"}], "role": "model"},
                "finishReason": reason
            }]
        }));
        assert_eq!(
            complete_with(response).await.unwrap_err(),
            LlmError::Refused(code)
        );
    }
}

#[tokio::test]
async fn a_truncated_answer_is_malformed() {
    let response = ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{
            "content": {"parts": [{"text": "{\"reply\": \"Your next task is"}], "role": "model"},
            "finishReason": "MAX_TOKENS"
        }]
    }));
    assert_eq!(
        complete_with(response).await.unwrap_err(),
        LlmError::Malformed("truncated")
    );
}

#[tokio::test]
async fn an_unreachable_model_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let advisor = GeminiAdvisor::new(config(format!("http://127.0.0.1:{port}"))).unwrap();
    let error = advisor.complete(&prompt()).await.unwrap_err();
    assert_eq!(error, LlmError::Transport("connect"));
    assert_leaks_nothing(&error);
}

#[test]
fn debug_output_never_shows_the_api_key() {
    let config = config("https://generativelanguage.googleapis.com".to_owned());
    let shown = format!("{config:?}");
    assert!(
        !shown.contains(API_KEY) && !shown.contains("AIza"),
        "{shown}"
    );
    let advisor = GeminiAdvisor::new(config).unwrap();
    let shown = format!("{advisor:?}");
    assert!(
        !shown.contains(API_KEY) && !shown.contains("AIza"),
        "{shown}"
    );
    assert_eq!(advisor.provider(), "gemini");
}

#[test]
fn the_key_is_never_sent_in_clear_text_off_the_machine() {
    for base in [
        "http://generativelanguage.googleapis.com",
        "http://192.168.1.20:8080",
        "https://proxy.example/v1beta",
        "https://user@generativelanguage.googleapis.com",
        "generativelanguage.googleapis.com",
    ] {
        assert!(
            matches!(
                GeminiAdvisor::new(config(base.to_owned())),
                Err(GeminiSetupError::InvalidBaseUrl)
            ),
            "{base}"
        );
    }
    for base in [
        "https://generativelanguage.googleapis.com/",
        "http://127.0.0.1:8080",
    ] {
        assert!(
            GeminiAdvisor::new(config(base.to_owned())).is_ok(),
            "{base}"
        );
    }
}

#[test]
fn a_model_name_that_could_rewrite_the_path_is_refused() {
    for model in ["../tunedModels/x", "gemini?alt=sse", "gemini 2", ""] {
        let config = GeminiConfig {
            model: model.to_owned(),
            ..config(server_less())
        };
        assert!(
            matches!(
                GeminiAdvisor::new(config),
                Err(GeminiSetupError::InvalidModel)
            ),
            "{model}"
        );
    }
}

#[test]
fn unusable_limits_are_refused() {
    let base = server_less;
    let empty_key = GeminiConfig {
        api_key: SecretString::from(String::new()),
        ..config(base())
    };
    assert!(matches!(
        GeminiAdvisor::new(empty_key),
        Err(GeminiSetupError::EmptyApiKey)
    ));
    let zero_timeout = GeminiConfig {
        timeout: Duration::ZERO,
        ..config(base())
    };
    assert!(matches!(
        GeminiAdvisor::new(zero_timeout),
        Err(GeminiSetupError::ZeroTimeout)
    ));
    for attempts in [0, 11] {
        let config = GeminiConfig {
            max_attempts: attempts,
            ..config(base())
        };
        assert!(matches!(
            GeminiAdvisor::new(config),
            Err(GeminiSetupError::InvalidMaxAttempts)
        ));
    }
}

fn server_less() -> String {
    "https://generativelanguage.googleapis.com".to_owned()
}
