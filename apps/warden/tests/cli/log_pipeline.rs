//! The log pipeline as `warden serve` builds it: the same `telemetry::init`, the same
//! configured-secret redactor, in a process of its own (the subscriber is global), with output
//! to a pipe, to a terminal and to an OTLP collector.
//!
//! The parent tests run this test binary again, filtered to [`serve_logging_probe`], with a
//! serve-like environment; the probe plants personal data and secrets everywhere a careless call
//! site could put them, and the parent searches what the child wrote.

use std::process::{Command, Output, Stdio};

use warden::Config;

/// Set in the child's environment: the probe only plants when it is there.
const PROBE: &str = "LOG_PIPELINE_PROBE";
const PROBE_TEST: &str = "log_pipeline::serve_logging_probe";

/// Configured secrets of shapes no built-in pattern knows: only `use_redactor` removes them.
const AUTH_TOKEN: &str = "probe-auth-token-Vq8Lm3Rx";
const PAIR_TOKEN: &str = "probe-pair-Tk4Wn8Yb2Hs6";
const PSEUDONYM_KEY: &str = "probe-pseudonym-key-Jd7Pq2Zc9Lw4";
const DB_PASSWORD: &str = "dbpass-Q7x9zK2m";

/// Each planted value, and what of it must never be written.
const PLANTED: &[(&str, &str)] = &[
    ("+14155550123", "4155550123"),
    ("whatsapp:+14155550124", "4155550124"),
    ("+44 20 7946 0958", "7946 0958"),
    ("0044 20 7946 0959", "7946 0959"),
    ("%2B14155550125", "4155550125"),
    ("tel:+1-415-555-0126", "555-0126"),
    // National GB, read with WARDEN_PHONE_REGION=GB.
    ("020 7946 0960", "7946 0960"),
    ("+351 912 345 678", "912 345 678"),
    (AUTH_TOKEN, AUTH_TOKEN),
    (PAIR_TOKEN, PAIR_TOKEN),
    ("postgres://warden:s3cretpw@db/warden", "s3cretpw"),
    ("https://admin:hunter2pw@hooks.example.com/x", "hunter2pw"),
    (
        "Authorization: Bearer abc123DEF456ghi789jkl",
        "abc123DEF456ghi789jkl",
    ),
    ("alice.smith@example.com", "alice.smith"),
];

/// What the probe's every event says, so the parent knows the output is not just empty.
const MARKER: &str = "planted-by-probe";

