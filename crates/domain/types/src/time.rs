/// Wall-clock time. A port so that windows, lockouts, schedules and audit timestamps are
/// testable: the app reads the system clock, tests move a manual one.
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixMillis;
}

/// Milliseconds since the Unix epoch, UTC.
///
/// A plain integer keeps the domain free of a date library and maps one-to-one onto a
/// `BIGINT` column on SQLite and Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    pub const fn as_i64(self) -> i64 {
        self.0
    }

    /// `self + ms`, saturating instead of overflowing on absurd inputs.
    pub const fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// The UTC calendar date and time of day, without a date library (proleptic Gregorian,
    /// Howard Hinnant's civil-from-days).
    pub fn utc(self) -> UtcTime {
        let days = self.0.div_euclid(86_400_000);
        let in_day = self.0.rem_euclid(86_400_000);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        UtcTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            millis: in_day % 1000,
        }
    }
}

/// A [`UnixMillis`] as UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millis: i64,
}

/// A UTC calendar date as an operator types it (`YYYY-MM-DD`, what an HTML date input sends),
/// e.g. to bound a search by day. Years 1970 to 9999: nothing Warden stores is older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDate {
    year: i64,
    month: i64,
    day: i64,
}

/// Why a date was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("must be a date written YYYY-MM-DD")]
    Format,
    #[error("is not a day of the calendar between 1970 and 9999")]
    NoSuchDay,
}

impl UtcDate {
    /// Exactly `YYYY-MM-DD` (four, two and two ASCII digits): no time, no zone, no spaces.
    pub fn parse(raw: &str) -> Result<Self, DateError> {
        let b = raw.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<i64> {
            b.get(r)?.iter().try_fold(0i64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Format);
        }
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(DateError::Format);
        };
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(DateError::NoSuchDay),
        };
        if year < 1970 || !(1..=days_in_month).contains(&day) {
            return Err(DateError::NoSuchDay);
        }
        Ok(Self { year, month, day })
    }

    /// The first millisecond of the day, UTC (Howard Hinnant's days-from-civil, the inverse of
    /// [`UnixMillis::utc`]).
    pub fn start(self) -> UnixMillis {
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (self.month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + self.day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        UnixMillis((era * 146_097 + doe - 719_468) * 86_400_000)
    }

    /// The first millisecond of the next day: the exclusive end of this one.
    pub fn end(self) -> UnixMillis {
        self.start().plus_ms(86_400_000)
    }
}

impl std::fmt::Display for UtcDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_fields_hold_at_the_epoch_a_leap_day_and_before_1970() {
        let t = UnixMillis(0).utc();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.millis),
            (1970, 1, 1, 0, 0)
        );
        // 2024-02-29T23:59:59.999Z
        let t = UnixMillis(1_709_251_199_999).utc();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis),
            (2024, 2, 29, 23, 59, 59, 999)
        );
        // 1969-12-31T23:59:59.999Z
        let t = UnixMillis(-1).utc();
        assert_eq!((t.year, t.month, t.day, t.hour), (1969, 12, 31, 23));
    }

    #[test]
    fn a_date_starts_at_its_first_millisecond_and_ends_at_the_next_days() {
        let d = UtcDate::parse("2024-02-29").unwrap();
        assert_eq!(d.start(), UnixMillis(1_709_164_800_000));
        assert_eq!(d.end(), UnixMillis(1_709_251_200_000));
        assert_eq!(UtcDate::parse("1970-01-01").unwrap().start(), UnixMillis(0));
        assert_eq!(d.to_string(), "2024-02-29");
    }

    #[test]
    fn a_date_is_refused_unless_it_is_exactly_a_calendar_day() {
        for bad in [
            "",
            "2024-2-29",
            "2024-02-29T00:00",
            " 2024-02-29",
            "2024/02/29",
            "+024-02-29",
            "2024-0a-01",
            "20240229",
            "2024-02-29 ",
        ] {
            assert_eq!(UtcDate::parse(bad), Err(DateError::Format), "{bad:?}");
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "1969-12-31",
            "2100-02-29",
        ] {
            assert_eq!(UtcDate::parse(bad), Err(DateError::NoSuchDay), "{bad:?}");
        }
        assert!(UtcDate::parse("2000-02-29").is_ok());
    }

    proptest::proptest! {
        /// Every day from 1970 to 9999 round-trips: its start's calendar fields are the date,
        /// at midnight, and the date's text parses back to it.
        #[test]
        fn every_day_round_trips_through_its_text_and_its_start(days in 0i64..2_932_897) {
            let start = UnixMillis(days * 86_400_000);
            let t = start.utc();
            let text = format!("{:04}-{:02}-{:02}", t.year, t.month, t.day);
            let d = UtcDate::parse(&text).unwrap();
            proptest::prop_assert_eq!(d.start(), start);
            proptest::prop_assert_eq!(d.to_string(), text);
        }

        /// Any string: a date or a refusal, never a panic.
        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,12}") {
            let _ = UtcDate::parse(&s);
        }
    }
}
