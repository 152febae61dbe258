//! The marketplace's store, as the use case needs it: one transaction per step, with narrow
//! loaders and buffered writes, serialised with every other writer of the audit chain.
//!
//! The adapter stores and loads; it decides nothing. Which rows a step needs, what a step
//! writes and in which order, which provider a message leaves through and under which outbox key
//! are the use case's ([`super::MarketService`]).

use std::collections::HashMap;

use async_trait::async_trait;
use warden_audit::AuditEvent;
use warden_marketplace::{
    BusinessName, ConsentRecord, Effect, HeldText, Request, RequestId, RequestRef, TagSet, Vendor,
    VendorCounters, VendorId,
};
use warden_types::{PhoneNumber, Provider, SenderId, UnixMillis};

/// Why the store could not do what a step asked. Names codes, never numbers or text.
#[derive(Debug, thiserror::Error)]
pub enum MarketStoreError {
    /// The store cannot take writes now (down, overloaded, shutting down). Nothing was written.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else. Nothing was written.
    #[error("the store failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value no longer passes its domain type's validation (names the field only).
    #[error("a stored {0} is invalid")]
    Corrupt(&'static str),
}

/// Requests with what the store keeps beside them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedRequests {
    /// With their contacted vendors (oldest first) and relayed offers (by number).
    pub requests: Vec<Request>,
    /// The provider each request's client wrote through (client-bound messages go back that
    /// way), by client.
    pub providers: HashMap<SenderId, Provider>,
}

/// Every registered vendor, the pseudonym each one writes from, and every vendor's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorBook {
    /// By id.
    pub vendors: Vec<Vendor>,
    pub senders: HashMap<VendorId, SenderId>,
    pub counters: VendorCounters,
}

/// Where a vendor reply stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferStatus {
    /// Relayed to the client when it arrived.
    Relayed,
    /// Kept for an operator's review; its text is kept with it.
    Held,
    /// Relayed after review; its text is no longer kept.
    Released,
    /// Dropped after review; its text is no longer kept.
    Discarded,
}

impl OfferStatus {
    pub const ALL: [Self; 4] = [Self::Relayed, Self::Held, Self::Released, Self::Discarded];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Relayed => "relayed",
            Self::Held => "held",
            Self::Released => "released",
            Self::Discarded => "discarded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One stored vendor reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOffer {
    pub id: i64,
    /// The request it answers (`None`: a reply that named no request of this vendor's).
    pub request: Option<RequestId>,
    pub vendor: VendorId,
    pub status: OfferStatus,
    /// Hold reason codes, comma-separated.
    pub reasons: String,
    /// The vendor's text while held (unredacted, for review only).
    pub text: Option<HeldText>,
    pub created_at: UnixMillis,
}

/// A held reply as operators review it, with its request's reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOffer {
    pub offer: StoredOffer,
    pub reference: Option<RequestRef>,
}

/// A message a step writes to the outbox, delivered by the delivery worker.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Unique: a second message under the same key is refused by the store.
    pub key: String,
    pub provider: Provider,
    /// The pseudonym of the recipient (`None`: a vendor whose pseudonym is not stored).
    pub sender: Option<SenderId>,
    pub to: PhoneNumber,
    pub body: String,
}

impl std::fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("key", &self.key)
            .field("provider", &self.provider)
            .field("body_chars", &self.body.chars().count())
            .finish_non_exhaustive()
    }
}

/// What the store writes for an [`Effect`] beyond the effect itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyContext<'a> {
    /// The provider a created request's client wrote through.
    pub client_provider: Provider,
    /// When a created request's next outreach batch is due (`None`: no more batches).
    pub next_batch: Option<UnixMillis>,
    /// The vendors' counters with these effects already applied: a `RecordOutreach` stores
    /// its vendor's counter as it stands here.
    pub counters: &'a VendorCounters,
}

/// The marketplace's store.
#[async_trait]
pub trait MarketStore: Send + Sync {
    /// MUST start a transaction whose first act takes the audit chain's head lock, so the step
    /// is serialised with the message path's writer and every other instance, and everything
    /// it reads is read under that lock.
    async fn begin(&self) -> Result<Box<dyn MarketTxn>, MarketStoreError>;

