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
}
