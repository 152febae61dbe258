//! [`Calendar`] for the Google Calendar API v3.
//!
//! - **Least privilege.** OAuth 2.0 refresh-token grant for the scope [`SCOPE`] only (events
//!   on calendars, not calendars, settings or sharing); a token that grants more is refused.
//! - **Tokens.** The access token is cached in memory until [`token::EXPIRY_MARGIN`] before it
//!   expires; a 401 drops it, refreshes once and sends the request once more. `invalid_grant`
//!   (revoked or expired consent) disables the adapter for good ([`CalendarError::Disabled`],
//!   one security `warn`): no refresh loop.
//! - **Exactly once.** The event id comes from the caller ([`NewEvent::id`], derived from the
//!   inbound message); Google answers 409 to a second insert of it, which is success here.
//! - **One bounded attempt.** Each port call has one deadline ([`GoogleCalendarConfig::timeout`])
//!   over the token refresh and the request; retries belong to the caller's durable queue, told
//!   by [`CalendarError::Retryable`] (429, 5xx, rate-limit 403s, with `Retry-After`).
//! - **Nothing leaks.** No redirect is followed (the bearer token would go along); bodies are
//!   bounded; errors are codes, never Google's message text, a title or a token.

pub mod auth;
mod classify;
pub mod token;
mod wire;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Response, Url};
use secrecy::{ExposeSecret, SecretString};
use warden_calendar::{
    Calendar, CalendarError, Deleted, Event, EventId, Inserted, NewEvent, MAX_LISTED,
};
use warden_provider_http::{is_allowed_base_url, read_bounded, retry_after};
use warden_types::{SenderId, UnixMillis};

use crate::classify::{api_reason, api_status, transport};
use crate::token::TokenSource;

/// The one scope Warden asks for and accepts.
pub const SCOPE: &str = "https://www.googleapis.com/auth/calendar.events";
/// `GOOGLE_OAUTH_URL`'s default: the token endpoint is `{base}/token`.
pub const DEFAULT_OAUTH_URL: &str = "https://oauth2.googleapis.com";
/// `GOOGLE_CALENDAR_API_URL`'s default: events are under `{base}/calendar/v3/`.
pub const DEFAULT_API_URL: &str = "https://www.googleapis.com";
pub const DEFAULT_CALENDAR_ID: &str = "primary";
/// One port call, token refresh and 401 retry included. The outbox's lease must outlast it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Ten events with their ids, titles and start times, with room to spare.
pub const MAX_LIST_BODY: usize = 256 * 1024;
/// An error body is read only for its reason code.
const MAX_ERROR_BODY: usize = 16 * 1024;
/// The private extended property that marks an event as a sender's Warden reminder.
const OWNER_PROPERTY: &str = "wardenOwner";

/// Where and with which grant to reach Google. `Debug` hides the secrets.
#[derive(Clone)]
pub struct GoogleCalendarConfig {
    /// `GOOGLE_OAUTH_URL`: scheme and host, https (http for loopback only), no path.
    pub oauth_url: String,
    /// `GOOGLE_CALENDAR_API_URL`: as `oauth_url`.
    pub api_url: String,
    /// `GOOGLE_CLIENT_ID`.
    pub client_id: String,
    /// `GOOGLE_CLIENT_SECRET`.
    pub client_secret: SecretString,
    /// `GOOGLE_REFRESH_TOKEN`, from `warden calendar auth`.
    pub refresh_token: SecretString,
    /// `GOOGLE_CALENDAR_ID`: `primary` or a calendar's id (`…@group.calendar.google.com`).
    pub calendar_id: String,
    /// Deadline of one port call.
    pub timeout: Duration,
}

