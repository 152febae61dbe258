//! `<when>` resolution, named after the risk each test closes. Expected instants were computed
//! independently (Python's zoneinfo, RFC 5545 semantics: fold=0).

#![allow(clippy::unwrap_used, reason = "test setup failing is the test failing")]

use proptest::prelude::*;
use warden_commands::{parse, Command, When};
use warden_types::UnixMillis;

use super::*;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// Monday 2026-05-04 09:00 in Berlin (07:00Z).
const MON_0900_BERLIN: UnixMillis = UnixMillis(1_777_878_000_000);

fn when(text: &str) -> When {
    match parse(&format!("remind {text} x")) {
        Ok(Command::Remind(r)) => r.when,
        other => panic!("{text}: {other:?}"),
    }
}

fn zone(name: &str) -> OwnerZone {
    OwnerZone::parse(name).unwrap()
}

fn at(text: &str, now: UnixMillis, tz: &str) -> Result<Slot, WhenError> {
    resolve(&when(text), now, &zone(tz))
}

#[test]
fn a_written_date_is_read_in_the_owners_zone() {
    let slot = at("2026-05-04 18:00", MON_0900_BERLIN, "Europe/Berlin").unwrap();
    assert_eq!(slot.start, UnixMillis(1_777_910_400_000));
    assert_eq!(slot.end.as_i64() - slot.start.as_i64(), 30 * MINUTE);
    assert_eq!(slot.dst, DstShift::None);
    // The same words in UTC are two hours later in absolute time.
    let utc = at("2026-05-04 18:00", MON_0900_BERLIN, "UTC").unwrap();
    assert_eq!(utc.start.as_i64() - slot.start.as_i64(), 2 * HOUR);
}

#[test]
fn today_and_tomorrow_are_the_owners_local_days() {
    // 23:30 on Monday in New York is already Tuesday in UTC.
    let now = UnixMillis(1_777_951_800_000);
    let today = at("today 23:45", now, "America/New_York").unwrap();
    assert_eq!(today.start.as_i64() - now.as_i64(), 15 * MINUTE);
    let tomorrow = at("tomorrow 23:45", now, "America/New_York").unwrap();
    assert_eq!(tomorrow.start.as_i64() - today.start.as_i64(), 24 * HOUR);
    // Read in UTC, "today" is Tuesday: 23:45 Tuesday UTC.
    let utc = at("today 23:45", now, "UTC").unwrap();
    assert_eq!(utc.start.as_i64() - now.as_i64(), 20 * HOUR + 15 * MINUTE);
}

#[test]
fn a_weekday_is_its_next_occurrence_today_included_while_ahead() {
    let berlin = "Europe/Berlin";
    // Monday 09:00: "mon 18:00" is today, "mon 08:00" next week, "tue 08:00" tomorrow.
    let later_today = at("mon 18:00", MON_0900_BERLIN, berlin).unwrap();
    assert_eq!(later_today.start, UnixMillis(1_777_910_400_000));
    let next_week = at("mon 08:00", MON_0900_BERLIN, berlin).unwrap();
    assert_eq!(
        next_week.start.as_i64() - MON_0900_BERLIN.as_i64(),
        7 * 24 * HOUR - HOUR
    );
    let tomorrow = at("tue 08:00", MON_0900_BERLIN, berlin).unwrap();
    assert_eq!(
        tomorrow.start.as_i64() - MON_0900_BERLIN.as_i64(),
        23 * HOUR
    );
    let sunday = at("sun 09:00", MON_0900_BERLIN, berlin).unwrap();
    assert_eq!(
        sunday.start.as_i64() - MON_0900_BERLIN.as_i64(),
        6 * 24 * HOUR
    );
    // The very minute of now is not ahead: a week later.
    let this_minute = at("mon 09:00", MON_0900_BERLIN, berlin).unwrap();
    assert_eq!(
        this_minute.start.as_i64() - MON_0900_BERLIN.as_i64(),
        7 * 24 * HOUR
    );
}

