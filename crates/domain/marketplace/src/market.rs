//! The marketplace use case: configuration, the tools it holds (tag extractor, guard, redactor,
//! reference key) and the client commands.

use std::sync::Arc;

use warden_audit::{Detail, EventKind};
use warden_guard::Guard;
use warden_redaction::Redactor;
use warden_types::{PhoneNumber, SenderId, UnixMillis};

use crate::command::MarketCommand;
use crate::consent::{change_consent, decide_call, CallDecision, CallingPolicy, ConsentRecord};
use crate::decision::{Decision, Effect, Gate, Outgoing, Recipient};
use crate::outreach::{self, BatchPlan, OutreachPolicy, VendorCounters};
use crate::relay::{self, mask_for_vendor, RelayPolicy};
use crate::request::{RefKey, Request, RequestId, RequestRef, RequestStatus, RequestText};
use crate::tags::TagExtractor;
use crate::text::clip;
use crate::vendor::{Vendor, VendorId};

/// WhatsApp via Twilio carries at most 1600 characters.
pub const MAX_REPLY_CHARS: usize = 1600;

/// Validated configuration of the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MarketConfig {
    pub outreach: OutreachPolicy,
    pub calling: CallingPolicy,
    pub relay: RelayPolicy,
}

/// The client a command came from. `name` is the WhatsApp profile name when the provider sent
/// one; it is used only to scrub it from vendor-bound text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub sender: SenderId,
    pub phone: PhoneNumber,
    pub name: Option<String>,
}

/// What the store loads for one client command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientState {
    /// The client's requests (open ones at least; recent closed ones for `requests`).
    pub requests: Vec<Request>,
    pub consent: ConsentRecord,
    /// The vendors who made the offers on these requests (for `accept`).
    pub offer_vendors: Vec<Vendor>,
}

impl ClientState {
    pub fn open_requests(&self) -> usize {
        self.requests.iter().filter(|r| r.is_open()).count()
    }

    /// Applies effects in memory, like the store will.
    pub fn apply(&mut self, effects: &[Effect]) {
        for effect in effects {
            match effect {
                Effect::CreateRequest(r) => self.requests.push(r.clone()),
                Effect::SetConsent { record, .. } => self.consent = *record,
                other => {
                    for r in &mut self.requests {
                        r.apply(std::slice::from_ref(other));
                    }
                }
            }
        }
    }
}

impl Request {
    /// Applies the effects that concern this request, like the store will.
    pub fn apply(&mut self, effects: &[Effect]) {
        for effect in effects {
            match effect {
                Effect::RecordOutreach {
                    request, vendor, ..
                } if *request == self.id && !self.contacted.contains(vendor) => {
                    self.contacted.push(*vendor);
                }
                Effect::SetStatus { request, status } if *request == self.id => {
                    self.status = *status;
                }
                Effect::RecordOffer { request, offer } if *request == self.id => {
                    self.offers.push(*offer);
                }
                _ => {}
            }
        }
    }
}

/// Fixed client-facing texts.
#[derive(Debug, Clone, Copy)]
pub struct MarketText;

impl MarketText {
    pub const TOO_MANY_OPEN: &'static str =
        "You have too many open requests. Cancel one with: cancel <reference>";
    pub const NO_SERVICE: &'static str = "I could not tell what you need. Try for example: \
        request wheelchair accessible van in Lisbon on Saturday";
    pub const REFUSED_TEXT: &'static str = "I cannot pass that request on to vendors.";
    pub const NO_REQUESTS: &'static str =
        "You have no requests. Make one with: request <what you need>";
}

/// The concierge marketplace. Pure: no I/O, no clock, no randomness (ids and time come in).
#[derive(Debug, Clone)]
pub struct Marketplace {
    config: MarketConfig,
    tags: TagExtractor,
    guard: Guard,
    redactor: Arc<Redactor>,
    ref_key: RefKey,
}

impl Marketplace {
    /// `redactor` may be shared with the rest of the process (it is built once per
    /// configuration).
    pub fn new(
        config: MarketConfig,
        tags: TagExtractor,
        guard: Guard,
        redactor: impl Into<Arc<Redactor>>,
        ref_key: RefKey,
    ) -> Self {
        Self {
            config,
            tags,
            guard,
            redactor: redactor.into(),
            ref_key,
        }
    }

    pub fn config(&self) -> &MarketConfig {
        &self.config
    }

    pub fn tags(&self) -> &TagExtractor {
        &self.tags
    }

