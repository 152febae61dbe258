//! What a decision asks the store and the app to do.

use std::fmt;

use warden_audit::{AuditEvent, Detail, EventKind};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::consent::ConsentRecord;
use crate::payment::HoldReason;
use crate::request::{Offer, Request, RequestId, RequestRef, RequestStatus};
use crate::vendor::VendorId;

/// One state change the store must persist, in order, in the transaction that ran the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Insert a new request (status open, nothing contacted yet).
    CreateRequest(Request),
    /// One outreach message was sent to `vendor` about `request`: add the vendor to the
    /// request's contacted list and bump the vendor's counters (see
    /// [`crate::outreach::VendorCounter::record`]).
    RecordOutreach {
        request: RequestId,
        vendor: VendorId,
        at: UnixMillis,
    },
    SetStatus {
        request: RequestId,
        status: RequestStatus,
    },
    /// An offer was relayed to the client.
    RecordOffer { request: RequestId, offer: Offer },
    /// A vendor reply was not relayed: keep it for the operator (the text is the vendor's,
    /// unredacted, for review only; never relay or log it).
    HoldOffer {
        request: Option<RequestId>,
        vendor: VendorId,
        reasons: Vec<HoldReason>,
        text: HeldText,
        at: UnixMillis,
    },
    /// Replace the client's call consent record.
    SetConsent {
        client: SenderId,
        record: ConsentRecord,
    },
}

/// A held vendor reply. `Debug` prints only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldText(pub String);

impl fmt::Debug for HeldText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeldText(<{} bytes>)", self.0.len())
    }
}

/// Who an outgoing message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Vendor {
        id: VendorId,
        phone: PhoneNumber,
    },
    Client {
        sender: SenderId,
        phone: PhoneNumber,
    },
}

/// A message to write to the outbox in the decision's transaction.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: Recipient,
    pub body: String,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("to", &self.to)
            .field("body_chars", &self.body.chars().count())
            .finish()
    }
}

/// Everything that follows from one marketplace step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub effects: Vec<Effect>,
    pub audit: Vec<AuditEvent>,
    /// Messages to vendors or clients (outbox), beyond the reply.
    pub messages: Vec<Outgoing>,
    /// The answer to whoever sent the message being handled, if any.
    pub reply: Option<String>,
}

impl Decision {
    pub(crate) fn event(&mut self, kind: EventKind, sender: Option<&SenderId>, detail: Detail) {
        self.audit.push(AuditEvent {
            kind,
            sender: sender.cloned(),
            detail,
        });
    }

    pub(crate) fn blocked(
        &mut self,
        client: &SenderId,
        reference: &RequestRef,
        gate: Gate,
        more: Detail,
    ) {
        self.event(
            EventKind::OutreachBlocked,
            Some(client),
            more.with("gate", gate.code())
                .with("reference", reference.as_str()),
        );
    }
}

/// A safety gate that refused (part of) an outreach or a request. The codes are stable: they are
/// the `gate` detail of `outreach.blocked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// More vendors in one batch than `batch_size`.
    BatchSize,
    /// More vendors for one request than `max_vendors`.
    MaxVendors,
    /// The vendor already had `vendor_daily_cap` outreach messages this UTC day.
    VendorDailyCap,
    /// The vendor's last outreach was less than `vendor_cooldown` ago.
    VendorCooldown,
    /// The client already has `max_open_requests` open requests.
    OpenRequests,
    /// The vendor is deactivated.
    VendorInactive,
    /// The proposed vendor is not registered (not in the loaded vendor list).
    VendorUnknown,
    /// The proposed vendor's tags do not match the request.
    NoTagMatch,
    /// The vendor was already contacted about this request.
    AlreadyContacted,
    /// The request is accepted or cancelled.
    RequestNotOpen,
    /// A proposal longer than [`crate::outreach::OutreachPolicy::MAX_PROPOSAL`]: the rest was not
    /// looked at (one event with `count`).
    ProposalTooLong,
}

impl Gate {
    pub const fn code(self) -> &'static str {
        match self {
            Self::BatchSize => "batch_size",
            Self::MaxVendors => "max_vendors",
            Self::VendorDailyCap => "vendor_daily_cap",
            Self::VendorCooldown => "vendor_cooldown",
            Self::OpenRequests => "open_requests",
            Self::VendorInactive => "vendor_inactive",
            Self::VendorUnknown => "vendor_unknown",
            Self::NoTagMatch => "no_tag_match",
            Self::AlreadyContacted => "already_contacted",
            Self::RequestNotOpen => "request_not_open",
            Self::ProposalTooLong => "proposal_too_long",
        }
    }
}
