//! `GoogleCalendar` against a local mock of Google's token endpoint and Calendar API v3,
//! speaking their real wire format. Tests are named after the risk they close.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{json, Value};
use warden_calendar::{Calendar, CalendarError, Deleted, EventId, Inserted, NewEvent};
use warden_commands::TaskTitle;
use warden_google_calendar::{
    GoogleCalendar, GoogleCalendarConfig, GoogleCalendarSetupError, SCOPE,
};
use warden_types::{Provider, ProviderMessageId, SenderId, UnixMillis};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CLIENT_ID: &str = "1234567890-abc.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-client-secret-value";
const REFRESH_TOKEN: &str = "1//0refresh-token-value-XYZ";
const ACCESS_TOKEN: &str = "ya29.a0AfH6SMBaccess-token-1";
const ACCESS_TOKEN_2: &str = "ya29.a0AfH6SMBaccess-token-2";
const TITLE: &str = "colonoscopy prep";
const EVENTS_PATH: &str = "/calendar/v3/calendars/primary/events";
/// 2026-05-04T16:00:00Z.
const START: UnixMillis = UnixMillis(1_777_910_400_000);

fn owner() -> SenderId {
    SenderId::from_hex(&"ab12".repeat(8)).unwrap()
}

fn event_id() -> EventId {
    EventId::for_message(
        Provider::Twilio,
        &ProviderMessageId::new("SM0123456789abcdef0123456789abcdef").unwrap(),
    )
}

fn new_event() -> NewEvent {
    NewEvent {
        id: event_id(),
        owner: owner(),
        title: TaskTitle::new(TITLE).unwrap(),
        start: START,
        end: START.plus_ms(30 * 60_000),
        zone: "Europe/Berlin".to_owned(),
        popup_minutes_before: 10,
    }
}

fn config(server: &MockServer) -> GoogleCalendarConfig {
    GoogleCalendarConfig {
        oauth_url: server.uri(),
        api_url: server.uri(),
        timeout: Duration::from_secs(3),
        ..GoogleCalendarConfig::new(
            CLIENT_ID.to_owned(),
            SecretString::from(CLIENT_SECRET.to_owned()),
            SecretString::from(REFRESH_TOKEN.to_owned()),
        )
    }
}

fn calendar(server: &MockServer) -> GoogleCalendar {
    GoogleCalendar::new(config(server)).unwrap()
}

/// Google's token answer to a refresh-token grant.
fn token(access: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "expires_in": expires_in,
        "scope": SCOPE,
        "token_type": "Bearer"
    }))
}

async fn mount_token(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(response)
        .mount(server)
        .await;
}

/// What `events.insert` answers: the event as stored.
fn inserted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "kind": "calendar#event",
        "etag": "\"3181161784712000\"",
        "id": event_id().as_str(),
        "status": "confirmed",
        "htmlLink": "https://www.google.com/calendar/event?eid=xyz",
        "created": "2026-05-04T07:00:00.000Z",
        "updated": "2026-05-04T07:00:00.356Z",
        "summary": TITLE,
        "start": {"dateTime": "2026-05-04T18:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-05-04T18:30:00+02:00", "timeZone": "Europe/Berlin"},
        "reminders": {"useDefault": false, "overrides": [{"method": "popup", "minutes": 10}]}
    }))
}

/// Google's error envelope, whose message quotes the request as real ones can.
fn google_error(code: u16, reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"error": {
        "errors": [{"domain": "global", "reason": reason, "message": format!("{reason} for '{TITLE}'")}],
        "code": code,
        "message": format!("{reason} for '{TITLE}'")
    }}))
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

