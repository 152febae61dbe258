//! Outreach: which vendors hear about a request, under hard gates.
//!
//! A request reaches vendors in batches. [`plan_next_batch`] proposes the best-matching vendors
//! not yet contacted; [`gate_batch`] checks any proposal (the planner's, an operator's or a
//! language model's) against every gate and turns what passes into sends. The next batch is only
//! planned when the app calls again (on a timer, or when a batch brought no offers).
//!
//! Ceilings are constants of this crate and [`OutreachPolicy::new`] refuses settings beyond them,
//! so no configuration can make Warden a spam cannon:
//!
//! | setting | default | ceiling |
//! |---|---|---|
//! | `batch_size` (vendors per batch) | 5 | 5 |
//! | `max_vendors` (per request, all batches) | 15 | 15 |
//! | `vendor_daily_cap` (outreach per vendor per UTC day) | 20 | 20 |
//! | `vendor_cooldown` (between two outreach messages to one vendor) | 5 min | at least 5 min |
//! | `max_open_requests` (per client) | 3 | 10 |
//!
//! **Day boundary:** the daily cap counts per UTC calendar day (`floor(ms / 86 400 000)`), not a
//! rolling 24 hours: the store keeps one counter row per vendor instead of a send history. Across
//! midnight a vendor can get the last messages of one day and the first of the next, but the
//! cooldown still spaces every two messages by 5 minutes (at most 12 an hour).

use std::collections::{BTreeMap, HashSet};

use warden_audit::{Detail, EventKind};
use warden_types::UnixMillis;

use crate::decision::{Decision, Effect, Gate, Outgoing, Recipient};
use crate::relay::outreach_text;
use crate::request::Request;
use crate::vendor::{Vendor, VendorId};

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;

/// A setting beyond what this crate allows. Names the setting and the limit, so the operator
/// learns their configuration was wrong instead of having it silently clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutreachConfigError {
    #[error("{setting} is {value}, above its ceiling of {ceiling}")]
    AboveCeiling {
        setting: &'static str,
        value: i64,
        ceiling: i64,
    },
    #[error("{setting} is {value}, below its floor of {floor}")]
    BelowFloor {
        setting: &'static str,
        value: i64,
        floor: i64,
    },
}

/// Raw outreach settings, as read from configuration. Validate with [`OutreachPolicy::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutreachSettings {
    pub batch_size: u32,
    pub max_vendors: u32,
    pub vendor_daily_cap: u32,
    pub vendor_cooldown_ms: i64,
    pub max_open_requests: u32,
}

impl Default for OutreachSettings {
    fn default() -> Self {
        Self {
            batch_size: OutreachPolicy::BATCH_SIZE_CEILING,
            max_vendors: OutreachPolicy::MAX_VENDORS_CEILING,
            vendor_daily_cap: OutreachPolicy::VENDOR_DAILY_CAP_CEILING,
            vendor_cooldown_ms: OutreachPolicy::VENDOR_COOLDOWN_FLOOR_MS,
            max_open_requests: 3,
        }
    }
}

/// Validated outreach limits. The fields are private: the only way to get one is through
/// [`OutreachPolicy::new`] (or `Default`), which enforces the ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutreachPolicy {
    batch_size: u32,
    max_vendors: u32,
    vendor_daily_cap: u32,
    vendor_cooldown_ms: i64,
    max_open_requests: u32,
}

impl Default for OutreachPolicy {
    fn default() -> Self {
        let s = OutreachSettings::default();
        Self {
            batch_size: s.batch_size,
            max_vendors: s.max_vendors,
            vendor_daily_cap: s.vendor_daily_cap,
            vendor_cooldown_ms: s.vendor_cooldown_ms,
            max_open_requests: s.max_open_requests,
        }
    }
}

impl OutreachPolicy {
    pub const BATCH_SIZE_CEILING: u32 = 5;
    pub const MAX_VENDORS_CEILING: u32 = 15;
    pub const VENDOR_DAILY_CAP_CEILING: u32 = 20;
    pub const VENDOR_COOLDOWN_FLOOR_MS: i64 = 5 * MINUTE_MS;
    /// A cooldown longer than a day would make the daily cap meaningless; refused as a typo.
    pub const VENDOR_COOLDOWN_CEILING_MS: i64 = DAY_MS;
    pub const OPEN_REQUESTS_CEILING: u32 = 10;
    /// Proposals are looked at up to this many entries; the rest is refused in one event.
    pub const MAX_PROPOSAL: usize = 15;

