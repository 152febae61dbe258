//! Parse cost for a realistic mix of inbound messages, including the two rejections the gateway
//! sees most: a free-text sentence and a maximum-size body.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use warden_commands::{parse, MAX_INPUT_BYTES};

fn inputs() -> Vec<(&'static str, String)> {
    let sentence = "Hi! Could you please remind me to pick up the prescription from the pharmacy \
                    tomorrow morning before 10, thanks a lot?"
        .to_owned();
    let mut max_body = String::from("add ");
    while max_body.len() < MAX_INPUT_BYTES {
        max_body.push_str("lorem ipsum ");
    }
    max_body.truncate(MAX_INPUT_BYTES);
    vec![
        ("add_buy_milk", "add buy milk".to_owned()),
        ("list", "list".to_owned()),
        ("done_3", "done 3".to_owned()),
        ("rejected_sentence_120", sentence),
        ("rejected_add_1600_bytes", max_body),
    ]
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, input) in inputs() {
        group.bench_function(name, |b| b.iter(|| parse(black_box(&input))));
    }
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
