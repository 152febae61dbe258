//! The console's Audit and Outbox pages: verifying the chain in the browser (and seeing a
//! tampered row named, on the page and on the dashboard), retrying a failed message against a
//! mock provider, what an auditor may do there, and nonsense paging refused with a 400 page.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_operators::Role;
use warden_simulators::{CannedReply, MockGraph};
use warden_types::Clock as _;

use super::browser::{assert_console_headers, http, http_login, post, Browser};
use crate::admin::account;
use crate::audit::{bypass_append_only_guards, execute};
use crate::support::{Backend, Gateway, Settings, ALICE, SETTLE};

on_both_backends!(
    an_operator_verifies_the_chain_in_the_browser_and_a_tampered_row_is_reported,
    an_operator_retries_a_failed_outbox_message_in_the_browser_and_the_provider_receives_it,
    an_auditor_reads_and_verifies_the_audit_log_but_a_forged_retry_is_refused_and_nonsense_paging_is_a_400,
    the_audit_pages_walk_the_whole_chain_back_and_forth_without_losing_or_repeating_a_row,
);

/// A gateway whose Meta provider refuses the first send for good (Meta's "recipient not in
/// allowed list", which quotes the number: only the code may be kept), then accepts.
async fn gateway_with_a_failed_message(backend: Backend, graph: &MockGraph) -> Result<Gateway> {
    graph.answer(
        CannedReply::status(400).json(&json!({
            "error": {
                "message": "(#131030) Recipient phone number not in allowed list",
                "type": "OAuthException",
                "code": 131_030,
                "error_data": {
                    "messaging_product": "whatsapp",
                    "details": format!("Recipient phone number not in allowed list: {}", ALICE.e164)
                }
            }
        })),
        1,
    );
    graph.accept();
    let gw = Gateway::start_with(
        backend,
        Settings::new().admin().allow(&[ALICE]).meta(&graph.url()),
    )
    .await?;
    let answer = gw.meta.send(&ALICE.phone(), "add Buy milk").await?;
    ensure!(answer.status == 200, "{}", answer.body);
    gw.wait_until("the reply to fail for good", SETTLE * 2, || async {
        Ok(gw.only_outbox_row().await?.status == "failed")
    })
    .await?;
    Ok(gw)
}

/// The CSRF token a console page carries.
fn csrf_in(page: &str) -> Result<String> {
    let (_, rest) = page
        .split_once("name=\"csrf\" value=\"")
        .context("a CSRF field")?;
    Ok(rest.split('"').next().unwrap_or_default().to_owned())
}

