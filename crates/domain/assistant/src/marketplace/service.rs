//! The concierge marketplace's use cases over the [`MarketStore`] port: a client's step, a
//! vendor's reply, the scheduler's tick, and the operator's actions (register, disable or enable
//! a vendor, release or discard a held offer, call a client). Each is one transaction: load
//! under the head lock, decide with the pure marketplace, persist, audit, enqueue, commit.

use std::collections::HashMap;
use std::sync::Arc;

use warden_audit::{AuditEvent, Detail, EventKind};
use warden_delivery::DeliveryWake;
use warden_marketplace::{
    consent, relay, BusinessName, CallError, CallPermit, CallPlacer, CallSid, Client, ClientState,
    ConsentRecord, Decision, Effect, Marketplace, Outgoing, Recipient, RequestRef, TagSet, Vendor,
    VendorId,
};
use warden_types::{Clock, PhoneNumber, Provider, SenderId, UnixMillis};

use super::port::{
    ApplyContext, HeldOffer, LoadedRequests, MarketStore, MarketStoreError, MarketTxn, OfferStatus,
    OutboxMessage, VendorBook,
};
use super::schedule::{client_step, wants_next_batch, BatchSchedule};
use crate::outbox::{enqueued_event, market_message_key, reply_key};
use crate::{LedgerError, MarketRoute, MarketTicket, ReplyVia};

/// Requests a client's state holds besides the open ones (for `requests`).
const RECENT_CLOSED: u64 = 10;
/// Requests one vendor's reply is matched against (most recently contacted first).
const VENDOR_REQUESTS: u64 = 200;
/// Requests one scheduler tick plans for at most.
const TICK_REQUESTS: u64 = 50;
/// The provider of a client whose provider was never recorded (requests stored before it was).
const DEFAULT_CLIENT_PROVIDER: Provider = Provider::Twilio;

/// Why a marketplace use case failed. Names ids and codes, never numbers or text.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error(transparent)]
    Store(#[from] MarketStoreError),
    #[error("no vendor with id {0}")]
    VendorNotFound(i64),
    #[error("a vendor with that phone number is already registered")]
    DuplicateVendor,
    #[error("no offer with id {0}")]
    OfferNotFound(i64),
    #[error("offer {0} is not held (already relayed, released or discarded)")]
    NotHeld(i64),
    #[error("held offer {0} names no open request; it cannot be relayed")]
    NotRelayable(i64),
    #[error("no request has that reference")]
    UnknownReference,
    #[error("more than one request has that reference")]
    AmbiguousReference,
    #[error("the actor label must be 1–64 printable ASCII characters")]
    InvalidActor,
}

impl From<MarketError> for LedgerError {
    fn from(e: MarketError) -> Self {
        match e {
            MarketError::Store(MarketStoreError::Unavailable(cause)) => {
                LedgerError::Unavailable(cause)
            }
            other => LedgerError::Failed(Box::new(other)),
        }
    }
}

/// What a marketplace step committed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarketOutcome {
    /// The reply for [`ReplyVia::Response`]; `None` otherwise (it went to the outbox).
    pub reply: Option<String>,
    /// A call the step authorised (`calling.placed` with outcome `authorized` is committed):
    /// place it with [`MarketService::place_call`].
    pub call: Option<CallPermit>,
    /// Messages written to the outbox (the delivery worker was woken).
    pub enqueued: usize,
}

/// What a scheduler tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickReport {
    pub requests: usize,
    pub enqueued: usize,
}

/// The marketplace's use cases, over a store, with the marketplace's pure decisions.
#[derive(Clone)]
pub struct MarketService {
    store: Arc<dyn MarketStore>,
    market: Arc<Marketplace>,
    schedule: BatchSchedule,
    clock: Arc<dyn Clock>,
    calls: Option<Arc<dyn CallPlacer>>,
    wake: Option<Arc<dyn DeliveryWake>>,
}

impl std::fmt::Debug for MarketService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketService")
            .field("schedule", &self.schedule)
            .field("calls", &self.calls.is_some())
            .finish_non_exhaustive()
    }
}

/// Where one step's messages go and under which keys.
struct Route<'a> {
    /// Key scope (see [`market_message_key`]).
    scope: String,
    /// Provider for vendor-bound messages (and clients not in `providers`).
    provider: Provider,
    providers: &'a HashMap<SenderId, Provider>,
    vendor_senders: &'a HashMap<VendorId, SenderId>,
}

