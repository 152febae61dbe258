//! Meta WhatsApp Cloud API adapter: webhooks in, Graph API messages out.
//!
//! Why this crate exists: the webhook URL is public, so anyone can POST JSON that looks like
//! a WhatsApp message from the owner's number. Only the `X-Hub-Signature-256` header, an
//! HMAC of the raw body under the app secret, tells Meta's requests from forgeries.
//!
//! The HTTP edge (in the app) owns the requests and calls, in this order:
//!
//! - `GET` (subscription handshake): [`SubscriptionVerifier::verify`] with the three `hub.*`
//!   query parameters; answer the returned challenge (digits only) as `text/plain`, 400 for a
//!   malformed challenge, 403 otherwise.
//! - `POST`: read the raw body, [`SignatureVerifier::verify`] it **before parsing** (the
//!   signature covers bytes, not JSON values), check [`is_json_content_type`] (415 otherwise),
//!   then [`parse_webhook`] (which refuses a body that is not UTF-8); compare each item's
//!   `phone_number_id` with the configured one, hand [`MetaMessage::inbound`] to the domain and
//!   [`StatusUpdate`]s to the outbox. Meta retries any non-200 answer, so a delivery whose
//!   items were all rejected is still acknowledged.
//!
//! [`MetaSender`] implements the outbox's [`warden_delivery::MessageSender`] port over the
//! Graph API.
//!
//! **Invariant:** no error, `Debug` output or rejection in this crate carries input: not the
//! signature, a token, a phone number, message text or Meta's error text.

mod graph;
mod handshake;
mod payload;
mod signature;
mod webhook;

pub use graph::{
    GraphConfig, GraphSetupError, MetaSender, DEFAULT_API_VERSION, DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT, MAX_RETRY_AFTER,
};
pub use handshake::{
    HandshakeError, SubscriptionVerifier, CHALLENGE_PARAM, MAX_CHALLENGE_LEN, MODE_PARAM,
    VERIFY_TOKEN_PARAM,
};
pub use signature::{HubSignatureError, SignatureVerifier, SIGNATURE_HEADER};
pub use webhook::{
    is_json_content_type, parse_webhook, ItemKind, MessageKind, MetaMessage, RejectedItem,
    StatusUpdate, WebhookBatch, WebhookPayloadError, MAX_ITEMS,
};