async fn an_operator_verifies_the_chain_in_the_browser_and_a_tampered_row_is_reported(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin().allow(&[ALICE])).await?;
    for body in ["add One", "add Two", "done 1"] {
        gw.say(ALICE, body).await?;
    }
    let op = account(&gw, "opal", Role::Operator).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/audit").await?;
    b.log_in(&gw, &op).await?;
    ensure!(b.path().await? == "/console/audit", "{}", b.path().await?);
    let rows = gw.audit().await?;
    let head = rows.last().context("audit rows")?;
    // Newest first; every row with its hash link, the full hashes in the titles.
    let first = b.client.find(Locator::Css("main tbody tr")).await?;
    ensure!(
        first.attr("id").await?.as_deref() == Some(format!("seq-{}", head.seq).as_str()),
        "the newest row comes first"
    );
    let page = b.client.source().await?;
    ensure!(
        page.contains(&format!("title=\"hash {}\"", head.hash))
            && page.contains(&format!("title=\"prev_hash {}\"", head.prev_hash)),
        "the head's hash link"
    );
    ensure!(
        page.contains("The chain has not been verified yet."),
        "nothing recorded yet"
    );
    b.check_page("audit").await?;

    // Filter by kind with the form, as a keyboard user would.
    b.client
        .find(Locator::Id("kind"))
        .await?
        .select_by_value("task.added")
        .await?;
    b.click("form.filters button").await?;
    ensure!(
        b.path()
            .await?
            .starts_with("/console/audit?kind=task.added"),
        "{}",
        b.path().await?
    );
    let kinds = b
        .client
        .find_all(Locator::Css("main tbody tr td:nth-child(3)"))
        .await?;
    ensure!(kinds.len() == 2, "two tasks were added: {}", kinds.len());
    for k in kinds {
        ensure!(k.text().await? == "task.added");
    }
    b.check_page("audit-filtered").await?;

    b.click("form[action='/console/audit/verify'] button")
        .await?;
    let status = b.text("[role=status]").await?;
    ensure!(
        status.contains("intact")
            && status.contains(&format!("{} events, head event {}", head.seq, head.seq)),
        "{status}"
    );
    b.check_page("audit-verified").await?;
    b.goto(&gw, "/console/").await?;
    let health = b.text("section[aria-labelledby=health]").await?;
    ensure!(
        health.contains(&format!("by operator:{}: intact", op.id.0)),
        "{health}"
    );
    let recorded = gw
        .audit()
        .await?
        .into_iter()
        .filter(|r| r.kind == "audit.verified")
        .collect::<Vec<_>>();
    ensure!(
        recorded.len() == 1 && recorded[0].detail.contains("result=intact"),
        "{recorded:?}"
    );

    // Someone with the database owner's rights rewrites a row.
    let victim = &rows[2];
    bypass_append_only_guards(&gw, backend).await?;
    execute(
        &gw,
        &format!(
            "UPDATE audit_log SET detail = 'reason=edited' WHERE seq = {}",
            victim.seq
        ),
    )
    .await?;
    b.goto(&gw, "/console/audit").await?;
    b.click("form[action='/console/audit/verify'] button")
        .await?;
    let alert = b.text("[role=alert]").await?;
    ensure!(
        alert.contains(&format!("The first bad row is event {}", victim.seq))
            && alert.contains("stored hash does not match"),
        "{alert}"
    );
    b.check_page("audit-broken").await?;
    b.click(&format!(
        "a[href^='/console/audit?before={}']",
        victim.seq + 1
    ))
    .await?;
    let first = b.client.find(Locator::Css("main tbody tr")).await?;
    ensure!(
        first.attr("id").await?.as_deref() == Some(format!("seq-{}", victim.seq).as_str()),
        "the link lands on the bad row"
    );
    b.goto(&gw, "/console/").await?;
    let health = b.text("section[aria-labelledby=health]").await?;
    ensure!(
        health.contains(&format!(
            "by operator:{}: BROKEN at event {}",
            op.id.0, victim.seq
        )),
        "{health}"
    );
    b.check_page("dashboard-broken").await?;
    // The chain is broken on purpose: stop without the final verification.
    gw.stop().await
}

async fn an_operator_retries_a_failed_outbox_message_in_the_browser_and_the_provider_receives_it(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::empty().await?;
    let gw = gateway_with_a_failed_message(backend, &graph).await?;
    let row = gw.only_outbox_row().await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/outbox").await?;
    b.log_in(&gw, &op).await?;
    ensure!(b.path().await? == "/console/outbox", "{}", b.path().await?);
    let failed = b.text("section[aria-labelledby=failed] tbody").await?;
    ensure!(
        failed.contains("http_400_code_131030") && failed.contains("meta"),
        "{failed}"
    );
    let page = b.client.source().await?;
    ensure!(
        !page.contains(ALICE.e164) && !page.contains(ALICE.national),
        "the recipient is masked"
    );
    ensure!(!page.contains("Buy milk"), "no message text");
    b.check_page("outbox").await?;

    // Retrying wakes the delivery worker at once: count what the provider has seen first.
    let before = graph.requests().len();
    ensure!(before == 1, "one refused attempt: {before}");
    b.click(&format!("button[aria-label='Retry message {}']", row.id))
        .await?;
    ensure!(
        b.path().await? == "/console/outbox?done=retried",
        "{}",
        b.path().await?
    );
    ensure!(
        b.text("[role=status]")
            .await?
            .starts_with("Message put back"),
        "{}",
        b.text("main").await?
    );
    ensure!(
        b.count("form[action='/console/outbox/retry']").await? == 0,
        "no longer among the failures"
    );
    b.check_page("outbox-retried").await?;
    gw.wait_until("the retried reply to be sent", SETTLE, || async {
        Ok(gw.only_outbox_row().await?.status == "sent")
    })
    .await?;
    let token = gw.secrets.meta_access_token.expose_secret().to_owned();
    let sends = graph.sends(&token)?;
    ensure!(sends.len() == before + 1, "{sends:?}");
    ensure!(
        sends[before].body == "Added task 1: Buy milk" && sends[before].to == ALICE.e164,
        "{:?}",
        sends[before]
    );
    let requeued: Vec<_> = gw
        .audit()
        .await?
        .into_iter()
        .filter(|e| e.kind == "outbox.requeued")
        .collect();
    ensure!(
        requeued.len() == 1
            && requeued[0]
                .detail
                .contains(&format!("actor=operator:{}", op.id.0)),
        "the retry is audited as the operator's: {requeued:?}"
    );
    b.goto(&gw, "/console/outbox").await?;
    ensure!(
        b.text("section[aria-labelledby=failed]")
            .await?
            .contains("None."),
        "{}",
        b.text("main").await?
    );
    gw.finish().await
}

