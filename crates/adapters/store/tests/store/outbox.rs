//! The outbox: a reply is durable in the message's own transaction, handed to one worker at a
//! time, retried after a crash, and moved only forward by provider callbacks.

use std::collections::HashSet;
use std::time::Duration;

use warden_assistant::{Ledger, Outcome, ReplyText, ReplyVia};
use warden_delivery::{AttemptResult, DeliveryStatus, OutboxStore, StatusApplied};
use warden_store::{Requeued, SqlOutbox};
use warden_test_support::Backend;
use warden_types::Clock;
use warden_types::{Provider, ProviderMessageId, UnixMillis};

use crate::support::*;

on_both_backends!(
    a_reply_via_the_outbox_commits_with_its_message,
    a_replayed_message_enqueues_no_second_reply,
    a_claimed_message_is_not_handed_to_a_second_worker,
    a_worker_killed_after_claiming_leaves_the_message_to_be_sent_after_its_lease,
    a_sent_message_forgets_its_recipient_and_text,
    status_callbacks_only_move_forward_and_are_audited,
    a_failed_message_is_listed_and_can_be_requeued,
    two_instances_never_claim_the_same_message,
    a_worker_whose_lease_ran_out_cannot_settle_the_message_another_worker_holds,
);

const LEASE: Duration = Duration::from_secs(60);

async fn enqueue(f: &Fixture, n: u64) -> anyhow::Result<()> {
    let out = f
        .ledger
        .handle(
            sender(ALICE),
            twilio(&sid(n), ALICE, "list"),
            ReplyVia::Outbox,
        )
        .await?;
    assert_eq!(out, Outcome::Handled { reply: None });
    Ok(())
}

fn now(f: &Fixture) -> UnixMillis {
    f.clock.now()
}

async fn a_reply_via_the_outbox_commits_with_its_message(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    assert_eq!(count(&f.store, "outbox").await?, 1);
    let rows = audit_rows(&f.store).await?;
    assert_eq!(
        rows.last().map(|r| r.kind.as_str()),
        Some("outbox.enqueued")
    );
    f.store.verify_audit().await?;
    let claimed = SqlOutbox::new(f.store.clone())
        .claim_due(now(&f), LEASE, 10)
        .await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message.to.as_e164(), ALICE);
    assert_eq!(claimed[0].message.body.as_str(), ReplyText::NO_TASKS);
    assert_eq!(claimed[0].attempts, 1);
    Ok(())
}

async fn a_replayed_message_enqueues_no_second_reply(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let again = f
        .ledger
        .handle(
            sender(ALICE),
            twilio(&sid(1), ALICE, "list"),
            ReplyVia::Outbox,
        )
        .await?;
    assert_eq!(again, Outcome::Duplicate);
    assert_eq!(count(&f.store, "outbox").await?, 1);
    Ok(())
}

async fn a_claimed_message_is_not_handed_to_a_second_worker(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    assert_eq!(outbox.claim_due(now(&f), LEASE, 10).await?.len(), 1);
    assert!(outbox.claim_due(now(&f), LEASE, 10).await?.is_empty());
    Ok(())
}

async fn a_worker_killed_after_claiming_leaves_the_message_to_be_sent_after_its_lease(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    let first = outbox.claim_due(now(&f), LEASE, 10).await?;
    // The worker dies here: nothing is recorded. Until the lease ends nobody else sends it.
    f.clock.advance_ms(59_000);
    assert!(outbox.claim_due(now(&f), LEASE, 10).await?.is_empty());
    f.clock.advance_ms(1_000);
    let second = outbox.claim_due(now(&f), LEASE, 10).await?;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].attempts, 2, "the lost attempt still counts");
    Ok(())
}

async fn a_sent_message_forgets_its_recipient_and_text(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    let c = outbox.claim_due(now(&f), LEASE, 10).await?.remove(0);
    let provider_id = ProviderMessageId::new("SM00000000000000000000000000000abc")?;
    outbox
        .record(
            vec![AttemptResult::Sent {
                id: c.id,
                lease_until: c.lease_until,
                provider_id,
            }],
            now(&f),
        )
        .await?;
    assert_eq!(
        scalar(&f.store, "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND recipient IS NULL AND body IS NULL").await?,
        1
    );
    // Settled: a later claim or a stale worker's result changes nothing.
    f.clock.advance_ms(120_000);
    assert!(outbox.claim_due(now(&f), LEASE, 10).await?.is_empty());
    outbox
        .record(
            vec![AttemptResult::Failed {
                id: c.id,
                lease_until: c.lease_until,
                reason: "late".into(),
            }],
            now(&f),
        )
        .await?;
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await?,
        1
    );
    let kinds: Vec<String> = audit_rows(&f.store)
        .await?
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "outbox.sent").count(), 1);
    assert!(!kinds.iter().any(|k| k == "outbox.failed"));
    f.store.verify_audit().await?;
    Ok(())
}

