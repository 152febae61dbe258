//! The owner's console pages about people: operator accounts with an enrolment screen that
//! shows a new second factor once (a QR code Warden draws, the key as text, the recovery codes),
//! and data subjects (export as a download, erase only after a typed confirmation). Only an
//! owner reaches them, and the account rules are the use cases' own.

use anyhow::{anyhow, ensure, Context, Result};
use fantoccini::Locator;
use reqwest::header;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use warden_access::LoginRequest;
use warden_operators::{code_at, step_at, Role, TotpSecret, RECOVERY_CODES};

use super::browser::{http, http_login, post, Browser};
use crate::admin::{account, PASSWORD};
use crate::support::{Backend, Gateway, Settings, ALICE};

on_both_backends!(
    an_owner_adds_an_operator_who_enrols_from_the_qr_screen_and_logs_in,
    an_owner_erases_a_subject_only_after_typing_the_confirmation,
    a_subject_export_is_a_download_without_the_number_in_the_url_or_filename,
    an_operator_and_an_auditor_get_403_on_the_people_pages_and_their_forged_posts_change_nothing,
    the_account_forms_answer_the_use_cases_refusals_as_pages_and_a_reset_key_replaces_the_old,
);

const TASK: &str = "collect the prescription on Friday";

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Result<&'a str> {
    let from = html
        .find(start)
        .with_context(|| format!("{start} in the page"))?
        + start.len();
    let len = html[from..]
        .find(end)
        .with_context(|| format!("{end} after {start}"))?;
    Ok(&html[from..from + len])
}

