//! Calendar reminders as the domain sees them, for `remind <when> <title>`, `events` and
//! `unremind <n>`:
//!
//! - [`OwnerZone`]: the owner's IANA zone (`WARDEN_TIMEZONE`), from a tz database compiled in;
//! - [`resolve`]: the instant a `<when>` names, past times refused, DST gaps and overlaps
//!   decided as RFC 5545 does (see the [`resolve`](mod@resolve) module);
//! - [`EventId`]: the event's id, derived from the inbound message, so that a retried write
//!   or a replayed webhook can only ever name the same event;
//! - [`Calendar`]: the port a calendar adapter (Google Calendar) implements;
//! - [`jobs`]: the durable writes (insert, delete) and the worker pass that makes them;
//! - [`reply`]: what the user is told (confirmation with DST notes, the numbered list,
//!   deletions) and which event `unremind <n>` names.
//!
//! Pure domain code: no I/O, no clock (`now` is a parameter), no async runtime.

mod event_id;
pub mod jobs;
mod ports;
pub mod reply;
pub mod resolve;
mod zone;

pub use event_id::EventId;
pub use ports::{Calendar, CalendarError, Deleted, Event, Inserted, NewEvent, MAX_LISTED};
pub use resolve::{
    resolve, DstShift, Slot, WhenError, DURATION_MINUTES, MAX_DAYS_AHEAD, POPUP_MINUTES_BEFORE,
};
pub use zone::{OwnerZone, ZoneError};

#[cfg(test)]
mod tests;
