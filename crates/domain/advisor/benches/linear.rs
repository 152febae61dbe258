//! Issue 16: the output guard runs in time linear in its input. Each adversarial shape of the
//! guard's `benches/support/shapes.rs` is given to [`warden_advisor::output::check`] as the
//! model's answer, of 1 KB, 100 KB, 1 MB and 10 MB, two ways: as raw text, and as the `reply` of
//! a well-formed answer. Answers over `MAX_OUTPUT_BYTES` (8 KiB) are refused before parsing, so
//! beyond that size the cost is constant; the `reply600` group is the most text the detectors
//! themselves ever read (a reply of `MAX_MODEL_REPLY_CHARS` characters of the shape).
//!
//! `cargo bench -p warden-advisor --bench linear -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, reason = "bench set-up")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use warden_advisor::output::{check, MAX_MODEL_REPLY_CHARS};
use warden_guard::{Guard, GuardConfig};
use warden_redaction::{RedactionConfig, Redactor, Region};

#[path = "../../guard/benches/support/shapes.rs"]
mod shapes;

fn answer(reply: &str) -> String {
    serde_json::json!({"intent": "answer", "reply": reply}).to_string()
}

fn bench(c: &mut Criterion) {
    let guard = Guard::new(GuardConfig::default()).unwrap();
    let redactor = Redactor::new(RedactionConfig {
        known_secrets: vec!["s3cr3t-twilio-auth-token-value".to_owned().into()],
        default_region: Region::parse("GB").ok(),
        ..RedactionConfig::default()
    })
    .unwrap();
    for (shape, unit) in shapes::SHAPES {
        let mut group = c.benchmark_group(format!("output/{shape}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        for (size_name, size) in shapes::SIZES {
            let raw = shapes::make(unit, size);
            let wrapped = answer(&raw);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(BenchmarkId::new("raw", size_name), &raw, |b, t| {
                b.iter(|| check(black_box(t), &guard, &redactor).is_ok());
            });
            group.bench_with_input(BenchmarkId::new("reply", size_name), &wrapped, |b, t| {
                b.iter(|| check(black_box(t), &guard, &redactor).is_ok());
            });
        }
        let longest = answer(&shapes::make(unit, MAX_MODEL_REPLY_CHARS));
        group.throughput(Throughput::Bytes(MAX_MODEL_REPLY_CHARS as u64));
        group.bench_with_input(BenchmarkId::new("reply600", "600B"), &longest, |b, t| {
            b.iter(|| check(black_box(t), &guard, &redactor).is_ok());
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
