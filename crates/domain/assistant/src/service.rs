use std::sync::Arc;

use warden_audit::{AuditEvent, Detail, EventKind, Pseudonymizer};
use warden_types::{InboundMessage, Provider};

use warden_advisor::{AdviceInput, Advisor};
use warden_marketplace::{CallError, CallPermit, CallPlacer};

use crate::{
    AdviceTicket, FollowUp, Ledger, LedgerError, MarketLedger, MarketTicket, Outcome, ReplyVia,
};

/// The entry point the HTTP edge calls once a provider adapter has authenticated and
/// normalised a webhook.
#[derive(Clone)]
pub struct MessageService {
    ledger: Arc<dyn Ledger>,
    pseudonyms: Arc<Pseudonymizer>,
    advisor: Option<Arc<Advisor>>,
    market: Option<Arc<dyn MarketLedger>>,
    calls: Option<Arc<dyn CallPlacer>>,
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
            calls: None,
        }
    }

    /// Marketplace messages (the assistant's `Policy::marketplace` on) go to `market`; calls it
    /// authorises are placed through `calls` (without one they fail as `not_configured`).
    pub fn with_market(
        mut self,
        market: Arc<dyn MarketLedger>,
        calls: Option<Arc<dyn CallPlacer>>,
    ) -> Self {
        self.market = Some(market);
        self.calls = calls;
        self
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
            other => other,
        };
        match &outcome {
            Ok(Outcome::Duplicate) => tracing::info!("replayed message ignored"),
            Ok(Outcome::Handled { reply }) => tracing::debug!(replied = reply.is_some(), "handled"),
            Ok(Outcome::Advise(_)) => tracing::debug!("handed to the advisor"),
            Ok(Outcome::Market(_)) => tracing::debug!("handed to the marketplace"),
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
        self.ledger
            .follow_up(FollowUp {
                ticket,
                audit,
                reply,
            })
            .await
    }

    /// Runs a committed message's marketplace step (its own transaction), then places the call
    /// it authorised, if any. Returns the reply for [`ReplyVia::Response`].
    async fn market(&self, ticket: MarketTicket) -> Result<Option<String>, LedgerError> {
        let Some(market) = &self.market else {
            return Err(LedgerError::Failed(
                "marketplace message but no marketplace store is wired".into(),
            ));
        };
        let outcome = market.handle(ticket).await?;
        if let Some(permit) = outcome.call {
            self.place_call(&permit).await;
        }
        Ok(outcome.reply)
    }

    /// Places one authorised call (outside any transaction) and audits its outcome
    /// (`calling.placed` with `placed` + `call_sid`, or `failed` + `error`).
    #[tracing::instrument(name = "call", skip_all, fields(sender = permit.client.as_str()))]
    pub async fn place_call(&self, permit: &CallPermit) {
        let result = match &self.calls {
            Some(calls) => calls.place_call(&permit.to, &permit.reference).await,
            None => Err(CallError::Permanent("not_configured")),
        };
        match &result {
            Ok(_) => tracing::info!("call placed"),
            Err(e) => tracing::warn!(error = e.code(), "call not placed"),
        }
        let event = warden_marketplace::consent::call_outcome_event(permit, &result);
        if let Err(e) = self.ledger.audit(event).await {
            tracing::error!(error = %e, "call outcome not audited");
        }
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
