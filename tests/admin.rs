//! The admin API: who may get in, how sessions live and die, what each role may do, and what
//! every answer carries — over HTTP, on both databases.

use anyhow::{ensure, Context, Result};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use warden::admin::routes::{self, Guard, In};
use warden_access::Acting;
use warden_operators::{
    authorize, code_at, step_at, Actor, OperatorId, Resource, Role, TotpSecret,
};
use warden_simulators::{MockTwilioApi, TWILIO_ACCOUNT_SID};

use crate::support::{Backend, Gateway, Settings, ALICE, CAROL, MINUTE_MS};

on_both_backends!(
    a_session_lives_by_rotation_and_dies_when_a_spent_refresh_token_is_replayed,
    five_failed_logins_lock_the_account_and_the_lock_answers_423,
    every_role_gets_exactly_the_routes_its_role_allows,
    an_owner_manages_operators_and_cannot_remove_the_last_owner,
    no_password_token_totp_secret_or_phone_reaches_the_logs,
    a_stranger_pairs_by_code_and_an_operator_approves_it_through_the_api,
    a_subject_is_exported_then_erased_through_the_api_and_the_chain_still_verifies,
);

pub(crate) const PASSWORD: &str = "a long operator passphrase";

/// An operator account created as the CLI does, and its authenticator.
pub(crate) struct Account {
    pub(crate) id: OperatorId,
    pub(crate) name: String,
    totp: TotpSecret,
    recovery: Vec<SecretString>,
}

pub(crate) async fn account(gw: &Gateway, name: &str, role: Role) -> Result<Account> {
    let e = gw
        .access()
        .create_account(Acting::Cli, name, role, SecretString::from(PASSWORD), None)
        .await?;
    let uri = e.provisioning_uri.expose_secret().to_owned();
    ensure!(uri.starts_with("otpauth://totp/"), "a provisioning URI");
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .context("the URI's secret")?;
    Ok(Account {
        id: e.id,
        name: name.to_owned(),
        totp: TotpSecret::from_base32(secret).map_err(|e| anyhow::anyhow!("{e}"))?,
        recovery: e.recovery_codes,
    })
}

/// An answer: status, headers and the JSON body (or `Null`).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(
    gw: &Gateway,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Answer> {
    let mut req = gw
        .http()
        .request(method, format!("{}{path}", gw.admin_url()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&b)?);
    }
    let res = req.send().await?;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).context("a JSON body")?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// The account's TOTP code at the gateway's clock.
pub(crate) fn code(gw: &Gateway, a: &Account) -> String {
    code_at(
        &a.totp,
        step_at(warden_types::Clock::now(gw.clock.as_ref())),
    )
}

async fn login_with(gw: &Gateway, a: &Account, password: &str, totp: &str) -> Result<Answer> {
    call(
        gw,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": a.name, "password": password, "totp": totp})),
    )
    .await
}

/// Logs in with a fresh TOTP step (each code is accepted once), returning the token pair.
async fn login(gw: &Gateway, a: &Account) -> Result<(String, String)> {
    gw.clock.advance_ms(30_000);
    let r = login_with(gw, a, PASSWORD, &code(gw, a)).await?;
    ensure!(r.status == StatusCode::OK, "login: {} {}", r.status, r.body);
    ensure!(r.body["token_type"] == "Bearer", "{}", r.body);
    ensure!(r.body["expires_in"]
        .as_u64()
        .is_some_and(|s| s > 0 && s <= 900));
    Ok((
        r.body["access_token"]
            .as_str()
            .context("access_token")?
            .to_owned(),
        r.body["refresh_token"]
            .as_str()
            .context("refresh_token")?
            .to_owned(),
    ))
}

