//! Retention on both backends: a pass deletes exactly the rows past each cut-off, never a row
//! still in use, audits what it deleted, and leaves the chain intact.

use std::sync::Arc;

use secrecy::SecretString;
use warden_audit::Pseudonymizer;
use warden_privacy::{PrivacyService, RetentionAges, RetentionPolicy};
use warden_store::SqlPrivacy;
use warden_test_support::Backend;

use crate::support::{count, exec, scalar, sender, Fixture, ALICE, T0};

on_both_backends!(
    retention_prunes_exactly_the_rows_past_each_cutoff_and_never_pending_or_open_ones,
    an_idle_retention_pass_writes_nothing_to_the_chain,
);

const DAY: i64 = 86_400_000;

fn service(f: &Fixture) -> PrivacyService {
    PrivacyService::new(
        Arc::new(SqlPrivacy::new(f.store.clone())),
        Arc::new(Pseudonymizer::new(SecretString::from(
            "test-pseudonym-key-0123456789".to_owned(),
        ))),
        RetentionPolicy::new(RetentionAges {
            done_tasks: 10,
            sent_outbox: 20,
            replay_ids: 7,
            held_offers: 30,
            closed_requests: 40,
            expired_consents: 50,
        })
        .unwrap(),
        f.clock.clone(),
    )
}

