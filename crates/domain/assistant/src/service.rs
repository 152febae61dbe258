use std::sync::Arc;

use warden_audit::{AuditEvent, Detail, EventKind, Pseudonymizer};
use warden_types::{InboundMessage, Provider};

use warden_advisor::{AdviceInput, Advisor};
use warden_calendar::jobs::{CalendarJob, JobAction};
use warden_calendar::{reply, Calendar, CalendarError, OwnerZone, MAX_LISTED};
use warden_delivery::DeliveryWake;
use warden_types::Clock;

use crate::marketplace::MarketService;
use crate::{
    AdviceTicket, CalendarRead, CalendarTicket, FollowUp, Ledger, LedgerError, MarketTicket,
    Outcome, ReplyVia,
};

/// The calendar the `events` and `unremind` commands read, in the owner's zone.
#[derive(Clone)]
pub struct CalendarReads {
    pub calendar: Arc<dyn Calendar>,
    pub zone: OwnerZone,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CalendarReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarReads")
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

/// The entry point the HTTP edge calls once a provider adapter has authenticated and
/// normalised a webhook.
#[derive(Clone)]
pub struct MessageService {
    ledger: Arc<dyn Ledger>,
    pseudonyms: Arc<Pseudonymizer>,
    advisor: Option<Arc<Advisor>>,
    market: Option<MarketService>,
    wake: Option<Arc<dyn DeliveryWake>>,
    calendar: Option<CalendarReads>,
}

impl std::fmt::Debug for MessageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageService").finish_non_exhaustive()
    }
}

impl MessageService {
    pub fn new(ledger: Arc<dyn Ledger>, pseudonyms: Arc<Pseudonymizer>) -> Self {
        Self {
            ledger,
            pseudonyms,
            advisor: None,
            market: None,
            wake: None,
            calendar: None,
        }
    }

    /// `events` and `unremind` (the assistant's calendar on) read `calendar`.
    pub fn with_calendar(mut self, calendar: CalendarReads) -> Self {
        self.calendar = Some(calendar);
        self
    }

    /// Marketplace messages (the assistant's `Policy::marketplace` on) go to `market`.
    pub fn with_market(mut self, market: MarketService) -> Self {
        self.market = Some(market);
        self
    }

    /// `wake` is told whenever a message's reply (or advice) was committed to the outbox.
    pub fn with_wake(mut self, wake: Arc<dyn DeliveryWake>) -> Self {
        self.wake = Some(wake);
        self
    }

    fn wake(&self) {
        if let Some(wake) = &self.wake {
            wake.wake();
        }
    }