fn bearer(request: &Request) -> String {
    request
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn assert_no_secret(error: &CalendarError) {
    let text = format!("{error} {error:?}");
    for secret in [
        TITLE,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        "colonoscopy",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}

// --- OAuth ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_refresh_grant_is_sent_as_google_expects_and_its_token_is_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(token(ACCESS_TOKEN, 3599))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(inserted())
        .mount(&server)
        .await;
    let calendar = calendar(&server);
    for _ in 0..3 {
        assert_eq!(calendar.insert(&new_event()).await, Ok(Inserted::Created));
    }
    let grants = requests_to(&server, "/token").await;
    assert_eq!(grants.len(), 1, "the access token was not cached");
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&grants[0].body).unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("client_id"), Some(CLIENT_ID));
    assert_eq!(field("client_secret"), Some(CLIENT_SECRET));
    assert_eq!(field("refresh_token"), Some(REFRESH_TOKEN));
    assert_eq!(requests_to(&server, EVENTS_PATH).await.len(), 3);
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_use() {
    let server = MockServer::start().await;
    // Within the 60 s margin: never reused.
    mount_token(&server, token(ACCESS_TOKEN, 30)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted())
        .mount(&server)
        .await;
    let calendar = calendar(&server);
    calendar.insert(&new_event()).await.unwrap();
    calendar.insert(&new_event()).await.unwrap();
    assert_eq!(requests_to(&server, "/token").await.len(), 2);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_the_request_goes_again_with_the_new_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token(ACCESS_TOKEN, 3599))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_token(&server, token(ACCESS_TOKEN_2, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(google_error(401, "authError"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN_2}").as_str(),
        ))
        .respond_with(inserted())
        .mount(&server)
        .await;
    let calendar = calendar(&server);
    assert_eq!(calendar.insert(&new_event()).await, Ok(Inserted::Created));
    let inserts = requests_to(&server, EVENTS_PATH).await;
    assert_eq!(inserts.len(), 2);
    assert_eq!(bearer(&inserts[1]), format!("Bearer {ACCESS_TOKEN_2}"));
    // The renewed token is the cached one now.
    calendar.insert(&new_event()).await.unwrap();
    assert_eq!(requests_to(&server, "/token").await.len(), 2);
}

#[tokio::test]
async fn a_second_401_is_a_permanent_failure_not_a_refresh_loop() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(401, "authError"))
        .mount(&server)
        .await;
    let error = calendar(&server).insert(&new_event()).await.unwrap_err();
    assert_eq!(
        error,
        CalendarError::Permanent {
            reason: "http_401_authError".to_owned()
        }
    );
    assert_eq!(requests_to(&server, "/token").await.len(), 2);
    assert_eq!(requests_to(&server, EVENTS_PATH).await.len(), 2);
    assert_no_secret(&error);
}

#[tokio::test]
async fn invalid_grant_disables_the_calendar_and_no_further_call_is_made() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked."
        })),
    )
    .await;
    let calendar = calendar(&server);
    let first = calendar.insert(&new_event()).await.unwrap_err();
    assert_eq!(
        first,
        CalendarError::Disabled {
            reason: "invalid_grant"
        }
    );
    let again = calendar.upcoming(&owner(), START, 10).await.unwrap_err();
    assert_eq!(again, first);
    assert_eq!(calendar.delete(&event_id()).await.unwrap_err(), first);
    assert_eq!(requests_to(&server, "/token").await.len(), 1);
    assert!(requests_to(&server, EVENTS_PATH).await.is_empty());
    assert!(format!("{calendar:?}").contains("disabled: true"));
}

#[tokio::test]
async fn a_grant_wider_than_calendar_events_is_refused() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN,
            "expires_in": 3599,
            "scope": format!("{SCOPE} https://www.googleapis.com/auth/calendar"),
            "token_type": "Bearer"
        })),
    )
    .await;
    let calendar = calendar(&server);
    assert_eq!(
        calendar.insert(&new_event()).await,
        Err(CalendarError::Disabled {
            reason: "scope_too_broad"
        })
    );
    assert!(requests_to(&server, EVENTS_PATH).await.is_empty());
}

#[tokio::test]
async fn a_throttled_or_failing_token_endpoint_is_retryable() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(503).insert_header("retry-after", "5"),
    )
    .await;
    assert_eq!(
        calendar(&server).insert(&new_event()).await,
        Err(CalendarError::Retryable {
            reason: "token_http_503".to_owned(),
            retry_after: Some(Duration::from_secs(5)),
        })
    );
}

// --- inserts -------------------------------------------------------------------------------------

#[tokio::test]
async fn the_insert_carries_the_derived_id_times_zone_popup_and_owner() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted())
        .mount(&server)
        .await;
    calendar(&server).insert(&new_event()).await.unwrap();
    let sent: Value =
        serde_json::from_slice(&requests_to(&server, EVENTS_PATH).await[0].body).unwrap();
    assert_eq!(
        sent,
        json!({
            "id": event_id().as_str(),
            "summary": TITLE,
            "start": {"dateTime": "2026-05-04T16:00:00Z", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-05-04T16:30:00Z", "timeZone": "Europe/Berlin"},
            "reminders": {"useDefault": false, "overrides": [{"method": "popup", "minutes": 10}]},
            "extendedProperties": {"private": {"wardenOwner": owner().as_str()}}
        })
    );
}

