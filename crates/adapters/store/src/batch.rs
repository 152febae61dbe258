//! One batch of queued jobs → one transaction.
//!
//! What a batch does is decided here, once: [`plan`] runs the replay check, the assistant's
//! decision per message and the audit chain append over state the executor loaded, and returns
//! plain rows. The executors (`exec_postgres` for Postgres, `exec_sqlite` for SQLite) only read
//! what [`Keys`] names and write what [`Writes`] holds, inside their transaction.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use tokio::sync::mpsc;
use warden_assistant::outbox::{enqueued_event, reply_key};
use warden_assistant::{
    AdviceTicket, Assistant, CalendarTicket, Effect, LedgerError, MarketTicket, Outcome, ReplyVia,
    SenderState,
};
use warden_audit::AuditEvent;
use warden_audit::{AuditRecord, ChainHead};
use warden_calendar::jobs::{CalendarJob, JobAction};
use warden_gates::{PairState, RateWindow};
use warden_redaction::Redactor;
use warden_types::{InboundMessage, Provider, SenderId, UnixMillis};

use crate::ledger::Job;

/// What one job resolves to once its batch commits.
pub(crate) enum Resolved {
    Inbound(Outcome),
    Audit,
    FollowUp(Option<String>),
}

/// Commits one batch in one transaction. On error nothing of the batch is written.
#[async_trait(?Send)]
pub(crate) trait Executor {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Resolved>, LedgerError>;
}

/// The writer loop: every job waiting when a transaction starts joins it (group commit, no
/// linger timer, so an idle system commits a lone message at once).
pub(crate) async fn run(mut exec: impl Executor, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let started = std::time::Instant::now();
        let result = exec.commit(&batch).await;
        tracing::trace!(
            jobs = batch.len(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "batch"
        );
        match result {
            Ok(resolved) => {
                for (job, r) in batch.drain(..).zip(resolved) {
                    answer(job, Ok(r));
                }
            }
            // One bad job must not sink its neighbours: retry each alone, so only the job
            // that really fails gets the error.
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, jobs = batch.len(), "batch failed; retrying jobs one by one");
                for job in batch.drain(..) {
                    let r = exec
                        .commit(std::slice::from_ref(&job))
                        .await
                        .and_then(|mut v| {
                            v.pop()
                                .ok_or_else(|| LedgerError::Failed("empty batch result".into()))
                        });
                    answer(job, r);
                }
            }
            Err(e) => {
                if let Some(job) = batch.pop() {
                    answer(job, Err(e));
                }
                batch.clear();
            }
        }
    }
}

fn answer(job: Job, r: Result<Resolved, LedgerError>) {
    // A caller that gave up (client disconnected) is not an error: the work is committed.
    let mismatch = || LedgerError::Failed("job/result mismatch".into());
    match job {
        Job::Inbound { done, .. } => {
            let _ = done.send(r.and_then(|r| match r {
                Resolved::Inbound(o) => Ok(o),
                _ => Err(mismatch()),
            }));
        }
        Job::Audit { done, .. } => {
            let _ = done.send(r.and_then(|r| match r {
                Resolved::Audit => Ok(()),
                _ => Err(mismatch()),
            }));
        }
        Job::FollowUp { done, .. } => {
            let _ = done.send(r.and_then(|r| match r {
                Resolved::FollowUp(reply) => Ok(reply),
                _ => Err(mismatch()),
            }));
        }
    }
}

/// What a batch must read before it can decide.
pub(crate) struct Keys<'a> {
    /// Replay keys of the batch's messages.
    pub inbound: Vec<(Provider, &'a str)>,
    /// Distinct senders of the batch's messages.
    pub senders: Vec<&'a SenderId>,
}

pub(crate) fn keys(jobs: &[Job]) -> Keys<'_> {
    let mut inbound = Vec::with_capacity(jobs.len());
    let mut senders = Vec::with_capacity(jobs.len());
    let mut distinct = HashSet::with_capacity(jobs.len());
    for job in jobs {
        if let Job::Inbound { sender, msg, .. } = job {
            inbound.push((msg.provider, msg.id.as_str()));
            if distinct.insert(sender) {
                senders.push(sender);
            }
        }
    }
    Keys { inbound, senders }
}

/// A sender's gate counters as stored in `sender_state`: the entity row itself.
pub(crate) use crate::entity::sender_state::Model as StateRow;

