//! The `<when>` of `remind <when> <title>`: a day and a 24-hour wall-clock time, as written.
//!
//! This is syntax only. Which instant it names depends on the owner's time zone and on "now",
//! so resolving it (past times, DST gaps and overlaps) is the calendar crate's job; here a
//! [`When`] is only known to be well-formed and, for a written date, a real calendar day.

use std::fmt;

use crate::CommandError;

/// A day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Every weekday, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The spelling the grammar accepts (any ASCII case): `mon` … `sun`.
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    /// 1 for Monday … 7 for Sunday (ISO 8601).
    pub fn number_from_monday(self) -> u8 {
        match self {
            Weekday::Mon => 1,
            Weekday::Tue => 2,
            Weekday::Wed => 3,
            Weekday::Thu => 4,
            Weekday::Fri => 5,
            Weekday::Sat => 6,
            Weekday::Sun => 7,
        }
    }

    fn lookup(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| word.eq_ignore_ascii_case(d.as_str()))
    }
}

/// A calendar date written `YYYY-MM-DD`, years 2000–9999, that exists (no 30 February).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Earliest accepted year: nothing before it can be in the future.
    pub const MIN_YEAR: u16 = 2000;
    /// Latest accepted year: four digits.
    pub const MAX_YEAR: u16 = 9999;

    /// A date, if it exists and its year is in range.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let in_range = (Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        in_range.then_some(Self { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Exactly `YYYY-MM-DD` in ASCII digits.
    fn parse(text: &str) -> Result<Self, CommandError> {
        let b = text.as_bytes();
        let shaped = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shaped {
            return Err(CommandError::InvalidWhen);
        }
        let year = digits(&b[0..4]);
        let month = digits(&b[5..7]);
        let day = digits(&b[8..10]);
        // Each value has at most four digits, so the narrowing cannot fail.
        let (Ok(year), Ok(month), Ok(day)) =
            (u16::try_from(year), u8::try_from(month), u8::try_from(day))
        else {
            return Err(CommandError::InvalidWhen);
        };
        Self::new(year, month, day).ok_or(CommandError::NoSuchDate)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The value of a run of ASCII digits the caller has checked (at most four).
fn digits(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// A 24-hour wall-clock time, `00:00` to `23:59`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
}

impl TimeOfDay {
    /// A time, if `hour < 24` and `minute < 60`.
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    pub fn hour(self) -> u8 {
        self.hour
    }

    pub fn minute(self) -> u8 {
        self.minute
    }

    /// `H:MM` or `HH:MM`: one or two ASCII digits of hour, exactly two of minute. A shape that is
    /// right but out of range (`24:00`, `9:60`) is [`CommandError::InvalidTime`]; anything else
    /// is [`CommandError::InvalidWhen`].
    fn parse(text: &str) -> Result<Self, CommandError> {
        let Some((h, m)) = text.split_once(':') else {
            return Err(CommandError::InvalidWhen);
        };
        let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        if !(1..=2).contains(&h.len()) || m.len() != 2 || !all_digits(h) || !all_digits(m) {
            return Err(CommandError::InvalidWhen);
        }
        let (Ok(hour), Ok(minute)) = (
            u8::try_from(digits(h.as_bytes())),
            u8::try_from(digits(m.as_bytes())),
        ) else {
            return Err(CommandError::InvalidTime);
        };
        Self::new(hour, minute).ok_or(CommandError::InvalidTime)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// Which day a `<when>` names, before the owner's zone and "now" say which date that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Day {
    /// `YYYY-MM-DD`.
    Date(Date),
    /// `today`.
    Today,
    /// `tomorrow`.
    Tomorrow,
    /// `mon` … `sun`: the next day of that name whose time is still ahead (today included).
    Next(Weekday),
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Day::Date(date) => date.fmt(f),
            Day::Today => f.write_str("today"),
            Day::Tomorrow => f.write_str("tomorrow"),
            Day::Next(weekday) => f.write_str(weekday.as_str()),
        }
    }
}

