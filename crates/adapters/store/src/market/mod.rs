//! The marketplace's store ([`MarketStore`]) with sea-orm on both backends.
//!
//! Every transaction's first statement takes the audit chain's head lock
//! (`UPDATE audit_head … RETURNING`, as in `outbox.rs`). That lock serialises the step with the
//! ledger's writer and with every other instance on both backends (on SQLite it is the
//! database's write lock, taken before anything is read; on Postgres the head row), so the
//! chain stays linear and vendor counters are read under the lock that writes them. Request ids
//! are allocated under it too (`MAX(id) + 1`).
//!
//! Decisions are the use case's (`warden_assistant::marketplace`); this module loads
//! ([`load`]), persists ([`persist`]) and maps columns ([`rows`]). Request text, the client's
//! number and held vendor texts are personal data: never logged, never in errors.

mod load;
mod persist;
pub(crate) mod rows;

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use warden_assistant::marketplace::{
    ApplyContext, HeldOffer, LoadedRequests, MarketStore, MarketStoreError, MarketTxn, OfferStatus,
    OutboxMessage, StoredOffer, VendorBook,
};
use warden_audit::{AuditEvent, ChainHead};
use warden_marketplace::{
    BusinessName, ConsentRecord, Effect, RequestId, RequestRef, TagSet, Vendor, VendorId,
};
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::entity::{call_consents, market_contacts, market_offers, market_requests, vendors};
use crate::outbox::{commit_step, lock_head};
use crate::Store;

/// A database error as the port reports it: the store's reachability is what callers act on.
fn db_err(e: DbErr) -> MarketStoreError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => MarketStoreError::Unavailable(Box::new(e)),
        other => MarketStoreError::Failed(Box::new(other)),
    }
}

/// The marketplace's [`MarketStore`] on the store's pool.
#[derive(Debug, Clone)]
pub struct SqlMarket {
    store: Store,
}

impl SqlMarket {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// One marketplace transaction: the head it locked, and the audit events and outbox rows it
/// writes at commit.
struct SqlMarketTxn {
    txn: DatabaseTransaction,
    store: Store,
    head: ChainHead,
    audit: Vec<AuditEvent>,
    outbox: Vec<OutboxMessage>,
}

#[async_trait]
impl MarketStore for SqlMarket {
    async fn begin(&self) -> Result<Box<dyn MarketTxn>, MarketStoreError> {
        let txn = self.store.connection().begin().await.map_err(db_err)?;
        let head = lock_head(&txn).await.map_err(db_err)?;
        Ok(Box::new(SqlMarketTxn {
            txn,
            store: self.store.clone(),
            head,
            audit: Vec::new(),
            outbox: Vec::new(),
        }))
    }

    async fn due_requests(
        &self,
        now: UnixMillis,
        limit: u64,
    ) -> Result<Vec<RequestId>, MarketStoreError> {
        Ok(market_requests::Entity::find()
            .select_only()
            .column(market_requests::Column::Id)
            .filter(market_requests::Column::NextBatchMs.lte(now.as_i64()))
            .limit(limit)
            .into_tuple::<i64>()
            .all(self.store.connection())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(RequestId)
            .collect())
    }

    async fn vendor_book(&self) -> Result<VendorBook, MarketStoreError> {
        load::vendor_book(self.store.connection()).await
    }

    async fn held_offers(&self) -> Result<Vec<HeldOffer>, MarketStoreError> {
        let db = self.store.connection();
        let rows = market_offers::Entity::find()
            .filter(market_offers::Column::Status.eq(OfferStatus::Held.as_str()))
            .order_by_asc(market_offers::Column::Id)
            .all(db)
            .await
            .map_err(db_err)?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.request_id).collect();
        let refs: HashMap<i64, String> = if ids.is_empty() {
            HashMap::new()
        } else {
            market_requests::Entity::find()
                .select_only()
                .column(market_requests::Column::Id)
                .column(market_requests::Column::Reference)
                .filter(market_requests::Column::Id.is_in(ids))
                .into_tuple::<(i64, String)>()
                .all(db)
                .await
                .map_err(db_err)?
                .into_iter()
                .collect()
        };
        rows.into_iter()
            .map(|r| {
                let reference = match r.request_id.and_then(|id| refs.get(&id)) {
                    Some(raw) => Some(
                        RequestRef::parse(raw)
                            .map_err(|_| MarketStoreError::Corrupt("request reference"))?,
                    ),
                    None => None,
                };
                Ok(HeldOffer {
                    offer: rows::offer_from_db(r)?,
                    reference,
                })
            })
            .collect()
    }

