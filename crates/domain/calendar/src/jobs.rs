//! The durable calendar writes: a job per `remind` (insert) or `unremind` (delete), written in
//! the transaction that decided it, and one worker pass that claims due jobs, calls the
//! [`Calendar`] and settles them.
//!
//! At-least-once calls, exactly-once effect: a worker that dies after Google stored an event
//! leaves its lease to expire, and the next attempt inserts the same [`EventId`], which the
//! port reports as [`Inserted::AlreadyExisted`]. Retries follow the outbox's
//! [`RetryPolicy`] (backoff with jitter, `Retry-After` honoured); a revoked grant
//! ([`CalendarError::Disabled`]) settles the job at once.

use std::time::Duration;

use async_trait::async_trait;
use warden_audit::{AuditEvent, Detail, EventKind};
use warden_delivery::{RetryDecision, RetryPolicy, SendError};
use warden_types::{SenderId, UnixMillis};

use crate::{reply, Calendar, CalendarError, Deleted, EventId, Inserted, NewEvent};

/// What a job asks of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobAction {
    Insert(NewEvent),
    Delete(EventId),
}

impl JobAction {
    pub fn event_id(&self) -> &EventId {
        match self {
            JobAction::Insert(event) => &event.id,
            JobAction::Delete(id) => id,
        }
    }
}

/// A calendar write to make, and what to tell the user once it is made. `Debug` shows no
/// title and no reply text (both are personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct CalendarJob {
    pub action: JobAction,
    /// Whose reminder it is.
    pub owner: SenderId,
    /// The reply once the write took effect ([`reply::created`], [`reply::deleted`]).
    pub done_reply: String,
}

impl std::fmt::Debug for CalendarJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarJob")
            .field("action", &self.action)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// A job a worker claimed and must now attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub job: CalendarJob,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    /// The claim's lease end, which identifies the claim.
    pub lease_until: UnixMillis,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The write took effect (now or by an earlier attempt): audit it and send `reply`.
    Done { audit: AuditEvent, reply: String },
    /// Try again at `at`.
    Retry { reason: String, at: UnixMillis },
    /// Given up: audit it and send `reply`.
    Failed { audit: AuditEvent, reply: String },
}

/// The result of attempting one claimed job, for [`JobStore::record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    pub id: i64,
    pub lease_until: UnixMillis,
    pub outcome: JobOutcome,
}

#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// Nothing was written; try again later.
    #[error("the calendar job store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Durable storage of calendar jobs. Jobs enter it inside the transaction that decided them
/// (the store's ledger); this port covers what happens afterwards.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// MUST atomically take up to `limit` jobs that are pending, due at `now` and not under
    /// another worker's lease, lease them until `now + lease`, and count the attempt. Two
    /// callers (also in two processes on one database) MUST never hold the same job.
    async fn claim_due(
        &self,
        now: UnixMillis,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, JobStoreError>;

    /// MUST record every result in one transaction: the job's new state, its audit event and,
    /// for a settled job, the reply to the user through the outbox (under the message's reply
    /// key, so one message gets one reply). A result whose claim is no longer current MUST be
    /// dropped. A settled job MUST lose its personal data (title, reply text, recipient).
    async fn record(&self, results: Vec<JobResult>, now: UnixMillis) -> Result<(), JobStoreError>;
}

/// How a pass is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobPassConfig {
    pub batch: u32,
    /// Longer than a port call can take (the adapter's deadline), so a lease never expires
    /// under a live attempt.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

