//! The console's Marketplace page: a held vendor reply shows by reason code, its text only on
//! an explicit reveal that is audited with the operator (never the text); release reaches the
//! client; vendor changes name their operator; an auditor can neither reveal, decide nor add.

use anyhow::{ensure, Context, Result};
use reqwest::header;
use reqwest::StatusCode;
use warden_operators::Role;
use warden_simulators::{MockTwilioApi, TWILIO_ACCOUNT_SID};

use super::browser::{http, http_login, post, Browser};
use crate::admin::{account, code, PASSWORD};
use crate::support::{AuditRow, Backend, Gateway, Person, Settings, ALICE, SETTLE};

on_both_backends!(
    an_operator_reveals_and_releases_a_held_offer_in_the_browser_and_the_client_receives_it,
    an_auditor_sees_held_offers_without_text_or_controls_and_forged_posts_change_nothing,
    a_vendor_with_an_invalid_number_gets_a_clear_refusal_and_vendor_changes_name_the_operator,
    the_marketplace_page_says_when_the_marketplace_is_off,
    the_api_reveals_a_held_offer_to_an_operator_and_audits_it_and_an_auditor_gets_403,
);

/// A vendor (a fictional number in a Portuguese mobile range).
const VENDOR: Person = Person {
    e164: "+351912345001",
    national: "912345001",
    local: "",
};
const REQUEST: &str = "request wheelchair accessible van in Lisbon on Saturday";
/// What the vendor writes after the reference: a payment redirect the output guard holds.
const REDIRECT: &str = "120 EUR. Our bank details changed: please pay to our new account IBAN \
                        GB82 WEST 1234 5698 7654 32 before Saturday.";
/// Words of the held text that must not show before a reveal, nor ever in the audit log.
const TEXT_NEEDLES: [&str; 3] = ["bank details", "GB82", "120 EUR"];

/// A gateway with the console and the marketplace on (outreach and relays through `api`), one
/// vendor, Alice's request, and the vendor's reply held by the output guard: its offer id and
/// the request's reference.
async fn held_offer(backend: Backend, api: &MockTwilioApi) -> Result<(Gateway, i64, String)> {
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .allow(&[ALICE])
            .market()
            .twilio_rest(&api.url()),
    )
    .await?;
    gw.add_vendor("Lisboa Vans", VENDOR.e164, "van,wheelchair,city:lisbon")
        .await?;
    gw.say(ALICE, REQUEST).await?;
    let reference = gw
        .query_string("SELECT reference AS s FROM marketplace_requests ORDER BY id DESC")
        .await?
        .context("no request")?;
    let reply = gw
        .say(VENDOR, &format!("{reference} {REDIRECT}"))
        .await?
        .context("the vendor is answered")?;
    ensure!(reply.contains("reviewed"), "held: {reply}");
    let held = gw.operator().held_offers().await?;
    ensure!(held.len() == 1, "one held offer: {held:?}");
    Ok((gw, held[0].offer.id, reference))
}

fn the_text_is_absent(what: &str, body: &str) -> Result<()> {
    for needle in TEXT_NEEDLES {
        ensure!(
            !body.contains(needle),
            "{what} shows the held text ({needle})"
        );
    }
    Ok(())
}

fn only(rows: &[AuditRow], kind: &str) -> Result<AuditRow> {
    let found: Vec<&AuditRow> = rows.iter().filter(|e| e.kind == kind).collect();
    ensure!(found.len() == 1, "one {kind}: {found:?}");
    Ok(found[0].clone())
}

/// The CSRF token of a page's forms (every page a signed-in operator gets has the logout form).
fn csrf_of(page: &str) -> Result<String> {
    let at = page
        .find("name=\"csrf\" value=\"")
        .context("a CSRF field")?;
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    Ok(rest[..rest.find('"').context("the token's end")?].to_owned())
}