async fn a_session_lives_by_rotation_and_dies_when_a_spent_refresh_token_is_replayed(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let alice = account(&gw, "alice", Role::Operator).await?;
    let (access, refresh) = login(&gw, &alice).await?;
    let r = call(
        &gw,
        Method::GET,
        "/api/v1/outbox?status=failed",
        Some(&access),
        None,
    )
    .await?;
    ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);

    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await?;
    ensure!(r.status == StatusCode::OK, "refresh: {}", r.status);
    let access2 = r.body["access_token"]
        .as_str()
        .context("access")?
        .to_owned();
    let refresh2 = r.body["refresh_token"]
        .as_str()
        .context("refresh")?
        .to_owned();
    ensure!(refresh2 != refresh, "the refresh token rotates");

    // The first token, already spent, is presented again: a copy is in someone else's hands.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await?;
    ensure!(r.status == StatusCode::UNAUTHORIZED, "reuse: {}", r.status);
    // The whole family is revoked: the newest refresh and access tokens too.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh2})),
    )
    .await?;
    ensure!(r.status == StatusCode::UNAUTHORIZED, "family: {}", r.status);
    let r = call(&gw, Method::GET, "/api/v1/outbox", Some(&access2), None).await?;
    ensure!(
        r.status == StatusCode::UNAUTHORIZED,
        "access after revocation: {}",
        r.status
    );
    ensure!(gw.count_kind("operator.session_revoked").await? == 1);

    // A recovery code logs in once; logout ends that session at once.
    let r = login_with(&gw, &alice, PASSWORD, alice.recovery[0].expose_secret()).await?;
    ensure!(r.status == StatusCode::OK, "recovery code: {}", r.status);
    let token = r.body["access_token"]
        .as_str()
        .context("access")?
        .to_owned();
    let r = call(&gw, Method::POST, "/api/v1/auth/logout", Some(&token), None).await?;
    ensure!(r.status == StatusCode::NO_CONTENT, "logout: {}", r.status);
    let r = call(&gw, Method::GET, "/api/v1/outbox", Some(&token), None).await?;
    ensure!(
        r.status == StatusCode::UNAUTHORIZED,
        "after logout: {}",
        r.status
    );
    let r = login_with(&gw, &alice, PASSWORD, alice.recovery[0].expose_secret()).await?;
    ensure!(
        r.status == StatusCode::UNAUTHORIZED,
        "a recovery code twice: {}",
        r.status
    );
    gw.finish().await
}

async fn five_failed_logins_lock_the_account_and_the_lock_answers_423(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let bob = account(&gw, "bob", Role::Owner).await?;
    let mut messages = Vec::new();
    for attempt in 0..5 {
        // Wrong passwords and a wrong code fail alike.
        let r = if attempt == 4 {
            login_with(&gw, &bob, PASSWORD, "000000").await?
        } else {
            login_with(&gw, &bob, "not the passphrase at all", &code(&gw, &bob)).await?
        };
        ensure!(
            r.status == StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            r.status
        );
        ensure!(problem(&r), "problem+json");
        messages.push(r.body["detail"].clone());
    }
    // An unknown user gets the very same answer.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "nobody", "password": PASSWORD, "totp": "123456"})),
    )
    .await?;
    ensure!(r.status == StatusCode::UNAUTHORIZED && r.body["detail"] == messages[0]);
    ensure!(
        messages.iter().all(|m| *m == messages[0]),
        "one generic message: {messages:?}"
    );

    gw.clock.advance_ms(30_000);
    let r = login_with(&gw, &bob, PASSWORD, &code(&gw, &bob)).await?;
    ensure!(
        r.status == StatusCode::LOCKED,
        "locked: {} {}",
        r.status,
        r.body
    );
    ensure!(gw.count_kind("operator.login_failed").await? == 5);
    ensure!(gw.count_kind("operator.locked").await? == 1);

    gw.clock.advance_ms(15 * MINUTE_MS);
    login(&gw, &bob).await?;
    gw.finish().await
}

fn problem(r: &Answer) -> bool {
    r.headers
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json")
        && r.body["status"].as_u64() == Some(u64::from(r.status.as_u16()))
        && r.body["title"].is_string()
}

