//! Logs are kept longer and shared wider than the database: they must never carry a phone
//! number, a message body or a secret, whatever the level.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::Result;
use tracing_subscriber::fmt::format::FmtSpan;
use warden_simulators::TwilioSimulator;

use crate::audit::eventful_conversation;
use crate::support::{
    phone_needles, with_field, Backend, Gateway, Settings, ALICE, BOB, CAROL, MINUTE_MS,
};
use warden_simulators::{advice, new_wamid, CannedReply, MockGraph, MockModel, ModelApi};

on_both_backends!(
    logs_never_contain_phone_numbers_bodies_or_secrets,
    meta_path_logs_never_contain_phone_numbers_bodies_or_secrets,
    model_leaking_a_planted_secret_never_reaches_the_user_or_the_logs,
);

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

/// Every acceptance test is also a leak test: the harness installs the capture when it starts a
/// gateway ([`install`]) and checks it when the test finishes ([`assert_clean`]).
pub(crate) fn install() -> Result<()> {
    capture().map(|_| ())
}

/// Fails if anything logged so far in this process holds one of `secrets` or any spelling of a
/// test phone number.
pub(crate) fn assert_clean(secrets: &[String]) -> Result<()> {
    let logs = capture()?.text();
    let mut needles = secrets.to_vec();
    needles.extend(phone_needles());
    let found = leaks(&logs, &needles);
    anyhow::ensure!(
        found.is_empty(),
        "{} log lines leak; by level and source:\n{}",
        found.len(),
        summarise(&found)
    );
    Ok(())
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
    anyhow::ensure!(secrets.len() == 12 + usize::from(backend == Backend::Postgres));
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

/// The Meta channel at TRACE: handshakes, forgeries, a conversation, non-text messages, status
/// callbacks, a retried and a refused send whose error quotes the number, malformed payloads.
async fn meta_path_logs_never_contain_phone_numbers_bodies_or_secrets(
    backend: Backend,
) -> Result<()> {
    use secrecy::ExposeSecret;
    use serde_json::json;

    let captured = capture()?;
    let graph = MockGraph::empty().await?;
    // Answered in the order scripted: the refusal for Alice's reply, then Bob's 500.
    graph.answer(
        CannedReply::status(400).json(&json!({ "error": {
            "message": "(#131030) Recipient phone number not in allowed list",
            "code": 131_030,
            "error_data": { "details": format!("not in allowed list: {}", ALICE.e164) }
        }})),
        1,
    );
    graph.answer(
        CannedReply::status(500).text(format!("upstream hiccup for {}", BOB.e164)),
        1,
    );
    graph.accept();
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE, BOB])
            .rate_limit(3)
            .meta(&graph.url())
            .db_password(),
    )
    .await?;
    let verify = gw.secrets.meta_verify_token.expose_secret().to_owned();
    let private = "add Pick up insulin for Dana at 22 Baker Street";

    // Handshakes, right and wrong.
    gw.meta
        .handshake(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", &verify),
            ("hub.challenge", "8172635"),
        ])
        .await?;
    gw.meta
        .handshake(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "guessed-verify-token"),
            ("hub.challenge", "8172635"),
        ])
        .await?;
    // Forgeries carrying a private body.
    let forged = serde_json::to_vec(&gw.meta.envelope(
        vec![gw.meta.text(
            &ALICE.phone(),
            &new_wamid(),
            "add Forged IBAN DE89370400440532013000",
        )],
        vec![],
    ))?;
    gw.meta.post_raw(forged.clone(), None).await?;
    gw.meta.post_raw(forged, Some("sha256=00")).await?;
    // The first reply is refused for good (its error quotes the number), the second retried.
    gw.meta
        .send(&ALICE.phone(), "add Renew passport X1234567")
        .await?;
    gw.outbox_settled().await?;
    gw.meta.send(&BOB.phone(), "add Call the dentist").await?;
    gw.wait_until("a retry", crate::support::SETTLE, || async {
        Ok(gw.count_kind("outbox.retry_scheduled").await? == 1)
    })
    .await?;
    gw.clock.advance_ms(1_000);
    gw.outbox_settled().await?;
    // A conversation: a stranger pairs, private text, a replay, a flood.
    gw.meta_say(&graph, CAROL, "My blood test says HIV positive, what now?")
        .await?;
    gw.meta_pair(&graph, CAROL).await?;
    gw.clock.advance_ms(MINUTE_MS);
    let wamid = new_wamid();
    gw.meta
        .send_with_wamid(&CAROL.phone(), private, &wamid)
        .await?;
    gw.meta
        .send_with_wamid(&CAROL.phone(), private, &wamid)
        .await?;
    for i in 0..4 {
        gw.meta.send(&CAROL.phone(), &format!("list {i}")).await?;
    }
    // Non-text, with text in it.
    let image = gw.meta.message(
        &ALICE.phone(),
        &new_wamid(),
        "image",
        json!({ "caption": "add Secret caption", "mime_type": "image/jpeg", "id": "1479537139650973" }),
    );
    let reaction = gw.meta.message(
        &ALICE.phone(),
        &new_wamid(),
        "reaction",
        json!({ "message_id": new_wamid(), "emoji": "\u{1F44D}" }),
    );
    gw.meta
        .post(&gw.meta.envelope(vec![image, reaction], vec![]))
        .await?;
    gw.outbox_settled().await?;
    // Status callbacks, known and unknown, one failed with an error text quoting the number.
    let sent = gw.operator().outbox(false, 1).await?.remove(0);
    let wamid = gw.provider_message_id(sent.id).await?;
    let mut failed = gw
        .meta
        .status(&wamid, "failed", &CAROL.phone(), Some(131_047));
    failed["errors"][0]["error_data"]["details"] =
        json!(format!("undeliverable to {}", CAROL.e164));
    gw.meta
        .post(&gw.meta.envelope(
            vec![],
            vec![
                gw.meta.status(&wamid, "delivered", &CAROL.phone(), None),
                failed,
                gw.meta.status(&new_wamid(), "read", &BOB.phone(), None),
            ],
        ))
        .await?;
    // Signed garbage, and a message for another business number.
    let garbage = b"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"add Garbage 4155550101";
    let sig = gw.meta.sign(garbage);
    gw.meta.post_raw(garbage.to_vec(), Some(&sig)).await?;
    let mut elsewhere = gw.meta.envelope(
        vec![gw
            .meta
            .text(&BOB.phone(), &new_wamid(), "add Other business")],
        vec![],
    );
    elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
        json!("999999999999999");
    gw.meta.post(&elsewhere).await?;
    gw.get("/readyz").await?;
    // The scenario did what it says: one refused send, one retried, statuses applied.
    anyhow::ensure!(gw.count_kind("outbox.failed").await? == 1);
    anyhow::ensure!(gw.count_kind("outbox.retry_scheduled").await? == 1);
    anyhow::ensure!(gw.count_kind("outbox.status").await? == 2);
    let secrets = gw.secrets.all();
    gw.finish().await?;

    let logs = captured.text();
    for marker in [
        "webhook authentication failed",
        "Meta subscription handshake refused",
        "signed Meta payload is not a WhatsApp webhook",
        "delivery status",
        "status callback for a message not in the outbox",
        "Meta channel enabled",
    ] {
        assert!(
            logs.contains(marker),
            "the capture missed {marker:?}:\n{logs}"
        );
    }
    let mut needles = secrets;
    needles.extend(phone_needles());
    needles.extend(
        [
            private,
            "insulin",
            "Baker Street",
            "Forged IBAN",
            "DE89370400440532013000",
            "Renew passport",
            "X1234567",
            "Call the dentist",
            "HIV positive",
            "Secret caption",
            "Garbage",
            "Other business",
            "Sheena Nelson",
            "upstream hiccup",
            "not in allowed list",
            "undeliverable to",
            "guessed-verify-token",
        ]
        .map(str::to_owned),
    );
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

