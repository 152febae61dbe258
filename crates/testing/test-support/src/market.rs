//! An in-memory [`MarketStore`]: the concierge marketplace's use cases tested without a database.
//!
//! It keeps the port's contract the way the SQL adapter does: one transaction at a time (the
//! head lock is a mutex held from `begin` to commit or drop), reads see the transaction's own
//! writes, nothing is visible before commit, and a dropped transaction leaves nothing behind.
//! `tests/` runs one script on it and on the SQL store and compares what each committed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Mutex, OwnedMutexGuard};
use warden_assistant::marketplace::{
    ApplyContext, HeldOffer, LoadedRequests, MarketStore, MarketStoreError, MarketTxn, OfferStatus,
    OutboxMessage, StoredOffer, VendorBook,
};
use warden_audit::AuditEvent;
use warden_marketplace::{
    BusinessName, ConsentRecord, Effect, HeldText, Offer, Request, RequestId, RequestRef,
    RequestStatus, TagSet, Vendor, VendorCounters, VendorId,
};
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

/// One stored request and what the store keeps beside it.
#[derive(Debug, Clone)]
struct RequestRow {
    /// `contacted` and `offers` are kept empty here; they are rebuilt from the other tables.
    request: Request,
    provider: Provider,
    next_batch: Option<UnixMillis>,
}

#[derive(Debug, Clone)]
struct OfferRow {
    stored: StoredOffer,
    offer_no: Option<u32>,
}

/// Everything the fake holds; what a transaction copies and, at commit, puts back.
#[derive(Debug, Clone, Default)]
pub struct MarketState {
    requests: BTreeMap<i64, RequestRow>,
    /// `(request, vendor, contacted at)`, one per pair.
    contacts: Vec<(RequestId, VendorId, UnixMillis)>,
    offers: Vec<OfferRow>,
    vendors: BTreeMap<VendorId, (Vendor, SenderId)>,
    counters: VendorCounters,
    consents: BTreeMap<SenderId, ConsentRecord>,
    /// Committed outbox messages, in commit order.
    pub outbox: Vec<OutboxMessage>,
    /// Committed audit events with their commit time, in chain order.
    pub audit: Vec<(UnixMillis, AuditEvent)>,
}

impl MarketState {
    fn load(&self, mut rows: Vec<&RequestRow>) -> LoadedRequests {
        let mut out = LoadedRequests::default();
        rows.dedup_by_key(|r| r.request.id);
        for row in rows {
            let mut request = row.request.clone();
            let mut contacted: Vec<_> = self
                .contacts
                .iter()
                .filter(|(r, _, _)| *r == request.id)
                .map(|(_, v, at)| (*at, *v))
                .collect();
            contacted.sort();
            request.contacted = contacted.into_iter().map(|(_, v)| v).collect();
            let mut offers: Vec<Offer> = self
                .offers
                .iter()
                .filter(|o| o.stored.request == Some(request.id))
                .filter_map(|o| {
                    o.offer_no.map(|no| Offer {
                        no,
                        vendor: o.stored.vendor,
                        at: o.stored.created_at,
                    })
                })
                .collect();
            offers.sort_by_key(|o| o.no);
            request.offers = offers;
            out.providers.insert(request.client.clone(), row.provider);
            out.requests.push(request);
        }
        out
    }

    fn vendor_book(&self) -> VendorBook {
        VendorBook {
            vendors: self.vendors.values().map(|(v, _)| v.clone()).collect(),
            senders: self
                .vendors
                .iter()
                .map(|(id, (_, s))| (*id, s.clone()))
                .collect(),
            counters: self.counters.clone(),
        }
    }

    /// The kinds of the committed audit events, in order (for comparing stores).
    pub fn audit_kinds(&self) -> Vec<&'static str> {
        self.audit.iter().map(|(_, e)| e.kind.as_str()).collect()
    }
}

/// The fake store. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct MemMarketStore {
    state: Arc<Mutex<MarketState>>,
}

impl MemMarketStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of what is committed now (waits for a transaction in flight).
    pub async fn snapshot(&self) -> MarketState {
        self.state.lock().await.clone()
    }
}

struct MemTxn {
    guard: OwnedMutexGuard<MarketState>,
    work: MarketState,
    audit: Vec<AuditEvent>,
    outbox: Vec<OutboxMessage>,
}

#[async_trait]
impl MarketStore for MemMarketStore {
    async fn begin(&self) -> Result<Box<dyn MarketTxn>, MarketStoreError> {
        let guard = self.state.clone().lock_owned().await;
        let work = guard.clone();
        Ok(Box::new(MemTxn {
            guard,
            work,
            audit: Vec::new(),
            outbox: Vec::new(),
        }))
    }

