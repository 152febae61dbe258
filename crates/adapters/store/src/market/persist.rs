//! Persisters: the marketplace's effects and the operator's edits as rows, in the step's
//! transaction. What to write is the use case's decision; this only writes it.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    QueryFilter,
};
use warden_assistant::marketplace::{ApplyContext, MarketStoreError};
use warden_marketplace::{Effect, RequestStatus};
use warden_types::UnixMillis;

use super::db_err;
use super::rows::{consent_to_db, status_to_db, tags_to_db, to_i32};
use crate::entity::{
    call_consents, market_contacts, market_offers, market_requests, vendor_counters,
};
use warden_assistant::marketplace::OfferStatus;

/// Writes one effect.
pub(super) async fn effect(
    txn: &DatabaseTransaction,
    effect: &Effect,
    context: &ApplyContext<'_>,
    now: UnixMillis,
) -> Result<(), MarketStoreError> {
    match effect {
        Effect::CreateRequest(r) => {
            let (status, accepted) = status_to_db(r.status);
            market_requests::Entity::insert(market_requests::ActiveModel {
                id: Set(r.id.0),
                reference: Set(r.reference.as_str().to_owned()),
                client: Set(r.client.as_str().to_owned()),
                client_phone: Set(r.client_phone.as_e164().to_owned()),
                client_provider: Set(context.client_provider.as_str().to_owned()),
                text: Set(r.text.as_str().to_owned()),
                masked_text: Set(r.masked_text.clone()),
                tags: Set(tags_to_db(&r.tags)),
                status: Set(status.to_owned()),
                accepted_offer: Set(accepted),
                created_ms: Set(r.created_at.as_i64()),
                next_batch_ms: Set(context.next_batch.map(UnixMillis::as_i64)),
            })
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
        }
        Effect::RecordOutreach {
            request,
            vendor,
            at,
        } => {
            market_contacts::Entity::insert(market_contacts::ActiveModel {
                request_id: Set(request.0),
                vendor_id: Set(vendor.0),
                contacted_ms: Set(at.as_i64()),
            })
            .on_conflict(
                OnConflict::columns([
                    market_contacts::Column::RequestId,
                    market_contacts::Column::VendorId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
            let c = context.counters.get(*vendor);
            vendor_counters::Entity::insert(vendor_counters::ActiveModel {
                vendor_id: Set(vendor.0),
                day: Set(c.day),
                sent_today: Set(to_i32(c.sent_today)),
                last_sent_ms: Set(c.last_sent_at.map(UnixMillis::as_i64)),
            })
            .on_conflict(
                OnConflict::column(vendor_counters::Column::VendorId)
                    .update_columns([
                        vendor_counters::Column::Day,
                        vendor_counters::Column::SentToday,
                        vendor_counters::Column::LastSentMs,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
        }
        Effect::SetStatus { request, status } => {
            let (s, accepted) = status_to_db(*status);
            let mut update = market_requests::Entity::update_many()
                .col_expr(market_requests::Column::Status, Expr::value(s))
                .col_expr(
                    market_requests::Column::AcceptedOffer,
                    Expr::value(accepted),
                );
            // A closed request is never planned again.
            if *status != RequestStatus::Open {
                update = update.col_expr(
                    market_requests::Column::NextBatchMs,
                    Expr::value(Option::<i64>::None),
                );
            }
            update
                .filter(market_requests::Column::Id.eq(request.0))
                .exec(txn)
                .await
                .map_err(db_err)?;
        }
        Effect::RecordOffer { request, offer } => {
            market_offers::Entity::insert(market_offers::ActiveModel {
                id: NotSet,
                request_id: Set(Some(request.0)),
                vendor_id: Set(offer.vendor.0),
                offer_no: Set(Some(to_i32(offer.no))),
                status: Set(OfferStatus::Relayed.as_str().to_owned()),
                reasons: Set(None),
                held_text: Set(None),
                created_ms: Set(offer.at.as_i64()),
                released_ms: Set(None),
            })
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
        }
        Effect::HoldOffer {
            request,
            vendor,
            reasons,
            text,
            at,
        } => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
            market_offers::Entity::insert(market_offers::ActiveModel {
                id: NotSet,
                request_id: Set(request.map(|r| r.0)),
                vendor_id: Set(vendor.0),
                offer_no: Set(None),
                status: Set(OfferStatus::Held.as_str().to_owned()),
                reasons: Set(Some(codes.join(",").chars().take(256).collect())),
                held_text: Set(Some(text.0.clone())),
                created_ms: Set(at.as_i64()),
                released_ms: Set(None),
            })
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
        }
        Effect::SetConsent { client, record } => {
            let (state, granted, expires, revoked) = consent_to_db(*record);
            call_consents::Entity::insert(call_consents::ActiveModel {
                client: Set(client.as_str().to_owned()),
                state: Set(state.to_owned()),
                granted_ms: Set(granted),
                expires_ms: Set(expires),
                revoked_ms: Set(revoked),
                updated_ms: Set(now.as_i64()),
            })
            .on_conflict(
                OnConflict::column(call_consents::Column::Client)
                    .update_columns([
                        call_consents::Column::State,
                        call_consents::Column::GrantedMs,
                        call_consents::Column::ExpiresMs,
                        call_consents::Column::RevokedMs,
                        call_consents::Column::UpdatedMs,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
        }
    }
    Ok(())
}
