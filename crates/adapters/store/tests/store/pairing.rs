//! Pairing codes' limits are counted from the database, not from a process: every batch loads
//! the sender's codes and the global backlog under the writer's lock, and a batch that issues
//! codes counts them before it decides the next message.

use warden_assistant::{Outcome, ReplyText};
use warden_gates::ApprovalPolicy;
use warden_test_support::Backend;

use crate::support::*;

on_both_backends!(
    pairing_limits_are_counted_from_stored_requests,
    codes_issued_in_one_batch_count_toward_the_global_limit,
);

const HOUR: i64 = 3_600_000;

fn limits() -> ApprovalPolicy {
    ApprovalPolicy {
        per_sender: 2,
        max_pending: 2,
        ..ApprovalPolicy::default()
    }
}

fn stranger(i: u32) -> String {
    format!("+1415555{:04}", 200 + i)
}

fn reply(o: &Outcome) -> &str {
    match o {
        Outcome::Handled { reply: Some(r) } => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn is_code(o: &Outcome) -> bool {
    reply(o).starts_with("Your pairing code is ")
}

async fn pairing_limits_are_counted_from_stored_requests(backend: Backend) -> anyhow::Result<()> {
    let f = Fixture::pairing(backend, limits()).await;
    let mut n = 0u64;
    let mut ask = |who: String| {
        n += 1;
        let m = twilio(&sid(n), &who, "/pair");
        (who, m)
    };
    let (one, two, three) = (stranger(1), stranger(2), stranger(3));

    let (w, m) = ask(one.clone());
    let first = f.handle(&w, m).await?;
    assert!(is_code(&first));
    let (w, m) = ask(two.clone());
    assert!(is_code(&f.handle(&w, m).await?));
    // Two live codes stored: the third stranger is over the global limit.
    let (w, m) = ask(three.clone());
    assert_eq!(reply(&f.handle(&w, m).await?), ReplyText::PAIRING_LIMITED);
    // The first stranger's pending code is found again, not reissued.
    let (w, m) = ask(one.clone());
    let again = f.handle(&w, m).await?;
    assert_eq!(reply(&again)[..30], reply(&first)[..30]);
    assert_eq!(
        scalar(&f.store, "SELECT COUNT(*) AS n FROM pairing_requests").await?,
        2
    );

    // An hour on, both codes have expired: they no longer count globally, but still per sender.
    f.clock.advance_ms(HOUR);
    let (w, m) = ask(three.clone());
    assert!(is_code(&f.handle(&w, m).await?));
    let (w, m) = ask(one.clone());
    assert!(is_code(&f.handle(&w, m).await?), "second code of the day");
    f.clock.advance_ms(HOUR);
    let (w, m) = ask(one.clone());
    assert_eq!(reply(&f.handle(&w, m).await?), ReplyText::PAIRING_LIMITED);
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) AS n FROM audit_log WHERE kind = 'pairing.limited'"
        )
        .await?,
        2
    );
    f.store.verify_audit().await?;
    Ok(())
}

async fn codes_issued_in_one_batch_count_toward_the_global_limit(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::pairing(backend, limits()).await;
    let jobs = (1..=6)
        .map(|i| {
            let who = stranger(i);
            let m = twilio(&sid(u64::from(i)), &who, "/pair");
            (f.ledger.clone(), sender(&who), m)
        })
        .collect();
    let outcomes = handle_concurrently(jobs).await;
    let mut codes = 0;
    for o in &outcomes {
        let o = o.as_ref().expect("handled");
        if is_code(o) {
            codes += 1;
        } else {
            assert_eq!(reply(o), ReplyText::PAIRING_LIMITED);
        }
    }
    assert_eq!(codes, 2, "however the writer batched them");
    assert_eq!(
        scalar(&f.store, "SELECT COUNT(*) AS n FROM pairing_requests").await?,
        2
    );
    Ok(())
}