    async fn due_requests(
        &self,
        now: UnixMillis,
        limit: u64,
    ) -> Result<Vec<RequestId>, MarketStoreError> {
        let state = self.state.lock().await;
        Ok(state
            .requests
            .values()
            .filter(|r| r.next_batch.is_some_and(|at| at <= now))
            .map(|r| r.request.id)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn vendor_book(&self) -> Result<VendorBook, MarketStoreError> {
        Ok(self.state.lock().await.vendor_book())
    }

    async fn held_offers(&self) -> Result<Vec<HeldOffer>, MarketStoreError> {
        let state = self.state.lock().await;
        Ok(state
            .offers
            .iter()
            .filter(|o| o.stored.status == OfferStatus::Held)
            .map(|o| HeldOffer {
                offer: o.stored.clone(),
                reference: o
                    .stored
                    .request
                    .and_then(|r| state.requests.get(&r.0))
                    .map(|r| r.request.reference.clone()),
            })
            .collect())
    }

    async fn consents(&self) -> Result<Vec<(SenderId, ConsentRecord)>, MarketStoreError> {
        let state = self.state.lock().await;
        Ok(state
            .consents
            .iter()
            .map(|(s, c)| (s.clone(), *c))
            .collect())
    }
}

#[async_trait]
impl MarketTxn for MemTxn {
    async fn client_requests(
        &mut self,
        client: &SenderId,
        recent_closed: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let mine = || {
            self.work
                .requests
                .values()
                .filter(move |r| &r.request.client == client)
        };
        let open = mine().filter(|r| r.request.is_open());
        let closed = mine()
            .filter(|r| !r.request.is_open())
            .rev()
            .take(usize::try_from(recent_closed).unwrap_or(usize::MAX));
        Ok(self.work.load(open.chain(closed).collect()))
    }

    async fn vendor_requests(
        &mut self,
        vendor: VendorId,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let mut contacts: Vec<_> = self
            .work
            .contacts
            .iter()
            .filter(|(_, v, _)| *v == vendor)
            .collect();
        contacts.sort_by_key(|(_, _, at)| std::cmp::Reverse(*at));
        let rows = contacts
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .filter_map(|(r, _, _)| self.work.requests.get(&r.0))
            .collect();
        Ok(self.work.load(rows))
    }

    async fn due_requests(
        &mut self,
        ids: &[RequestId],
        now: UnixMillis,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let rows = self
            .work
            .requests
            .values()
            .filter(|r| ids.contains(&r.request.id) && r.next_batch.is_some_and(|at| at <= now))
            .collect();
        Ok(self.work.load(rows))
    }

    async fn requests_by_reference(
        &mut self,
        reference: &RequestRef,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError> {
        let rows = self
            .work
            .requests
            .values()
            .filter(|r| &r.request.reference == reference)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(self.work.load(rows))
    }

    async fn request(&mut self, id: RequestId) -> Result<LoadedRequests, MarketStoreError> {
        Ok(self
            .work
            .load(self.work.requests.get(&id.0).into_iter().collect()))
    }

    async fn next_request_id(&mut self) -> Result<RequestId, MarketStoreError> {
        let max = self.work.requests.keys().next_back().copied().unwrap_or(0);
        Ok(RequestId(max.saturating_add(1)))
    }

    async fn consent(&mut self, client: &SenderId) -> Result<ConsentRecord, MarketStoreError> {
        Ok(self.work.consents.get(client).copied().unwrap_or_default())
    }

    async fn vendor_book(&mut self) -> Result<VendorBook, MarketStoreError> {
        Ok(self.work.vendor_book())
    }

    async fn vendor(
        &mut self,
        id: VendorId,
    ) -> Result<Option<(Vendor, SenderId)>, MarketStoreError> {
        Ok(self.work.vendors.get(&id).cloned())
    }

    async fn vendor_registered(
        &mut self,
        phone: &PhoneNumber,
        sender: &SenderId,
    ) -> Result<bool, MarketStoreError> {
        Ok(self
            .work
            .vendors
            .values()
            .any(|(v, s)| &v.phone == phone || s == sender))
    }

    async fn offer(&mut self, id: i64) -> Result<Option<StoredOffer>, MarketStoreError> {
        Ok(self
            .work
            .offers
            .iter()
            .find(|o| o.stored.id == id)
            .map(|o| o.stored.clone()))
    }

    async fn apply(
        &mut self,
        effects: &[Effect],
        context: ApplyContext<'_>,
        _now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        let w = &mut self.work;
        for effect in effects {
            match effect {
                Effect::CreateRequest(r) => {
                    let mut request = r.clone();
                    request.contacted.clear();
                    request.offers.clear();
                    w.requests.insert(
                        r.id.0,
                        RequestRow {
                            request,
                            provider: context.client_provider,
                            next_batch: context.next_batch,
                        },
                    );
                }
                Effect::RecordOutreach {
                    request,
                    vendor,
                    at,
                } => {
                    if !w
                        .contacts
                        .iter()
                        .any(|(r, v, _)| r == request && v == vendor)
                    {
                        w.contacts.push((*request, *vendor, *at));
                    }
                    w.counters.0.insert(*vendor, context.counters.get(*vendor));
                }
                Effect::SetStatus { request, status } => {
                    if let Some(row) = w.requests.get_mut(&request.0) {
                        row.request.status = *status;
                        if *status != RequestStatus::Open {
                            row.next_batch = None;
                        }
                    }
                }
                Effect::RecordOffer { request, offer } => {
                    let id = next_offer_id(w);
                    w.offers.push(OfferRow {
                        stored: StoredOffer {
                            id,
                            request: Some(*request),
                            vendor: offer.vendor,
                            status: OfferStatus::Relayed,
                            reasons: String::new(),
                            text: None,
                            created_at: offer.at,
                        },
                        offer_no: Some(offer.no),
                    });
                }
                Effect::HoldOffer {
                    request,
                    vendor,
                    reasons,
                    text,
                    at,
                } => {
                    let id = next_offer_id(w);
                    let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
                    w.offers.push(OfferRow {
                        stored: StoredOffer {
                            id,
                            request: *request,
                            vendor: *vendor,
                            status: OfferStatus::Held,
                            reasons: codes.join(","),
                            text: Some(HeldText(text.0.clone())),
                            created_at: *at,
                        },
                        offer_no: None,
                    });
                }
                Effect::SetConsent { client, record } => {
                    w.consents.insert(client.clone(), *record);
                }
            }
        }
        Ok(())
    }

    async fn set_next_batch(
        &mut self,
        request: RequestId,
        next: Option<UnixMillis>,
    ) -> Result<(), MarketStoreError> {
        if let Some(row) = self.work.requests.get_mut(&request.0) {
            row.next_batch = next;
        }
        Ok(())
    }

    async fn insert_vendor(
        &mut self,
        name: &BusinessName,
        phone: &PhoneNumber,
        sender: &SenderId,
        tags: &TagSet,
        _now: UnixMillis,
    ) -> Result<VendorId, MarketStoreError> {
        let id = VendorId(
            self.work
                .vendors
                .keys()
                .next_back()
                .map_or(1, |v| v.0.saturating_add(1)),
        );
        let vendor = Vendor {
            id,
            business_name: name.clone(),
            phone: phone.clone(),
            tags: tags.clone(),
            active: true,
        };
        self.work.vendors.insert(id, (vendor, sender.clone()));
        Ok(id)
    }

    async fn set_vendor_active(
        &mut self,
        id: VendorId,
        active: bool,
        _now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        if let Some((v, _)) = self.work.vendors.get_mut(&id) {
            v.active = active;
        }
        Ok(())
    }

    async fn settle_held_offer(
        &mut self,
        id: i64,
        status: OfferStatus,
        offer_no: Option<u32>,
        _now: UnixMillis,
    ) -> Result<(), MarketStoreError> {
        if let Some(o) = self.work.offers.iter_mut().find(|o| o.stored.id == id) {
            o.stored.status = status;
            o.stored.text = None;
            o.offer_no = offer_no;
        }
        Ok(())
    }

    fn enqueue(&mut self, message: OutboxMessage) {
        self.outbox.push(message);
    }

    fn audit(&mut self, event: AuditEvent) {
        self.audit.push(event);
    }

    async fn commit(self: Box<Self>, now: UnixMillis) -> Result<usize, MarketStoreError> {
        let MemTxn {
            mut guard,
            mut work,
            audit,
            outbox,
        } = *self;
        let keys: HashMap<&str, ()> = work.outbox.iter().map(|m| (m.key.as_str(), ())).collect();
        if outbox.iter().any(|m| keys.contains_key(m.key.as_str())) {
            return Err(MarketStoreError::Failed(
                "an outbox key is already taken".into(),
            ));
        }
        let enqueued = outbox.len();
        work.outbox.extend(outbox);
        work.audit.extend(audit.into_iter().map(|e| (now, e)));
        *guard = work;
        Ok(enqueued)
    }
}

fn next_offer_id(state: &MarketState) -> i64 {
    state
        .offers
        .iter()
        .map(|o| o.stored.id)
        .max()
        .unwrap_or(0)
        .saturating_add(1)
}
