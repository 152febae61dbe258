//! A message has its effect once, however often (and however concurrently) it is delivered.

use anyhow::Result;
use tokio::task::JoinSet;
use warden_simulators::TwilioSimulator;

use crate::support::{Backend, Gateway, Settings, ALICE};

on_both_backends!(
    replayed_message_sid_has_no_second_effect,
    concurrent_copies_of_one_message_have_one_effect,
);

/// The empty TwiML answer: acknowledged, nothing sent back.
fn is_empty_twiml(body: &str) -> bool {
    body.ends_with("<Response/>") && !body.contains("<Message>")
}

async fn replayed_message_sid_has_no_second_effect(backend: Backend) -> Result<()> {
    let mut gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let alice = ALICE.phone();
    let sid = TwilioSimulator::new_sid();

    let first = gw
        .twilio
        .send_with_sid(&alice, "add Buy milk", &sid)
        .await?;
    assert_eq!(first.status, 200);
    assert_eq!(first.reply().as_deref(), Some("Added task 1: Buy milk"));
    let audit_rows = gw.count("audit_log").await?;

    // Twilio retries, or an attacker replays a captured (validly signed) request.
    let replay = gw
        .twilio
        .send_with_sid(&alice, "add Buy milk", &sid)
        .await?;
    assert_eq!(replay.status, 200, "Twilio must not retry forever");
    assert!(is_empty_twiml(&replay.body), "{}", replay.body);

    // Same SID, other (validly signed) content: still the same message, still no effect.
    let altered = gw.twilio.send_with_sid(&alice, "done 1", &sid).await?;
    assert!(is_empty_twiml(&altered.body), "{}", altered.body);

    // A later window or a restart does not make the SID new again.
    gw.clock.advance_ms(24 * 60 * 60_000);
    gw.restart().await?;
    let after_restart = gw
        .twilio
        .send_with_sid(&alice, "add Buy milk", &sid)
        .await?;
    assert!(
        is_empty_twiml(&after_restart.body),
        "{}",
        after_restart.body
    );

    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(gw.count("tasks").await?, 1);
    assert_eq!(
        gw.query_i64("SELECT COUNT(*) AS n FROM tasks WHERE done_ms IS NULL")
            .await?,
        1
    );
    assert_eq!(
        gw.count("audit_log").await?,
        audit_rows,
        "replays are not audited"
    );
    assert_eq!(
        gw.say(ALICE, "list").await?.as_deref(),
        Some("Open tasks:\n1. Buy milk")
    );
    gw.finish().await
}

async fn concurrent_copies_of_one_message_have_one_effect(backend: Backend) -> Result<()> {
    const COPIES: usize = 16;
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let (body, signature) =
        gw.twilio
            .signed_request(&ALICE.phone(), "add Pay rent", &TwilioSimulator::new_sid());

    let mut posts = JoinSet::new();
    for _ in 0..COPIES {
        let (twilio, body, signature) = (gw.twilio.clone(), body.clone(), signature.clone());
        posts.spawn(async move { twilio.post(&body, Some(&signature)).await });
    }
    let mut replies = Vec::new();
    let mut empty = 0;
    while let Some(answer) = posts.join_next().await {
        let answer = answer??;
        assert_eq!(answer.status, 200, "{}", answer.body);
        match answer.reply() {
            Some(reply) => replies.push(reply),
            None if is_empty_twiml(&answer.body) => empty += 1,
            None => anyhow::bail!("neither a reply nor empty TwiML: {}", answer.body),
        }
    }

    assert_eq!(replies, ["Added task 1: Pay rent"]);
    assert_eq!(empty, COPIES - 1);
    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(gw.count("tasks").await?, 1);
    assert_eq!(gw.count_kind("task.added").await?, 1);
    assert_eq!(gw.count_kind("message.accepted").await?, 1);
    gw.finish().await
}