    /// The redactor relayed texts go through (it knows every configured secret).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The reference request `id` gets.
    pub fn reference_for(&self, id: RequestId) -> RequestRef {
        RequestRef::derive(&self.ref_key, id)
    }

    /// Decides one client command. `new_id` is the id a request created by this command gets
    /// (the store allocates it; unused otherwise).
    pub fn handle_client(
        &self,
        client: &Client,
        command: MarketCommand,
        state: &ClientState,
        new_id: RequestId,
        now: UnixMillis,
    ) -> Decision {
        let name = command.name();
        let mut d = match command {
            MarketCommand::Request(text) => self.create_request(client, text, state, new_id, now),
            MarketCommand::Requests => list_requests(state),
            MarketCommand::Accept {
                reference,
                offer_no,
            } => accept(client, state, &reference, offer_no),
            MarketCommand::Cancel(reference) => cancel(client, state, &reference),
            MarketCommand::ConsentCall(grant) => {
                change_consent(&self.config.calling, &client.sender, grant, now)
            }
        };
        // One outcome event per command: rejected, blocked, or executed (accept and cancel write
        // their own `command.executed` with the reference).
        let decided = d.audit.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::CommandRejected
                    | EventKind::OutreachBlocked
                    | EventKind::CommandExecuted
            )
        });
        if !decided {
            d.event(
                EventKind::CommandExecuted,
                Some(&client.sender),
                Detail::new().with("command", name),
            );
        }
        d.reply = d.reply.map(|r| clip(&r, MAX_REPLY_CHARS));
        d
    }

    fn create_request(
        &self,
        client: &Client,
        text: RequestText,
        state: &ClientState,
        id: RequestId,
        now: UnixMillis,
    ) -> Decision {
        let mut d = Decision::default();
        let open = state.open_requests();
        let limit = self.config.outreach.max_open_requests();
        if open >= limit {
            d.event(
                EventKind::OutreachBlocked,
                Some(&client.sender),
                Detail::new()
                    .with("gate", Gate::OpenRequests.code())
                    .with("count", open)
                    .with("limit", limit),
            );
            d.reply = Some(MarketText::TOO_MANY_OPEN.to_owned());
            return d;
        }
        let verdict = self.guard.check(text.as_str());
        if verdict.is_injection() {
            reject(
                &mut d,
                &client.sender,
                "injection",
                MarketText::REFUSED_TEXT,
            );
            return d;
        }
        let tags = self.tags.extract(text.as_str());
        if !tags.has_service() {
            reject(
                &mut d,
                &client.sender,
                "no_service_tags",
                MarketText::NO_SERVICE,
            );
            return d;
        }
        let reference = self.reference_for(id);
        let masked_text = mask_for_vendor(
            &self.redactor,
            text.as_str(),
            &client.phone,
            client.name.as_deref(),
        );
        d.event(
            EventKind::MarketplaceRequestCreated,
            Some(&client.sender),
            Detail::new()
                .with("reference", reference.as_str())
                .with("tags", tags.len()),
        );
        d.reply = Some(format!(
            "Request {reference} recorded ({}). I will contact up to {} matching vendors without \
             sharing your number or name, and send you their offers.",
            tags.joined(),
            self.config.outreach.max_vendors()
        ));
        d.effects.push(Effect::CreateRequest(Request {
            id,
            reference,
            client: client.sender.clone(),
            client_phone: client.phone.clone(),
            text,
            masked_text,
            tags,
            status: RequestStatus::Open,
            created_at: now,
            contacted: Vec::new(),
            offers: Vec::new(),
        }));
        d
    }

    /// See [`outreach::plan_next_batch`].
    pub fn plan_next_batch(
        &self,
        request: &Request,
        vendors: &[Vendor],
        counters: &VendorCounters,
        now: UnixMillis,
    ) -> BatchPlan {
        outreach::plan_next_batch(&self.config.outreach, request, vendors, counters, now)
    }

    /// See [`outreach::gate_batch`].
    pub fn gate_batch(
        &self,
        request: &Request,
        proposal: &[VendorId],
        vendors: &[Vendor],
        counters: &VendorCounters,
        now: UnixMillis,
    ) -> BatchPlan {
        outreach::gate_batch(
            &self.config.outreach,
            request,
            proposal,
            vendors,
            counters,
            now,
        )
    }

    /// See [`relay::handle_vendor_reply`].
    pub fn handle_vendor_reply(
        &self,
        vendor: &Vendor,
        text: &str,
        requests: &[Request],
        now: UnixMillis,
    ) -> Decision {
        relay::handle_vendor_reply(
            &self.guard,
            &self.redactor,
            &self.config.relay,
            vendor,
            text,
            requests,
            now,
        )
    }

    /// See [`decide_call`].
    pub fn decide_call(
        &self,
        request: &Request,
        consent: &ConsentRecord,
        now: UnixMillis,
    ) -> CallDecision {
        decide_call(&self.config.calling, request, consent, now)
    }
}

