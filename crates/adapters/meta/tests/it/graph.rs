//! `MetaSender` against a local mock of the Graph API.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use warden_delivery::{IdempotencyKey, MessageSender, OutboundMessage, SendError};
use warden_meta::{GraphConfig, GraphSetupError, MetaSender};
use warden_types::{MessageBody, PhoneNumber, Provider};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PHONE_NUMBER_ID: &str = "106540352242922";
const TOKEN: &str = "EAAJB-test-access-token";
const WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA";
const MESSAGES_PATH: &str = "/v21.0/106540352242922/messages";

fn config(server: &MockServer) -> GraphConfig {
    GraphConfig {
        base_url: server.uri(),
        timeout: Duration::from_secs(5),
        ..GraphConfig::new(PHONE_NUMBER_ID, SecretString::from(TOKEN.to_owned()))
    }
}

fn sender(server: &MockServer) -> MetaSender {
    MetaSender::new(config(server)).unwrap()
}

fn message() -> OutboundMessage {
    OutboundMessage {
        to: PhoneNumber::parse("+16505551234").unwrap(),
        body: MessageBody::new("Tasks:\n1. Buy stamps é"),
        idempotency_key: IdempotencyKey::new("ob-1").unwrap(),
    }
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
        "messages": [{"id": WAMID}],
    }))
}

fn graph_error(code: i64) -> serde_json::Value {
    json!({"error": {
        "message": "(#131047) Re-engagement message to +16505551234",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": "16505551234 has not replied"},
        "error_subcode": 2494010,
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }})
}

async fn send_with(response: ResponseTemplate) -> Result<warden_delivery::SentMessage, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    sender(&server).send(&message()).await
}

fn assert_no_personal_data(error: &SendError) {
    let shown = format!("{error} {error:?}");
    for secret in ["6505551234", "stamps", TOKEN, "Re-engagement", "replied"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[tokio::test]
async fn sends_exactly_the_documented_text_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            // With the '+': without it Meta prepends the business number's country code.
            "to": "+16505551234",
            "type": "text",
            "text": {"preview_url": false, "body": "Tasks:\n1. Buy stamps é"},
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let sender = sender(&server);
    assert_eq!(sender.provider(), Provider::Meta);
    let sent = sender.send(&message()).await.unwrap();
    assert_eq!(sent.provider_id.as_str(), WAMID);
}

#[tokio::test]
async fn base_url_with_trailing_slash_hits_the_same_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let config = GraphConfig {
        base_url: format!("{}/", server.uri()),
        ..config(&server)
    };
    let sent = MetaSender::new(config).unwrap().send(&message()).await;
    assert!(sent.is_ok(), "{sent:?}");
}

#[tokio::test]
async fn server_error_is_retryable() {
    let err = send_with(ResponseTemplate::new(500)).await.unwrap_err();
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "http_500".into(),
            retry_after: None
        }
    );
}

#[tokio::test]
async fn throttled_send_is_retried_no_sooner_than_retry_after() {
    let response = ResponseTemplate::new(429)
        .insert_header("Retry-After", "7")
        .set_body_json(graph_error(4));
    let err = send_with(response).await.unwrap_err();
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "http_429_code_4".into(),
            retry_after: Some(Duration::from_secs(7))
        }
    );
}

#[tokio::test]
async fn throughput_error_sent_as_http_400_is_retryable() {
    let err = send_with(ResponseTemplate::new(400).set_body_json(graph_error(130429)))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    assert_eq!(err.reason(), "http_400_code_130429");
}

#[tokio::test]
async fn rejected_send_is_permanent_and_names_only_codes() {
    let err = send_with(ResponseTemplate::new(400).set_body_json(graph_error(131047)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "http_400_code_131047".into()
        }
    );
    assert_no_personal_data(&err);
}

#[tokio::test]
async fn expired_token_is_permanent() {
    let err = send_with(ResponseTemplate::new(401).set_body_json(graph_error(190)))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "http_401_code_190");
    assert!(matches!(err, SendError::Permanent { .. }));
}