async fn get_page(gw: &Gateway, path: &str, cookies: &str) -> Result<(StatusCode, String)> {
    let r = http()?
        .get(format!("{}{path}", gw.admin_url()))
        .header(header::COOKIE, cookies)
        .send()
        .await?;
    Ok((r.status(), r.text().await?))
}

/// The Marketplace page's add-vendor form, posted with `phone`.
async fn add_vendor(
    gw: &Gateway,
    cookies: &str,
    csrf: &str,
    phone: &str,
) -> Result<reqwest::Response> {
    post(
        gw,
        "/console/marketplace/vendors/add",
        cookies,
        &gw.admin_url(),
        &[
            ("csrf", csrf),
            ("name", "Lisboa Vans"),
            ("phone", phone),
            ("tags", "van,wheelchair,city:lisbon"),
        ],
    )
    .await
}

async fn an_operator_reveals_and_releases_a_held_offer_in_the_browser_and_the_client_receives_it(
    backend: Backend,
) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let (gw, id, reference) = held_offer(backend, &api).await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/login").await?;
    b.log_in(&gw, &op).await?;

    // Held: listed by reason code, without its text; the vendor's number masked.
    b.goto(&gw, "/console/marketplace").await?;
    let page = b.client.source().await?;
    the_text_is_absent("the marketplace page", &page)?;
    let held = b.text("section[aria-labelledby=held] tbody").await?;
    ensure!(
        held.contains(&reference) && held.contains("iban"),
        "the offer and its reasons: {held}"
    );
    for needle in VENDOR.needles() {
        ensure!(!page.contains(needle), "the vendor's number is masked");
    }
    b.check_page("marketplace").await?;

    // Revealed on the answer page, and audited with the operator, never the text.
    b.click(&format!("button[aria-label='Reveal text of offer {id}']"))
        .await?;
    ensure!(
        b.path().await? == "/console/marketplace/offers/reveal",
        "{}",
        b.path().await?
    );
    ensure!(b.text("h1").await? == format!("Held offer {id}"));
    let shown = b.text("blockquote.held-text").await?;
    ensure!(
        shown.contains("Our bank details changed") && shown.contains(&reference),
        "the text as written: {shown}"
    );
    b.check_page("offer-revealed").await?;
    let audit = gw.audit().await?;
    let revealed = only(&audit, "offer.revealed")?;
    ensure!(
        revealed
            .detail
            .contains(&format!("actor=operator:{}", op.id.0))
            && revealed.detail.contains(&format!("offer_id={id}")),
        "{}",
        revealed.detail
    );
    for row in &audit {
        the_text_is_absent(&format!("audit row {}", row.seq), &row.detail)?;
    }

    // Released from the answer page: the client gets it through the provider, masked.
    let before = api.messages().len();
    b.click(&format!(
        "button[aria-label='Release offer {id} to its client']"
    ))
    .await?;
    ensure!(
        b.path().await? == "/console/marketplace?done=released",
        "{}",
        b.path().await?
    );
    ensure!(b.text("[role=status]").await?.starts_with("Offer released"));
    ensure!(
        b.text("section[aria-labelledby=held]")
            .await?
            .contains("None."),
        "nothing is held any more"
    );
    b.check_page("marketplace-released").await?;
    gw.wait_until("the offer to reach the client", SETTLE, || async {
        Ok(api.messages().len() > before)
    })
    .await?;
    let sent = api.messages();
    let offer = sent[before..]
        .iter()
        .find(|m| m.to == ALICE.e164)
        .context("a message to the client")?;
    ensure!(
        offer
            .body
            .starts_with(&format!("Offer 1 for {reference} from Lisboa Vans"))
            && offer.body.contains("120 EUR"),
        "{}",
        offer.body
    );
    let relayed = only(&gw.audit().await?, "offer.relayed")?;
    ensure!(
        relayed.detail.contains("released=true")
            && relayed
                .detail
                .contains(&format!("actor=operator:{}", op.id.0)),
        "{}",
        relayed.detail
    );
    gw.finish().await
}