    /// # Errors
    /// [`OutreachConfigError`] for a setting above its ceiling, a cooldown below 5 minutes, or a zero
    /// count (which would silently disable the marketplace).
    pub fn new(s: OutreachSettings) -> Result<Self, OutreachConfigError> {
        let count = |setting, value: u32, ceiling: u32| {
            if value == 0 {
                Err(OutreachConfigError::BelowFloor {
                    setting,
                    value: 0,
                    floor: 1,
                })
            } else if value > ceiling {
                Err(OutreachConfigError::AboveCeiling {
                    setting,
                    value: i64::from(value),
                    ceiling: i64::from(ceiling),
                })
            } else {
                Ok(value)
            }
        };
        let policy = Self {
            batch_size: count("batch_size", s.batch_size, Self::BATCH_SIZE_CEILING)?,
            max_vendors: count("max_vendors", s.max_vendors, Self::MAX_VENDORS_CEILING)?,
            vendor_daily_cap: count(
                "vendor_daily_cap",
                s.vendor_daily_cap,
                Self::VENDOR_DAILY_CAP_CEILING,
            )?,
            vendor_cooldown_ms: s.vendor_cooldown_ms,
            max_open_requests: count(
                "max_open_requests",
                s.max_open_requests,
                Self::OPEN_REQUESTS_CEILING,
            )?,
        };
        if s.vendor_cooldown_ms < Self::VENDOR_COOLDOWN_FLOOR_MS {
            return Err(OutreachConfigError::BelowFloor {
                setting: "vendor_cooldown_ms",
                value: s.vendor_cooldown_ms,
                floor: Self::VENDOR_COOLDOWN_FLOOR_MS,
            });
        }
        if s.vendor_cooldown_ms > Self::VENDOR_COOLDOWN_CEILING_MS {
            return Err(OutreachConfigError::AboveCeiling {
                setting: "vendor_cooldown_ms",
                value: s.vendor_cooldown_ms,
                ceiling: Self::VENDOR_COOLDOWN_CEILING_MS,
            });
        }
        Ok(policy)
    }

    pub fn batch_size(&self) -> usize {
        usize::try_from(self.batch_size).unwrap_or(0)
    }
    pub fn max_vendors(&self) -> usize {
        usize::try_from(self.max_vendors).unwrap_or(0)
    }
    pub fn vendor_daily_cap(&self) -> u32 {
        self.vendor_daily_cap
    }
    pub fn vendor_cooldown_ms(&self) -> i64 {
        self.vendor_cooldown_ms
    }
    pub fn max_open_requests(&self) -> usize {
        usize::try_from(self.max_open_requests).unwrap_or(0)
    }
}

/// The UTC day number of `t`: the unit of the daily cap.
pub fn utc_day(t: UnixMillis) -> i64 {
    t.as_i64().div_euclid(DAY_MS)
}

/// One vendor's outreach counter, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VendorCounter {
    /// The UTC day `sent_today` counts.
    pub day: i64,
    pub sent_today: u32,
    pub last_sent_at: Option<UnixMillis>,
}

impl VendorCounter {
    /// Messages already sent on `now`'s UTC day.
    pub fn sent_on_day_of(&self, now: UnixMillis) -> u32 {
        if self.day == utc_day(now) {
            self.sent_today
        } else {
            0
        }
    }

    /// The counter after one more send at `at`.
    #[must_use]
    pub fn record(self, at: UnixMillis) -> Self {
        Self {
            day: utc_day(at),
            sent_today: self.sent_on_day_of(at).saturating_add(1),
            last_sent_at: Some(self.last_sent_at.map_or(at, |last| last.max(at))),
        }
    }
}

/// The counters of the vendors a decision may contact. A vendor without an entry has sent
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorCounters(pub BTreeMap<VendorId, VendorCounter>);

impl VendorCounters {
    pub fn get(&self, vendor: VendorId) -> VendorCounter {
        self.0.get(&vendor).copied().unwrap_or_default()
    }

    /// Applies `RecordOutreach` effects in memory (the store persists the same change).
    pub fn apply(&mut self, effects: &[Effect]) {
        for effect in effects {
            if let Effect::RecordOutreach { vendor, at, .. } = effect {
                let next = self.get(*vendor).record(*at);
                self.0.insert(*vendor, next);
            }
        }
    }
}

/// The result of one planning step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchPlan {
    pub decision: Decision,
    /// No further batch can ever send anything for this request: it is not open, it reached
    /// `max_vendors`, or every matching vendor was contacted. The app stops scheduling it.
    pub exhausted: bool,
}

/// Matching vendors not yet contacted, best first: most service tags in common, then lowest id
/// (deterministic). Inactive vendors stay in the ranking so that the gate names them.
pub fn rank_candidates<'a>(request: &Request, vendors: &'a [Vendor]) -> Vec<&'a Vendor> {
    let contacted: HashSet<VendorId> = request.contacted.iter().copied().collect();
    let mut ranked: Vec<(usize, &Vendor)> = vendors
        .iter()
        .filter(|v| !contacted.contains(&v.id))
        .filter_map(|v| v.tags.matches_request(&request.tags).map(|o| (o, v)))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let mut seen = HashSet::new();
    ranked
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| seen.insert(v.id))
        .collect()
}