    /// Free text from allowed senders is answered by `advisor` (with the assistant's
    /// `Policy::ai_advice` on).
    pub fn with_advisor(mut self, advisor: Arc<Advisor>) -> Self {
        self.advisor = Some(advisor);
        self
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    /// Pseudonymises the sender before anything is stored or logged, then hands the message
    /// to the ledger's transaction.
    #[tracing::instrument(name = "inbound", skip_all, fields(provider = msg.provider.as_str(), message_id = msg.id.as_str(), sender))]
    pub async fn handle_inbound(
        &self,
        msg: InboundMessage,
        via: ReplyVia,
    ) -> Result<Outcome, LedgerError> {
        let sender = self.pseudonyms.sender_id(&msg.from);
        tracing::Span::current().record("sender", sender.as_str());
        let outcome = match self.ledger.handle(sender, msg, via).await {
            Ok(Outcome::Market(ticket)) => self
                .market(*ticket)
                .await
                .map(|reply| Outcome::Handled { reply }),
            Ok(Outcome::Calendar(ticket)) => self
                .calendar(*ticket)
                .await
                .map(|reply| Outcome::Handled { reply }),
            // The reply was written to the outbox in the message's transaction.
            Ok(Outcome::Handled { reply }) => {
                if via == ReplyVia::Outbox {
                    self.wake();
                }
                Ok(Outcome::Handled { reply })
            }
            other => other,
        };
        match &outcome {
            Ok(Outcome::Duplicate) => tracing::info!("replayed message ignored"),
            Ok(Outcome::Handled { reply }) => tracing::debug!(replied = reply.is_some(), "handled"),
            Ok(Outcome::Advise(_)) => tracing::debug!("handed to the advisor"),
            Ok(Outcome::Market(_)) => tracing::debug!("handed to the marketplace"),
            Ok(Outcome::Calendar(_)) => tracing::debug!("calendar read"),
            Err(e) => tracing::error!(error = %e, "message not handled"),
        }
        outcome
    }

    /// Answers a committed free-text message: the advisor screens it, asks the model and
    /// checks the answer (or falls back to the coded workflow); then the audit of that and the
    /// reply commit together. Returns the reply for [`ReplyVia::Response`].
    ///
    /// Slow (a model call): run it outside the webhook's response when the reply goes
    /// through the outbox.
    #[tracing::instrument(name = "advise", skip_all, fields(sender = ticket.sender.as_str()))]
    pub async fn advise(&self, ticket: AdviceTicket) -> Result<Option<String>, LedgerError> {
        let (reply, audit) = match &self.advisor {
            Some(advisor) => {
                let advice = advisor
                    .advise(AdviceInput {
                        sender: &ticket.sender,
                        message: ticket.msg.body.as_str(),
                        open_tasks: &ticket.open_tasks,
                        region: warden_advisor::Region::of_number(ticket.msg.from.as_e164()),
                    })
                    .await;
                tracing::info!(outcome = ?advice.outcome, "advised");
                (advice.reply, advice.audit)
            }
            // Policy asked for advice but no model is wired: the coded workflow answers.
            None => (
                warden_advisor::FALLBACK_REPLY.to_owned(),
                vec![AuditEvent {
                    kind: EventKind::AiUnavailable,
                    sender: Some(ticket.sender.clone()),
                    detail: Detail::new()
                        .with("provider", "none")
                        .with("error", "not_configured"),
                }],
            ),
        };
        let via = ticket.via;
        let reply = self
            .ledger
            .follow_up(FollowUp {
                ticket,
                audit,
                reply,
                calendar_job: None,
            })
            .await?;
        if via == ReplyVia::Outbox {
            self.wake();
        }
        Ok(reply)
    }

    /// Runs a committed message's marketplace step (its own transaction), then places the call
    /// it authorised, if any. Returns the reply for [`ReplyVia::Response`].
    async fn market(&self, ticket: MarketTicket) -> Result<Option<String>, LedgerError> {
        let Some(market) = &self.market else {
            return Err(LedgerError::Failed(
                "marketplace message but no marketplace is wired".into(),
            ));
        };
        Ok(market.handle(ticket).await?.reply)
    }

    /// Answers a committed `events` or `unremind`: reads the sender's upcoming reminders
    /// (outside any transaction), then commits the audit, the reply and, for `unremind`, the
    /// delete job together. Returns the reply for [`ReplyVia::Response`].
    #[tracing::instrument(name = "calendar", skip_all, fields(sender = ticket.sender.as_str()))]
    async fn calendar(&self, ticket: CalendarTicket) -> Result<Option<String>, LedgerError> {
        let Some(reads) = &self.calendar else {
            return Err(LedgerError::Failed(
                "calendar message but no calendar is wired".into(),
            ));
        };
        let sender = ticket.sender.clone();
        let command = match ticket.read {
            CalendarRead::Events => "events",
            CalendarRead::Unremind(_) => "unremind",
        };
        let executed = |detail: Detail| AuditEvent {
            kind: EventKind::CommandExecuted,
            sender: Some(sender.clone()),
            detail: detail.with("command", command),
        };
        let rejected = |reason: &str| AuditEvent {
            kind: EventKind::CommandRejected,
            sender: Some(sender.clone()),
            detail: Detail::new().with("reason", reason),
        };
        let listed = reads
            .calendar
            .upcoming(&sender, reads.clock.now(), MAX_LISTED)
            .await;
        let (audit, reply, job) = match (listed, ticket.read) {
            (Err(e), _) => {
                tracing::warn!(reason = e.reason(), "calendar read failed");
                let reason = match e {
                    CalendarError::Disabled { .. } => "calendar_disabled",
                    _ => "calendar_unavailable",
                };
                (rejected(reason), reply::UNAVAILABLE.to_owned(), None)
            }
            (Ok(events), CalendarRead::Events) => (
                executed(Detail::new().with("listed", events.len())),
                reply::events(&events, &reads.zone),
                None,
            ),
            (Ok(events), CalendarRead::Unremind(n)) => {
                match events
                    .iter()
                    .find(|e| reply::pick(&events, n) == Some(&e.id))
                {
                    None => (rejected("no_such_event"), reply::no_such_event(n), None),
                    Some(event) => (
                        executed(Detail::new().with("event", event.id.as_str())),
                        crate::CALENDAR_PENDING_REPLY.to_owned(),
                        Some(Box::new(CalendarJob {
                            action: JobAction::Delete(event.id.clone()),
                            owner: sender.clone(),
                            done_reply: reply::deleted(event, &reads.zone),
                        })),
                    ),
                }
            }
        };
        let via = ticket.via;
        let queued_job = job.is_some();
        let reply = self
            .ledger
            .follow_up(FollowUp {
                ticket: AdviceTicket {
                    sender: ticket.sender,
                    msg: ticket.msg,
                    via: ticket.via,
                    open_tasks: Vec::new(),
                },
                audit: vec![audit],
                reply,
                calendar_job: job,
            })
            .await?;
        if via == ReplyVia::Outbox && !queued_job {
            self.wake();
        }
        Ok(reply)
    }

    /// A webhook failed authentication: audited with the provider only, never its content.
    pub async fn report_forged_webhook(
        &self,
        provider: Provider,
        reason: &str,
    ) -> Result<(), LedgerError> {
        self.ledger
            .audit(AuditEvent {
                kind: EventKind::WebhookSignatureInvalid,
                sender: None,
                detail: Detail::new()
                    .with("provider", provider.as_str())
                    .with("reason", reason),
            })
            .await
    }
}
