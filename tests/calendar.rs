//! Reminders in Google Calendar (against `MockGoogle`): a signed `remind` creates exactly one
//! event at the right instant, also when the first insert times out after Google stored it and
//! the webhook is replayed; `events` lists the sender's own reminders and `unremind` deletes
//! one; a revoked grant fails the write with a reply; the audit chain verifies and the TRACE
//! logs hold no title, no token and no number.

use std::time::Duration;

use crate::support::{Backend, Gateway, Settings, ALICE, BOB, GOOGLE_CLIENT_ID, SETTLE};
use anyhow::Result;
use secrecy::ExposeSecret;
use warden_simulators::{CannedReply, MockGoogle, MockGraph};

on_both_backends!(
    remind_creates_one_event_at_the_right_instant_despite_a_lost_answer_and_a_replay,
    events_lists_only_the_senders_reminders_and_unremind_deletes_one,
    a_revoked_grant_fails_the_reminder_with_a_reply_and_an_audit_event,
    a_past_time_is_refused_and_nothing_is_written_to_the_calendar,
    a_pending_reminders_title_is_exported_and_erased_with_its_subject_only,
    in_twiml_mode_the_response_says_the_write_is_on_its_way_and_the_event_follows,
);

/// The zone the owner lives in: UTC+1 in January, when the manual clock starts.
const ZONE: &str = "Europe/Berlin";
/// Longer than the adapter's 10 s deadline, so the first insert's answer is lost.
const HANG: Duration = Duration::from_secs(11);

async fn google(gw_secrets: &crate::support::Secrets) -> Result<MockGoogle> {
    Ok(MockGoogle::start(
        GOOGLE_CLIENT_ID,
        gw_secrets.google_client_secret.expose_secret(),
        gw_secrets.google_refresh_token.expose_secret(),
    )
    .await?)
}

/// A gateway with Meta (replies through the outbox) and the calendar on a mock Google whose
/// credentials are the gateway's own generated secrets.
async fn calendar_gateway(backend: Backend) -> Result<(Gateway, MockGraph, MockGoogle)> {
    let graph = MockGraph::healthy().await?;
    // The mock must know the grant before the gateway starts with it.
    let secrets = crate::support::Secrets::generate();
    let google = google(&secrets).await?;
    let gw = Gateway::start_with_secrets(
        backend,
        Settings::new()
            .allow(&[ALICE, BOB])
            .meta(&graph.url())
            .calendar(&google.url(), ZONE),
        secrets,
    )
    .await?;
    Ok((gw, graph, google))
}

/// Everything that must never reach a log: the titles used and every access token Google
/// issued (read from the requests the mock received).
fn calendar_needles(google: &MockGoogle, titles: &[&str]) -> Vec<String> {
    let mut needles: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
    needles.extend(google.requests().iter().filter_map(|r| {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned)
    }));
    needles
}