async fn an_auditor_reads_and_verifies_the_audit_log_but_a_forged_retry_is_refused_and_nonsense_paging_is_a_400(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::empty().await?;
    let gw = gateway_with_a_failed_message(backend, &graph).await?;
    let row = gw.only_outbox_row().await?;
    let auditor = account(&gw, "audrey", Role::Auditor).await?;
    let (cookies, _) = http_login(&gw, &auditor, "/console/").await?;
    let client = http()?;
    let get = |path: String| {
        client
            .get(format!("{}{path}", gw.admin_url()))
            .header(reqwest::header::COOKIE, &cookies)
            .send()
    };

    let r = get("/console/audit".to_owned()).await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    let page = r.text().await?;
    ensure!(
        page.contains("action=\"/console/audit/verify\""),
        "an auditor may verify"
    );
    ensure!(page.contains("outbox.failed"), "the failure is in the log");
    let r = get("/console/outbox".to_owned()).await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    let page = r.text().await?;
    ensure!(
        page.contains("http_400_code_131030"),
        "an auditor reads failures"
    );
    ensure!(
        !page.contains("/console/outbox/retry") && !page.contains(">Retry<"),
        "no Retry button for an auditor"
    );
    let csrf = csrf_in(&page)?;
    let origin = gw.admin_url();

    let r = post(
        &gw,
        "/console/audit/verify",
        &cookies,
        &origin,
        &[("csrf", &csrf)],
    )
    .await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    ensure!(r.text().await?.contains("The audit chain is intact"));
    ensure!(
        gw.audit().await?.iter().any(|e| e.kind == "audit.verified"
            && e.detail
                .contains(&format!("actor=operator:{}", auditor.id.0))),
        "the auditor's verification is recorded as theirs"
    );

    // The forged retry: a valid token, the console's origin, the right id; the role says no.
    let id = row.id.to_string();
    let r = post(
        &gw,
        "/console/outbox/retry",
        &cookies,
        &origin,
        &[("csrf", &csrf), ("id", &id)],
    )
    .await?;
    ensure!(r.status() == StatusCode::FORBIDDEN, "{}", r.status());
    assert_console_headers("a refused retry", r.headers())?;
    ensure!(gw.only_outbox_row().await?.status == "failed");
    ensure!(gw.count_kind("outbox.requeued").await? == 0);
    ensure!(graph.requests().len() == 1, "nothing was sent again");

    for nonsense in [
        "before=abc",
        "after=-3",
        "before=1&after=2",
        "kind=message.deleted",
        "kind=outbox.failed&kind=outbox.sent",
        "from=2026-12-08&to=2026-12-07",
        "from=yesterday",
        "to=2026-02-30",
        "page=2",
    ] {
        let r = get(format!("/console/audit?{nonsense}")).await?;
        ensure!(
            r.status() == StatusCode::BAD_REQUEST,
            "{nonsense}: {}",
            r.status()
        );
        assert_console_headers(nonsense, r.headers())?;
        ensure!(
            r.text().await?.contains("role=\"alert\""),
            "{nonsense}: a page that says why"
        );
    }
    // The day filter: the failure happened today on the gateway's clock, not yesterday.
    let day = |ms: i64| {
        let t = warden_types::UnixMillis(ms).utc();
        format!("{:04}-{:02}-{:02}", t.year, t.month, t.day)
    };
    let now = gw.clock.now().as_i64();
    let (today, yesterday) = (day(now), day(now - 86_400_000));
    let r = get(format!(
        "/console/audit?kind=outbox.failed&from={today}&to={today}"
    ))
    .await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    ensure!(
        r.text().await?.contains("<td>outbox.failed</td>"),
        "today's failure"
    );
    let r = get(format!("/console/audit?kind=outbox.failed&to={yesterday}")).await?;
    ensure!(
        r.text().await?.contains("No events match."),
        "none before today"
    );
    // A well-formed search that matches nothing is an empty page, not an error.
    let r = get("/console/audit?kind=offer.held&from=2026-12-07&to=2026-12-07&before=1".to_owned())
        .await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    ensure!(r.text().await?.contains("No events match."));

    // An operator who may retry, with an id that is no number or no message: a page, not a 500.
    let op = account(&gw, "opal", Role::Operator).await?;
    let (op_cookies, _) = http_login(&gw, &op, "/console/").await?;
    let op_page = client
        .get(format!("{}/console/outbox", gw.admin_url()))
        .header(reqwest::header::COOKIE, &op_cookies)
        .send()
        .await?
        .text()
        .await?;
    let op_csrf = csrf_in(&op_page)?;
    for (id, status) in [
        ("abc", StatusCode::BAD_REQUEST),
        ("0", StatusCode::BAD_REQUEST),
        ("999999", StatusCode::NOT_FOUND),
    ] {
        let r = post(
            &gw,
            "/console/outbox/retry",
            &op_cookies,
            &origin,
            &[("csrf", &op_csrf), ("id", id)],
        )
        .await?;
        ensure!(r.status() == status, "id {id}: {}", r.status());
    }
    gw.finish().await
}

