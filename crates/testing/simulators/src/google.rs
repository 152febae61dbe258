//! A stand-in for Google's OAuth token endpoint and Calendar API v3 events, for the calendar's
//! tests and, later, the demo: `POST /token` (refresh-token grant), and under
//! `/calendar/v3/calendars/{calendarId}/events` insert (`POST`, 409 for an id it holds), list
//! (`GET`, by the private property `wardenOwner`, `timeMin` on the end, `maxResults`) and delete
//! (`DELETE …/{eventId}`, 410 once deleted). Events live in memory.
//!
//! Times are compared as the strings Warden sends (UTC RFC 3339, whole seconds), which order as
//! the instants do; the mock parses no other shape.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::{json_error, Script};
use crate::{CannedReply, MockServer, ReceivedRequest, Recorded, SimulatorError};

/// The only scope the mock grants.
pub const CALENDAR_EVENTS_SCOPE: &str = "https://www.googleapis.com/auth/calendar.events";

/// One stored event. `Debug` shows the id only: the summary is a user's title.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: String,
    pub summary: String,
    /// `start.dateTime` as sent.
    pub start: String,
    /// `end.dateTime` as sent.
    pub end: String,
    pub time_zone: String,
    /// `extendedProperties.private.wardenOwner`.
    pub owner: String,
    /// `reminders.overrides[0].minutes`, when a popup was asked for.
    pub popup_minutes: Option<u64>,
}

impl std::fmt::Debug for StoredEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEvent")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

struct GoogleState {
    client_id: String,
    client_secret: String,
    refresh_token: String,
    /// Access tokens issued and not yet revoked.
    tokens: Mutex<Vec<String>>,
    issued: AtomicU64,
    /// The grant was revoked: refreshes get `invalid_grant`.
    revoked: AtomicBool,
    /// Live events by id, and ids once deleted (410 afterwards).
    events: Mutex<BTreeMap<String, StoredEvent>>,
    deleted: Mutex<Vec<String>>,
    requests: Recorded<ReceivedRequest>,
    /// Scripted answers to Calendar API calls, before the usual handling.
    script: Script,
    /// The next insert is stored, then answered only after this (a response lost in a timeout).
    hang_after_store: Mutex<Option<Duration>>,
}

/// Google's token endpoint and Calendar API, for one OAuth client and one refresh token.
#[derive(Debug)]
pub struct MockGoogle {
    pub addr: SocketAddr,
    server: MockServer<GoogleState>,
}

impl MockGoogle {
    /// Serves on a free loopback port; refreshes must present exactly these credentials.
    pub async fn start(
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
    ) -> Result<Self, SimulatorError> {
        let state = GoogleState {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            refresh_token: refresh_token.to_owned(),
            tokens: Mutex::new(Vec::new()),
            issued: AtomicU64::new(0),
            revoked: AtomicBool::new(false),
            events: Mutex::new(BTreeMap::new()),
            deleted: Mutex::new(Vec::new()),
            requests: Recorded::default(),
            script: Script::default(),
            hang_after_store: Mutex::new(None),
        };
        let routes = Router::new().fallback(google);
        let server = MockServer::start_local("mock Google API", routes, state).await?;
        Ok(Self {
            addr: server.addr,
            server,
        })
    }

    /// The base URL for both `GOOGLE_OAUTH_URL` and `GOOGLE_CALENDAR_API_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Live events, by id.
    pub fn events(&self) -> Vec<StoredEvent> {
        self.server
            .state
            .events
            .lock()
            .map(|events| events.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Access tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.server.state.issued.load(Ordering::Acquire)
    }

    /// Revokes the grant (as the user does in their Google account): every access token stops
    /// working and refreshes get `invalid_grant`.
    pub fn revoke(&self) {
        self.server.state.revoked.store(true, Ordering::Release);
        if let Ok(mut tokens) = self.server.state.tokens.lock() {
            tokens.clear();
        }
    }

    /// Answers the next `times` Calendar API calls with `reply` instead.
    pub fn script(&self, reply: CannedReply, times: u64) {
        self.server.state.script.push(reply, times);
    }

    /// Stores the next insert, then answers it only after `delay`: the caller times out although
    /// Google has the event.
    pub fn hang_next_insert_after_storing(&self, delay: Duration) {
        if let Ok(mut hang) = self.server.state.hang_after_store.lock() {
            *hang = Some(delay);
        }
    }

    /// Every request received, whatever it was answered, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.server.state.requests.all()
    }

