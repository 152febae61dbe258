//! The marketplace adapter: vendors routed by pseudonym after the ledger's gates, a request
//! and its first outreach batch in one transaction, scheduled batches, held offers released
//! once — every step on the one audit chain the ledger writes too.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use warden_assistant::marketplace::{BatchSchedule, MarketError, MarketService, MarketStore};
use warden_assistant::{Ledger, MarketRoute, MarketTicket, Outcome, ReplyVia};
use warden_marketplace::{
    BusinessName, MarketConfig, Marketplace, RefKey, Tag, TagConfig, TagExtractor, TagSet,
};
use warden_store::SqlMarket;
use warden_test_support::market::MemMarketStore;
use warden_test_support::{Backend, ManualClock};
use warden_types::PhoneNumber;

use crate::support::*;

on_both_backends!(
    a_registered_vendor_number_is_routed_to_the_marketplace_not_the_task_grammar,
    a_request_and_its_first_batch_commit_together_on_the_one_audit_chain,
    a_held_offer_is_released_once_through_the_masked_relay,
    the_in_memory_fake_commits_what_the_sql_store_commits,
    a_discarded_offer_reaches_no_one_and_its_text_is_deleted,
    a_held_offer_is_revealed_only_after_the_audit_names_the_actor_and_never_the_text,
);

const VENDOR: &str = "+351912345001";

fn marketplace() -> Marketplace {
    Marketplace::new(
        MarketConfig::default(),
        TagExtractor::new(&TagConfig::default()).unwrap(),
        warden_guard::Guard::new(warden_guard::GuardConfig::default()).unwrap(),
        warden_redaction::Redactor::new(warden_redaction::RedactionConfig::default()).unwrap(),
        RefKey::new(b"store-test-ref-key-0123").unwrap(),
    )
}

fn market(f: &Fixture) -> MarketService {
    service(Arc::new(SqlMarket::new(f.store.clone())), f.clock.clone())
}

fn service(store: Arc<dyn MarketStore>, clock: Arc<ManualClock>) -> MarketService {
    MarketService::new(
        store,
        Arc::new(marketplace()),
        BatchSchedule::default(),
        clock,
    )
}

async fn add_vendor(m: &MarketService, name: &str, phone: &str) -> i64 {
    let tags: TagSet = ["van", "wheelchair", "city:lisbon"]
        .into_iter()
        .map(|t| Tag::new(t).unwrap())
        .collect();
    m.register_vendor(
        BusinessName::new(name).unwrap(),
        PhoneNumber::parse(phone).unwrap(),
        sender(phone),
        tags,
        "cli",
    )
    .await
    .unwrap()
    .0
}

async fn step(f: &Fixture, m: &MarketService, from: &str, n: u64, body: &str) -> Option<String> {
    match f
        .ledger
        .handle(
            sender(from),
            twilio(&sid(n), from, body),
            ReplyVia::Response,
        )
        .await
        .unwrap()
    {
        Outcome::Market(ticket) => m.handle(*ticket).await.unwrap().reply,
        other => panic!("expected a marketplace ticket, got {other:?}"),
    }
}

async fn a_registered_vendor_number_is_routed_to_the_marketplace_not_the_task_grammar(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let m = market(&f);
    let id = add_vendor(&m, "Lisboa Vans", VENDOR).await;
    // Not on the allowlist, yet not a stranger: an operator registered it.
    match f
        .handle(VENDOR, twilio(&sid(1), VENDOR, "add buy milk"))
        .await?
    {
        Outcome::Market(t) => assert_eq!(
            t.route,
            MarketRoute::Vendor(warden_marketplace::VendorId(id))
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&f.store, "tasks").await?, 0);
    // A disabled vendor still reaches the marketplace (its replies are held, not relayed).
    m.set_vendor_active(warden_marketplace::VendorId(id), false, "cli")
        .await?;
    assert!(matches!(
        f.handle(VENDOR, twilio(&sid(2), VENDOR, "R-AAAAAA 10 EUR"))
            .await?,
        Outcome::Market(_)
    ));
    assert!(matches!(
        m.set_vendor_active(warden_marketplace::VendorId(999), false, "cli")
            .await,
        Err(MarketError::VendorNotFound(999))
    ));
    f.store.verify_audit().await?;
    Ok(())
}