impl StateRow {
    pub fn from_state(sender: &SenderId, s: &SenderState) -> Self {
        Self {
            sender: sender.as_str().to_owned(),
            pair_failures: i32::try_from(s.pairing.failures).unwrap_or(i32::MAX),
            locked_until_ms: s.pairing.locked_until.map(UnixMillis::as_i64),
            rate_start_ms: s.rate.map(|w| w.start.as_i64()),
            rate_count: s
                .rate
                .map_or(0, |w| i32::try_from(w.count).unwrap_or(i32::MAX)),
            rate_notified: s.rate.is_some_and(|w| w.notified),
            next_task_no: s.next_task_no,
        }
    }

    /// Fills the counters of `s` (tasks and pairing come from their own tables).
    pub fn apply_to(&self, s: &mut SenderState) {
        s.pairing = PairState {
            failures: u32::try_from(self.pair_failures).unwrap_or(0),
            locked_until: self.locked_until_ms.map(UnixMillis),
        };
        s.rate = self.rate_start_ms.map(|start| RateWindow {
            start: UnixMillis(start),
            count: u32::try_from(self.rate_count).unwrap_or(u32::MAX),
            notified: self.rate_notified,
        });
        s.next_task_no = self.next_task_no;
    }
}

pub(crate) struct InboundRow {
    pub provider: &'static str,
    pub message_id: String,
    pub sender: String,
    pub received_ms: i64,
}

pub(crate) struct TaskRow {
    pub sender: String,
    pub task_no: i64,
    pub title: String,
    pub created_ms: i64,
    /// Set when the same batch also completed the task: executors may write all tables at
    /// once (one snapshot), so a completion cannot rely on seeing the insert.
    pub done_ms: Option<i64>,
}

/// A reply to deliver through the outbox (see `entity::outbox`).
pub(crate) struct OutboxRow {
    pub idempotency_key: String,
    pub provider: &'static str,
    pub sender: String,
    pub recipient: String,
    pub body: String,
    pub created_ms: i64,
}

/// A stranger's new pairing request (see `entity::pairing_requests`), always pending.
pub(crate) struct PairingRow {
    pub code: String,
    pub sender: String,
    pub phone: String,
    pub provider: &'static str,
    pub requested_ms: i64,
    pub expires_ms: i64,
}

/// A calendar write to make (see `entity::calendar_jobs`), always pending and due now.
pub(crate) struct CalendarJobRow {
    /// The asking message's reply key: its final reply goes out under it.
    pub reply_key: String,
    pub action: &'static str,
    pub event_id: String,
    pub sender: String,
    pub provider: &'static str,
    /// `None`: the message was answered in the webhook's response; no reply follows.
    pub recipient: Option<String>,
    pub title: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub zone: Option<String>,
    pub done_reply: String,
    pub created_ms: i64,
}

use warden_assistant::CALENDAR_PENDING_REPLY;

/// The row of `job`, asked for by `msg`. The number is kept only when the reply goes through
/// the outbox: with [`ReplyVia::Response`] the webhook's response was the only answer.
fn calendar_row(
    job: &CalendarJob,
    msg: &InboundMessage,
    via: ReplyVia,
    now: UnixMillis,
) -> CalendarJobRow {
    let (action, title, start, end, zone) = match &job.action {
        JobAction::Insert(e) => (
            crate::calendar::INSERT,
            Some(e.title.as_str().to_owned()),
            Some(e.start.as_i64()),
            Some(e.end.as_i64()),
            Some(e.zone.clone()),
        ),
        JobAction::Delete(_) => (crate::calendar::DELETE, None, None, None, None),
    };
    CalendarJobRow {
        reply_key: reply_key(msg.provider, msg.id.as_str()),
        action,
        event_id: job.action.event_id().as_str().to_owned(),
        sender: job.owner.as_str().to_owned(),
        provider: msg.provider.as_str(),
        recipient: (via == ReplyVia::Outbox).then(|| msg.from.as_e164().to_owned()),
        title,
        start_ms: start,
        end_ms: end,
        zone,
        done_reply: job.done_reply.clone(),
        created_ms: now.as_i64(),
    }
}

