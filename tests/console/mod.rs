//! The operator console in a real browser (headless Chromium over WebDriver) and over HTTP:
//! logging in, approving a pairing, what a role sees and may post, CSRF, headers and cookies.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them these
//! tests fail and say so; they never skip. Screenshots of every page go to
//! `target/console-screenshots/`.

mod audit;
mod browser;
mod market;
mod people;

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use reqwest::header;
use reqwest::StatusCode;
use warden::admin::routes::Guard;
use warden::console::{self, routes};
use warden_operators::Role;
use warden_simulators::MockGraph;

use crate::admin::account;
use crate::support::{Backend, Gateway, Settings, CAROL};
use browser::{assert_console_headers, http, http_login, post, session_cookies, Browser};

on_both_backends!(
    an_operator_logs_in_with_totp_in_the_browser_and_sees_the_dashboard,
    an_operator_approves_a_webhook_pairing_code_in_the_browser_and_the_sender_is_accepted,
    an_auditor_sees_no_write_controls_and_a_forged_post_with_a_valid_token_is_refused,
    a_browser_post_without_the_csrf_token_or_from_another_origin_is_refused,
    every_console_page_carries_the_strict_csp_and_the_session_cookies_their_flags,
    an_expired_access_token_is_renewed_by_rotation_and_a_replayed_refresh_cookie_logs_out,
    a_login_never_redirects_off_the_console,
);

async fn an_operator_logs_in_with_totp_in_the_browser_and_sees_the_dashboard(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let b = Browser::start(backend).await?;

    // A page without a session sends the browser to the login form, remembering the page.
    b.goto(&gw, "/console/senders").await?;
    ensure!(
        b.path().await? == "/console/login?next=%2Fconsole%2Fsenders",
        "{}",
        b.path().await?
    );
    b.check_page("login").await?;
    b.log_in(&gw, &owner).await?;
    ensure!(
        b.path().await? == "/console/senders",
        "{}: {}",
        b.path().await?,
        b.client.source().await?
    );

    b.goto(&gw, "/console/").await?;
    ensure!(b.text("h1").await? == "Dashboard");
    ensure!(
        b.text("main").await?.contains("Ready."),
        "{}",
        b.text("main").await?
    );
    ensure!(b.count("svg.chart rect").await? == 24, "24 hourly bars");
    // The stylesheet loaded under the CSP: the skip link is moved off screen by it.
    let skip_left = b
        .client
        .find(Locator::Css("a.skip"))
        .await?
        .css_value("left")
        .await?;
    ensure!(skip_left == "-999px", "the stylesheet applies: {skip_left}");
    b.check_page("dashboard").await?;

    let cookies = b.client.get_all_cookies().await?;
    for name in [console::ACCESS_COOKIE, console::REFRESH_COOKIE] {
        let c = cookies
            .iter()
            .find(|c| c.name() == name)
            .with_context(|| format!("{name} is set"))?;
        ensure!(
            c.http_only() == Some(true)
                && c.secure() == Some(true)
                && c.same_site().map(|s| s.to_string()).as_deref() == Some("Strict")
                && c.path() == Some("/"),
            "{name}: {c:?}"
        );
    }

    // Logging out ends the session: the dashboard sends the browser back to the login form.
    b.click("form.logout button").await?;
    ensure!(b.path().await? == "/console/login", "{}", b.path().await?);
    b.goto(&gw, "/console/").await?;
    ensure!(
        b.path().await?.starts_with("/console/login"),
        "{}",
        b.path().await?
    );
    gw.finish().await
}

async fn an_operator_approves_a_webhook_pairing_code_in_the_browser_and_the_sender_is_accepted(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .meta(&graph.url())
            .pairing_mode("approval"),
    )
    .await?;
    let code_ = crate::pairing::code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/login").await?;
    b.log_in(&gw, &op).await?;
    ensure!(b.path().await? == "/console/", "{}", b.path().await?);
    ensure!(
        b.text("main").await?.contains("1 waiting"),
        "{}",
        b.text("main").await?
    );

    b.goto(&gw, "/console/senders").await?;
    let page = b.client.source().await?;
    ensure!(page.contains(&code_.display()), "the code is listed");
    ensure!(
        !page.contains(CAROL.e164) && !page.contains(CAROL.national),
        "the number is masked"
    );
    b.check_page("senders-pending").await?;
    // With the keyboard alone: Tab to the button (its focus visible), Enter.
    b.press_by_keyboard(&format!("button[aria-label='Approve {}']", code_.display()))
        .await?;
    ensure!(
        b.path().await? == "/console/senders?done=approved",
        "{}",
        b.path().await?
    );
    ensure!(
        b.text("[role=status]")
            .await?
            .starts_with("Pairing approved"),
        "{}",
        b.text("main").await?
    );
    ensure!(
        b.count("main form[action='/console/pairings/approve']")
            .await?
            == 0
    );
    ensure!(b.count("main table code").await? == 1, "one paired sender");
    b.check_page("senders").await?;

    let accepted = |rows: &[crate::support::AuditRow]| {
        rows.iter().filter(|e| e.kind == "message.accepted").count()
    };
    let before = accepted(&gw.audit().await?);
    let reply = gw
        .meta_say(&graph, CAROL, "help")
        .await?
        .context("a reply")?;
    ensure!(!reply.starts_with("Your pairing code"), "{reply}");
    ensure!(
        accepted(&gw.audit().await?) == before + 1,
        "her message was accepted"
    );
    let approved = gw
        .audit()
        .await?
        .into_iter()
        .find(|e| e.kind == "pairing.approved")
        .context("pairing.approved")?;
    ensure!(approved.detail.contains(&format!("operator:{}", op.id.0)));

    // The dashboard's chart counts her message.
    b.goto(&gw, "/console/").await?;
    let label = b
        .client
        .find(Locator::Css("svg.chart"))
        .await?
        .attr("aria-label")
        .await?
        .unwrap_or_default();
    ensure!(label.contains(&format!("{} in all", before + 1)), "{label}");
    // The picture in the README (docs/console-dashboard.png) is this page.
    b.check_page("dashboard-traffic").await?;
    gw.finish().await
}