#[tokio::test]
async fn a_retried_insert_that_finds_its_event_already_stored_is_success() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(409, "duplicate"))
        .mount(&server)
        .await;
    assert_eq!(
        calendar(&server).insert(&new_event()).await,
        Ok(Inserted::AlreadyExisted)
    );
}

#[tokio::test]
async fn rate_limits_are_retryable_and_carry_retry_after() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(429, "rateLimitExceeded").insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let error = calendar(&server).insert(&new_event()).await.unwrap_err();
    assert_eq!(
        error,
        CalendarError::Retryable {
            reason: "http_429_rateLimitExceeded".to_owned(),
            retry_after: Some(Duration::from_secs(7)),
        }
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn googles_403_rate_limit_is_retryable_but_a_403_refusal_is_not() {
    for (reason, retryable) in [
        ("userRateLimitExceeded", true),
        ("rateLimitExceeded", true),
        ("forbidden", false),
        ("insufficientPermissions", false),
    ] {
        let server = MockServer::start().await;
        mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
        Mock::given(method("POST"))
            .and(path(EVENTS_PATH))
            .respond_with(google_error(403, reason))
            .mount(&server)
            .await;
        let error = calendar(&server).insert(&new_event()).await.unwrap_err();
        assert_eq!(
            matches!(error, CalendarError::Retryable { .. }),
            retryable,
            "{reason}: {error:?}"
        );
        assert_eq!(error.reason(), format!("http_403_{reason}"));
        assert_no_secret(&error);
    }
}

#[tokio::test]
async fn a_server_error_is_retryable_and_the_next_attempt_succeeds() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(500, "backendError"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted())
        .mount(&server)
        .await;
    let calendar = calendar(&server);
    assert!(matches!(
        calendar.insert(&new_event()).await,
        Err(CalendarError::Retryable { ref reason, retry_after: None }) if reason == "http_500_backendError"
    ));
    assert_eq!(calendar.insert(&new_event()).await, Ok(Inserted::Created));
    // Both attempts named the same event.
    let inserts = requests_to(&server, EVENTS_PATH).await;
    let id = |r: &Request| serde_json::from_slice::<Value>(&r.body).unwrap()["id"].clone();
    assert_eq!(id(&inserts[0]), id(&inserts[1]));
}

#[tokio::test]
async fn a_slow_api_times_out_as_retryable_within_the_deadline() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(inserted().set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let calendar = GoogleCalendar::new(GoogleCalendarConfig {
        timeout: Duration::from_millis(300),
        ..config(&server)
    })
    .unwrap();
    let started = Instant::now();
    let error = calendar.insert(&new_event()).await.unwrap_err();
    assert!(
        matches!(error, CalendarError::Retryable { .. }),
        "{error:?}"
    );
    assert!(error.reason().contains("timeout"), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_as_retryable() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        token(ACCESS_TOKEN, 3599).set_delay(Duration::from_secs(10)),
    )
    .await;
    let calendar = GoogleCalendar::new(GoogleCalendarConfig {
        timeout: Duration::from_millis(300),
        ..config(&server)
    })
    .unwrap();
    let started = Instant::now();
    let error = calendar.insert(&new_event()).await.unwrap_err();
    assert!(
        matches!(error, CalendarError::Retryable { .. }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_bearer_token_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(inserted())
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/steal", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let error = calendar(&server).insert(&new_event()).await.unwrap_err();
    assert_eq!(error.reason(), "http_307");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

// --- list and delete -----------------------------------------------------------------------------

#[tokio::test]
async fn upcoming_asks_for_the_owners_events_only_and_reads_googles_answer() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    let other = EventId::parse("0123456789abcdefghijklmnopqrstuv").unwrap();
    Mock::given(method("GET"))
        .and(path(EVENTS_PATH))
        .and(query_param(
            "privateExtendedProperty",
            format!("wardenOwner={}", owner().as_str()).as_str(),
        ))
        .and(query_param("timeMin", "2026-05-04T16:00:00Z"))
        .and(query_param("singleEvents", "true"))
        .and(query_param("orderBy", "startTime"))
        .and(query_param("maxResults", "10"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [
                {"id": event_id().as_str(), "summary": TITLE,
                 "start": {"dateTime": "2026-05-04T18:00:00+02:00", "timeZone": "Europe/Berlin"}},
                {"id": other.as_str(), "summary": "dentist",
                 "start": {"dateTime": "2026-05-05T07:30:00Z"}}
            ]
        })))
        .mount(&server)
        .await;
    let events = calendar(&server)
        .upcoming(&owner(), START, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].id, event_id());
    assert_eq!(events[0].title, TITLE);
    assert_eq!(events[0].start, START);
    assert_eq!(events[1].id, other);
    assert_eq!(events[1].start, UnixMillis(1_777_966_200_000));
    assert!(!format!("{events:?}").contains("colonoscopy"));
}