async fn a_request_and_its_first_batch_commit_together_on_the_one_audit_chain(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let m = market(&f);
    for i in 0..7 {
        add_vendor(&m, &format!("Van Co {i}"), &format!("+3519123451{i:02}")).await;
    }
    let reply = step(&f, &m, ALICE, 1, "request wheelchair van in Lisbon").await;
    assert!(reply.unwrap().starts_with("Request R-"));
    assert_eq!(count(&f.store, "marketplace_requests").await?, 1);
    assert_eq!(count(&f.store, "market_contacts").await?, 5);
    assert_eq!(
        count(&f.store, "outbox").await?,
        5,
        "outreach, not the TwiML reply"
    );
    // Interleave a ledger message: both writers append to one linear chain.
    f.handle(ALICE, twilio(&sid(2), ALICE, "add call the vendor"))
        .await?;
    assert_eq!(m.tick().await?.enqueued, 0, "the next batch is not due yet");
    f.clock.advance_ms(BatchSchedule::DEFAULT_INTERVAL_MS);
    let report = m.tick().await?;
    assert_eq!((report.requests, report.enqueued), (1, 2));
    assert_eq!(count(&f.store, "market_contacts").await?, 7);
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM marketplace_requests WHERE next_batch_ms IS NULL"
        )
        .await?,
        1,
        "every matching vendor contacted: no more batches"
    );
    assert_eq!(
        scalar(
            &f.store,
            "SELECT CAST(MAX(sent_today) AS BIGINT) FROM vendor_counters"
        )
        .await?,
        1
    );
    f.store.verify_audit().await?;
    Ok(())
}

/// One vendor, Alice's request, and the vendor's reply asking to be paid to an IBAN (held, not
/// relayed; nothing was held before it). Returns the reply the vendor got.
async fn iban_offer_held(f: &Fixture, m: &MarketService) -> anyhow::Result<String> {
    add_vendor(m, "Lisboa Vans", VENDOR).await;
    step(f, m, ALICE, 1, "request wheelchair van in Lisbon").await;
    assert!(m.held_offers().await?.is_empty());
    let r = scalar_text(f, "SELECT reference FROM marketplace_requests").await;
    step(
        f,
        m,
        VENDOR,
        2,
        &format!("{r} 90 EUR, pay to IBAN GB82 WEST 1234 5698 7654 32 please"),
    )
    .await
    .ok_or_else(|| anyhow::anyhow!("the vendor got no reply"))
}

async fn a_held_offer_is_released_once_through_the_masked_relay(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let m = market(&f);
    let reply = iban_offer_held(&f, &m).await?;
    assert!(reply.contains("reviewed"), "{reply}");
    let held = m.held_offers().await?;
    assert_eq!(held.len(), 1);
    assert!(held[0].offer.reasons.contains("iban"));
    let outbox_before = count(&f.store, "outbox").await?;
    m.release_offer(held[0].offer.id, "cli").await?;
    assert_eq!(count(&f.store, "outbox").await?, outbox_before + 1);
    assert!(m.held_offers().await?.is_empty());
    assert!(matches!(
        m.release_offer(held[0].offer.id, "cli").await,
        Err(MarketError::NotHeld(_))
    ));
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM market_offers WHERE held_text IS NOT NULL"
        )
        .await?,
        0,
        "the released text is not kept"
    );
    f.store.verify_audit().await?;
    Ok(())
}