/// Rows named by their fate: `gone_*` are 1 ms past their cut-off, `kept_*` exactly at it or
/// in use whatever their age.
async fn seed(f: &Fixture, now: i64) {
    let s = sender(ALICE);
    let s = s.as_str();
    let at = |days: i64| now - days * DAY;
    let old = at(1000);
    for sql in [
        // Tasks (10 days): done past, done at the cut-off, open and ancient.
        format!("INSERT INTO tasks VALUES ('{s}', 1, 'gone_task', {old}, {})", at(10) - 1),
        format!("INSERT INTO tasks VALUES ('{s}', 2, 'kept_task', {old}, {})", at(10)),
        format!("INSERT INTO tasks VALUES ('{s}', 3, 'kept_open', {old}, NULL)"),
        // Outbox (20 days): sent/delivered/read past go; pending and failed stay at any age.
        format!(
            "INSERT INTO outbox (idempotency_key, provider, sender, recipient, body, status, \
             attempts, next_attempt_ms, created_ms, updated_ms) VALUES \
             ('gone_sent', 'twilio', '{s}', NULL, NULL, 'sent', 1, 0, {old}, {p}), \
             ('gone_delivered', 'twilio', '{s}', NULL, NULL, 'delivered', 1, 0, {old}, {p}), \
             ('gone_read', 'twilio', '{s}', NULL, NULL, 'read', 1, 0, {old}, {p}), \
             ('kept_sent', 'twilio', '{s}', NULL, NULL, 'sent', 1, 0, {old}, {k}), \
             ('kept_pending', 'twilio', '{s}', '{ALICE}', 'hi', 'pending', 0, 0, {old}, {old}), \
             ('kept_failed', 'twilio', '{s}', '{ALICE}', 'hi', 'failed', 5, 0, {old}, {old})",
            p = at(20) - 1,
            k = at(20)
        ),
        // Calendar jobs (with the sent outbox, 20 days): settled past go; pending stay.
        format!(
            "INSERT INTO calendar_jobs (reply_key, action, event_id, sender, provider, \
             recipient, title, start_ms, end_ms, zone, done_reply, status, attempts, \
             next_attempt_ms, created_ms, updated_ms) VALUES \
             ('gone_done', 'insert', 'aaaaaaaaaa', '{s}', 'twilio', NULL, NULL, NULL, NULL, \
              NULL, NULL, 'done', 1, 0, {old}, {p}), \
             ('gone_failed', 'delete', 'bbbbbbbbbb', '{s}', 'twilio', NULL, NULL, NULL, NULL, \
              NULL, NULL, 'failed', 8, 0, {old}, {p}), \
             ('kept_done', 'insert', 'cccccccccc', '{s}', 'twilio', NULL, NULL, NULL, NULL, \
              NULL, NULL, 'done', 1, 0, {old}, {k}), \
             ('kept_pending', 'insert', 'dddddddddd', '{s}', 'twilio', '{ALICE}', 'dentist', \
              {old}, {old}, 'UTC', 'Reminder set', 'pending', 3, 0, {old}, {old})",
            p = at(20) - 1,
            k = at(20)
        ),
        // Replay ids (7 days).
        format!(
            "INSERT INTO inbound_messages VALUES ('twilio', 'gone_id', '{s}', {}), \
             ('twilio', 'kept_id', '{s}', {})",
            at(7) - 1,
            at(7)
        ),
        // Requests (40 days): closed past go with their contacts and offers; closed at the
        // cut-off and open ancient ones stay with theirs.
        format!(
            "INSERT INTO marketplace_requests (id, reference, client, client_phone, \
             client_provider, text, masked_text, tags, status, accepted_offer, created_ms, \
             next_batch_ms) VALUES \
             (1, 'R-GONE01', '{s}', '{ALICE}', 'twilio', 'van', 'van', 'van', 'cancelled', NULL, {p}, NULL), \
             (2, 'R-GONE02', '{s}', '{ALICE}', 'twilio', 'van', 'van', 'van', 'accepted', 1, {p}, NULL), \
             (3, 'R-KEPT03', '{s}', '{ALICE}', 'twilio', 'van', 'van', 'van', 'cancelled', NULL, {k}, NULL), \
             (4, 'R-KEPT04', '{s}', '{ALICE}', 'twilio', 'van', 'van', 'van', 'open', NULL, {old}, NULL)",
            p = at(40) - 1,
            k = at(40)
        ),
        "INSERT INTO market_contacts VALUES (1, 7, 0), (2, 7, 0), (3, 7, 0), (4, 7, 0)".to_owned(),
        // Offers: relayed ones of requests 2 (gone with it) and 4 (kept); held ones by age
        // (30 days), one of them on the open request.
        format!(
            "INSERT INTO market_offers (request_id, vendor_id, offer_no, status, reasons, \
             held_text, created_ms, released_ms) VALUES \
             (2, 7, 1, 'relayed', NULL, NULL, {old}, NULL), \
             (4, 7, 1, 'relayed', NULL, NULL, {old}, NULL), \
             (4, 7, NULL, 'held', 'iban', 'gone_held', {p}, NULL), \
             (NULL, 7, NULL, 'held', 'no_reference', 'kept_held', {k}, NULL), \
             (4, 7, 2, 'released', 'iban', NULL, {old}, {old})",
            p = at(30) - 1,
            k = at(30)
        ),
        // Consents (50 days): ended past go; ended at the cut-off and still valid stay.
        format!(
            "INSERT INTO call_consents VALUES \
             ('{a}', 'granted', {old}, {p}, NULL, {old}), \
             ('{b}', 'revoked', NULL, NULL, {p}, {p}), \
             ('{c}', 'granted', {old}, {k}, NULL, {old}), \
             ('{d}', 'granted', {old}, {future}, NULL, {old}), \
             ('{e}', 'revoked', NULL, NULL, NULL, {p})",
            a = "a".repeat(32),
            b = "b".repeat(32),
            c = "c".repeat(32),
            d = "d".repeat(32),
            e = "e".repeat(32),
            p = at(50) - 1,
            k = at(50),
            future = now + DAY
        ),
    ] {
        exec(&f.store, &sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

async fn strings(f: &Fixture, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let mut out: Vec<String> = f
        .store
        .connection()
        .query_all(Statement::from_string(f.store.backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    out.sort();
    out
}

async fn retention_prunes_exactly_the_rows_past_each_cutoff_and_never_pending_or_open_ones(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    let now = T0 + 2000 * DAY;
    f.clock.set(now);
    seed(&f, now).await;

    let pruned = service(&f).prune().await?;

    assert_eq!(
        strings(&f, "SELECT title FROM tasks").await,
        ["kept_open", "kept_task"]
    );
    assert_eq!(
        strings(&f, "SELECT idempotency_key FROM outbox").await,
        ["kept_failed", "kept_pending", "kept_sent"]
    );
    assert_eq!(
        strings(&f, "SELECT message_id FROM inbound_messages").await,
        ["kept_id"]
    );
    assert_eq!(
        strings(&f, "SELECT reply_key FROM calendar_jobs").await,
        ["kept_done", "kept_pending"]
    );
    assert_eq!(
        strings(&f, "SELECT reference FROM marketplace_requests").await,
        ["R-KEPT03", "R-KEPT04"]
    );
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM market_contacts WHERE request_id IN (3, 4)"
        )
        .await?,
        count(&f.store, "market_contacts").await?
    );
    assert_eq!(count(&f.store, "market_contacts").await?, 2);
    assert_eq!(
        strings(
            &f,
            "SELECT status || ':' || COALESCE(held_text, '-') FROM market_offers"
        )
        .await,
        ["held:kept_held", "relayed:-", "released:-"]
    );
    assert_eq!(
        strings(&f, "SELECT SUBSTR(client, 1, 1) FROM call_consents").await,
        ["c", "d"]
    );

    assert_eq!(pruned.done_tasks, 1);
    assert_eq!(pruned.sent_outbox, 3);
    assert_eq!(pruned.replay_ids, 1);
    assert_eq!(pruned.held_offers, 1);
    assert_eq!(pruned.closed_requests, 2);
    assert_eq!(pruned.closed_request_contacts, 2);
    assert_eq!(pruned.closed_request_offers, 1);
    assert_eq!(pruned.expired_consents, 3);
    assert_eq!(pruned.settled_calendar_jobs, 2);

    let detail = strings(
        &f,
        "SELECT detail FROM audit_log WHERE kind = 'retention.pruned' AND sender IS NULL",
    )
    .await;
    assert_eq!(
        detail,
        [
            "closed_request_contacts=2&closed_request_offers=1&closed_requests=2&done_tasks=1&\
          expired_consents=3&held_offers=1&replay_ids=1&sent_outbox=3&settled_calendar_jobs=2"
        ]
    );
    f.store.verify_audit().await?;

    // A second pass at the same instant finds nothing more.
    assert_eq!(service(&f).prune().await?.total(), 0);
    Ok(())
}

async fn an_idle_retention_pass_writes_nothing_to_the_chain(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::new(backend).await;
    let now = T0 + 2000 * DAY;
    seed(&f, now).await;
    // At T0 every seeded row is in the future: nothing is past any cut-off.
    let pruned = service(&f).prune().await?;
    assert_eq!(pruned.total(), 0);
    assert_eq!(count(&f.store, "audit_log").await?, 0);
    assert_eq!(count(&f.store, "tasks").await?, 3);
    Ok(())
}