/// A request each route can take without changing anything that matters: unknown ids, empty
/// bodies. An allowed role gets past authorization (anything but 401/403); a refused one 403.
fn probe(route: &routes::Route) -> (String, Option<Value>) {
    let path = route
        .path
        .replace("{id}", "999999")
        .replace("{code}", "ZZZZ-ZZZZ");
    let body = route.body.map(|_| json!({}));
    let _ = route.params.iter().filter(|(_, at, ..)| *at == In::Query);
    (path, body)
}

async fn every_role_gets_exactly_the_routes_its_role_allows(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .market()
            .twilio_rest("http://127.0.0.1:9"),
    )
    .await?;
    let mut checked = 0;
    for role in Role::ALL {
        let a = account(&gw, &format!("{role}-1"), role).await?;
        let (token, _) = login(&gw, &a).await?;
        let actor = Actor { id: a.id, role };
        for route in routes::table() {
            let Guard::Requires(action) = route.guard else {
                continue;
            };
            let (path, body) = probe(&route);
            let r = call(&gw, route.method.clone(), &path, Some(&token), body).await?;
            let allowed = authorize(&actor, action, &Resource::Any).is_ok();
            if allowed {
                ensure!(
                    r.status != StatusCode::FORBIDDEN
                        && r.status != StatusCode::UNAUTHORIZED
                        && !r.status.is_server_error(),
                    "{role} {} {path}: {} {}",
                    route.method,
                    r.status,
                    r.body
                );
            } else {
                ensure!(
                    r.status == StatusCode::FORBIDDEN && problem(&r),
                    "{role} {} {path} must be refused: {} {}",
                    route.method,
                    r.status,
                    r.body
                );
            }
            // Without a token, every guarded route is 401.
            let (path, body) = probe(&route);
            let r = call(&gw, route.method.clone(), &path, None, body).await?;
            ensure!(
                r.status == StatusCode::UNAUTHORIZED,
                "{} {path} without a token",
                route.method
            );
            ensure!(r
                .headers
                .get("www-authenticate")
                .is_some_and(|v| v == "Bearer"));
            checked += 1;
            // Each role stays inside its per-minute budgets.
            gw.clock.advance_ms(MINUTE_MS / 10);
        }
    }
    ensure!(checked >= 3 * 20, "only {checked} route checks");
    gw.finish().await
}

