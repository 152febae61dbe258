//! Call consent: a call is placed only when calling is enabled, the client granted consent by
//! command, and the consent has not expired or been revoked. Every attempt is audited.
//!
//! **Expiry is exclusive:** consent granted at `t` with time-to-live `ttl` allows calls while
//! `now < t + ttl`; at exactly `t + ttl` it has expired.

use warden_audit::{AuditEvent, Detail, EventKind};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::decision::{Decision, Effect};
use crate::outreach::{OutreachConfigError, DAY_MS, MINUTE_MS};
use crate::ports::{CallError, CallSid};
use crate::request::{Request, RequestRef, RequestStatus};

/// Calling configuration. Validate with [`CallingPolicy::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingPolicy {
    enabled: bool,
    consent_ttl_ms: i64,
}

impl Default for CallingPolicy {
    /// Calling off; consent lasts 24 hours.
    fn default() -> Self {
        Self {
            enabled: false,
            consent_ttl_ms: Self::DEFAULT_TTL_MS,
        }
    }
}

impl CallingPolicy {
    pub const DEFAULT_TTL_MS: i64 = DAY_MS;
    /// Consent never lasts longer than a week without being given again.
    pub const TTL_CEILING_MS: i64 = 7 * DAY_MS;
    pub const TTL_FLOOR_MS: i64 = MINUTE_MS;

    /// # Errors
    /// [`OutreachConfigError`] when the time-to-live is above a week or below a minute.
    pub fn new(enabled: bool, consent_ttl_ms: i64) -> Result<Self, OutreachConfigError> {
        if consent_ttl_ms > Self::TTL_CEILING_MS {
            return Err(OutreachConfigError::AboveCeiling {
                setting: "consent_ttl_ms",
                value: consent_ttl_ms,
                ceiling: Self::TTL_CEILING_MS,
            });
        }
        if consent_ttl_ms < Self::TTL_FLOOR_MS {
            return Err(OutreachConfigError::BelowFloor {
                setting: "consent_ttl_ms",
                value: consent_ttl_ms,
                floor: Self::TTL_FLOOR_MS,
            });
        }
        Ok(Self {
            enabled,
            consent_ttl_ms,
        })
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn consent_ttl_ms(&self) -> i64 {
        self.consent_ttl_ms
    }
}

/// A client's call consent, as the store keeps it (one row per client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsentRecord {
    /// Never asked.
    #[default]
    None,
    Granted {
        granted_at: UnixMillis,
        expires_at: UnixMillis,
    },
    Revoked {
        revoked_at: UnixMillis,
    },
}

impl ConsentRecord {
    /// The state's stable name (`none`, `granted`, `revoked`), as stored and shown to operators.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Granted { .. } => "granted",
            Self::Revoked { .. } => "revoked",
        }
    }

    /// Where the consent stands at `now`, as operators are shown it: `active` (a call may be
    /// placed), `expired`, `revoked` or `none`. The same expiry rule as [`decide_call`].
    pub const fn status_at(&self, now: UnixMillis) -> &'static str {
        match self {
            Self::None => "none",
            Self::Granted { expires_at, .. } if now.0 >= expires_at.0 => "expired",
            Self::Granted { .. } => "active",
            Self::Revoked { .. } => "revoked",
        }
    }
}

/// Records a `consent call yes|no` command.
pub fn change_consent(
    policy: &CallingPolicy,
    client: &SenderId,
    grant: bool,
    now: UnixMillis,
) -> Decision {
    let mut d = Decision::default();
    let (record, detail, reply) = if grant {
        let expires_at = now.plus_ms(policy.consent_ttl_ms());
        let hours = policy.consent_ttl_ms() / (60 * MINUTE_MS);
        let reply = if hours >= 1 {
            format!("Call consent granted for {hours} hours. Send: consent call no to withdraw it.")
        } else {
            "Call consent granted for a short time. Send: consent call no to withdraw it."
                .to_owned()
        };
        (
            ConsentRecord::Granted {
                granted_at: now,
                expires_at,
            },
            Detail::new()
                .with("state", "granted")
                .with("expires_ms", expires_at.as_i64()),
            reply,
        )
    } else {
        (
            ConsentRecord::Revoked { revoked_at: now },
            Detail::new().with("state", "revoked"),
            "Call consent withdrawn. We will not call you.".to_owned(),
        )
    };
    d.effects.push(Effect::SetConsent {
        client: client.clone(),
        record,
    });
    d.event(EventKind::CallConsentChanged, Some(client), detail);
    d.reply = Some(reply);
    d
}

