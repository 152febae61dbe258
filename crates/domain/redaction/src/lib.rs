//! Redaction of personal data and secrets before text leaves the process: log lines, traces,
//! exports, error messages and raw provider payloads kept for debugging.
//!
//! Pure domain code: no I/O, no async runtime, no HTTP, no SQL. Build one [`Redactor`] at start-up
//! from a [`RedactionConfig`] and share it (it is `Send + Sync`).
//!
//! ```
//! use warden_redaction::{RedactionConfig, Redactor};
//!
//! let redactor = Redactor::new(RedactionConfig::default())?;
//! let line = redactor.redact("inbound from whatsapp:+447700900123 ok");
//! assert_eq!(line, "inbound from whatsapp:+44 ••• ••• ••23 ok");
//! // The common case costs a scan and no allocation.
//! assert!(matches!(redactor.redact("list"), std::borrow::Cow::Borrowed(_)));
//! # Ok::<(), warden_redaction::RedactorError>(())
//! ```
//!
//! What is found (see [`FindingKind`]):
//! - phone numbers in the formats people write (E.164, `00` prefix, `whatsapp:+…`, national
//!   formats with spaces, dashes, dots, slashes and parentheses), validated with libphonenumber's
//!   metadata (the `phonenumber` crate) plus a few shape rules for numbers written without a
//!   country; dates, times, prices, versions, IP addresses, UUIDs, IBAN- and card-like digit
//!   groups and numbers introduced by words such as "order" or "tracking" are left alone;
//! - secrets by shape (Twilio, Meta, Google, JWT, bearer/basic headers, PEM private keys, URLs
//!   with passwords, `password=…` pairs, generic high-entropy tokens) and by value (every secret
//!   the app was configured with);
//! - e-mail addresses.
//!
//! Whole values that must never be printed (OCR text, message bodies) go in [`Sensitive`], whose
//! `Debug` and `Display` show only a length and a short hash. Raw provider payloads go through
//! [`redact_raw_payload`].

mod config;
mod payload;
mod phone;
mod redactor;
mod secrets;
mod sensitive;
mod spoken;

pub use config::{PhoneMask, RedactionConfig, Region, UnknownRegion};
pub use payload::{redact_raw_payload, PayloadKind, RawPayloadError};
pub use redactor::{Finding, FindingKind, Redactor, RedactorError, SecretKind};
pub use sensitive::Sensitive;