impl Route<'_> {
    fn enqueue_all(&self, txn: &mut dyn MarketTxn, messages: Vec<Outgoing>) {
        for (n, m) in messages.into_iter().enumerate() {
            let (provider, sender, to) = match m.to {
                Recipient::Client { sender, phone } => (
                    self.providers
                        .get(&sender)
                        .copied()
                        .unwrap_or(self.provider),
                    Some(sender),
                    phone,
                ),
                Recipient::Vendor { id, phone } => {
                    (self.provider, self.vendor_senders.get(&id).cloned(), phone)
                }
            };
            let key = market_message_key(&self.scope, &to, n);
            enqueue(txn, key, provider, sender, to, m.body);
        }
    }
}

/// Writes one message to the outbox and audits it (`outbox.enqueued`).
fn enqueue(
    txn: &mut dyn MarketTxn,
    key: String,
    provider: Provider,
    sender: Option<SenderId>,
    to: PhoneNumber,
    body: String,
) {
    txn.audit(enqueued_event(sender.clone(), &key, provider));
    txn.enqueue(OutboxMessage {
        key,
        provider,
        sender,
        to,
        body,
    });
}

/// The single request `loaded` must hold, or `missing`.
/// Who took an operator action, as the audit log names them (`cli`, `operator:<id>`): short
/// and printable, so a label cannot forge another detail field or carry text.
fn actor_label(actor: &str) -> Result<&str, MarketError> {
    let ok = (1..=64).contains(&actor.len()) && actor.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(actor).ok_or(MarketError::InvalidActor)
}

/// `event` with the operator who caused it.
fn by(actor: &str, mut event: AuditEvent) -> AuditEvent {
    event.detail = event.detail.with("actor", actor);
    event
}

fn only_request(
    loaded: &LoadedRequests,
    missing: MarketError,
) -> Result<&warden_marketplace::Request, MarketError> {
    match loaded.requests.as_slice() {
        [one] => Ok(one),
        [] => Err(missing),
        _ => Err(MarketError::AmbiguousReference),
    }
}

