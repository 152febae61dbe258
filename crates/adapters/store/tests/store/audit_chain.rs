//! The audit chain on disk: the database refuses to rewrite it, and whoever rewrites it anyway
//! (triggers dropped, raw SQL) is caught by `verify_audit`, which names the first bad row.

use warden_assistant::Ledger;
use warden_audit::{AuditEvent, AuditRecord, ChainHead, Detail, EventKind, GENESIS_HASH};
use warden_store::{Store, VerifyError};
use warden_test_support::Backend;
use warden_types::UnixMillis;

use crate::support::*;

on_both_backends!(
    audit_log_refuses_update_and_delete,
    verify_detects_edit_deletion_insertion_and_reordering,
);

/// Messages in [`chain_of_four`]; each `add` writes 3 audit rows.
const MESSAGES: i64 = 4;
const ROWS: i64 = MESSAGES * 3;
/// The row tampered with: a `task.added` row in the middle of the chain.
const K: i64 = 5;

/// A fresh database holding a 12-row chain, plus one `audit()` event.
async fn chain_of_four(backend: Backend) -> anyhow::Result<Fixture> {
    let f = Fixture::new(backend).await;
    for (i, title) in ["milk", "eggs", "bread", "tea"].iter().enumerate() {
        f.clock.advance_ms(1_000);
        f.handle(
            ALICE,
            twilio(&sid(i as u64), ALICE, &format!("add {title}")),
        )
        .await?;
    }
    let verified = f.store.verify_audit().await?;
    assert_eq!(verified.rows, ROWS as u64);
    Ok(f)
}

async fn broken_at(store: &Store) -> anyhow::Result<i64> {
    match store.verify_audit().await {
        Ok(v) => anyhow::bail!("tampering went unnoticed: {v:?}"),
        Err(VerifyError::Broken(e)) => Ok(e.first_bad_seq()),
        Err(e) => Err(e.into()),
    }
}

async fn row(store: &Store, seq: i64) -> anyhow::Result<AuditRecord> {
    audit_rows(store)
        .await?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or_else(|| anyhow::anyhow!("no row {seq}"))
}

async fn audit_log_refuses_update_and_delete(backend: Backend) -> anyhow::Result<()> {
    let f = chain_of_four(backend).await?;
    f.ledger
        .audit(AuditEvent {
            kind: EventKind::WebhookSignatureInvalid,
            sender: None,
            detail: Detail::new().with("provider", "twilio"),
        })
        .await?;
    let before = snapshot(&f.store).await?;
    let first = row(&f.store, 1).await?;

    let mut refused = vec![
        "UPDATE audit_log SET detail = 'command=list' WHERE seq = 2".to_owned(),
        "UPDATE audit_log SET seq = seq + 100".to_owned(),
        "DELETE FROM audit_log WHERE seq = 13".to_owned(),
        "DELETE FROM audit_log".to_owned(),
        // The head may not move backwards, change id, or go away.
        "UPDATE audit_head SET seq = 12, hash = 'x' WHERE id = 1".to_owned(),
        "UPDATE audit_head SET seq = 0".to_owned(),
        "UPDATE audit_head SET id = 2".to_owned(),
        "DELETE FROM audit_head".to_owned(),
        // An upsert is an update.
        format!(
            "INSERT INTO audit_log (seq, at_ms, kind, sender, detail, prev_hash, hash) \
             VALUES (1, 0, 'message.accepted', NULL, '', '{GENESIS_HASH}', '{GENESIS_HASH}') \
             ON CONFLICT (seq) DO UPDATE SET detail = excluded.detail"
        ),
        format!(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}') \
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        ),
    ];
    match backend {
        Backend::Postgres => refused.extend([
            "TRUNCATE audit_log".to_owned(),
            "TRUNCATE audit_head".to_owned(),
            "TRUNCATE audit_log, audit_head".to_owned(),
        ]),
        Backend::Sqlite => refused.extend([
            // REPLACE deletes the conflicting row; SQLite fires no DELETE trigger for that
            // unless `recursive_triggers` is on.
            format!(
                "REPLACE INTO audit_log (seq, at_ms, kind, sender, detail, prev_hash, hash) \
                 VALUES (1, {}, '{}', NULL, '', '{GENESIS_HASH}', '{GENESIS_HASH}')",
                first.at_ms, first.kind
            ),
            format!("REPLACE INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"),
        ]),
    }
    for sql in &refused {
        let r = exec(&f.store, sql).await;
        assert!(r.is_err(), "the database accepted: {sql}");
    }
    assert_eq!(snapshot(&f.store).await?, before);

    // Appending is the one thing allowed, and the head may move forward.
    let (seq, hash) = head(&f.store).await?;
    let next = warden_audit::append(
        &ChainHead { seq, hash },
        UnixMillis(f.clock_now()),
        &AuditEvent {
            kind: EventKind::SenderUnknown,
            sender: Some(sender(STRANGER)),
            detail: Detail::new(),
        },
    );
    insert_audit_row(&f.store, &next).await?;
    exec_with(
        &f.store,
        &format!(
            "UPDATE audit_head SET seq = {}, hash = {} WHERE id = 1",
            placeholders(f.store.backend(), 2)[0],
            placeholders(f.store.backend(), 2)[1]
        ),
        vec![next.seq.into(), next.hash.clone().into()],
    )
    .await?;
    assert_eq!(f.store.verify_audit().await?.rows, 14);
    Ok(())
}

impl Fixture {
    fn clock_now(&self) -> i64 {
        use warden_types::Clock;
        self.clock.now().as_i64()
    }
}