async fn remind_creates_one_event_at_the_right_instant_despite_a_lost_answer_and_a_replay(
    backend: Backend,
) -> Result<()> {
    let (gw, graph, google) = calendar_gateway(backend).await?;
    google.hang_next_insert_after_storing(HANG);
    let wamid = warden_simulators::new_wamid();
    let text = "remind 2027-01-16 09:30 call the dentist";
    let before = graph.requests().len();
    let answer = gw
        .meta
        .send_with_wamid(&ALICE.phone(), text, &wamid)
        .await?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    // The first attempt times out (Google kept the event); its retry is due within a second
    // of the gateway's clock.
    gw.wait_until("the first attempt to fail", HANG + SETTLE, || async {
        Ok(gw
            .query_i64("SELECT COUNT(*) AS n FROM calendar_jobs WHERE last_error IS NOT NULL")
            .await?
            == 1)
    })
    .await?;
    assert_eq!(google.events().len(), 1, "Google stored the first insert");
    // The same webhook again (Meta retries): the replay key stops it.
    let replay = gw
        .meta
        .send_with_wamid(&ALICE.phone(), text, &wamid)
        .await?;
    anyhow::ensure!(replay.status == 200, "{}", replay.body);
    gw.clock.advance_ms(2_000);
    gw.calendar_settled(SETTLE).await?;

    let events = google.events();
    assert_eq!(events.len(), 1, "exactly one event");
    let event = &events[0];
    // 09:30 in Berlin in January is 08:30 UTC; 30 minutes long; a popup 10 minutes before.
    assert_eq!(event.start, "2027-01-16T08:30:00Z");
    assert_eq!(event.end, "2027-01-16T09:00:00Z");
    assert_eq!(event.time_zone, ZONE);
    assert_eq!(event.summary, "call the dentist");
    assert_eq!(event.popup_minutes, Some(10));
    let inserts = google
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/events"))
        .count();
    assert_eq!(
        inserts, 2,
        "one retry after the lost answer, none for the replay"
    );

    let reply = gw.new_reply(&graph, before, ALICE).await?;
    assert_eq!(
        reply.as_deref(),
        Some(
            "Reminder set: call the dentist on Sat 2027-01-16 09:30 (Europe/Berlin), with a \
             notification 10 minutes before."
        )
    );
    assert_eq!(gw.count_kind("calendar.event_created").await?, 1);
    assert_eq!(gw.count_kind("calendar.write_failed").await?, 0);
    let created = gw
        .audit()
        .await?
        .into_iter()
        .find(|r| r.kind == "calendar.event_created")
        .map(|r| r.detail)
        .unwrap_or_default();
    assert!(created.contains(&event.id), "{created}");
    assert!(created.contains("already_existed"), "{created}");
    assert!(!created.contains("dentist"), "{created}");
    // Settled: the job keeps no title, time, reply or number.
    assert_eq!(
        gw.query_i64(
            "SELECT COUNT(*) AS n FROM calendar_jobs WHERE title IS NULL AND recipient IS NULL \
             AND done_reply IS NULL AND start_ms IS NULL AND status = 'done'"
        )
        .await?,
        1
    );
    let needles = calendar_needles(&google, &["call the dentist"]);
    gw.finish().await?;
    crate::leaks::assert_clean(&needles)
}

async fn events_lists_only_the_senders_reminders_and_unremind_deletes_one(
    backend: Backend,
) -> Result<()> {
    let (gw, graph, google) = calendar_gateway(backend).await?;
    for (who, text) in [
        (ALICE, "remind tomorrow 18:00 water the plants"),
        (ALICE, "remind 2027-01-20 07:15 dentist"),
        (BOB, "remind tomorrow 12:00 bobs lunch"),
    ] {
        let answer = gw.meta.send(&who.phone(), text).await?;
        anyhow::ensure!(answer.status == 200, "{}", answer.body);
    }
    gw.calendar_settled(SETTLE).await?;
    gw.outbox_settled().await?;
    assert_eq!(google.events().len(), 3);

    let listed = gw.meta_say(&graph, ALICE, "events").await?;
    assert_eq!(
        listed.as_deref(),
        Some(
            "Upcoming reminders:\n1. Sat 2027-01-16 18:00 water the plants\n\
             2. Wed 2027-01-20 07:15 dentist"
        )
    );
    let none = gw.meta_say(&graph, ALICE, "unremind 3").await?;
    assert_eq!(
        none.as_deref(),
        Some("There is no upcoming reminder 3. Send events to see them.")
    );
    let before = graph.requests().len();
    let answer = gw.meta.send(&ALICE.phone(), "unremind 1").await?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    gw.calendar_settled(SETTLE).await?;
    let deleted = gw.new_reply(&graph, before, ALICE).await?;
    assert_eq!(
        deleted.as_deref(),
        Some("Deleted: water the plants on Sat 2027-01-16 18:00.")
    );
    let left: Vec<String> = google.events().into_iter().map(|e| e.summary).collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&"water the plants".to_owned()), "{left:?}");
    assert_eq!(gw.count_kind("calendar.event_deleted").await?, 1);
    let listed = gw.meta_say(&graph, ALICE, "events").await?;
    assert_eq!(
        listed.as_deref(),
        Some("Upcoming reminders:\n1. Wed 2027-01-20 07:15 dentist")
    );
    let needles = calendar_needles(&google, &["water the plants", "bobs lunch", "dentist"]);
    gw.finish().await?;
    crate::leaks::assert_clean(&needles)
}

