//! Loaders: rows into the marketplace's domain values. Reads only; what to load is the use
//! case's choice.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use warden_assistant::marketplace::{LoadedRequests, MarketStoreError, VendorBook};
use warden_marketplace::{
    Offer, Request, RequestId, RequestRef, RequestText, VendorCounter, VendorCounters, VendorId,
};
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

use super::db_err;
use super::rows::{sender_from_db, status_from_db, tags_from_db, to_vendor};
use crate::entity::{market_contacts, market_offers, market_requests, vendor_counters, vendors};

/// Requests as the domain sees them, with their contacted vendors and relayed offers, plus the
/// provider each client used.
pub(super) async fn requests(
    db: &impl ConnectionTrait,
    rows: Vec<market_requests::Model>,
) -> Result<LoadedRequests, MarketStoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut contacted: HashMap<i64, Vec<VendorId>> = HashMap::new();
    let mut offers: HashMap<i64, Vec<Offer>> = HashMap::new();
    if !ids.is_empty() {
        for c in market_contacts::Entity::find()
            .filter(market_contacts::Column::RequestId.is_in(ids.clone()))
            .order_by_asc(market_contacts::Column::ContactedMs)
            .order_by_asc(market_contacts::Column::VendorId)
            .all(db)
            .await
            .map_err(db_err)?
        {
            contacted
                .entry(c.request_id)
                .or_default()
                .push(VendorId(c.vendor_id));
        }
        for o in market_offers::Entity::find()
            .filter(market_offers::Column::RequestId.is_in(ids))
            .filter(market_offers::Column::OfferNo.is_not_null())
            .order_by_asc(market_offers::Column::OfferNo)
            .all(db)
            .await
            .map_err(db_err)?
        {
            if let (Some(request), Some(no)) = (o.request_id, o.offer_no) {
                offers.entry(request).or_default().push(Offer {
                    no: u32::try_from(no).map_err(|_| MarketStoreError::Corrupt("offer number"))?,
                    vendor: VendorId(o.vendor_id),
                    at: UnixMillis(o.created_ms),
                });
            }
        }
    }
    let mut out = LoadedRequests {
        requests: Vec::with_capacity(rows.len()),
        providers: HashMap::new(),
    };
    for row in rows {
        let client = SenderId::from_hex(&row.client)
            .map_err(|_| MarketStoreError::Corrupt("request client"))?;
        if let Some(p) = Provider::from_str_opt(&row.client_provider) {
            out.providers.insert(client.clone(), p);
        }
        out.requests.push(Request {
            id: RequestId(row.id),
            reference: RequestRef::parse(&row.reference)
                .map_err(|_| MarketStoreError::Corrupt("request reference"))?,
            client,
            client_phone: PhoneNumber::parse(&row.client_phone)
                .map_err(|_| MarketStoreError::Corrupt("request phone"))?,
            text: RequestText::new(&row.text)
                .map_err(|_| MarketStoreError::Corrupt("request text"))?,
            masked_text: row.masked_text,
            tags: tags_from_db(&row.tags),
            status: status_from_db(&row.status, row.accepted_offer)?,
            created_at: UnixMillis(row.created_ms),
            contacted: contacted.remove(&row.id).unwrap_or_default(),
            offers: offers.remove(&row.id).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Every vendor (by id) with its pseudonym, and every vendor's counter.
pub(super) async fn vendor_book(db: &impl ConnectionTrait) -> Result<VendorBook, MarketStoreError> {
    let rows = vendors::Entity::find()
        .order_by_asc(vendors::Column::Id)
        .all(db)
        .await
        .map_err(db_err)?;
    let mut book = VendorBook {
        vendors: Vec::with_capacity(rows.len()),
        senders: HashMap::with_capacity(rows.len()),
        counters: VendorCounters::default(),
    };
    for row in &rows {
        let vendor = to_vendor(row)?;
        book.senders.insert(vendor.id, sender_from_db(&row.sender)?);
        book.vendors.push(vendor);
    }
    book.counters = VendorCounters(
        vendor_counters::Entity::find()
            .all(db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|c| {
                (
                    VendorId(c.vendor_id),
                    VendorCounter {
                        day: c.day,
                        sent_today: u32::try_from(c.sent_today).unwrap_or(u32::MAX),
                        last_sent_at: c.last_sent_ms.map(UnixMillis),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    );
    Ok(book)
}