/// What the app may do about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDecision {
    /// Present only when the call is allowed: hand it to [`crate::ports::CallPlacer`].
    pub permit: Option<CallPermit>,
    /// `calling.placed` (outcome `authorized`), `calling.consent_denied` or
    /// `calling.consent_expired`. Append it in the transaction that made the decision.
    pub audit: AuditEvent,
}

/// Permission to place one call to the client about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPermit {
    pub client: SenderId,
    pub to: PhoneNumber,
    pub reference: RequestRef,
}

/// Stable codes of the `reason` detail of `calling.consent_denied`.
pub mod deny_reason {
    pub const CALLING_DISABLED: &str = "calling_disabled";
    pub const NO_CONSENT: &str = "no_consent";
    pub const REVOKED: &str = "revoked";
    pub const REQUEST_CANCELLED: &str = "request_cancelled";
}

/// Whether Warden may call the client of `request` now. The call goes to the request's client
/// (the Voice adapter may bridge it to the vendor of an accepted offer; the vendor still never
/// learns the client's number).
pub fn decide_call(
    policy: &CallingPolicy,
    request: &Request,
    consent: &ConsentRecord,
    now: UnixMillis,
) -> CallDecision {
    let client = &request.client;
    let base = Detail::new().with("reference", request.reference.as_str());
    let denied = |reason: &str| CallDecision {
        permit: None,
        audit: AuditEvent {
            kind: EventKind::CallingConsentDenied,
            sender: Some(client.clone()),
            detail: base.clone().with("reason", reason),
        },
    };
    if !policy.enabled() {
        return denied(deny_reason::CALLING_DISABLED);
    }
    if request.status == RequestStatus::Cancelled {
        return denied(deny_reason::REQUEST_CANCELLED);
    }
    match *consent {
        ConsentRecord::None => denied(deny_reason::NO_CONSENT),
        ConsentRecord::Revoked { .. } => denied(deny_reason::REVOKED),
        ConsentRecord::Granted { expires_at, .. } if now >= expires_at => CallDecision {
            permit: None,
            audit: AuditEvent {
                kind: EventKind::CallingConsentExpired,
                sender: Some(client.clone()),
                detail: base.with("expired_at_ms", expires_at.as_i64()),
            },
        },
        ConsentRecord::Granted { expires_at, .. } => CallDecision {
            permit: Some(CallPermit {
                client: client.clone(),
                to: request.client_phone.clone(),
                reference: request.reference.clone(),
            }),
            audit: AuditEvent {
                kind: EventKind::CallingPlaced,
                sender: Some(client.clone()),
                detail: base
                    .with("outcome", "authorized")
                    .with("consent_expires_ms", expires_at.as_i64()),
            },
        },
    }
}

/// The audit event of a call attempt's result: `calling.placed` with `outcome=placed` and the
/// provider's `call_sid`, or `outcome=failed` and the error `code`.
pub fn call_outcome_event(permit: &CallPermit, result: &Result<CallSid, CallError>) -> AuditEvent {
    let detail = Detail::new().with("reference", permit.reference.as_str());
    let detail = match result {
        Ok(sid) => detail
            .with("outcome", "placed")
            .with("call_sid", sid.as_str()),
        Err(e) => detail
            .with("outcome", "failed")
            .with("error", e.code())
            .with("retryable", e.is_retryable()),
    };
    AuditEvent {
        kind: EventKind::CallingPlaced,
        sender: Some(permit.client.clone()),
        detail,
    }
}
