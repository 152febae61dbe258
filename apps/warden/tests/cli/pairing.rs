//! `warden pairing list|approve|reject`: what an operator types, what it prints, its exit codes.

use warden::{Config, SystemClock};
use warden_simulators::TwilioSimulator;
use warden_test_support::{on_both_backends, Backend, ManualClock, TestDb};
use warden_types::{Clock, PhoneNumber};

use super::{stdout, warden, AUTH_TOKEN, PUBLIC_URL};

const CAROL: &str = "+61491570156";
const DAVE: &str = "+14155550177";

/// Runs a gateway in approval mode (the real clock: the CLI reads it too) and has each of
/// `strangers` send `/pair`; returns their codes as they were told.
async fn codes_for(url: &str, strangers: &[&str]) -> Vec<String> {
    let env = [
        ("WARDEN_LISTEN", "127.0.0.1:0".to_owned()),
        ("WARDEN_DATABASE_URL", url.to_owned()),
        ("WARDEN_PUBLIC_URL", PUBLIC_URL.to_owned()),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_owned()),
        ("WARDEN_PAIR_TOKEN", "cli-pair-token-0123456789".to_owned()),
        ("WARDEN_PAIRING_MODE", "approval".to_owned()),
        (
            "WARDEN_PSEUDONYM_KEY",
            "cli-test-pseudonym-key-0123456789".to_owned(),
        ),
    ];
    let config = Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("config");
    let running = warden::start(config, ManualClock::at(SystemClock.now().as_i64()))
        .await
        .expect("start");
    let twilio = TwilioSimulator::new(
        &format!("http://{}", running.addr),
        PUBLIC_URL,
        AUTH_TOKEN.to_owned().into(),
    );
    let mut codes = Vec::new();
    for who in strangers {
        let phone = PhoneNumber::parse(who).expect("number");
        let reply = twilio.send(&phone, "/pair").await.expect("send").reply();
        let reply = reply.expect("a code reply");
        let code = reply
            .strip_prefix("Your pairing code is ")
            .and_then(|r| r.split('.').next())
            .expect("a code reply");
        codes.push(code.to_owned());
    }
    running.shutdown().await.expect("shutdown");
    codes
}

on_both_backends!(pairing_cli_lists_masked_approves_and_rejects_with_clear_errors);

async fn pairing_cli_lists_masked_approves_and_rejects_with_clear_errors(
    backend: Backend,
) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await;
    assert!(warden(&db.url, &["migrate"]).status.success());
    let empty = warden(&db.url, &["pairing", "list"]);
    assert_eq!(empty.status.code(), Some(0));
    assert!(stdout(&empty).contains("no pending pairing requests"));

    let codes = codes_for(&db.url, &[CAROL, DAVE]).await;
    let (carol, dave) = (&codes[0], &codes[1]);

    let list = warden(&db.url, &["pairing", "list"]);
    assert_eq!(list.status.code(), Some(0));
    let text = stdout(&list);
    assert!(
        text.contains(carol.as_str()) && text.contains(dave.as_str()),
        "{text}"
    );
    assert!(text.contains("+6"), "masked numbers are shown: {text}");
    for digits in ["491570156", "4155550177"] {
        assert!(!text.contains(digits), "a full number in: {text}");
    }

    // Any case, no dash.
    let typed = carol.replace('-', "").to_lowercase();
    let approved = warden(&db.url, &["pairing", "approve", &typed]);
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    assert!(stdout(&approved).contains(&format!("pairing {carol} approved")));

    let again = warden(&db.url, &["pairing", "approve", carol]);
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already approved"), "{err}");

    let rejected = warden(&db.url, &["pairing", "reject", dave]);
    assert_eq!(rejected.status.code(), Some(0));
    assert!(stdout(&rejected).contains(&format!("pairing {dave} rejected")));

    let bad = warden(&db.url, &["pairing", "approve", "K7Q3-M2X"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("is not a pairing code"), "{err}");
    let unknown = warden(&db.url, &["pairing", "reject", "ZZZZ-ZZZZ"]);
    assert_eq!(unknown.status.code(), Some(1));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no pairing request has that code"), "{err}");

    let list = warden(&db.url, &["pairing", "list"]);
    assert!(stdout(&list).contains("no pending pairing requests"));
    let verify = warden(&db.url, &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    Ok(())
}
