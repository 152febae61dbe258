//! Replay protection: a provider message id has at most one effect, however it arrives.

use warden_assistant::{Ledger, Outcome};
use warden_test_support::Backend;
use warden_types::Provider;

use crate::support::*;

on_both_backends!(
    duplicate_message_id_is_reported_and_writes_nothing,
    concurrent_duplicates_have_exactly_one_effect,
    same_id_from_another_provider_is_not_a_duplicate,
);

async fn duplicate_message_id_is_reported_and_writes_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::with_senders(backend, &[ALICE, "+14155550101"]).await;
    let id = sid(1);
    assert_eq!(
        f.handle(ALICE, twilio(&id, ALICE, "add milk")).await?,
        handled("Added task 1: milk")
    );
    let before = snapshot(&f.store).await?;
    assert_eq!(before.audit_log.len(), 3, "accepted, task added, command");

    // The replay, later, with another body, and from another (configured) sender: the key is
    // (provider, id) alone.
    f.clock.advance_ms(90_000);
    assert_eq!(
        f.handle(ALICE, twilio(&id, ALICE, "add milk")).await?,
        Outcome::Duplicate
    );
    assert_eq!(
        f.handle(ALICE, twilio(&id, ALICE, "add eggs")).await?,
        Outcome::Duplicate
    );
    assert_eq!(
        f.handle("+14155550101", twilio(&id, "+14155550101", "add eggs"))
            .await?,
        Outcome::Duplicate
    );

    assert_eq!(
        snapshot(&f.store).await?,
        before,
        "a duplicate wrote something"
    );
    let verified = f.store.verify_audit().await?;
    assert_eq!(verified.rows, 3);
    assert_eq!(head(&f.store).await?.0, 3);
    Ok(())
}

async fn concurrent_duplicates_have_exactly_one_effect(backend: Backend) -> anyhow::Result<()> {
    const CALLS: usize = 20;
    let f = Fixture::new(backend).await;
    let alice = sender(ALICE);

    // One instance: 20 callers race on one id.
    let id = sid(7);
    let jobs = (0..CALLS)
        .map(|_| {
            (
                f.ledger.clone(),
                alice.clone(),
                twilio(&id, ALICE, "add milk"),
            )
        })
        .collect();
    let results = handle_concurrently(jobs).await;
    assert_one_effect(&results, "one instance")?;
    assert_eq!(count(&f.store, "inbound_messages").await?, 1);
    assert_eq!(count(&f.store, "tasks").await?, 1);
    assert_eq!(count(&f.store, "audit_log").await?, 3);

    // Two instances on one database (two pools, two writers): ids raced across both, several
    // rounds so the writers really interleave.
    let (_store2, ledger2) = f.second_instance().await?;
    for round in 0..5u64 {
        let id = sid(100 + round);
        let jobs = (0..CALLS)
            .map(|i| {
                let ledger = if i % 2 == 0 {
                    f.ledger.clone()
                } else {
                    ledger2.clone()
                };
                (ledger, alice.clone(), twilio(&id, ALICE, "add eggs"))
            })
            .collect();
        let results = handle_concurrently(jobs).await;
        assert_one_effect(&results, &format!("two instances, round {round}"))?;
    }
    assert_eq!(count(&f.store, "inbound_messages").await?, 6);
    assert_eq!(count(&f.store, "tasks").await?, 6);
    let verified = f.store.verify_audit().await?;
    assert_eq!(verified.rows, 6 * 3);
    Ok(())
}

fn assert_one_effect(
    results: &[Result<Outcome, warden_assistant::LedgerError>],
    what: &str,
) -> anyhow::Result<()> {
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| format!("{e}: {:?}", std::error::Error::source(e)))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: racing duplicates must be reported as Duplicate, not fail: {errors:#?}"
    );
    let handled = results
        .iter()
        .filter(|r| matches!(r, Ok(Outcome::Handled { .. })))
        .count();
    let duplicates = results
        .iter()
        .filter(|r| matches!(r, Ok(Outcome::Duplicate)))
        .count();
    assert_eq!(
        (handled, duplicates),
        (1, results.len() - 1),
        "{what}: {results:?}"
    );
    Ok(())
}

async fn same_id_from_another_provider_is_not_a_duplicate(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    let id = sid(42);
    assert_eq!(
        f.handle(ALICE, msg(Provider::Twilio, &id, ALICE, "add milk"))
            .await?,
        handled("Added task 1: milk")
    );
    assert_eq!(
        f.handle(ALICE, msg(Provider::Meta, &id, ALICE, "add eggs"))
            .await?,
        handled("Added task 2: eggs")
    );
    // Each is now a duplicate within its own provider.
    for provider in [Provider::Twilio, Provider::Meta] {
        assert_eq!(
            f.handle(ALICE, msg(provider, &id, ALICE, "add bread"))
                .await?,
            Outcome::Duplicate,
            "{provider:?}"
        );
    }

    // The same holds when both arrive in one batch.
    let id = sid(43);
    let jobs = [Provider::Meta, Provider::Twilio, Provider::Meta]
        .into_iter()
        .map(|p| (f.ledger.clone(), sender(ALICE), msg(p, &id, ALICE, "list")))
        .collect();
    let results = handle_concurrently(jobs).await;
    let handled = results
        .iter()
        .filter(|r| matches!(r, Ok(Outcome::Handled { .. })))
        .count();
    assert_eq!(handled, 2, "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Ok(Outcome::Duplicate))));

    assert_eq!(
        dump(&f.store, "inbound_messages", &["provider", "message_id"]).await?,
        vec![
            format!("meta|{}", sid(42)),
            format!("meta|{}", sid(43)),
            format!("twilio|{}", sid(42)),
            format!("twilio|{}", sid(43)),
        ]
    );
    assert_eq!(count(&f.store, "tasks").await?, 2);
    f.store.verify_audit().await?;
    // `readiness` of the port agrees with the store.
    assert!(matches!(
        f.ledger.readiness().await,
        warden_assistant::Readiness::Ready { .. }
    ));
    Ok(())
}
