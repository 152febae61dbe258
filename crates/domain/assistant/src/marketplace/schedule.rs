//! The concierge marketplace's steps as the store runs them: pure functions over the state the
//! store loaded inside its transaction, composing the marketplace's own decisions.
//!
//! What is decided here (and nowhere else):
//! - a new request plans its first outreach batch in the transaction that created it;
//! - later batches are planned while the request is open, has no relayed offer yet and the
//!   planner is not exhausted, one batch per [`BatchSchedule::interval_ms`];
//! - an accepted offer, with calling enabled, runs the call decision: Warden calls the client
//!   (to connect them with the vendor) only with their unexpired consent; without it the refusal
//!   is audited (`calling.consent_denied` / `calling.consent_expired`) and no call is placed.

use warden_marketplace::{
    CallPermit, Client, ClientState, Decision, Effect, MarketCommand, Marketplace, Request,
    RequestId, RequestStatus, Vendor, VendorCounters,
};
use warden_types::UnixMillis;

/// When the scheduler plans a request's next outreach batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSchedule {
    pub interval_ms: i64,
}

impl BatchSchedule {
    /// 30 minutes between batches.
    pub const DEFAULT_INTERVAL_MS: i64 = 30 * 60_000;
    /// Never faster than the vendor cooldown.
    pub const MIN_INTERVAL_MS: i64 = 5 * 60_000;

    /// The time of the next batch after one planned at `now`, or `None` when no further batch
    /// may be planned for `request` (as it stands after the batch).
    pub fn next(&self, request: &Request, exhausted: bool, now: UnixMillis) -> Option<UnixMillis> {
        (!exhausted && wants_next_batch(request)).then(|| now.plus_ms(self.interval_ms))
    }
}

impl Default for BatchSchedule {
    fn default() -> Self {
        Self {
            interval_ms: Self::DEFAULT_INTERVAL_MS,
        }
    }
}

/// Whether more vendors should hear about `request`: it is open and no offer was relayed yet
/// (once the client has an offer to consider, Warden stops widening the search).
pub fn wants_next_batch(request: &Request) -> bool {
    request.is_open() && request.offers.is_empty()
}

/// Appends `more`'s effects, audit events and messages to `into` (its reply is dropped).
pub fn merge(into: &mut Decision, more: Decision) {
    into.effects.extend(more.effects);
    into.audit.extend(more.audit);
    into.messages.extend(more.messages);
}

/// Everything one client command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientStep {
    pub decision: Decision,
    /// A call the step authorised (its `calling.placed` `authorized` event is in `decision`).
    pub call: Option<CallPermit>,
    /// For a created request: its id and when its next batch is due (`None`: no more batches).
    pub created: Option<(RequestId, Option<UnixMillis>)>,
}

/// Runs one client command; see the module docs. `vendors` and `counters` matter only to a
/// `request` command (the first batch).
#[allow(clippy::too_many_arguments)]
pub fn client_step(
    market: &Marketplace,
    schedule: &BatchSchedule,
    client: &Client,
    command: MarketCommand,
    state: &ClientState,
    vendors: &[Vendor],
    counters: &VendorCounters,
    new_id: RequestId,
    now: UnixMillis,
) -> ClientStep {
    let accepted_ref = match &command {
        MarketCommand::Accept { reference, .. } => Some(reference.clone()),
        _ => None,
    };
    let mut decision = market.handle_client(client, command, state, new_id, now);
    let mut created = None;
    let new_request = decision.effects.iter().find_map(|e| match e {
        Effect::CreateRequest(r) => Some(r.clone()),
        _ => None,
    });
    if let Some(mut request) = new_request {
        let plan = market.plan_next_batch(&request, vendors, counters, now);
        request.apply(&plan.decision.effects);
        let next = schedule.next(&request, plan.exhausted, now);
        merge(&mut decision, plan.decision);
        created = Some((request.id, next));
    }
    let mut call = None;
    let accepted_now = decision.effects.iter().any(|e| {
        matches!(
            e,
            Effect::SetStatus {
                status: RequestStatus::Accepted { .. },
                ..
            }
        )
    });
    if let (Some(reference), true) = (accepted_ref, accepted_now) {
        if market.config().calling.enabled() {
            let mut after = state.clone();
            after.apply(&decision.effects);
            if let Some(request) = after.requests.iter().find(|r| r.reference == reference) {
                let d = market.decide_call(request, &after.consent, now);
                decision.audit.push(d.audit);
                call = d.permit;
            }
        }
    }
    ClientStep {
        decision,
        call,
        created,
    }
}