async fn verify_detects_edit_deletion_insertion_and_reordering(
    backend: Backend,
) -> anyhow::Result<()> {
    // (a) Any column of row K edited: caught at K. Each edit is undone before the next, and the
    // chain verifies again once it is.
    {
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        let original = row(&f.store, K).await?;
        assert_eq!(original.kind, EventKind::TaskAdded.as_str());
        let other_sender = sender("+14155550101");
        let edits = [
            "at_ms = at_ms + 1".to_owned(),
            "kind = 'command.rejected'".to_owned(),
            format!("sender = '{}'", other_sender.as_str()),
            "sender = NULL".to_owned(),
            "detail = 'created_ms=0&task_no=2'".to_owned(),
            format!("prev_hash = '{GENESIS_HASH}'"),
            format!("hash = '{}'", "f".repeat(64)),
            "hash = UPPER(hash)".to_owned(),
        ];
        for edit in &edits {
            exec(
                &f.store,
                &format!("UPDATE audit_log SET {edit} WHERE seq = {K}"),
            )
            .await?;
            assert_ne!(row(&f.store, K).await?, original, "{edit} changed nothing");
            assert_eq!(broken_at(&f.store).await?, K, "after {edit}");
            restore(&f.store, &original).await?;
            f.store.verify_audit().await?;
        }
    }

    // (b) Row K deleted: caught at K.
    {
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        exec(&f.store, &format!("DELETE FROM audit_log WHERE seq = {K}")).await?;
        assert_eq!(broken_at(&f.store).await?, K);
    }

    // (c1) A forged row appended past the head, correctly hashed (the format is public, there
    // is no key): the head still names row 12, so row 13 is caught.
    {
        let f = chain_of_four(backend).await?;
        let (seq, hash) = head(&f.store).await?;
        let forged = warden_audit::append(&ChainHead { seq, hash }, UnixMillis(T0), &forged());
        // No trigger needs dropping: appending is allowed.
        insert_audit_row(&f.store, &forged).await?;
        assert_eq!(broken_at(&f.store).await?, ROWS + 1);
    }

    // (c2) A forged row inserted at K, later rows renumbered to make room: the forged row links
    // correctly to K-1, but the displaced original (now K+1) does not link to it.
    {
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        let before = row(&f.store, K - 1).await?;
        exec(
            &f.store,
            &format!("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= {K}"),
        )
        .await?;
        exec(
            &f.store,
            "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000",
        )
        .await?;
        let forged = warden_audit::append(&before.head(), UnixMillis(before.at_ms), &forged());
        assert_eq!(forged.seq, K);
        insert_audit_row(&f.store, &forged).await?;
        assert_eq!(count(&f.store, "audit_log").await?, ROWS + 1);
        assert_eq!(broken_at(&f.store).await?, K + 1);
    }

    // (c3) A row slipped in before the first one (seq 0): the chain no longer starts at 1.
    {
        let f = chain_of_four(backend).await?;
        let mut forged = warden_audit::append(&ChainHead::genesis(), UnixMillis(T0), &forged());
        forged.seq = 0;
        insert_audit_row(&f.store, &forged).await?;
        assert_eq!(broken_at(&f.store).await?, 1);
    }

    // (d) Rows K and K+1 swapped (reordering): row K no longer links to row K-1.
    {
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        for sql in [
            format!("UPDATE audit_log SET seq = -1 WHERE seq = {K}"),
            format!("UPDATE audit_log SET seq = {K} WHERE seq = {}", K + 1),
            format!("UPDATE audit_log SET seq = {} WHERE seq = -1", K + 1),
        ] {
            exec(&f.store, &sql).await?;
        }
        assert_eq!(
            row(&f.store, K).await?.kind,
            EventKind::CommandExecuted.as_str()
        );
        assert_eq!(broken_at(&f.store).await?, K);
    }

    // (e) The last row cut off: every remaining link is fine, the stored head gives it away.
    {
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        exec(
            &f.store,
            &format!("DELETE FROM audit_log WHERE seq = {ROWS}"),
        )
        .await?;
        assert_eq!(broken_at(&f.store).await?, ROWS);
        // …and so does a head that names another hash for the last row.
        let f = chain_of_four(backend).await?;
        drop_append_only_triggers(&f.store).await?;
        exec(
            &f.store,
            &format!("UPDATE audit_head SET hash = '{GENESIS_HASH}' WHERE id = 1"),
        )
        .await?;
        assert_eq!(broken_at(&f.store).await?, ROWS);
        // …and a chain whose head row is gone.
        exec(&f.store, "DELETE FROM audit_head").await?;
        assert_eq!(broken_at(&f.store).await?, ROWS);
    }
    Ok(())
}

fn forged() -> AuditEvent {
    AuditEvent {
        kind: EventKind::AllowlistAdded,
        sender: Some(sender(STRANGER)),
        detail: Detail::new().with("source", "pairing"),
    }
}

async fn restore(store: &Store, r: &AuditRecord) -> anyhow::Result<()> {
    let p = placeholders(store.backend(), 7);
    exec_with(
        store,
        &format!(
            "UPDATE audit_log SET at_ms = {}, kind = {}, sender = {}, detail = {}, \
             prev_hash = {}, hash = {} WHERE seq = {}",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6]
        ),
        vec![
            r.at_ms.into(),
            r.kind.clone().into(),
            r.sender.clone().into(),
            r.detail.clone().into(),
            r.prev_hash.clone().into(),
            r.hash.clone().into(),
            r.seq.into(),
        ],
    )
    .await?;
    Ok(())
}
