//! The concierge marketplace end to end: a client's request reaches registered vendors under
//! the outreach ceilings, their offers come back masked, payment redirects are held, calls need
//! unexpired consent, and no vendor ever learns the client's number — on Twilio and on Meta.

use anyhow::{Context, Result};
use warden_simulators::{MockGraph, MockTwilioApi, TWILIO_ACCOUNT_SID};

use crate::support::{Backend, Gateway, Person, Settings, ALICE, BOB, MINUTE_MS, SETTLE};

on_both_backends!(
    client_request_reaches_at_most_15_matching_vendors_in_batches_of_5,
    vendor_offer_is_relayed_with_the_vendor_number_masked,
    client_flood_is_cut_off_by_the_rate_limit,
    vendor_payment_redirect_reply_is_held_for_review,
    call_needs_unexpired_consent,
    no_client_number_ever_reaches_a_vendor,
    marketplace_flow_over_meta,
);

/// Vendors that write back (fictional numbers in Portuguese mobile ranges).
const LISBOA_VANS: Person = Person {
    e164: "+351912345001",
    national: "912345001",
    local: "",
};
const PORTO_TAXIS: Person = Person {
    e164: "+351912345002",
    national: "912345002",
    local: "",
};

const REQUEST: &str = "request wheelchair accessible van in Lisbon on Saturday";

/// What Twilio's Messages API was asked to send: `(to, body)` in order.
fn twilio_sends(api: &MockTwilioApi) -> Vec<(String, String)> {
    api.messages().into_iter().map(|s| (s.to, s.body)).collect()
}

/// Calls Twilio's Calls API was asked to place to `who`.
fn calls_to(api: &MockTwilioApi, who: Person) -> usize {
    api.calls().iter().filter(|(c, _)| c.to == who.e164).count()
}

/// The reference of the client's newest request.
async fn newest_reference(gw: &Gateway) -> Result<String> {
    gw.query_string("SELECT reference AS s FROM marketplace_requests ORDER BY id DESC")
        .await?
        .context("no request")
}

/// A gateway with the marketplace on, Twilio replies in TwiML, outreach through the mocked
/// REST API.
async fn twilio_market(backend: Backend, api: &MockTwilioApi, more: Settings) -> Result<Gateway> {
    Gateway::start_with(
        backend,
        more.allow(&[ALICE, BOB]).market().twilio_rest(&api.url()),
    )
    .await
}

async fn client_request_reaches_at_most_15_matching_vendors_in_batches_of_5(
    backend: Backend,
) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(backend, &api, Settings::new()).await?;
    for i in 0..20 {
        gw.add_vendor(
            &format!("Van Co {i}"),
            &format!("+3519123451{i:02}"),
            "van,wheelchair,city:lisbon",
        )
        .await?;
    }
    // Elsewhere, or something else: never contacted.
    gw.add_vendor("Porto Vans", "+351912345190", "van,city:porto")
        .await?;
    gw.add_vendor("Lisbon Boats", "+351912345191", "boat,city:lisbon")
        .await?;

    let reply = gw.say(ALICE, REQUEST).await?.context("a reply")?;
    assert!(reply.starts_with("Request R-"), "{reply}");
    assert_eq!(gw.count_kind("outreach.sent").await?, 5, "first batch");

    for (batch, total) in [(2, 10), (3, 15)] {
        gw.clock.advance_ms(30 * MINUTE_MS);
        gw.wait_until(&format!("batch {batch}"), SETTLE, || async {
            Ok(gw.count_kind("outreach.sent").await? >= total)
        })
        .await?;
        assert_eq!(gw.count_kind("outreach.sent").await?, total);
    }
    // Exhausted: the budget of 15 is spent, whatever time passes.
    for _ in 0..2 {
        gw.clock.advance_ms(30 * MINUTE_MS);
        assert_eq!(
            gw.plan_now().await?.enqueued,
            0,
            "no batch after the budget"
        );
    }
    assert_eq!(gw.count_kind("outreach.sent").await?, 15);
    assert_eq!(gw.count("market_contacts").await?, 15);
    assert_eq!(
        gw.query_i64(
            "SELECT COUNT(*) AS n FROM marketplace_requests WHERE next_batch_ms IS NOT NULL"
        )
        .await?,
        0,
        "the request is no longer scheduled"
    );
    // No batch larger than 5.
    assert_eq!(
        gw.query_i64(
            "SELECT COALESCE(MAX(c), 0) AS n FROM (SELECT COUNT(*) AS c FROM market_contacts \
             GROUP BY contacted_ms) AS b"
        )
        .await?,
        5
    );
    gw.outbox_settled().await?;
    let sends = twilio_sends(&api);
    let to_vendors: Vec<_> = sends
        .iter()
        .filter(|(to, _)| to.starts_with("+351"))
        .collect();
    assert_eq!(to_vendors.len(), 15);
    assert!(
        to_vendors
            .iter()
            .all(|(to, _)| to != "+351912345190" && to != "+351912345191"),
        "a non-matching vendor was contacted"
    );
    gw.finish().await
}

