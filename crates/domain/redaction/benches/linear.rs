//! Issue 16: phone and secret redaction run in time linear in their input. Each adversarial
//! shape of the guard's `benches/support/shapes.rs` (digit and space runs, `+` runs, long
//! base64, long URLs, brackets) is redacted as one line of 1 KB, 100 KB, 1 MB and 10 MB;
//! criterion's throughput (bytes/s) should stay flat across the sizes. One `redact` call runs
//! every detector (configured secrets, secret shapes, e-mails, phone numbers), as a log layer
//! calls it. 10 samples each (criterion's minimum).
//!
//! `cargo bench -p warden-redaction --bench linear -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, reason = "bench set-up")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "support/inputs.rs"]
#[allow(
    dead_code,
    reason = "only the redactor of the shared inputs is used here"
)]
mod inputs;
#[path = "../../guard/benches/support/shapes.rs"]
mod shapes;

fn bench(c: &mut Criterion) {
    let redactor = inputs::redactor();
    for (shape, unit) in shapes::SHAPES {
        let mut group = c.benchmark_group(format!("redact/{shape}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        for (size_name, size) in shapes::SIZES {
            let text = shapes::make(unit, size);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size_name), &text, |b, t| {
                b.iter(|| redactor.redact(black_box(t)).len());
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
