//! Who may talk: configured senders, and strangers who proved the pairing token. Nobody else.

use anyhow::Result;
use secrecy::ExposeSecret;

use crate::support::{Backend, Gateway, ReplyText, Settings, ALICE, BOB, CAROL, MINUTE_MS};

on_both_backends!(
    stranger_gets_no_reply_and_cannot_run_commands,
    five_wrong_pair_tokens_lock_the_sender_out_for_fifteen_minutes,
    right_pair_token_adds_sender_to_allowlist_and_survives_restart,
    configured_sender_may_talk_without_pairing,
);

const WRONG_TOKEN: &str = "/pair wrong-token-0123456789abcdef";

async fn stranger_gets_no_reply_and_cannot_run_commands(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;

    for body in [
        "hello, who is this?",
        "help",
        "add Wire money",
        "list",
        "done 1",
    ] {
        assert_eq!(gw.say(CAROL, body).await?, None, "{body:?} gets no reply");
    }

    assert_eq!(gw.count("tasks").await?, 0);
    assert_eq!(gw.count("allowlist").await?, 0);
    assert_eq!(gw.count_kind("sender.unknown").await?, 5);
    assert_eq!(gw.count_kind("command.executed").await?, 0);
    assert_eq!(gw.count_kind("task.added").await?, 0);
    // The control: the same commands from a configured sender do run.
    assert_eq!(
        gw.say(ALICE, "add Wire money").await?.as_deref(),
        Some("Added task 1: Wire money")
    );
    assert_eq!(gw.count_kind("command.executed").await?, 1);
    gw.finish().await
}

async fn five_wrong_pair_tokens_lock_the_sender_out_for_fifteen_minutes(
    backend: Backend,
) -> Result<()> {
    const LOCKOUT_MS: i64 = 15 * MINUTE_MS;
    let gw = Gateway::start(backend).await?;
    let right = format!("/pair {}", gw.secrets.pair_token.expose_secret());

    for i in 1..=4 {
        let reply = gw.say(CAROL, WRONG_TOKEN).await?;
        assert_eq!(
            reply.as_deref(),
            Some(ReplyText::WRONG_TOKEN),
            "attempt {i}"
        );
    }
    let reply = gw.say(CAROL, WRONG_TOKEN).await?;
    assert_eq!(
        reply.as_deref(),
        Some(ReplyText::PAIRING_LOCKED),
        "attempt 5"
    );

    // Locked: the right token is not even compared, so guessing learns nothing.
    // Attempts while locked are audited but not answered: no outbound message to farm.
    let reply = gw.say(CAROL, &right).await?;
    assert_eq!(reply, None);
    gw.clock.advance_ms(LOCKOUT_MS - 1);
    let reply = gw.say(CAROL, &right).await?;
    assert_eq!(reply, None);
    assert_eq!(gw.count("allowlist").await?, 0);
    assert_eq!(gw.say(CAROL, "help").await?, None, "still a stranger");

    // The lock is per sender: someone else can pair meanwhile.
    gw.pair(BOB).await?;

    gw.clock.advance_ms(1);
    gw.pair(CAROL).await?;
    assert_eq!(gw.count("allowlist").await?, 2);
    assert_eq!(gw.count_kind("pairing.failed").await?, 5);
    assert_eq!(gw.count_kind("pairing.locked").await?, 2);
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 2);
    gw.finish().await
}

async fn right_pair_token_adds_sender_to_allowlist_and_survives_restart(
    backend: Backend,
) -> Result<()> {
    let mut gw = Gateway::start(backend).await?;
    assert_eq!(gw.say(CAROL, "help").await?, None);

    gw.pair(CAROL).await?;
    assert_eq!(gw.count("allowlist").await?, 1);
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 1);
    assert_eq!(gw.count_kind("allowlist.added").await?, 1);
    let reply = gw.say(CAROL, "help").await?.unwrap_or_default();
    assert!(reply.starts_with("Commands:"), "{reply}");
    let reply = gw
        .say(
            CAROL,
            &format!("/pair {}", gw.secrets.pair_token.expose_secret()),
        )
        .await?;
    assert_eq!(reply.as_deref(), Some(ReplyText::ALREADY_PAIRED));

    gw.restart().await?;
    assert_eq!(
        gw.say(CAROL, "add After restart").await?.as_deref(),
        Some("Added task 1: After restart")
    );
    assert_eq!(gw.count("allowlist").await?, 1);
    // Pairing one number does not let another in.
    assert_eq!(gw.say(BOB, "help").await?, None);
    gw.finish().await
}

async fn configured_sender_may_talk_without_pairing(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE, BOB])).await?;

    let reply = gw.say(ALICE, "help").await?.unwrap_or_default();
    assert!(reply.starts_with("Commands:"), "{reply}");
    assert_eq!(
        gw.say(BOB, "add From config").await?.as_deref(),
        Some("Added task 1: From config")
    );
    assert_eq!(gw.say(CAROL, "help").await?, None, "not configured");
    assert_eq!(gw.count_kind("pairing.succeeded").await?, 0);
    assert_eq!(gw.count_kind("sender.unknown").await?, 1);
    gw.finish().await
}