async fn vendor_offer_is_relayed_with_the_vendor_number_masked(backend: Backend) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(backend, &api, Settings::new()).await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;
    gw.say(ALICE, REQUEST).await?;
    let reference = newest_reference(&gw).await?;
    gw.outbox_settled().await?;
    let outreach = twilio_sends(&api);
    assert!(
        outreach
            .iter()
            .any(|(to, body)| to == LISBOA_VANS.e164 && body.contains(&reference)),
        "the vendor was told the reference"
    );

    let thanks = gw
        .say(
            LISBOA_VANS,
            &format!("{reference}: 120 EUR for the day. Call us on +351 912 345 001 or 912345001."),
        )
        .await?
        .context("the vendor is answered")?;
    assert!(thanks.contains("passed on"), "{thanks}");
    gw.outbox_settled().await?;
    let sends = twilio_sends(&api);
    let (_, offer) = sends
        .iter()
        .find(|(to, body)| to == ALICE.e164 && body.starts_with("Offer "))
        .context("the client got the offer")?;
    assert!(
        offer.contains(&format!("Offer 1 for {reference} from Lisboa Vans")),
        "{offer}"
    );
    assert!(offer.contains("120 EUR"), "{offer}");
    for needle in LISBOA_VANS.needles() {
        assert!(
            !offer.contains(needle),
            "the vendor's number reached the client: {offer}"
        );
    }
    assert_eq!(gw.count_kind("offer.relayed").await?, 1);
    gw.finish().await
}

async fn client_flood_is_cut_off_by_the_rate_limit(backend: Backend) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(
        backend,
        &api,
        Settings::new()
            .rate_limit(3)
            .market_env("WARDEN_MARKET_MAX_OPEN_REQUESTS", "10"),
    )
    .await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;
    for i in 0..8 {
        gw.send(ALICE, &format!("request van in Lisbon number {i}"))
            .await?;
    }
    assert_eq!(gw.count("marketplace_requests").await?, 3);
    assert_eq!(gw.count_kind("marketplace.request_created").await?, 3);
    assert!(gw.count_kind("ratelimit.exceeded").await? >= 5);
    // A vendor flooding back is cut off the same way.
    let reference = newest_reference(&gw).await?;
    for i in 0..8 {
        gw.send(LISBOA_VANS, &format!("{reference} offer {i}: 100 EUR"))
            .await?;
    }
    assert!(
        gw.count_kind("offer.relayed").await? + gw.count_kind("offer.held").await? <= 3,
        "more vendor messages than the rate limit reached the marketplace"
    );
    gw.finish().await
}

async fn vendor_payment_redirect_reply_is_held_for_review(backend: Backend) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(backend, &api, Settings::new()).await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;
    gw.say(ALICE, REQUEST).await?;
    let reference = newest_reference(&gw).await?;
    gw.outbox_settled().await?;
    let before = twilio_sends(&api).len();

    let reply = gw
        .say(
            LISBOA_VANS,
            &format!(
                "{reference} 120 EUR. Our bank details changed: please pay to our new account \
                 IBAN GB82 WEST 1234 5698 7654 32 before Saturday."
            ),
        )
        .await?
        .context("the vendor is answered")?;
    assert!(reply.contains("reviewed"), "{reply}");
    gw.outbox_settled().await?;
    let after = twilio_sends(&api);
    assert!(
        after[before..].iter().all(|(to, _)| to != ALICE.e164),
        "a payment redirect reached the client"
    );
    assert_eq!(gw.count_kind("offer.held").await?, 1);
    assert_eq!(gw.count_kind("offer.relayed").await?, 0);

    // `warden offers held` lists it for review.
    let held = gw.operator().held_offers().await?;
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].reference.as_ref().map(|r| r.as_str()),
        Some(reference.as_str())
    );
    assert!(
        held[0].offer.reasons.contains("iban"),
        "{:?}",
        held[0].offer.reasons
    );
    gw.finish().await
}