async fn an_auditor_sees_no_write_controls_and_a_forged_post_with_a_valid_token_is_refused(
    backend: Backend,
) -> Result<()> {
    let graph = MockGraph::healthy().await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .meta(&graph.url())
            .pairing_mode("approval"),
    )
    .await?;
    let code_ = crate::pairing::code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;
    let auditor = account(&gw, "audrey", Role::Auditor).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/login").await?;
    b.log_in(&gw, &auditor).await?;
    b.goto(&gw, "/console/senders").await?;
    let page = b.client.source().await?;
    ensure!(
        page.contains(&code_.display()),
        "an auditor reads pending codes: {page}"
    );
    ensure!(b.count("main form").await? == 0, "no form in the page body");
    ensure!(b.count("main button").await? == 0, "no write button");
    b.check_page("senders-auditor").await?;

    let (cookies, csrf) = b.credentials().await?;
    let origin = gw.admin_url();
    for (path, form) in [
        (
            "/console/pairings/approve",
            vec![("csrf", csrf.as_str()), ("code", code_.as_str())],
        ),
        (
            "/console/senders/add",
            vec![("csrf", csrf.as_str()), ("phone", CAROL.e164)],
        ),
    ] {
        let r = post(&gw, path, &cookies, &origin, &form).await?;
        ensure!(
            r.status() == StatusCode::FORBIDDEN,
            "{path}: {}",
            r.status()
        );
    }
    ensure!(
        !gw.audit()
            .await?
            .iter()
            .any(|e| e.kind == "pairing.approved"),
        "nothing was approved"
    );
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

async fn a_browser_post_without_the_csrf_token_or_from_another_origin_is_refused(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/login").await?;
    b.log_in(&gw, &op).await?;
    b.goto(&gw, "/console/senders").await?;
    let (cookies, csrf) = b.credentials().await?;

    // The page's own form, its token taken out (by the test, through WebDriver: the console
    // itself runs no script).
    b.client
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())",
            vec![],
        )
        .await?;
    b.client
        .find(Locator::Id("add-phone"))
        .await?
        .send_keys(CAROL.e164)
        .await?;
    b.click("form[action='/console/senders/add'] button")
        .await?;
    ensure!(
        b.text("h1").await? == "Forbidden",
        "{}",
        b.text("main").await?
    );
    b.check_page("csrf-refused").await?;

    let origin = gw.admin_url();
    let add = [("csrf", csrf.as_str()), ("phone", CAROL.e164)];
    let r = post(
        &gw,
        "/console/senders/add",
        &cookies,
        "http://evil.example",
        &add,
    )
    .await?;
    ensure!(
        r.status() == StatusCode::FORBIDDEN,
        "another origin: {}",
        r.status()
    );
    let r = post(&gw, "/console/senders/add", &cookies, &origin, &add[1..]).await?;
    ensure!(
        r.status() == StatusCode::FORBIDDEN,
        "no token: {}",
        r.status()
    );
    let r = post(
        &gw,
        "/console/senders/add",
        &cookies,
        &origin,
        &[("csrf", "00"), ("phone", CAROL.e164)],
    )
    .await?;
    ensure!(
        r.status() == StatusCode::FORBIDDEN,
        "a wrong token: {}",
        r.status()
    );
    ensure!(
        !gw.audit()
            .await?
            .iter()
            .any(|e| e.kind == "allowlist.added"),
        "nothing was added"
    );
    // The same post with the token, from the console's origin, is taken.
    let r = post(&gw, "/console/senders/add", &cookies, &origin, &add).await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "{}", r.status());
    ensure!(gw
        .audit()
        .await?
        .iter()
        .any(|e| e.kind == "allowlist.added"));
    gw.finish().await
}

