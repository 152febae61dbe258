//! Outbound delivery, as the domain sees it: one port to send a message through a provider,
//! the classification of what went wrong, and the retry policy the outbox applies.
//!
//! Retries live in the outbox, not in the adapters: an adapter makes one bounded attempt and
//! says whether trying again can help; the outbox persists the attempt and schedules the next
//! one, so a crash between attempts loses nothing.

mod outbox;
mod policy;
mod ports;

pub use outbox::{
    deliver_due, AttemptResult, Claimed, OutboxError, OutboxStore, PassConfig, PassReport, Senders,
    StatusApplied,
};
pub use policy::{RetryDecision, RetryPolicy};
pub use ports::{
    DeliveryWake, IdempotencyKey, MessageSender, OutboundMessage, SendError, SentMessage,
};

/// Where a message is in its life, as recorded by the outbox and advanced by provider callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The provider accepted it.
    Sent,
    /// The provider reported it reached the handset.
    Delivered,
    /// The provider reported the recipient read it.
    Read,
    /// Permanently failed, or out of attempts. Visible to operators, who may retry it.
    Failed,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Provider callbacks arrive out of order (a `read` may overtake `delivered`). A status only
    /// moves forward, except that a provider may report a sent message `failed` later.
    pub fn advance(self, reported: Self) -> Self {
        use DeliveryStatus::*;
        match (self, reported) {
            (Read, _) => Read,
            (_, Failed) if self != Read => Failed,
            (Failed, _) => Failed,
            (current, next) if next.rank() > current.rank() => next,
            (current, _) => current,
        }
    }

    const fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::{self, *};

    #[test]
    fn status_names_round_trip() {
        for s in [Pending, Sent, Delivered, Read, Failed] {
            assert_eq!(DeliveryStatus::from_str_opt(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::from_str_opt("queued"), None);
    }

    #[test]
    fn out_of_order_callbacks_never_move_a_status_backwards() {
        assert_eq!(Read.advance(Delivered), Read);
        assert_eq!(Delivered.advance(Sent), Delivered);
        assert_eq!(Sent.advance(Read), Read);
        assert_eq!(Pending.advance(Sent), Sent);
    }

    #[test]
    fn a_late_failure_report_marks_a_sent_message_failed_but_not_a_read_one() {
        assert_eq!(Sent.advance(Failed), Failed);
        assert_eq!(Delivered.advance(Failed), Failed);
        assert_eq!(Read.advance(Failed), Read);
        assert_eq!(Failed.advance(Delivered), Failed);
    }
}