impl GoogleCalendarConfig {
    /// Google's URLs, the `primary` calendar and the default timeout.
    pub fn new(
        client_id: String,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        Self {
            oauth_url: DEFAULT_OAUTH_URL.to_owned(),
            api_url: DEFAULT_API_URL.to_owned(),
            client_id,
            client_secret,
            refresh_token,
            calendar_id: DEFAULT_CALENDAR_ID.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for GoogleCalendarConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleCalendarConfig")
            .field("oauth_url", &self.oauth_url)
            .field("api_url", &self.api_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("calendar_id", &self.calendar_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a [`GoogleCalendar`] could not be built. Names the setting, never its value.
#[derive(Debug, thiserror::Error)]
pub enum GoogleCalendarSetupError {
    #[error("GOOGLE_OAUTH_URL must be https (http only for a loopback host), without a path")]
    InvalidOAuthUrl,
    #[error(
        "GOOGLE_CALENDAR_API_URL must be https (http only for a loopback host), without a path"
    )]
    InvalidApiUrl,
    #[error("GOOGLE_CLIENT_ID must be printable ASCII")]
    InvalidClientId,
    #[error("GOOGLE_CLIENT_SECRET is empty")]
    EmptyClientSecret,
    #[error("GOOGLE_REFRESH_TOKEN is empty")]
    EmptyRefreshToken,
    #[error("GOOGLE_CALENDAR_ID must be 1 to 255 printable characters")]
    InvalidCalendarId,
    #[error("the Google Calendar timeout must be greater than zero")]
    ZeroTimeout,
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// [`Calendar`] backed by one Google calendar.
pub struct GoogleCalendar {
    client: Client,
    /// `{api}/calendar/v3/calendars/{calendar_id}/events`, the id percent-encoded.
    events: Url,
    tokens: TokenSource,
    timeout: Duration,
}

impl fmt::Debug for GoogleCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleCalendar")
            .field("events", &self.events.as_str())
            .field("timeout", &self.timeout)
            .field("disabled", &self.tokens.disabled().is_some())
            .finish_non_exhaustive()
    }
}

impl GoogleCalendar {
    /// Validates the config and builds a client that never follows redirects.
    pub fn new(config: GoogleCalendarConfig) -> Result<Self, GoogleCalendarSetupError> {
        let oauth = config.oauth_url.trim_end_matches('/');
        if !is_allowed_base_url(oauth) {
            return Err(GoogleCalendarSetupError::InvalidOAuthUrl);
        }
        let api = config.api_url.trim_end_matches('/');
        if !is_allowed_base_url(api) {
            return Err(GoogleCalendarSetupError::InvalidApiUrl);
        }
        let id_ok = !config.client_id.is_empty()
            && config.client_id.len() <= 256
            && config.client_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(GoogleCalendarSetupError::InvalidClientId);
        }
        if config.client_secret.expose_secret().is_empty() {
            return Err(GoogleCalendarSetupError::EmptyClientSecret);
        }
        if config.refresh_token.expose_secret().is_empty() {
            return Err(GoogleCalendarSetupError::EmptyRefreshToken);
        }
        // `.` and `..` would be taken as dot segments of the path, not as an id.
        let calendar_ok = !matches!(config.calendar_id.as_str(), "" | "." | "..")
            && config.calendar_id.len() <= 255
            && !config.calendar_id.chars().any(char::is_control);
        if !calendar_ok {
            return Err(GoogleCalendarSetupError::InvalidCalendarId);
        }
        if config.timeout.is_zero() {
            return Err(GoogleCalendarSetupError::ZeroTimeout);
        }
        let mut events = Url::parse(api).map_err(|_| GoogleCalendarSetupError::InvalidApiUrl)?;
        events
            .path_segments_mut()
            .map_err(|()| GoogleCalendarSetupError::InvalidApiUrl)?
            .clear()
            .extend([
                "calendar",
                "v3",
                "calendars",
                config.calendar_id.as_str(),
                "events",
            ]);
        let client = warden_provider_http::client(config.timeout)
            .map_err(GoogleCalendarSetupError::HttpClient)?;
        Ok(Self {
            client,
            events,
            tokens: TokenSource::new(
                format!("{oauth}/token"),
                config.client_id,
                config.client_secret,
                config.refresh_token,
            ),
            timeout: config.timeout,
        })
    }

    /// Sends the request `build` makes with a bearer token; on 401 renews the token once and
    /// sends it again. All of it within the call's deadline.
    async fn authorized(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CalendarError> {
        let call = async {
            let bearer = self.tokens.bearer(&self.client, None).await?;
            let response = send(build().header(AUTHORIZATION, bearer.clone())).await?;
            if response.status().as_u16() != 401 {
                return Ok(response);
            }
            let renewed = self.tokens.bearer(&self.client, Some(&bearer)).await?;
            send(build().header(AUTHORIZATION, renewed)).await
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(CalendarError::Retryable {
                    reason: "timeout".to_owned(),
                    retry_after: None,
                })
            })
    }

    fn event_url(&self, id: &EventId) -> Url {
        let mut url = self.events.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id.as_str());
        }
        url
    }
}

async fn send(request: RequestBuilder) -> Result<Response, CalendarError> {
    request.send().await.map_err(|e| transport("", &e))
}

