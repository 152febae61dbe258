//! The concierge marketplace's store ([`MarketLedger`]) and its operator tools, with sea-orm on
//! both backends.
//!
//! Every step is one transaction whose first statement takes the audit chain's head lock
//! (`UPDATE audit_head … RETURNING`, as in `outbox.rs`). That lock serialises the step with the
//! ledger's writer and with every other instance on both backends (on SQLite it is the
//! database's write lock, taken before anything is read; on Postgres the head row), so the
//! chain stays linear and vendor counters are read under the lock that writes them. Request ids
//! are allocated under it too (`MAX(id) + 1`).
//!
//! Decisions are the marketplace's (`warden-marketplace`) and the concierge's
//! (`warden_assistant::concierge`); this module loads, persists and enqueues. Request text,
//! the client's number and held vendor texts are personal data: never logged, never in errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use warden_assistant::concierge::{self, BatchSchedule};
use warden_assistant::{
    LedgerError, MarketLedger, MarketOutcome, MarketRoute, MarketTicket, ReplyVia,
};
use warden_audit::{AuditEvent, ChainHead};
use warden_marketplace::vendor::vendor_changed_event;
use warden_marketplace::{
    BusinessName, CallPermit, Client, ClientState, ConsentRecord, Decision, Effect, Marketplace,
    Offer, Outgoing, Recipient, Request, RequestId, RequestRef, RequestStatus, RequestText, Tag,
    TagSet, Vendor, VendorCounter, VendorCounters, VendorId,
};
use warden_types::Clock;
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

use crate::entity::{
    call_consents, market_contacts, market_offers, market_requests, outbox, vendor_counters,
    vendors,
};
use crate::outbox::{append_audit, lock_head};
use crate::Store;

/// Requests a client's state holds besides the open ones (for `requests`).
const RECENT_CLOSED: u64 = 10;
/// Requests one vendor's reply is matched against (most recently contacted first).
const VENDOR_REQUESTS: u64 = 200;
/// Requests one scheduler tick plans for at most.
const TICK_REQUESTS: u64 = 50;

/// Why an operator action or a step failed. Names ids and codes, never numbers or text.
#[derive(Debug, thiserror::Error)]
pub enum MarketStoreError {
    #[error("the database failed")]
    Db(#[from] DbErr),
    #[error("no vendor with id {0}")]
    VendorNotFound(i64),
    #[error("a vendor with that phone number is already registered")]
    DuplicateVendor,
    #[error("no offer with id {0}")]
    OfferNotFound(i64),
    #[error("offer {0} is not held (already relayed or released)")]
    NotHeld(i64),
    #[error("held offer {0} names no open request; it cannot be relayed")]
    NotRelayable(i64),
    #[error("no request has that reference")]
    UnknownReference,
    #[error("more than one request has that reference")]
    AmbiguousReference,
    #[error("a stored {0} is invalid")]
    Corrupt(&'static str),
}

impl From<MarketStoreError> for LedgerError {
    fn from(e: MarketStoreError) -> Self {
        match e {
            MarketStoreError::Db(db) => crate::ledger::ledger_error(db),
            other => LedgerError::Failed(Box::new(other)),
        }
    }
}

/// A vendor as operators see it (`warden vendor list`); mask the phone when printing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorView {
    pub id: i64,
    pub business_name: String,
    pub phone: PhoneNumber,
    pub tags: String,
    pub active: bool,
}

/// A held vendor reply as operators review it. `text` is the vendor's, unredacted: redact it
/// for display unless the operator asked to see it whole.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldView {
    pub id: i64,
    pub reference: Option<String>,
    pub vendor_id: i64,
    pub reasons: String,
    pub created_ms: i64,
    pub text: String,
}

impl std::fmt::Debug for HeldView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldView")
            .field("id", &self.id)
            .field("vendor_id", &self.vendor_id)
            .field("reasons", &self.reasons)
            .finish_non_exhaustive()
    }
}

