use std::sync::Arc;

use warden_audit::{AuditEvent, Detail, EventKind, Pseudonymizer};
use warden_types::{InboundMessage, Provider};

use crate::{Ledger, LedgerError, Outcome, ReplyVia};

/// The entry point the HTTP edge calls once a provider adapter has authenticated and
/// normalised a webhook.
#[derive(Clone)]
pub struct MessageService {
    ledger: Arc<dyn Ledger>,
    pseudonyms: Arc<Pseudonymizer>,
}

impl std::fmt::Debug for MessageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageService").finish_non_exhaustive()
    }
}

impl MessageService {
    pub fn new(ledger: Arc<dyn Ledger>, pseudonyms: Arc<Pseudonymizer>) -> Self {
        Self { ledger, pseudonyms }
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
        let outcome = self.ledger.handle(sender, msg, via).await;
        match &outcome {
            Ok(Outcome::Duplicate) => tracing::info!("replayed message ignored"),
            Ok(Outcome::Handled { reply }) => tracing::debug!(replied = reply.is_some(), "handled"),
            Err(e) => tracing::error!(error = %e, "message not handled"),
        }
        outcome
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
