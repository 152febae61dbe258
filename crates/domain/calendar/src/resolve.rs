//! Which instant a `<when>` names: the owner's zone, "now", and the rules for the two hours a
//! year when a wall-clock time names no instant or two.
//!
//! # DST: decided once, the way RFC 5545 §3.3.5 and Google Calendar decide it
//!
//! - **Gap** (spring forward: 02:30 on the night clocks jump from 02:00 to 03:00 does not
//!   exist): the time is read with the offset in force *before* the gap, which lands as far past
//!   the gap's end as it was written past its start (02:30 becomes 03:30). The reply shows the
//!   time the clock will show, and [`DstShift::Gap`] says the written time was moved.
//! - **Overlap** (fall back: 02:30 happens twice): the *first* occurrence, in the offset before
//!   the change (summer time). A reminder early rather than an hour late; [`DstShift::Overlap`]
//!   says the time was ambiguous.

use jiff::civil;
use jiff::tz::AmbiguousOffset;
use jiff::{Timestamp, ToSpan};
use warden_commands::{Day, When};
use warden_types::UnixMillis;

use crate::OwnerZone;

/// A reminder lasts this long unless a later version says otherwise.
pub const DURATION_MINUTES: i64 = 30;
/// The phone pops the reminder up this long before it starts.
pub const POPUP_MINUTES_BEFORE: u32 = 10;
/// The furthest ahead a reminder may be: a typo like `2062` for `2026` is refused, not stored.
pub const MAX_DAYS_AHEAD: i64 = 5 * 366;

/// A resolved `<when>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: UnixMillis,
    pub end: UnixMillis,
    /// Whether the written time fell into a DST change.
    pub dst: DstShift,
}

/// What DST did to the written wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstShift {
    /// The time exists once: nothing to say.
    None,
    /// The time does not exist that day (clocks jumped over it); the event is that far past
    /// the jump instead.
    Gap,
    /// The time happens twice that day; the event is at the first.
    Overlap,
}

/// Why a `<when>` names no acceptable instant. `Display` is the reply to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("That time has already passed.")]
    Past,
    #[error("That is too far ahead (5 years at most).")]
    TooFar,
}

impl WhenError {
    /// Stable reason code for the audit log.
    pub fn code(self) -> &'static str {
        match self {
            WhenError::Past => "past_time",
            WhenError::TooFar => "too_far_ahead",
        }
    }
}

/// The instant `when` names in `zone`, seen at `now`.
///
/// - `today` and `tomorrow` are the owner's local today and tomorrow at `now`.
/// - `mon` … `sun` is the first day of that name, today included, whose time is still ahead:
///   `mon 18:00` sent on a Monday at 09:00 is today, sent at 19:00 is next Monday.
/// - A start at or before `now` is [`WhenError::Past`]; more than [`MAX_DAYS_AHEAD`] days ahead
///   is [`WhenError::TooFar`].
/// - DST gaps and overlaps as in the module docs.
pub fn resolve(when: &When, now: UnixMillis, zone: &OwnerZone) -> Result<Slot, WhenError> {
    let Ok(now_ts) = Timestamp::from_millisecond(now.as_i64()) else {
        return Err(WhenError::TooFar);
    };
    let today = now_ts.to_zoned(zone.tz().clone()).date();
    let candidate = match when.day {
        Day::Today => at(zone, Some(today), when)?,
        Day::Tomorrow => at(zone, today.tomorrow().ok(), when)?,
        Day::Date(date) => {
            let civil = civil::Date::new(
                i16::try_from(date.year()).unwrap_or(i16::MAX),
                i8::try_from(date.month()).unwrap_or(i8::MAX),
                i8::try_from(date.day()).unwrap_or(i8::MAX),
            );
            at(zone, civil.ok(), when)?
        }
        Day::Next(weekday) => {
            let wanted = i8::try_from(weekday.number_from_monday()).unwrap_or(0);
            let mut found = None;
            for ahead in 0..=7_i64 {
                let day = today.checked_add(ahead.days()).ok();
                if day.is_none_or(|d| d.weekday().to_monday_one_offset() != wanted) {
                    continue;
                }
                let slot = at(zone, day, when)?;
                if slot.start > now {
                    found = Some(slot);
                    break;
                }
            }
            // Seven days ahead always holds the weekday, and its time is after now.
            found.ok_or(WhenError::Past)?
        }
    };
    if candidate.start <= now {
        return Err(WhenError::Past);
    }
    if candidate.start.as_i64() - now.as_i64() > MAX_DAYS_AHEAD * 86_400_000 {
        return Err(WhenError::TooFar);
    }
    Ok(candidate)
}

/// `when.time` on `day` in `zone`, DST resolved. A day the calendar cannot hold is too far.
fn at(zone: &OwnerZone, day: Option<civil::Date>, when: &When) -> Result<Slot, WhenError> {
    let day = day.ok_or(WhenError::TooFar)?;
    let hour = i8::try_from(when.time.hour()).unwrap_or(i8::MAX);
    let minute = i8::try_from(when.time.minute()).unwrap_or(i8::MAX);
    let time = civil::Time::new(hour, minute, 0, 0).map_err(|_| WhenError::TooFar)?;
    let local = day.to_datetime(time);
    let (offset, dst) = match zone.tz().to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => (offset, DstShift::None),
        AmbiguousOffset::Gap { before, .. } => (before, DstShift::Gap),
        AmbiguousOffset::Fold { before, .. } => (before, DstShift::Overlap),
    };
    let start = offset
        .to_timestamp(local)
        .map_err(|_| WhenError::TooFar)?
        .as_millisecond();
    let start = UnixMillis(start);
    Ok(Slot {
        start,
        end: start.plus_ms(DURATION_MINUTES * 60_000),
        dst,
    })
}