async fn a_revoked_grant_fails_the_reminder_with_a_reply_and_an_audit_event(
    backend: Backend,
) -> Result<()> {
    let (gw, graph, google) = calendar_gateway(backend).await?;
    google.revoke();
    let before = graph.requests().len();
    let answer = gw
        .meta
        .send(&ALICE.phone(), "remind tomorrow 09:00 pay the rent")
        .await?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    gw.calendar_settled(SETTLE).await?;
    let reply = gw.new_reply(&graph, before, ALICE).await?;
    assert_eq!(reply.as_deref(), Some(warden_calendar::reply::NOT_CREATED));
    assert!(google.events().is_empty());
    let failed = gw
        .audit()
        .await?
        .into_iter()
        .find(|r| r.kind == "calendar.write_failed")
        .map(|r| r.detail)
        .unwrap_or_default();
    assert!(failed.contains("invalid_grant"), "{failed}");
    assert!(!failed.contains("rent"), "{failed}");
    let needles = calendar_needles(&google, &["pay the rent"]);
    gw.finish().await?;
    crate::leaks::assert_clean(&needles)
}

async fn a_past_time_is_refused_and_nothing_is_written_to_the_calendar(
    backend: Backend,
) -> Result<()> {
    let (gw, graph, google) = calendar_gateway(backend).await?;
    let reply = gw
        .meta_say(&graph, ALICE, "remind 2027-01-14 09:00 too late")
        .await?;
    assert_eq!(reply.as_deref(), Some("That time has already passed."));
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM calendar_jobs")
            .await?,
        0
    );
    assert!(google.requests().is_empty());
    gw.finish().await
}

async fn a_pending_reminders_title_is_exported_and_erased_with_its_subject_only(
    backend: Backend,
) -> Result<()> {
    let (gw, _graph, google) = calendar_gateway(backend).await?;
    // Google is down: both reminders stay pending, titles and all.
    google.script(CannedReply::status(503), 1_000);
    for (who, text) in [
        (ALICE, "remind tomorrow 08:00 see the oncologist"),
        (BOB, "remind tomorrow 08:00 bobs errand"),
    ] {
        let answer = gw.meta.send(&who.phone(), text).await?;
        anyhow::ensure!(answer.status == 200, "{}", answer.body);
    }
    gw.wait_until("both first attempts", SETTLE, || async {
        Ok(gw
            .query_i64("SELECT COUNT(*) AS n FROM calendar_jobs WHERE attempts > 0")
            .await?
            == 2)
    })
    .await?;

    let alice = gw.operator().export_subject(ALICE.e164, true).await?;
    let json = serde_json::to_string(&alice)?;
    let jobs = alice.tables.get("calendar_jobs").map_or(0, Vec::len);
    assert_eq!(jobs, 1, "{json}");
    assert!(json.contains("see the oncologist"), "{json}");
    assert!(!json.contains("bobs errand"), "{json}");

    let report = gw
        .operator()
        .erase_subject(ALICE.e164, "owner-test")
        .await?;
    assert_eq!(report.counts.get("calendar_jobs"), 1);
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM calendar_jobs")
            .await?,
        1,
        "Bob's job stays"
    );
    let after = gw.operator().export_subject(ALICE.e164, true).await?;
    assert!(after.holds_no_rows(), "{after:?}");
    let needles = calendar_needles(&google, &["see the oncologist", "bobs errand"]);
    gw.finish().await?;
    crate::leaks::assert_clean(&needles)
}

async fn in_twiml_mode_the_response_says_the_write_is_on_its_way_and_the_event_follows(
    backend: Backend,
) -> Result<()> {
    let secrets = crate::support::Secrets::generate();
    let google = google(&secrets).await?;
    let gw = Gateway::start_with_secrets(
        backend,
        Settings::new()
            .allow(&[ALICE])
            .calendar(&google.url(), ZONE),
        secrets,
    )
    .await?;
    let reply = gw.say(ALICE, "remind tomorrow 07:45 feed the cat").await?;
    assert_eq!(
        reply.as_deref(),
        Some(crate::support::ReplyText::CALENDAR_PENDING)
    );
    gw.calendar_settled(SETTLE).await?;
    let events = google.events();
    assert_eq!(events.len(), 1);
    // 07:45 in Berlin on 2027-01-16 is 06:45 UTC.
    assert_eq!(events[0].start, "2027-01-16T06:45:00Z");
    // No number was kept for a reply that has no channel.
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM calendar_jobs WHERE recipient IS NOT NULL")
            .await?,
        0
    );
    let needles = calendar_needles(&google, &["feed the cat"]);
    gw.finish().await?;
    crate::leaks::assert_clean(&needles)
}