/// Every row a batch writes, in the order the executor must write them.
pub(crate) struct Writes {
    pub inbound: Vec<InboundRow>,
    /// (sender, added_ms); an existing entry is kept.
    pub allow: Vec<(String, i64)>,
    pub new_tasks: Vec<TaskRow>,
    /// (sender, task_no, done_ms)
    pub done_tasks: Vec<(String, i64, i64)>,
    /// Final counters of every sender the batch touched (upserted).
    pub states: Vec<StateRow>,
    pub outbox: Vec<OutboxRow>,
    pub pairing: Vec<PairingRow>,
    pub calendar_jobs: Vec<CalendarJobRow>,
    pub audit: Vec<AuditRecord>,
    /// The chain head after the batch; unchanged when `audit` is empty.
    pub head: ChainHead,
}

/// The chain row after `head` for `event`, its detail values redacted first: every audit
/// append in the store goes through here, since the chain cannot be redacted afterwards.
pub(crate) fn redacted_append(
    head: &ChainHead,
    now: UnixMillis,
    event: &AuditEvent,
    redactor: &Redactor,
) -> AuditRecord {
    match event.detail.rewritten(|v| redactor.redact(v)) {
        None => warden_audit::append(head, now, event),
        Some(detail) => warden_audit::append(
            head,
            now,
            &AuditEvent {
                kind: event.kind,
                sender: event.sender.clone(),
                detail,
            },
        ),
    }
}

/// Appends `event` to the chain in `w`.
fn append(w: &mut Writes, redactor: &Redactor, now: UnixMillis, event: &AuditEvent) {
    let record = redacted_append(&w.head, now, event, redactor);
    w.head = record.head();
    w.audit.push(record);
}

/// Routes a reply: enqueued in the outbox (audited) under the message's reply key, returned
/// for the response, or dropped for a silent message.
fn deliver(
    w: &mut Writes,
    redactor: &Redactor,
    now: UnixMillis,
    sender: &SenderId,
    msg: &InboundMessage,
    via: ReplyVia,
    body: String,
) -> Option<String> {
    match via {
        ReplyVia::Response => Some(body),
        ReplyVia::Silent => None,
        ReplyVia::Outbox => {
            let key = reply_key(msg.provider, msg.id.as_str());
            let event = enqueued_event(Some(sender.clone()), &key, msg.provider);
            append(w, redactor, now, &event);
            w.outbox.push(OutboxRow {
                idempotency_key: key,
                provider: msg.provider.as_str(),
                sender: sender.as_str().to_owned(),
                recipient: msg.from.as_e164().to_owned(),
                body,
                created_ms: now.as_i64(),
            });
            None
        }
    }
}

