//! Redaction throughput on realistic text, so it can stay on for every log line: chat messages
//! (mostly clean, some with phone numbers, times, prices, e-mails) and gateway log lines
//! (timestamps, ids, durations; a few with numbers or tokens). Reported as bytes per second.

#![allow(clippy::unwrap_used, reason = "bench set-up")]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use warden_redaction::{RedactionConfig, Redactor, Region};

const CLEAN_CHAT: &[&str] = &[
    "add buy milk",
    "list",
    "done 3",
    "Hi! Could you please remind me to pick up the prescription from the pharmacy tomorrow morning?",
    "ok thanks 👍",
    "Can we move the meeting to 10:30 on Friday?",
    "The invoice was €1,250.00, I paid it yesterday",
    "remind me to call mum at 18:00",
    "Lunch at the Italian place, table for 4 at 12:45",
    "order #48213 arrived, all good",
    "Je serai en retard de 15 minutes, désolé",
    "¿Puedes comprar pan y leche? Gracias",
    "version 2.14.3 fixed the crash",
    "add finish the quarterly report before 2024-03-31",
];

const WITH_DATA: &[&str] = &[
    "my new number is +44 7400 123456, save it pls",
    "call the plumber on 020 7946 0958 tomorrow",
    "Send it to jane.doe@example.com please",
    "whatsapp:+14155238886 replied STOP",
];

const LOG_LINES: &[&str] = &[
    "2026-11-25T23:21:36.123456Z  INFO warden::gateway: inbound accepted provider=twilio elapsed_ms=12",
    "2026-11-25T23:21:36.223456Z DEBUG warden::outbox: delivered attempt=1 status=200 elapsed_ms=87",
    "2026-11-25T23:21:37.003456Z  INFO warden::assistant: command parsed kind=add len=14",
    "2026-11-25T23:21:37.113456Z  WARN warden::gates: rate limited window=60s count=31",
    "2026-11-25T23:21:38.000001Z  INFO tower_http::trace: finished processing request latency=3 ms status=200",
];

/// About 1 MiB: 95% clean lines, 5% lines with a number, an address or a token.
fn corpus(clean: &[&str], data: &[&str]) -> String {
    let mut out = String::with_capacity(1 << 20);
    let mut i = 0usize;
    while out.len() < (1 << 20) {
        let line = if i % 20 == 19 {
            data[(i / 20) % data.len()]
        } else {
            clean[i % clean.len()]
        };
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let redactor = Redactor::new(RedactionConfig {
        default_region: Region::parse("GB").ok(),
        known_secrets: vec![
            "s3cr3t-twilio-auth-token-value".to_owned().into(),
            "EAAGm0PX4ZCpsBAKZAZBpZCxyz123456789".to_owned().into(),
        ],
        ..RedactionConfig::default()
    })
    .unwrap();
    let chat = corpus(CLEAN_CHAT, WITH_DATA);
    let logs = corpus(LOG_LINES, WITH_DATA);
    let clean = corpus(CLEAN_CHAT, CLEAN_CHAT);

    let mut group = c.benchmark_group("redact");
    for (name, text) in [
        ("chat_5pct_data", &chat),
        ("log_lines_5pct_data", &logs),
        ("chat_clean", &clean),
    ] {
        let lines: Vec<&str> = text.lines().collect();
        group.throughput(Throughput::Bytes(text.len() as u64));
        // Line by line, as a tracing layer would call it.
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for line in &lines {
                    n += redactor.redact(black_box(line)).len();
                }
                n
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