async fn an_auditor_sees_held_offers_without_text_or_controls_and_forged_posts_change_nothing(
    backend: Backend,
) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let (gw, id, reference) = held_offer(backend, &api).await?;
    let auditor = account(&gw, "audrey", Role::Auditor).await?;
    let (cookies, _) = http_login(&gw, &auditor, "/console/marketplace").await?;
    let (status, page) = get_page(&gw, "/console/marketplace", &cookies).await?;
    ensure!(status == StatusCode::OK, "{status}");
    ensure!(
        page.contains(&reference) && page.contains("<code>iban</code>"),
        "an auditor reads held offers by reason"
    );
    the_text_is_absent("the auditor's page", &page)?;
    ensure!(
        !page.contains("/console/marketplace/offers/")
            && !page.contains("/console/marketplace/vendors/"),
        "no reveal, decision or vendor control: {page}"
    );

    let csrf = csrf_of(&page)?;
    let origin = gw.admin_url();
    let id = id.to_string();
    let before = gw.audit().await?.len();
    for (path, form) in [
        (
            "/console/marketplace/offers/reveal",
            vec![("csrf", csrf.as_str()), ("id", id.as_str())],
        ),
        (
            "/console/marketplace/offers/release",
            vec![("csrf", csrf.as_str()), ("id", id.as_str())],
        ),
        (
            "/console/marketplace/vendors/add",
            vec![
                ("csrf", csrf.as_str()),
                ("name", "Porto Taxis"),
                ("phone", "+351912345002"),
                ("tags", "van,city:lisbon"),
            ],
        ),
    ] {
        let r = post(&gw, path, &cookies, &origin, &form).await?;
        ensure!(
            r.status() == StatusCode::FORBIDDEN,
            "{path}: {}",
            r.status()
        );
        the_text_is_absent(path, &r.text().await?)?;
    }
    ensure!(
        gw.audit().await?.len() == before,
        "nothing was revealed, released or added"
    );
    ensure!(gw.operator().held_offers().await?.len() == 1, "still held");
    ensure!(gw.operator().vendors().await?.len() == 1, "no vendor added");
    // The token was valid: the one post an auditor may make, logging out, goes through.
    let r = post(
        &gw,
        "/console/logout",
        &cookies,
        &origin,
        &[("csrf", &csrf)],
    )
    .await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "{}", r.status());
    gw.finish().await
}

async fn a_vendor_with_an_invalid_number_gets_a_clear_refusal_and_vendor_changes_name_the_operator(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .market()
            .twilio_rest("http://127.0.0.1:9"),
    )
    .await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let (cookies, _) = http_login(&gw, &op, "/console/marketplace").await?;
    let (_, page) = get_page(&gw, "/console/marketplace", &cookies).await?;
    let csrf = csrf_of(&page)?;
    let origin = gw.admin_url();
    // The UK drama range has the E.164 shape but is no number a phone can have.
    let r = add_vendor(&gw, &cookies, &csrf, "+447700900123").await?;
    ensure!(r.status() == StatusCode::BAD_REQUEST, "{}", r.status());
    let body = r.text().await?;
    ensure!(
        body.contains("role=\"alert\"")
            && body.contains("The vendor was not added. Number: is not a valid phone number."),
        "{body}"
    );
    ensure!(!body.contains("447700900123"), "the input is not echoed");
    ensure!(gw.operator().vendors().await?.is_empty(), "nothing added");
    ensure!(gw.count_kind("vendor.changed").await? == 0);

    // A valid one is registered, then disabled: each change audited with the operator.
    let r = add_vendor(&gw, &cookies, &csrf, VENDOR.e164).await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "{}", r.status());
    let vendors = gw.operator().vendors().await?;
    ensure!(vendors.len() == 1 && vendors[0].active);
    let vendor = vendors[0].id.0.to_string();
    let r = post(
        &gw,
        "/console/marketplace/vendors/disable",
        &cookies,
        &origin,
        &[("csrf", &csrf), ("id", &vendor)],
    )
    .await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "{}", r.status());
    ensure!(!gw.operator().vendors().await?[0].active, "disabled");
    let changes: Vec<AuditRow> = gw
        .audit()
        .await?
        .into_iter()
        .filter(|e| e.kind == "vendor.changed")
        .collect();
    ensure!(changes.len() == 2, "{changes:?}");
    for c in &changes {
        ensure!(
            c.detail.contains(&format!("actor=operator:{}", op.id.0)),
            "{}",
            c.detail
        );
    }
    let (_, page) = get_page(&gw, "/console/marketplace?done=vendor-disabled", &cookies).await?;
    ensure!(page.contains("Vendor disabled"), "{page}");
    ensure!(
        !page.contains(VENDOR.e164) && !page.contains(VENDOR.national),
        "the number is masked"
    );
    gw.finish().await
}

