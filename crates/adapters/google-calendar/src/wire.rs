//! Google's JSON: the token endpoint's answer and error, events insert / list, and the error
//! envelope of the Calendar API. Only the fields Warden reads are declared; unknown fields are
//! ignored, as Google adds fields over time.

use serde::{Deserialize, Serialize};

/// `POST /token` success (RFC 6749 §5.1 as Google sends it).
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub expires_in: Option<u64>,
    pub token_type: String,
    /// Space-separated scopes granted; Google sends it on refresh.
    pub scope: Option<String>,
}

/// `POST /token` error (RFC 6749 §5.2): only the code is read, never `error_description`.
#[derive(Deserialize)]
pub(crate) struct TokenError {
    pub error: String,
}

/// `events.insert` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventInsert<'a> {
    pub id: &'a str,
    pub summary: &'a str,
    pub start: EventTime<'a>,
    pub end: EventTime<'a>,
    pub reminders: Reminders,
    pub extended_properties: ExtendedProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventTime<'a> {
    /// RFC 3339 in UTC (`2026-05-04T16:00:00Z`); `timeZone` says how to show it.
    pub date_time: String,
    pub time_zone: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reminders {
    pub use_default: bool,
    pub overrides: [ReminderOverride; 1],
}

#[derive(Serialize)]
pub(crate) struct ReminderOverride {
    pub method: &'static str,
    pub minutes: u32,
}

#[derive(Serialize)]
pub(crate) struct ExtendedProperties<'a> {
    /// Private properties: visible to this OAuth client only.
    pub private: PrivateProperties<'a>,
}

#[derive(Serialize)]
pub(crate) struct PrivateProperties<'a> {
    /// The sender's pseudonym: `events` lists by it.
    #[serde(rename = "wardenOwner")]
    pub owner: &'a str,
}

/// `events.list` answer (with `fields=items(id,summary,start)`).
#[derive(Deserialize)]
pub(crate) struct EventList {
    #[serde(default)]
    pub items: Vec<ListedEvent>,
}

#[derive(Deserialize)]
pub(crate) struct ListedEvent {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    pub start: ListedTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedTime {
    /// Absent for an all-day event (it has `date` instead); Warden never creates one.
    pub date_time: Option<String>,
}

/// The Calendar API's error envelope:
/// `{"error":{"errors":[{"domain","reason","message"}],"code","message"}}`.
/// Only the reasons are read: the messages can quote the request.
#[derive(Deserialize)]
pub(crate) struct ApiErrorEnvelope {
    pub error: ApiError,
}

#[derive(Deserialize)]
pub(crate) struct ApiError {
    #[serde(default)]
    pub errors: Vec<ApiErrorItem>,
}

#[derive(Deserialize)]
pub(crate) struct ApiErrorItem {
    #[serde(default)]
    pub reason: String,
}