/// The seqs of the rows on an Audit page, top to bottom, and its Older / Newer links.
fn audit_page(html: &str) -> (Vec<i64>, Option<String>, Option<String>) {
    let seqs = html
        .split("<tr id=\"seq-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect();
    let link = |rel: &str| {
        let (before, _) = html.split_once(&format!("\" rel=\"{rel}\""))?;
        let (_, href) = before.rsplit_once("href=\"")?;
        Some(href.replace("&amp;", "&"))
    };
    (seqs, link("next"), link("prev"))
}

async fn the_audit_pages_walk_the_whole_chain_back_and_forth_without_losing_or_repeating_a_row(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    // 120 more events, two in three a failed login: more than one page of each.
    for i in 0..120 {
        let kind = match i % 3 {
            0 => EventKind::OperatorLogin,
            _ => EventKind::OperatorLoginFailed,
        };
        gw.store()
            .record_audit(
                gw.clock.now(),
                AuditEvent {
                    kind,
                    sender: None,
                    detail: Detail::new().with("n", i),
                },
            )
            .await?;
    }
    let (cookies, _) = http_login(&gw, &owner, "/console/").await?;
    let client = http()?;
    let fetch = |path: String| {
        let client = client.clone();
        let cookies = cookies.clone();
        let url = format!("{}{path}", gw.admin_url());
        async move {
            let r = client
                .get(url)
                .header(reqwest::header::COOKIE, cookies)
                .send()
                .await?;
            ensure!(r.status() == StatusCode::OK, "{path}: {}", r.status());
            Ok::<_, anyhow::Error>(audit_page(&r.text().await?))
        }
    };
    for (kind, path) in [
        (None, "/console/audit".to_owned()),
        (
            Some("operator.login_failed"),
            "/console/audit?kind=operator.login_failed".to_owned(),
        ),
    ] {
        let all: Vec<i64> = gw
            .audit()
            .await?
            .iter()
            .filter(|r| kind.is_none_or(|k| r.kind == k))
            .map(|r| r.seq)
            .rev()
            .collect();
        // Back in time with Older, from the head to the first event.
        let (mut seen, mut older, newer) = fetch(path.clone()).await?;
        ensure!(newer.is_none(), "the newest page has no Newer link");
        let mut pages = vec![seen.clone()];
        let mut newer = None;
        while let Some(next) = older {
            let (rows, o, n) = fetch(next).await?;
            ensure!(n.is_some(), "an older page links back");
            ensure!(rows.len() <= 50);
            seen.extend(&rows);
            pages.push(rows);
            (older, newer) = (o, n);
        }
        ensure!(seen == all, "{kind:?}: {seen:?} != {all:?}");
        ensure!(pages.len() >= 2, "{kind:?}: more than one page");
        // And forward again with Newer from the oldest page, page by page, to the head.
        pages.pop();
        while let Some(expected) = pages.pop() {
            let href = newer.context("a Newer link")?;
            let (rows, _, n) = fetch(href).await?;
            ensure!(rows == expected, "{kind:?}: {rows:?} != {expected:?}");
            newer = n;
        }
        ensure!(newer.is_none(), "the head's page has no Newer link");
    }
    gw.finish().await
}