/// One client's call consent as operators see it (`warden consent list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentView {
    pub client: String,
    pub state: String,
    pub granted_ms: Option<i64>,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// What a scheduler tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickReport {
    pub requests: usize,
    pub enqueued: usize,
}

/// The marketplace's [`MarketLedger`], scheduler and operator tools on the store's pool.
#[derive(Clone)]
pub struct SqlMarket {
    store: Store,
    market: Arc<Marketplace>,
    clock: Arc<dyn Clock>,
    schedule: BatchSchedule,
}

impl std::fmt::Debug for SqlMarket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlMarket")
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

/// The audit events and outbox rows one transaction collects, written at its end.
struct Pending {
    head: ChainHead,
    now: UnixMillis,
    audit: Vec<AuditEvent>,
    outbox: Vec<outbox::ActiveModel>,
}

impl Pending {
    fn enqueue(
        &mut self,
        key: String,
        provider: Provider,
        sender: &str,
        to: &PhoneNumber,
        body: String,
    ) {
        self.audit.push(crate::batch::enqueued_event(
            SenderId::from_hex(sender).ok(),
            &key,
            provider,
        ));
        let now = self.now.as_i64();
        self.outbox.push(outbox::ActiveModel {
            id: NotSet,
            idempotency_key: Set(key),
            provider: Set(provider.as_str().to_owned()),
            sender: Set(sender.to_owned()),
            recipient: Set(Some(to.as_e164().to_owned())),
            body: Set(Some(body)),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_ms: Set(now),
            claimed_until_ms: Set(None),
            last_error: Set(None),
            provider_message_id: Set(None),
            created_ms: Set(now),
            updated_ms: Set(now),
        });
    }
}

/// The outbox key of the `n`th message of a step to `to`: derived from the step's scope (the
/// inbound message's replay key, or the scheduler's request) and the recipient, so a retried
/// step can never enqueue a message twice.
fn message_key(scope: &str, to: &PhoneNumber, n: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"warden-market-out-v1\0")
        .chain_update(scope)
        .chain_update([0])
        .chain_update(to.as_e164())
        .chain_update([0])
        .chain_update((n as u64).to_be_bytes())
        .finalize();
    format!("mkt-{}", hex::encode(&digest[..16]))
}

fn tags_to_db(tags: &TagSet) -> String {
    tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(",")
}

fn tags_from_db(raw: &str) -> TagSet {
    raw.split(',').filter_map(|t| Tag::new(t).ok()).collect()
}

fn status_to_db(status: RequestStatus) -> (&'static str, Option<i32>) {
    match status {
        RequestStatus::Open => ("open", None),
        RequestStatus::Accepted { offer_no } => (
            "accepted",
            Some(i32::try_from(offer_no).unwrap_or(i32::MAX)),
        ),
        RequestStatus::Cancelled => ("cancelled", None),
    }
}

fn status_from_db(raw: &str, offer: Option<i32>) -> Result<RequestStatus, MarketStoreError> {
    match raw {
        "open" => Ok(RequestStatus::Open),
        "cancelled" => Ok(RequestStatus::Cancelled),
        "accepted" => Ok(RequestStatus::Accepted {
            offer_no: offer
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(MarketStoreError::Corrupt("request status"))?,
        }),
        _ => Err(MarketStoreError::Corrupt("request status")),
    }
}