#[derive(Debug, thiserror::Error)]
#[error("sending the reply failed")]
struct Outer(#[source] Inner);

#[derive(Debug, thiserror::Error)]
#[error("provider refused {0}")]
struct Inner(String);

/// One level's worth of planting: message text, `%` and `?` fields, span fields (also recorded
/// after creation), an error with a source chain, an anyhow chain in `%` and `?`.
macro_rules! plant_at {
    ($level:expr) => {
        for (value, _) in PLANTED {
            let span = tracing::span!(
                target: "warden::probe",
                $level,
                "probe_span",
                field = %value,
                debug = ?value,
                later = tracing::field::Empty,
            );
            span.record("later", tracing::field::display(value));
            let _entered = span.enter();
            let error = Outer(Inner((*value).to_owned()));
            let chain = anyhow::anyhow!("provider said {value}").context("delivering the reply");
            tracing::event!(target: "warden::probe", $level, "{MARKER} message text {value}");
            tracing::event!(target: "warden::probe", $level, field = %value, "{MARKER} %");
            tracing::event!(target: "warden::probe", $level, field = ?value, "{MARKER} ?");
            tracing::event!(
                target: "warden::probe",
                $level,
                error = &error as &(dyn std::error::Error + 'static),
                "{MARKER} error"
            );
            tracing::event!(
                target: "warden::probe",
                $level,
                error = %format!("{chain:#}"),
                debug = ?chain,
                "{MARKER} chain"
            );
        }
    };
}

/// Not a test on its own (ignored, and without [`PROBE`] it returns at once): the child process
/// the tests below start. Sets logging up exactly as `main` does for `warden serve`.
#[test]
#[ignore = "run by the log pipeline tests in a process of their own"]
fn serve_logging_probe() {
    if std::env::var_os(PROBE).is_none() {
        return;
    }
    warden::telemetry::init("info");
    let config = Config::from_env().expect("the parent sets a complete configuration");
    warden::telemetry::use_redactor(config.redactor().expect("redactor"));
    tracing::info!(config = ?config, "starting");
    plant_at!(tracing::Level::TRACE);
    plant_at!(tracing::Level::DEBUG);
    plant_at!(tracing::Level::INFO);
    plant_at!(tracing::Level::WARN);
    plant_at!(tracing::Level::ERROR);
    for (value, _) in PLANTED {
        tracing::warn!(target: "warden::probe", "{MARKER} outside any span {value}");
    }
    warden::telemetry::shutdown();
}

/// A serve-like environment for the probe (nothing inherited that could change the output).
fn probe_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env(PROBE, "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WARDEN_LOG", "trace")
        .env("WARDEN_PUBLIC_URL", "https://warden.test.invalid")
        .env("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        .env("WARDEN_PAIR_TOKEN", PAIR_TOKEN)
        .env("WARDEN_PSEUDONYM_KEY", PSEUDONYM_KEY)
        .env("WARDEN_PHONE_REGION", "GB")
        .env(
            "WARDEN_DATABASE_URL",
            format!("postgres://warden:{DB_PASSWORD}@127.0.0.1/warden"),
        )
        .stdin(Stdio::null());
    cmd
}

fn probe_args() -> [&'static str; 5] {
    [
        "--ignored",
        "--exact",
        PROBE_TEST,
        "--nocapture",
        "--test-threads=1",
    ]
}

fn this_binary() -> String {
    std::env::current_exe()
        .expect("test binary path")
        .to_string_lossy()
        .into_owned()
}

fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run the probe");
    assert!(
        out.status.success(),
        "probe failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `text` without ANSI escape sequences, so a value split by colour codes is still found.
fn without_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Fails if the output holds any planted value or configured secret, or lacks the planted
/// events at any level (an empty output would prove nothing).
fn assert_clean(raw: &str) {
    let text = without_escapes(raw);
    for level in ["TRACE", "DEBUG", " INFO", " WARN", "ERROR"] {
        assert!(
            text.lines()
                .any(|l| l.contains(level) && l.contains("probe_span") && l.contains(MARKER)),
            "no {level} event from the probe in:\n{text}"
        );
    }
    assert!(text.contains("error.sources"), "no error chain in:\n{text}");
    let mut needles: Vec<&str> = PLANTED.iter().map(|(_, needle)| *needle).collect();
    needles.extend([PSEUDONYM_KEY, DB_PASSWORD]);
    for needle in needles {
        for (name, hay) in [("plain", text.as_str()), ("raw", raw)] {
            let leaks: Vec<&str> = hay.lines().filter(|l| l.contains(needle)).collect();
            assert!(leaks.is_empty(), "{needle:?} written ({name}):\n{leaks:#?}");
        }
    }
}

/// Colour forced on by every convention a log shipper or CI sets, or off by `NO_COLOR`: a pipe
/// gets plain text, without escape codes, redacted.
#[test]
fn log_lines_to_a_pipe_are_plain_and_redacted_even_with_colour_forced_on() {
    let forced_on = [
        ("CLICOLOR_FORCE", "1"),
        ("FORCE_COLOR", "1"),
        ("TERM", "xterm-256color"),
        ("COLORTERM", "truecolor"),
    ];
    let off = [("NO_COLOR", "1"), ("TERM", "xterm-256color")];
    for env in [&forced_on[..], &off[..]] {
        let mut cmd = probe_command(&this_binary());
        cmd.args(probe_args()).envs(env.iter().copied());
        let out = run(cmd);
        let logs = String::from_utf8_lossy(&out.stderr);
        assert!(!logs.contains('\u{1b}'), "escape codes in a pipe: {logs:?}");
        assert_clean(&logs);
    }
}

/// On a terminal the lines are coloured, and still carry nothing planted: the redactor read the
/// values before any colour was added.
#[test]
fn coloured_log_lines_on_a_terminal_carry_no_planted_value() {
    // util-linux `script` runs the probe on a pseudo-terminal and copies what it wrote to stdout.
    let mut line = this_binary();
    for arg in probe_args() {
        line.push(' ');
        line.push_str(arg);
    }
    let mut cmd = probe_command("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm-256color");
    let out = run(cmd);
    let logs = String::from_utf8_lossy(&out.stdout);
    assert!(
        logs.contains("\u{1b}["),
        "the terminal got no colour, so this test proves nothing: {logs:?}"
    );
    assert_clean(&logs);
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the same planted spans and events reach a collector
/// without any planted value (and stderr stays clean too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_exported_over_otlp_carry_no_planted_value() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let collector = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&collector)
        .await;
    let mut cmd = probe_command(&this_binary());
    cmd.args(probe_args())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.uri());
    let out = tokio::task::spawn_blocking(move || run(cmd))
        .await
        .expect("join");
    assert_clean(&String::from_utf8_lossy(&out.stderr));

    let requests = collector.received_requests().await.expect("recording");
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(
        requests
            .iter()
            .any(|r| contains(&r.body, b"probe_span") && contains(&r.body, MARKER.as_bytes())),
        "no probe span reached the collector"
    );
    for r in &requests {
        for needle in PLANTED
            .iter()
            .map(|(_, n)| *n)
            .chain([PSEUDONYM_KEY, DB_PASSWORD])
        {
            assert!(
                !contains(&r.body, needle.as_bytes()),
                "{needle:?} reached the collector"
            );
        }
    }
}