async fn an_owner_manages_operators_and_cannot_remove_the_last_owner(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin()).await?;
    let owner = account(&gw, "olivia", Role::Owner).await?;
    let (token, _) = login(&gw, &owner).await?;
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/operators",
        Some(&token),
        Some(json!({"username": "dave", "role": "auditor", "password": PASSWORD})),
    )
    .await?;
    ensure!(r.status == StatusCode::CREATED, "{} {}", r.status, r.body);
    ensure!(r.body["totp_uri"]
        .as_str()
        .is_some_and(|u| u.starts_with("otpauth://totp/Warden:dave")));
    ensure!(r.body["recovery_codes"]
        .as_array()
        .is_some_and(|c| c.len() == 10));
    let dave = r.body["id"].as_i64().context("id")?;

    // A common password, a taken name and an unknown role are 400/409 with a reason.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/operators",
        Some(&token),
        Some(json!({"username": "erin", "role": "operator", "password": "unbelievable"})),
    )
    .await?;
    ensure!(
        r.status == StatusCode::BAD_REQUEST && problem(&r),
        "{} {}",
        r.status,
        r.body
    );
    ensure!(
        !r.body.to_string().contains("unbelievable"),
        "the password is not echoed"
    );
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/operators",
        Some(&token),
        Some(json!({"username": "dave", "role": "operator", "password": PASSWORD})),
    )
    .await?;
    ensure!(r.status == StatusCode::CONFLICT, "{} {}", r.status, r.body);

    let r = call(
        &gw,
        Method::POST,
        &format!("/api/v1/operators/{dave}/role"),
        Some(&token),
        Some(json!({"role": "operator"})),
    )
    .await?;
    ensure!(
        r.status == StatusCode::NO_CONTENT,
        "{} {}",
        r.status,
        r.body
    );
    let id = owner.id.0;
    for (path, body) in [
        (format!("/api/v1/operators/{id}/disable"), None),
        (
            format!("/api/v1/operators/{id}/role"),
            Some(json!({"role": "auditor"})),
        ),
    ] {
        let r = call(&gw, Method::POST, &path, Some(&token), body).await?;
        ensure!(
            r.status == StatusCode::FORBIDDEN,
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    let r = call(&gw, Method::GET, "/api/v1/operators", Some(&token), None).await?;
    let list = r.body.as_array().context("a list")?;
    ensure!(list.len() == 2 && list.iter().all(|o| o.get("password_hash").is_none()));
    ensure!(
        !r.body.to_string().contains("$argon2"),
        "no hash in the listing"
    );
    ensure!(gw.count_kind("operator.role_changed").await? == 1);
    gw.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_21st_auth_request_in_a_minute_gets_429_with_retry_after() -> Result<()> {
    let gw = Gateway::start_with(Backend::Sqlite, Settings::new().admin()).await?;
    for i in 0..20 {
        let r = call(
            &gw,
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "wrt_nope"})),
        )
        .await?;
        ensure!(
            r.status == StatusCode::UNAUTHORIZED,
            "request {i}: {}",
            r.status
        );
    }
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "x", "password": "y", "totp": "z"})),
    )
    .await?;
    ensure!(
        r.status == StatusCode::TOO_MANY_REQUESTS && problem(&r),
        "{}",
        r.status
    );
    let retry: u64 = r
        .headers
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    ensure!((1..=60).contains(&retry), "Retry-After {retry}");
    // Bad bearer tokens on other routes spend the same per-address budget.
    let r = call(&gw, Method::GET, "/api/v1/audit", Some("not-a-token"), None).await?;
    ensure!(r.status == StatusCode::TOO_MANY_REQUESTS, "{}", r.status);
    gw.clock.advance_ms(MINUTE_MS);
    let r = call(&gw, Method::GET, "/api/v1/audit", Some("not-a-token"), None).await?;
    ensure!(r.status == StatusCode::UNAUTHORIZED, "{}", r.status);
    gw.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_security_headers_and_bodies_over_64_kib_are_refused() -> Result<()> {
    let gw = Gateway::start_with(Backend::Sqlite, Settings::new().admin()).await?;
    let big = "x".repeat(65 * 1024);
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": big, "password": "p", "totp": "1"})),
    )
    .await?;
    ensure!(r.status == StatusCode::PAYLOAD_TOO_LARGE, "{}", r.status);
    for path in ["/api/v1/openapi.json", "/api/v1/audit", "/api/v1/nope"] {
        let r = call(&gw, Method::GET, path, None, None).await?;
        for (name, value) in [
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            ensure!(
                r.headers.get(name).is_some_and(|v| v == value),
                "{path}: {name}"
            );
        }
        ensure!(
            r.headers.get("content-security-policy").is_some(),
            "{path}: CSP"
        );
    }
    // CORS is off: a browser on another origin gets no permission.
    let r = gw
        .http()
        .get(format!("{}/api/v1/openapi.json", gw.admin_url()))
        .header("origin", "https://evil.example")
        .send()
        .await?;
    ensure!(r.headers().get("access-control-allow-origin").is_none());
    // Nor is the admin API on the public webhook port.
    let r = gw
        .http()
        .get(format!("{}/api/v1/openapi.json", gw.endpoint()))
        .send()
        .await?;
    ensure!(r.status() == StatusCode::NOT_FOUND, "{}", r.status());
    gw.finish().await
}

