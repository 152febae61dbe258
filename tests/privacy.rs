//! Data subjects over the real gateway: an export holds everything about one number and nothing
//! about anyone else (and no text when text is withheld); an erasure leaves no row of the
//! subject, touches no one else, keeps the audit chain verifiable and does not name who was
//! erased.

use anyhow::{Context, Result};
use warden_privacy::SubjectExport;

use crate::support::{Backend, Gateway, Person, Settings, ALICE, BOB, CAROL, MINUTE_MS, SETTLE};

on_both_backends!(
    export_holds_all_of_a_subjects_data_and_nothing_of_anothers,
    export_without_text_holds_no_body,
    erase_leaves_no_row_of_the_subject_and_the_chain_still_verifies,
    the_gateways_retention_job_prunes_past_replay_ids_and_audits_the_counts,
);

const VENDOR: Person = Person {
    e164: "+351912345001",
    national: "912345001",
    local: "",
};
const ALICE_TASK: &str = "buy oat milk";
const ALICE_REQUEST: &str = "request wheelchair accessible van in Lisbon on Saturday";
const BOB_TASK: &str = "collect the parcel";

/// Marketplace on, replies and outreach through the outbox to an API that is not there: every
/// message stays in the outbox with its text, so the export has bodies to show.
async fn gateway_with_two_subjects(backend: Backend) -> Result<Gateway> {
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE, BOB])
            .market()
            .twilio_outbox("http://127.0.0.1:9"),
    )
    .await?;
    gw.add_vendor("Lisboa Vans", VENDOR.e164, "van,wheelchair,city:lisbon")
        .await?;
    for (who, text) in [
        (ALICE, format!("add {ALICE_TASK}")),
        (ALICE, ALICE_REQUEST.to_owned()),
        (BOB, format!("add {BOB_TASK}")),
    ] {
        let answer = gw.send(who, &text).await?;
        anyhow::ensure!(answer.status == 200, "{}", answer.body);
    }
    // Every message has had its one attempt (the clock does not move, so no second one):
    // from here on nothing changes under the test.
    gw.wait_until("each message's first attempt", SETTLE, || async {
        Ok(gw
            .query_i64(
                "SELECT COUNT(*) AS n FROM outbox \
                 WHERE attempts = 0 OR claimed_until_ms IS NOT NULL",
            )
            .await?
            == 0)
    })
    .await?;
    Ok(gw)
}

/// As [`Gateway::finish`], except that the outbox never settles here (its API is down):
/// verifies the chain, stops the server, and checks the logs for secrets and numbers.
async fn finish(gw: Gateway) -> Result<()> {
    gw.operator().verify_audit().await.context("audit chain")?;
    let secrets = gw.secrets.all();
    gw.stop().await?;
    crate::leaks::assert_clean(&secrets)
}

async fn export(gw: &Gateway, who: Person, text: bool) -> Result<(SubjectExport, String)> {
    let export = gw.operator().export_subject(who.e164, text).await?;
    let json = serde_json::to_string(&export)?;
    Ok((export, json))
}

fn rows<'a>(export: &'a SubjectExport, table: &str) -> &'a [warden_privacy::Row] {
    export.tables.get(table).map_or(&[], Vec::as_slice)
}