async fn scalar_text(f: &Fixture, sql: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    f.store
        .connection()
        .query_one(Statement::from_string(f.store.backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap()
}

/// One concierge story through the use case alone (no ledger; the request enqueues outreach to 5
/// vendors and the reply to the client): vendors registered and one
/// disabled, a request with its first batch, an offer relayed, one held, a scheduled batch, the
/// held one released, an acceptance and a refused operator call. Returns what it observed.
async fn marketplace_story(m: &MarketService, clock: &ManualClock) -> Vec<String> {
    use warden_marketplace::{parse, RequestId, VendorId};
    let mut seen = Vec::new();
    for i in 0..8 {
        add_vendor(m, &format!("Van Co {i}"), &format!("+3519123452{i:02}")).await;
    }
    m.set_vendor_active(VendorId(8), false, "cli")
        .await
        .unwrap();
    let ticket = |n: u64, from: &str, body: &str, route: MarketRoute| MarketTicket {
        sender: sender(from),
        msg: twilio(&sid(n), from, body),
        via: ReplyVia::Outbox,
        route,
    };
    let client =
        |n: u64, body: &str| ticket(n, ALICE, body, MarketRoute::Client(parse(body).unwrap()));
    let vendor = |n: u64, id: i64, body: &str| {
        let from = format!("+3519123452{:02}", id - 1);
        ticket(n, &from, body, MarketRoute::Vendor(VendorId(id)))
    };
    let r = m.marketplace().reference_for(RequestId(1));
    let out = m
        .handle(client(1, "request wheelchair van in Lisbon"))
        .await
        .unwrap();
    seen.push(format!("request enqueued={}", out.enqueued));
    clock.advance_ms(BatchSchedule::DEFAULT_INTERVAL_MS);
    let tick = m.tick().await.unwrap();
    seen.push(format!("tick {tick:?}"));
    let steps = [
        vendor(2, 1, &format!("{r} 90 EUR, free on Saturday")),
        vendor(
            3,
            6,
            &format!("{r} 80 EUR, pay to IBAN GB82 WEST 1234 5698 7654 32"),
        ),
    ];
    for step in steps {
        let out = m.handle(step).await.unwrap();
        seen.push(format!("reply={:?} enqueued={}", out.reply, out.enqueued));
    }
    let held = m.held_offers().await.unwrap();
    seen.push(format!(
        "held {:?}",
        held.iter()
            .map(|h| (h.offer.vendor, h.offer.reasons.clone()))
            .collect::<Vec<_>>()
    ));
    m.release_offer(held[0].offer.id, "cli").await.unwrap();
    seen.push(format!(
        "held after release {}",
        m.held_offers().await.unwrap().len()
    ));
    let out = m.handle(client(4, &format!("accept {r} 2"))).await.unwrap();
    seen.push(format!(
        "accept enqueued={} call={}",
        out.enqueued,
        out.call.is_some()
    ));
    seen.push(format!(
        "call {:?}",
        m.operator_call(&r).await.map(|c| c.is_some())
    ));
    seen.push(format!(
        "duplicate vendor {:?}",
        m.register_vendor(
            BusinessName::new("Again").unwrap(),
            PhoneNumber::parse("+351912345200").unwrap(),
            sender("+351912345200"),
            TagSet::parse_vendor_tags("van").unwrap(),
            "cli",
        )
        .await
        .map_err(|e| e.to_string())
    ));
    seen
}

async fn the_in_memory_fake_commits_what_the_sql_store_commits(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let sql_seen = marketplace_story(&market(&f), &f.clock).await;
    let fake = MemMarketStore::new();
    let clock = ManualClock::at(T0);
    let fake_seen =
        marketplace_story(&service(Arc::new(fake.clone()), clock.clone()), &clock).await;
    assert_eq!(sql_seen, fake_seen);
    let state = fake.snapshot().await;
    let kinds: Vec<String> = f
        .store
        .connection()
        .query_all(sea_orm::Statement::from_string(
            f.store.backend(),
            "SELECT kind FROM audit_log ORDER BY seq",
        ))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        kinds,
        state.audit_kinds(),
        "the same audit events in the same order"
    );
    let keys = dump(
        &f.store,
        "outbox",
        &["idempotency_key", "provider", "recipient"],
    )
    .await?;
    let mut fake_keys: Vec<String> = state
        .outbox
        .iter()
        .map(|m| format!("{}|{}|{}", m.key, m.provider.as_str(), m.to.as_e164()))
        .collect();
    fake_keys.sort();
    assert_eq!(keys, fake_keys, "the same messages under the same keys");
    assert_eq!(
        sql_seen[..2],
        [
            "request enqueued=6",
            "tick TickReport { requests: 1, enqueued: 2 }"
        ],
        "{sql_seen:#?}"
    );
    assert!(
        sql_seen.contains(&"held after release 0".to_owned()),
        "{sql_seen:#?}"
    );
    f.store.verify_audit().await?;
    Ok(())
}

async fn a_discarded_offer_reaches_no_one_and_its_text_is_deleted(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let m = market(&f);
    iban_offer_held(&f, &m).await?;
    let held = m.held_offers().await?;
    let outbox_before = count(&f.store, "outbox").await?;
    m.discard_offer(held[0].offer.id, "cli").await?;
    assert_eq!(
        count(&f.store, "outbox").await?,
        outbox_before,
        "nothing relayed"
    );
    assert!(m.held_offers().await?.is_empty());
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM market_offers WHERE held_text IS NOT NULL OR status <> 'discarded'"
        )
        .await?,
        0,
        "the discarded text is not kept"
    );
    assert!(matches!(
        m.release_offer(held[0].offer.id, "cli").await,
        Err(MarketError::NotHeld(_))
    ));
    assert!(matches!(
        m.discard_offer(held[0].offer.id, "cli").await,
        Err(MarketError::NotHeld(_))
    ));
    assert!(matches!(
        m.discard_offer(999, "cli").await,
        Err(MarketError::OfferNotFound(999))
    ));
    assert_eq!(
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM audit_log WHERE kind = 'offer.discarded'"
        )
        .await?,
        1
    );
    f.store.verify_audit().await?;
    Ok(())
}