/// Proposes the next batch (the best candidates, up to [`OutreachPolicy::MAX_PROPOSAL`], so that
/// vendors refused by a per-vendor gate leave room for the next ones) and gates it.
pub fn plan_next_batch(
    policy: &OutreachPolicy,
    request: &Request,
    vendors: &[Vendor],
    counters: &VendorCounters,
    now: UnixMillis,
) -> BatchPlan {
    let proposal: Vec<VendorId> = rank_candidates(request, vendors)
        .into_iter()
        .filter(|v| v.active)
        .take(OutreachPolicy::MAX_PROPOSAL)
        .map(|v| v.id)
        .collect();
    let mut plan = gate_batch(policy, request, &proposal, vendors, counters, now);
    let sent = plan.decision.messages.len();
    let remaining_candidates = rank_candidates(request, vendors)
        .iter()
        .filter(|v| v.active)
        .count()
        .saturating_sub(sent);
    plan.exhausted = plan.exhausted || remaining_candidates == 0;
    plan
}

/// Checks a proposed batch against every gate, in this order per vendor: duplicate in the
/// proposal, unknown, already contacted, inactive, tags, daily cap, cooldown; then the batch's
/// `batch_size` and the request's `max_vendors`. Each refusal is one `outreach.blocked` event;
/// each pass is one outreach message, one `RecordOutreach` effect and one `outreach.sent` event.
pub fn gate_batch(
    policy: &OutreachPolicy,
    request: &Request,
    proposal: &[VendorId],
    vendors: &[Vendor],
    counters: &VendorCounters,
    now: UnixMillis,
) -> BatchPlan {
    let mut d = Decision::default();
    let client = &request.client;
    let reference = &request.reference;
    if !request.is_open() {
        d.blocked(
            client,
            reference,
            Gate::RequestNotOpen,
            Detail::new().with("status", request.status.as_str()),
        );
        return BatchPlan {
            decision: d,
            exhausted: true,
        };
    }
    let already = request.contacted.len();
    let budget = policy.max_vendors().saturating_sub(already);
    if proposal.len() > OutreachPolicy::MAX_PROPOSAL {
        d.blocked(
            client,
            reference,
            Gate::ProposalTooLong,
            Detail::new().with("count", proposal.len() - OutreachPolicy::MAX_PROPOSAL),
        );
    }
    let body = outreach_text(request);
    let mut seen = HashSet::new();
    let mut sent = 0usize;
    for &id in proposal.iter().take(OutreachPolicy::MAX_PROPOSAL) {
        let vendor_detail = Detail::new().with("vendor_id", id);
        if !seen.insert(id) {
            d.blocked(client, reference, Gate::AlreadyContacted, vendor_detail);
            continue;
        }
        let Some(vendor) = vendors.iter().find(|v| v.id == id) else {
            d.blocked(client, reference, Gate::VendorUnknown, vendor_detail);
            continue;
        };
        if let Err((gate, detail)) = vendor_gate(policy, request, vendor, counters, now) {
            d.blocked(client, reference, gate, detail);
            continue;
        }
        if sent >= budget {
            d.blocked(
                client,
                reference,
                Gate::MaxVendors,
                vendor_detail.with("limit", policy.max_vendors()),
            );
            continue;
        }
        if sent >= policy.batch_size() {
            d.blocked(
                client,
                reference,
                Gate::BatchSize,
                vendor_detail.with("limit", policy.batch_size()),
            );
            continue;
        }
        sent += 1;
        d.effects.push(Effect::RecordOutreach {
            request: request.id,
            vendor: id,
            at: now,
        });
        d.messages.push(Outgoing {
            to: Recipient::Vendor {
                id,
                phone: vendor.phone.clone(),
            },
            body: body.clone(),
        });
        d.event(
            EventKind::OutreachSent,
            Some(client),
            Detail::new()
                .with("reference", reference.as_str())
                .with("vendor_id", id)
                .with("contacted", already + sent),
        );
    }
    BatchPlan {
        decision: d,
        exhausted: already + sent >= policy.max_vendors(),
    }
}

/// The per-vendor gates. `Err` names the gate and its detail.
fn vendor_gate(
    policy: &OutreachPolicy,
    request: &Request,
    vendor: &Vendor,
    counters: &VendorCounters,
    now: UnixMillis,
) -> Result<(), (Gate, Detail)> {
    let detail = Detail::new().with("vendor_id", vendor.id);
    if request.contacted.contains(&vendor.id) {
        return Err((Gate::AlreadyContacted, detail));
    }
    if !vendor.active {
        return Err((Gate::VendorInactive, detail));
    }
    if vendor.tags.matches_request(&request.tags).is_none() {
        return Err((Gate::NoTagMatch, detail));
    }
    let counter = counters.get(vendor.id);
    let today = counter.sent_on_day_of(now);
    if today >= policy.vendor_daily_cap() {
        return Err((
            Gate::VendorDailyCap,
            detail
                .with("count", today)
                .with("limit", policy.vendor_daily_cap()),
        ));
    }
    if let Some(last) = counter.last_sent_at {
        let ready_at = last.plus_ms(policy.vendor_cooldown_ms());
        if now < ready_at {
            return Err((
                Gate::VendorCooldown,
                detail.with("ready_at_ms", ready_at.as_i64()),
            ));
        }
    }
    Ok(())
}