#[test]
fn past_times_are_refused() {
    let berlin = "Europe/Berlin";
    assert_eq!(
        at("today 08:59", MON_0900_BERLIN, berlin),
        Err(WhenError::Past)
    );
    assert_eq!(
        at("today 09:00", MON_0900_BERLIN, berlin),
        Err(WhenError::Past)
    );
    assert!(at("today 09:01", MON_0900_BERLIN, berlin).is_ok());
    assert_eq!(
        at("2026-05-03 23:00", MON_0900_BERLIN, berlin),
        Err(WhenError::Past)
    );
    assert_eq!(
        at("2000-01-01 00:00", MON_0900_BERLIN, berlin),
        Err(WhenError::Past)
    );
    assert_eq!(WhenError::Past.code(), "past_time");
}

#[test]
fn far_future_typos_are_refused() {
    assert!(at("2031-05-01 09:00", MON_0900_BERLIN, "UTC").is_ok());
    assert_eq!(
        at("2062-05-04 09:00", MON_0900_BERLIN, "UTC"),
        Err(WhenError::TooFar)
    );
    assert_eq!(
        at("9999-12-31 23:59", MON_0900_BERLIN, "UTC"),
        Err(WhenError::TooFar)
    );
}

#[test]
fn a_time_in_the_spring_forward_gap_moves_past_the_gap_in_two_zones() {
    let now = UnixMillis(1_767_225_600_000); // 2026-01-01T00:00Z
                                             // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST. 02:30 is read at +01:00: 01:30Z,
                                             // which the clock shows as 03:30.
    let berlin = at("2026-03-29 02:30", now, "Europe/Berlin").unwrap();
    assert_eq!(berlin.start, UnixMillis(1_774_747_800_000));
    assert_eq!(berlin.dst, DstShift::Gap);
    assert_eq!(
        zone("Europe/Berlin").local_text(berlin.start),
        "Sun 2026-03-29 03:30"
    );
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    let new_york = at("2026-03-08 02:30", now, "America/New_York").unwrap();
    assert_eq!(new_york.start, UnixMillis(1_772_955_000_000));
    assert_eq!(new_york.dst, DstShift::Gap);
    assert_eq!(
        zone("America/New_York").local_text(new_york.start),
        "Sun 2026-03-08 03:30"
    );
    // Lord Howe moves by half an hour: 02:15 becomes 02:45.
    let lord_howe = at("2026-10-04 02:15", now, "Australia/Lord_Howe").unwrap();
    assert_eq!(lord_howe.start, UnixMillis(1_791_042_300_000));
    assert_eq!(lord_howe.dst, DstShift::Gap);
    // The edges of the gap: 01:59 and 03:00 exist.
    assert_eq!(
        at("2026-03-29 01:59", now, "Europe/Berlin").unwrap().dst,
        DstShift::None
    );
    assert_eq!(
        at("2026-03-29 03:00", now, "Europe/Berlin").unwrap().dst,
        DstShift::None
    );
    assert_eq!(
        at("2026-03-29 02:00", now, "Europe/Berlin").unwrap().dst,
        DstShift::Gap
    );
}

#[test]
fn a_time_in_the_fall_back_overlap_is_its_first_occurrence_in_two_zones() {
    let now = UnixMillis(1_767_225_600_000);
    // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice. The first is
    // 02:30 CEST = 00:30Z.
    let berlin = at("2026-10-25 02:30", now, "Europe/Berlin").unwrap();
    assert_eq!(berlin.start, UnixMillis(1_792_888_200_000));
    assert_eq!(berlin.dst, DstShift::Overlap);
    // New York, 2026-11-01: 01:30 EDT (05:30Z) comes before 01:30 EST.
    let new_york = at("2026-11-01 01:30", now, "America/New_York").unwrap();
    assert_eq!(new_york.start, UnixMillis(1_793_511_000_000));
    assert_eq!(new_york.dst, DstShift::Overlap);
    // Lord Howe: 01:45 on 2026-04-05 happens twice, half an hour apart.
    let lord_howe = at("2026-04-05 01:45", now, "Australia/Lord_Howe").unwrap();
    assert_eq!(lord_howe.start, UnixMillis(1_775_313_900_000));
    assert_eq!(lord_howe.dst, DstShift::Overlap);
    // Just outside the overlap nothing is ambiguous.
    assert_eq!(
        at("2026-10-25 01:59", now, "Europe/Berlin").unwrap().dst,
        DstShift::None
    );
    assert_eq!(
        at("2026-10-25 03:00", now, "Europe/Berlin").unwrap().dst,
        DstShift::None
    );
}

