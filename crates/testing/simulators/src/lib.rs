//! The providers' side of the wire, for `warden demo`, the acceptance suite and the benchmark.
//!
//! Simulators speak to a Warden as the providers do: [`TwilioSimulator`] posts form webhooks
//! signed exactly as Twilio signs them, [`MetaSimulator`] posts Cloud API payloads signed with
//! `X-Hub-Signature-256` and performs the subscription handshake. Mocks stand where Warden
//! calls out, each a local HTTP server that speaks the real API's wire format, checks what it
//! receives and records it: [`MockGraph`] (Meta's Graph API), [`MockTwilioApi`] (Twilio's
//! Messages and Calls APIs), [`MockModel`] (Ollama's `/api/chat` or Gemini's
//! `generateContent`) and [`MockGoogle`] (Google's token endpoint and Calendar events).
//!
//! One copy of each, so the demo, the tests and the benchmark exercise the same wire formats.
//! The mocks are axum servers rather than wiremock ones because the demo, a product command,
//! runs them: the release binary keeps to the HTTP stack it already has. Tests script failures
//! with [`CannedReply`] and read what arrived with [`ReceivedRequest`].

mod google;
mod graph;
mod meta;
mod model;
mod server;
mod twilio;
mod twilio_api;

pub use google::{MockGoogle, StoredEvent, CALENDAR_EVENTS_SCOPE};
pub use graph::{GraphOptions, GraphRefusal, MockGraph};
pub use meta::{new_wamid, Handshake, MetaSimulator, META_PHONE_NUMBER_ID};
pub use model::{advice, MockModel, ModelApi};
pub use server::{poll_until, CannedReply, MockServer, ReceivedRequest, Recorded, Sent};
pub use twilio::{TwilioSimulator, TWILIO_ACCOUNT_SID, TWILIO_WHATSAPP_NUMBER};
pub use twilio_api::MockTwilioApi;

/// One answered request: what a webhook (or the handshake) answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub body: String,
}

impl Exchange {
    /// The text inside `<Message>` of a TwiML answer, unescaped; `None` for an empty response.
    pub fn reply(&self) -> Option<String> {
        let start = self.body.find("<Message>")? + "<Message>".len();
        let end = self.body.find("</Message>")?;
        Some(
            self.body[start..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    }
}

/// Why a simulator or a mock could not do its part. Carries no body, token or number.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("binding the {name}")]
    Bind {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the {name} stopped with an error")]
    Serve {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the {name} panicked")]
    Panicked { name: &'static str },
    /// A request to the gateway failed (`what`: "posting the webhook", …).
    #[error("{what}")]
    Http {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("encoding a payload as JSON")]
    Json(#[from] serde_json::Error),
}

impl SimulatorError {
    fn http(what: &'static str) -> impl FnOnce(reqwest::Error) -> Self {
        move |source| Self::Http { what, source }
    }
}

/// `bytes` random bytes as hex: the random part of a provider's id (message and call SIDs,
/// wamids).
fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}