fn to_vendor(row: &vendors::Model) -> Result<Vendor, MarketStoreError> {
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

fn consent_from_db(row: Option<&call_consents::Model>) -> ConsentRecord {
    match row {
        Some(r) if r.state == "granted" => match (r.granted_ms, r.expires_ms) {
            (Some(g), Some(e)) => ConsentRecord::Granted {
                granted_at: UnixMillis(g),
                expires_at: UnixMillis(e),
            },
            _ => ConsentRecord::None,
        },
        Some(r) if r.state == "revoked" => ConsentRecord::Revoked {
            revoked_at: UnixMillis(r.revoked_ms.unwrap_or(r.updated_ms)),
        },
        _ => ConsentRecord::None,
    }
}

/// Requests as the domain sees them, with their contacted vendors and relayed offers, plus the
/// provider each client used (client-bound messages go back the way the client came).
struct Loaded {
    requests: Vec<Request>,
    providers: HashMap<String, Provider>,
}

async fn load_requests(
    txn: &DatabaseTransaction,
    rows: Vec<market_requests::Model>,
) -> Result<Loaded, MarketStoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut contacted: HashMap<i64, Vec<VendorId>> = HashMap::new();
    let mut offers: HashMap<i64, Vec<Offer>> = HashMap::new();
    if !ids.is_empty() {
        for c in market_contacts::Entity::find()
            .filter(market_contacts::Column::RequestId.is_in(ids.clone()))
            .order_by_asc(market_contacts::Column::ContactedMs)
            .order_by_asc(market_contacts::Column::VendorId)
            .all(txn)
            .await?
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
            .all(txn)
            .await?
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
    let mut out = Loaded {
        requests: Vec::with_capacity(rows.len()),
        providers: HashMap::new(),
    };
    for row in rows {
        if let Some(p) = Provider::from_str_opt(&row.client_provider) {
            out.providers.insert(row.client.clone(), p);
        }
        out.requests.push(Request {
            id: RequestId(row.id),
            reference: RequestRef::parse(&row.reference)
                .map_err(|_| MarketStoreError::Corrupt("request reference"))?,
            client: SenderId::from_hex(&row.client)
                .map_err(|_| MarketStoreError::Corrupt("request client"))?,
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

/// Every vendor (for planning) with its sender id, and every vendor's counter.
async fn load_vendors(
    txn: &DatabaseTransaction,
) -> Result<(Vec<Vendor>, HashMap<i64, String>, VendorCounters), MarketStoreError> {
    let rows = vendors::Entity::find()
        .order_by_asc(vendors::Column::Id)
        .all(txn)
        .await?;
    let mut senders = HashMap::with_capacity(rows.len());
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        senders.insert(row.id, row.sender.clone());
        list.push(to_vendor(row)?);
    }
    let counters = vendor_counters::Entity::find()
        .all(txn)
        .await?
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
        .collect::<BTreeMap<_, _>>();
    Ok((list, senders, VendorCounters(counters)))
}

/// Where one step's messages go and under which keys.
struct Route<'a> {
    /// Key scope (see [`message_key`]).
    scope: String,
    /// Provider for vendor-bound messages (and clients not in `providers`).
    provider: Provider,
    providers: &'a HashMap<String, Provider>,
    vendor_senders: &'a HashMap<i64, String>,
}

impl Route<'_> {
    fn enqueue_all(&self, pending: &mut Pending, messages: Vec<Outgoing>) {
        for (n, m) in messages.into_iter().enumerate() {
            let (provider, sender, to) = match &m.to {
                Recipient::Client { sender, phone } => (
                    self.providers
                        .get(sender.as_str())
                        .copied()
                        .unwrap_or(self.provider),
                    sender.as_str().to_owned(),
                    phone,
                ),
                Recipient::Vendor { id, phone } => (
                    self.provider,
                    self.vendor_senders.get(&id.0).cloned().unwrap_or_default(),
                    phone,
                ),
            };
            let key = message_key(&self.scope, to, n);
            pending.enqueue(key, provider, &sender, to, m.body);
        }
    }
}

impl SqlMarket {
    pub fn new(
        store: Store,
        market: Arc<Marketplace>,
        clock: Arc<dyn Clock>,
        schedule: BatchSchedule,
    ) -> Self {
        Self {
            store,
            market,
            clock,
            schedule,
        }
    }

    async fn begin(&self) -> Result<(DatabaseTransaction, Pending), DbErr> {
        let txn = self.store.connection().begin().await?;
        let head = lock_head(&txn).await?;
        let now = self.clock.now();
        Ok((
            txn,
            Pending {
                head,
                now,
                audit: Vec::new(),
                outbox: Vec::new(),
            },
        ))
    }

    async fn finish(&self, txn: DatabaseTransaction, pending: Pending) -> Result<usize, DbErr> {
        let enqueued = pending.outbox.len();
        if !pending.outbox.is_empty() {
            outbox::Entity::insert_many(pending.outbox)
                .exec(&txn)
                .await?;
        }
        append_audit(
            &txn,
            self.store.audit_redactor(),
            pending.head,
            pending.now,
            &pending.audit,
        )
        .await?;
        txn.commit().await?;
        Ok(enqueued)
    }

    /// Writes `effects` in order. `counters` is the loaded counters, updated in memory so each
    /// vendor's row is written with its final value; `next_batch` sets a created request's
    /// schedule.
    async fn persist(
        &self,
        txn: &DatabaseTransaction,
        effects: &[Effect],
        counters: &mut VendorCounters,
        provider: Provider,
        next_batch: Option<UnixMillis>,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        for effect in effects {
            match effect {
                Effect::CreateRequest(r) => {
                    let (status, accepted) = status_to_db(r.status);
                    market_requests::Entity::insert(market_requests::ActiveModel {
                        id: Set(r.id.0),
                        reference: Set(r.reference.as_str().to_owned()),
                        client: Set(r.client.as_str().to_owned()),
                        client_phone: Set(r.client_phone.as_e164().to_owned()),
                        client_provider: Set(provider.as_str().to_owned()),
                        text: Set(r.text.as_str().to_owned()),
                        masked_text: Set(r.masked_text.clone()),
                        tags: Set(tags_to_db(&r.tags)),
                        status: Set(status.to_owned()),
                        accepted_offer: Set(accepted),
                        created_ms: Set(r.created_at.as_i64()),
                        next_batch_ms: Set(next_batch.map(UnixMillis::as_i64)),
                    })
                    .exec_without_returning(txn)
                    .await?;
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
                    .await?;
                    counters.apply(std::slice::from_ref(effect));
                    let c = counters.get(*vendor);
                    vendor_counters::Entity::insert(vendor_counters::ActiveModel {
                        vendor_id: Set(vendor.0),
                        day: Set(c.day),
                        sent_today: Set(i32::try_from(c.sent_today).unwrap_or(i32::MAX)),
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
                    .await?;
                }
                Effect::SetStatus { request, status } => {
                    let (s, accepted) = status_to_db(*status);
                    let mut update = market_requests::Entity::update_many()
                        .col_expr(market_requests::Column::Status, Expr::value(s))
                        .col_expr(
                            market_requests::Column::AcceptedOffer,
                            Expr::value(accepted),
                        );
                    if *status != RequestStatus::Open {
                        update = update.col_expr(
                            market_requests::Column::NextBatchMs,
                            Expr::value(Option::<i64>::None),
                        );
                    }
                    update
                        .filter(market_requests::Column::Id.eq(request.0))
                        .exec(txn)
                        .await?;
                }
                Effect::RecordOffer { request, offer } => {
                    market_offers::Entity::insert(market_offers::ActiveModel {
                        id: NotSet,
                        request_id: Set(Some(request.0)),
                        vendor_id: Set(offer.vendor.0),
                        offer_no: Set(Some(i32::try_from(offer.no).unwrap_or(i32::MAX))),
                        status: Set("relayed".to_owned()),
                        reasons: Set(None),
                        held_text: Set(None),
                        created_ms: Set(offer.at.as_i64()),
                        released_ms: Set(None),
                    })
                    .exec_without_returning(txn)
                    .await?;
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
                        status: Set("held".to_owned()),
                        reasons: Set(Some(codes.join(",").chars().take(256).collect())),
                        held_text: Set(Some(text.0.clone())),
                        created_ms: Set(at.as_i64()),
                        released_ms: Set(None),
                    })
                    .exec_without_returning(txn)
                    .await?;
                }
                Effect::SetConsent { client, record } => {
                    let (state, granted, expires, revoked) = match *record {
                        ConsentRecord::None => ("none", None, None, None),
                        ConsentRecord::Granted {
                            granted_at,
                            expires_at,
                        } => (
                            "granted",
                            Some(granted_at.as_i64()),
                            Some(expires_at.as_i64()),
                            None,
                        ),
                        ConsentRecord::Revoked { revoked_at } => {
                            ("revoked", None, None, Some(revoked_at.as_i64()))
                        }
                    };
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
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// The reply to the ticket's message: returned for the response, enqueued under the
    /// message's reply key, or dropped.
    fn reply(&self, pending: &mut Pending, ticket: &MarketTicket, body: String) -> Option<String> {
        match ticket.via {
            ReplyVia::Response => Some(body),
            ReplyVia::Silent => None,
            ReplyVia::Outbox => {
                let key = crate::batch::reply_key(ticket.msg.provider, ticket.msg.id.as_str());
                pending.enqueue(
                    key,
                    ticket.msg.provider,
                    ticket.sender.as_str(),
                    &ticket.msg.from,
                    body,
                );
                None
            }
        }
    }

    async fn step(&self, ticket: MarketTicket) -> Result<MarketOutcome, MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        let now = pending.now;
        let provider = ticket.msg.provider;
        let scope = format!("{}\0{}", provider.as_str(), ticket.msg.id.as_str());
        let (decision, call, loaded, vendor_senders, mut counters, next_batch) = match &ticket.route
        {
            MarketRoute::Client(command) => {
                let open = market_requests::Entity::find()
                    .filter(market_requests::Column::Client.eq(ticket.sender.as_str()))
                    .filter(market_requests::Column::Status.eq("open"))
                    .order_by_asc(market_requests::Column::Id)
                    .all(&txn)
                    .await?;
                let closed = market_requests::Entity::find()
                    .filter(market_requests::Column::Client.eq(ticket.sender.as_str()))
                    .filter(market_requests::Column::Status.ne("open"))
                    .order_by_desc(market_requests::Column::Id)
                    .limit(RECENT_CLOSED)
                    .all(&txn)
                    .await?;
                let loaded = load_requests(&txn, open.into_iter().chain(closed).collect()).await?;
                let consent = call_consents::Entity::find_by_id(ticket.sender.as_str())
                    .one(&txn)
                    .await?;
                let (vendors, senders, counters) = load_vendors(&txn).await?;
                let offer_vendors = vendors
                    .iter()
                    .filter(|v| {
                        loaded
                            .requests
                            .iter()
                            .any(|r| r.offers.iter().any(|o| o.vendor == v.id))
                    })
                    .cloned()
                    .collect();
                let state = ClientState {
                    requests: loaded.requests.clone(),
                    consent: consent_from_db(consent.as_ref()),
                    offer_vendors,
                };
                let new_id = market_requests::Entity::find()
                    .select_only()
                    .column_as(market_requests::Column::Id.max(), "max_id")
                    .into_tuple::<Option<i64>>()
                    .one(&txn)
                    .await?
                    .flatten()
                    .unwrap_or(0)
                    .saturating_add(1);
                let client = Client {
                    sender: ticket.sender.clone(),
                    phone: ticket.msg.from.clone(),
                    name: None,
                };
                let step = concierge::client_step(
                    &self.market,
                    &self.schedule,
                    &client,
                    command.clone(),
                    &state,
                    &vendors,
                    &counters,
                    RequestId(new_id),
                    now,
                );
                let next = step.created.and_then(|(_, next)| next);
                (step.decision, step.call, loaded, senders, counters, next)
            }
            MarketRoute::Vendor(id) => {
                let row = vendors::Entity::find_by_id(id.0)
                    .one(&txn)
                    .await?
                    .ok_or(MarketStoreError::VendorNotFound(id.0))?;
                let vendor = to_vendor(&row)?;
                let ids: Vec<i64> = market_contacts::Entity::find()
                    .filter(market_contacts::Column::VendorId.eq(id.0))
                    .order_by_desc(market_contacts::Column::ContactedMs)
                    .limit(VENDOR_REQUESTS)
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|c| c.request_id)
                    .collect();
                let rows = if ids.is_empty() {
                    Vec::new()
                } else {
                    market_requests::Entity::find()
                        .filter(market_requests::Column::Id.is_in(ids))
                        .all(&txn)
                        .await?
                };
                let loaded = load_requests(&txn, rows).await?;
                let decision = self.market.handle_vendor_reply(
                    &vendor,
                    ticket.msg.body.as_str(),
                    &loaded.requests,
                    now,
                );
                let senders = HashMap::from([(row.id, row.sender)]);
                (
                    decision,
                    None,
                    loaded,
                    senders,
                    VendorCounters::default(),
                    None,
                )
            }
        };
        let Decision {
            effects,
            audit,
            messages,
            reply,
        } = decision;
        self.persist(&txn, &effects, &mut counters, provider, next_batch, now)
            .await?;
        pending.audit.extend(audit);
        Route {
            scope,
            provider,
            providers: &loaded.providers,
            vendor_senders: &vendor_senders,
        }
        .enqueue_all(&mut pending, messages);
        let reply = reply.and_then(|body| self.reply(&mut pending, &ticket, body));
        let enqueued = self.finish(txn, pending).await? > 0;
        Ok(MarketOutcome {
            reply,
            call,
            enqueued,
        })
    }

    /// Plans the next outreach batch of every request whose batch is due by the clock, in one
    /// transaction. Cheap when nothing is due: one indexed read, no lock.
    pub async fn tick(&self) -> Result<TickReport, MarketStoreError> {
        let now = self.clock.now();
        let due = market_requests::Entity::find()
            .select_only()
            .column(market_requests::Column::Id)
            .filter(market_requests::Column::NextBatchMs.lte(now.as_i64()))
            .limit(TICK_REQUESTS)
            .into_tuple::<i64>()
            .all(self.store.connection())
            .await?;
        if due.is_empty() {
            return Ok(TickReport::default());
        }
        let (txn, mut pending) = self.begin().await?;
        let now = pending.now;
        // Read again under the lock: another instance may have planned them meanwhile.
        let rows = market_requests::Entity::find()
            .filter(market_requests::Column::Id.is_in(due))
            .filter(market_requests::Column::NextBatchMs.lte(now.as_i64()))
            .order_by_asc(market_requests::Column::Id)
            .all(&txn)
            .await?;
        let loaded = load_requests(&txn, rows).await?;
        let (vendors, senders, mut counters) = load_vendors(&txn).await?;
        let mut report = TickReport::default();
        for mut request in loaded.requests.iter().cloned() {
            report.requests += 1;
            let next = if concierge::wants_next_batch(&request) {
                let plan = self
                    .market
                    .plan_next_batch(&request, &vendors, &counters, now);
                let Decision {
                    effects,
                    audit,
                    messages,
                    ..
                } = plan.decision;
                let provider = loaded
                    .providers
                    .get(request.client.as_str())
                    .copied()
                    .unwrap_or(Provider::Twilio);
                self.persist(&txn, &effects, &mut counters, provider, None, now)
                    .await?;
                request.apply(&effects);
                pending.audit.extend(audit);
                Route {
                    scope: format!("tick\0{}\0{}", request.id.0, now.as_i64()),
                    provider,
                    providers: &loaded.providers,
                    vendor_senders: &senders,
                }
                .enqueue_all(&mut pending, messages);
                self.schedule.next(&request, plan.exhausted, now)
            } else {
                None
            };
            market_requests::Entity::update_many()
                .col_expr(
                    market_requests::Column::NextBatchMs,
                    Expr::value(next.map(UnixMillis::as_i64)),
                )
                .filter(market_requests::Column::Id.eq(request.id.0))
                .exec(&txn)
                .await?;
        }
        report.enqueued = self.finish(txn, pending).await?;
        Ok(report)
    }

    // ---- operator tools ----

    /// Registers a vendor (`vendor.changed`, action `registered`). `sender` is the pseudonym of
    /// `phone`, which routes the vendor's messages here.
    pub async fn add_vendor(
        &self,
        name: BusinessName,
        phone: PhoneNumber,
        sender: SenderId,
        tags: TagSet,
    ) -> Result<VendorId, MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        let taken = vendors::Entity::find()
            .filter(
                Condition::any()
                    .add(vendors::Column::Phone.eq(phone.as_e164()))
                    .add(vendors::Column::Sender.eq(sender.as_str())),
            )
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(MarketStoreError::DuplicateVendor);
        }
        let now = pending.now.as_i64();
        let id = vendors::Entity::insert(vendors::ActiveModel {
            id: NotSet,
            business_name: Set(name.as_str().to_owned()),
            sender: Set(sender.as_str().to_owned()),
            phone: Set(phone.as_e164().to_owned()),
            tags: Set(tags_to_db(&tags)),
            active: Set(true),
            created_ms: Set(now),
            updated_ms: Set(now),
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        let vendor = Vendor {
            id: VendorId(id),
            business_name: name,
            phone,
            tags,
            active: true,
        };
        pending.audit.push(vendor_changed_event(None, &vendor));
        self.finish(txn, pending).await?;
        Ok(vendor.id)
    }

    /// Every vendor, by id.
    pub async fn vendors(&self) -> Result<Vec<VendorView>, MarketStoreError> {
        vendors::Entity::find()
            .order_by_asc(vendors::Column::Id)
            .all(self.store.connection())
            .await?
            .into_iter()
            .map(|r| {
                Ok(VendorView {
                    id: r.id,
                    phone: PhoneNumber::parse(&r.phone)
                        .map_err(|_| MarketStoreError::Corrupt("vendor phone"))?,
                    business_name: r.business_name,
                    tags: r.tags,
                    active: r.active,
                })
            })
            .collect()
    }

    /// Deactivates (or reactivates) a vendor, audited `vendor.changed`.
    pub async fn set_vendor_active(&self, id: i64, active: bool) -> Result<(), MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        let row = vendors::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(MarketStoreError::VendorNotFound(id))?;
        let before = to_vendor(&row)?;
        let after = Vendor {
            active,
            ..before.clone()
        };
        vendors::Entity::update_many()
            .col_expr(vendors::Column::Active, Expr::value(active))
            .col_expr(
                vendors::Column::UpdatedMs,
                Expr::value(pending.now.as_i64()),
            )
            .filter(vendors::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        pending
            .audit
            .push(vendor_changed_event(Some(&before), &after));
        self.finish(txn, pending).await?;
        Ok(())
    }

    /// Held vendor replies waiting for review, oldest first.
    pub async fn held_offers(&self) -> Result<Vec<HeldView>, MarketStoreError> {
        let db = self.store.connection();
        let rows = market_offers::Entity::find()
            .filter(market_offers::Column::Status.eq("held"))
            .order_by_asc(market_offers::Column::Id)
            .all(db)
            .await?;
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
                .await?
                .into_iter()
                .collect()
        };
        Ok(rows
            .into_iter()
            .map(|r| HeldView {
                id: r.id,
                reference: r.request_id.and_then(|id| refs.get(&id).cloned()),
                vendor_id: r.vendor_id,
                reasons: r.reasons.unwrap_or_default(),
                created_ms: r.created_ms,
                text: r.held_text.unwrap_or_default(),
            })
            .collect())
    }

    /// Relays a held reply after review, through the same masking as any offer (audited
    /// `offer.relayed` with `released=true`); the held text is then deleted.
    pub async fn release_offer(&self, id: i64) -> Result<(), MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        let now = pending.now;
        let offer = market_offers::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(MarketStoreError::OfferNotFound(id))?;
        if offer.status != "held" {
            return Err(MarketStoreError::NotHeld(id));
        }
        let request_id = offer.request_id.ok_or(MarketStoreError::NotRelayable(id))?;
        let rows = market_requests::Entity::find_by_id(request_id)
            .all(&txn)
            .await?;
        let loaded = load_requests(&txn, rows).await?;
        let request = loaded
            .requests
            .first()
            .ok_or(MarketStoreError::NotRelayable(id))?;
        let vendor_row = vendors::Entity::find_by_id(offer.vendor_id)
            .one(&txn)
            .await?
            .ok_or(MarketStoreError::VendorNotFound(offer.vendor_id))?;
        let vendor = to_vendor(&vendor_row)?;
        let text = offer.held_text.clone().unwrap_or_default();
        let decision = warden_marketplace::relay::release_held(
            self.market_redactor(),
            &self.market.config().relay,
            request,
            &vendor,
            &text,
            now,
        )
        .ok_or(MarketStoreError::NotRelayable(id))?;
        let offer_no = decision.effects.iter().find_map(|e| match e {
            Effect::RecordOffer { offer, .. } => Some(offer.no),
            _ => None,
        });
        // The held row becomes the relayed offer; its text is no longer kept.
        market_offers::Entity::update_many()
            .col_expr(market_offers::Column::Status, Expr::value("released"))
            .col_expr(
                market_offers::Column::OfferNo,
                Expr::value(offer_no.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
            )
            .col_expr(
                market_offers::Column::HeldText,
                Expr::value(Option::<String>::None),
            )
            .col_expr(market_offers::Column::ReleasedMs, Expr::value(now.as_i64()))
            .filter(market_offers::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let provider = loaded
            .providers
            .get(request.client.as_str())
            .copied()
            .unwrap_or(Provider::Twilio);
        pending.audit.extend(decision.audit);
        let senders = HashMap::from([(vendor_row.id, vendor_row.sender)]);
        Route {
            scope: format!("release\0{id}"),
            provider,
            providers: &loaded.providers,
            vendor_senders: &senders,
        }
        .enqueue_all(&mut pending, decision.messages);
        self.finish(txn, pending).await?;
        Ok(())
    }

    /// Every client's call consent record.
    pub async fn consents(&self) -> Result<Vec<ConsentView>, MarketStoreError> {
        Ok(call_consents::Entity::find()
            .order_by_asc(call_consents::Column::Client)
            .all(self.store.connection())
            .await?
            .into_iter()
            .map(|r| ConsentView {
                client: r.client,
                state: r.state,
                granted_ms: r.granted_ms,
                expires_ms: r.expires_ms,
                revoked_ms: r.revoked_ms,
            })
            .collect())
    }

    /// An operator's `warden call <reference>`: runs the call decision for the request (any
    /// client's: operators see every request) and commits its audit event. Place the call with
    /// the permit, then [`SqlMarket::audit`] its outcome.
    pub async fn decide_call(
        &self,
        reference: &RequestRef,
    ) -> Result<Option<CallPermit>, MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        let rows = market_requests::Entity::find()
            .filter(market_requests::Column::Reference.eq(reference.as_str()))
            .limit(2)
            .all(&txn)
            .await?;
        if rows.len() > 1 {
            return Err(MarketStoreError::AmbiguousReference);
        }
        let loaded = load_requests(&txn, rows).await?;
        let request = loaded
            .requests
            .first()
            .ok_or(MarketStoreError::UnknownReference)?;
        let consent = call_consents::Entity::find_by_id(request.client.as_str())
            .one(&txn)
            .await?;
        let decision =
            self.market
                .decide_call(request, &consent_from_db(consent.as_ref()), pending.now);
        pending.audit.push(decision.audit);
        self.finish(txn, pending).await?;
        Ok(decision.permit)
    }

    /// Appends one event to the audit chain (a call's outcome).
    pub async fn audit(&self, event: AuditEvent) -> Result<(), MarketStoreError> {
        let (txn, mut pending) = self.begin().await?;
        pending.audit.push(event);
        self.finish(txn, pending).await?;
        Ok(())
    }

    fn market_redactor(&self) -> &warden_redaction::Redactor {
        self.store.audit_redactor()
    }
}

#[async_trait]
impl MarketLedger for SqlMarket {
    async fn handle(&self, ticket: MarketTicket) -> Result<MarketOutcome, LedgerError> {
        self.step(ticket).await.map_err(LedgerError::from)
    }
}
