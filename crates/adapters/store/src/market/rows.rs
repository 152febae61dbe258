//! Typed mapping between the marketplace's domain values and their stored columns: every status
//! and state name the tables hold is spelled here once.

use warden_assistant::marketplace::{MarketStoreError, OfferStatus, StoredOffer};
use warden_marketplace::{
    BusinessName, ConsentRecord, HeldText, RequestId, RequestStatus, Tag, TagSet, Vendor, VendorId,
};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::entity::{call_consents, market_offers, vendors};

pub(crate) const OPEN: &str = "open";
const ACCEPTED: &str = "accepted";
const CANCELLED: &str = "cancelled";

pub(super) fn tags_to_db(tags: &TagSet) -> String {
    tags.comma_separated()
}

pub(super) fn tags_from_db(raw: &str) -> TagSet {
    raw.split(',').filter_map(|t| Tag::new(t).ok()).collect()
}

/// The stored status name and accepted offer number.
pub(super) fn status_to_db(status: RequestStatus) -> (&'static str, Option<i32>) {
    match status {
        RequestStatus::Open => (OPEN, None),
        RequestStatus::Accepted { offer_no } => {
            (ACCEPTED, Some(i32::try_from(offer_no).unwrap_or(i32::MAX)))
        }
        RequestStatus::Cancelled => (CANCELLED, None),
    }
}

pub(super) fn status_from_db(
    raw: &str,
    offer: Option<i32>,
) -> Result<RequestStatus, MarketStoreError> {
    match raw {
        OPEN => Ok(RequestStatus::Open),
        CANCELLED => Ok(RequestStatus::Cancelled),
        ACCEPTED => Ok(RequestStatus::Accepted {
            offer_no: offer
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(MarketStoreError::Corrupt("request status"))?,
        }),
        _ => Err(MarketStoreError::Corrupt("request status")),
    }
}

pub(super) fn to_vendor(row: &vendors::Model) -> Result<Vendor, MarketStoreError> {
    Ok(Vendor {
        id: VendorId(row.id),
        business_name: BusinessName::new(&row.business_name)
            .map_err(|_| MarketStoreError::Corrupt("vendor name"))?,
        phone: PhoneNumber::parse(&row.phone)
            .map_err(|_| MarketStoreError::Corrupt("vendor phone"))?,
        tags: tags_from_db(&row.tags),
        active: row.active,
    })
}

pub(super) fn sender_from_db(raw: &str) -> Result<SenderId, MarketStoreError> {
    SenderId::from_hex(raw).map_err(|_| MarketStoreError::Corrupt("sender"))
}

pub(crate) const GRANTED: &str = ConsentRecord::Granted {
    granted_at: UnixMillis(0),
    expires_at: UnixMillis(0),
}
.as_str();
pub(crate) const REVOKED: &str = ConsentRecord::Revoked {
    revoked_at: UnixMillis(0),
}
.as_str();

/// A consent row as the domain's record (a malformed `granted` row counts as no consent).
pub(super) fn consent_from_db(row: Option<&call_consents::Model>) -> ConsentRecord {
    match row {
        Some(r) if r.state == GRANTED => match (r.granted_ms, r.expires_ms) {
            (Some(g), Some(e)) => ConsentRecord::Granted {
                granted_at: UnixMillis(g),
                expires_at: UnixMillis(e),
            },
            _ => ConsentRecord::None,
        },
        Some(r) if r.state == REVOKED => ConsentRecord::Revoked {
            revoked_at: UnixMillis(r.revoked_ms.unwrap_or(r.updated_ms)),
        },
        _ => ConsentRecord::None,
    }
}

/// `(state, granted_ms, expires_ms, revoked_ms)` of a consent record.
pub(super) fn consent_to_db(
    record: ConsentRecord,
) -> (&'static str, Option<i64>, Option<i64>, Option<i64>) {
    let state = record.as_str();
    match record {
        ConsentRecord::None => (state, None, None, None),
        ConsentRecord::Granted {
            granted_at,
            expires_at,
        } => (
            state,
            Some(granted_at.as_i64()),
            Some(expires_at.as_i64()),
            None,
        ),
        ConsentRecord::Revoked { revoked_at } => (state, None, None, Some(revoked_at.as_i64())),
    }
}

pub(super) fn offer_from_db(row: market_offers::Model) -> Result<StoredOffer, MarketStoreError> {
    Ok(StoredOffer {
        id: row.id,
        request: row.request_id.map(RequestId),
        vendor: VendorId(row.vendor_id),
        status: OfferStatus::parse(&row.status).ok_or(MarketStoreError::Corrupt("offer status"))?,
        reasons: row.reasons.unwrap_or_default(),
        text: row.held_text.map(HeldText),
        created_at: UnixMillis(row.created_ms),
    })
}

/// A count or number as the `INTEGER` column holds it.
pub(super) fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