#[tokio::test]
async fn an_oversized_list_is_refused_not_buffered() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("GET"))
        .and(path(EVENTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "{{\"items\":[],\"pad\":\"{}\"}}",
            "x".repeat(300 * 1024)
        )))
        .mount(&server)
        .await;
    let error = calendar(&server)
        .upcoming(&owner(), START, 10)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CalendarError::Permanent {
            reason: "too_large".to_owned()
        }
    );
}

#[tokio::test]
async fn an_oversized_token_answer_is_refused() {
    let server = MockServer::start().await;
    mount_token(
        &server,
        ResponseTemplate::new(200).set_body_string("x".repeat(64 * 1024)),
    )
    .await;
    let error = calendar(&server).insert(&new_event()).await.unwrap_err();
    assert_eq!(error.reason(), "token_too_large");
}

#[tokio::test]
async fn a_list_not_in_googles_shape_is_a_permanent_failure() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("GET"))
        .and(path(EVENTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"id": "NOT-BASE32", "summary": "x", "start": {"dateTime": "2026-05-05T07:30:00Z"}}]
        })))
        .mount(&server)
        .await;
    let error = calendar(&server)
        .upcoming(&owner(), START, 10)
        .await
        .unwrap_err();
    assert_eq!(error.reason(), "malformed_event_id");
}

#[tokio::test]
async fn delete_removes_the_event_and_a_missing_one_counts_as_gone() {
    let delete_path = format!("{EVENTS_PATH}/{}", event_id().as_str());
    for (status, expected) in [
        (204, Deleted::Deleted),
        (404, Deleted::AlreadyGone),
        (410, Deleted::AlreadyGone),
    ] {
        let server = MockServer::start().await;
        mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
        Mock::given(method("DELETE"))
            .and(path(delete_path.as_str()))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        assert_eq!(
            calendar(&server).delete(&event_id()).await,
            Ok(expected),
            "{status}"
        );
    }
}

// --- configuration -------------------------------------------------------------------------------

#[tokio::test]
async fn a_calendar_id_is_one_escaped_path_segment() {
    let server = MockServer::start().await;
    mount_token(&server, token(ACCESS_TOKEN, 3599)).await;
    Mock::given(method("POST"))
        .respond_with(inserted())
        .mount(&server)
        .await;
    let calendar = GoogleCalendar::new(GoogleCalendarConfig {
        calendar_id: "team/../x#y@group.calendar.google.com".to_owned(),
        ..config(&server)
    })
    .unwrap();
    calendar.insert(&new_event()).await.unwrap();
    let request = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path().starts_with("/calendar"))
        .unwrap();
    assert_eq!(
        request.url.path(),
        "/calendar/v3/calendars/team%2F..%2Fx%23y@group.calendar.google.com/events"
    );
}

#[test]
fn credentials_travel_only_over_https_or_to_loopback() {
    let base = || {
        GoogleCalendarConfig::new(
            CLIENT_ID.to_owned(),
            SecretString::from(CLIENT_SECRET.to_owned()),
            SecretString::from(REFRESH_TOKEN.to_owned()),
        )
    };
    assert!(GoogleCalendar::new(base()).is_ok());
    assert!(matches!(
        GoogleCalendar::new(GoogleCalendarConfig {
            oauth_url: "http://oauth2.googleapis.com".to_owned(),
            ..base()
        }),
        Err(GoogleCalendarSetupError::InvalidOAuthUrl)
    ));
    assert!(matches!(
        GoogleCalendar::new(GoogleCalendarConfig {
            api_url: "https://www.googleapis.com/evil".to_owned(),
            ..base()
        }),
        Err(GoogleCalendarSetupError::InvalidApiUrl)
    ));
    assert!(matches!(
        GoogleCalendar::new(GoogleCalendarConfig {
            refresh_token: SecretString::from(String::new()),
            ..base()
        }),
        Err(GoogleCalendarSetupError::EmptyRefreshToken)
    ));
    let shown = format!("{:?} {:?}", base(), GoogleCalendar::new(base()).unwrap());
    for secret in [CLIENT_SECRET, REFRESH_TOKEN] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

// --- logs ----------------------------------------------------------------------------------------

/// Collects every formatted log line.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_hold_no_title_and_no_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token(ACCESS_TOKEN, 3599))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS_PATH))
        .respond_with(google_error(401, "authError"))
        .mount(&server)
        .await;
    let calendar = calendar(&server);
    // A 401, a refused refresh (the security warning), then calls on a disabled calendar.
    let error = calendar.insert(&new_event()).await.unwrap_err();
    assert_eq!(
        error,
        CalendarError::Disabled {
            reason: "invalid_grant"
        }
    );
    let _ = calendar.upcoming(&owner(), START, 10).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("invalid_grant"),
        "the disabling is logged: {logs}"
    );
    assert_eq!(
        logs.matches("WARN").count(),
        1,
        "one warning, not one per call: {logs}"
    );
    for secret in [
        TITLE,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        "2026-05-04",
    ] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