    pub async fn shutdown(self) -> Result<(), SimulatorError> {
        self.server.shutdown().await
    }
}

/// Google's Calendar error envelope.
fn api_error(status: StatusCode, reason: &str) -> Response {
    let message = reason.to_owned();
    json_error(
        status,
        json!({"error": {
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "code": status.as_u16(),
            "message": message
        }})
        .to_string(),
    )
}

/// RFC 6749 §5.2.
fn token_error(status: StatusCode, error: &str) -> Response {
    json_error(status, json!({"error": error}).to_string())
}

async fn google(
    State(state): State<Arc<GoogleState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ReceivedRequest::new(method, &uri, headers, body);
    state.requests.push(request.clone());
    if request.path == "/token" && request.method == Method::POST {
        return refresh(&state, &request);
    }
    let segments: Vec<&str> = request.path.split('/').collect();
    let event_id = match segments.as_slice() {
        ["", "calendar", "v3", "calendars", _, "events"] => None,
        ["", "calendar", "v3", "calendars", _, "events", id] => Some((*id).to_owned()),
        _ => return api_error(StatusCode::NOT_FOUND, "notFound"),
    };
    let bearer = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let authorised = bearer.is_some_and(|token| {
        state
            .tokens
            .lock()
            .map(|tokens| tokens.contains(&token))
            .unwrap_or(false)
    });
    if !authorised {
        return api_error(StatusCode::UNAUTHORIZED, "authError");
    }
    if let Some(reply) = state.script.next() {
        return reply.respond().await;
    }
    match (request.method.clone(), event_id) {
        (Method::POST, None) => insert(&state, &request).await,
        (Method::GET, None) => list(&state, &uri),
        (Method::DELETE, Some(id)) => delete(&state, &id),
        _ => api_error(StatusCode::METHOD_NOT_ALLOWED, "methodNotAllowed"),
    }
}

fn refresh(state: &GoogleState, request: &ReceivedRequest) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body) else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if field("grant_type") != Some("refresh_token") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if field("client_id") != Some(state.client_id.as_str())
        || field("client_secret") != Some(state.client_secret.as_str())
    {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if state.revoked.load(Ordering::Acquire)
        || field("refresh_token") != Some(state.refresh_token.as_str())
    {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let n = state.issued.fetch_add(1, Ordering::AcqRel) + 1;
    let token = format!("ya29.mock-{n}-{}", crate::random_hex(8));
    if let Ok(mut tokens) = state.tokens.lock() {
        tokens.push(token.clone());
    }
    Json(json!({
        "access_token": token,
        "expires_in": 3599,
        "scope": CALENDAR_EVENTS_SCOPE,
        "token_type": "Bearer"
    }))
    .into_response()
}

async fn insert(state: &GoogleState, request: &ReceivedRequest) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return api_error(StatusCode::BAD_REQUEST, "parseError");
    };
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(id), Some(start), Some(end)) =
        (text("/id"), text("/start/dateTime"), text("/end/dateTime"))
    else {
        return api_error(StatusCode::BAD_REQUEST, "required");
    };
    let base32hex = (5..=1024).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b));
    if !base32hex {
        return api_error(StatusCode::BAD_REQUEST, "invalid");
    }
    let event = StoredEvent {
        id: id.clone(),
        summary: text("/summary").unwrap_or_default(),
        start,
        end,
        time_zone: text("/start/timeZone").unwrap_or_default(),
        owner: text("/extendedProperties/private/wardenOwner").unwrap_or_default(),
        popup_minutes: body
            .pointer("/reminders/overrides/0/minutes")
            .and_then(Value::as_u64),
    };
    let stored = {
        let Ok(mut events) = state.events.lock() else {
            return api_error(StatusCode::INTERNAL_SERVER_ERROR, "backendError");
        };
        let was_deleted = state
            .deleted
            .lock()
            .map(|d| d.contains(&id))
            .unwrap_or(false);
        if events.contains_key(&id) || was_deleted {
            return api_error(StatusCode::CONFLICT, "duplicate");
        }
        events.insert(id.clone(), event.clone());
        event
    };
    let hang = state
        .hang_after_store
        .lock()
        .ok()
        .and_then(|mut h| h.take());
    if let Some(delay) = hang {
        tokio::time::sleep(delay).await;
    }
    Json(event_json(&stored)).into_response()
}