async fn call_needs_unexpired_consent(backend: Backend) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(backend, &api, Settings::new().calling()).await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;

    // One request with an offer, accepted by the client: the flow that triggers a call.
    let offer_and_accept = |label: &'static str| {
        let gw = &gw;
        async move {
            gw.clock.advance_ms(6 * MINUTE_MS); // past the vendor's cooldown
            gw.say(ALICE, &format!("{REQUEST} ({label})")).await?;
            let reference = newest_reference(gw).await?;
            gw.say(LISBOA_VANS, &format!("{reference} 100 EUR")).await?;
            Ok::<String, anyhow::Error>(reference)
        }
    };

    // Without consent: refused, audited, nobody rings.
    let r1 = offer_and_accept("first").await?;
    let reply = gw.say(ALICE, &format!("accept {r1} 1")).await?;
    assert!(reply.is_some_and(|r| r.contains("You accepted offer 1")));
    assert_eq!(gw.count_kind("calling.consent_denied").await?, 1);
    assert_eq!(calls_to(&api, ALICE), 0);

    // With consent: placed through Twilio Voice, audited authorized then placed.
    gw.say(ALICE, "consent call yes").await?;
    assert_eq!(gw.count_kind("calling.consent_changed").await?, 1);
    let r2 = offer_and_accept("second").await?;
    gw.say(ALICE, &format!("accept {r2} 1")).await?;
    assert_eq!(calls_to(&api, ALICE), 1);
    let placed = gw
        .query_i64(
            "SELECT COUNT(*) AS n FROM audit_log WHERE kind = 'calling.placed' \
             AND detail LIKE '%outcome=placed%'",
        )
        .await?;
    assert_eq!(placed, 1, "the placed call is audited with its outcome");

    // After the consent expired (24 h by default): refused again.
    let r3 = offer_and_accept("third").await?;
    gw.clock.advance_ms(24 * 60 * MINUTE_MS);
    gw.say(ALICE, &format!("accept {r3} 1")).await?;
    assert_eq!(gw.count_kind("calling.consent_expired").await?, 1);
    assert_eq!(calls_to(&api, ALICE), 1, "no call after expiry");
    let consents = gw.operator().consents().await?;
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].1.as_str(), "granted");
    gw.finish().await
}

async fn no_client_number_ever_reaches_a_vendor(backend: Backend) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw = twilio_market(backend, &api, Settings::new()).await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;
    gw.add_vendor("Porto Taxis", PORTO_TAXIS.e164, "van,taxi,city:lisbon")
        .await?;
    for body in [
        format!("request van in Lisbon, call me on {}", ALICE.e164),
        format!(
            "request wheelchair van in Lisbon, my number is {}",
            ALICE.national
        ),
        "request van in Lisbon, ring (415) 555-0101 or 415.555.0101".to_owned(),
    ] {
        gw.clock.advance_ms(6 * MINUTE_MS);
        gw.say(ALICE, &body).await?;
    }
    let reference = newest_reference(&gw).await?;
    gw.say(LISBOA_VANS, &format!("{reference} 90 EUR")).await?;
    gw.say(ALICE, &format!("accept {reference} 1")).await?;
    gw.outbox_settled().await?;

    let sends = twilio_sends(&api);
    let vendor_bound: Vec<&(String, String)> = sends
        .iter()
        .filter(|(to, _)| to == LISBOA_VANS.e164 || to == PORTO_TAXIS.e164)
        .collect();
    assert!(
        vendor_bound.len() >= 4,
        "{} vendor messages",
        vendor_bound.len()
    );
    for (_, body) in vendor_bound {
        for needle in ALICE.needles() {
            assert!(
                !body.contains(needle),
                "the client's number reached a vendor: {body}"
            );
        }
        assert!(
            !body.contains("555-0101") && !body.contains("555.0101"),
            "{body}"
        );
    }
    gw.finish().await
}

async fn marketplace_flow_over_meta(backend: Backend) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE])
            .meta(&graph.url())
            .without_twilio()
            .market(),
    )
    .await?;
    gw.add_vendor(
        "Lisboa Vans",
        LISBOA_VANS.e164,
        "van,wheelchair,city:lisbon",
    )
    .await?;

    let answer = gw.meta.send(&ALICE.phone(), REQUEST).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    gw.outbox_settled().await?;
    let token = secrecy::ExposeSecret::expose_secret(&gw.secrets.meta_access_token).to_owned();
    let sends = graph.sends(&token)?;
    let reference = newest_reference(&gw).await?;
    assert!(sends
        .iter()
        .any(|s| s.to == ALICE.e164 && s.body.starts_with(&format!("Request {reference}"))));
    assert!(sends
        .iter()
        .any(|s| s.to == LISBOA_VANS.e164 && s.body.contains(&reference)));

    let answer = gw
        .meta
        .send(
            &LISBOA_VANS.phone(),
            &format!("{reference} 150 EUR, ring 912 345 001"),
        )
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    gw.outbox_settled().await?;
    let sends = graph.sends(&token)?;
    let offer = sends
        .iter()
        .find(|s| s.to == ALICE.e164 && s.body.starts_with("Offer 1"))
        .context("the client got the offer over Meta")?;
    assert!(offer.body.contains("150 EUR"), "{}", offer.body);
    assert!(!offer.body.contains("912 345 001"), "{}", offer.body);
    assert!(sends
        .iter()
        .any(|s| s.to == LISBOA_VANS.e164 && s.body.contains("passed on")));
    for s in sends.iter().filter(|s| s.to == LISBOA_VANS.e164) {
        for needle in ALICE.needles() {
            assert!(!s.body.contains(needle), "{}", s.body);
        }
    }
    gw.finish().await
}
