//! Redaction throughput on realistic text, so it can stay on for every log line. The inputs are
//! described in `benches/support/inputs.rs`. Reported as bytes per second.
//!
//! `cargo bench -p warden-redaction --bench redact`; for instruction counts (stable on a loaded
//! machine) see `examples/callgrind.rs`.

#![allow(clippy::unwrap_used, reason = "bench set-up")]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/inputs.rs"]
mod inputs;

fn bench(c: &mut Criterion) {
    let redactor = inputs::redactor();
    let mut group = c.benchmark_group("redact");
    for (name, text) in inputs::all() {
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
