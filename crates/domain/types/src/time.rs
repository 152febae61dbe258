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
}