    async fn consents(&self) -> Result<Vec<(SenderId, ConsentRecord)>, MarketStoreError> {
        call_consents::Entity::find()
            .order_by_asc(call_consents::Column::Client)
            .all(self.store.connection())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| {
                Ok((
                    rows::sender_from_db(&r.client)?,
                    rows::consent_from_db(Some(&r)),
                ))
            })
            .collect()
    }
}

impl SqlMarketTxn {
    async fn load(
        &self,
        rows: Vec<market_requests::Model>,
    ) -> Result<LoadedRequests, MarketStoreError> {
        load::requests(&self.txn, rows).await
    }
}

#[async_trait]
impl MarketTxn for SqlMarketTxn {
    async fn client_requests(
        &mut self,
        client: &SenderId,
        recent_closed: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let open = market_requests::Entity::find()
            .filter(market_requests::Column::Client.eq(client.as_str()))
            .filter(market_requests::Column::Status.eq(rows::OPEN))
            .order_by_asc(market_requests::Column::Id)
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        let closed = market_requests::Entity::find()
            .filter(market_requests::Column::Client.eq(client.as_str()))
            .filter(market_requests::Column::Status.ne(rows::OPEN))
            .order_by_desc(market_requests::Column::Id)
            .limit(recent_closed)
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        self.load(open.into_iter().chain(closed).collect()).await
    }

    async fn vendor_requests(
        &mut self,
        vendor: VendorId,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let ids: Vec<i64> = market_contacts::Entity::find()
            .filter(market_contacts::Column::VendorId.eq(vendor.0))
            .order_by_desc(market_contacts::Column::ContactedMs)
            .limit(limit)
            .all(&self.txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|c| c.request_id)
            .collect();
        if ids.is_empty() {
            return Ok(LoadedRequests::default());
        }
        let rows = market_requests::Entity::find()
            .filter(market_requests::Column::Id.is_in(ids))
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        self.load(rows).await
    }