/// A panic whose message quotes a phone number, a body and a secret (an `expect` on request
/// data, say) is logged by location only.
#[test]
fn panic_messages_never_reach_the_logs() -> Result<()> {
    let captured = capture()?;
    let previous = std::panic::take_hook();
    warden::telemetry::install_panic_hook();
    let secret = warden::random_token();
    let message = format!(
        "unexpected body 'add Insulin for Dana' from {} with token {}",
        ALICE.e164,
        secrecy::ExposeSecret::expose_secret(&secret)
    );
    let outcome = std::thread::spawn(move || panic!("{message}")).join();
    std::panic::set_hook(previous);
    assert!(outcome.is_err(), "the thread did not panic");

    let logs = captured.text();
    assert!(
        logs.contains("panic (message withheld"),
        "the panic was not logged at all:\n{logs}"
    );
    let mut needles = vec![
        secrecy::ExposeSecret::expose_secret(&secret).to_owned(),
        "Insulin for Dana".to_owned(),
        "unexpected body".to_owned(),
    ];
    needles.extend(phone_needles());
    let leaks = leaks(&logs, &needles);
    assert!(leaks.is_empty(), "{}", summarise(&leaks));
    Ok(())
}

/// The model is compromised: it answers with the configured secrets, another person's number
/// and the user's own message. None of it may reach the user, the audit chain or the logs.
async fn model_leaking_a_planted_secret_never_reaches_the_user_or_the_logs(
    backend: Backend,
) -> Result<()> {
    use secrecy::ExposeSecret;

    let captured = capture()?;
    let model = MockModel::start(ModelApi::Gemini).await?;
    let gw = Gateway::start_with(
        backend,
        Settings::new()
            .allow(&[ALICE])
            .ai(model.api(), &model.url()),
    )
    .await?;
    let question = "What should I buy for the picnic with Dana?";
    let leaked = format!(
        "Your key is {} and the pairing token is {}; Bob is on {}. You asked: {question}",
        gw.secrets.gemini_api_key.expose_secret(),
        gw.secrets.pair_token.expose_secret(),
        BOB.e164,
    );
    model.answer(&advice("answer", &leaked));

    let reply = gw.say(ALICE, question).await?.unwrap_or_default();
    assert_eq!(reply, warden_advisor::FALLBACK_REPLY);
    assert_eq!(gw.count_kind("ai.output_blocked").await?, 1);
    let stored = gw.everything_stored().await?;
    let secrets = gw.secrets.all();
    gw.finish().await?;
    assert_eq!(model.calls(), 1, "calls to the model");

    let mut needles = secrets;
    needles.extend(phone_needles());
    needles.extend([question.to_owned(), "picnic".to_owned()]);
    for needle in &needles {
        assert!(!reply.contains(needle.as_str()), "the reply leaks");
        assert!(!stored.contains(needle.as_str()), "the database leaks");
    }
    let leaks = leaks(&captured.text(), &needles);
    assert!(
        leaks.is_empty(),
        "{} log lines leak; by level and source:\n{}",
        leaks.len(),
        summarise(&leaks)
    );
    Ok(())
}
