//! The bench inputs, shared by `benches/redact.rs` (criterion, MB/s) and `examples/callgrind.rs`
//! (instruction counts, stable on a loaded machine).
//!
//! Each input is about 1 MiB of lines, redacted one line at a time as a tracing layer would:
//! - `chat_clean`: chat commands and sentences without personal data, but with the digits people
//!   type (times, dates, prices, counts, order numbers, versions);
//! - `chat_5pct_data`: the same, with every 20th line carrying a phone number (international,
//!   national, `whatsapp:`), an e-mail address or a `00` number;
//! - `log_lines_5pct_data`: gateway log lines (RFC 3339 timestamps, UUIDs, Twilio message SIDs,
//!   Meta `wamid.` ids, durations, prices, status codes, Unix timestamps, IP addresses), the hard
//!   negatives of phone detection, with every 20th line carrying a number, address or token.

/// Chat lines without personal data.
pub const CLEAN_CHAT: &[&str] = &[
    "add buy milk",
    "list",
    "done 3",
    "Hi! Could you please remind me to pick up the prescription from the pharmacy tomorrow morning?",
    "ok thanks 👍",
    "Can we move the meeting to 10:30 on Friday?",
    "The invoice was €1,250.00, I paid it yesterday",
    "remind me to call mum at 18:00",
    "Lunch at the Italian place, table for 4 at 12:45",
    "order #48213 arrived, all good",
    "Je serai en retard de 15 minutes, désolé",
    "¿Puedes comprar pan y leche? Gracias",
    "version 2.14.3 fixed the crash",
    "add finish the quarterly report before 2024-03-31",
    "tracking number 1Z999AA10123456784, should arrive 12.04.2025",
    "the flat is 72 m², rent 1 450 EUR, deposit 2900",
    "meet at Gate B12 at 07:15, flight BA 2490",
];

/// Chat lines with a phone number, an e-mail address or a provider address.
pub const CHAT_DATA: &[&str] = &[
    "my new number is +44 7400 123456, save it pls",
    "call the plumber on 020 7946 0958 tomorrow",
    "Send it to jane.doe@example.com please",
    "whatsapp:+14155238886 replied STOP",
    "you can reach Marie at 06 12 34 56 78 or 0033 6 12 34 56 78",
    "new mobile: 07700 900461 (old one is gone)",
];

/// Gateway log lines without personal data: the hard negatives.
pub const LOG_LINES: &[&str] = &[
    "2026-11-25T23:21:36.123456Z  INFO warden::gateway: inbound accepted provider=twilio elapsed_ms=12",
    "2026-11-25T23:21:36.223456Z DEBUG warden::outbox: delivered attempt=1 status=200 elapsed_ms=87",
    "2026-11-25T23:21:37.003456Z  INFO warden::assistant: command parsed kind=add len=14",
    "2026-11-25T23:21:37.113456Z  WARN warden::gates: rate limited window=60s count=31",
    "2026-11-25T23:21:38.000001Z  INFO tower_http::trace: finished processing request latency=3 ms status=200",
    "2026-11-25T23:21:38.104211Z  INFO warden::gateway: message_sid=SM0123456789abcdef0123456789abcdef request_id=550e8400-e29b-41d4-a716-446655440000",
    "2026-11-25T23:21:38.204211Z DEBUG warden::meta: wamid=wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA ts=1732576898",
    "2026-11-25T23:21:39.314159Z  INFO warden::billing: charged amount=12.50 EUR balance=1234.56 invoice=INV-2026-004812",
    "2026-11-25T23:21:39.414159Z  INFO warden::store: ledger batch=4812 rows=25 bytes=131072 took=1.732ms",
    "2026-11-25T23:21:40.000000Z DEBUG hyper::client: connecting to 157.240.221.35:443 peer=10.0.3.17:50512",
    "2026-11-25T23:21:40.512000Z  INFO warden::assistant: reminder scheduled at=2026-11-26T08:00:00+01:00 id=7f3b2c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b",
];

/// Log lines with a phone number, an address or a token.
pub const LOG_DATA: &[&str] = &[
    "2026-11-25T23:21:41.000000Z  INFO warden::gateway: inbound from=whatsapp:+447400123456 sid=SM0123456789abcdef0123456789abcdef",
    "2026-11-25T23:21:41.100000Z  WARN warden::outbox: bounce to=jane.doe@example.com reason=mailbox_full",
    "2026-11-25T23:21:41.200000Z DEBUG warden::meta: request Authorization: Bearer EAAGm0PX4ZCpsBAKZAZBpZCxyz123456789",
    "2026-11-25T23:21:41.300000Z  INFO warden::gateway: wa_id=447700900123 profile=<redacted len=5 sha256=1a2b3c4d>",
    "2026-11-25T23:21:41.400000Z  INFO warden::assistant: user asked to call 020 7946 0958",
];

/// About 1 MiB of lines: 19 of every 20 from `clean`, the 20th from `data`.
pub fn corpus(clean: &[&str], data: &[&str]) -> String {
    let mut out = String::with_capacity(1 << 20);
    let mut i = 0usize;
    while out.len() < (1 << 20) {
        let line = if i % 20 == 19 {
            data[(i / 20) % data.len()]
        } else {
            clean[i % clean.len()]
        };
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out
}

/// The named inputs, in bench order.
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("chat_clean", corpus(CLEAN_CHAT, CLEAN_CHAT)),
        ("chat_5pct_data", corpus(CLEAN_CHAT, CHAT_DATA)),
        ("log_lines_5pct_data", corpus(LOG_LINES, LOG_DATA)),
    ]
}

/// The redactor of the benches: GB default region, two configured secrets.
pub fn redactor() -> warden_redaction::Redactor {
    warden_redaction::Redactor::new(warden_redaction::RedactionConfig {
        default_region: warden_redaction::Region::parse("GB").ok(),
        known_secrets: vec![
            "s3cr3t-twilio-auth-token-value".to_owned().into(),
            "EAAGm0PX4ZCpsBAKZAZBpZCxyz123456789".to_owned().into(),
        ],
        ..warden_redaction::RedactionConfig::default()
    })
    .unwrap()
}
