//! How long Warden keeps what it no longer needs, and which rows one pruning pass removes.
//!
//! The policy is ages in days, validated once; [`RetentionPolicy::cutoffs`] turns them into
//! instants for one pass. The store deletes by cut-off and decides nothing: what "older than"
//! means for each kind of row is spelled out on [`Cutoffs`], which the store's contract points to.

use std::fmt;

use warden_audit::{AuditEvent, Detail, EventKind};
use warden_types::UnixMillis;

/// Meta retries an unacknowledged webhook for up to 7 days (Twilio for far less). A replay id
/// pruned sooner would let a retried webhook act a second time.
pub const PROVIDER_RETRY_DAYS: u32 = 7;

/// The longest age any category accepts (ten years): beyond it a typo, not a policy.
pub const MAX_DAYS: u32 = 3650;

const DAY_MS: i64 = 86_400_000;

/// What a retention age applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Tasks marked done, by when they were done.
    DoneTasks,
    /// Outbox messages the provider accepted (sent, delivered, read), by their last update.
    SentOutbox,
    /// Inbound replay ids, by when the message arrived.
    ReplayIds,
    /// Vendor replies still held for review, by when they arrived.
    HeldOffers,
    /// Accepted or cancelled marketplace requests, by when they were made.
    ClosedRequests,
    /// Call consents that expired or were revoked, by when they ended.
    ExpiredConsents,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::DoneTasks,
        Category::SentOutbox,
        Category::ReplayIds,
        Category::HeldOffers,
        Category::ClosedRequests,
        Category::ExpiredConsents,
    ];

    /// The name in `retention.pruned` details and in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::DoneTasks => "done_tasks",
            Category::SentOutbox => "sent_outbox",
            Category::ReplayIds => "replay_ids",
            Category::HeldOffers => "held_offers",
            Category::ClosedRequests => "closed_requests",
            Category::ExpiredConsents => "expired_consents",
        }
    }

    /// The shortest age this category accepts, in days.
    pub const fn min_days(self) -> u32 {
        match self {
            Category::ReplayIds => PROVIDER_RETRY_DAYS,
            _ => 1,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a retention age was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error(
        "must be at least {min} days: providers retry a webhook for up to {min} days, and a \
         replay id pruned sooner lets a retried message act twice"
    )]
    ShorterThanRetryWindow { category: Category, min: u32 },
    #[error("must be between {min} and {max} days")]
    OutOfRange {
        category: Category,
        min: u32,
        max: u32,
    },
}

impl RetentionError {
    /// The category whose age was refused (the caller names its setting).
    pub fn category(&self) -> Category {
        match self {
            RetentionError::ShorterThanRetryWindow { category, .. }
            | RetentionError::OutOfRange { category, .. } => *category,
        }
    }
}

/// Ages in days, as configured: plain data, checked by [`RetentionPolicy::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionAges {
    pub done_tasks: u32,
    pub sent_outbox: u32,
    pub replay_ids: u32,
    pub held_offers: u32,
    pub closed_requests: u32,
    pub expired_consents: u32,
}

impl RetentionAges {
    /// The age of `category`.
    pub const fn get(&self, category: Category) -> u32 {
        match category {
            Category::DoneTasks => self.done_tasks,
            Category::SentOutbox => self.sent_outbox,
            Category::ReplayIds => self.replay_ids,
            Category::HeldOffers => self.held_offers,
            Category::ClosedRequests => self.closed_requests,
            Category::ExpiredConsents => self.expired_consents,
        }
    }
}

impl Default for RetentionAges {
    /// Long enough for a user to look back at last season's tasks and for an operator to
    /// investigate a delivery problem or a held offer; short enough that nothing lingers
    /// for years. Replay ids keep the providers' retry window with margin.
    fn default() -> Self {
        Self {
            done_tasks: 90,
            sent_outbox: 30,
            replay_ids: 30,
            held_offers: 30,
            closed_requests: 90,
            expired_consents: 30,
        }
    }
}

/// Validated retention ages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionPolicy {
    ages: RetentionAges,
}

