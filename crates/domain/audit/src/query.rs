//! Which audit rows an operator asks for: a kind, a time range, and where a page starts. The
//! store reads exactly this; the API and the console build it from their parameters and refuse
//! what it refuses.

use warden_types::{UnixMillis, UtcDate};

use crate::kind::EventKind;

/// Why a search was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The range ends before (or where) it starts: it could hold nothing, so it is a mistake.
    #[error("the time range ends before it starts")]
    Reversed,
}

/// The rows a search may return: of one kind (or any), at or after `since`, before `until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditFilter {
    kind: Option<EventKind>,
    since: Option<UnixMillis>,
    until: Option<UnixMillis>,
}

impl AuditFilter {
    /// `since` inclusive, `until` exclusive; refused when both are given and `until` is not
    /// after `since`.
    pub fn new(
        kind: Option<EventKind>,
        since: Option<UnixMillis>,
        until: Option<UnixMillis>,
    ) -> Result<Self, FilterError> {
        if let (Some(s), Some(u)) = (since, until) {
            if u <= s {
                return Err(FilterError::Reversed);
            }
        }
        Ok(Self { kind, since, until })
    }

    /// From the first moment of `from` to the last of `to` (UTC days, both included): a range
    /// of one day is `from == to`.
    pub fn days(
        kind: Option<EventKind>,
        from: Option<UtcDate>,
        to: Option<UtcDate>,
    ) -> Result<Self, FilterError> {
        Self::new(kind, from.map(UtcDate::start), to.map(UtcDate::end))
    }

    pub fn kind(&self) -> Option<EventKind> {
        self.kind
    }

    pub fn since(&self) -> Option<UnixMillis> {
        self.since
    }

    pub fn until(&self) -> Option<UnixMillis> {
        self.until
    }
}

/// Where a page of audit rows starts, and so its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    /// Rows after this seq (exclusive), oldest first: reading the chain forward.
    After(i64),
    /// Rows before this seq (exclusive), newest first: paging back in time.
    Before(i64),
    /// The newest rows, newest first.
    Newest,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<UtcDate> {
        Some(UtcDate::parse(s).unwrap())
    }

    #[test]
    fn a_day_range_covers_both_days_whole() {
        let f = AuditFilter::days(None, day("2026-12-06"), day("2026-12-07")).unwrap();
        assert_eq!(f.since(), day("2026-12-06").map(UtcDate::start));
        assert_eq!(f.until(), day("2026-12-08").map(UtcDate::start));
        assert!(AuditFilter::days(None, day("2026-12-07"), day("2026-12-07")).is_ok());
    }

    #[test]
    fn a_reversed_or_empty_range_is_refused() {
        assert_eq!(
            AuditFilter::days(None, day("2026-12-08"), day("2026-12-07")),
            Err(FilterError::Reversed)
        );
        assert_eq!(
            AuditFilter::new(None, Some(UnixMillis(5)), Some(UnixMillis(5))),
            Err(FilterError::Reversed)
        );
        assert!(AuditFilter::new(None, Some(UnixMillis(5)), None).is_ok());
        assert!(AuditFilter::new(None, None, Some(UnixMillis(0))).is_ok());
    }
}
