//! The concierge leg of `warden demo`: vendors registered the way `warden vendor add` registers
//! them, a client's request reaching the first batch of matching vendors through the outbox,
//! a masked offer relayed back, a payment redirect held for the operator, call consent and a
//! call through Twilio Voice. Twilio's REST API (Messages and Calls) is a local mock.

#![allow(
    clippy::print_stdout,
    reason = "the demo's output is its user interface"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use warden_simulators::{MockTwilioApi, Sent, TwilioSimulator};
use warden_store::Store;
use warden_types::PhoneNumber;

use super::{abbreviate, describe, indent};

/// How long the demo waits for the outbox worker to deliver (a few milliseconds in practice).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the demo watches for a message that must not come.
const QUIET_PERIOD: Duration = Duration::from_millis(400);

/// The demo's vendors: fictional numbers in Portuguese mobile ranges.
struct DemoVendor {
    name: &'static str,
    phone: &'static str,
    tags: &'static str,
    active: bool,
}

const VENDORS: [DemoVendor; 8] = [
    DemoVendor {
        name: "Lisboa Vans",
        phone: "+351912345001",
        tags: "van,wheelchair,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Tejo Transfers",
        phone: "+351912345002",
        tags: "van,wheelchair,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Alfama Mobility",
        phone: "+351912345003",
        tags: "van,wheelchair,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Belem Shuttle",
        phone: "+351912345004",
        tags: "van,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Chiado Cabs",
        phone: "+351912345005",
        tags: "taxi,wheelchair,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Baixa Minibus",
        phone: "+351912345006",
        tags: "van,city:lisbon",
        active: true,
    },
    DemoVendor {
        name: "Estrela Vans",
        phone: "+351912345007",
        tags: "van,wheelchair,city:lisbon",
        active: false,
    },
    DemoVendor {
        name: "Porto Vans",
        phone: "+351912345008",
        tags: "van,wheelchair,city:porto",
        active: true,
    },
];

/// The client's request, as the issue describes it.
const REQUEST: &str = "request wheelchair accessible van in Lisbon on Saturday";

/// What the concierge leg needs from the demo's setup.
#[derive(Debug)]
pub(super) struct Leg<'a> {
    /// Signs webhooks for the restarted gateway's Twilio channel.
    pub(super) twilio: &'a TwilioSimulator,
    pub(super) api: &'a MockTwilioApi,
    pub(super) operator: &'a crate::operator::Operator,
    pub(super) store: &'a Store,
    /// The client (allowlisted).
    pub(super) client: &'a PhoneNumber,
}

/// Every way a number might be written that must not leak: E.164 with and without `+`, and
/// the national part (everything after the country code).
fn needles(phone: &PhoneNumber, country_code_len: usize) -> Vec<String> {
    let digits = phone.as_e164().trim_start_matches('+').to_owned();
    let national = digits.get(country_code_len..).unwrap_or("").to_owned();
    vec![phone.as_e164().to_owned(), digits, national]
}

fn contains_any(text: &str, needles: &[String]) -> bool {
    // Without the separators people put in numbers, so that "912 345 001" counts.
    let squeezed: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+'))
        .collect();
    needles.iter().any(|n| {
        let n: String = n.chars().filter(char::is_ascii_digit).collect();
        !n.is_empty() && squeezed.contains(&n)
    })
}