fn reject(d: &mut Decision, client: &SenderId, reason: &str, reply: &str) {
    d.event(
        EventKind::CommandRejected,
        Some(client),
        Detail::new().with("reason", reason),
    );
    d.reply = Some(reply.to_owned());
}

fn find<'a>(state: &'a ClientState, reference: &RequestRef) -> Option<&'a Request> {
    state.requests.iter().find(|r| &r.reference == reference)
}

/// The client's own open request with `reference`, or the rejection (reason code, reply) that
/// says why not.
fn own_open_request<'a>(
    state: &'a ClientState,
    reference: &RequestRef,
) -> Result<&'a Request, (&'static str, &'static str)> {
    let request = find(state, reference).ok_or((
        "unknown_reference",
        "You have no request with that reference. Send: requests",
    ))?;
    if !request.is_open() {
        return Err(("request_not_open", "That request is no longer open."));
    }
    Ok(request)
}

fn list_requests(state: &ClientState) -> Decision {
    let mut d = Decision::default();
    if state.requests.is_empty() {
        d.reply = Some(MarketText::NO_REQUESTS.to_owned());
        return d;
    }
    let mut out = String::from("Your requests:");
    for r in &state.requests {
        out.push_str(&format!(
            "\n{} {} ({}): {} contacted, {} offers",
            r.reference,
            r.status.as_str(),
            r.tags.joined(),
            r.contacted.len(),
            r.offers.len()
        ));
    }
    d.reply = Some(out);
    d
}

fn accept(client: &Client, state: &ClientState, reference: &RequestRef, offer_no: u32) -> Decision {
    let mut d = Decision::default();
    let request = match own_open_request(state, reference) {
        Ok(request) => request,
        Err((reason, reply)) => {
            reject(&mut d, &client.sender, reason, reply);
            return d;
        }
    };
    let Some(offer) = request.offers.iter().find(|o| o.no == offer_no) else {
        reject(
            &mut d,
            &client.sender,
            "no_such_offer",
            "That request has no offer with that number.",
        );
        return d;
    };
    let active = state
        .offer_vendors
        .iter()
        .find(|v| v.id == offer.vendor)
        .filter(|v| v.active);
    let Some(vendor) = active else {
        reject(
            &mut d,
            &client.sender,
            "vendor_unavailable",
            "That vendor is no longer available.",
        );
        return d;
    };
    d.effects.push(Effect::SetStatus {
        request: request.id,
        status: RequestStatus::Accepted { offer_no },
    });
    d.messages.push(Outgoing {
        to: Recipient::Vendor {
            id: vendor.id,
            phone: vendor.phone.clone(),
        },
        body: format!(
            "Good news: the client accepted your offer {offer_no} for {reference}. \
             They have your number and will contact you."
        ),
    });
    d.event(
        EventKind::CommandExecuted,
        Some(&client.sender),
        Detail::new()
            .with("command", "accept")
            .with("reference", reference.as_str())
            .with("offer_no", offer_no)
            .with("vendor_id", vendor.id),
    );
    // After acceptance, and only here, the client learns the vendor's number.
    d.reply = Some(format!(
        "You accepted offer {offer_no} for {reference} from {}. Their number: {}",
        vendor.business_name.as_str(),
        vendor.phone.as_e164()
    ));
    d
}

fn cancel(client: &Client, state: &ClientState, reference: &RequestRef) -> Decision {
    let mut d = Decision::default();
    let request = match own_open_request(state, reference) {
        Ok(request) => request,
        Err((reason, reply)) => {
            reject(&mut d, &client.sender, reason, reply);
            return d;
        }
    };
    d.effects.push(Effect::SetStatus {
        request: request.id,
        status: RequestStatus::Cancelled,
    });
    d.event(
        EventKind::CommandExecuted,
        Some(&client.sender),
        Detail::new()
            .with("command", "cancel")
            .with("reference", reference.as_str()),
    );
    d.reply = Some(format!(
        "Request {reference} cancelled. No more vendors will be contacted."
    ));
    d
}
