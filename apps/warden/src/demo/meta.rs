//! The Meta Cloud API leg of `warden demo`: the subscription handshake, then a conversation
//! through signed payloads whose replies the outbox worker sends to a mock Graph API.

#![allow(
    clippy::print_stdout,
    reason = "the demo's output is its user interface"
)]

use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use warden_simulators::{new_wamid, MetaSimulator, MockGraph};
use warden_types::PhoneNumber;

use super::{abbreviate, indent};

/// What the demo's Meta leg needs from the demo's setup.
#[derive(Debug)]
pub(super) struct Leg<'a> {
    pub(super) meta: &'a MetaSimulator,
    pub(super) graph: &'a MockGraph,
    pub(super) verify_token: &'a SecretString,
    pub(super) pair_token: &'a SecretString,
    pub(super) store: &'a warden_store::Store,
}

/// How long the demo waits for the worker to deliver one reply (it takes a few milliseconds;
/// the worker's idle tick is 250 ms).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the demo watches for a reply that must not come.
const QUIET_PERIOD: Duration = Duration::from_millis(400);
const POLL: Duration = Duration::from_millis(5);

/// The Meta leg of the demo: handshake, then a conversation through signed payloads whose
/// replies are read back from the mock Graph API.
pub(super) async fn run_leg(leg: &Leg<'_>) -> anyhow::Result<()> {
    println!("\n━━ Meta Cloud API leg: signed JSON webhooks in, replies out through the outbox ━━");
    println!("\n— Meta verifies the webhook URL (subscription handshake):");
    let challenge = "1158201444";
    let ok = leg
        .meta
        .subscribe(leg.verify_token.expose_secret(), challenge)
        .await?;
    println!(
        "  → GET hub.mode=subscribe hub.verify_token=<token> hub.challenge={challenge}\n  ← {} {:?}",
        ok.status, ok.body
    );
    anyhow::ensure!(
        ok.status == 200 && ok.body == challenge,
        "handshake did not echo the challenge"
    );
    let wrong = leg
        .meta
        .subscribe("guessed-verify-token", challenge)
        .await?;
    println!(
        "  → GET with a wrong verify token\n  ← {} (challenge not echoed)",
        wrong.status
    );
    anyhow::ensure!(wrong.status == 403, "wrong verify token was not refused");

    let bob = PhoneNumber::parse("+447700900123").context("demo number")?;
    let mut step = MetaScript {
        leg,
        who: &bob,
        seen: usize::try_from(leg.graph.accepted()).unwrap_or(usize::MAX),
        last_wamid: String::new(),
    };
    println!("\n— A second user writes on WhatsApp via Meta and pairs with the operator's token:");
    let pair = format!("/pair {}", leg.pair_token.expose_secret());
    step.text(&pair, "/pair <token>", "Paired.").await?;
    println!("\n— Commands; each reply is queued in the outbox and sent by the worker:");
    step.text(
        "add Water the plants",
        "add Water the plants",
        "Added task 1",
    )
    .await?;
    let add = step.last_wamid.clone();
    step.text("add Renew passport", "add Renew passport", "Added task 2")
        .await?;
    step.text("list", "list", "2. Renew passport").await?;
    step.text("done 1", "done 1", "Done: Water the plants")
        .await?;

    println!("\n— A forged payload (signed with the wrong app secret) is refused and audited:");
    let forged_payload = leg.meta.envelope(
        vec![leg.meta.text(&bob, &new_wamid(), "add Transfer money")],
        vec![],
    );
    let forged = leg.meta.send_forged(&forged_payload).await?;
    println!(
        "  → forged \"add Transfer money\"\n  ← {} {:?}",
        forged.status, forged.body
    );
    anyhow::ensure!(forged.status == 403, "forged webhook was not refused");
    step.expect_silence().await?;

    println!("\n— Meta retries (or an attacker replays) an earlier wamid: 200, no second effect:");
    let replay = leg
        .meta
        .send_with_wamid(&bob, "add Water the plants", &add)
        .await?;
    println!(
        "  → replay of \"add Water the plants\" ({})\n  ← {}",
        abbreviate(&add, 18),
        replay.status
    );
    anyhow::ensure!(replay.status == 200, "replay was not acknowledged");
    step.expect_silence().await?;
    step.text("list", "list", "1. Renew passport").await?;

    println!("\n— An image: recorded, and answered in text:");
    let image = leg
        .meta
        .envelope(vec![leg.meta.image(&bob, &new_wamid())], vec![]);
    step.payload(&image, "[image]", "I can only read text")
        .await?;

    anyhow::ensure!(
        leg.graph.refused() == 0,
        "the mock Graph API refused {} sends",
        leg.graph.refused()
    );
    println!("\n— warden outbox list (no message text; number and text are erased once sent):");
    // The mock has the last reply as soon as it answered; the worker records the send just
    // after. Wait (bounded) for that record before comparing the two.
    let outbox = warden_store::SqlOutbox::new(leg.store.clone());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let rows = loop {
        let rows = outbox.list(false, 20).await.context("reading the outbox")?;
        let settled = rows.iter().all(|r| r.status != "pending");
        if settled || tokio::time::Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for r in &rows {
        println!(
            "  {:>3}  {:<6} {:<9} attempts={} to={} sender={}",
            r.id,
            r.provider,
            r.status,
            r.attempts,
            r.recipient_masked.as_deref().unwrap_or("(erased)"),
            abbreviate(&r.sender, 18),
        );
    }
    let sent = rows.iter().filter(|r| r.status == "sent").count();
    println!(
        "  Meta leg: {} replies delivered to the Graph API, {sent} outbox rows sent; the forged and replayed webhooks sent nothing.",
        leg.graph.accepted()
    );
    anyhow::ensure!(
        sent == rows.len() && u64::try_from(sent).ok() == Some(leg.graph.accepted()),
        "outbox and Graph API disagree"
    );
    Ok(())
}

struct MetaScript<'a> {
    leg: &'a Leg<'a>,
    who: &'a PhoneNumber,
    /// Graph API sends already shown.
    seen: usize,
    last_wamid: String,
}