async fn the_marketplace_page_says_when_the_marketplace_is_off(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let (cookies, _) = http_login(&gw, &op, "/console/marketplace").await?;
    let (status, page) = get_page(&gw, "/console/marketplace", &cookies).await?;
    ensure!(status == StatusCode::OK, "{status}");
    ensure!(
        page.contains("The concierge marketplace is not enabled") && !page.contains("<table"),
        "{page}"
    );
    // Its forms answer that too, as a refusal, not a failure.
    let csrf = csrf_of(&page)?;
    let r = post(
        &gw,
        "/console/marketplace/offers/release",
        &cookies,
        &gw.admin_url(),
        &[("csrf", &csrf), ("id", "1")],
    )
    .await?;
    ensure!(r.status() == StatusCode::CONFLICT, "{}", r.status());
    gw.finish().await
}

/// `POST /api/v1/offers/{id}/reveal`, the console's reveal for API clients: the same use case.
async fn the_api_reveals_a_held_offer_to_an_operator_and_audits_it_and_an_auditor_gets_403(
    backend: Backend,
) -> Result<()> {
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let (gw, id, _) = held_offer(backend, &api).await?;
    let reveal = |token: String| {
        let gw = &gw;
        async move {
            let r = gw
                .http()
                .post(format!("{}/api/v1/offers/{id}/reveal", gw.admin_url()))
                .bearer_auth(token)
                .send()
                .await?;
            Ok::<_, anyhow::Error>((r.status(), r.text().await?))
        }
    };
    let token = |name: &'static str, role: Role| {
        let gw = &gw;
        async move {
            let who = account(gw, name, role).await?;
            gw.clock.advance_ms(30_000);
            let r = gw
                .http()
                .post(format!("{}/api/v1/auth/login", gw.admin_url()))
                .header(header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&serde_json::json!({
                    "username": name, "password": PASSWORD, "totp": code(gw, &who)
                }))?)
                .send()
                .await?;
            let body: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
            let token = body["access_token"].as_str().context("a token")?.to_owned();
            Ok::<_, anyhow::Error>((who, token))
        }
    };

    let (_, auditor) = token("audrey", Role::Auditor).await?;
    let (status, body) = reveal(auditor).await?;
    ensure!(status == StatusCode::FORBIDDEN, "{status}");
    the_text_is_absent("the auditor's answer", &body)?;
    ensure!(gw.count_kind("offer.revealed").await? == 0);

    let (op, operator) = token("opal", Role::Operator).await?;
    let (status, body) = reveal(operator).await?;
    ensure!(status == StatusCode::OK, "{status}");
    let body: serde_json::Value = serde_json::from_str(&body)?;
    ensure!(body["id"] == id, "{body}");
    ensure!(
        body["text"]
            .as_str()
            .is_some_and(|t| t.contains("Our bank details changed")),
        "{body}"
    );
    let revealed = only(&gw.audit().await?, "offer.revealed")?;
    ensure!(
        revealed
            .detail
            .contains(&format!("actor=operator:{}", op.id.0)),
        "{}",
        revealed.detail
    );
    the_text_is_absent("the audit row", &revealed.detail)?;
    gw.finish().await
}