impl Default for JobPassConfig {
    fn default() -> Self {
        Self {
            batch: 16,
            lease: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Counts from one [`run_due`] pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobPassReport {
    pub claimed: usize,
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

/// `calendar.event_created` / `calendar.event_deleted` / `calendar.write_failed`: the event id
/// and codes, never the title or the time.
fn event(kind: EventKind, job: &CalendarJob, detail: Detail) -> AuditEvent {
    AuditEvent {
        kind,
        sender: Some(job.owner.clone()),
        detail: detail.with("event", job.action.event_id().as_str()),
    }
}

/// What one attempt of `job` (its `attempts`th) came to, at `at`.
pub fn settle(
    job: &CalendarJob,
    attempts: u32,
    result: Result<Effect, CalendarError>,
    retry: &RetryPolicy,
    at: UnixMillis,
    jitter: f64,
) -> JobOutcome {
    let failed_reply = match job.action {
        JobAction::Insert(_) => reply::NOT_CREATED,
        JobAction::Delete(_) => reply::NOT_DELETED,
    };
    let give_up = |reason: &str| JobOutcome::Failed {
        audit: event(
            EventKind::CalendarWriteFailed,
            job,
            Detail::new()
                .with("action", action_name(&job.action))
                .with("reason", reason)
                .with("attempts", attempts),
        ),
        reply: failed_reply.to_owned(),
    };
    match result {
        Ok(effect) => {
            let (kind, found) = match effect {
                Effect::Inserted(Inserted::Created) => (EventKind::CalendarEventCreated, "created"),
                Effect::Inserted(Inserted::AlreadyExisted) => {
                    (EventKind::CalendarEventCreated, "already_existed")
                }
                Effect::Deleted(Deleted::Deleted) => (EventKind::CalendarEventDeleted, "deleted"),
                Effect::Deleted(Deleted::AlreadyGone) => {
                    (EventKind::CalendarEventDeleted, "already_gone")
                }
            };
            JobOutcome::Done {
                audit: event(
                    kind,
                    job,
                    Detail::new()
                        .with("result", found)
                        .with("attempts", attempts),
                ),
                reply: job.done_reply.clone(),
            }
        }
        Err(CalendarError::Disabled { reason }) => give_up(reason),
        Err(CalendarError::Permanent { reason }) => give_up(&reason),
        Err(CalendarError::Retryable {
            reason,
            retry_after,
        }) => {
            let as_send = SendError::Retryable {
                reason: reason.clone(),
                retry_after,
            };
            match retry.after_failure(attempts, &as_send, jitter) {
                RetryDecision::RetryAfter(delay) => {
                    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                    JobOutcome::Retry {
                        reason,
                        at: UnixMillis(at.as_i64().saturating_add(delay_ms)),
                    }
                }
                RetryDecision::GiveUp => give_up(&reason),
            }
        }
    }
}

/// What a successful port call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Inserted(Inserted),
    Deleted(Deleted),
}

fn action_name(action: &JobAction) -> &'static str {
    match action {
        JobAction::Insert(_) => "insert",
        JobAction::Delete(_) => "delete",
    }
}

/// Claims due jobs, calls the calendar for each (concurrently), records every result in one
/// transaction. `now` and `jitter` are injected so that the pass stays deterministic in tests.
pub async fn run_due(
    store: &dyn JobStore,
    calendar: &dyn Calendar,
    config: &JobPassConfig,
    now: &(dyn Fn() -> UnixMillis + Sync),
    jitter: &(dyn Fn() -> f64 + Sync),
) -> Result<JobPassReport, JobStoreError> {
    let claimed = store.claim_due(now(), config.lease, config.batch).await?;
    let mut report = JobPassReport {
        claimed: claimed.len(),
        ..JobPassReport::default()
    };
    if claimed.is_empty() {
        return Ok(report);
    }
    let attempts = claimed.iter().map(|c| async move {
        let result = match &c.job.action {
            JobAction::Insert(event) => calendar.insert(event).await.map(Effect::Inserted),
            JobAction::Delete(id) => calendar.delete(id).await.map(Effect::Deleted),
        };
        (c, result)
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let at = now();
    let results = outcomes
        .into_iter()
        .map(|(c, result)| {
            let outcome = settle(&c.job, c.attempts, result, &config.retry, at, jitter());
            match &outcome {
                JobOutcome::Done { .. } => report.done += 1,
                JobOutcome::Retry { .. } => report.retried += 1,
                JobOutcome::Failed { .. } => report.failed += 1,
            }
            JobResult {
                id: c.id,
                lease_until: c.lease_until,
                outcome,
            }
        })
        .collect();
    store.record(results, at).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_commands::TaskTitle;

    fn owner() -> SenderId {
        SenderId::from_hex("00112233445566778899aabbccddeeff").unwrap()
    }

    fn insert_job() -> CalendarJob {
        CalendarJob {
            action: JobAction::Insert(NewEvent {
                id: EventId::parse("abcdefghij").unwrap(),
                owner: owner(),
                title: TaskTitle::new("call mum").unwrap(),
                start: UnixMillis(1_000_000),
                end: UnixMillis(2_800_000),
                zone: "UTC".into(),
                popup_minutes_before: 10,
            }),
            owner: owner(),
            done_reply: "Reminder set: call mum".into(),
        }
    }

    fn retryable(after: Option<Duration>) -> CalendarError {
        CalendarError::Retryable {
            reason: "http_503".into(),
            retry_after: after,
        }
    }

    #[test]
    fn an_event_found_already_created_is_success_with_the_confirmation() {
        let job = insert_job();
        let policy = RetryPolicy::default();
        for inserted in [Inserted::Created, Inserted::AlreadyExisted] {
            let outcome = settle(
                &job,
                2,
                Ok(Effect::Inserted(inserted)),
                &policy,
                UnixMillis(0),
                0.0,
            );
            let JobOutcome::Done { audit, reply } = outcome else {
                panic!("{outcome:?}")
            };
            assert_eq!(audit.kind, EventKind::CalendarEventCreated);
            assert_eq!(reply, "Reminder set: call mum");
        }
    }

    #[test]
    fn a_retry_waits_at_least_what_retry_after_asks() {
        let outcome = settle(
            &insert_job(),
            1,
            Err(retryable(Some(Duration::from_secs(120)))),
            &RetryPolicy::default(),
            UnixMillis(1_000),
            0.0,
        );
        assert_eq!(
            outcome,
            JobOutcome::Retry {
                reason: "http_503".into(),
                at: UnixMillis(121_000)
            }
        );
    }

    #[test]
    fn the_last_attempt_and_a_revoked_grant_give_up_with_the_failure_reply() {
        let policy = RetryPolicy::default();
        for (attempts, error) in [
            (policy.max_attempts, retryable(None)),
            (
                1,
                CalendarError::Disabled {
                    reason: "invalid_grant",
                },
            ),
            (
                1,
                CalendarError::Permanent {
                    reason: "http_400".into(),
                },
            ),
        ] {
            let outcome = settle(
                &insert_job(),
                attempts,
                Err(error),
                &policy,
                UnixMillis(0),
                0.5,
            );
            let JobOutcome::Failed { audit, reply } = outcome else {
                panic!("{outcome:?}")
            };
            assert_eq!(audit.kind, EventKind::CalendarWriteFailed);
            assert_eq!(reply, reply::NOT_CREATED);
        }
    }

    #[test]
    fn the_audit_names_the_event_never_the_title() {
        let JobOutcome::Done { audit, .. } = settle(
            &insert_job(),
            1,
            Ok(Effect::Inserted(Inserted::Created)),
            &RetryPolicy::default(),
            UnixMillis(0),
            0.0,
        ) else {
            panic!()
        };
        let shown = format!("{audit:?}");
        assert!(shown.contains("abcdefghij"), "{shown}");
        assert!(!shown.contains("call mum"), "{shown}");
        assert!(!format!("{:?}", insert_job()).contains("call mum"));
    }
}