    /// Ids of requests whose next batch is due at `now`, at most `limit`, without a lock (a
    /// cheap look before a tick takes one).
    async fn due_requests(
        &self,
        now: UnixMillis,
        limit: u64,
    ) -> Result<Vec<RequestId>, MarketStoreError>;

    /// Every vendor, by id, with its counters (read-only, no lock).
    async fn vendor_book(&self) -> Result<VendorBook, MarketStoreError>;

    /// Held replies, oldest first (read-only, no lock).
    async fn held_offers(&self) -> Result<Vec<HeldOffer>, MarketStoreError>;

    /// Every client's consent record, by client (read-only, no lock).
    async fn consents(&self) -> Result<Vec<(SenderId, ConsentRecord)>, MarketStoreError>;
}

/// One marketplace transaction. Loaders read under the head lock; writes are buffered or
/// executed in the transaction; nothing is visible until [`MarketTxn::commit`]. Dropping it
/// without committing writes nothing.
#[async_trait]
pub trait MarketTxn: Send {
    /// The client's open requests and its `recent_closed` most recent closed ones.
    async fn client_requests(
        &mut self,
        client: &SenderId,
        recent_closed: u64,
    ) -> Result<LoadedRequests, MarketStoreError>;

    /// The requests `vendor` was contacted about, most recently contacted first, at most `limit`.
    async fn vendor_requests(
        &mut self,
        vendor: VendorId,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError>;

    /// Those of `ids` whose next batch is (still) due at `now`, by id.
    async fn due_requests(
        &mut self,
        ids: &[RequestId],
        now: UnixMillis,
    ) -> Result<LoadedRequests, MarketStoreError>;

    /// Requests with this reference, at most `limit` (references are unique per client, not
    /// globally).
    async fn requests_by_reference(
        &mut self,
        reference: &RequestRef,
        limit: u64,
    ) -> Result<LoadedRequests, MarketStoreError>;

    /// One request by id.
    async fn request(&mut self, id: RequestId) -> Result<LoadedRequests, MarketStoreError>;

    /// The id the next created request gets.
    async fn next_request_id(&mut self) -> Result<RequestId, MarketStoreError>;

    async fn consent(&mut self, client: &SenderId) -> Result<ConsentRecord, MarketStoreError>;

    async fn vendor_book(&mut self) -> Result<VendorBook, MarketStoreError>;

    /// One vendor and the pseudonym it writes from.
    async fn vendor(
        &mut self,
        id: VendorId,
    ) -> Result<Option<(Vendor, SenderId)>, MarketStoreError>;

    /// Whether a vendor with this number or this pseudonym is registered.
    async fn vendor_registered(
        &mut self,
        phone: &PhoneNumber,
        sender: &SenderId,
    ) -> Result<bool, MarketStoreError>;

    async fn offer(&mut self, id: i64) -> Result<Option<StoredOffer>, MarketStoreError>;

    /// Persists `effects` in order.
    async fn apply(
        &mut self,
        effects: &[Effect],
        context: ApplyContext<'_>,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError>;

    async fn set_next_batch(
        &mut self,
        request: RequestId,
        next: Option<UnixMillis>,
    ) -> Result<(), MarketStoreError>;

    /// Inserts an active vendor and returns its id.
    async fn insert_vendor(
        &mut self,
        name: &BusinessName,
        phone: &PhoneNumber,
        sender: &SenderId,
        tags: &TagSet,
        now: UnixMillis,
    ) -> Result<VendorId, MarketStoreError>;

    async fn set_vendor_active(
        &mut self,
        id: VendorId,
        active: bool,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError>;

    /// Ends a held offer's review: `status` is `Released` (relayed as offer `offer_no`) or
    /// `Discarded`; its text is deleted either way.
    async fn settle_held_offer(
        &mut self,
        id: i64,
        status: OfferStatus,
        offer_no: Option<u32>,
        now: UnixMillis,
    ) -> Result<(), MarketStoreError>;

    /// Buffers a message for the outbox, written at commit.
    fn enqueue(&mut self, message: OutboxMessage);

    /// Buffers an audit event, appended to the chain at commit (in order).
    fn audit(&mut self, event: AuditEvent);

    /// Writes the buffered outbox messages and audit events (timestamped `now`) and commits.
    /// Returns how many messages were enqueued.
    async fn commit(self: Box<Self>, now: UnixMillis) -> Result<usize, MarketStoreError>;
}
