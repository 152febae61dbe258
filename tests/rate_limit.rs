//! A sender gets at most N messages through per minute, with one "slow down" reply per window,
//! across restarts and across instances.

use anyhow::Result;
use tokio::task::JoinSet;
use warden_simulators::TwilioSimulator;

use crate::support::{Backend, Gateway, ReplyText, Settings, ALICE, BOB, MINUTE_MS};

on_both_backends!(
    flood_is_rate_limited_with_one_slow_down_reply,
    rate_limit_survives_restart
);

/// Tallies the answers of a flood.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    handled: usize,
    slow_down: usize,
    silent: usize,
}

impl Tally {
    fn count(&mut self, reply: Option<String>) {
        match reply.as_deref() {
            Some(ReplyText::SLOW_DOWN) => self.slow_down += 1,
            Some(_) => self.handled += 1,
            None => self.silent += 1,
        }
    }
}

async fn flood(
    twilio: &TwilioSimulator,
    who: &warden_types::PhoneNumber,
    n: usize,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for i in 0..n {
        let answer = twilio.send(who, &format!("add flood {i}")).await?;
        anyhow::ensure!(answer.status == 200, "{}", answer.body);
        tally.count(answer.reply());
    }
    Ok(tally)
}

async fn flood_is_rate_limited_with_one_slow_down_reply(backend: Backend) -> Result<()> {
    // The documented default: 20 a minute.
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE, BOB])).await?;
    let alice = ALICE.phone();

    let mut replies = Vec::new();
    for i in 1..=25 {
        replies.push(gw.say(ALICE, &format!("add flood {i}")).await?);
    }
    for (i, reply) in replies.iter().enumerate().take(20) {
        assert_eq!(
            reply.as_deref(),
            Some(format!("Added task {}: flood {}", i + 1, i + 1).as_str())
        );
    }
    assert_eq!(
        replies[20].as_deref(),
        Some(ReplyText::SLOW_DOWN),
        "the 21st"
    );
    assert!(replies[21..].iter().all(Option::is_none), "{replies:?}");
    assert_eq!(
        gw.count("tasks").await?,
        20,
        "dropped messages have no effect"
    );
    assert_eq!(gw.count_kind("ratelimit.exceeded").await?, 5);

    // The limit is per sender: Bob is unaffected by Alice's flood.
    assert_eq!(
        gw.say(BOB, "add mine").await?.as_deref(),
        Some("Added task 1: mine")
    );

    // Still the same window one millisecond before it ends: dropped, and no second reply.
    gw.clock.advance_ms(MINUTE_MS - 1);
    assert_eq!(gw.say(ALICE, "list").await?, None);
    // A minute after the window opened, it reopens: 20 more, then one more slow-down.
    gw.clock.advance_ms(1);
    let tally = flood(&gw.twilio, &alice, 23).await?;
    assert_eq!(
        tally,
        Tally {
            handled: 20,
            slow_down: 1,
            silent: 2
        }
    );
    assert_eq!(gw.count("tasks").await?, 41);
    assert_eq!(gw.count_kind("ratelimit.exceeded").await?, 5 + 1 + 3);
    gw.finish().await
}

async fn rate_limit_survives_restart(backend: Backend) -> Result<()> {
    let mut gw =
        Gateway::start_with(backend, Settings::new().allow(&[ALICE]).rate_limit(5)).await?;
    let alice = ALICE.phone();

    let before = flood(&gw.twilio, &alice, 6).await?;
    assert_eq!(
        before,
        Tally {
            handled: 5,
            slow_down: 1,
            silent: 0
        }
    );

    // A restart (or crash) must not hand out a fresh budget, nor a second slow-down reply.
    gw.restart().await?;
    gw.clock.advance_ms(MINUTE_MS / 2);
    let after = flood(&gw.twilio, &alice, 3).await?;
    assert_eq!(
        after,
        Tally {
            handled: 0,
            slow_down: 0,
            silent: 3
        }
    );
    assert_eq!(gw.count("tasks").await?, 5);

    gw.clock.advance_ms(MINUTE_MS / 2);
    assert_eq!(
        gw.say(ALICE, "add next window").await?.as_deref(),
        Some("Added task 6: next window")
    );
    gw.finish().await
}

/// Postgres only: SQLite is one process's embedded database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_holds_across_two_instances_on_one_postgres() -> Result<()> {
    const LIMIT: usize = 6;
    let gw = Gateway::start_with(
        Backend::Postgres,
        Settings::new().allow(&[ALICE]).rate_limit(LIMIT as u32),
    )
    .await?;
    let (second, second_twilio) = gw.another_instance().await?;
    let instances = [gw.twilio.clone(), second_twilio];
    let alice = ALICE.phone();

    // Alternating: a sender cannot double the budget by reaching both instances.
    let mut tally = Tally::default();
    for i in 0..3 * LIMIT {
        let answer = instances[i % 2]
            .send(&alice, &format!("add alt {i}"))
            .await?;
        assert_eq!(answer.status, 200);
        tally.count(answer.reply());
    }
    assert_eq!(
        tally,
        Tally {
            handled: LIMIT,
            slow_down: 1,
            silent: 2 * LIMIT - 1
        }
    );

    // Concurrently, in the next window: the counter is read-modified-written under a lock.
    gw.clock.advance_ms(MINUTE_MS);
    let mut posts = JoinSet::new();
    for i in 0..4 * LIMIT {
        let (twilio, alice) = (instances[i % 2].clone(), alice.clone());
        posts.spawn(async move { twilio.send(&alice, &format!("add burst {i}")).await });
    }
    let mut burst = Tally::default();
    while let Some(answer) = posts.join_next().await {
        let answer = answer??;
        assert_eq!(answer.status, 200, "{}", answer.body);
        burst.count(answer.reply());
    }
    assert_eq!(
        burst,
        Tally {
            handled: LIMIT,
            slow_down: 1,
            silent: 3 * LIMIT - 1
        }
    );
    assert_eq!(gw.count("tasks").await?, 2 * LIMIT as i64);
    assert_eq!(gw.count("inbound_messages").await?, 7 * LIMIT as i64);

    second.shutdown().await?;
    gw.finish().await
}
