//! Measured quality of the guard over the labelled corpus in `tests/corpus/`:
//! detection rate (overall and per category) on attacks, false-positive rate on benign hard
//! negatives. The union of the tuning set and the second held-out set (tuned on since the
//! generalisation pass, now a regression set) is asserted (≥ 95 % detected, ≤ 2 % false
//! positives); the first held-out set keeps a sanity floor; the third and fourth held-out sets,
//! written before the first and second generalisation rounds, are only reported.
//!
//! Run with `cargo test -p warden-guard --test corpus -- --nocapture` to see the numbers and the
//! misses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "tests"
)]

use std::collections::BTreeMap;

use warden_guard::{Guard, GuardConfig, Reason};

struct Labelled {
    category: String,
    text: String,
}

fn load(name: &str) -> Vec<Labelled> {
    let path = if let Some(inside_crate) = name.strip_prefix("../") {
        format!("{}/{inside_crate}", env!("CARGO_MANIFEST_DIR"))
    } else {
        format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"))
    };
    let body = std::fs::read_to_string(&path).unwrap();
    let mut category = "uncategorised".to_owned();
    let mut out = Vec::new();
    for line in body.lines() {
        if let Some(c) = line.strip_prefix("# category:") {
            category = c.trim().to_owned();
        } else if line.starts_with('#') || line.trim().is_empty() {
        } else {
            out.push(Labelled {
                category: category.clone(),
                text: line.to_owned(),
            });
        }
    }
    out
}

struct Report {
    detection: f64,
    false_positives: f64,
    attacks: usize,
    detected: usize,
    benign: usize,
    flagged: usize,
}

fn measure(label: &str, attacks: &str, benign: &str) -> Report {
    let guard = Guard::new(GuardConfig::default()).unwrap();
    let attacks = load(attacks);
    let benign = load(benign);

    // category -> (lines, detected, detected with the expected reason)
    let mut per: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for a in &attacks {
        let v = guard.check(&a.text);
        let entry = per.entry(&a.category).or_default();
        entry.0 += 1;
        if v.is_injection() {
            entry.1 += 1;
            let expected = Reason::from_code(&a.category);
            if expected.is_none_or(|r| v.reasons.contains(&r)) {
                entry.2 += 1;
            }
        } else {
            missed.push(format!(
                "  missed [{}] {:.3} {:?}: {}",
                a.category,
                v.score,
                v.reasons,
                a.text.escape_default()
            ));
        }
    }
    let mut flagged = Vec::new();
    for b in &benign {
        let v = guard.check(&b.text);
        if v.is_injection() {
            flagged.push(format!(
                "  false positive {:.3} {:?}: {}",
                v.score,
                v.reasons,
                b.text.escape_default()
            ));
        }
    }

    let detected: usize = per.values().map(|e| e.1).sum();
    let detection = detected as f64 / attacks.len() as f64;
    let false_positives = flagged.len() as f64 / benign.len() as f64;
    println!(
        "== {label}: {} attacks, {} benign",
        attacks.len(),
        benign.len()
    );
    println!(
        "detection {:.1}% ({detected}/{}), false positives {:.1}% ({}/{})",
        detection * 100.0,
        attacks.len(),
        false_positives * 100.0,
        flagged.len(),
        benign.len()
    );
    for (category, (n, d, r)) in &per {
        println!(
            "  {category:<22} detected {d:>3}/{n:<3} ({:5.1}%), with its reason {r:>3}",
            *d as f64 * 100.0 / *n as f64
        );
    }
    for line in missed.iter().chain(&flagged) {
        println!("{line}");
    }
    Report {
        detection,
        false_positives,
        attacks: attacks.len(),
        detected,
        benign: benign.len(),
        flagged: flagged.len(),
    }
}

#[test]
fn tuning_corpus_meets_the_quality_bar() {
    let tuning = measure("tuning set", "attacks.txt", "benign.txt");
    let second = measure(
        "second held-out set (tuned on in the generalisation pass: now a regression set)",
        "attacks_holdout2.txt",
        "benign_holdout2.txt",
    );
    let detection =
        (tuning.detected + second.detected) as f64 / (tuning.attacks + second.attacks) as f64;
    let false_positives =
        (tuning.flagged + second.flagged) as f64 / (tuning.benign + second.benign) as f64;
    println!(
        "== tuning + held-out 2: detection {:.1}%, false positives {:.1}%",
        detection * 100.0,
        false_positives * 100.0
    );
    assert!(detection >= 0.95, "detection {detection:.3} below 0.95");
    assert!(
        false_positives <= 0.02,
        "false positives {false_positives:.3} above 0.02"
    );
    // Each benign set on its own, too: a union can hide a bad set.
    assert!(tuning.false_positives <= 0.02 && second.false_positives <= 0.02);
}

#[test]
fn first_holdout_corpus_stays_detected() {
    let r = measure(
        "first held-out set (seen: patterns generalised from its misses after the first run)",
        "attacks_holdout.txt",
        "benign_holdout.txt",
    );
    // Only a sanity floor: a guard that detects nothing here is broken, not merely untuned.
    assert!(
        r.detection > 0.5,
        "held-out detection collapsed to {:.3}",
        r.detection
    );
}

#[test]
fn third_holdout_corpus_is_reported() {
    // Reported only: written before the generalisation pass; its first-run score is the honest
    // figure in the README.
    let _ = measure(
        "third held-out set (written before the generalisation pass, not asserted)",
        "attacks_holdout3.txt",
        "benign_holdout3.txt",
    );
}

#[test]
fn fourth_holdout_corpus_is_reported() {
    // Reported only: written before the second generalisation round (other styles: long
    // messages, split sentences, narratives, transcripts, wrappers, other scripts, ROT13 / hex /
    // reversed text); its first-run score is the honest figure in the README.
    let _ = measure(
        "fourth held-out set (written before the second generalisation round, not asserted)",
        "attacks_holdout4.txt",
        "benign_holdout4.txt",
    );
}

#[test]
fn classifier_heldout_split_is_reported() {
    // The held-out fifth of the classifier's own training text (`train/heldout/`, written by
    // `train/train.py`, never trained on): other scripts, paraphrases, forwarded documents and
    // everyday messages in a dozen languages. Through the whole guard (rules + classifier).
    let r = measure(
        "classifier's own held-out split (never trained on; rules + classifier)",
        "../train/heldout/attacks.txt",
        "../train/heldout/benign.txt",
    );
    // A sanity floor only: the figures are reported in the README.
    assert!(
        r.detection > 0.8,
        "detection collapsed to {:.3}",
        r.detection
    );
}

#[test]
fn corpus_is_large_enough_to_mean_something() {
    assert!(load("attacks.txt").len() >= 250);
    assert!(load("benign.txt").len() >= 250);
}
