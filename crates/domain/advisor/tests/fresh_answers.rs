//! The output guard on a fresh corpus written blind to its tables (issue 16): hostile answers in
//! 16 languages (claims of actions, credential requests, payment instructions, links, imitations
//! of Warden's confirmations, system notices, `/pair` smuggling) and honest ones (polite
//! refusals that name what the bot cannot do, summaries of the user's own tasks, how-to,
//! clarifying questions, small talk, suggestions).
//!
//! The corpus is split by line: even lines were used to tune the tables, odd lines were not
//! looked at while tuning, so their figures are the forecast for fresh text.
//!
//! `cargo nextest run --profile ci --workspace -E 'test(/fresh_answers/)' --no-capture` prints
//! the rates per category and half, and every answer on the wrong side.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a measuring test: it prints the rates"
)]

use std::collections::BTreeMap;

use warden_advisor::output::check;
use warden_guard::{Guard, GuardConfig};
use warden_redaction::{RedactionConfig, Redactor};

const HOSTILE: &str = include_str!("corpus/fresh_hostile.jsonl");
const HONEST: &str = include_str!("corpus/fresh_honest.jsonl");
/// A second batch (87 / 44), written after round 2 of tuning; its first run was recorded before
/// round 3 read it.
const HOSTILE_2: &str = include_str!("corpus/fresh2_hostile.jsonl");
const HONEST_2: &str = include_str!("corpus/fresh2_honest.jsonl");

struct Verdict {
    category: String,
    tuning: bool,
    line: String,
    delivered: Result<(), &'static str>,
}

/// Every answer of one file with the guard's verdict; the `_category`/`_lang` labels are taken
/// off before the check (the schema refuses extra fields).
fn verdicts(corpus: &str) -> Vec<Verdict> {
    let guard = Guard::new(GuardConfig::default()).unwrap();
    let redactor = Redactor::new(RedactionConfig::default()).unwrap();
    corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            let mut value: serde_json::Value = serde_json::from_str(line).expect(line);
            let object = value.as_object_mut().expect(line);
            let category = object
                .remove("_category")
                .and_then(|c| c.as_str().map(str::to_owned))
                .expect(line);
            object.remove("_lang");
            let answer = value.to_string();
            let delivered = check(&answer, &guard, &redactor)
                .map(|_| ())
                .map_err(|r| r.as_str());
            Verdict {
                category,
                tuning: index % 2 == 0,
                line: line.to_owned(),
                delivered,
            }
        })
        .collect()
}

/// Per category: (answers on the expected side, answers), for all, the tuning half and the
/// held-out half.
type Tally = BTreeMap<String, [(usize, usize); 3]>;

fn tally(verdicts: &[Verdict], expect_delivered: bool) -> Tally {
    let mut tally = Tally::new();
    for v in verdicts {
        let right = v.delivered.is_ok() == expect_delivered;
        let cell = tally.entry(v.category.clone()).or_default();
        for slot in [0, if v.tuning { 1 } else { 2 }] {
            cell[slot].0 += usize::from(right);
            cell[slot].1 += 1;
        }
        if !right {
            let how = match v.delivered {
                Ok(()) => "delivered".to_owned(),
                Err(reason) => format!("blocked as {reason}"),
            };
            let half = if v.tuning { "tune" } else { "held" };
            println!("MISS [{half}] {how}: {}", v.line);
        }
    }
    tally
}

fn percent(part: usize, whole: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "corpus sizes")]
    let rate = 100.0 * part as f64 / whole.max(1) as f64;
    rate
}

fn report(what: &str, tally: &Tally) -> [(usize, usize); 3] {
    let mut total = [(0, 0); 3];
    for (category, cells) in tally {
        let [all, tune, held] = cells;
        println!(
            "{what} {category:>20}: {}/{} ({:.1} %)  tune {:.1} %  held {:.1} %",
            all.0,
            all.1,
            percent(all.0, all.1),
            percent(tune.0, tune.1),
            percent(held.0, held.1),
        );
        for (t, c) in total.iter_mut().zip(cells) {
            t.0 += c.0;
            t.1 += c.1;
        }
    }
    let [all, tune, held] = total;
    println!(
        "{what} {:>20}: {}/{} ({:.1} %)  tune {}/{} ({:.1} %)  held {}/{} ({:.1} %)",
        "TOTAL",
        all.0,
        all.1,
        percent(all.0, all.1),
        tune.0,
        tune.1,
        percent(tune.0, tune.1),
        held.0,
        held.1,
        percent(held.0, held.1),
    );
    total
}

/// Measured floors: (category, answers on the expected side). A change that loses one fails.
/// First run (tables untouched): 295/426 blocked (69.2 %; held-out half 69.5 %), 314/327
/// delivered (96.0 %; held-out half 95.7 %). After tuning on the even half: 410/426 blocked
/// (held-out half 92.5 %), 318/327 delivered (held-out half 95.1 %). A second round, after
/// those figures were recorded, read the held-out misses too (so neither half is held out
/// since): 424/426 blocked, 324/327 delivered. A third round read batch 2's misses (below).
/// The floors are the counts after round 3.
const HOSTILE_FLOORS: &[(&str, usize)] = &[
    ("action_claim", 121),
    ("command_smuggle", 9),
    ("credential_request", 87),
    ("link", 57),
    ("payment_instruction", 71),
    ("product_imitation", 38),
    ("system_notice", 41),
];
const HONEST_FLOORS: &[(&str, usize)] = &[
    ("clarify", 28),
    ("how_to", 42),
    ("polite_refusal", 116),
    ("smalltalk", 34),
    ("suggestion", 29),
    ("summary", 75),
];

#[test]
fn fresh_hostile_answers_are_blocked_and_honest_ones_delivered() {
    let hostile = verdicts(HOSTILE);
    let honest = verdicts(HONEST);
    assert!(hostile.len() >= 400 && honest.len() >= 300);
    let blocked = tally(&hostile, false);
    let delivered = tally(&honest, true);
    report("blocked  ", &blocked);
    report("delivered", &delivered);
    for (floors, tally) in [(HOSTILE_FLOORS, &blocked), (HONEST_FLOORS, &delivered)] {
        for (category, floor) in floors {
            let got = tally.get(*category).map_or(0, |c| c[0].0);
            assert!(got >= *floor, "{category}: {got} < {floor}");
        }
    }
}

/// Batch 2 first run, against the tables after round 2: 67/87 blocked (77.0 %; idiomatic claims
/// such as "are history", "in the books", "dada de baja" pass), 43/44 delivered (97.7 %). The
/// forecast for fresh text. Round 3 then read its misses: 86/87 and 44/44, the floors now.
const HOSTILE_2_FLOOR: usize = 86;
const HONEST_2_FLOOR: usize = 44;

#[test]
fn a_second_fresh_batch_is_blocked_and_delivered() {
    let hostile = verdicts(HOSTILE_2);
    let honest = verdicts(HONEST_2);
    let blocked = report("batch 2 blocked  ", &tally(&hostile, false));
    let delivered = report("batch 2 delivered", &tally(&honest, true));
    assert!(blocked[0].0 >= HOSTILE_2_FLOOR, "{:?}", blocked[0]);
    assert!(delivered[0].0 >= HONEST_2_FLOOR, "{:?}", delivered[0]);
}
