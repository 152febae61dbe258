//! One retention pass: deletes by cut-off, exactly as [`Cutoffs`] describes, and counts.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use warden_assistant::marketplace::OfferStatus;
use warden_delivery::DeliveryStatus;
use warden_privacy::{Cutoffs, Pruned};

use crate::entity::{calendar_jobs, outbox, tasks};
use crate::entity::{call_consents, inbound, market_contacts, market_offers, market_requests};
use crate::market::rows::{GRANTED, OPEN, REVOKED};

/// Deletes every row past its cut-off, in `txn`.
pub(super) async fn prune(txn: &DatabaseTransaction, c: &Cutoffs) -> Result<Pruned, DbErr> {
    let done_tasks = tasks::Entity::delete_many()
        .filter(tasks::Column::DoneMs.is_not_null())
        .filter(tasks::Column::DoneMs.lt(c.done_tasks.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    let sent_outbox = outbox::Entity::delete_many()
        .filter(outbox::Column::Status.is_in([
            DeliveryStatus::Sent.as_str(),
            DeliveryStatus::Delivered.as_str(),
            DeliveryStatus::Read.as_str(),
        ]))
        .filter(outbox::Column::UpdatedMs.lt(c.sent_outbox.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    // Settled jobs hold no title or number any more (cleared when settled); what is left goes
    // with the sent outbox rows, their replies.
    let settled_calendar_jobs = calendar_jobs::Entity::delete_many()
        .filter(calendar_jobs::Column::Status.ne(crate::calendar::PENDING))
        .filter(calendar_jobs::Column::UpdatedMs.lt(c.sent_outbox.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    let replay_ids = inbound::Entity::delete_many()
        .filter(inbound::Column::ReceivedMs.lt(c.replay_ids.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    let held_offers = market_offers::Entity::delete_many()
        .filter(market_offers::Column::Status.eq(OfferStatus::Held.as_str()))
        .filter(market_offers::Column::CreatedMs.lt(c.held_offers.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    // The closed requests as a subquery, so any number of them is one statement per table
    // (a list of ids would meet the drivers' bind-parameter limits).
    let closed = || {
        Query::select()
            .column(market_requests::Column::Id)
            .from(market_requests::Entity)
            .and_where(market_requests::Column::Status.ne(OPEN))
            .and_where(market_requests::Column::CreatedMs.lt(c.closed_requests.as_i64()))
            .to_owned()
    };
    let closed_request_contacts = market_contacts::Entity::delete_many()
        .filter(market_contacts::Column::RequestId.in_subquery(closed()))
        .exec(txn)
        .await?
        .rows_affected;
    let closed_request_offers = market_offers::Entity::delete_many()
        .filter(market_offers::Column::RequestId.in_subquery(closed()))
        .exec(txn)
        .await?
        .rows_affected;
    let closed_requests = market_requests::Entity::delete_many()
        .filter(market_requests::Column::Status.ne(OPEN))
        .filter(market_requests::Column::CreatedMs.lt(c.closed_requests.as_i64()))
        .exec(txn)
        .await?
        .rows_affected;
    let cutoff = c.expired_consents.as_i64();
    let expired_consents = call_consents::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(call_consents::Column::State.eq(GRANTED))
                        .add(call_consents::Column::ExpiresMs.lt(cutoff)),
                )
                .add(
                    Condition::all()
                        .add(call_consents::Column::State.eq(REVOKED))
                        .add(
                            Expr::expr(
                                Expr::col(call_consents::Column::RevokedMs)
                                    .if_null(Expr::col(call_consents::Column::UpdatedMs)),
                            )
                            .lt(cutoff),
                        ),
                ),
        )
        .exec(txn)
        .await?
        .rows_affected;
    Ok(Pruned {
        done_tasks,
        sent_outbox,
        replay_ids,
        held_offers,
        closed_requests,
        closed_request_contacts,
        closed_request_offers,
        expired_consents,
        settled_calendar_jobs,
    })
}