#[tokio::test]
async fn error_without_graph_body_is_classified_by_status() {
    let err = send_with(ResponseTemplate::new(403).set_body_string("<html>Forbidden</html>"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Permanent {
            reason: "http_403".into()
        }
    );
}

#[tokio::test]
async fn slow_graph_is_cut_off_by_the_timeout_and_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let config = GraphConfig {
        timeout: Duration::from_millis(200),
        ..config(&server)
    };
    let started = std::time::Instant::now();
    let err = MetaSender::new(config)
        .unwrap()
        .send(&message())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "timeout".into(),
            retry_after: None
        }
    );
}

#[tokio::test]
async fn unreachable_graph_is_a_retryable_connect_failure() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = GraphConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        timeout: Duration::from_secs(5),
        ..GraphConfig::new(PHONE_NUMBER_ID, SecretString::from(TOKEN.to_owned()))
    };
    let err = MetaSender::new(config)
        .unwrap()
        .send(&message())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Retryable {
            reason: "connect".into(),
            retry_after: None
        }
    );
}

/// Meta answered 200, so it most likely accepted the message: retrying would deliver a
/// second copy, and the outbox cannot tell "maybe sent" apart. Permanent, with its own reason.
#[tokio::test]
async fn unreadable_success_is_permanent_to_avoid_a_duplicate() {
    for body in [
        ResponseTemplate::new(200).set_body_string("not json"),
        ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp"})),
        ResponseTemplate::new(200).set_body_json(json!({"messages": []})),
        ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "bad id!"}]})),
        ResponseTemplate::new(200).set_body_string("x".repeat(100 * 1024)),
    ] {
        let err = send_with(body).await.unwrap_err();
        assert_eq!(
            err,
            SendError::Permanent {
                reason: "unreadable_response".into()
            }
        );
    }
}

#[tokio::test]
async fn redirect_is_not_followed_with_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(accepted())
        .expect(0)
        .mount(&server)
        .await;
    let err = sender(&server).send(&message()).await.unwrap_err();
    assert_eq!(err.reason(), "http_307");
}

#[test]
fn refuses_configs_that_would_leak_the_token_or_break_the_path() {
    let base = || GraphConfig::new(PHONE_NUMBER_ID, SecretString::from(TOKEN.to_owned()));
    type IsExpected = fn(&GraphSetupError) -> bool;
    let cases: [(GraphConfig, IsExpected); 6] = [
        (
            GraphConfig {
                base_url: "http://graph.facebook.com".into(),
                ..base()
            },
            |e| matches!(e, GraphSetupError::InvalidBaseUrl),
        ),
        (
            GraphConfig {
                api_version: "v21.0/../../me".into(),
                ..base()
            },
            |e| matches!(e, GraphSetupError::InvalidApiVersion),
        ),
        (
            GraphConfig {
                phone_number_id: "+15550783881".into(),
                ..base()
            },
            |e| matches!(e, GraphSetupError::InvalidPhoneNumberId),
        ),
        (
            GraphConfig {
                phone_number_id: "1/../../me".into(),
                ..base()
            },
            |e| matches!(e, GraphSetupError::InvalidPhoneNumberId),
        ),
        (
            GraphConfig::new(PHONE_NUMBER_ID, SecretString::from(String::new())),
            |e| matches!(e, GraphSetupError::EmptyAccessToken),
        ),
        (
            GraphConfig {
                timeout: Duration::ZERO,
                ..base()
            },
            |e| matches!(e, GraphSetupError::ZeroTimeout),
        ),
    ];
    for (config, expected) in cases {
        let shown = format!("{config:?}");
        let err = MetaSender::new(config).unwrap_err();
        assert!(expected(&err), "{err:?} for {shown}");
        assert!(!format!("{err} {err:?}").contains(TOKEN));
    }
    assert_eq!(base().base_url, "https://graph.facebook.com");
    assert_eq!(base().api_version, "v21.0");
    assert_eq!(base().timeout, Duration::from_secs(10));
}
