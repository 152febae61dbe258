//! What the user is told about their reminders: the texts the calendar use case replies with,
//! and which event `unremind <n>` means. Plain functions of the events and the owner's zone.

use warden_commands::{TaskNumber, TaskTitle, When};

use crate::{DstShift, Event, EventId, OwnerZone, Slot};

/// WhatsApp via Twilio carries at most 1600 characters; an event line is at most ~230.
const MAX_REPLY_CHARS: usize = 1600;

/// The reply once the event exists: title, the time the owner's clock will show, the zone, and
/// what DST did to the written time, if anything.
pub fn created(title: &TaskTitle, when: &When, slot: &Slot, zone: &OwnerZone) -> String {
    let mut text = format!(
        "Reminder set: {} on {} ({}), with a notification 10 minutes before.",
        title.as_str(),
        zone.local_text(slot.start),
        zone.name()
    );
    match slot.dst {
        DstShift::None => {}
        DstShift::Gap => text.push_str(&format!(
            " {} does not exist that day (the clocks go forward), so it is the time shown.",
            when.time
        )),
        DstShift::Overlap => text.push_str(&format!(
            " {} happens twice that day (the clocks go back); this is the first.",
            when.time
        )),
    }
    clip(text)
}

/// The reply when the event could not be created after the last attempt.
pub const NOT_CREATED: &str = "The calendar is unavailable: the reminder was not created.";
/// The reply when the event could not be deleted after the last attempt.
pub const NOT_DELETED: &str = "The calendar is unavailable: the reminder was not deleted.";
/// The reply to any calendar command while the calendar is disabled (the grant was revoked).
pub const UNAVAILABLE: &str = "The calendar is unavailable right now.";

/// `events`: the upcoming reminders, numbered as `unremind` takes them.
pub fn events(events: &[Event], zone: &OwnerZone) -> String {
    if events.is_empty() {
        return "No upcoming reminders. Add one with: remind tomorrow 9:30 <title>".to_owned();
    }
    let mut text = String::from("Upcoming reminders:");
    for (i, event) in events.iter().enumerate() {
        text.push_str(&format!(
            "\n{}. {} {}",
            i + 1,
            zone.local_text(event.start),
            event.title
        ));
    }
    clip(text)
}

/// The reply once an event is deleted.
pub fn deleted(event: &Event, zone: &OwnerZone) -> String {
    clip(format!(
        "Deleted: {} on {}.",
        event.title,
        zone.local_text(event.start)
    ))
}

/// The event `unremind n` names in the list `events` shows now, if there is one.
pub fn pick(events: &[Event], n: TaskNumber) -> Option<&EventId> {
    let index = usize::try_from(n.get()).ok()?.checked_sub(1)?;
    events.get(index).map(|e| &e.id)
}

/// The reply when `unremind n` names no listed event.
pub fn no_such_event(n: TaskNumber) -> String {
    format!("There is no upcoming reminder {n}. Send events to see them.")
}

/// Cuts a reply to what the channel carries, on a character boundary.
fn clip(text: String) -> String {
    if text.chars().count() <= MAX_REPLY_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_REPLY_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve;
    use warden_commands::{parse, Command};
    use warden_types::UnixMillis;

    fn reminder(text: &str) -> (When, TaskTitle) {
        match parse(text) {
            Ok(Command::Remind(r)) => (r.when, r.title),
            other => panic!("{other:?}"),
        }
    }

    fn berlin() -> OwnerZone {
        OwnerZone::parse("Europe/Berlin").unwrap()
    }

    fn event(id: &str, title: &str, start: i64) -> Event {
        Event {
            id: EventId::parse(id).unwrap(),
            title: title.to_owned(),
            start: UnixMillis(start),
        }
    }

    #[test]
    fn the_confirmation_shows_the_local_time_and_zone() {
        let (when, title) = reminder("remind 2026-05-04 18:00 call mum");
        let slot = resolve(&when, UnixMillis(1_777_878_000_000), &berlin()).unwrap();
        assert_eq!(
            created(&title, &when, &slot, &berlin()),
            "Reminder set: call mum on Mon 2026-05-04 18:00 (Europe/Berlin), with a notification \
             10 minutes before."
        );
    }

    #[test]
    fn the_confirmation_says_what_dst_did_to_the_written_time() {
        let now = UnixMillis(1_767_225_600_000);
        let (when, title) = reminder("remind 2026-03-29 02:30 water the plants");
        let slot = resolve(&when, now, &berlin()).unwrap();
        let text = created(&title, &when, &slot, &berlin());
        assert!(text.contains("Sun 2026-03-29 03:30"), "{text}");
        assert!(text.contains("02:30 does not exist that day"), "{text}");
        let (when, title) = reminder("remind 2026-10-25 02:30 water the plants");
        let slot = resolve(&when, now, &berlin()).unwrap();
        let text = created(&title, &when, &slot, &berlin());
        assert!(text.contains("happens twice"), "{text}");
    }

    #[test]
    fn events_are_numbered_as_unremind_takes_them() {
        let list = [
            event("aaaaa", "dentist", 1_777_910_400_000),
            event("bbbbb", "call mum", 1_777_966_200_000),
        ];
        assert_eq!(
            events(&list, &berlin()),
            "Upcoming reminders:\n1. Mon 2026-05-04 18:00 dentist\n2. Tue 2026-05-05 09:30 call mum"
        );
        let second = TaskNumber::new(2).unwrap();
        assert_eq!(pick(&list, second).map(EventId::as_str), Some("bbbbb"));
        assert_eq!(pick(&list, TaskNumber::new(3).unwrap()), None);
        assert_eq!(pick(&[], TaskNumber::new(1).unwrap()), None);
        assert!(events(&[], &berlin()).starts_with("No upcoming reminders"));
        assert!(deleted(&list[1], &berlin()).starts_with("Deleted: call mum on Tue"));
        assert!(no_such_event(TaskNumber::new(3).unwrap()).contains('3'));
    }

    #[test]
    fn a_list_of_ten_longest_titles_is_cut_to_one_whatsapp_message() {
        let title = "x".repeat(TaskTitle::MAX_CHARS);
        let list: Vec<Event> = (0..10)
            .map(|i| event("ccccc", &title, 1_777_910_400_000 + i * 60_000))
            .collect();
        let text = events(&list, &berlin());
        assert_eq!(text.chars().count(), MAX_REPLY_CHARS);
        assert!(text.ends_with('…'));
    }
}
