//! Property tests: generated valid phone numbers never survive, redaction is idempotent, and no
//! input makes the redactor panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use phonenumber::{country::Id, Mode};
use proptest::prelude::*;
use warden_redaction::{redact_raw_payload, PayloadKind, RedactionConfig, Redactor, Region};

/// Valid numbers of 55 regions (region, kind, E.164, international, national).
const NUMBERS: &str = include_str!("corpus/numbers.tsv");

fn rows() -> Vec<[String; 5]> {
    NUMBERS
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            [f[0], f[1], f[2], f[3], f[4]].map(str::to_owned)
        })
        .collect()
}

fn redactor(region: Option<&str>) -> Redactor {
    Redactor::new(RedactionConfig {
        default_region: region.map(|r| Region::parse(r).unwrap()),
        ..RedactionConfig::default()
    })
    .unwrap()
}

/// Words without digits and without the words that mark a number as an order or a code.
const WORDS: &[&str] = &[
    "hi", "please", "call", "me", "later", "my", "new", "is", "the", "at", "or", "and", "thanks",
    "bonjour", "hola", "ciao", "hallo", "tomorrow", "office", "mum", "dad", "friend", "asap", "!",
    ",", "?", ":", "-", "(", ")", "\"", "ok", "vielen", "dank", "merci", "gracias", "saved",
];

fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..6).prop_map(|w| w.join(" "))
}

/// A valid number (a variant of a known one with new last digits), the format it is written in,
/// the redactor's region, and its country code.
fn written_number() -> impl Strategy<Value = (String, Option<String>, String)> {
    let rows = rows();
    (0..rows.len(), 0u32..1000, 0usize..9).prop_filter_map(
        "variant not valid",
        move |(i, tail, fmt)| {
            let [region, _, e164, _, _] = &rows[i];
            let id: Id = region.parse().ok()?;
            let candidate = format!("{}{tail:03}", &e164[..e164.len() - 3]);
            let n = phonenumber::parse(None, &candidate).ok()?;
            if !phonenumber::is_valid(&n) {
                return None;
            }
            let e164 = n.format().mode(Mode::E164).to_string();
            let intl = n.format().mode(Mode::International).to_string();
            let national = n.format().mode(Mode::National).to_string();
            let cc = n.code().value().to_string();
            let _ = id;
            let (written, region) = match fmt {
                0 => (e164.clone(), None),
                1 => (intl.clone(), None),
                2 => (intl.replace(' ', "-"), None),
                3 => (format!("00{}", &intl[1..]), None),
                4 => (format!("whatsapp:{e164}"), None),
                5 => (intl.replace(' ', "\u{a0}"), None),
                6 => (national.clone(), Some(region.clone())),
                7 => (national.replace(' ', "-"), Some(region.clone())),
                _ => (national.replace(' ', ""), Some(region.clone())),
            };
            Some((written, region, cc))
        },
    )
}

fn digits(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_valid_number_in_any_format_loses_its_digits(
        (number, region, cc) in written_number(),
        before in filler(),
        after in filler(),
    ) {
        let text = format!("{before} {number} {after}");
        let out = redactor(region.as_deref()).redact(&text).into_owned();
        // Only the mask's country code and last two digits may remain.
        prop_assert!(digits(&out) <= cc.len() + 2, "{text:?} -> {out:?}");
    }
}

fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 +().\\-/:a-zA-Z@#%=_]{0,80}",
        (written_number(), filler(), "[0-9 .:/\\-]{0,12}")
            .prop_map(|((n, _, _), f, g)| format!("{f} {n}{g} {f}")),
        prop::sample::select(vec![
            "token=abc123DEF456ghi789jkl",
            "postgres://u:p4ss@h/db",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "mail a.b@c.de",
            "-----BEGIN PRIVATE KEY-----\nabc",
            "AC0123456789abcdef0123456789abcdef",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn redaction_is_idempotent(text in texty(), region in prop::sample::select(vec![None, Some("US"), Some("GB"), Some("DE"), Some("IN")])) {
        let r = redactor(region);
        let once = r.redact(&text).into_owned();
        let twice = r.redact(&once).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn never_panics(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let r = redactor(Some("GB"));
        let _ = r.redact(&text);
        let _ = r.find(&text);
        let _ = redact_raw_payload(&r, PayloadKind::Json, &bytes);
        let _ = redact_raw_payload(&r, PayloadKind::Form, &bytes);
        let _ = redact_raw_payload(&r, PayloadKind::Json, text.as_bytes());
        let _ = redact_raw_payload(&r, PayloadKind::Form, text.as_bytes());
    }
}