async fn status_callbacks_only_move_forward_and_are_audited(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    let c = outbox.claim_due(now(&f), LEASE, 10).await?.remove(0);
    let pid = ProviderMessageId::new("SM00000000000000000000000000000abc")?;
    outbox
        .record(
            vec![AttemptResult::Sent {
                id: c.id,
                lease_until: c.lease_until,
                provider_id: pid.clone(),
            }],
            now(&f),
        )
        .await?;
    let apply = |s| outbox.apply_status(Provider::Twilio, &pid, s, None, now(&f));
    assert_eq!(
        apply(DeliveryStatus::Read).await?,
        StatusApplied::Moved {
            from: DeliveryStatus::Sent,
            to: DeliveryStatus::Read
        }
    );
    assert_eq!(
        apply(DeliveryStatus::Delivered).await?,
        StatusApplied::Unchanged
    );
    let other = ProviderMessageId::new("SM00000000000000000000000000000def")?;
    assert_eq!(
        outbox
            .apply_status(
                Provider::Twilio,
                &other,
                DeliveryStatus::Read,
                None,
                now(&f)
            )
            .await?,
        StatusApplied::Unknown
    );
    assert_eq!(
        outbox
            .apply_status(Provider::Meta, &pid, DeliveryStatus::Read, None, now(&f))
            .await?,
        StatusApplied::Unknown,
        "a provider id only means something for its own provider"
    );
    let statuses = audit_rows(&f.store)
        .await?
        .into_iter()
        .filter(|r| r.kind == "outbox.status")
        .count();
    assert_eq!(statuses, 1);
    f.store.verify_audit().await?;
    Ok(())
}

async fn a_failed_message_is_listed_and_can_be_requeued(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    enqueue(&f, 2).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    let claimed = outbox.claim_due(now(&f), LEASE, 10).await?;
    let failed = claimed[0].id;
    outbox
        .record(
            vec![AttemptResult::Failed {
                id: failed,
                lease_until: claimed[0].lease_until,
                reason: "http_400_code_21211".into(),
            }],
            now(&f),
        )
        .await?;
    let listed = outbox.list(true, 100).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, failed);
    assert_eq!(listed[0].last_error.as_deref(), Some("http_400_code_21211"));
    let masked = listed[0].recipient_masked.clone().unwrap_or_default();
    assert!(
        !masked.contains("5550100"),
        "operators see a masked number: {masked}"
    );
    assert_eq!(outbox.list(false, 100).await?.len(), 2);

    assert_eq!(
        outbox.requeue(claimed[1].id, now(&f), "cli").await?,
        Requeued::NotFailed
    );
    assert_eq!(
        outbox.requeue(9_999, now(&f), "cli").await?,
        Requeued::NotFound
    );
    assert_eq!(
        outbox.requeue(failed, now(&f), "cli").await?,
        Requeued::Requeued
    );
    f.clock.advance_ms(LEASE.as_millis() as i64);
    let again: Vec<i64> = outbox
        .claim_due(now(&f), LEASE, 10)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    assert!(again.contains(&failed));
    f.store.verify_audit().await?;
    Ok(())
}

async fn two_instances_never_claim_the_same_message(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    for n in 0..40 {
        enqueue(&f, n).await?;
        // Stay under the per-sender rate limit.
        f.clock.advance_ms(5_000);
    }
    let (store2, _ledger2) = f.second_instance().await?;
    let a = SqlOutbox::new(f.store.clone());
    let b = SqlOutbox::new(store2);
    let at = now(&f);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let o = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move {
            let mut ids = Vec::new();
            loop {
                let got = o.claim_due(at, LEASE, 3).await.expect("claim");
                if got.is_empty() {
                    return ids;
                }
                ids.extend(got.into_iter().map(|c| c.id));
            }
        });
    }
    let mut seen = HashSet::new();
    while let Some(ids) = tasks.join_next().await {
        for id in ids? {
            assert!(seen.insert(id), "message {id} claimed twice");
        }
    }
    assert_eq!(seen.len(), 40);
    Ok(())
}

async fn a_worker_whose_lease_ran_out_cannot_settle_the_message_another_worker_holds(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    enqueue(&f, 1).await?;
    let outbox = SqlOutbox::new(f.store.clone());
    let slow = outbox.claim_due(now(&f), LEASE, 10).await?.remove(0);
    // The slow worker's lease runs out; a second worker claims the message and sends it.
    f.clock.advance_ms(LEASE.as_millis() as i64);
    let fast = outbox.claim_due(now(&f), LEASE, 10).await?.remove(0);
    assert_eq!(fast.id, slow.id);
    // The slow worker reports late: its result must not settle or release the live claim.
    outbox
        .record(
            vec![AttemptResult::Failed {
                id: slow.id,
                lease_until: slow.lease_until,
                reason: "http_400".into(),
            }],
            now(&f),
        )
        .await?;
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND claimed_until_ms IS NOT NULL"
        )
        .await?,
        1
    );
    let pid = ProviderMessageId::new("SM00000000000000000000000000000abc")?;
    outbox
        .record(
            vec![AttemptResult::Sent {
                id: fast.id,
                lease_until: fast.lease_until,
                provider_id: pid,
            }],
            now(&f),
        )
        .await?;
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await?,
        1
    );
    let kinds: Vec<String> = audit_rows(&f.store)
        .await?
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert!(!kinds.iter().any(|k| k == "outbox.failed"));
    f.store.verify_audit().await?;
    Ok(())
}
