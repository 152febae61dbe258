//! All or nothing: a message whose transaction fails leaves no trace, not even its replay key,
//! and does not take the other messages of its batch down with it.

use std::collections::BTreeMap;
use std::time::Duration;

use warden_assistant::{LedgerError, Outcome};
use warden_test_support::Backend;

use crate::support::*;

on_both_backends!(
    failed_transaction_leaves_nothing_half_done,
    one_failing_message_does_not_sink_its_batch_neighbours,
);

async fn failed_transaction_leaves_nothing_half_done(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    assert_eq!(
        f.handle(ALICE, twilio(&sid(1), ALICE, "add milk")).await?,
        handled("Added task 1: milk")
    );
    let before = snapshot(&f.store).await?;

    // The task insert fails after the replay key, before the audit rows and the sender state.
    inject_task_insert_fault(&f.store, None).await?;
    f.clock.advance_ms(1_000);
    let err = f
        .handle(ALICE, twilio(&sid(2), ALICE, "add eggs"))
        .await
        .expect_err("the injected fault must fail the message");
    assert!(matches!(err, LedgerError::Failed(_)), "{err:?}");
    assert_eq!(
        snapshot(&f.store).await?,
        before,
        "a failed message left a trace (replay key, rate count, task or audit row)"
    );
    f.store.verify_audit().await?;

    // Once the fault is gone the provider's retry of the same id goes through: the failed
    // attempt did not burn the id.
    remove_task_insert_fault(&f.store).await?;
    assert_eq!(
        f.handle(ALICE, twilio(&sid(2), ALICE, "add eggs")).await?,
        handled("Added task 2: eggs")
    );
    assert_eq!(
        f.handle(ALICE, twilio(&sid(2), ALICE, "add eggs")).await?,
        Outcome::Duplicate
    );
    assert_eq!(
        dump(&f.store, "tasks", &["task_no", "title"]).await?,
        ["1|milk", "2|eggs"]
    );
    assert_eq!(f.store.verify_audit().await?.rows, 6);
    Ok(())
}

async fn one_failing_message_does_not_sink_its_batch_neighbours(
    backend: Backend,
) -> anyhow::Result<()> {
    const SENDERS: u64 = 5;
    const PER_SENDER: u64 = 6;
    let phones: Vec<String> = (0..SENDERS)
        .map(|i| format!("+1415555{:04}", 200 + i))
        .collect();
    let phone_refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let f = Fixture::with_senders(backend, &phone_refs).await;
    inject_task_insert_fault(&f.store, Some("poison")).await?;

    let mut jobs = Vec::new();
    for i in 0..PER_SENDER {
        for (s, phone) in phones.iter().enumerate() {
            jobs.push((
                f.ledger.clone(),
                sender(phone),
                twilio(&sid(i * 100 + s as u64), phone, &format!("add t{s}-{i}")),
            ));
        }
    }
    let poison_at = jobs.len() / 2;
    let poison_id = sid(9_999);
    jobs.insert(
        poison_at,
        (
            f.ledger.clone(),
            sender(&phones[0]),
            twilio(&poison_id, &phones[0], "add poison"),
        ),
    );

    // Keep the writer from starting while the jobs queue up, so they share one batch.
    let held = hold_pool(&f.store, backend).await?;
    let running = tokio::spawn(handle_concurrently(jobs));
    tokio::time::sleep(Duration::from_millis(500)).await;
    for txn in held {
        txn.rollback().await?;
    }
    let results = running.await?;

    for (i, r) in results.iter().enumerate() {
        if i == poison_at {
            assert!(
                matches!(r, Err(LedgerError::Failed(_))),
                "poison message: {r:?}"
            );
        } else {
            assert!(
                matches!(r, Ok(Outcome::Handled { reply: Some(reply) }) if reply.starts_with("Added task")),
                "neighbour {i} suffered: {r:?}"
            );
        }
    }
    let expected = (SENDERS * PER_SENDER) as i64;
    assert_eq!(count(&f.store, "inbound_messages").await?, expected);
    assert_eq!(count(&f.store, "tasks").await?, expected);
    assert_eq!(f.store.verify_audit().await?.rows, (expected * 3) as u64);
    assert_task_numbers_are_dense(&f, &phone_refs, PER_SENDER as i64).await?;

    // The poison message left nothing behind: its retry is processed, not a duplicate.
    remove_task_insert_fault(&f.store).await?;
    assert_eq!(
        f.handle(&phones[0], twilio(&poison_id, &phones[0], "add poison"))
            .await?,
        handled(&format!("Added task {}: poison", PER_SENDER + 1))
    );
    f.store.verify_audit().await?;
    Ok(())
}

/// Each sender's tasks are numbered 1..=n, no gap, no repeat.
pub async fn assert_task_numbers_are_dense(
    f: &Fixture,
    phones: &[&str],
    n: i64,
) -> anyhow::Result<()> {
    let mut by_sender: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in dump(&f.store, "tasks", &["sender", "task_no"]).await? {
        let (s, no) = row.split_once('|').expect("sender|task_no");
        by_sender.entry(s.to_owned()).or_default().push(no.parse()?);
    }
    assert_eq!(by_sender.len(), phones.len());
    for phone in phones {
        let mut nos = by_sender.remove(sender(phone).as_str()).unwrap_or_default();
        nos.sort_unstable();
        assert_eq!(nos, (1..=n).collect::<Vec<_>>(), "tasks of {phone}");
    }
    Ok(())
}
