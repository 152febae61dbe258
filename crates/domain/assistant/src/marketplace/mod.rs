//! The concierge marketplace as a use case: the steps clients, vendors, the scheduler and
//! operators take ([`MarketService`]), over the [`MarketStore`] port, composing the pure
//! decisions of `warden-marketplace`. The store adapter loads and persists; every rule is here
//! or in `warden-marketplace`.

mod port;
mod schedule;
mod service;

pub use port::{
    ApplyContext, HeldOffer, LoadedRequests, MarketStore, MarketStoreError, MarketTxn, OfferStatus,
    OutboxMessage, StoredOffer, VendorBook,
};
pub use schedule::{client_step, merge, wants_next_batch, BatchSchedule, ClientStep};
pub use service::{MarketError, MarketOutcome, MarketService, TickReport};
