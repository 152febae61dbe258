//! Group commit under load: many messages per transaction must still give one gap-free chain,
//! per-sender task numbers without gaps or repeats, and replies that match what was committed.

use std::collections::HashMap;

use tokio::task::JoinSet;
use warden_assistant::{Ledger, Outcome};
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_test_support::Backend;

use crate::atomicity::assert_task_numbers_are_dense;
use crate::support::*;

on_both_backends!(group_commit_keeps_the_chain_and_order_consistent_under_concurrency);

async fn group_commit_keeps_the_chain_and_order_consistent_under_concurrency(
    backend: Backend,
) -> anyhow::Result<()> {
    const SENDERS: usize = 50;
    const PER_SENDER: usize = 10;
    const AUDIT_EVENTS: usize = 20;
    let phones: Vec<String> = (0..SENDERS).map(|i| format!("+1415556{i:04}")).collect();
    let phone_refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let f = Fixture::with_senders(backend, &phone_refs).await;

    // message id → (sender, title)
    let mut sent: HashMap<String, (String, String)> = HashMap::new();
    let mut jobs = Vec::new();
    for i in 0..PER_SENDER {
        for (s, phone) in phones.iter().enumerate() {
            let id = sid((s * 1_000 + i) as u64);
            let title = format!("t{s}-{i}");
            sent.insert(
                id.clone(),
                (sender(phone).as_str().to_owned(), title.clone()),
            );
            jobs.push((
                f.ledger.clone(),
                sender(phone),
                twilio(&id, phone, &format!("add {title}")),
            ));
        }
    }
    let mut audits = JoinSet::new();
    for n in 0..AUDIT_EVENTS {
        let ledger = f.ledger.clone();
        audits.spawn(async move {
            ledger
                .audit(AuditEvent {
                    kind: EventKind::WebhookSignatureInvalid,
                    sender: None,
                    detail: Detail::new().with("attempt", n),
                })
                .await
        });
    }
    let ids: Vec<String> = jobs
        .iter()
        .map(|(_, _, m)| m.id.as_str().to_owned())
        .collect();
    let results = handle_concurrently(jobs).await;
    while let Some(r) = audits.join_next().await {
        r??;
    }

    // Every caller got the reply for what was committed: "Added task <n>" where n is the
    // number the task has in the table (no task is ever completed here, so position == no).
    let tasks: HashMap<(String, String), i64> =
        dump(&f.store, "tasks", &["sender", "title", "task_no"])
            .await?
            .into_iter()
            .map(|r| {
                let mut it = r.split('|');
                let s = it.next().unwrap_or_default().to_owned();
                let t = it.next().unwrap_or_default().to_owned();
                let no = it.next().unwrap_or_default().parse().unwrap_or(-1);
                ((s, t), no)
            })
            .collect();
    for (id, r) in ids.iter().zip(&results) {
        let (s, title) = &sent[id];
        let no = tasks[&(s.clone(), title.clone())];
        assert_eq!(
            r.as_ref().ok(),
            Some(&Outcome::Handled {
                reply: Some(format!("Added task {no}: {title}"))
            }),
            "{id}"
        );
    }

    let messages = (SENDERS * PER_SENDER) as i64;
    assert_eq!(count(&f.store, "inbound_messages").await?, messages);
    assert_task_numbers_are_dense(&f, &phone_refs, PER_SENDER as i64).await?;
    assert_eq!(
        dump(&f.store, "sender_state", &["next_task_no", "rate_count"]).await?,
        vec![format!("{}|{PER_SENDER}", PER_SENDER + 1); SENDERS]
    );

    // One chain, gap-free (read across more than one verification page), head at its end.
    let expected_rows = messages * 3 + AUDIT_EVENTS as i64;
    let verified = f.store.verify_audit().await?;
    assert_eq!(verified.rows, expected_rows as u64);
    assert_eq!(verified.head.seq, expected_rows);
    assert_eq!(
        head(&f.store).await?,
        (verified.head.seq, verified.head.hash)
    );

    // A message's three rows are adjacent and agree with the tables: the batch did not
    // interleave one message's events with another's.
    let rows = audit_rows(&f.store).await?;
    let mut accepted = 0;
    for (i, r) in rows.iter().enumerate() {
        if r.kind != EventKind::MessageAccepted.as_str() {
            continue;
        }
        accepted += 1;
        let id = Detail::decode(&r.detail)?
            .get("message_id")
            .map(str::to_owned)
            .unwrap_or_default();
        let (s, title) = &sent[&id];
        let added = &rows[i + 1];
        let executed = &rows[i + 2];
        assert_eq!(
            added.kind,
            EventKind::TaskAdded.as_str(),
            "after seq {}",
            r.seq
        );
        assert_eq!(executed.kind, EventKind::CommandExecuted.as_str());
        for row in [r, added, executed] {
            assert_eq!(row.sender.as_deref(), Some(s.as_str()), "seq {}", row.seq);
        }
        let no: i64 = Detail::decode(&added.detail)?
            .get("task_no")
            .unwrap_or_default()
            .parse()?;
        assert_eq!(no, tasks[&(s.clone(), title.clone())], "seq {}", added.seq);
    }
    assert_eq!(accepted, messages);
    Ok(())
}
