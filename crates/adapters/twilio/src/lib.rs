//! Twilio WhatsApp adapter: the pure parts of receiving a message through Twilio.
//!
//! Why this crate exists: Warden's webhook URL is public, so anyone can POST a form that looks
//! like a WhatsApp message from the owner's number. The only thing that tells Twilio's requests
//! from forgeries is the `X-Twilio-Signature` header, an HMAC of the URL and the form under the
//! account's auth token. [`SignatureVerifier`] checks it (webhook spoofing control); only then
//! does [`normalise`] turn the form into a validated [`warden_types::InboundMessage`], and
//! [`twiml_reply`] renders the answer without letting reply text inject TwiML.
//!
//! The HTTP edge (axum, in the app) owns the request: it reads the raw body, calls
//! [`parse_form`], builds the public URL from the configured base URL (proxies rewrite scheme,
//! host and port), and calls these functions in that order. None of them does I/O.
//!
//! Out, [`TwilioSender`] sends WhatsApp messages through the Messages REST API (the outbox's
//! `MessageSender`), and [`TwilioVoice`] places the marketplace's consented calls through the
//! Calls REST API (its `CallPlacer`); both share [`RestSetupError`] and its rules (https or
//! loopback only, no redirects, the auth token never printed).
//!
//! **Invariant:** no error type in this crate carries input: not the signature, not a field
//! value, not the URL.

mod account;
mod auth;
mod form;
mod inbound;
mod rest;
mod signature;
mod status;
mod twiml;
mod voice;

pub use auth::{WebhookAuthError, WebhookAuthenticator};
pub use form::{parse_form, FormError, MAX_FIELDS};
pub use inbound::{account_sid, normalise, NormaliseError, MAX_MEDIA};
pub use rest::{
    RestConfig, RestSetupError, TwilioSender, DEFAULT_API_URL, DEFAULT_TIMEOUT, MAX_RETRY_AFTER,
};
pub use signature::{SignatureError, SignatureVerifier};
pub use status::{parse_status_callback, StatusCallback, StatusError};
pub use twiml::{twiml_reply, TWIML_CONTENT_TYPE};
pub use voice::{call_twiml, TwilioVoice, VoiceConfig};