impl RetentionPolicy {
    /// Refuses an age of zero, one above [`MAX_DAYS`], and replay ids kept for less than
    /// [`PROVIDER_RETRY_DAYS`].
    pub fn new(ages: RetentionAges) -> Result<Self, RetentionError> {
        for category in Category::ALL {
            let days = ages.get(category);
            if category == Category::ReplayIds && days < PROVIDER_RETRY_DAYS {
                return Err(RetentionError::ShorterThanRetryWindow {
                    category,
                    min: PROVIDER_RETRY_DAYS,
                });
            }
            if !(category.min_days()..=MAX_DAYS).contains(&days) {
                return Err(RetentionError::OutOfRange {
                    category,
                    min: category.min_days(),
                    max: MAX_DAYS,
                });
            }
        }
        Ok(Self { ages })
    }

    pub fn ages(&self) -> RetentionAges {
        self.ages
    }

    /// The cut-offs of a pass at `now`: each age before `now`.
    pub fn cutoffs(&self, now: UnixMillis) -> Cutoffs {
        let at = |c: Category| {
            UnixMillis(
                now.as_i64()
                    .saturating_sub(i64::from(self.ages.get(c)).saturating_mul(DAY_MS)),
            )
        };
        Cutoffs {
            done_tasks: at(Category::DoneTasks),
            sent_outbox: at(Category::SentOutbox),
            replay_ids: at(Category::ReplayIds),
            held_offers: at(Category::HeldOffers),
            closed_requests: at(Category::ClosedRequests),
            expired_consents: at(Category::ExpiredConsents),
        }
    }
}

/// The instants of one pruning pass. A row goes when its timestamp is strictly before its
/// cut-off; everything else stays. Rows still in use never go, whatever their age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// `tasks` with `done_ms` set and before it (open tasks stay).
    pub done_tasks: UnixMillis,
    /// `outbox` rows with status `sent`, `delivered` or `read` and `updated_ms` before it
    /// (pending rows are still to be sent; failed rows wait for an operator's retry).
    pub sent_outbox: UnixMillis,
    /// `inbound_messages` with `received_ms` before it.
    pub replay_ids: UnixMillis,
    /// `market_offers` still `held` with `created_ms` before it (reviewed offers keep no text).
    pub held_offers: UnixMillis,
    /// `marketplace_requests` not `open` with `created_ms` before it, with their contacts and
    /// offers (open requests stay).
    pub closed_requests: UnixMillis,
    /// `call_consents` granted with `expires_ms` before it, or revoked with `revoked_ms`
    /// before it (a consent still valid stays).
    pub expired_consents: UnixMillis,
}

/// What one pass removed, by category; the rows that went with a closed request are counted
/// apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub done_tasks: u64,
    pub sent_outbox: u64,
    pub replay_ids: u64,
    pub held_offers: u64,
    pub closed_requests: u64,
    /// `market_contacts` of the pruned requests.
    pub closed_request_contacts: u64,
    /// `market_offers` of the pruned requests.
    pub closed_request_offers: u64,
    pub expired_consents: u64,
    /// Calendar jobs settled (done or failed) before the sent-outbox cut-off: what is left of
    /// them is the event id and the status.
    pub settled_calendar_jobs: u64,
}