/// The concierge leg. Returns nothing; fails if any control misbehaves.
pub(super) async fn run_leg(leg: &Leg<'_>) -> anyhow::Result<()> {
    println!(
        "\n━━ Concierge leg: a request reaches vendors without the client's number; offers come \
         back masked ━━"
    );
    let start_seq = head_seq(leg.store).await?;

    println!(
        "\n— The operator registers {} vendors (warden vendor add, each audited vendor.changed) \
         and disables one (warden vendor disable):",
        VENDORS.len()
    );
    let mut ids = Vec::with_capacity(VENDORS.len());
    for v in &VENDORS {
        let id = leg
            .operator
            .register_vendor(v.name, v.phone, v.tags, "cli")
            .await
            .context("registering a vendor")?;
        if !v.active {
            leg.operator
                .set_vendor_active(id.0, false, "cli")
                .await
                .context("disabling a vendor")?;
        }
        ids.push(id.0);
    }
    for v in leg.operator.vendors().await.context("listing vendors")? {
        println!(
            "  {:>3}  {:<8} {}  {:<16} [{}]",
            v.id.0,
            if v.active { "active" } else { "disabled" },
            v.phone.masked(),
            v.business_name.as_str(),
            v.tags.comma_separated()
        );
    }

    println!("\n— The client asks the concierge:");
    let reply = say(leg.twilio, leg.client, REQUEST, REQUEST).await?;
    let reference = reply
        .as_deref()
        .and_then(find_reference)
        .context("the request was not given a reference")?;
    anyhow::ensure!(
        reply
            .as_deref()
            .is_some_and(|r| r.starts_with("Request R-")),
        "the request was not recorded"
    );

    println!(
        "\n— The first batch (at most 5 vendors, planned in the request's own transaction) \
         leaves through the outbox to Twilio's Messages API:"
    );
    let arrived = leg.api.wait_for_messages(5, DELIVERY_TIMEOUT).await;
    anyhow::ensure!(arrived, "the first batch did not reach the Twilio API");
    // Anything more would be a sixth vendor: give it a moment to show up if it exists.
    tokio::time::sleep(QUIET_PERIOD).await;
    let mut outreach = leg.api.messages_since(0);
    // Sent concurrently: show them in vendor order.
    outreach.sort_by_key(|s| VENDORS.iter().position(|v| v.phone == s.to));
    anyhow::ensure!(
        outreach.len() == 5,
        "expected a first batch of 5, got {}",
        outreach.len()
    );
    let client_needles = needles(leg.client, 1);
    let mut contacted = Vec::new();
    for send in &outreach {
        let i = VENDORS
            .iter()
            .position(|v| v.phone == send.to)
            .context("a message went to someone who is not a vendor")?;
        anyhow::ensure!(
            VENDORS
                .get(i)
                .is_some_and(|v| v.active && v.tags.contains("city:lisbon")),
            "a disabled or out-of-town vendor was contacted"
        );
        contacted.push(i);
        println!(
            "  ⇒ Twilio API received for {} (vendor {}, {})",
            send.to_masked(),
            ids.get(i).copied().unwrap_or_default(),
            VENDORS.get(i).map_or("", |v| v.name)
        );
        anyhow::ensure!(
            send.body.contains(&reference),
            "outreach without the reference"
        );
        anyhow::ensure!(
            !contains_any(&send.body, &client_needles),
            "the client's number reached a vendor"
        );
    }
    if let Some(first) = outreach.first() {
        println!(
            "  what {} received:{}",
            first.to_masked(),
            indent(&first.body)
        );
    }
    println!(
        "  client number: not present (checked in all {} messages)",
        outreach.len()
    );
    for (i, v) in VENDORS.iter().enumerate() {
        if contacted.contains(&i) {
            continue;
        }
        let why = if !v.active {
            "disabled"
        } else if v.tags.contains("city:lisbon") {
            "next batch, in 30 minutes (WARDEN_MARKET_BATCH_INTERVAL_SECS)"
        } else {
            "another city"
        };
        println!(
            "  not contacted: vendor {} ({}): {why}",
            ids.get(i).copied().unwrap_or_default(),
            v.name
        );
    }

    let offering = &VENDORS[0];
    let offering_phone = PhoneNumber::parse(offering.phone).context("vendor number")?;
    let offering_needles = needles(&offering_phone, 3);
    println!(
        "\n— {} replies with an offer, quoting the reference and a number of its own:",
        offering.name
    );
    let before = leg.api.messages_since(0).len();
    let offer =
        format!("{reference}: 95 EUR for the day, ramp included. Call us on +351 912 345 001.");
    let shown = format!("{reference}: 95 EUR for the day, ramp included. Call us on <its number>.");
    let reply = say(leg.twilio, &offering_phone, &offer, &shown).await?;
    anyhow::ensure!(
        reply.as_deref().is_some_and(|r| r.contains("passed on")),
        "the vendor was not thanked"
    );
    let relayed = expect_message(leg.api, before, leg.client, "the relayed offer").await?;
    anyhow::ensure!(
        relayed
            .body
            .contains(&format!("Offer 1 for {reference} from {}", offering.name)),
        "the offer was not relayed with the business name"
    );
    anyhow::ensure!(
        !contains_any(&relayed.body, &offering_needles),
        "the vendor's number reached the client"
    );
    println!("  vendor number: masked (not in the relayed text)");

    let redirecting = &VENDORS[1];
    let redirecting_phone = PhoneNumber::parse(redirecting.phone).context("vendor number")?;
    println!(
        "\n— {} asks to be paid to a new IBAN: held for the operator, not relayed:",
        redirecting.name
    );
    let before = leg.api.messages_since(0).len();
    let redirect = format!(
        "{reference} 80 EUR. Our bank details changed: pay to this new IBAN \
         GB82 WEST 1234 5698 7654 32 before Saturday."
    );
    let reply = say(leg.twilio, &redirecting_phone, &redirect, &redirect).await?;
    anyhow::ensure!(
        reply.as_deref().is_some_and(|r| r.contains("reviewed")),
        "the vendor was not told its reply is under review"
    );
    let sent = leg.api.wait_for_messages(before + 1, QUIET_PERIOD).await;
    anyhow::ensure!(!sent, "a held reply reached someone");
    println!(
        "  ⇒ Twilio API received nothing in {} ms",
        QUIET_PERIOD.as_millis()
    );
    println!("\n— warden offers held:");
    let held = leg
        .operator
        .held_offers()
        .await
        .context("reading held offers")?;
    for h in &held {
        println!(
            "  {:>3}  vendor={} request={} reasons={}",
            h.offer.id,
            h.offer.vendor.0,
            h.reference.as_ref().map_or("-", |r| r.as_str()),
            h.offer.reasons
        );
    }
    println!("  offers held: {}", held.len());
    anyhow::ensure!(
        held.len() == 1 && held.iter().all(|h| h.offer.reasons.contains("iban")),
        "expected one reply held for its IBAN"
    );

    println!("\n— The client consents to a call (calling is on in this demo):");
    let reply = say(
        leg.twilio,
        leg.client,
        "consent call yes",
        "consent call yes",
    )
    .await?;
    anyhow::ensure!(
        reply
            .as_deref()
            .is_some_and(|r| r.contains("consent granted")),
        "consent was not granted"
    );

    println!(
        "\n— The client accepts offer 1: only now they get the vendor's number (masked here), the \
         vendor is told, and Twilio Voice rings the client:"
    );
    let before = leg.api.messages_since(0).len();
    let accept = format!("accept {reference} 1");
    let reply = say_masking(leg.twilio, leg.client, &accept, &[&offering_phone]).await?;
    anyhow::ensure!(
        reply
            .as_deref()
            .is_some_and(|r| r.contains("You accepted offer 1")),
        "the offer was not accepted"
    );
    let told = expect_message(leg.api, before, &offering_phone, "the vendor's notice").await?;
    anyhow::ensure!(
        told.body.contains("accepted your offer") && !contains_any(&told.body, &client_needles),
        "the vendor's notice is wrong or holds the client's number"
    );
    println!("  client number: not present");
    let calls = leg.api.calls();
    let [(call, call_sid)] = calls.as_slice() else {
        anyhow::bail!("expected one call, got {}", calls.len());
    };
    anyhow::ensure!(
        call.to == leg.client.as_e164() && call.body.contains("<Say>"),
        "the call went elsewhere"
    );
    println!(
        "  ⇒ Twilio Voice received a call to {} → 201 {}\n     it says: {}",
        call.to_masked(),
        abbreviate(call_sid, 12),
        call.body
            .trim_start_matches("<Response><Say>")
            .trim_end_matches("</Say></Response>")
    );
    anyhow::ensure!(
        leg.api.refused() == 0,
        "the mock Twilio API refused a request"
    );

    println!("\n— Audit events of this leg (kinds and codes only: no text, names or numbers):");
    let rows = audit_since(leg.store, start_seq).await?;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *kinds.entry(r.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in &kinds {
        println!("  {kind:<28} ×{n}");
    }
    for r in rows.iter().filter(|r| {
        r.kind.starts_with("calling.") || r.kind == "offer.held" || r.kind == "offer.relayed"
    }) {
        println!("  {:>4}  {:<24} {}", r.seq, r.kind, r.detail);
    }
    for kind in [
        "vendor.changed",
        "marketplace.request_created",
        "outreach.sent",
        "offer.relayed",
        "offer.held",
        "calling.consent_changed",
        "calling.placed",
    ] {
        anyhow::ensure!(kinds.contains_key(kind), "no {kind} in the audit log");
    }
    anyhow::ensure!(
        rows.iter().any(|r| r.kind == "calling.placed"
            && r.detail.contains("placed")
            && r.detail.contains("call_sid")),
        "the placed call was not audited with its sid"
    );
    Ok(())
}

/// Sends `body` from `who`, prints `shown`, returns the TwiML reply.
pub(super) async fn say(
    twilio: &TwilioSimulator,
    who: &PhoneNumber,
    body: &str,
    shown: &str,
) -> anyhow::Result<Option<String>> {
    let ex = twilio.send(who, body).await?;
    println!(
        "  → {} {shown:?}\n  ← {} {}",
        who.masked(),
        ex.status,
        describe(&ex)
    );
    anyhow::ensure!(
        ex.status == 200,
        "step {shown:?}: expected HTTP 200, got {}",
        ex.status
    );
    Ok(ex.reply())
}

/// As [`say`], masking `numbers` in the printed reply (the reply itself is unchanged).
async fn say_masking(
    twilio: &TwilioSimulator,
    who: &PhoneNumber,
    body: &str,
    numbers: &[&PhoneNumber],
) -> anyhow::Result<Option<String>> {
    let ex = twilio.send(who, body).await?;
    let mut shown = describe(&ex);
    for n in numbers {
        shown = shown.replace(n.as_e164(), &n.masked());
    }
    println!("  → {} {body:?}\n  ← {} {shown}", who.masked(), ex.status);
    anyhow::ensure!(
        ex.status == 200,
        "step {body:?}: expected HTTP 200, got {}",
        ex.status
    );
    Ok(ex.reply())
}

/// Waits for exactly one more message at the Twilio API, to `to`, and prints it.
async fn expect_message(
    api: &MockTwilioApi,
    before: usize,
    to: &PhoneNumber,
    what: &str,
) -> anyhow::Result<Sent> {
    let started = Instant::now();
    let arrived = api.wait_for_messages(before + 1, DELIVERY_TIMEOUT).await;
    anyhow::ensure!(arrived, "{what} did not reach the Twilio API");
    let sends = api.messages_since(before);
    let [send] = sends.as_slice() else {
        anyhow::bail!("{what}: expected one message, got {}", sends.len());
    };
    anyhow::ensure!(send.to == to.as_e164(), "{what} went to another number");
    println!(
        "  ⇒ Twilio API received for {} after {} ms:{}",
        send.to_masked(),
        started.elapsed().as_millis(),
        indent(&send.body)
    );
    Ok(send.clone())
}

/// The first `R-XXXXXX` reference in `text`.
fn find_reference(text: &str) -> Option<String> {
    text.match_indices("R-").find_map(|(i, _)| {
        let candidate = text.get(i..i + 8)?;
        warden_marketplace::RequestRef::parse(candidate)
            .ok()
            .map(|_| candidate.to_owned())
    })
}

/// The audit log's current head.
pub(super) async fn head_seq(store: &Store) -> anyhow::Result<i64> {
    Ok(audit_since(store, i64::MIN)
        .await?
        .last()
        .map_or(0, |r| r.seq))
}

/// Every audit row after `seq`.
pub(super) async fn audit_since(
    store: &Store,
    seq: i64,
) -> anyhow::Result<Vec<warden_audit::AuditRecord>> {
    let mut out = Vec::new();
    let mut after = seq;
    loop {
        let page = store
            .audit_records(after, 500)
            .await
            .context("reading the audit log")?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        after = last.seq;
        out.extend(page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_reference_and_spots_numbers_in_any_grouping() {
        assert_eq!(
            find_reference("Request R-7F3K2Q recorded (van)").as_deref(),
            Some("R-7F3K2Q")
        );
        assert_eq!(find_reference("no reference here"), None);
        let phone = PhoneNumber::parse("+351912345001").unwrap();
        let n = needles(&phone, 3);
        assert!(contains_any("call 912 345 001", &n));
        assert!(contains_any("call +351 912345001", &n));
        assert!(!contains_any("95 EUR for the day", &n));
    }
}