/// Decides a batch over the state the executor loaded. Pure: no I/O.
///
/// `seen` holds the batch's replay keys already stored; `states` every sender's stored state
/// (absent senders start from the default); `pairing_backlog` every sender's live pairing
/// codes as stored (kept current here as the batch issues more).
#[allow(
    clippy::too_many_arguments,
    reason = "one batch's inputs, each loaded separately"
)]
pub(crate) fn plan(
    assistant: &Assistant,
    redactor: &Redactor,
    jobs: &[Job],
    head: ChainHead,
    now: UnixMillis,
    seen: &HashSet<(Provider, String)>,
    mut states: HashMap<SenderId, SenderState>,
    mut pairing_backlog: u32,
) -> (Writes, Vec<Resolved>) {
    let mut w = Writes {
        inbound: Vec::with_capacity(jobs.len()),
        allow: Vec::new(),
        new_tasks: Vec::new(),
        done_tasks: Vec::new(),
        states: Vec::new(),
        outbox: Vec::new(),
        pairing: Vec::new(),
        calendar_jobs: Vec::new(),
        audit: Vec::with_capacity(jobs.len() * 3),
        head,
    };
    let mut resolved = Vec::with_capacity(jobs.len());
    let mut batch_ids = HashSet::with_capacity(jobs.len());
    let mut touched: Vec<&SenderId> = Vec::new();
    for job in jobs {
        match job {
            Job::Audit { event, .. } => {
                append(&mut w, redactor, now, event);
                resolved.push(Resolved::Audit);
            }
            Job::FollowUp { follow_up: f, .. } => {
                for event in &f.audit {
                    append(&mut w, redactor, now, event);
                }
                let t = &f.ticket;
                let reply = match &f.calendar_job {
                    Some(job) => {
                        w.calendar_jobs.push(calendar_row(job, &t.msg, t.via, now));
                        (t.via == ReplyVia::Response).then(|| f.reply.clone())
                    }
                    None => deliver(
                        &mut w,
                        redactor,
                        now,
                        &t.sender,
                        &t.msg,
                        t.via,
                        f.reply.clone(),
                    ),
                };
                resolved.push(Resolved::FollowUp(reply));
            }
            Job::Inbound {
                sender, msg, via, ..
            } => {
                let key = (msg.provider, msg.id.as_str().to_owned());
                if seen.contains(&key) || !batch_ids.insert(key) {
                    resolved.push(Resolved::Inbound(Outcome::Duplicate));
                    continue;
                }
                w.inbound.push(InboundRow {
                    provider: msg.provider.as_str(),
                    message_id: msg.id.as_str().to_owned(),
                    sender: sender.as_str().to_owned(),
                    received_ms: now.as_i64(),
                });
                let state = states.entry(sender.clone()).or_default();
                state.pairing_backlog = pairing_backlog;
                let decision = assistant.decide(sender, msg, state, now);
                state.apply(&decision.effects);
                if !touched.contains(&sender) {
                    touched.push(sender);
                }
                for effect in &decision.effects {
                    match effect {
                        Effect::Allowlist => {
                            w.allow.push((sender.as_str().to_owned(), now.as_i64()));
                        }
                        Effect::AddTask { no, title } => w.new_tasks.push(TaskRow {
                            sender: sender.as_str().to_owned(),
                            task_no: *no,
                            title: title.clone(),
                            created_ms: now.as_i64(),
                            done_ms: None,
                        }),
                        Effect::CompleteTask { no } => {
                            let added_now = w
                                .new_tasks
                                .iter_mut()
                                .find(|t| t.task_no == *no && t.sender == sender.as_str());
                            match added_now {
                                Some(task) => task.done_ms = Some(now.as_i64()),
                                None => w.done_tasks.push((
                                    sender.as_str().to_owned(),
                                    *no,
                                    now.as_i64(),
                                )),
                            }
                        }
                        Effect::RequestPairing {
                            code,
                            requested_at,
                            expires_at,
                        } => {
                            pairing_backlog = pairing_backlog.saturating_add(1);
                            w.pairing.push(PairingRow {
                                code: code.as_str().to_owned(),
                                sender: sender.as_str().to_owned(),
                                phone: msg.from.as_e164().to_owned(),
                                provider: msg.provider.as_str(),
                                requested_ms: requested_at.as_i64(),
                                expires_ms: expires_at.as_i64(),
                            });
                        }
                        Effect::Calendar(job) => {
                            w.calendar_jobs.push(calendar_row(job, msg, *via, now));
                        }
                        // Counters are written once per sender from the final state.
                        Effect::SetPairing(_) | Effect::SetRate(_) => {}
                    }
                }
                for event in &decision.audit {
                    append(&mut w, redactor, now, event);
                }
                if let Some(route) = decision.market {
                    resolved.push(Resolved::Inbound(Outcome::Market(Box::new(MarketTicket {
                        sender: sender.clone(),
                        msg: msg.clone(),
                        via: *via,
                        route,
                    }))));
                    continue;
                }
                if let Some(read) = decision.calendar {
                    resolved.push(Resolved::Inbound(Outcome::Calendar(Box::new(
                        CalendarTicket {
                            sender: sender.clone(),
                            msg: msg.clone(),
                            via: *via,
                            read,
                        },
                    ))));
                    continue;
                }
                if decision.advise {
                    resolved.push(Resolved::Inbound(Outcome::Advise(Box::new(AdviceTicket {
                        sender: sender.clone(),
                        msg: msg.clone(),
                        via: *via,
                        open_tasks: state.open_tasks.iter().map(|t| t.title.clone()).collect(),
                    }))));
                    continue;
                }
                let has_job = decision
                    .effects
                    .iter()
                    .any(|e| matches!(e, Effect::Calendar(_)));
                let reply = match decision.reply {
                    Some(body) => deliver(&mut w, redactor, now, sender, msg, *via, body),
                    None if has_job && *via == ReplyVia::Response => {
                        Some(CALENDAR_PENDING_REPLY.to_owned())
                    }
                    None => None,
                };
                resolved.push(Resolved::Inbound(Outcome::Handled { reply }));
            }
        }
    }
    w.states = touched
        .into_iter()
        .filter_map(|s| states.get(s).map(|st| StateRow::from_state(s, st)))
        .collect();
    (w, resolved)
}
