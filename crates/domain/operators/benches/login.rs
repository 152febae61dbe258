//! What one login costs: argon2id (the deliberate part), the TOTP check and the access token;
//! and what every authenticated call costs: verifying its token.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench setup")]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use secrecy::SecretSlice;
use warden_operators::{
    code_at, step_at, totp, AccessClaims, AccessTokens, OperatorId, PasswordHasher, Role,
    SigningKey, TotpSecret,
};
use warden_types::UnixMillis;

const PASSWORD: &str = "violet kettle mountain river";

fn bench_login(c: &mut Criterion) {
    let hasher = PasswordHasher::new(Some(SecretSlice::from(vec![9u8; 32]))).unwrap();
    let stored = hasher.hash(PASSWORD, [7u8; 16]).unwrap();
    let mut group = c.benchmark_group("login");
    group.sample_size(20);
    group.bench_function("argon2id_verify_right_password", |b| {
        b.iter(|| assert!(hasher.verify(black_box(PASSWORD), Some(&stored))))
    });
    group.bench_function("argon2id_verify_unknown_user", |b| {
        b.iter(|| assert!(!hasher.verify(black_box(PASSWORD), None)))
    });
    group.bench_function("argon2id_hash_new_password", |b| {
        b.iter(|| hasher.hash(black_box(PASSWORD), [3u8; 16]).unwrap())
    });
    group.finish();

    let secret = TotpSecret::from_bytes([5u8; 20]);
    let now = UnixMillis(1_800_000_000_000);
    let code = code_at(&secret, step_at(now));
    c.bench_function("login/totp_verify", |b| {
        b.iter(|| totp::verify(&secret, black_box(&code), now, None).unwrap())
    });

    let tokens = AccessTokens::new(
        SigningKey::derived(SecretSlice::from(vec![1u8; 32])).unwrap(),
        Vec::new(),
    );
    let claims = AccessClaims::new(
        OperatorId(7),
        Role::Operator,
        "f".repeat(32),
        "j".repeat(32),
        now,
    );
    c.bench_function("login/access_token_issue", |b| {
        b.iter(|| tokens.issue(black_box(&claims)).unwrap())
    });
    let token = tokens.issue(&claims).unwrap();
    c.bench_function("call/access_token_verify", |b| {
        b.iter(|| {
            tokens
                .verify(black_box(secrecy::ExposeSecret::expose_secret(&token)), now)
                .unwrap()
        })
    });
}

criterion_group!(benches, bench_login);
criterion_main!(benches);
