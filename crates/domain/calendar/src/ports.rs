//! The seam between the reminder use case and a calendar service (Google Calendar).
//!
//! Plain data in, plain data out: the adapter owns the wire format, the credentials and the
//! HTTP; the domain owns which event, when, for whom. Titles are personal data: the port
//! carries them, adapters MUST NOT log them or put them in an error.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use warden_commands::TaskTitle;
use warden_types::{SenderId, UnixMillis};

use crate::EventId;

/// One event to create. `Debug` shows the id and the owner only: the title and the times are
/// personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Derived from the inbound message ([`EventId::for_message`]): the idempotency key.
    pub id: EventId,
    /// Whose reminder it is (pseudonymous): `events` lists only the sender's own.
    pub owner: SenderId,
    pub title: TaskTitle,
    pub start: UnixMillis,
    pub end: UnixMillis,
    /// The owner's IANA zone name, so the calendar shows the event in the zone it was meant in.
    pub zone: String,
    /// A popup this many minutes before the start.
    pub popup_minutes_before: u32,
}

impl fmt::Debug for NewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewEvent")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// One event read back from the calendar. `Debug` hides the title and the time.
#[derive(Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    pub start: UnixMillis,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.id)
            .field("title_chars", &self.title.chars().count())
            .finish_non_exhaustive()
    }
}

/// What an insert found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Created,
    /// An event with this id already existed (an earlier attempt did reach the calendar): the
    /// effect the caller wanted is there, exactly once.
    AlreadyExisted,
}

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    /// There was no such event any more (deleted by an earlier attempt or by hand).
    AlreadyGone,
}

/// Why a calendar call failed. Reasons are short codes built from statuses and the provider's
/// error reasons, never its message text, a title or a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The grant behind the calendar's credentials was revoked or expired (`invalid_grant`),
    /// or it grants more than it should: no call can succeed until an operator authorises
    /// again. Not retryable; the adapter stops calling.
    #[error("calendar disabled: {reason}")]
    Disabled { reason: &'static str },
    /// Trying again may succeed: timeouts, connection failures, 429, 5xx, rate-limit 403s.
    #[error("retryable calendar failure: {reason}")]
    Retryable {
        reason: String,
        /// The provider's `Retry-After`, when it sent one: wait at least this long.
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help: a rejected request, a missing calendar, an answer that is not
    /// the documented shape.
    #[error("permanent calendar failure: {reason}")]
    Permanent { reason: String },
}

impl CalendarError {
    /// The code alone, for logs and audit details.
    pub fn reason(&self) -> &str {
        match self {
            CalendarError::Disabled { reason } => reason,
            CalendarError::Retryable { reason, .. } | CalendarError::Permanent { reason } => {
                reason.as_str()
            }
        }
    }
}

/// Most events one [`Calendar::upcoming`] call returns: what `events` shows.
pub const MAX_LISTED: usize = 10;

/// A calendar Warden writes reminders to.
#[async_trait]
pub trait Calendar: Send + Sync {
    /// Creates `event`, in one bounded attempt (an expired access token may be renewed and the
    /// request sent once more within it).
    /// MUST be idempotent on `event.id`: when an event with that id exists, return
    /// `Ok(Inserted::AlreadyExisted)`, never a second event and never an error.
    /// MUST return `Retryable` for timeouts, connection failures, 429 (with `Retry-After`) and
    /// 5xx; `Disabled` when the grant is gone; `Permanent` otherwise.
    async fn insert(&self, event: &NewEvent) -> Result<Inserted, CalendarError>;

    /// The first `limit` (at most [`MAX_LISTED`]) events created by Warden for `owner` that end
    /// after `after`, earliest first. MUST NOT return events of another owner or events Warden
    /// did not create.
    async fn upcoming(
        &self,
        owner: &SenderId,
        after: UnixMillis,
        limit: usize,
    ) -> Result<Vec<Event>, CalendarError>;

    /// Deletes the event `id`. MUST return `Ok(Deleted::AlreadyGone)` when it does not exist.
    /// Errors as for [`Calendar::insert`].
    async fn delete(&self, id: &EventId) -> Result<Deleted, CalendarError>;
}