/// `<when>` as written: a day and a time in the owner's zone. `Display` gives the canonical
/// spelling (`2026-05-01 09:30`, `tomorrow 18:00`), which parses back to the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct When {
    pub day: Day,
    pub time: TimeOfDay,
}

impl When {
    /// `today`, `tomorrow` or a weekday name, in any ASCII case.
    pub(crate) fn is_day_word(word: &str) -> bool {
        word.eq_ignore_ascii_case("today")
            || word.eq_ignore_ascii_case("tomorrow")
            || Weekday::lookup(word).is_some()
    }

    /// Parses the two words of a `<when>`. The day word is matched ASCII-case-insensitively.
    pub(crate) fn parse(day: &str, time: &str) -> Result<Self, CommandError> {
        let day = if day.eq_ignore_ascii_case("today") {
            Day::Today
        } else if day.eq_ignore_ascii_case("tomorrow") {
            Day::Tomorrow
        } else if let Some(weekday) = Weekday::lookup(day) {
            Day::Next(weekday)
        } else {
            Day::Date(Date::parse(day)?)
        };
        let time = TimeOfDay::parse(time)?;
        Ok(Self { day, time })
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.day, self.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!(Date::new(2028, 2, 29).is_some());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2100, 2, 29).is_none());
        assert!(Date::new(2027, 2, 29).is_none());
        assert!(Date::new(2027, 4, 31).is_none());
        assert!(Date::new(2027, 12, 31).is_some());
        assert!(Date::new(2027, 13, 1).is_none());
        assert!(Date::new(2027, 1, 0).is_none());
        assert!(Date::new(1999, 12, 31).is_none());
    }

    #[test]
    fn a_date_of_the_right_shape_that_does_not_exist_says_so() {
        assert_eq!(Date::parse("2027-02-30"), Err(CommandError::NoSuchDate));
        assert_eq!(Date::parse("2027-00-10"), Err(CommandError::NoSuchDate));
        assert_eq!(Date::parse("1999-12-31"), Err(CommandError::NoSuchDate));
    }

    #[test]
    fn only_the_iso_shape_is_a_date() {
        for bad in [
            "2027-2-03",
            "27-02-03",
            "2027/02/03",
            "2027-02-03T",
            "+027-02-03",
            "2027-02-0\u{663}",
            "２０２７-02-03",
        ] {
            assert_eq!(Date::parse(bad), Err(CommandError::InvalidWhen), "{bad}");
        }
    }

    #[test]
    fn times_are_24_hour_with_two_minute_digits() {
        assert_eq!(
            TimeOfDay::parse("9:05"),
            Ok(TimeOfDay { hour: 9, minute: 5 })
        );
        assert_eq!(
            TimeOfDay::parse("09:05"),
            Ok(TimeOfDay { hour: 9, minute: 5 })
        );
        assert_eq!(
            TimeOfDay::parse("23:59"),
            Ok(TimeOfDay {
                hour: 23,
                minute: 59
            })
        );
        for out in ["24:00", "9:60", "99:99"] {
            assert_eq!(
                TimeOfDay::parse(out),
                Err(CommandError::InvalidTime),
                "{out}"
            );
        }
        for bad in [
            "9", "9:5", "009:00", "9.30", "9:30pm", ":30", "9:", "-1:00", "9:3a", "1:2:3",
        ] {
            assert_eq!(
                TimeOfDay::parse(bad),
                Err(CommandError::InvalidWhen),
                "{bad}"
            );
        }
    }

    #[test]
    fn canonical_spelling_parses_back_to_the_same_when() {
        for (day, time) in [
            ("2026-05-01", "9:30"),
            ("TODAY", "00:00"),
            ("Tomorrow", "23:59"),
            ("SUN", "12:00"),
        ] {
            let when = When::parse(day, time).unwrap();
            let text = when.to_string();
            let (d, t) = text.split_once(' ').unwrap();
            assert_eq!(When::parse(d, t), Ok(when), "{text}");
        }
    }

    #[test]
    fn weekday_numbers_follow_iso_8601() {
        let numbers: Vec<u8> = Weekday::ALL
            .iter()
            .map(|d| d.number_from_monday())
            .collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    }
}