/// The error a non-success response stands for; its body is read (bounded) for the reason
/// code only.
async fn failure(response: Response) -> CalendarError {
    let status = response.status().as_u16();
    let wait = retry_after(response.headers());
    let reason = read_bounded(response, MAX_ERROR_BODY)
        .await
        .and_then(|body| api_reason(&body));
    api_status(status, reason.as_deref(), wait)
}

fn rfc3339(at: UnixMillis) -> Result<String, CalendarError> {
    Timestamp::from_millisecond(at.as_i64())
        .map(|ts| ts.to_string())
        .map_err(|_| CalendarError::Permanent {
            reason: "time_out_of_range".to_owned(),
        })
}

fn malformed(what: &str) -> CalendarError {
    CalendarError::Permanent {
        reason: format!("malformed_{what}"),
    }
}

#[async_trait]
impl Calendar for GoogleCalendar {
    async fn insert(&self, event: &NewEvent) -> Result<Inserted, CalendarError> {
        let body = wire::EventInsert {
            id: event.id.as_str(),
            summary: event.title.as_str(),
            start: wire::EventTime {
                date_time: rfc3339(event.start)?,
                time_zone: &event.zone,
            },
            end: wire::EventTime {
                date_time: rfc3339(event.end)?,
                time_zone: &event.zone,
            },
            reminders: wire::Reminders {
                use_default: false,
                overrides: [wire::ReminderOverride {
                    method: "popup",
                    minutes: event.popup_minutes_before,
                }],
            },
            extended_properties: wire::ExtendedProperties {
                private: wire::PrivateProperties {
                    owner: event.owner.as_str(),
                },
            },
        };
        let body = serde_json::to_vec(&body).map_err(|_| malformed("request"))?;
        let response = self
            .authorized(|| {
                self.client
                    .post(self.events.clone())
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body.clone())
            })
            .await?;
        match response.status().as_u16() {
            200..=299 => Ok(Inserted::Created),
            // "The requested identifier already exists": an earlier attempt got through.
            409 => Ok(Inserted::AlreadyExisted),
            _ => Err(failure(response).await),
        }
    }

    async fn upcoming(
        &self,
        owner: &SenderId,
        after: UnixMillis,
        limit: usize,
    ) -> Result<Vec<Event>, CalendarError> {
        let limit = limit.clamp(1, MAX_LISTED);
        let mut url = self.events.clone();
        url.query_pairs_mut()
            .append_pair(
                "privateExtendedProperty",
                &format!("{OWNER_PROPERTY}={}", owner.as_str()),
            )
            .append_pair("timeMin", &rfc3339(after)?)
            .append_pair("singleEvents", "true")
            .append_pair("orderBy", "startTime")
            .append_pair("maxResults", &limit.to_string())
            .append_pair("fields", "items(id,summary,start)");
        let response = self.authorized(|| self.client.get(url.clone())).await?;
        if !response.status().is_success() {
            return Err(failure(response).await);
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_LIST_BODY as u64)
        {
            return Err(CalendarError::Permanent {
                reason: "too_large".to_owned(),
            });
        }
        let body = read_bounded(response, MAX_LIST_BODY)
            .await
            .ok_or(CalendarError::Permanent {
                reason: "too_large".to_owned(),
            })?;
        let list: wire::EventList = serde_json::from_slice(&body).map_err(|_| malformed("list"))?;
        let mut events = Vec::with_capacity(list.items.len());
        for item in list.items.into_iter().take(limit) {
            let id = EventId::parse(&item.id).ok_or(malformed("event_id"))?;
            // Warden writes timed events only; a date-only one was not written by Warden.
            let Some(start) = item.start.date_time else {
                continue;
            };
            let start: Timestamp = start.parse().map_err(|_| malformed("start"))?;
            events.push(Event {
                id,
                title: item.summary,
                start: UnixMillis(start.as_millisecond()),
            });
        }
        Ok(events)
    }

    async fn delete(&self, id: &EventId) -> Result<Deleted, CalendarError> {
        let url = self.event_url(id);
        let response = self.authorized(|| self.client.delete(url.clone())).await?;
        match response.status().as_u16() {
            200..=299 => Ok(Deleted::Deleted),
            // 404: no such event; 410: "Resource has been deleted".
            404 | 410 => Ok(Deleted::AlreadyGone),
            _ => Err(failure(response).await),
        }
    }
}
