//! Free text for the LLM advisor: the message commits without a reply, and the advisor's
//! follow-up (its audit and the reply) commits later in one transaction, at most once.

use warden_assistant::{FollowUp, Ledger, Outcome, ReplyVia};
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_test_support::Backend;

use crate::support::*;

on_both_backends!(
    free_text_commits_without_a_reply_and_hands_back_a_ticket,
    advice_reply_and_its_audit_enqueue_once_under_the_message_key,
    advice_reply_in_the_response_writes_only_its_audit,
);

const QUESTION: &str = "which task first?";

async fn ticket(f: &Fixture, via: ReplyVia) -> anyhow::Result<warden_assistant::AdviceTicket> {
    match f
        .ledger
        .handle(sender(ALICE), twilio(&sid(7), ALICE, QUESTION), via)
        .await?
    {
        Outcome::Advise(ticket) => Ok(*ticket),
        other => anyhow::bail!("expected a ticket, got {other:?}"),
    }
}

fn suggested(f: &warden_assistant::AdviceTicket) -> Vec<AuditEvent> {
    vec![AuditEvent {
        kind: EventKind::AiSuggested,
        sender: Some(f.sender.clone()),
        detail: Detail::new()
            .with("provider", "test")
            .with("intent", "answer"),
    }]
}

async fn free_text_commits_without_a_reply_and_hands_back_a_ticket(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::advising(backend).await;
    f.ledger
        .handle(
            sender(ALICE),
            twilio(&sid(1), ALICE, "add Call the dentist"),
            ReplyVia::Outbox,
        )
        .await?;
    let outbox_before = count(&f.store, "outbox").await?;

    let t = ticket(&f, ReplyVia::Outbox).await?;
    assert_eq!(t.open_tasks, ["Call the dentist"]);
    assert_eq!(t.msg.body.as_str(), QUESTION);
    assert_eq!(
        count(&f.store, "outbox").await?,
        outbox_before,
        "replied before advice"
    );
    // The message itself is recorded: a replay is a duplicate, with no second ticket.
    let again = f
        .ledger
        .handle(
            sender(ALICE),
            twilio(&sid(7), ALICE, QUESTION),
            ReplyVia::Outbox,
        )
        .await?;
    assert_eq!(again, Outcome::Duplicate);
    f.store.verify_audit().await?;
    Ok(())
}

async fn advice_reply_and_its_audit_enqueue_once_under_the_message_key(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::advising(backend).await;
    let t = ticket(&f, ReplyVia::Outbox).await?;
    let follow_up = FollowUp {
        audit: suggested(&t),
        reply: "Start with the dentist.".to_owned(),
        ticket: t,
        calendar_job: None,
    };
    assert_eq!(f.ledger.follow_up(follow_up.clone()).await?, None);
    assert_eq!(count(&f.store, "outbox").await?, 1);
    let kinds: Vec<String> = audit_rows(&f.store)
        .await?
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["ai.suggested".to_owned(), "outbox.enqueued".to_owned()]
    );

    // A second follow-up for the same message fails and writes nothing.
    let audit_before = audit_rows(&f.store).await?.len();
    assert!(f.ledger.follow_up(follow_up).await.is_err());
    assert_eq!(count(&f.store, "outbox").await?, 1);
    assert_eq!(audit_rows(&f.store).await?.len(), audit_before);
    f.store.verify_audit().await?;
    Ok(())
}

async fn advice_reply_in_the_response_writes_only_its_audit(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::advising(backend).await;
    let t = ticket(&f, ReplyVia::Response).await?;
    let audit = suggested(&t);
    let reply = f
        .ledger
        .follow_up(FollowUp {
            ticket: t,
            audit,
            reply: "Start with the dentist.".to_owned(),
            calendar_job: None,
        })
        .await?;
    assert_eq!(reply.as_deref(), Some("Start with the dentist."));
    assert_eq!(count(&f.store, "outbox").await?, 0);
    assert_eq!(
        audit_rows(&f.store).await?.last().map(|r| r.kind.clone()),
        Some("ai.suggested".to_owned())
    );
    f.store.verify_audit().await?;
    Ok(())
}