impl Pruned {
    /// Every count with its name, in a fixed order.
    pub fn counts(&self) -> [(&'static str, u64); 9] {
        [
            (Category::DoneTasks.as_str(), self.done_tasks),
            (Category::SentOutbox.as_str(), self.sent_outbox),
            (Category::ReplayIds.as_str(), self.replay_ids),
            (Category::HeldOffers.as_str(), self.held_offers),
            (Category::ClosedRequests.as_str(), self.closed_requests),
            ("closed_request_contacts", self.closed_request_contacts),
            ("closed_request_offers", self.closed_request_offers),
            (Category::ExpiredConsents.as_str(), self.expired_consents),
            ("settled_calendar_jobs", self.settled_calendar_jobs),
        ]
    }

    pub fn total(&self) -> u64 {
        self.counts()
            .iter()
            .fold(0u64, |sum, (_, n)| sum.saturating_add(*n))
    }

    /// `retention.pruned` with every count, or nothing when nothing was pruned (an idle pass
    /// every interval would otherwise fill the chain).
    pub fn audit_event(&self) -> Option<AuditEvent> {
        if self.total() == 0 {
            return None;
        }
        let detail = self
            .counts()
            .into_iter()
            .fold(Detail::new(), |d, (key, n)| d.with(key, n));
        Some(AuditEvent {
            kind: EventKind::RetentionPruned,
            sender: None,
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ages(f: impl FnOnce(&mut RetentionAges)) -> RetentionAges {
        let mut a = RetentionAges::default();
        f(&mut a);
        a
    }

    #[test]
    fn the_defaults_are_a_valid_policy() {
        assert_eq!(
            RetentionPolicy::new(RetentionAges::default()).map(|p| p.ages()),
            Ok(RetentionAges::default())
        );
    }

    #[test]
    fn replay_ids_shorter_than_the_providers_retry_window_are_refused() {
        for days in [0, 1, 6] {
            let err = RetentionPolicy::new(ages(|a| a.replay_ids = days)).unwrap_err();
            assert_eq!(
                err,
                RetentionError::ShorterThanRetryWindow {
                    category: Category::ReplayIds,
                    min: 7
                }
            );
            assert!(err.to_string().contains("at least 7 days"), "{err}");
        }
        assert!(RetentionPolicy::new(ages(|a| a.replay_ids = 7)).is_ok());
    }

    #[test]
    fn zero_or_absurd_ages_are_refused_and_name_their_category() {
        for category in Category::ALL {
            for bad in [0, MAX_DAYS + 1] {
                let mut a = RetentionAges::default();
                match category {
                    Category::DoneTasks => a.done_tasks = bad,
                    Category::SentOutbox => a.sent_outbox = bad,
                    Category::ReplayIds => a.replay_ids = bad,
                    Category::HeldOffers => a.held_offers = bad,
                    Category::ClosedRequests => a.closed_requests = bad,
                    Category::ExpiredConsents => a.expired_consents = bad,
                }
                let err = RetentionPolicy::new(a).unwrap_err();
                assert_eq!(err.category(), category, "{category}={bad}");
            }
        }
        assert!(RetentionPolicy::new(ages(|a| a.done_tasks = 1)).is_ok());
        assert!(RetentionPolicy::new(ages(|a| a.done_tasks = MAX_DAYS)).is_ok());
    }

    #[test]
    fn each_cutoff_is_its_own_age_before_now() {
        let policy = RetentionPolicy::new(RetentionAges {
            done_tasks: 1,
            sent_outbox: 2,
            replay_ids: 7,
            held_offers: 3,
            closed_requests: 4,
            expired_consents: 5,
        })
        .unwrap();
        let now = UnixMillis(1_800_000_000_000);
        let c = policy.cutoffs(now);
        let days_before = |d: i64| UnixMillis(now.0 - d * DAY_MS);
        assert_eq!(c.done_tasks, days_before(1));
        assert_eq!(c.sent_outbox, days_before(2));
        assert_eq!(c.replay_ids, days_before(7));
        assert_eq!(c.held_offers, days_before(3));
        assert_eq!(c.closed_requests, days_before(4));
        assert_eq!(c.expired_consents, days_before(5));
    }

    #[test]
    fn cutoffs_near_the_epoch_do_not_overflow() {
        let c = RetentionPolicy::default().cutoffs(UnixMillis(i64::MIN + 1));
        assert_eq!(c.done_tasks, UnixMillis(i64::MIN));
    }

    #[test]
    fn an_idle_pass_is_not_audited_and_a_busy_one_carries_every_count_and_no_sender() {
        assert_eq!(Pruned::default().audit_event(), None);
        let pruned = Pruned {
            sent_outbox: 3,
            closed_request_offers: 2,
            ..Pruned::default()
        };
        let event = pruned.audit_event().unwrap();
        assert_eq!(event.kind, EventKind::RetentionPruned);
        assert_eq!(event.sender, None);
        assert_eq!(event.detail.get("sent_outbox"), Some("3"));
        assert_eq!(event.detail.get("closed_request_offers"), Some("2"));
        assert_eq!(event.detail.get("done_tasks"), Some("0"));
        assert_eq!(event.detail.len(), 9);
        assert_eq!(pruned.total(), 5);
    }
}