async fn every_console_page_carries_the_strict_csp_and_the_session_cookies_their_flags(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let (cookies, headers) = http_login(&gw, &owner, "/console/senders").await?;
    ensure!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) == Some("/console/senders")
    );
    for set in headers.get_all(header::SET_COOKIE) {
        let set = set.to_str()?;
        ensure!(
            set.starts_with("__Host-warden_")
                && ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]
                    .iter()
                    .all(|flag| set.split("; ").any(|p| p == *flag))
                && !set.contains("Domain="),
            "{set}"
        );
    }
    assert_console_headers("POST /console/login", &headers)?;
    let client = http()?;
    for page in routes::table() {
        if page.method != reqwest::Method::GET {
            continue;
        }
        let r = client
            .get(format!("{}{}", gw.admin_url(), page.path))
            .header(header::COOKIE, &cookies)
            .send()
            .await?;
        ensure!(
            r.status() == StatusCode::OK,
            "{}: {}",
            page.path,
            r.status()
        );
        assert_console_headers(page.path, r.headers())?;
        let body = r.text().await?;
        ensure!(!body.contains("<script"), "{}: no script", page.path);
    }
    // Refusals and redirects carry them too.
    let r = client
        .get(format!("{}/console/senders", gw.admin_url()))
        .send()
        .await?;
    ensure!(r.status() == StatusCode::SEE_OTHER);
    assert_console_headers("a redirect to login", r.headers())?;
    let r = post(&gw, "/console/senders/add", &cookies, &gw.admin_url(), &[]).await?;
    ensure!(r.status() == StatusCode::FORBIDDEN);
    assert_console_headers("a refused post", r.headers())?;
    gw.finish().await
}

async fn an_expired_access_token_is_renewed_by_rotation_and_a_replayed_refresh_cookie_logs_out(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let (cookies, _) = http_login(&gw, &op, "/console/").await?;
    gw.clock.advance_ms(16 * 60 * 1000);
    let client = http()?;
    let get = |cookies: String| {
        client
            .get(format!("{}/console/senders", gw.admin_url()))
            .header(header::COOKIE, cookies)
            .send()
    };
    let r = get(cookies.clone()).await?;
    ensure!(r.status() == StatusCode::OK, "renewed: {}", r.status());
    let renewed = session_cookies(r.headers())?;
    ensure!(renewed != cookies, "a new pair");
    let r = get(renewed.clone()).await?;
    ensure!(r.status() == StatusCode::OK && r.headers().get(header::SET_COOKIE).is_none());

    // The spent refresh cookie again (with an expired access token): the whole session is
    // revoked, as the API does, and the browser is sent to log in.
    let r = get(cookies).await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "{}", r.status());
    ensure!(
        r.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            == Some("/console/login?next=%2Fconsole%2Fsenders")
    );
    gw.clock.advance_ms(16 * 60 * 1000);
    let r = get(renewed).await?;
    ensure!(
        r.status() == StatusCode::SEE_OTHER,
        "the family is revoked: {}",
        r.status()
    );
    ensure!(
        gw.audit()
            .await?
            .iter()
            .any(|e| e.kind == "operator.session_revoked"
                && e.detail.contains("refresh_token_reused"))
    );
    gw.finish().await
}

async fn a_login_never_redirects_off_the_console(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let op = account(&gw, "opal", Role::Operator).await?;
    for next in [
        "https://evil.example/",
        "//evil.example/console/",
        "/console//evil.example",
        "/console/../api/v1/audit",
        "/api/v1/audit",
    ] {
        let (_, headers) = http_login(&gw, &op, next).await?;
        ensure!(
            headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) == Some("/console/"),
            "{next}: {:?}",
            headers.get(header::LOCATION)
        );
        let r = http()?
            .get(format!("{}/console/login", gw.admin_url()))
            .query(&[("next", next)])
            .send()
            .await?;
        ensure!(
            !r.text().await?.contains("name=\"next\""),
            "{next} is not kept"
        );
    }
    let r = http()?
        .get(format!("{}/console/login", gw.admin_url()))
        .query(&[("next", "/console/senders")])
        .send()
        .await?;
    ensure!(r.text().await?.contains("value=\"/console/senders\""));
    gw.finish().await
}

/// The console's routes declare their actions like the API's: only logging in, the
/// stylesheet and logging out go without one.
#[test]
fn every_console_route_outside_login_declares_the_action_it_requires() {
    for page in routes::table() {
        match page.guard {
            Guard::Requires(_) => assert!(
                !page.path.starts_with("/console/login")
                    && !page.path.starts_with("/console/static/")
                    && page.path != "/console/logout",
                "{} {} needs no action",
                page.method,
                page.path
            ),
            Guard::Public => assert!(
                page.path == "/console/login" || page.path.starts_with("/console/static/"),
                "{} {} declares no action",
                page.method,
                page.path
            ),
            Guard::OwnSession => assert_eq!(page.path, "/console/logout"),
        }
        assert!(
            !page.path.contains('{'),
            "{}: no path parameters (nothing personal in a URL)",
            page.path
        );
    }
}
