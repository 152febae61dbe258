//! Black-box tests of the Twilio Voice adapter against a wiremock Twilio, named after the risk
//! each one guards against.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use warden_marketplace::{CallError, CallPlacer, RequestRef};
use warden_twilio::{call_twiml, RestSetupError, TwilioVoice, VoiceConfig, DEFAULT_API_URL};
use warden_types::PhoneNumber;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const CALL_SID: &str = "CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7";
const CALLS_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json";
const CLIENT: &str = "+14155550123";
const CLIENT_DIGITS: &str = "4155550123";
const FROM: &str = "+14155550100";
const REFERENCE: &str = "R-7F3K2Q";

fn config(api_url: &str) -> VoiceConfig {
    VoiceConfig {
        api_url: api_url.to_owned(),
        ..VoiceConfig::new(
            ACCOUNT.to_owned(),
            SecretString::from(TOKEN.to_owned()),
            PhoneNumber::parse(FROM).unwrap(),
        )
    }
}

fn voice(server: &MockServer) -> TwilioVoice {
    TwilioVoice::new(config(&server.uri())).unwrap()
}

fn client() -> PhoneNumber {
    PhoneNumber::parse(CLIENT).unwrap()
}

fn reference() -> RequestRef {
    RequestRef::parse(REFERENCE).unwrap()
}

/// Trimmed from the documented Call resource a create returns.
fn created_body() -> serde_json::Value {
    serde_json::json!({
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "direction": "outbound-api",
        "from": FROM,
        "from_formatted": "(415) 555-0100",
        "sid": CALL_SID,
        "status": "queued",
        "to": CLIENT,
        "to_formatted": "(415) 555-0123",
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL_SID}.json"),
    })
}

fn twilio_error(status: u16, code: i64, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "code": code,
        "message": text,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

/// Mounts `response` for exactly one create, places one call, returns the error.
async fn call_fails(response: ResponseTemplate) -> CallError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    voice(&server)
        .place_call(&client(), &reference())
        .await
        .unwrap_err()
}

fn assert_code_only(err: &CallError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(CLIENT_DIGITS), "{shown}");
    assert!(!shown.contains("555"), "{shown}");
    assert!(!shown.contains("not a valid"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn call_is_one_basic_auth_form_post_to_the_account_calls_endpoint() {
    let server = MockServer::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
        .expect(1)
        .mount(&server)
        .await;

    let sid = voice(&server)
        .place_call(&client(), &reference())
        .await
        .unwrap();
    assert_eq!(sid.as_str(), CALL_SID);

    let requests = server.received_requests().await.unwrap();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&requests[0].body).unwrap();
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["To", "From", "Twiml"]);
    // Voice numbers are plain E.164: a `whatsapp:` address would be refused by Twilio.
    assert_eq!(fields[0].1, CLIENT);
    assert_eq!(fields[1].1, FROM);
    assert_eq!(fields[2].1, call_twiml(&reference()));
}

#[test]
fn call_script_names_the_reference_and_never_the_client() {
    let twiml = call_twiml(&reference());
    assert!(twiml.starts_with("<Response><Say>"), "{twiml}");
    assert!(twiml.ends_with("</Say></Response>"), "{twiml}");
    assert!(twiml.contains("R, 7, F, 3, K, 2, Q"), "{twiml}");
    assert!(!twiml.contains(CLIENT_DIGITS), "{twiml}");
    assert!(!twiml.contains("555"), "{twiml}");
    // One `<Say>`, nothing a caller-controlled value could have added (`<Dial>`, `<Redirect>`).
    assert_eq!(twiml.matches('<').count(), 4, "{twiml}");
}

#[tokio::test]
async fn status_callback_is_requested_when_configured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
        .expect(1)
        .mount(&server)
        .await;
    let callback = "https://warden.example.com/webhooks/twilio/call-status";
    let voice = TwilioVoice::new(VoiceConfig {
        status_callback: Some(callback.to_owned()),
        ..config(&server.uri())
    })
    .unwrap();
    voice.place_call(&client(), &reference()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&requests[0].body).unwrap();
    assert_eq!(
        fields.last(),
        Some(&("StatusCallback".to_owned(), callback.to_owned()))
    );
}

#[tokio::test]
async fn invalid_number_is_permanent_and_named_by_twilio_code_only() {
    let text = format!("The 'To' number {CLIENT} is not a valid phone number.");
    let err = call_fails(twilio_error(400, 21211, &text)).await;
    assert_eq!(err, CallError::Permanent("twilio_21211"));
    assert_code_only(&err);
}

#[tokio::test]
async fn unknown_twilio_code_is_dropped_and_the_error_named_by_status() {
    let text = format!("Something new about {CLIENT}");
    let err = call_fails(twilio_error(403, 99999, &text)).await;
    assert_eq!(err, CallError::Permanent("http_403"));
    assert_code_only(&err);
}