// --- `warden calendar auth`: the code exchange ----------------------------------------------------

mod consent {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    use warden_google_calendar::auth::{exchange_code, AuthError, Exchange, Pkce};

    const REDIRECT: &str = "http://127.0.0.1:53682";

    async fn exchange(server: &MockServer, pkce: &Pkce) -> Result<String, AuthError> {
        let secret = SecretString::from(CLIENT_SECRET.to_owned());
        let uri = server.uri();
        let params = Exchange {
            oauth_url: &uri,
            client_id: CLIENT_ID,
            client_secret: &secret,
            redirect_uri: REDIRECT,
            timeout: Duration::from_secs(3),
        };
        exchange_code(&params, &SecretString::from("4/0AbCdEf".to_owned()), pkce)
            .await
            .map(|t| t.expose_secret().to_owned())
    }

    fn granted(scope: &str, refresh: Option<&str>) -> ResponseTemplate {
        let mut body = json!({
            "access_token": ACCESS_TOKEN,
            "expires_in": 3599,
            "scope": scope,
            "token_type": "Bearer"
        });
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        ResponseTemplate::new(200).set_body_json(body)
    }

    #[tokio::test]
    async fn the_code_is_exchanged_with_its_pkce_verifier_for_the_refresh_token() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains("grant_type=authorization_code"))
            .respond_with(granted(SCOPE, Some(REFRESH_TOKEN)))
            .mount(&server)
            .await;
        let pkce = Pkce::from_random([9; 32]);
        assert_eq!(exchange(&server, &pkce).await.as_deref(), Ok(REFRESH_TOKEN));
        let sent = &requests_to(&server, "/token").await[0];
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&sent.body).unwrap();
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(field("code").as_deref(), Some("4/0AbCdEf"));
        assert_eq!(field("redirect_uri").as_deref(), Some(REDIRECT));
        let verifier = field("code_verifier").unwrap();
        // The verifier sent is the one whose S256 the consent URL carried.
        assert_eq!(
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            pkce.challenge()
        );
    }

    #[tokio::test]
    async fn a_used_or_expired_code_is_refused_by_its_code_only() {
        let server = MockServer::start().await;
        mount_token(
            &server,
            ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_grant",
                "error_description": format!("Bad Request {REFRESH_TOKEN}")
            })),
        )
        .await;
        let error = exchange(&server, &Pkce::from_random([3; 32]))
            .await
            .unwrap_err();
        assert_eq!(error, AuthError::Exchange("invalid_grant".to_owned()));
        assert!(!format!("{error} {error:?}").contains(REFRESH_TOKEN));
    }

    #[tokio::test]
    async fn a_consent_wider_than_calendar_events_or_without_refresh_token_is_refused() {
        let server = MockServer::start().await;
        mount_token(
            &server,
            granted(
                &format!("{SCOPE} https://www.googleapis.com/auth/gmail.readonly"),
                Some(REFRESH_TOKEN),
            ),
        )
        .await;
        assert_eq!(
            exchange(&server, &Pkce::from_random([4; 32])).await,
            Err(AuthError::ScopeTooBroad)
        );
        let server = MockServer::start().await;
        mount_token(&server, granted(SCOPE, None)).await;
        assert_eq!(
            exchange(&server, &Pkce::from_random([4; 32])).await,
            Err(AuthError::NoRefreshToken)
        );
    }
}
