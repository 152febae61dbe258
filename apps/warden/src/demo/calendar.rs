//! The calendar leg of `warden demo`: `remind`, `events` and `unremind` over Meta against a
//! local mock of Google's token endpoint and Calendar API. The first insert's answer is lost
//! after Google stored the event and the webhook is replayed: still exactly one event.

#![allow(
    clippy::print_stdout,
    reason = "the demo's output is its user interface"
)]

use std::time::{Duration, Instant};

use warden_simulators::{new_wamid, MetaSimulator, MockGoogle, MockGraph};
use warden_store::Store;
use warden_types::PhoneNumber;

use super::indent;
use super::marketplace::{audit_since, head_seq};

/// Longer than the adapter's 10 s deadline: the first insert's answer never arrives in time.
const HANG: Duration = Duration::from_secs(11);
/// The lost answer, a retry and the reply's delivery fit in this.
const CONFIRMATION_TIMEOUT: Duration = Duration::from_secs(30);
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// What the calendar leg needs from the demo's setup.
#[derive(Debug)]
pub(super) struct Leg<'a> {
    pub(super) meta: &'a MetaSimulator,
    pub(super) graph: &'a MockGraph,
    pub(super) google: &'a MockGoogle,
    pub(super) store: &'a Store,
    /// An allowlisted sender.
    pub(super) client: &'a PhoneNumber,
    /// `WARDEN_TIMEZONE`.
    pub(super) zone: &'a str,
}

/// The calendar leg.
pub(super) async fn run_leg(leg: &Leg<'_>) -> anyhow::Result<()> {
    println!(
        "\n━━ Calendar leg: reminders in Google Calendar (a local mock of its token endpoint and \
         Calendar API on {}), owner's zone {} ━━",
        leg.google.url(),
        leg.zone
    );
    let start_seq = head_seq(leg.store).await?;
    let mut seen = usize::try_from(leg.graph.accepted()).unwrap_or(usize::MAX);

    println!(
        "\n— remind: Google stores the event but its answer is lost (the adapter gives up after \
         10 s), and Meta replays the webhook; the retry names the same event id and gets 409:"
    );
    leg.google.hang_next_insert_after_storing(HANG);
    let wamid = new_wamid();
    let text = "remind tomorrow 09:30 call the dentist";
    let started = Instant::now();
    for label in ["", " (replayed)"] {
        let ex = leg.meta.send_with_wamid(leg.client, text, &wamid).await?;
        println!(
            "  → {} {text:?}{label}\n  ← webhook {}",
            leg.client.masked(),
            ex.status
        );
        anyhow::ensure!(ex.status == 200, "the webhook was not accepted");
    }
    let reply = next_reply(leg, &mut seen, CONFIRMATION_TIMEOUT).await?;
    println!(
        "  ⇒ after {} ms:{}",
        started.elapsed().as_millis(),
        indent(&reply)
    );
    anyhow::ensure!(
        reply.starts_with("Reminder set: call the dentist"),
        "no confirmation"
    );
    let events = leg.google.events();
    let [event] = events.as_slice() else {
        anyhow::bail!("expected exactly one event, Google holds {}", events.len());
    };
    println!(
        "  Google holds exactly one event: id {}, start {}, time zone {}",
        super::abbreviate(&event.id, 12),
        event.start,
        event.time_zone
    );

    println!("\n— events lists the sender's own reminders, numbered:");
    say(leg, &mut seen, "events", "1. ").await?;
    println!("\n— unremind 1 deletes it (a delete job, confirmed once Google answered):");
    say(leg, &mut seen, "unremind 1", "Deleted: call the dentist").await?;
    anyhow::ensure!(leg.google.events().is_empty(), "the event is still there");

    println!("\n— Audit events of this leg (event ids and codes, never the title):");
    for r in audit_since(leg.store, start_seq)
        .await?
        .iter()
        .filter(|r| r.kind.starts_with("calendar."))
    {
        println!("  {:>4}  {:<24} {}", r.seq, r.kind, r.detail);
    }
    Ok(())
}

/// Sends `body` and waits for its one reply, which must contain `want`.
async fn say(leg: &Leg<'_>, seen: &mut usize, body: &str, want: &str) -> anyhow::Result<()> {
    let ex = leg.meta.send(leg.client, body).await?;
    println!(
        "  → {} {body:?}\n  ← webhook {}",
        leg.client.masked(),
        ex.status
    );
    anyhow::ensure!(ex.status == 200, "step {body:?}: not accepted");
    let reply = next_reply(leg, seen, REPLY_TIMEOUT).await?;
    println!("  ⇒{}", indent(&reply));
    anyhow::ensure!(
        reply.contains(want),
        "step {body:?}: expected a reply containing {want:?}"
    );
    Ok(())
}

/// The next reply the Graph API received for the client.
async fn next_reply(leg: &Leg<'_>, seen: &mut usize, within: Duration) -> anyhow::Result<String> {
    let want = u64::try_from(*seen + 1).unwrap_or(u64::MAX);
    anyhow::ensure!(
        leg.graph.wait_for(want, within, POLL).await,
        "no reply reached the Graph API within {within:?}"
    );
    let sends = leg.graph.sends_since(*seen);
    *seen += sends.len();
    let [send] = sends.as_slice() else {
        anyhow::bail!("expected one reply, got {}", sends.len());
    };
    anyhow::ensure!(
        send.to == leg.client.as_e164(),
        "the reply went to another number"
    );
    Ok(send.body.clone())
}
