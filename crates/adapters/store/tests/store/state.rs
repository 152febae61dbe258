//! Gate state lives in the database, not in a process: a restart (or a second instance) does
//! not hand a flooder a fresh rate window or a token guesser a fresh set of attempts.

use warden_assistant::{Ledger, Outcome, ReplyText, ReplyVia};
use warden_store::Store;
use warden_test_support::Backend;

use crate::support::*;

on_both_backends!(rate_window_and_pairing_lockout_survive_a_new_ledger);

const WRONG_TOKEN: &str = "/pair wrong-token-000000000";

async fn rate_window_and_pairing_lockout_survive_a_new_ledger(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    let policy = warden_assistant::Policy::default();
    let limit = policy.rate.limit as u64;
    let lockout_after = policy.pairing.max_failures as u64;
    let mut next_id = 0u64;
    let mut id = || {
        next_id += 1;
        sid(next_id)
    };

    // Instance 1: Alice uses all but 5 of her window; the stranger guesses wrong all but once.
    for _ in 0..limit - 5 {
        assert_eq!(
            f.handle(ALICE, twilio(&id(), ALICE, "list")).await?,
            handled(ReplyText::NO_TASKS)
        );
    }
    for _ in 0..lockout_after - 1 {
        assert_eq!(
            f.handle(STRANGER, twilio(&id(), STRANGER, WRONG_TOKEN))
                .await?,
            handled(ReplyText::WRONG_TOKEN)
        );
    }
    let Fixture {
        store,
        clock,
        ledger,
        db,
        ..
    } = f;
    drop(ledger);
    drop(store);

    // Instance 2: a fresh pool and writer on the same database.
    let store = Store::connect(&db.url).await?;
    let ledger = warden_store::SqlLedger::start(
        store.clone(),
        assistant(&[ALICE]),
        clock.clone(),
        warden_store::WriterConfig::default(),
    );
    for _ in 0..5 {
        assert_eq!(
            ledger
                .handle(
                    sender(ALICE),
                    twilio(&id(), ALICE, "list"),
                    ReplyVia::Response
                )
                .await?,
            handled(ReplyText::NO_TASKS)
        );
    }
    assert_eq!(
        ledger
            .handle(
                sender(ALICE),
                twilio(&id(), ALICE, "list"),
                ReplyVia::Response
            )
            .await?,
        handled(ReplyText::SLOW_DOWN),
        "message {} of the window",
        limit + 1
    );
    assert_eq!(
        ledger
            .handle(
                sender(ALICE),
                twilio(&id(), ALICE, "add milk"),
                ReplyVia::Response
            )
            .await?,
        Outcome::Handled { reply: None },
        "one slow-down reply per window"
    );

    // The last allowed guess locks; then even the right token is refused.
    assert_eq!(
        ledger
            .handle(
                sender(STRANGER),
                twilio(&id(), STRANGER, WRONG_TOKEN),
                ReplyVia::Response
            )
            .await?,
        handled(ReplyText::PAIRING_LOCKED)
    );
    let right = format!("/pair {PAIR_TOKEN}");
    assert_eq!(
        ledger
            .handle(
                sender(STRANGER),
                twilio(&id(), STRANGER, &right),
                ReplyVia::Response
            )
            .await?,
        Outcome::Handled { reply: None },
        "locked: audited, not answered"
    );
    drop(ledger);
    drop(store);

    // Instance 3, after the window and the lockout have passed.
    clock.advance_ms(policy.pairing.lockout_ms.max(policy.rate.window_ms));
    let store = Store::connect(&db.url).await?;
    let ledger = warden_store::SqlLedger::start(
        store.clone(),
        assistant(&[ALICE]),
        clock.clone(),
        warden_store::WriterConfig::default(),
    );
    assert_eq!(
        ledger
            .handle(
                sender(ALICE),
                twilio(&id(), ALICE, "list"),
                ReplyVia::Response
            )
            .await?,
        handled(ReplyText::NO_TASKS),
        "a new window opens"
    );
    assert_eq!(
        ledger
            .handle(
                sender(STRANGER),
                twilio(&id(), STRANGER, &right),
                ReplyVia::Response
            )
            .await?,
        handled(ReplyText::PAIRED)
    );
    drop(ledger);

    // Instance 4: the pairing itself is persisted (the stranger is not in the config).
    let ledger = warden_store::SqlLedger::start(
        store.clone(),
        assistant(&[ALICE]),
        clock.clone(),
        warden_store::WriterConfig::default(),
    );
    assert_eq!(
        ledger
            .handle(
                sender(STRANGER),
                twilio(&id(), STRANGER, "add tea"),
                ReplyVia::Response
            )
            .await?,
        handled("Added task 1: tea")
    );
    store.verify_audit().await?;
    drop(db);
    Ok(())
}