/// Every error is problem+json, a wrong method included (it used to be an empty 405).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_the_path_does_not_serve_gets_a_405_problem_with_allow() -> Result<()> {
    let gw = Gateway::start_with(Backend::Sqlite, Settings::new().admin()).await?;
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/audit", "GET,HEAD"),
        (Method::GET, "/api/v1/auth/login", "POST"),
        (Method::PATCH, "/api/v1/allowlist", "GET,HEAD,POST,DELETE"),
    ] {
        let r = call(&gw, method.clone(), path, None, None).await?;
        ensure!(
            r.status == StatusCode::METHOD_NOT_ALLOWED && problem(&r),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        let got = r.headers.get("allow").context("Allow")?.to_str()?;
        let mut got: Vec<_> = got.split(',').map(str::trim).collect();
        let mut want: Vec<_> = allow.split(',').collect();
        got.sort_unstable();
        want.sort_unstable();
        ensure!(got == want, "{method} {path}: Allow {got:?}");
    }
    gw.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_only_the_configured_origins() -> Result<()> {
    let origin = "https://console.example.com";
    let gw = Gateway::start_with(
        Backend::Sqlite,
        Settings::new().admin_env("WARDEN_ADMIN_CORS_ORIGINS", origin),
    )
    .await?;
    let preflight = |o: &'static str| {
        gw.http()
            .request(
                Method::OPTIONS,
                format!("{}/api/v1/auth/login", gw.admin_url()),
            )
            .header("origin", o)
            .header("access-control-request-method", "POST")
            .send()
    };
    let r = preflight(origin).await?;
    ensure!(r
        .headers()
        .get("access-control-allow-origin")
        .is_some_and(|v| v == origin));
    let r = preflight("https://evil.example").await?;
    ensure!(r.headers().get("access-control-allow-origin").is_none());
    gw.finish().await
}

#[test]
fn every_route_outside_auth_declares_the_action_it_requires() {
    for route in routes::table() {
        let auth = route.path.starts_with("/api/v1/auth/") || route.path == "/api/v1/openapi.json";
        match route.guard {
            Guard::Requires(_) => assert!(!auth, "{} {} needs no action", route.method, route.path),
            Guard::Public | Guard::OwnSession => {
                assert!(auth, "{} {} declares no action", route.method, route.path)
            }
        }
    }
}

#[test]
fn the_openapi_document_describes_exactly_the_routes_served() {
    let doc: Value = serde_json::from_str(&warden::admin::openapi_document()).unwrap_or_default();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut served: Vec<String> = routes::table()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // Every guarded operation names the bearer scheme; every error is problem+json.
    for route in routes::table() {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert_eq!(
            op["security"].is_array(),
            route.guard != Guard::Public,
            "{}",
            route.path
        );
        assert!(op["responses"]["429"]["content"]["application/problem+json"].is_object());
    }
}

