//! How the use cases' errors become problems. Store failures are logged here with their cause
//! chain (already free of personal data) and answered without it.

use warden_access::{AccessError, AccessStoreError};
use warden_assistant::marketplace::{MarketError, MarketStoreError};
use warden_assistant::pairing::{PairingError, PairingStoreError};
use warden_privacy::PrivacyStoreError;

use super::problem::Problem;
use crate::operator::OperatorError;

fn store_failure(cause: &dyn std::error::Error, unavailable: bool) -> Problem {
    tracing::error!(error = %crate::http::error_chain(cause), "admin API: the store failed");
    if unavailable {
        Problem::unavailable()
    } else {
        Problem::internal()
    }
}

impl From<AccessError> for Problem {
    fn from(e: AccessError) -> Self {
        match &e {
            AccessError::BadCredentials | AccessError::BadSession => {
                Problem::unauthorized().detail(e.to_string())
            }
            AccessError::Locked { .. } => Problem::new(
                axum::http::StatusCode::LOCKED,
                "https://warden.dev/problems/locked",
                "Account locked",
            )
            .detail(e.to_string()),
            AccessError::Denied(_) => Problem::forbidden(e.to_string()),
            AccessError::Invalid { .. } => Problem::bad_request(e.to_string()),
            AccessError::NotFound(_) => Problem::not_found(e.to_string()),
            AccessError::Store(AccessStoreError::DuplicateUsername) => {
                Problem::conflict(e.to_string())
            }
            AccessError::Store(AccessStoreError::Unavailable(_)) => store_failure(&e, true),
            AccessError::Store(_) | AccessError::Hash | AccessError::NoTokens => {
                store_failure(&e, false)
            }
        }
    }
}

impl From<OperatorError> for Problem {
    fn from(e: OperatorError) -> Self {
        match &e {
            OperatorError::Invalid { .. } => Problem::bad_request(e.to_string()),
            OperatorError::MarketplaceDisabled | OperatorError::NoPseudonymKey => {
                Problem::conflict(e.to_string())
            }
            OperatorError::OutboxNotFound(_) => Problem::not_found(e.to_string()),
            OperatorError::OutboxNotFailed(_) => Problem::conflict(e.to_string()),
            OperatorError::Market(m) => match m {
                MarketError::VendorNotFound(_)
                | MarketError::OfferNotFound(_)
                | MarketError::UnknownReference => Problem::not_found(e.to_string()),
                MarketError::InvalidActor => Problem::bad_request(e.to_string()),
                MarketError::DuplicateVendor
                | MarketError::NotHeld(_)
                | MarketError::NotRelayable(_)
                | MarketError::AmbiguousReference => Problem::conflict(e.to_string()),
                MarketError::Store(MarketStoreError::Unavailable(_)) => store_failure(&e, true),
                MarketError::Store(_) => store_failure(&e, false),
            },
            OperatorError::Pairing(p) => match p {
                PairingError::InvalidCode(_) | PairingError::InvalidActor => {
                    Problem::bad_request(e.to_string())
                }
                PairingError::Unknown => Problem::not_found(e.to_string()),
                PairingError::Expired | PairingError::AlreadyDecided(_) => {
                    Problem::conflict(e.to_string())
                }
                PairingError::Store(PairingStoreError::Unavailable(_)) => store_failure(&e, true),
                PairingError::Store(_) => store_failure(&e, false),
            },
            OperatorError::PrivacyUnavailable => Problem::conflict(e.to_string()),
            OperatorError::Privacy(PrivacyStoreError::Unavailable(_)) => store_failure(&e, true),
            OperatorError::Privacy(_) | OperatorError::Store(_) => store_failure(&e, false),
        }
    }
}
