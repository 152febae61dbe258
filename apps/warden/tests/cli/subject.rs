//! `warden subject export|erase` and `warden retention run` as an operator runs them on the
//! database host: the names and output are a contract.

use std::process::{Command, Output};

use warden::Config;
use warden_simulators::TwilioSimulator;
use warden_test_support::{on_both_backends, Backend, ManualClock, TestDb};
use warden_types::PhoneNumber;

use super::{stdout, warden, AUTH_TOKEN, PUBLIC_URL};

const SUBJECT: &str = "+14155550123";
const OTHER: &str = "+14155550124";
const PSEUDONYM_KEY: &str = "cli-subject-pseudonym-key-0123456789";

fn env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WARDEN_LISTEN", "127.0.0.1:0".to_owned()),
        ("WARDEN_DATABASE_URL", url.to_owned()),
        ("WARDEN_PUBLIC_URL", PUBLIC_URL.to_owned()),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_owned()),
        ("WARDEN_PAIR_TOKEN", "cli-pair-token-0123456789".to_owned()),
        ("WARDEN_PSEUDONYM_KEY", PSEUDONYM_KEY.to_owned()),
        ("WARDEN_ALLOWED_SENDERS", format!("{SUBJECT},{OTHER}")),
        ("WARDEN_LOG", "error".to_owned()),
    ]
}

/// The CLI with the gateway's whole configuration, as on the database host.
fn configured(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .env_clear()
        .envs(env(url))
        .output()
        .expect("run warden")
}

/// Each of two allowed senders adds a task (TwiML replies: nothing in the outbox).
async fn two_subjects_with_a_task_each(url: &str) {
    let vars = env(url);
    let config =
        Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("config");
    let running = warden::start(config, ManualClock::at(1_700_000_000_000))
        .await
        .expect("start");
    let twilio = TwilioSimulator::new(
        &format!("http://{}", running.addr),
        PUBLIC_URL,
        AUTH_TOKEN.to_owned().into(),
    );
    for (who, text) in [(SUBJECT, "add buy oat milk"), (OTHER, "add fix the bike")] {
        let who = PhoneNumber::parse(who).expect("number");
        assert_eq!(twilio.send(&who, text).await.expect("send").status, 200);
    }
    running.shutdown().await.expect("shutdown");
}

on_both_backends!(subject_export_and_erase_from_the_command_line);

async fn subject_export_and_erase_from_the_command_line(backend: Backend) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await;
    assert!(warden(&db.url, &["migrate"]).status.success());
    two_subjects_with_a_task_each(&db.url).await;

    let export = configured(&db.url, &["subject", "export", "--phone", SUBJECT]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&export.stdout)?;
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["phone"], SUBJECT);
    assert_eq!(json["tables"]["tasks"][0]["title"], "buy oat milk");
    assert!(!stdout(&export).contains("fix the bike"));

    let hidden = configured(
        &db.url,
        &["subject", "export", "--phone", SUBJECT, "--without-text"],
    );
    assert!(hidden.status.success());
    assert!(!stdout(&hidden).contains("oat milk"), "{}", stdout(&hidden));
    assert!(stdout(&hidden).contains("withheld_chars"));

    let bad = configured(&db.url, &["subject", "export", "--phone", "0044 7700"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--phone is not an E.164 number"));

    let erase = configured(&db.url, &["subject", "erase", "--phone", SUBJECT]);
    assert!(
        erase.status.success(),
        "{}",
        String::from_utf8_lossy(&erase.stderr)
    );
    let printed = stdout(&erase);
    assert!(printed.starts_with("erased "), "{printed}");
    assert!(
        printed
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["tasks", "1"]),
        "{printed}"
    );
    assert!(!printed.contains(SUBJECT), "{printed}");

    let after = configured(&db.url, &["subject", "export", "--phone", SUBJECT]);
    let json: serde_json::Value = serde_json::from_slice(&after.stdout)?;
    assert_eq!(json["tables"]["tasks"], serde_json::json!([]));
    let other = configured(&db.url, &["subject", "export", "--phone", OTHER]);
    assert!(
        stdout(&other).contains("fix the bike"),
        "the other subject is untouched"
    );

    let unknown = configured(&db.url, &["subject", "erase", "--phone", "+14155550199"]);
    assert!(unknown.status.success());
    assert!(
        stdout(&unknown).contains("nothing was held"),
        "{}",
        stdout(&unknown)
    );

    // The messages arrived in 2023 by the gateway's clock and the CLI runs on today's: both
    // replay ids (the erased subject's unlinked, not deleted) are past the 30-day default.
    let pass = configured(&db.url, &["retention", "run"]);
    assert!(
        pass.status.success(),
        "{}",
        String::from_utf8_lossy(&pass.stderr)
    );
    let printed = stdout(&pass);
    assert!(printed.starts_with("pruned 2 rows"), "{printed}");
    assert!(
        printed
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["replay_ids", "2"]),
        "{printed}"
    );
    let again = configured(&db.url, &["retention", "run"]);
    assert!(
        stdout(&again).starts_with("pruned 0 rows"),
        "{}",
        stdout(&again)
    );

    let verify = warden(&db.url, &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    Ok(())
}