impl MarketService {
    pub fn new(
        store: Arc<dyn MarketStore>,
        market: Arc<Marketplace>,
        schedule: BatchSchedule,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            market,
            schedule,
            clock,
            calls: None,
            wake: None,
        }
    }

    /// Calls authorised by a step or an operator are placed through `calls` (without one they
    /// fail, audited, as `not_configured`).
    pub fn with_calls(mut self, calls: Option<Arc<dyn CallPlacer>>) -> Self {
        self.calls = calls;
        self
    }

    /// `wake` is told after every commit that wrote to the outbox.
    pub fn with_wake(mut self, wake: Arc<dyn DeliveryWake>) -> Self {
        self.wake = Some(wake);
        self
    }

    pub fn marketplace(&self) -> &Marketplace {
        &self.market
    }

    async fn begin(&self) -> Result<(Box<dyn MarketTxn>, UnixMillis), MarketError> {
        let txn = self.store.begin().await?;
        // Read after the lock: time moves forward along the chain.
        let now = self.clock.now();
        Ok((txn, now))
    }

    async fn commit(&self, txn: Box<dyn MarketTxn>, now: UnixMillis) -> Result<usize, MarketError> {
        let enqueued = txn.commit(now).await?;
        if enqueued > 0 {
            if let Some(wake) = &self.wake {
                wake.wake();
            }
        }
        Ok(enqueued)
    }

    /// Runs a committed message's marketplace step in one transaction, then places the call it
    /// authorised, if any. See [`crate::Outcome::Market`].
    pub async fn handle(&self, ticket: MarketTicket) -> Result<MarketOutcome, MarketError> {
        let outcome = self.step(ticket).await?;
        if let Some(permit) = &outcome.call {
            // Its outcome is audited; the step itself succeeded either way.
            let _ = self.place_call(permit).await;
        }
        Ok(outcome)
    }

    /// The step alone: everything [`MarketService::handle`] commits, without placing the call.
    pub async fn step(&self, ticket: MarketTicket) -> Result<MarketOutcome, MarketError> {
        let (mut txn, now) = self.begin().await?;
        let provider = ticket.msg.provider;
        let scope = format!("{}\0{}", provider.as_str(), ticket.msg.id.as_str());
        let (decision, call, loaded, vendor_senders) = match &ticket.route {
            MarketRoute::Client(command) => {
                let loaded = txn.client_requests(&ticket.sender, RECENT_CLOSED).await?;
                let consent = txn.consent(&ticket.sender).await?;
                let VendorBook {
                    vendors,
                    senders,
                    mut counters,
                } = txn.vendor_book().await?;
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
                    consent,
                    offer_vendors,
                };
                let new_id = txn.next_request_id().await?;
                let client = Client {
                    sender: ticket.sender.clone(),
                    phone: ticket.msg.from.clone(),
                    name: None,
                };
                let step = client_step(
                    &self.market,
                    &self.schedule,
                    &client,
                    command.clone(),
                    &state,
                    &vendors,
                    &counters,
                    new_id,
                    now,
                );
                let next_batch = step.created.and_then(|(_, next)| next);
                counters.apply(&step.decision.effects);
                txn.apply(
                    &step.decision.effects,
                    ApplyContext {
                        client_provider: provider,
                        next_batch,
                        counters: &counters,
                    },
                    now,
                )
                .await?;
                (step.decision, step.call, loaded, senders)
            }
            MarketRoute::Vendor(id) => {
                let (vendor, sender) = txn
                    .vendor(*id)
                    .await?
                    .ok_or(MarketError::VendorNotFound(id.0))?;
                let loaded = txn.vendor_requests(*id, VENDOR_REQUESTS).await?;
                let decision = self.market.handle_vendor_reply(
                    &vendor,
                    ticket.msg.body.as_str(),
                    &loaded.requests,
                    now,
                );
                // A reply touches no vendor counter.
                let counters = Default::default();
                txn.apply(
                    &decision.effects,
                    ApplyContext {
                        client_provider: provider,
                        next_batch: None,
                        counters: &counters,
                    },
                    now,
                )
                .await?;
                (decision, None, loaded, HashMap::from([(vendor.id, sender)]))
            }
        };
        let Decision {
            audit,
            messages,
            reply,
            ..
        } = decision;
        for event in audit {
            txn.audit(event);
        }
        Route {
            scope,
            provider,
            providers: &loaded.providers,
            vendor_senders: &vendor_senders,
        }
        .enqueue_all(txn.as_mut(), messages);
        let reply = reply.and_then(|body| match ticket.via {
            ReplyVia::Response => Some(body),
            ReplyVia::Silent => None,
            ReplyVia::Outbox => {
                let key = reply_key(ticket.msg.provider, ticket.msg.id.as_str());
                enqueue(
                    txn.as_mut(),
                    key,
                    ticket.msg.provider,
                    Some(ticket.sender.clone()),
                    ticket.msg.from.clone(),
                    body,
                );
                None
            }
        });
        let enqueued = self.commit(txn, now).await?;
        Ok(MarketOutcome {
            reply,
            call,
            enqueued,
        })
    }

    /// Plans the next outreach batch of every request whose batch is due by the clock, in one
    /// transaction. Cheap when nothing is due: one indexed read, no lock.
    pub async fn tick(&self) -> Result<TickReport, MarketError> {
        let due = self
            .store
            .due_requests(self.clock.now(), TICK_REQUESTS)
            .await?;
        if due.is_empty() {
            return Ok(TickReport::default());
        }
        let (mut txn, now) = self.begin().await?;
        // Read again under the lock: another instance may have planned them meanwhile.
        let loaded = txn.due_requests(&due, now).await?;
        let VendorBook {
            vendors,
            senders,
            mut counters,
        } = txn.vendor_book().await?;
        let mut report = TickReport::default();
        for mut request in loaded.requests.iter().cloned() {
            report.requests += 1;
            let next = if wants_next_batch(&request) {
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
                    .get(&request.client)
                    .copied()
                    .unwrap_or(DEFAULT_CLIENT_PROVIDER);
                counters.apply(&effects);
                txn.apply(
                    &effects,
                    ApplyContext {
                        client_provider: provider,
                        next_batch: None,
                        counters: &counters,
                    },
                    now,
                )
                .await?;
                request.apply(&effects);
                for event in audit {
                    txn.audit(event);
                }
                Route {
                    scope: format!("tick\0{}\0{}", request.id.0, now.as_i64()),
                    provider,
                    providers: &loaded.providers,
                    vendor_senders: &senders,
                }
                .enqueue_all(txn.as_mut(), messages);
                self.schedule.next(&request, plan.exhausted, now)
            } else {
                None
            };
            txn.set_next_batch(request.id, next).await?;
        }
        report.enqueued = self.commit(txn, now).await?;
        Ok(report)
    }

    // ---- operator actions ----

    /// Registers a vendor (`vendor.changed`, action `registered`, with `actor`). `sender` is
    /// the pseudonym of `phone`, which routes the vendor's messages to the vendor path. A number
    /// (or pseudonym) registered already is refused.
    pub async fn register_vendor(
        &self,
        name: BusinessName,
        phone: PhoneNumber,
        sender: SenderId,
        tags: TagSet,
        actor: &str,
    ) -> Result<VendorId, MarketError> {
        let actor = actor_label(actor)?;
        let (mut txn, now) = self.begin().await?;
        if txn.vendor_registered(&phone, &sender).await? {
            return Err(MarketError::DuplicateVendor);
        }
        let id = txn
            .insert_vendor(&name, &phone, &sender, &tags, now)
            .await?;
        let vendor = Vendor {
            id,
            business_name: name,
            phone,
            tags,
            active: true,
        };
        txn.audit(by(
            actor,
            warden_marketplace::vendor::vendor_changed_event(None, &vendor),
        ));
        self.commit(txn, now).await?;
        Ok(id)
    }

    /// Deactivates (or reactivates) a vendor, audited `vendor.changed` with `actor`.
    pub async fn set_vendor_active(
        &self,
        id: VendorId,
        active: bool,
        actor: &str,
    ) -> Result<(), MarketError> {
        let actor = actor_label(actor)?;
        let (mut txn, now) = self.begin().await?;
        let (before, _) = txn
            .vendor(id)
            .await?
            .ok_or(MarketError::VendorNotFound(id.0))?;
        let after = Vendor {
            active,
            ..before.clone()
        };
        txn.set_vendor_active(id, active, now).await?;
        txn.audit(by(
            actor,
            warden_marketplace::vendor::vendor_changed_event(Some(&before), &after),
        ));
        self.commit(txn, now).await?;
        Ok(())
    }

    /// Every vendor, by id.
    pub async fn vendors(&self) -> Result<Vec<Vendor>, MarketError> {
        Ok(self.store.vendor_book().await?.vendors)
    }

    /// Held vendor replies waiting for review, oldest first.
    pub async fn held_offers(&self) -> Result<Vec<HeldOffer>, MarketError> {
        Ok(self.store.held_offers().await?)
    }

    /// Every client's call consent record.
    pub async fn consents(&self) -> Result<Vec<(SenderId, ConsentRecord)>, MarketError> {
        Ok(self.store.consents().await?)
    }

    /// Shows an operator a held reply with its text (`offer.text` is `Some`), after committing
    /// `offer.revealed` (the offer, vendor and request reference and `actor`; never the text):
    /// no read goes unrecorded. Only a held offer has text to reveal.
    pub async fn reveal_offer(&self, id: i64, actor: &str) -> Result<HeldOffer, MarketError> {
        let actor = actor_label(actor)?;
        let (mut txn, now) = self.begin().await?;
        let offer = txn.offer(id).await?.ok_or(MarketError::OfferNotFound(id))?;
        if offer.status != OfferStatus::Held {
            return Err(MarketError::NotHeld(id));
        }
        if offer.text.is_none() {
            return Err(MarketError::Store(MarketStoreError::Corrupt("held text")));
        }
        let request = match offer.request {
            Some(r) => txn.request(r).await?.requests.into_iter().next(),
            None => None,
        };
        let mut detail = Detail::new()
            .with("offer_id", id)
            .with("vendor_id", offer.vendor)
            .with("actor", actor);
        if let Some(r) = &request {
            detail = detail.with("reference", r.reference.as_str());
        }
        let reference = request.as_ref().map(|r| r.reference.clone());
        txn.audit(AuditEvent {
            kind: EventKind::OfferRevealed,
            sender: request.map(|r| r.client),
            detail,
        });
        self.commit(txn, now).await?;
        Ok(HeldOffer { offer, reference })
    }

    /// Relays a held reply after review, through the same masking as any offer (audited
    /// `offer.relayed` with `released=true` and `actor`); the held text is then deleted. Only a
    /// held offer whose request is still open can be released.
    pub async fn release_offer(&self, id: i64, actor: &str) -> Result<(), MarketError> {
        let actor = actor_label(actor)?;
        let (mut txn, now) = self.begin().await?;
        let offer = txn.offer(id).await?.ok_or(MarketError::OfferNotFound(id))?;
        if offer.status != OfferStatus::Held {
            return Err(MarketError::NotHeld(id));
        }
        let request_id = offer.request.ok_or(MarketError::NotRelayable(id))?;
        let loaded = txn.request(request_id).await?;
        let request = only_request(&loaded, MarketError::NotRelayable(id))?;
        let (vendor, sender) = txn
            .vendor(offer.vendor)
            .await?
            .ok_or(MarketError::VendorNotFound(offer.vendor.0))?;
        let text = offer.text.map(|t| t.0).unwrap_or_default();
        let decision = relay::release_held(
            self.market.redactor(),
            &self.market.config().relay,
            request,
            &vendor,
            &text,
            now,
        )
        .ok_or(MarketError::NotRelayable(id))?;
        let offer_no = decision.effects.iter().find_map(|e| match e {
            Effect::RecordOffer { offer, .. } => Some(offer.no),
            _ => None,
        });
        // The held row becomes the relayed offer; its text is no longer kept.
        txn.settle_held_offer(id, OfferStatus::Released, offer_no, now)
            .await?;
        let provider = loaded
            .providers
            .get(&request.client)
            .copied()
            .unwrap_or(DEFAULT_CLIENT_PROVIDER);
        for event in decision.audit {
            txn.audit(by(actor, event));
        }
        Route {
            scope: format!("release\0{id}"),
            provider,
            providers: &loaded.providers,
            vendor_senders: &HashMap::from([(vendor.id, sender)]),
        }
        .enqueue_all(txn.as_mut(), decision.messages);
        self.commit(txn, now).await?;
        Ok(())
    }

    /// Drops a held reply after review (audited `offer.discarded` with the offer and vendor ids,
    /// the request reference and `actor`); its text is deleted and nothing reaches the client.
    pub async fn discard_offer(&self, id: i64, actor: &str) -> Result<(), MarketError> {
        let actor = actor_label(actor)?;
        let (mut txn, now) = self.begin().await?;
        let offer = txn.offer(id).await?.ok_or(MarketError::OfferNotFound(id))?;
        if offer.status != OfferStatus::Held {
            return Err(MarketError::NotHeld(id));
        }
        let request = match offer.request {
            Some(r) => txn.request(r).await?.requests.into_iter().next(),
            None => None,
        };
        txn.settle_held_offer(id, OfferStatus::Discarded, None, now)
            .await?;
        let mut detail = Detail::new()
            .with("offer_id", id)
            .with("vendor_id", offer.vendor)
            .with("actor", actor);
        if let Some(r) = &request {
            detail = detail.with("reference", r.reference.as_str());
        }
        txn.audit(AuditEvent {
            kind: EventKind::OfferDiscarded,
            sender: request.map(|r| r.client),
            detail,
        });
        self.commit(txn, now).await?;
        Ok(())
    }

    /// An operator's call to the client of `reference` (any client's: operators see every
    /// request): runs the call decision (commits its audit event), then places the call it
    /// permits and audits the outcome. `Ok(None)`: refused (calling disabled, no or expired
    /// consent), audited.
    pub async fn operator_call(
        &self,
        reference: &RequestRef,
    ) -> Result<Option<Result<CallSid, CallError>>, MarketError> {
        let (mut txn, now) = self.begin().await?;
        let loaded = txn.requests_by_reference(reference, 2).await?;
        let request = only_request(&loaded, MarketError::UnknownReference)?;
        let consent = txn.consent(&request.client).await?;
        let decision = self.market.decide_call(request, &consent, now);
        txn.audit(decision.audit);
        self.commit(txn, now).await?;
        match decision.permit {
            Some(permit) => Ok(Some(self.place_call(&permit).await)),
            None => Ok(None),
        }
    }

    /// Places one authorised call (outside any transaction) and audits its outcome
    /// (`calling.placed` with `placed` + `call_sid`, or `failed` + `error`).
    pub async fn place_call(&self, permit: &CallPermit) -> Result<CallSid, CallError> {
        let result = match &self.calls {
            Some(calls) => calls.place_call(&permit.to, &permit.reference).await,
            None => Err(CallError::Permanent("not_configured")),
        };
        match &result {
            Ok(_) => tracing::info!("call placed"),
            Err(e) => tracing::warn!(error = e.code(), "call not placed"),
        }
        if let Err(e) = self
            .audit(consent::call_outcome_event(permit, &result))
            .await
        {
            tracing::error!(error = %e, "call outcome not audited");
        }
        result
    }

    /// Appends one event to the audit chain on its own.
    async fn audit(&self, event: AuditEvent) -> Result<(), MarketError> {
        let (mut txn, now) = self.begin().await?;
        txn.audit(event);
        self.commit(txn, now).await?;
        Ok(())
    }
}