async fn a_held_offer_is_revealed_only_after_the_audit_names_the_actor_and_never_the_text(
    backend: Backend,
) -> anyhow::Result<()> {
    let f = Fixture::marketplace(backend).await;
    let m = market(&f);
    iban_offer_held(&f, &m).await?;
    let id = m.held_offers().await?[0].offer.id;
    let reveals = || {
        scalar(
            &f.store,
            "SELECT COUNT(*) FROM audit_log WHERE kind = 'offer.revealed'",
        )
    };

    // An actor that is not a short printable label is refused before anything is read.
    assert!(matches!(
        m.reveal_offer(id, "operator:1&text=x y").await,
        Err(MarketError::InvalidActor)
    ));
    assert!(matches!(
        m.reveal_offer(999, "operator:7").await,
        Err(MarketError::OfferNotFound(999))
    ));
    assert_eq!(reveals().await?, 0, "no event without a reveal");

    let revealed = m.reveal_offer(id, "operator:7").await?;
    let text = revealed.offer.text.map(|t| t.0).unwrap_or_default();
    assert!(text.contains("90 EUR, pay to IBAN"), "{text}");
    assert_eq!(reveals().await?, 1);
    let detail = scalar_text(
        &f,
        "SELECT detail FROM audit_log WHERE kind = 'offer.revealed'",
    )
    .await;
    assert!(detail.contains("actor=operator:7"), "{detail}");
    assert!(detail.contains(&format!("offer_id={id}")), "{detail}");
    assert!(detail.contains("reference=R-"), "{detail}");
    assert!(
        !detail.contains("EUR") && !detail.contains("IBAN") && !detail.contains("please"),
        "the text is not in the audit: {detail}"
    );
    // Still held: a reveal decides nothing. Once discarded there is no text to reveal.
    assert_eq!(m.held_offers().await?.len(), 1);
    m.discard_offer(id, "operator:7").await?;
    assert!(matches!(
        m.reveal_offer(id, "operator:7").await,
        Err(MarketError::NotHeld(_))
    ));
    assert_eq!(reveals().await?, 1);
    assert!(
        scalar_text(
            &f,
            "SELECT detail FROM audit_log WHERE kind = 'offer.discarded'"
        )
        .await
        .contains("actor=operator:7"),
        "the discard names its actor"
    );
    f.store.verify_audit().await?;
    Ok(())
}