impl MetaScript<'_> {
    /// Sends `body` as a text message, printing `shown` instead (so no secret is printed).
    async fn text(&mut self, body: &str, shown: &str, reply: &str) -> anyhow::Result<()> {
        self.last_wamid = new_wamid();
        let meta = self.leg.meta;
        let payload = meta.envelope(vec![meta.text(self.who, &self.last_wamid, body)], vec![]);
        self.payload(&payload, &format!("{shown:?}"), reply).await
    }

    /// Posts a signed payload, then waits for its one reply at the Graph API.
    async fn payload(&mut self, payload: &Value, shown: &str, reply: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let ex = self.leg.meta.post(payload).await?;
        println!(
            "  → {} {shown}\n  ← webhook {}",
            self.who.masked(),
            ex.status
        );
        anyhow::ensure!(
            ex.status == 200,
            "step {shown}: expected HTTP 200, got {}",
            ex.status
        );
        let want = u64::try_from(self.seen + 1).unwrap_or(u64::MAX);
        let delivered = self.leg.graph.wait_for(want, DELIVERY_TIMEOUT, POLL).await;
        anyhow::ensure!(
            delivered,
            "step {shown}: no reply reached the Graph API within {DELIVERY_TIMEOUT:?}"
        );
        let sends = self.leg.graph.sends_since(self.seen);
        self.seen += sends.len();
        let [send] = sends.as_slice() else {
            anyhow::bail!("step {shown}: expected one reply, got {}", sends.len());
        };
        println!(
            "  ⇒ Graph API received for {} after {} ms:{}",
            send.to_masked(),
            started.elapsed().as_millis(),
            indent(&send.body)
        );
        anyhow::ensure!(
            send.to == self.who.as_e164(),
            "step {shown}: reply went to another number"
        );
        anyhow::ensure!(
            send.body.contains(reply),
            "step {shown}: expected a reply containing {reply:?}"
        );
        Ok(())
    }

    /// Checks that nothing reaches the Graph API for a while.
    async fn expect_silence(&mut self) -> anyhow::Result<()> {
        let want = u64::try_from(self.seen + 1).unwrap_or(u64::MAX);
        let sent = self.leg.graph.wait_for(want, QUIET_PERIOD, POLL).await;
        anyhow::ensure!(!sent, "a reply was sent where none may be");
        println!(
            "  ⇒ Graph API received nothing in {} ms",
            QUIET_PERIOD.as_millis()
        );
        Ok(())
    }
}
