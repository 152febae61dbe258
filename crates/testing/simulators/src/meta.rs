//! Meta's WhatsApp Cloud API webhook, as Meta posts it: JSON payloads shaped like the real ones
//! (see `crates/adapters/meta/tests/fixtures`), signed over the exact bytes sent, and the
//! subscription handshake.

use std::sync::Arc;

use secrecy::SecretString;
use serde_json::{json, Value};
use warden_meta::SignatureVerifier;
use warden_types::{Clock, PhoneNumber};

use crate::{Exchange, SimulatorError};

/// The Graph id of the simulated business phone number (Meta's documentation sample).
pub const META_PHONE_NUMBER_ID: &str = "106540352242922";
/// The simulated WhatsApp Business Account id.
const WABA_ID: &str = "102290129340398";
/// The business number's display form, as Meta puts it in `metadata`.
const DISPLAY_PHONE_NUMBER: &str = "15550783881";
/// The sender's WhatsApp profile name, as Meta puts it in `contacts`.
const PROFILE_NAME: &str = "Sheena Nelson";

/// A fresh WhatsApp message id in the shape Meta uses (`wamid.` and base64).
pub fn new_wamid() -> String {
    format!("wamid.HBgL{}=", crate::random_hex(24).to_uppercase())
}

/// Posts Meta Cloud API webhooks to a Warden, signed with the app secret as Meta signs them.
#[derive(Clone)]
pub struct MetaSimulator {
    http: reqwest::Client,
    endpoint: String,
    signer: Arc<SignatureVerifier>,
    /// Stamps the messages and statuses (Meta sends whole seconds).
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MetaSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaSimulator")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// An answer to the subscription handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl MetaSimulator {
    /// `endpoint`: where to connect (`http://127.0.0.1:port`); payloads are addressed to
    /// [`META_PHONE_NUMBER_ID`] and stamped with `clock`'s time.
    pub fn new(endpoint: &str, app_secret: SecretString, clock: Arc<dyn Clock>) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: format!("{endpoint}/webhooks/meta"),
            signer: Arc::new(SignatureVerifier::new(app_secret)),
            clock,
        }
    }

    /// Meta's `timestamp`: whole seconds, as a string.
    fn timestamp(&self) -> String {
        (self.clock.now().as_i64() / 1000).to_string()
    }

    /// One inbound message object, `type` and its content object as Meta nests them.
    pub fn message(&self, from: &PhoneNumber, wamid: &str, kind: &str, content: Value) -> Value {
        let mut m = json!({
            "from": from.as_e164().trim_start_matches('+'),
            "id": wamid,
            "timestamp": self.timestamp(),
            "type": kind,
        });
        m[kind] = content;
        m
    }

    pub fn text(&self, from: &PhoneNumber, wamid: &str, body: &str) -> Value {
        self.message(from, wamid, "text", json!({ "body": body }))
    }

    /// An image with a caption (no text Warden reads).
    pub fn image(&self, from: &PhoneNumber, wamid: &str) -> Value {
        self.message(
            from,
            wamid,
            "image",
            json!({
                "caption": "Holiday photo",
                "mime_type": "image/jpeg",
                "sha256": "6KMdW1gcA6dKsjIeL2pu9MztA8JoxT3N/nWvaFqIpAw=",
                "id": "1003383421387256"
            }),
        )
    }

    /// A status callback for a message the business sent.
    pub fn status(
        &self,
        wamid: &str,
        status: &str,
        to: &PhoneNumber,
        error_code: Option<i64>,
    ) -> Value {
        let mut s = json!({
            "id": wamid,
            "status": status,
            "timestamp": self.timestamp(),
            "recipient_id": to.as_e164().trim_start_matches('+'),
        });
        if let Some(code) = error_code {
            s["errors"] = json!([{
                "code": code,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": { "details": "Message failed to send." },
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
            }]);
        }
        s
    }

    /// The whole delivery: one entry, one `messages` change with `messages` and `statuses`.
    pub fn envelope(&self, messages: Vec<Value>, statuses: Vec<Value>) -> Value {
        let contacts: Vec<Value> = messages
            .iter()
            .map(|m| json!({ "profile": { "name": PROFILE_NAME }, "wa_id": m["from"] }))
            .collect();
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_PHONE_NUMBER,
                "phone_number_id": META_PHONE_NUMBER_ID,
            },
        });
        if !messages.is_empty() {
            value["contacts"] = Value::Array(contacts);
            value["messages"] = Value::Array(messages);
        }
        if !statuses.is_empty() {
            value["statuses"] = Value::Array(statuses);
        }
        json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": WABA_ID,
                "changes": [{ "value": value, "field": "messages" }],
            }],
        })
    }

    /// The payload Meta posts for one inbound text message, as one line of JSON.
    pub fn text_payload(&self, from: &PhoneNumber, body: &str, wamid: &str) -> String {
        self.envelope(vec![self.text(from, wamid, body)], vec![])
            .to_string()
    }

    /// The `X-Hub-Signature-256` value Meta would send with `raw`.
    pub fn sign(&self, raw: &[u8]) -> String {
        self.signer.sign(raw)
    }

    /// Serialises `payload` (non-ASCII as raw UTF-8), signs exactly those bytes and posts them.
    pub async fn post(&self, payload: &Value) -> Result<Exchange, SimulatorError> {
        let raw = serde_json::to_vec(payload)?;
        let signature = self.sign(&raw);
        self.post_raw(raw, Some(&signature)).await
    }

    /// Posts `payload` signed with the wrong app secret.
    pub async fn send_forged(&self, payload: &Value) -> Result<Exchange, SimulatorError> {
        let raw = serde_json::to_vec(payload)?;
        let forger = SignatureVerifier::new(SecretString::from("not-the-app-secret".to_owned()));
        let signature = forger.sign(&raw);
        self.post_raw(raw, Some(&signature)).await
    }

    /// A text message from `from` with a fresh wamid.
    pub async fn send(&self, from: &PhoneNumber, body: &str) -> Result<Exchange, SimulatorError> {
        self.send_with_wamid(from, body, &new_wamid()).await
    }

    pub async fn send_with_wamid(
        &self,
        from: &PhoneNumber,
        body: &str,
        wamid: &str,
    ) -> Result<Exchange, SimulatorError> {
        self.post(&self.envelope(vec![self.text(from, wamid, body)], vec![]))
            .await
    }

    /// Posts `raw` as JSON with an optional `X-Hub-Signature-256`.
    pub async fn post_raw(
        &self,
        raw: Vec<u8>,
        signature: Option<&str>,
    ) -> Result<Exchange, SimulatorError> {
        self.post_typed(raw, "application/json", signature).await
    }

    /// Posts `raw` with `content_type` and an optional `X-Hub-Signature-256`.
    pub async fn post_typed(
        &self,
        raw: Vec<u8>,
        content_type: &str,
        signature: Option<&str>,
    ) -> Result<Exchange, SimulatorError> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("content-type", content_type)
            .body(raw);
        if let Some(sig) = signature {
            req = req.header(warden_meta::SIGNATURE_HEADER, sig);
        }
        let resp = req
            .send()
            .await
            .map_err(SimulatorError::http("posting the Meta webhook"))?;
        let status = resp.status().as_u16();
        let body = resp
            .text()
            .await
            .map_err(SimulatorError::http("reading the answer"))?;
        Ok(Exchange { status, body })
    }

    /// Meta's `GET` subscription handshake with the given query parameters.
    pub async fn handshake(&self, query: &[(&str, &str)]) -> Result<Handshake, SimulatorError> {
        let resp = self
            .http
            .get(&self.endpoint)
            .query(query)
            .send()
            .await
            .map_err(SimulatorError::http("sending the handshake"))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp
            .text()
            .await
            .map_err(SimulatorError::http("reading the answer"))?;
        Ok(Handshake {
            status,
            content_type,
            body,
        })
    }

    /// The handshake Meta performs when the webhook URL is saved: `subscribe` with
    /// `verify_token`, expecting `challenge` back.
    pub async fn subscribe(
        &self,
        verify_token: &str,
        challenge: &str,
    ) -> Result<Handshake, SimulatorError> {
        self.handshake(&[
            (warden_meta::MODE_PARAM, "subscribe"),
            (warden_meta::VERIFY_TOKEN_PARAM, verify_token),
            (warden_meta::CHALLENGE_PARAM, challenge),
        ])
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct At(i64);

    impl Clock for At {
        fn now(&self) -> warden_types::UnixMillis {
            warden_types::UnixMillis(self.0)
        }
    }

    #[test]
    fn payloads_are_meta_webhooks_the_adapter_reads() {
        let sim = MetaSimulator::new(
            "http://unused",
            SecretString::from("s".to_owned()),
            Arc::new(At(1_750_263_773_500)),
        );
        let from = PhoneNumber::parse("+447700900123").unwrap();
        let text = sim.text_payload(&from, "add \"quoted\" \\ task\n", "wamid.ABC");
        assert!(!text.contains(['\n', '\t']), "one line per payload");
        let batch = warden_meta::parse_webhook(text.as_bytes()).unwrap();
        assert!(batch.rejected.is_empty());
        let [m] = batch.messages.as_slice() else {
            panic!("one message expected")
        };
        assert_eq!(m.phone_number_id, META_PHONE_NUMBER_ID);
        assert_eq!(m.inbound.from, from);
        assert_eq!(m.inbound.id.as_str(), "wamid.ABC");
        assert_eq!(m.inbound.body.as_str(), "add \"quoted\" \\ task\n");
        assert_eq!(m.kind, warden_meta::MessageKind::Text);
        assert!(text.contains(r#""timestamp":"1750263773""#), "{text}");

        let image = sim.envelope(vec![sim.image(&from, &new_wamid())], vec![]);
        let batch = warden_meta::parse_webhook(image.to_string().as_bytes()).unwrap();
        assert_eq!(batch.messages[0].kind, warden_meta::MessageKind::Media);
    }
}
