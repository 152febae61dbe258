//! Logs are kept longer and shared wider than the database: they must never carry a phone
//! number, a message body or a secret, whatever the level.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::Result;
use tracing_subscriber::fmt::format::FmtSpan;
use warden::demo::TwilioSimulator;

use crate::audit::eventful_conversation;
use crate::support::{
    phone_needles, with_field, Backend, Gateway, Settings, ALICE, BOB, MINUTE_MS,
};

on_both_backends!(logs_never_contain_phone_numbers_bodies_or_secrets);

/// Everything logged in this process, through `tracing` and through `log`, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn append(&self, bytes: &[u8]) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl log::Log for Captured {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.append(
            format!(
                "log {} {}: {}\n",
                record.level(),
                record.target(),
                record.args()
            )
            .as_bytes(),
        );
    }

    fn flush(&self) {}
}

/// Installs the process-wide capture once. nextest runs each test in its own process; under
/// `cargo test` both backends share one capture, which only makes the check stricter.
fn capture() -> Result<Captured> {
    static CAPTURE: OnceLock<Result<Captured, String>> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            // The gateway's own filter at its most verbose: what an operator gets with
            // WARDEN_LOG=trace.
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(warden::telemetry::filter("trace"))
                .with_ansi(false)
                .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .map_err(|e| format!("another global tracing subscriber is installed: {e}"))?;
            log::set_boxed_logger(Box::new(captured.clone()))
                .map_err(|e| format!("another global logger is installed: {e}"))?;
            log::set_max_level(log::LevelFilter::Trace);
            Ok(captured)
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

async fn logs_never_contain_phone_numbers_bodies_or_secrets(backend: Backend) -> Result<()> {
    let captured = capture()?;
    let mut gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE, BOB])
            .rate_limit(3)
            .db_password(),
    )
    .await?;

    let mut bodies = eventful_conversation(&gw).await?;
    // A fresh rate window, so the messages below take effect (and reach the database).
    gw.clock.advance_ms(MINUTE_MS);
    // A replay.
    let sid = TwilioSimulator::new_sid();
    let private = "add Pick up insulin for Dana at 22 Baker Street";
    gw.twilio
        .send_with_sid(&ALICE.phone(), private, &sid)
        .await?;
    let replay = gw
        .twilio
        .send_with_sid(&ALICE.phone(), private, &sid)
        .await?;
    anyhow::ensure!(replay.reply().is_none(), "replay answered: {}", replay.body);
    // An authentic webhook that is not a WhatsApp message (an SMS from the same number).
    let sms = with_field(
        &gw.twilio.form(
            &ALICE.phone(),
            "add sms body text",
            &TwilioSimulator::new_sid(),
        ),
        "From",
        ALICE.e164,
    );
    anyhow::ensure!(gw.post_signed(&sms).await?.status == 400, "SMS accepted");
    // Readiness, a restart (migrations run again), and a message after it.
    gw.get("/readyz").await?;
    gw.restart().await?;
    gw.clock.advance_ms(MINUTE_MS);
    gw.say(BOB, "add Renew passport X1234567").await?;
    let secrets = gw.secrets.all();
    anyhow::ensure!(secrets.len() == 3 + usize::from(backend == Backend::Postgres));
    gw.finish().await?;

    let logs = captured.text();
    for marker in [
        "webhook authentication failed",
        "replayed message ignored",
        "not a WhatsApp message",
        "warden listening",
    ] {
        assert!(
            logs.contains(marker),
            "the capture missed {marker:?}:\n{logs}"
        );
    }

    bodies.extend([
        private.to_owned(),
        "insulin".to_owned(),
        "Baker Street".to_owned(),
        "add sms body text".to_owned(),
        "Call the dentist".to_owned(),
        "Renew passport".to_owned(),
        "X1234567".to_owned(),
        "Demo User".to_owned(),
    ]);
    let mut needles = secrets;
    needles.extend(phone_needles());
    needles.extend(bodies);
    let leaks = leaks(&logs, &needles);
    assert!(
        leaks.is_empty(),
        "{} log lines leak; by level and source:\n{}",
        leaks.len(),
        summarise(&leaks)
    );
    Ok(())
}

/// One log line that holds a needle.
#[derive(Debug)]
struct Leak {
    needle: String,
    /// `LEVEL target` of the line (the event's, or `log` for `log` records).
    source: String,
    line: String,
}

fn leaks(logs: &str, needles: &[String]) -> Vec<Leak> {
    logs.lines()
        .flat_map(|line| {
            needles
                .iter()
                .filter(|n| line.contains(n.as_str()))
                .map(move |n| Leak {
                    needle: n.clone(),
                    source: source_of(line),
                    line: line.chars().take(400).collect(),
                })
        })
        .collect()
}

/// `2026-…Z TRACE span{…}: some::target: message` → `TRACE some::target` (every `a::b:` token
/// on the line, as span contents may themselves hold `: `).
fn source_of(line: &str) -> String {
    let level = line.split_whitespace().nth(1).unwrap_or("?");
    let targets: Vec<&str> = line
        .split_whitespace()
        .filter_map(|w| w.strip_suffix(':'))
        .filter(|w| {
            w.contains("::")
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b':')
        })
        .collect();
    format!("{level} {}", targets.join(" "))
}

fn summarise(leaks: &[Leak]) -> String {
    let mut seen = std::collections::BTreeMap::<(String, String), &Leak>::new();
    for leak in leaks {
        seen.entry((leak.source.clone(), leak.needle.clone()))
            .or_insert(leak);
    }
    seen.iter()
        .map(|((source, needle), leak)| {
            format!("- {source} leaks {needle:?}, e.g.: {}\n", leak.line)
        })
        .collect()
}