#[test]
fn a_reminder_across_a_dst_change_still_lasts_thirty_real_minutes() {
    let now = UnixMillis(1_767_225_600_000);
    let slot = at("2026-03-29 01:45", now, "Europe/Berlin").unwrap();
    assert_eq!(slot.end.as_i64() - slot.start.as_i64(), 30 * MINUTE);
    assert_eq!(
        zone("Europe/Berlin").local_text(slot.end),
        "Sun 2026-03-29 03:15"
    );
}

#[test]
fn tomorrow_on_the_day_before_a_gap_lands_after_it() {
    // Saturday 2026-03-28 12:00 Berlin (11:00Z): "tomorrow 02:30" is the Sunday gap.
    let now = UnixMillis(1_774_695_600_000);
    let slot = at("tomorrow 02:30", now, "Europe/Berlin").unwrap();
    assert_eq!(slot.start, UnixMillis(1_774_747_800_000));
    assert_eq!(slot.dst, DstShift::Gap);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever was written, in whatever zone, at whatever moment: an answer, never a panic, and
    /// an accepted start is strictly ahead of now and within the horizon.
    #[test]
    fn resolution_is_total_and_only_accepts_the_future(
        text in prop_oneof![
            (0u8..24, 0u8..60).prop_map(|(h, m)| format!("today {h}:{m:02}")),
            (0u8..24, 0u8..60).prop_map(|(h, m)| format!("tomorrow {h}:{m:02}")),
            (prop::sample::select(vec!["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), 0u8..24, 0u8..60)
                .prop_map(|(d, h, m)| format!("{d} {h}:{m:02}")),
            (2000u16..=9999, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60)
                .prop_map(|(y, mo, d, h, m)| format!("{y:04}-{mo:02}-{d:02} {h}:{m:02}")),
        ],
        now in prop_oneof![
            0i64..4_102_444_800_000,
            Just(i64::MIN),
            Just(i64::MAX),
            any::<i64>(),
        ],
        tz in prop::sample::select(vec![
            "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
            "Pacific/Kiritimati", "Pacific/Apia", "Asia/Kathmandu", "America/St_Johns",
        ]),
    ) {
        let now = UnixMillis(now);
        if let Ok(slot) = at(&text, now, tz) {
            prop_assert!(slot.start > now);
            prop_assert!(slot.start.as_i64() - now.as_i64() <= MAX_DAYS_AHEAD * 86_400_000);
            prop_assert_eq!(slot.end.as_i64() - slot.start.as_i64(), DURATION_MINUTES * MINUTE);
        }
    }

    /// A weekday or today/tomorrow is never more than eight days ahead.
    #[test]
    fn relative_days_stay_within_a_week_and_a_day(
        day in prop::sample::select(vec!["today", "tomorrow", "mon", "wed", "sun"]),
        h in 0u8..24,
        m in 0u8..60,
        now in 946_684_800_000i64..4_102_444_800_000,
        tz in prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Pacific/Apia"]),
    ) {
        let now = UnixMillis(now);
        if let Ok(slot) = at(&format!("{day} {h}:{m:02}"), now, tz) {
            prop_assert!(slot.start.as_i64() - now.as_i64() <= 8 * 24 * HOUR + 2 * HOUR);
        } else {
            prop_assert!(day == "today" || day == "tomorrow", "{} never past", day);
        }
    }
}
