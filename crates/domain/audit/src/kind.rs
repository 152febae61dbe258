//! What happened: the closed set of audit event kinds and their stored names.

use std::fmt;

/// The kind of an audit event.
///
/// The string from [`EventKind::as_str`] is what the store writes and what the row hash covers,
/// so a name, once released, never changes. New kinds may be added; verification of a row whose
/// kind this release does not know fails with `ChainError::UnknownKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    WebhookSignatureInvalid,
    MessageAccepted,
    SenderUnknown,
    PairingSucceeded,
    PairingFailed,
    PairingLocked,
    RateLimitExceeded,
    CommandExecuted,
    CommandRejected,
    TaskAdded,
    TaskCompleted,
    AllowlistAdded,
    /// A message to send was written to the outbox.
    OutboxEnqueued,
    /// The provider accepted an outbox message.
    OutboxSent,
    /// An attempt failed and another is scheduled.
    OutboxRetryScheduled,
    /// The message failed permanently or ran out of attempts.
    OutboxFailed,
    /// A provider callback moved the message's delivery status.
    OutboxStatus,
    /// An operator put a failed message back in the queue.
    OutboxRequeued,
    /// The input guard found prompt injection: the LLM was not called.
    AiInjectionDetected,
    /// The LLM's answer failed the output guard and was not shown.
    AiOutputBlocked,
    /// The LLM's answer passed the output guard and was sent, labelled as a suggestion.
    AiSuggested,
    /// The LLM could not be reached or answered with an error: the coded workflow answered.
    AiUnavailable,
    /// A client's request was recorded in the concierge marketplace.
    MarketplaceRequestCreated,
    /// A safety gate refused (part of) an outreach: the detail names the gate.
    OutreachBlocked,
    /// An outreach message to a vendor was written to the outbox.
    OutreachSent,
    /// A vendor's offer was relayed to the client, masked.
    OfferRelayed,
    /// A vendor's reply was held for the operator (injection or payment redirect).
    OfferHeld,
    /// An operator reviewed a held reply and dropped it: the client never sees it.
    OfferDiscarded,
    /// A client granted or revoked call consent.
    CallConsentChanged,
    /// A call was refused: no consent, or calling disabled.
    CallingConsentDenied,
    /// A call was refused: the consent had expired.
    CallingConsentExpired,
    /// A call was placed with consent.
    CallingPlaced,
    /// An operator registered, changed or disabled a vendor.
    VendorChanged,
    /// A stranger was given a pairing code to have approved (or, asking again, the same one).
    PairingRequested,
    /// An operator approved a pairing code: the sender is on the allowlist.
    PairingApproved,
    /// An operator rejected a pairing code.
    PairingRejected,
    /// A stranger's request for a pairing code was refused by a limit (per sender or global).
    PairingLimited,
    /// An operator account was created.
    OperatorCreated,
    /// An operator logged in (password and second factor).
    OperatorLogin,
    /// A login failed: wrong password or second factor (the detail says which).
    OperatorLoginFailed,
    /// Too many failed logins locked the account.
    OperatorLocked,
    /// An operator's role changed.
    OperatorRoleChanged,
    /// An operator account was disabled: its sessions are revoked.
    OperatorDisabled,
    /// An operator account was enabled again.
    OperatorEnabled,
    /// An operator's second factor was reset, or a recovery code was spent.
    OperatorMfaChanged,
    /// A session (refresh-token family) was revoked: logout, a spent token presented again, or the account disabled.
    OperatorSessionRevoked,
    /// An operator removed a sender from the allowlist.
    AllowlistRemoved,
    /// Everything held about one phone number was deleted; the detail has per-table counts and
    /// the actor, never the subject (no sender, no pseudonym, no number).
    SubjectErased,
    /// A retention pass deleted rows past their age; the detail has per-category counts.
    RetentionPruned,
    /// Someone verified the whole chain: the detail says intact (with the head) or broken (with
    /// the first bad row), and who asked (`cli`, `operator:<id>`).
    AuditVerified,
    /// An operator read a held reply's text; the detail names the offer and the actor, never
    /// the text.
    OfferRevealed,
    /// A reminder's event exists in the calendar (created now, or found created by an earlier
    /// attempt); the detail has the event id, never the title or the time.
    CalendarEventCreated,
    /// A reminder's event was deleted (or was already gone); the event id only.
    CalendarEventDeleted,
    /// A calendar write gave up (last attempt, permanent failure, or the grant is gone); the
    /// event id and a reason code.
    CalendarWriteFailed,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 54] = [
        EventKind::WebhookSignatureInvalid,
        EventKind::MessageAccepted,
        EventKind::SenderUnknown,
        EventKind::PairingSucceeded,
        EventKind::PairingFailed,
        EventKind::PairingLocked,
        EventKind::RateLimitExceeded,
        EventKind::CommandExecuted,
        EventKind::CommandRejected,
        EventKind::TaskAdded,
        EventKind::TaskCompleted,
        EventKind::AllowlistAdded,
        EventKind::OutboxEnqueued,
        EventKind::OutboxSent,
        EventKind::OutboxRetryScheduled,
        EventKind::OutboxFailed,
        EventKind::OutboxStatus,
        EventKind::OutboxRequeued,
        EventKind::AiInjectionDetected,
        EventKind::AiOutputBlocked,
        EventKind::AiSuggested,
        EventKind::AiUnavailable,
        EventKind::MarketplaceRequestCreated,
        EventKind::OutreachBlocked,
        EventKind::OutreachSent,
        EventKind::OfferRelayed,
        EventKind::OfferHeld,
        EventKind::OfferDiscarded,
        EventKind::CallConsentChanged,
        EventKind::CallingConsentDenied,
        EventKind::CallingConsentExpired,
        EventKind::CallingPlaced,
        EventKind::VendorChanged,
        EventKind::PairingRequested,
        EventKind::PairingApproved,
        EventKind::PairingRejected,
        EventKind::PairingLimited,
        EventKind::OperatorCreated,
        EventKind::OperatorLogin,
        EventKind::OperatorLoginFailed,
        EventKind::OperatorLocked,
        EventKind::OperatorRoleChanged,
        EventKind::OperatorDisabled,
        EventKind::OperatorEnabled,
        EventKind::OperatorMfaChanged,
        EventKind::OperatorSessionRevoked,
        EventKind::AllowlistRemoved,
        EventKind::SubjectErased,
        EventKind::RetentionPruned,
        EventKind::AuditVerified,
        EventKind::OfferRevealed,
        EventKind::CalendarEventCreated,
        EventKind::CalendarEventDeleted,
        EventKind::CalendarWriteFailed,
    ];

    /// The stored name, e.g. `"pairing.failed"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::WebhookSignatureInvalid => "webhook.signature_invalid",
            EventKind::MessageAccepted => "message.accepted",
            EventKind::SenderUnknown => "sender.unknown",
            EventKind::PairingSucceeded => "pairing.succeeded",
            EventKind::PairingFailed => "pairing.failed",
            EventKind::PairingLocked => "pairing.locked",
            EventKind::RateLimitExceeded => "ratelimit.exceeded",
            EventKind::CommandExecuted => "command.executed",
            EventKind::CommandRejected => "command.rejected",
            EventKind::TaskAdded => "task.added",
            EventKind::TaskCompleted => "task.completed",
            EventKind::AllowlistAdded => "allowlist.added",
            EventKind::OutboxEnqueued => "outbox.enqueued",
            EventKind::OutboxSent => "outbox.sent",
            EventKind::OutboxRetryScheduled => "outbox.retry_scheduled",
            EventKind::OutboxFailed => "outbox.failed",
            EventKind::OutboxStatus => "outbox.status",
            EventKind::OutboxRequeued => "outbox.requeued",
            EventKind::AiInjectionDetected => "ai.injection_detected",
            EventKind::AiOutputBlocked => "ai.output_blocked",
            EventKind::AiSuggested => "ai.suggested",
            EventKind::AiUnavailable => "ai.unavailable",
            EventKind::MarketplaceRequestCreated => "marketplace.request_created",
            EventKind::OutreachBlocked => "outreach.blocked",
            EventKind::OutreachSent => "outreach.sent",
            EventKind::OfferRelayed => "offer.relayed",
            EventKind::OfferHeld => "offer.held",
            EventKind::OfferDiscarded => "offer.discarded",
            EventKind::CallConsentChanged => "calling.consent_changed",
            EventKind::CallingConsentDenied => "calling.consent_denied",
            EventKind::CallingConsentExpired => "calling.consent_expired",
            EventKind::CallingPlaced => "calling.placed",
            EventKind::VendorChanged => "vendor.changed",
            EventKind::PairingRequested => "pairing.requested",
            EventKind::PairingApproved => "pairing.approved",
            EventKind::PairingRejected => "pairing.rejected",
            EventKind::PairingLimited => "pairing.limited",
            EventKind::OperatorCreated => "operator.created",
            EventKind::OperatorLogin => "operator.login",
            EventKind::OperatorLoginFailed => "operator.login_failed",
            EventKind::OperatorLocked => "operator.locked",
            EventKind::OperatorRoleChanged => "operator.role_changed",
            EventKind::OperatorDisabled => "operator.disabled",
            EventKind::OperatorEnabled => "operator.enabled",
            EventKind::OperatorMfaChanged => "operator.mfa_changed",
            EventKind::OperatorSessionRevoked => "operator.session_revoked",
            EventKind::AllowlistRemoved => "allowlist.removed",
            EventKind::SubjectErased => "subject.erased",
            EventKind::RetentionPruned => "retention.pruned",
            EventKind::AuditVerified => "audit.verified",
            EventKind::OfferRevealed => "offer.revealed",
            EventKind::CalendarEventCreated => "calendar.event_created",
            EventKind::CalendarEventDeleted => "calendar.event_deleted",
            EventKind::CalendarWriteFailed => "calendar.write_failed",
        }
    }

    /// The inverse of [`EventKind::as_str`]; exact match only (no case folding, no trimming).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn stored_names_are_distinct() {
        let names: HashSet<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
    }

    #[test]
    fn parse_rejects_near_misses() {
        for bad in [
            "",
            "Pairing.failed",
            "pairing.failed ",
            "pairing",
            "task.deleted",
        ] {
            assert_eq!(EventKind::parse(bad), None, "{bad:?}");
        }
    }
}
