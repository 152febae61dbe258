//! Measured quality of phone-number detection over the corpus in `tests/corpus/`:
//! recall on thousands of numbers of 55 regions in the formats people write, and false positives
//! on hard negatives (dates, times, prices, order and tracking numbers, UUIDs, IBANs, versions,
//! ISBNs, coordinates, IP addresses, card numbers) under several default regions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "tests"
)]

use std::ops::Range;

use warden_redaction::{FindingKind, RedactionConfig, Redactor, Region};

fn redactor(region: Option<&str>) -> Redactor {
    Redactor::new(RedactionConfig {
        default_region: region.map(|r| Region::parse(r).unwrap()),
        ..RedactionConfig::default()
    })
    .unwrap()
}

/// A sentence without its `[[ ]]` markers, and the byte range of each marked number from its
/// first `+`, `(`, `%` or digit to its last digit.
fn unmark(line: &str) -> (String, Vec<Range<usize>>) {
    let mut text = String::new();
    let mut marks = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("[[") {
        text.push_str(&rest[..open]);
        let close = rest[open..].find("]]").unwrap() + open;
        let number = &rest[open + 2..close];
        let core_start = number
            .find(|c: char| c == '+' || c == '(' || c == '%' || c.is_ascii_digit())
            .unwrap();
        let core_end = number.rfind(|c: char| c.is_ascii_digit()).unwrap() + 1;
        marks.push(text.len() + core_start..text.len() + core_end);
        text.push_str(number);
        rest = &rest[close + 2..];
    }
    text.push_str(rest);
    (text, marks)
}

fn lines(file: &str) -> Vec<String> {
    let path = format!("{}/tests/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

struct Recall {
    found: usize,
    total: usize,
    missed: Vec<String>,
}

fn recall(files: &[&str]) -> Recall {
    let mut r = Recall {
        found: 0,
        total: 0,
        missed: Vec::new(),
    };
    for file in files {
        for line in lines(file) {
            let (region, sentence) = line.split_once('\t').unwrap();
            let region = (region != "-").then_some(region);
            let (text, marks) = unmark(sentence);
            let found = redactor(region).find(&text);
            for mark in marks {
                r.total += 1;
                let covered = found.iter().any(|f| {
                    f.kind == FindingKind::Phone
                        && f.range.start <= mark.start
                        && f.range.end >= mark.end
                });
                if covered {
                    r.found += 1;
                } else {
                    r.missed
                        .push(format!("{region:?}: {text:?} missed {:?}", &text[mark]));
                }
            }
        }
    }
    r
}

const NEGATIVE_REGIONS: &[Option<&str>] = &[
    None,
    Some("US"),
    Some("GB"),
    Some("DE"),
    Some("FR"),
    Some("IN"),
    Some("BR"),
];

#[test]
fn phone_recall_is_at_least_99_percent() {
    let r = recall(&["positives.txt", "positives_handwritten.txt"]);
    let rate = r.found as f64 / r.total as f64;
    println!(
        "phone recall: {}/{} = {:.2}%",
        r.found,
        r.total,
        rate * 100.0
    );
    for m in r.missed.iter().take(40) {
        println!("  {m}");
    }
    assert!(r.total >= 500, "corpus too small: {}", r.total);
    assert!(rate >= 0.99, "recall {:.2}% < 99%", rate * 100.0);
}

#[test]
fn phone_false_positives_on_hard_negatives_are_at_most_1_percent() {
    let negatives = lines("negatives.txt");
    let mut checked = 0usize;
    let mut false_positives = Vec::new();
    for region in NEGATIVE_REGIONS {
        let r = redactor(*region);
        for line in &negatives {
            checked += 1;
            let phones: Vec<_> = r
                .find(line)
                .into_iter()
                .filter(|f| f.kind == FindingKind::Phone)
                .map(|f| line[f.range].to_owned())
                .collect();
            if !phones.is_empty() {
                false_positives.push(format!("{region:?}: {line:?} -> {phones:?}"));
            }
        }
    }
    let rate = false_positives.len() as f64 / checked as f64;
    println!(
        "phone false positives: {}/{} = {:.2}% ({} negatives x {} regions)",
        false_positives.len(),
        checked,
        rate * 100.0,
        negatives.len(),
        NEGATIVE_REGIONS.len()
    );
    for fp in &false_positives {
        println!("  {fp}");
    }
    assert!(
        negatives.len() >= 250,
        "corpus too small: {}",
        negatives.len()
    );
    assert!(rate <= 0.01, "false positives {:.2}% > 1%", rate * 100.0);
}
