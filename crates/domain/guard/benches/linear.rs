//! Issue 16: the guard runs in time linear in its input. Each adversarial shape of
//! `support/shapes.rs` is fed as one line of 1 KB, 100 KB, 1 MB and 10 MB; criterion's
//! throughput (bytes/s) should stay flat across the sizes. 10 samples each (criterion's minimum).
//!
//! `cargo bench -p warden-guard --bench linear -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use warden_guard::{Guard, GuardConfig};

#[path = "support/shapes.rs"]
mod shapes;

fn bench(c: &mut Criterion) {
    let guard = match Guard::new(GuardConfig::default()) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("guard failed to build: {e}");
            return;
        }
    };
    for (shape, unit) in shapes::SHAPES {
        let mut group = c.benchmark_group(format!("guard/{shape}"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        for (size_name, size) in shapes::SIZES {
            let text = shapes::make(unit, size);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size_name), &text, |b, t| {
                b.iter(|| guard.check(black_box(t)));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
