//! Redacts one bench input once, line by line, for instruction counting:
//!
//! ```sh
//! cargo build --release -p warden-redaction --example callgrind
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \
//!     target/release/examples/callgrind log_lines_5pct_data
//! ```
//!
//! The input is built and redacted once as a warm-up (patterns, libphonenumber's metadata and its
//! regex cache), as the many iterations of the criterion bench do; with
//! `--toggle-collect='*measured*'` only the second pass, [`measured`], is counted.
//! Inputs: `chat_clean`, `chat_5pct_data`, `log_lines_5pct_data` (see `benches/support/inputs.rs`).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "bench driver")]

use std::hint::black_box;

#[path = "../benches/support/inputs.rs"]
mod inputs;

#[inline(never)]
fn measured(redactor: &warden_redaction::Redactor, lines: &[&str]) -> usize {
    let mut n = 0usize;
    for line in lines {
        n += redactor.redact(black_box(line)).len();
    }
    n
}

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "chat_5pct_data".to_owned());
    let (_, text) = inputs::all().into_iter().find(|(n, _)| *n == name).unwrap();
    let redactor = inputs::redactor();
    let lines: Vec<&str> = text.lines().collect();
    // Warm-up, not counted: compiles the patterns and loads the numbering plan, as the many
    // iterations of the criterion bench do.
    for line in &lines {
        black_box(redactor.redact(black_box(line)));
    }
    let n = measured(&redactor, &lines);
    println!("{name}: {} bytes in, {n} bytes out", text.len());
}