fn text_of(row: &warden_privacy::Row, column: &str) -> Option<String> {
    match row.get(column) {
        Some(warden_privacy::Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

async fn export_holds_all_of_a_subjects_data_and_nothing_of_anothers(
    backend: Backend,
) -> Result<()> {
    let gw = gateway_with_two_subjects(backend).await?;
    let (alice, json) = export(&gw, ALICE, true).await?;

    assert_eq!(alice.schema_version, 1);
    assert_eq!(alice.phone, ALICE.e164);
    assert_eq!(alice.pseudonym.len(), 32);
    let titles: Vec<_> = rows(&alice, "tasks")
        .iter()
        .filter_map(|r| text_of(r, "title"))
        .collect();
    assert_eq!(titles, [ALICE_TASK]);
    let requests = rows(&alice, "marketplace_requests");
    assert_eq!(requests.len(), 1);
    let asked = ALICE_REQUEST.trim_start_matches("request ");
    assert_eq!(text_of(&requests[0], "text").as_deref(), Some(asked));
    assert_eq!(
        rows(&alice, "market_contacts").len(),
        1,
        "the vendor contacted"
    );
    assert_eq!(rows(&alice, "inbound_messages").len(), 2);
    assert_eq!(rows(&alice, "sender_state").len(), 1);
    // Both replies to Alice, each with its text; the outreach went to the vendor, not to her.
    let bodies: Vec<_> = rows(&alice, "outbox")
        .iter()
        .filter_map(|r| text_of(r, "body"))
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies.iter().any(|b| b.contains(ALICE_TASK)), "{bodies:?}");
    assert!(rows(&alice, "vendors").is_empty());
    let kinds: Vec<_> = alice.audit_events.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "task.added",
        "marketplace.request_created",
        "outbox.enqueued",
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }

    // Nothing of Bob's, and not the vendor's number.
    let (bob, _) = export(&gw, BOB, true).await?;
    for needle in [BOB_TASK, &bob.pseudonym, VENDOR.e164]
        .into_iter()
        .chain(BOB.needles())
    {
        assert!(!json.contains(needle), "Alice's export holds {needle:?}");
    }

    // The vendor's own export is its vendor record and the outreach to it.
    let (vendor, _) = export(&gw, VENDOR, true).await?;
    assert_eq!(rows(&vendor, "vendors").len(), 1);
    assert_eq!(rows(&vendor, "outbox").len(), 1);
    assert!(rows(&vendor, "tasks").is_empty());
    finish(gw).await
}

async fn export_without_text_holds_no_body(backend: Backend) -> Result<()> {
    let gw = gateway_with_two_subjects(backend).await?;
    let (with_text, _) = export(&gw, ALICE, true).await?;
    let (without, json) = export(&gw, ALICE, false).await?;
    assert!(!without.text_included);

    let mut texts: Vec<String> = with_text
        .tables
        .values()
        .flatten()
        .flat_map(|r| r.0.iter())
        .filter_map(|(_, v)| match v {
            warden_privacy::Value::Text(t) if !t.is_empty() => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert!(texts.len() >= 5, "titles, request text, bodies: {texts:?}");
    texts.push(ALICE_TASK.to_owned());
    for text in &texts {
        assert!(
            !json.contains(text.as_str()),
            "withheld export holds {text:?}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&json)?;
    assert_eq!(
        json["tables"]["tasks"][0]["title"]["withheld_chars"],
        ALICE_TASK.chars().count()
    );
    // Everything that is not text is still there.
    assert_eq!(without.tables.len(), with_text.tables.len());
    assert_eq!(without.audit_events, with_text.audit_events);
    assert_eq!(
        rows(&without, "outbox").len(),
        rows(&with_text, "outbox").len()
    );
    finish(gw).await
}

/// Rows anywhere that name `who` by number or by pseudonym, read with plain SQL.
async fn rows_naming(gw: &Gateway, who: Person, pseudonym: &str) -> Result<i64> {
    let mut total = 0;
    for (table, column, value) in [
        ("allowlist", "sender", pseudonym),
        ("sender_state", "sender", pseudonym),
        ("tasks", "sender", pseudonym),
        ("inbound_messages", "sender", pseudonym),
        ("marketplace_requests", "client", pseudonym),
        ("marketplace_requests", "client_phone", who.e164),
        ("call_consents", "client", pseudonym),
        ("vendors", "sender", pseudonym),
        ("vendors", "phone", who.e164),
        ("outbox", "sender", pseudonym),
        ("outbox", "recipient", who.e164),
    ] {
        total += gw
            .query_i64(&format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{value}'"
            ))
            .await?;
    }
    Ok(total)
}

async fn erase_leaves_no_row_of_the_subject_and_the_chain_still_verifies(
    backend: Backend,
) -> Result<()> {
    let gw = gateway_with_two_subjects(backend).await?;
    let (alice, _) = export(&gw, ALICE, true).await?;
    let (_, bob_before) = export(&gw, BOB, true).await?;
    assert!(rows_naming(&gw, ALICE, &alice.pseudonym).await? > 0);

    let report = gw
        .operator()
        .erase_subject(ALICE.e164, "owner-test")
        .await?;
    assert!(!report.nothing_held);
    assert_eq!(report.counts.get("tasks"), 1);
    assert_eq!(report.counts.get("marketplace_requests"), 1);
    assert_eq!(report.counts.get("market_contacts"), 1);
    assert_eq!(report.counts.get("outbox"), 2);
    assert_eq!(report.counts.get("inbound_messages"), 2);

    assert_eq!(rows_naming(&gw, ALICE, &alice.pseudonym).await?, 0);
    let (after, _) = export(&gw, ALICE, true).await?;
    assert!(after.holds_no_rows(), "{after:?}");
    assert_eq!(
        after.audit_events, alice.audit_events,
        "the chain keeps its pseudonymous events"
    );
    // Bob is untouched (the clock has not moved, so even `generated_at` is the same).
    assert_eq!(export(&gw, BOB, true).await?.1, bob_before);
    gw.operator().verify_audit().await?;

    // The event says that it happened, by whom and how much, and not to whom.
    let erased: Vec<_> = gw
        .audit()
        .await?
        .into_iter()
        .filter(|r| r.kind == "subject.erased")
        .collect();
    assert_eq!(erased.len(), 1);
    let event = &erased[0];
    assert_eq!(event.sender, None);
    assert!(
        event.detail.contains("actor=owner-test"),
        "{}",
        event.detail
    );
    assert!(event.detail.contains("tasks=1"), "{}", event.detail);
    for needle in ALICE
        .needles()
        .into_iter()
        .chain([alice.pseudonym.as_str()])
    {
        assert!(!event.detail.contains(needle), "{}", event.detail);
    }

    // A vendor's number: its record and the message still waiting for it go.
    let vendor = gw
        .operator()
        .erase_subject(VENDOR.e164, "owner-test")
        .await?;
    assert_eq!(vendor.counts.get("vendors"), 1);
    assert_eq!(vendor.counts.get("outbox"), 1, "the pending outreach to it");
    assert!(export(&gw, VENDOR, true).await?.0.holds_no_rows());

    // An unknown number: success, zero counts, still recorded.
    let unknown = gw
        .operator()
        .erase_subject(CAROL.e164, "owner-test")
        .await?;
    assert!(unknown.nothing_held);
    assert_eq!(unknown.counts.total(), 0);
    assert_eq!(gw.count_kind("subject.erased").await?, 3);

    gw.operator()
        .verify_audit()
        .await
        .context("the chain after three erasures")?;
    finish(gw).await
}

async fn the_gateways_retention_job_prunes_past_replay_ids_and_audits_the_counts(
    backend: Backend,
) -> Result<()> {
    let mut gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    gw.say(ALICE, "add water the plants").await?;
    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(
        gw.count_kind("retention.pruned").await?,
        0,
        "nothing was old"
    );

    // A month and a day later the gateway restarts: its job's first pass prunes the replay id
    // (default 30 days) and keeps the open task.
    gw.clock.advance_ms(31 * 24 * 60 * MINUTE_MS);
    gw.restart().await?;
    gw.wait_until("the retention pass", SETTLE, || async {
        Ok(gw.count_kind("retention.pruned").await? == 1)
    })
    .await?;
    assert_eq!(gw.count("inbound_messages").await?, 0);
    assert_eq!(gw.count("tasks").await?, 1);
    let event = gw
        .audit()
        .await?
        .into_iter()
        .find(|r| r.kind == "retention.pruned")
        .context("the event")?;
    assert_eq!(event.sender, None);
    assert!(event.detail.contains("replay_ids=1"), "{}", event.detail);
    gw.finish().await
}