#[tokio::test]
async fn twilio_outage_is_retryable() {
    let page = ResponseTemplate::new(503).set_body_string(format!("<html>{CLIENT}</html>"));
    let err = call_fails(page).await;
    assert_eq!(err, CallError::Retryable("http_503"));
    assert_code_only(&err);
    assert_eq!(
        call_fails(ResponseTemplate::new(500)).await,
        CallError::Retryable("http_500")
    );
}

#[tokio::test]
async fn throttled_call_is_retryable() {
    let err = call_fails(twilio_error(429, 20429, "Too Many Requests")).await;
    assert_eq!(err, CallError::Retryable("http_429"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn slow_twilio_is_a_retryable_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(created_body())
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let voice = TwilioVoice::new(VoiceConfig {
        timeout: Duration::from_millis(200),
        ..config(&server.uri())
    })
    .unwrap();
    assert_eq!(
        voice.place_call(&client(), &reference()).await,
        Err(CallError::Retryable("timeout"))
    );
}

#[tokio::test]
async fn unreachable_twilio_is_a_retryable_connect_failure() {
    // Bind, learn the port, close: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let voice = TwilioVoice::new(config(&format!("http://127.0.0.1:{port}"))).unwrap();
    assert_eq!(
        voice.place_call(&client(), &reference()).await,
        Err(CallError::Retryable("connect"))
    );
}

#[tokio::test]
async fn accepted_call_with_malformed_response_is_not_retried() {
    for body in [
        "not json",
        "{}",
        r#"{"sid":"CA123"}"#,
        r#"{"sid":"SM7d2c0f4e9b8a41c6a5d3e2f1b0c9d8e7"}"#,
        r#"{"sid":"CA7d2c0f4e9b8a41c6a5d3e2f1b0c9d8eZ"}"#,
        r#"{"sid":42}"#,
    ] {
        let err = call_fails(ResponseTemplate::new(201).set_body_string(body)).await;
        assert_eq!(err, CallError::Permanent("unreadable_response"), "{body}");
    }
}

#[tokio::test]
async fn oversized_response_is_not_read_into_memory() {
    let oversized = format!(
        "{{\"sid\":\"{CALL_SID}\",\"pad\":\"{}\"}}",
        "x".repeat(70_000)
    );
    let err = call_fails(ResponseTemplate::new(201).set_body_string(oversized)).await;
    assert_eq!(err, CallError::Permanent("unreadable_response"));

    let huge_error = format!("{{\"code\":21211,\"pad\":\"{}\"}}", "x".repeat(70_000));
    let err = call_fails(ResponseTemplate::new(400).set_body_string(huge_error)).await;
    assert_eq!(err, CallError::Permanent("http_400"));
}

#[tokio::test]
async fn redirects_are_not_followed_with_the_credentials() {
    let server = MockServer::start().await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_body()))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/elsewhere", server.uri()).as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        voice(&server).place_call(&client(), &reference()).await,
        Err(CallError::Permanent("http_307"))
    );
}

#[test]
fn debug_never_shows_the_auth_token_or_full_numbers() {
    let mut cfg = config(DEFAULT_API_URL);
    cfg.status_callback = Some("https://user:hunter2@warden.example.com/status".into());
    let voice = TwilioVoice::new(cfg.clone()).unwrap();
    for shown in [format!("{cfg:?}"), format!("{voice:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("4155550100"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}

#[test]
fn credentials_travel_only_over_https_or_loopback() {
    for ok in [
        "https://api.twilio.com",
        "https://api.twilio.com/",
        "http://127.0.0.1:8080",
        "http://localhost",
        "http://[::1]:1",
    ] {
        assert!(TwilioVoice::new(config(ok)).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "api.twilio.com",
        "http://api.twilio.com",
        "http://127.0.0.1.evil.example",
        "http://localhost@evil.example",
        "https://api.twilio.com/2010-04-01",
        "ftp://api.twilio.com",
    ] {
        assert!(
            matches!(
                TwilioVoice::new(config(bad)),
                Err(RestSetupError::InvalidApiUrl)
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn unusable_settings_are_refused_at_construction() {
    let bad_sid = VoiceConfig {
        account_sid: "AC0123456789abcdef0123456789abc/..".into(),
        ..config(DEFAULT_API_URL)
    };
    assert!(matches!(
        TwilioVoice::new(bad_sid),
        Err(RestSetupError::InvalidAccountSid)
    ));
    let empty_token = VoiceConfig {
        auth_token: SecretString::from(String::new()),
        ..config(DEFAULT_API_URL)
    };
    assert!(matches!(
        TwilioVoice::new(empty_token),
        Err(RestSetupError::EmptyAuthToken)
    ));
    let zero = VoiceConfig {
        timeout: Duration::ZERO,
        ..config(DEFAULT_API_URL)
    };
    assert!(matches!(
        TwilioVoice::new(zero),
        Err(RestSetupError::ZeroTimeout)
    ));
    let plain_callback = VoiceConfig {
        status_callback: Some("http://warden.example.com/status".into()),
        ..config(DEFAULT_API_URL)
    };
    assert!(matches!(
        TwilioVoice::new(plain_callback),
        Err(RestSetupError::InvalidStatusCallback)
    ));
}
