//! What every writer of the outbox shares: the key of a message's reply and the audit event of
//! an enqueue. The message path's ledger and the marketplace's steps both use them, so a reply
//! written by either has the same key (one reply per message) and every enqueue is audited alike.

use sha2::{Digest, Sha256};
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_gates::PairingCode;
use warden_types::{PhoneNumber, Provider, SenderId};

/// The outbox key of the reply to one inbound message: derived from the message's replay key,
/// so one message can never enqueue two replies, and short and printable whatever the
/// provider's id looks like.
pub fn reply_key(provider: Provider, message_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(provider.as_str())
        .chain_update([0])
        .chain_update(message_id)
        .finalize();
    format!("reply-{}", hex::encode(&digest[..16]))
}

/// The outbox key of the `n`th message of one marketplace step to `to`: derived from the step's
/// scope (the inbound message's replay key, the scheduler's request and time, or the released
/// offer) and the recipient, so a retried step can never enqueue a message twice.
pub fn market_message_key(scope: &str, to: &PhoneNumber, n: usize) -> String {
    let digest = Sha256::new()
        .chain_update(b"warden-market-out-v1\0")
        .chain_update(scope)
        .chain_update([0])
        .chain_update(to.as_e164())
        .chain_update([0])
        .chain_update((n as u64).to_be_bytes())
        .finalize();
    format!("mkt-{}", hex::encode(&digest[..16]))
}

/// The outbox key of the "Paired" reply to an approved pairing code: one per code, so an
/// approval retried (or raced by a second operator) can never message the sender twice.
pub fn pairing_reply_key(code: &PairingCode) -> String {
    let digest = Sha256::new()
        .chain_update(b"warden-pairing-reply-v1\0")
        .chain_update(code.as_str())
        .finalize();
    format!("pair-{}", hex::encode(&digest[..16]))
}

/// `outbox.enqueued`: the key and the provider, never the recipient or the text.
pub fn enqueued_event(sender: Option<SenderId>, key: &str, provider: Provider) -> AuditEvent {
    AuditEvent {
        kind: EventKind::OutboxEnqueued,
        sender,
        detail: Detail::new()
            .with("key", key)
            .with("provider", provider.as_str()),
    }
}