async fn no_password_token_totp_secret_or_phone_reaches_the_logs(backend: Backend) -> Result<()> {
    crate::leaks::install()?;
    let api = MockTwilioApi::start(TWILIO_ACCOUNT_SID, None).await?;
    let gw =
        Gateway::start_with(backend, Settings::new().admin().twilio_outbox(&api.url())).await?;
    // The owner registered a number: security alerts go to it through the outbox.
    let e = gw
        .access()
        .create_account(
            Acting::Cli,
            "olivia",
            Role::Owner,
            SecretString::from(PASSWORD),
            Some(ALICE.phone()),
        )
        .await?;
    let owner = account(&gw, "oscar", Role::Owner).await?;
    let mut needles = vec![
        PASSWORD.to_owned(),
        "a wrong passphrase typed twice".to_owned(),
        e.provisioning_uri.expose_secret().to_owned(),
    ];
    needles.extend(
        e.recovery_codes
            .iter()
            .map(|c| c.expose_secret().to_owned()),
    );
    needles.extend(owner.recovery.iter().map(|c| c.expose_secret().to_owned()));
    let secret = e
        .provisioning_uri
        .expose_secret()
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .context("secret")?
        .to_owned();
    needles.push(secret);

    let (access, refresh) = login(&gw, &owner).await?;
    needles.extend([access.clone(), refresh.clone()]);
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await?;
    needles.push(
        r.body["access_token"]
            .as_str()
            .context("access")?
            .to_owned(),
    );
    needles.push(
        r.body["refresh_token"]
            .as_str()
            .context("refresh")?
            .to_owned(),
    );
    // Reuse: the family is revoked and every owner with a number is alerted.
    call(
        &gw,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await?;
    for _ in 0..5 {
        login_with(
            &gw,
            &owner,
            "a wrong passphrase typed twice",
            &code(&gw, &owner),
        )
        .await?;
    }
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/allowlist",
        Some(&access),
        Some(json!({"phone": ALICE.e164})),
    )
    .await?;
    ensure!(
        r.status == StatusCode::UNAUTHORIZED,
        "the revoked token: {}",
        r.status
    );
    ensure!(
        gw.count_kind("outbox.enqueued").await? >= 2,
        "alerts were enqueued"
    );
    // The audit log holds neither the number nor any credential either.
    let stored = gw.everything_stored().await?;
    for n in &needles {
        ensure!(
            !stored.contains(n.as_str()),
            "a credential is stored in the clear"
        );
    }
    let mut all = gw.secrets.all();
    all.extend(needles);
    crate::leaks::assert_clean(&all)?;
    gw.finish().await?;
    api.shutdown().await?;
    Ok(())
}

async fn a_stranger_pairs_by_code_and_an_operator_approves_it_through_the_api(
    backend: Backend,
) -> Result<()> {
    let graph = warden_simulators::MockGraph::healthy().await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .admin()
            .meta(&graph.url())
            .pairing_mode("approval"),
    )
    .await?;
    let code = crate::pairing::code_in(gw.meta_say(&graph, CAROL, "/pair").await?.as_deref())?;
    let op = account(&gw, "opal", Role::Operator).await?;
    let (token, _) = login(&gw, &op).await?;

    let r = call(&gw, Method::GET, "/api/v1/pairings", Some(&token), None).await?;
    ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);
    let pending = r.body.as_array().context("a list")?;
    ensure!(
        pending.len() == 1 && pending[0]["code"] == code.display(),
        "{}",
        r.body
    );
    ensure!(
        !r.body.to_string().contains(CAROL.e164),
        "the number is masked"
    );

    // Typed as an operator might: lower case, no dash.
    let typed = code.as_str().to_lowercase();
    let r = call(
        &gw,
        Method::POST,
        &format!("/api/v1/pairings/{typed}/approve"),
        Some(&token),
        None,
    )
    .await?;
    ensure!(
        r.status == StatusCode::NO_CONTENT,
        "{} {}",
        r.status,
        r.body
    );
    let r = call(
        &gw,
        Method::POST,
        &format!("/api/v1/pairings/{typed}/approve"),
        Some(&token),
        None,
    )
    .await?;
    ensure!(
        r.status == StatusCode::CONFLICT && problem(&r),
        "decided twice: {}",
        r.status
    );
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/pairings/NOPE-NOPE/reject",
        Some(&token),
        None,
    )
    .await?;
    ensure!(
        r.status.is_client_error() && problem(&r),
        "unknown code: {}",
        r.status
    );

    ensure!(
        gw.meta_say(&graph, CAROL, "help").await?.is_some(),
        "the approved sender may now use commands"
    );
    let approved = gw
        .audit()
        .await?
        .into_iter()
        .find(|e| e.kind == "pairing.approved")
        .context("pairing.approved")?;
    ensure!(
        approved.detail.contains(&format!("operator:{}", op.id.0)),
        "{}",
        approved.detail
    );
    gw.finish().await
}

