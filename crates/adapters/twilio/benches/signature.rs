//! Per-request costs of the Twilio webhook path: signature verification and normalisation.
//!
//! Input: the realistic WhatsApp webhook body in `src/fixtures/whatsapp_text.form`
//! (16 fields, as Twilio sends them today).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use secrecy::SecretString;
use warden_twilio::{normalise, parse_form, SignatureVerifier};

const BODY: &[u8] = include_bytes!("../src/fixtures/whatsapp_text.form");
const URL: &str = "https://warden.example.org/webhooks/twilio/whatsapp";

fn benches(c: &mut Criterion) {
    let Ok(params) = parse_form(BODY) else {
        return;
    };
    let verifier = SignatureVerifier::new(SecretString::from("0123456789abcdef0123456789abcdef"));
    let valid = verifier.sign(URL, &params);
    // Well-formed but made with another token: both URL spellings are tried before refusing.
    let forged = SignatureVerifier::new(SecretString::from("fedcba9876543210fedcba9876543210"))
        .sign(URL, &params);

    c.bench_function("verify/whatsapp_webhook/valid", |b| {
        b.iter(|| verifier.verify(black_box(URL), black_box(&params), Some(black_box(&valid))))
    });
    c.bench_function("verify/whatsapp_webhook/invalid", |b| {
        b.iter(|| verifier.verify(black_box(URL), black_box(&params), Some(black_box(&forged))))
    });
    c.bench_function("parse_form+normalise/whatsapp_webhook", |b| {
        b.iter(|| parse_form(black_box(BODY)).map(|p| normalise(&p)))
    });
}

criterion_group!(signature, benches);
criterion_main!(signature);