fn event_json(event: &StoredEvent) -> Value {
    json!({
        "kind": "calendar#event",
        "id": event.id,
        "status": "confirmed",
        "summary": event.summary,
        "start": {"dateTime": event.start, "timeZone": event.time_zone},
        "end": {"dateTime": event.end, "timeZone": event.time_zone},
    })
}

fn list(state: &GoogleState, uri: &Uri) -> Response {
    let query = uri.query().unwrap_or_default();
    let Ok(params) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
        return api_error(StatusCode::BAD_REQUEST, "invalid");
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(owner) = param("privateExtendedProperty").and_then(|p| p.strip_prefix("wardenOwner="))
    else {
        return api_error(StatusCode::BAD_REQUEST, "invalid");
    };
    let time_min = param("timeMin").unwrap_or_default();
    let max = param("maxResults")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(250);
    let mut items: Vec<StoredEvent> = state
        .events
        .lock()
        .map(|events| {
            events
                .values()
                .filter(|e| e.owner == owner && e.end.as_str() > time_min)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| a.start.cmp(&b.start));
    items.truncate(max);
    let items: Vec<Value> = items.iter().map(event_json).collect();
    Json(json!({"kind": "calendar#events", "items": items})).into_response()
}

fn delete(state: &GoogleState, id: &str) -> Response {
    let removed = state
        .events
        .lock()
        .map(|mut events| events.remove(id).is_some())
        .unwrap_or(false);
    if removed {
        if let Ok(mut deleted) = state.deleted.lock() {
            deleted.push(id.to_owned());
        }
        return StatusCode::NO_CONTENT.into_response();
    }
    let gone = state
        .deleted
        .lock()
        .map(|d| d.iter().any(|x| x == id))
        .unwrap_or(false);
    if gone {
        api_error(StatusCode::GONE, "deleted")
    } else {
        api_error(StatusCode::NOT_FOUND, "notFound")
    }
}

#[cfg(test)]
mod tests {
    //! The real adapter against this mock: what the end-to-end tests and the demo will rely on.

    use super::*;
    use secrecy::SecretString;
    use warden_calendar::{Calendar, CalendarError, Deleted, EventId, Inserted, NewEvent};
    use warden_commands::TaskTitle;
    use warden_google_calendar::{GoogleCalendar, GoogleCalendarConfig};
    use warden_types::{Provider, ProviderMessageId, SenderId, UnixMillis};

    const CLIENT_ID: &str = "mock-client.apps.googleusercontent.com";
    const CLIENT_SECRET: &str = "GOCSPX-mock";
    const REFRESH: &str = "1//mock-refresh";
    /// 2026-05-04T16:00:00Z.
    const START: i64 = 1_777_910_400_000;

    async fn google() -> (MockGoogle, GoogleCalendar) {
        let mock = MockGoogle::start(CLIENT_ID, CLIENT_SECRET, REFRESH)
            .await
            .unwrap();
        let calendar = GoogleCalendar::new(GoogleCalendarConfig {
            oauth_url: mock.url(),
            api_url: mock.url(),
            timeout: Duration::from_millis(500),
            ..GoogleCalendarConfig::new(
                CLIENT_ID.to_owned(),
                SecretString::from(CLIENT_SECRET.to_owned()),
                SecretString::from(REFRESH.to_owned()),
            )
        })
        .unwrap();
        (mock, calendar)
    }

    fn owner(c: char) -> SenderId {
        SenderId::from_hex(&c.to_string().repeat(32)).unwrap()
    }

    fn event(message: &str, owner: SenderId, title: &str, start: i64) -> NewEvent {
        NewEvent {
            id: EventId::for_message(Provider::Twilio, &ProviderMessageId::new(message).unwrap()),
            owner,
            title: TaskTitle::new(title).unwrap(),
            start: UnixMillis(start),
            end: UnixMillis(start + 30 * 60_000),
            zone: "Europe/Berlin".to_owned(),
            popup_minutes_before: 10,
        }
    }

    #[tokio::test]
    async fn an_insert_that_timed_out_after_google_stored_it_leaves_exactly_one_event() {
        let (mock, calendar) = google().await;
        let remind = event("SM1", owner('a'), "call mum", START);
        mock.hang_next_insert_after_storing(Duration::from_secs(2));
        let first = calendar.insert(&remind).await.unwrap_err();
        assert!(
            matches!(first, CalendarError::Retryable { .. }),
            "{first:?}"
        );
        assert_eq!(
            mock.events().len(),
            1,
            "Google stored it although the answer was lost"
        );
        // The retry names the same event: 409, which is success.
        assert_eq!(calendar.insert(&remind).await, Ok(Inserted::AlreadyExisted));
        let stored = mock.events();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].summary, "call mum");
        assert_eq!(stored[0].start, "2026-05-04T16:00:00Z");
        assert_eq!(stored[0].popup_minutes, Some(10));
        mock.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn each_owner_lists_and_deletes_only_their_own_events() {
        let (mock, calendar) = google().await;
        calendar
            .insert(&event("SM2", owner('a'), "later", START + 3_600_000))
            .await
            .unwrap();
        calendar
            .insert(&event("SM1", owner('a'), "sooner", START))
            .await
            .unwrap();
        calendar
            .insert(&event("SM3", owner('b'), "not yours", START))
            .await
            .unwrap();
        let mine = calendar
            .upcoming(&owner('a'), UnixMillis(START - 1), 10)
            .await
            .unwrap();
        let titles: Vec<&str> = mine.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["sooner", "later"]);
        assert_eq!(mine[0].start, UnixMillis(START));
        // An event that has ended is not upcoming.
        let after = calendar
            .upcoming(&owner('a'), UnixMillis(START + 31 * 60_000), 10)
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(calendar.delete(&mine[0].id).await, Ok(Deleted::Deleted));
        assert_eq!(calendar.delete(&mine[0].id).await, Ok(Deleted::AlreadyGone));
        let left = calendar
            .upcoming(&owner('a'), UnixMillis(START - 1), 10)
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(
            mock.events().len(),
            2,
            "the other owner's event is untouched"
        );
        assert_eq!(
            mock.tokens_issued(),
            1,
            "one access token served every call"
        );
        mock.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn a_revoked_grant_disables_the_calendar_after_one_refresh() {
        let (mock, calendar) = google().await;
        calendar
            .insert(&event("SM1", owner('a'), "x", START))
            .await
            .unwrap();
        mock.revoke();
        let error = calendar
            .insert(&event("SM2", owner('a'), "y", START))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            CalendarError::Disabled {
                reason: "invalid_grant"
            }
        );
        let calls = mock.requests().len();
        let again = calendar.upcoming(&owner('a'), UnixMillis(START), 10).await;
        assert_eq!(again, Err(error));
        assert_eq!(
            mock.requests().len(),
            calls,
            "a disabled calendar calls nobody"
        );
        mock.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn a_scripted_rate_limit_is_retryable_with_its_retry_after() {
        let (mock, calendar) = google().await;
        mock.script(
            CannedReply::status(429).header("retry-after", "3").json(
                &json!({"error": {"errors": [{"reason": "rateLimitExceeded"}], "code": 429}}),
            ),
            1,
        );
        let remind = event("SM1", owner('a'), "x", START);
        assert_eq!(
            calendar.insert(&remind).await,
            Err(CalendarError::Retryable {
                reason: "http_429_rateLimitExceeded".to_owned(),
                retry_after: Some(Duration::from_secs(3)),
            })
        );
        assert_eq!(calendar.insert(&remind).await, Ok(Inserted::Created));
        mock.shutdown().await.unwrap();
    }
}