/// The CSRF token of a page's forms.
fn csrf_in(html: &str) -> Result<String> {
    Ok(between(html, r#"name="csrf" value=""#, "\"")?.to_owned())
}

/// The authenticator key an enrolment page shows as text.
fn key_in(html: &str) -> Result<TotpSecret> {
    let key = between(html, r#"<code id="totp-key">"#, "</code>")?;
    TotpSecret::from_base32(key).map_err(|e| anyhow!("the key on the page: {e}"))
}

/// What a QR code drawn as `M{x} {y}h{n}v1h-{n}z` rectangles in a `size`-module square says,
/// read by an independent decoder from the picture's pixels.
fn decode_qr(path: &str, size: usize) -> Result<String> {
    const PX: usize = 6;
    let mut dark = vec![false; size * size];
    for cmd in path.split('M').filter(|c| !c.is_empty()) {
        let (xy, rest) = cmd.split_once('h').context("a run")?;
        let (x, y) = xy.split_once(' ').context("x y")?;
        let (x, y): (usize, usize) = (x.parse()?, y.parse()?);
        let run: usize = rest.split_once('v').context("a height")?.0.parse()?;
        ensure!(x + run <= size && y < size, "inside the picture");
        dark[y * size + x..y * size + x + run].fill(true);
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(size * PX, size * PX, |x, y| {
        if dark[(y / PX) * size + x / PX] {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    ensure!(grids.len() == 1, "one QR code, found {}", grids.len());
    let (_, content) = grids[0].decode().map_err(|e| anyhow!("{e:?}"))?;
    Ok(content)
}

/// The secret's current code, one step after the last one used.
fn fresh_code(gw: &Gateway, secret: &TotpSecret) -> String {
    gw.clock.advance_ms(30_000);
    code_at(secret, step_at(warden_types::Clock::now(gw.clock.as_ref())))
}

async fn an_owner_adds_an_operator_who_enrols_from_the_qr_screen_and_logs_in(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/operators").await?;
    b.log_in(&gw, &owner).await?;
    ensure!(
        b.path().await? == "/console/operators",
        "{}",
        b.path().await?
    );
    ensure!(b.text("h1").await? == "Operators");
    ensure!(b.text("main tbody").await?.contains("olive"));
    b.check_page("operators").await?;

    for (id, value) in [("new-username", "dave"), ("new-password", PASSWORD)] {
        b.client
            .find(Locator::Id(id))
            .await?
            .send_keys(value)
            .await?;
    }
    b.click("form[action='/console/operators/add'] button")
        .await?;
    ensure!(
        b.path().await? == "/console/operators/add",
        "the enrolment is the POST's own answer, not a redirect: {}",
        b.path().await?
    );
    ensure!(b.text("h1").await? == "Authenticator for dave");
    let page = b.client.source().await?;
    let key = key_in(&page)?;
    let plain_key = key.to_base32().expose_secret().to_owned();
    let shown_key = b.text("#totp-key").await?;
    ensure!(b.count("main li code").await? == RECOVERY_CODES, "{page}");
    let first_recovery = b.text("main li code").await?;

    // The picture is Warden's inline SVG, named for assistive technology, and it says the
    // same authenticator URI as the key in text.
    let qr = b.client.find(Locator::Css("svg.qr[role=img]")).await?;
    let label = qr.attr("aria-label").await?.unwrap_or_default();
    ensure!(label.contains("dave"), "{label}");
    let size: usize = qr
        .attr("viewBox")
        .await?
        .context("viewBox")?
        .rsplit(' ')
        .next()
        .context("a size")?
        .parse()?;
    let path = b
        .client
        .find(Locator::Css("svg.qr path"))
        .await?
        .attr("d")
        .await?
        .context("the path")?;
    let uri = decode_qr(&path, size)?;
    ensure!(
        uri.starts_with("otpauth://totp/Warden:dave?")
            && uri
                .split(['?', '&'])
                .any(|p| p == format!("secret={plain_key}")),
        "the QR code holds the key shown: {uri}"
    );
    b.check_page("operator-enrolment").await?;

    // Once: the list shows the account and no key or code; going back does not bring the
    // page back (it was never stored), and nothing of it went into a URL.
    b.goto(&gw, "/console/operators").await?;
    let list = b.client.source().await?;
    for secret in [
        plain_key.as_str(),
        shown_key.as_str(),
        first_recovery.as_str(),
    ] {
        ensure!(!list.contains(secret), "the list shows no key or code");
    }
    ensure!(list.contains("dave") && list.contains("not used yet"));
    b.client.back().await?;
    let again = b.client.source().await?;
    ensure!(!again.contains("Recovery codes"), "not the enrolment page");
    for secret in [
        plain_key.as_str(),
        shown_key.as_str(),
        first_recovery.as_str(),
    ] {
        ensure!(
            !again.contains(secret),
            "back does not show the enrolment again"
        );
    }
    ensure!(!b.path().await?.contains(&plain_key));

    // Dave logs in with a code from the key he read off the screen.
    b.goto(&gw, "/console/").await?;
    b.click("form.logout button").await?;
    b.goto(&gw, "/console/login").await?;
    let code = fresh_code(&gw, &key);
    for (id, value) in [
        ("username", "dave"),
        ("password", PASSWORD),
        ("code", code.as_str()),
    ] {
        b.client
            .find(Locator::Id(id))
            .await?
            .send_keys(value)
            .await?;
    }
    b.click("main form button[type=submit]").await?;
    ensure!(b.path().await? == "/console/", "{}", b.path().await?);
    ensure!(b.text("form.logout span").await?.ends_with("· operator"));
    let dave = gw
        .access()
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.username.as_str() == "dave")
        .context("dave")?;
    ensure!(dave.authenticator_used() && dave.role == Role::Operator);
    ensure!(gw
        .audit()
        .await?
        .iter()
        .any(|e| e.kind == "operator.created"
            && e.detail.contains(&format!("operator:{}", owner.id.0))));
    gw.finish().await
}

async fn an_owner_erases_a_subject_only_after_typing_the_confirmation(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin().allow(&[ALICE])).await?;
    gw.say(ALICE, &format!("add {TASK}"))
        .await?
        .context("a reply")?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let b = Browser::start(backend).await?;
    b.goto(&gw, "/console/subjects").await?;
    b.log_in(&gw, &owner).await?;
    ensure!(b.text("h1").await? == "Data subjects");
    b.check_page("subjects").await?;

    let erase = |confirm: &'static str| {
        let (b, gw) = (&b, &gw);
        async move {
            b.goto(gw, "/console/subjects").await?;
            for (id, value) in [("erase-phone", ALICE.e164), ("erase-confirm", confirm)] {
                b.client
                    .find(Locator::Id(id))
                    .await?
                    .send_keys(value)
                    .await?;
            }
            b.click("form[action='/console/subjects/erase'] button")
                .await?;
            ensure!(
                b.path().await? == "/console/subjects/erase",
                "{}",
                b.path().await?
            );
            anyhow::Ok(())
        }
    };
    let holds_task = || async {
        let export = gw.operator().export_subject(ALICE.e164, true).await?;
        anyhow::Ok(serde_json::to_string(&export)?.contains(TASK))
    };

    // A confirmation that is not the word: 400, and nothing erased.
    erase("erase").await?;
    ensure!(
        b.text("h1").await? == "Bad Request",
        "{}",
        b.text("main").await?
    );
    ensure!(b.text("[role=alert]").await?.contains("Nothing was erased"));
    b.check_page("subject-erase-refused").await?;
    ensure!(holds_task().await?, "the task is still there");
    ensure!(gw.count_kind("subject.erased").await? == 0);

    erase("ERASE").await?;
    ensure!(
        b.text("h1").await? == "Subject erased",
        "{}",
        b.text("main").await?
    );
    ensure!(
        b.text("[role=status]").await?.starts_with("Erased "),
        "{}",
        b.text("main").await?
    );
    let tasks_row = b
        .client
        .find(Locator::XPath("//tr[th/code='tasks']/td"))
        .await?
        .text()
        .await?;
    ensure!(tasks_row == "1", "one task erased: {tasks_row}");
    let page = b.client.source().await?;
    ensure!(!page.contains(ALICE.e164) && !page.contains(ALICE.national));
    b.check_page("subject-erased").await?;

    ensure!(!holds_task().await?, "the task is gone");
    let erased = gw
        .audit()
        .await?
        .into_iter()
        .filter(|e| e.kind == "subject.erased")
        .collect::<Vec<_>>();
    ensure!(erased.len() == 1, "{erased:?}");
    ensure!(erased[0]
        .detail
        .contains(&format!("operator:{}", owner.id.0)));
    // `finish` verifies the whole audit chain after the erasure.
    gw.finish().await
}

async fn a_subject_export_is_a_download_without_the_number_in_the_url_or_filename(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin().allow(&[ALICE])).await?;
    gw.say(ALICE, &format!("add {TASK}"))
        .await?
        .context("a reply")?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let (cookies, _) = http_login(&gw, &owner, "/console/subjects").await?;
    let client = http()?;
    let page = client
        .get(format!("{}/console/subjects", gw.admin_url()))
        .header(header::COOKIE, &cookies)
        .send()
        .await?
        .text()
        .await?;
    ensure!(page.contains(r#"<form method="post" action="/console/subjects/export""#));
    let csrf = csrf_in(&page)?;

    let r = post(
        &gw,
        "/console/subjects/export",
        &cookies,
        &gw.admin_url(),
        &[("csrf", &csrf), ("phone", ALICE.e164)],
    )
    .await?;
    ensure!(r.status() == StatusCode::OK, "{}", r.status());
    let h = |name: header::HeaderName| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let disposition = h(header::CONTENT_DISPOSITION);
    ensure!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".json\""),
        "{disposition}"
    );
    for spelling in ALICE.needles() {
        ensure!(!disposition.contains(spelling), "{disposition}");
    }
    ensure!(h(header::CONTENT_TYPE) == "application/json");
    ensure!(h(header::CACHE_CONTROL) == "no-store");
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
    // The same document the API and `warden subject export` make (the clock has not moved).
    let expected = serde_json::to_value(gw.operator().export_subject(ALICE.e164, true).await?)?;
    ensure!(body == expected, "{body}\n{expected}");
    ensure!(body.to_string().contains(TASK), "the owner reads the text");

    // The number cannot ride in a URL: the export answers only a POST.
    let r = client
        .get(format!("{}/console/subjects/export", gw.admin_url()))
        .query(&[("phone", ALICE.e164)])
        .header(header::COOKIE, &cookies)
        .send()
        .await?;
    ensure!(
        r.status() == StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        r.status()
    );
    gw.finish().await
}

async fn an_operator_and_an_auditor_get_403_on_the_people_pages_and_their_forged_posts_change_nothing(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin().allow(&[ALICE])).await?;
    gw.say(ALICE, &format!("add {TASK}"))
        .await?
        .context("a reply")?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let before = gw.access().accounts().await?;
    let client = http()?;
    for (name, role) in [("opal", Role::Operator), ("audrey", Role::Auditor)] {
        let who = account(&gw, name, role).await?;
        let (cookies, _) = http_login(&gw, &who, "/console/").await?;
        let dashboard = client
            .get(format!("{}/console/", gw.admin_url()))
            .header(header::COOKIE, &cookies)
            .send()
            .await?
            .text()
            .await?;
        ensure!(
            !dashboard.contains(r#"href="/console/operators""#)
                && !dashboard.contains(r#"href="/console/subjects""#),
            "{name}: the navigation hides the owner's pages"
        );
        let csrf = csrf_in(&dashboard)?;
        for path in ["/console/operators", "/console/subjects"] {
            let r = client
                .get(format!("{}{path}", gw.admin_url()))
                .header(header::COOKIE, &cookies)
                .send()
                .await?;
            ensure!(
                r.status() == StatusCode::FORBIDDEN,
                "{name} GET {path}: {}",
                r.status()
            );
        }
        let owner_id = owner.id.0.to_string();
        let own_id = who.id.0.to_string();
        let mut forged = vec![
            (
                "/console/operators/add",
                vec![
                    ("username", "mallory"),
                    ("role", "owner"),
                    ("password", PASSWORD),
                ],
            ),
            (
                "/console/operators/role",
                vec![("id", own_id.as_str()), ("role", "owner")],
            ),
            (
                "/console/operators/disable",
                vec![("id", owner_id.as_str())],
            ),
            ("/console/operators/enable", vec![("id", owner_id.as_str())]),
            (
                "/console/operators/reset-mfa",
                vec![("id", owner_id.as_str())],
            ),
            (
                "/console/subjects/erase",
                vec![("phone", ALICE.e164), ("confirm", "ERASE")],
            ),
        ];
        if role == Role::Operator {
            forged.push(("/console/subjects/export", vec![("phone", ALICE.e164)]));
        }
        for (path, fields) in forged {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            let r = post(&gw, path, &cookies, &gw.admin_url(), &form).await?;
            ensure!(
                r.status() == StatusCode::FORBIDDEN,
                "{name} POST {path}: {}",
                r.status()
            );
        }
        if role == Role::Auditor {
            // The API's table lets an auditor export, without the text, and so does the form.
            let r = post(
                &gw,
                "/console/subjects/export",
                &cookies,
                &gw.admin_url(),
                &[("csrf", &csrf), ("phone", ALICE.e164)],
            )
            .await?;
            ensure!(r.status() == StatusCode::OK, "{}", r.status());
            let body = r.text().await?;
            ensure!(
                !body.contains(TASK) && body.contains("withheld_chars"),
                "{body}"
            );
        }
    }
    let after = gw.access().accounts().await?;
    ensure!(
        after.len() == before.len() + 2,
        "only the two test accounts were added"
    );
    ensure!(after[..before.len()] == before[..], "no account changed");
    ensure!(after
        .iter()
        .all(|a| a.enabled && a.username.as_str() != "mallory"));
    for kind in [
        "operator.role_changed",
        "operator.disabled",
        "operator.mfa_changed",
        "subject.erased",
    ] {
        ensure!(gw.count_kind(kind).await? == 0, "{kind}");
    }
    let export = gw.operator().export_subject(ALICE.e164, true).await?;
    ensure!(
        serde_json::to_string(&export)?.contains(TASK),
        "nothing erased"
    );
    gw.finish().await
}

async fn the_account_forms_answer_the_use_cases_refusals_as_pages_and_a_reset_key_replaces_the_old(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olive", Role::Owner).await?;
    let (cookies, _) = http_login(&gw, &owner, "/console/operators").await?;
    let client = http()?;
    let list = || async {
        let r = client
            .get(format!("{}/console/operators", gw.admin_url()))
            .header(header::COOKIE, &cookies)
            .send()
            .await?;
        ensure!(r.status() == StatusCode::OK, "{}", r.status());
        anyhow::Ok(r.text().await?)
    };
    let csrf = csrf_in(&list().await?)?;
    let form = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let cookies = cookies.clone();
        let csrf = csrf.clone();
        let gw = &gw;
        async move {
            let mut all = vec![("csrf", csrf)];
            all.extend(fields);
            let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = post(gw, path, &cookies, &gw.admin_url(), &all).await?;
            let status = r.status();
            let to = r
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            anyhow::Ok((status, to, r.text().await?))
        }
    };
    let olive = owner.id.0.to_string();

    // The last owner can be neither demoted nor disabled: the use case refuses, the page says so.
    for (path, fields) in [
        (
            "/console/operators/role",
            vec![("id", olive.clone()), ("role", "operator".to_owned())],
        ),
        ("/console/operators/disable", vec![("id", olive.clone())]),
    ] {
        let (status, _, page) = form(path, fields).await?;
        ensure!(status == StatusCode::FORBIDDEN, "{path}: {status}");
        ensure!(
            between(&page, r#"<p role="alert" class="error">"#, "</p>")?
                == "the last enabled owner cannot be disabled or demoted",
            "{page}"
        );
    }
    // The password policy and a taken name, in the use case's words (never the value).
    let add = |name: &str, password: &str| {
        vec![
            ("username", name.to_owned()),
            ("role", "operator".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let (status, _, page) = form("/console/operators/add", add("dave", "short")).await?;
    ensure!(status == StatusCode::BAD_REQUEST, "{status}");
    let said = between(&page, r#"<p role="alert" class="error">"#, "</p>")?;
    ensure!(
        said == "The password must have at least 12 characters.",
        "{said}"
    );
    let (status, _, page) = form("/console/operators/add", add("olive", PASSWORD)).await?;
    ensure!(status == StatusCode::CONFLICT, "{status}: {page}");
    ensure!(page.contains("that username is taken"));
    let (status, _, _) = form(
        "/console/operators/reset-mfa",
        vec![("id", "999".to_owned())],
    )
    .await?;
    ensure!(status == StatusCode::NOT_FOUND, "{status}");
    ensure!(
        gw.access().accounts().await?.len() == 1,
        "nothing was created"
    );

    // Added, then reset: the second key replaces the first, which stops working.
    let (status, _, page) = form("/console/operators/add", add("dave", PASSWORD)).await?;
    ensure!(status == StatusCode::CREATED, "{status}");
    let first = key_in(&page)?;
    let dave = gw
        .access()
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.username.as_str() == "dave")
        .context("dave")?
        .id
        .0
        .to_string();
    let (status, _, page) =
        form("/console/operators/reset-mfa", vec![("id", dave.clone())]).await?;
    ensure!(status == StatusCode::OK, "{status}");
    ensure!(page.contains("<svg") && page.contains("Authenticator for dave"));
    let second = key_in(&page)?;
    ensure!(first != second, "a new key");
    let login = |secret: TotpSecret| {
        let code = fresh_code(&gw, &secret);
        gw.access().login(LoginRequest {
            username: "dave".to_owned(),
            password: SecretString::from(PASSWORD),
            second_factor: SecretString::from(code),
        })
    };
    ensure!(login(first).await.is_err(), "the old key no longer works");
    ensure!(login(second.clone()).await.is_ok(), "the new key does");

    // Role, disable and enable go through and come back to the list with a status line.
    for (path, fields, done) in [
        (
            "/console/operators/role",
            vec![("id", dave.clone()), ("role", "auditor".to_owned())],
            "role",
        ),
        (
            "/console/operators/disable",
            vec![("id", dave.clone())],
            "disabled",
        ),
        (
            "/console/operators/enable",
            vec![("id", dave.clone())],
            "enabled",
        ),
    ] {
        let (status, to, _) = form(path, fields).await?;
        ensure!(status == StatusCode::SEE_OTHER, "{path}: {status}");
        ensure!(
            to == format!("/console/operators?done={done}"),
            "{path}: {to}"
        );
    }
    let dave_now = gw
        .access()
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.username.as_str() == "dave")
        .context("dave")?;
    ensure!(dave_now.role == Role::Auditor && dave_now.enabled);
    let page = list().await?;
    ensure!(
        !page.contains(second.to_base32().expose_secret()),
        "the list shows no key"
    );
    for kind in [
        "operator.role_changed",
        "operator.disabled",
        "operator.enabled",
        "operator.mfa_changed",
    ] {
        ensure!(gw.count_kind(kind).await? >= 1, "{kind} audited");
    }
    gw.finish().await
}