    async fn due_requests(
        &mut self,
        ids: &[RequestId],
        now: UnixMillis,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let rows = market_requests::Entity::find()
            .filter(market_requests::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .filter(market_requests::Column::NextBatchMs.lte(now.as_i64()))
            .order_by_asc(market_requests::Column::Id)
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        self.load(rows).await
    }

    async fn requests_by_reference(
        &mut self,
        reference: &RequestRef,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let rows = market_requests::Entity::find()
            .filter(market_requests::Column::Reference.eq(reference.as_str()))
            .limit(limit)
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        self.load(rows).await
    }

    async fn request(&mut self, id: RequestId) -> Result<LoadedRequests, MarketStoreError> {
        let rows = market_requests::Entity::find_by_id(id.0)
            .all(&self.txn)
            .await
            .map_err(db_err)?;
        self.load(rows).await
    }

    async fn next_request_id(&mut self) -> Result<RequestId, MarketStoreError> {
        let max = market_requests::Entity::find()
            .select_only()
            .column_as(market_requests::Column::Id.max(), "max_id")
            .into_tuple::<Option<i64>>()
            .one(&self.txn)
            .await
            .map_err(db_err)?
            .flatten()
            .unwrap_or(0);
        Ok(RequestId(max.saturating_add(1)))
    }

    async fn consent(&mut self, client: &SenderId) -> Result<ConsentRecord, MarketStoreError> {
        let row = call_consents::Entity::find_by_id(client.as_str())
            .one(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(rows::consent_from_db(row.as_ref()))
    }

    async fn vendor_book(&mut self) -> Result<VendorBook, MarketStoreError> {
        load::vendor_book(&self.txn).await
    }

    async fn vendor(
        &mut self,
        id: VendorId,
    ) -> Result<Option<(Vendor, SenderId)>, MarketStoreError> {
        let Some(row) = vendors::Entity::find_by_id(id.0)
            .one(&self.txn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        Ok(Some((
            rows::to_vendor(&row)?,
            rows::sender_from_db(&row.sender)?,
        )))
    }

    async fn vendor_registered(
        &mut self,
        phone: &PhoneNumber,
        sender: &SenderId,
    ) -> Result<bool, MarketStoreError> {
        let taken = vendors::Entity::find()
            .filter(
                Condition::any()
                    .add(vendors::Column::Phone.eq(phone.as_e164()))
                    .add(vendors::Column::Sender.eq(sender.as_str())),
            )
            .one(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(taken.is_some())
    }

    async fn offer(&mut self, id: i64) -> Result<Option<StoredOffer>, MarketStoreError> {
        market_offers::Entity::find_by_id(id)
            .one(&self.txn)
            .await
            .map_err(db_err)?
            .map(rows::offer_from_db)
            .transpose()
    }

    async fn apply(
        &mut self,
        effects: &[Effect],
        context: ApplyContext<'_>,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        for effect in effects {
            persist::effect(&self.txn, effect, &context, now).await?;
        }
        Ok(())
    }

    async fn set_next_batch(
        &mut self,
        request: RequestId,
        next: Option<UnixMillis>,
    ) -> Result<(), MarketStoreError> {
        market_requests::Entity::update_many()
            .col_expr(
                market_requests::Column::NextBatchMs,
                Expr::value(next.map(UnixMillis::as_i64)),
            )
            .filter(market_requests::Column::Id.eq(request.0))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_vendor(
        &mut self,
        name: &BusinessName,
        phone: &PhoneNumber,
        sender: &SenderId,
        tags: &TagSet,
        now: UnixMillis,
    ) -> Result<VendorId, MarketStoreError> {
        let id = vendors::Entity::insert(vendors::ActiveModel {
            id: NotSet,
            business_name: Set(name.as_str().to_owned()),
            sender: Set(sender.as_str().to_owned()),
            phone: Set(phone.as_e164().to_owned()),
            tags: Set(rows::tags_to_db(tags)),
            active: Set(true),
            created_ms: Set(now.as_i64()),
            updated_ms: Set(now.as_i64()),
        })
        .exec(&self.txn)
        .await
        .map_err(db_err)?
        .last_insert_id;
        Ok(VendorId(id))
    }

    async fn set_vendor_active(
        &mut self,
        id: VendorId,
        active: bool,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        vendors::Entity::update_many()
            .col_expr(vendors::Column::Active, Expr::value(active))
            .col_expr(vendors::Column::UpdatedMs, Expr::value(now.as_i64()))
            .filter(vendors::Column::Id.eq(id.0))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn settle_held_offer(
        &mut self,
        id: i64,
        status: OfferStatus,
        offer_no: Option<u32>,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        market_offers::Entity::update_many()
            .col_expr(market_offers::Column::Status, Expr::value(status.as_str()))
            .col_expr(
                market_offers::Column::OfferNo,
                Expr::value(offer_no.map(rows::to_i32)),
            )
            .col_expr(
                market_offers::Column::HeldText,
                Expr::value(Option::<String>::None),
            )
            .col_expr(market_offers::Column::ReleasedMs, Expr::value(now.as_i64()))
            .filter(market_offers::Column::Id.eq(id))
            .exec(&self.txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    fn enqueue(&mut self, message: OutboxMessage) {
        self.outbox.push(message);
    }

    fn audit(&mut self, event: AuditEvent) {
        self.audit.push(event);
    }

    async fn commit(self: Box<Self>, now: UnixMillis) -> Result<usize, MarketStoreError> {
        let this = *self;
        let enqueued = this.outbox.len();
        commit_step(
            this.txn,
            this.store.audit_redactor(),
            this.head,
            now,
            &this.audit,
            this.outbox,
        )
        .await
        .map_err(db_err)?;
        Ok(enqueued)
    }
}
