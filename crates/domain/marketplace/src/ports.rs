//! The seams the marketplace needs from the outside world.
//!
//! Only calling is a port of its own: everything else the marketplace decides runs inside the
//! store's transaction (like the assistant's `Ledger`), and its messages leave through the
//! outbox.

use std::fmt;

use async_trait::async_trait;
use warden_types::PhoneNumber;

use crate::request::RequestRef;

/// The provider's id of a placed call (Twilio `CA…`): 1..=64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallSid(String);

/// The string is not a call id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a call id is 1 to 64 characters of [A-Za-z0-9_-]")]
pub struct BadCallSid;

impl CallSid {
    pub fn new(raw: &str) -> Result<Self, BadCallSid> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BadCallSid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a call was not placed. Carries a code only (for the audit log), never a number or a
/// provider response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Worth trying again later (timeout, 429, 5xx).
    #[error("call failed, retryable ({0})")]
    Retryable(&'static str),
    /// Will fail again (invalid number, account suspended, 4xx).
    #[error("call failed permanently ({0})")]
    Permanent(&'static str),
}

impl CallError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Retryable(c) | Self::Permanent(c) => c,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable(_))
    }
}

impl fmt::Display for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Places outbound voice calls (the Twilio Voice adapter).
#[async_trait]
pub trait CallPlacer: Send + Sync {
    /// MUST place at most one call to `to`, only when called (no retries of its own: the caller
    /// decides, with a fresh [`crate::consent::decide_call`], whether to try again), and return
    /// the provider's call id once the provider accepted the call. `reference` identifies the
    /// request (for the call's script or a status callback) and MUST NOT be replaced by anything
    /// that names the client. MUST NOT follow redirects or log `to`. Errors carry a code only:
    /// [`CallError::Retryable`] for timeouts, throttling and provider 5xx,
    /// [`CallError::Permanent`] otherwise.
    async fn place_call(
        &self,
        to: &PhoneNumber,
        reference: &RequestRef,
    ) -> Result<CallSid, CallError>;
}