async fn a_subject_is_exported_then_erased_through_the_api_and_the_chain_still_verifies(
    backend: Backend,
) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().admin().allow(&[ALICE])).await?;
    let task = "add collect the prescription on Friday";
    gw.say(ALICE, task).await?.context("a reply")?;
    let owner = account(&gw, "olivia", Role::Owner).await?;
    let auditor = account(&gw, "audrey", Role::Auditor).await?;
    let (owner_token, _) = login(&gw, &owner).await?;
    let (auditor_token, _) = login(&gw, &auditor).await?;
    let subject = json!({"phone": ALICE.e164});

    let r = call(
        &gw,
        Method::POST,
        "/api/v1/subjects/export",
        Some(&owner_token),
        Some(subject.clone()),
    )
    .await?;
    ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);
    ensure!(
        r.body.to_string().contains("collect the prescription"),
        "the owner reads the task"
    );
    // An auditor may export, but never reads message text.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/subjects/export",
        Some(&auditor_token),
        Some(subject.clone()),
    )
    .await?;
    ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);
    let text = r.body.to_string();
    ensure!(
        !text.contains("prescription") && text.contains("withheld_chars"),
        "{text}"
    );
    // Only an owner erases.
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/subjects/erase",
        Some(&auditor_token),
        Some(subject.clone()),
    )
    .await?;
    ensure!(r.status == StatusCode::FORBIDDEN, "{}", r.status);
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/subjects/erase",
        Some(&owner_token),
        Some(subject.clone()),
    )
    .await?;
    ensure!(
        r.status == StatusCode::OK && r.body["nothing_held"] == false,
        "{} {}",
        r.status,
        r.body
    );
    ensure!(r.body["counts"]["tasks"] == 1, "{}", r.body);

    let r = call(
        &gw,
        Method::POST,
        "/api/v1/subjects/export",
        Some(&owner_token),
        Some(subject),
    )
    .await?;
    ensure!(!r.body.to_string().contains("prescription"), "erased");
    let r = call(
        &gw,
        Method::POST,
        "/api/v1/audit/verify",
        Some(&auditor_token),
        None,
    )
    .await?;
    ensure!(
        r.status == StatusCode::OK && r.body["valid"] == true,
        "{}",
        r.body
    );
    ensure!(
        gw.audit().await?.iter().any(|e| e.kind == "audit.verified"
            && e.detail.contains("result=intact")
            && e.detail
                .contains(&format!("actor=operator:{}", auditor.id.0))),
        "the API's verification is recorded as the auditor's"
    );
    let erased = gw
        .audit()
        .await?
        .into_iter()
        .find(|e| e.kind == "subject.erased")
        .context("subject.erased")?;
    ensure!(erased.sender.is_none(), "the erasure names no subject");
    ensure!(
        erased.detail.contains(&format!("operator:{}", owner.id.0)),
        "{}",
        erased.detail
    );
    gw.finish().await
}

/// The document promises exactly what the handlers take (found by schemathesis): a value at
/// each documented bound and every documented enum value gets past the parameter's check, one
/// past a bound or outside the enum is refused with 400. An integer parameter without bounds
/// fails here, as it once did in the fuzzer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_parameter_bound_in_the_document_is_the_handlers_bound() -> Result<()> {
    let gw = Gateway::start_with(
        Backend::Sqlite,
        Settings::new()
            .admin_env("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "100000")
            .market()
            .twilio_rest("http://127.0.0.1:9"),
    )
    .await?;
    // Id 1 is not the caller: resetting or disabling it cannot end this session.
    account(&gw, "first-1", Role::Operator).await?;
    let owner = account(&gw, "owner-1", Role::Owner).await?;
    let (token, _) = login(&gw, &owner).await?;
    let doc: Value = serde_json::from_str(&warden::admin::openapi_document())?;
    let mut checked = 0;
    for route in routes::table() {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        for param in op["parameters"].as_array().into_iter().flatten() {
            let name = param["name"].as_str().context("a parameter name")?;
            let schema = &param["schema"];
            let (mut taken, mut refused) = (Vec::new(), Vec::new());
            if let Some(values) = schema["enum"].as_array() {
                taken.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
                refused.push("not-a-documented-value".to_owned());
            }
            if schema["type"] == "integer" {
                let min = schema["minimum"].as_i64().context("an integer's minimum")?;
                let max = schema["maximum"].as_i64().context("an integer's maximum")?;
                taken.extend([min.to_string(), max.to_string()]);
                refused.push((i128::from(min) - 1).to_string());
                refused.push((i128::from(max) + 1).to_string());
            }
            if schema["pattern"].is_string() {
                // The one patterned parameter: a pairing code.
                taken.extend(["K7Q3-M2XP".to_owned(), "k7q3m2xp".to_owned()]);
                refused.extend(["IIII-IIII".to_owned(), "K7Q3-M2XP9".to_owned()]);
            }
            ensure!(!refused.is_empty(), "{} {name} is unbounded", route.path);
            let url = |value: &str| match param["in"].as_str() {
                Some("path") => route.path.replace(&format!("{{{name}}}"), value),
                _ => format!("{}?{name}={value}", route.path),
            };
            // A body would be checked after the parameter: only a refusal proves anything there.
            if route.body.is_none() {
                for value in &taken {
                    let r =
                        call(&gw, route.method.clone(), &url(value), Some(&token), None).await?;
                    ensure!(
                        ![StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&r.status)
                            && !r.status.is_server_error(),
                        "{} {name}={value}: {} {}",
                        route.path,
                        r.status,
                        r.body
                    );
                    checked += 1;
                }
            }
            for value in &refused {
                let body = route.body.map(|_| json!({}));
                let r = call(&gw, route.method.clone(), &url(value), Some(&token), body).await?;
                ensure!(
                    r.status == StatusCode::BAD_REQUEST && problem(&r),
                    "{} {name}={value} must be refused: {} {}",
                    route.path,
                    r.status,
                    r.body
                );
                checked += 1;
            }
        }
    }
    ensure!(checked >= 80, "only {checked} parameter values checked");
    gw.finish().await
}

/// The request budgets follow their variables: a deployment (or the API property check) can
/// set them, and they still answer 429 with Retry-After when spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_request_budgets_follow_their_variables() -> Result<()> {
    let gw = Gateway::start_with(
        Backend::Sqlite,
        Settings::new()
            .admin_env("WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE", "3")
            .admin_env("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "2"),
    )
    .await?;
    let alice = account(&gw, "alice", Role::Auditor).await?;
    // One login spends one of the three unauthenticated requests.
    let (token, _) = login(&gw, &alice).await?;
    async fn refresh(gw: &Gateway) -> Result<Answer> {
        let body = json!({"refresh_token": "wrt_nope"});
        call(gw, Method::POST, "/api/v1/auth/refresh", None, Some(body)).await
    }
    for _ in 0..2 {
        ensure!(refresh(&gw).await?.status == StatusCode::UNAUTHORIZED);
    }
    let r = refresh(&gw).await?;
    ensure!(
        r.status == StatusCode::TOO_MANY_REQUESTS && r.headers.contains_key("retry-after"),
        "the 4th unauthenticated request: {}",
        r.status
    );
    for _ in 0..2 {
        let r = call(&gw, Method::GET, "/api/v1/audit", Some(&token), None).await?;
        ensure!(r.status == StatusCode::OK, "{} {}", r.status, r.body);
    }
    let r = call(&gw, Method::GET, "/api/v1/audit", Some(&token), None).await?;
    ensure!(
        r.status == StatusCode::TOO_MANY_REQUESTS && r.headers.contains_key("retry-after"),
        "the 3rd authenticated request: {}",
        r.status
    );
    gw.finish().await
}
