//! Stand-ins for the providers' side of the wire: a Meta simulator that posts Cloud API webhooks
//! signed like Meta signs them, and wiremock servers playing Meta's Graph API and Twilio's REST
//! API, which record what the gateway sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use secrecy::SecretString;
use serde_json::{json, Value};
use warden::demo::Exchange;
use warden_meta::SignatureVerifier;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::Person;

/// The business number's Graph id the gateway is configured with (Meta's documentation sample).
pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// The API version the gateway uses by default, and so the path prefix of every send.
pub const GRAPH_VERSION: &str = "v21.0";
/// The business number's display form, as Meta puts it in `metadata`.
const DISPLAY_PHONE_NUMBER: &str = "15550783881";

/// A fresh wamid in the shape Meta uses (`wamid.` and base64).
pub fn new_wamid() -> String {
    format!(
        "wamid.HBgL{}=",
        warden_test_support::random_hex(24).to_uppercase()
    )
}

/// Posts Meta Cloud API webhooks to a gateway, signed with the app secret.
#[derive(Debug, Clone)]
pub struct MetaSimulator {
    http: reqwest::Client,
    endpoint: String,
    signer: Arc<SignatureVerifier>,
}

/// An answer to the subscription handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl MetaSimulator {
    pub fn new(endpoint: &str, app_secret: SecretString) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: format!("{endpoint}/webhooks/meta"),
            signer: Arc::new(SignatureVerifier::new(app_secret)),
        }
    }

    /// One inbound message object, `type` and its content object as Meta nests them.
    pub fn message(from: Person, wamid: &str, kind: &str, content: Value) -> Value {
        let mut m = json!({
            "from": &from.e164[1..],
            "id": wamid,
            "timestamp": "1800000000",
            "type": kind,
        });
        m[kind] = content;
        m
    }

    pub fn text(from: Person, wamid: &str, body: &str) -> Value {
        Self::message(from, wamid, "text", json!({ "body": body }))
    }

    /// A status callback for a message the business sent.
    pub fn status(wamid: &str, status: &str, to: Person, error_code: Option<i64>) -> Value {
        let mut s = json!({
            "id": wamid,
            "status": status,
            "timestamp": "1800000100",
            "recipient_id": &to.e164[1..],
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
    pub fn envelope(messages: Vec<Value>, statuses: Vec<Value>) -> Value {
        let contacts: Vec<Value> = messages
            .iter()
            .map(|m| json!({ "profile": { "name": "Sheena Nelson" }, "wa_id": m["from"] }))
            .collect();
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_PHONE_NUMBER,
                "phone_number_id": PHONE_NUMBER_ID,
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
                "id": "102290129340398",
                "changes": [{ "value": value, "field": "messages" }],
            }],
        })
    }

    pub fn sign(&self, raw: &[u8]) -> String {
        self.signer.sign(raw)
    }

    /// Serialises `payload` (non-ASCII as raw UTF-8), signs exactly those bytes and posts them.
    pub async fn post(&self, payload: &Value) -> Result<Exchange> {
        let raw = serde_json::to_vec(payload)?;
        let signature = self.sign(&raw);
        self.post_raw(raw, Some(&signature)).await
    }

    /// A text message from `from` with a fresh wamid.
    pub async fn send(&self, from: Person, body: &str) -> Result<Exchange> {
        self.send_with_wamid(from, body, &new_wamid()).await
    }

    pub async fn send_with_wamid(&self, from: Person, body: &str, wamid: &str) -> Result<Exchange> {
        self.post(&Self::envelope(vec![Self::text(from, wamid, body)], vec![]))
            .await
    }

    /// Posts `raw` as JSON with an optional `X-Hub-Signature-256`.
    pub async fn post_raw(&self, raw: Vec<u8>, signature: Option<&str>) -> Result<Exchange> {
        self.post_typed(raw, "application/json", signature).await
    }

    /// Posts `raw` with `content_type` and an optional `X-Hub-Signature-256`.
    pub async fn post_typed(
        &self,
        raw: Vec<u8>,
        content_type: &str,
        signature: Option<&str>,
    ) -> Result<Exchange> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("content-type", content_type)
            .body(raw);
        if let Some(sig) = signature {
            req = req.header(warden_meta::SIGNATURE_HEADER, sig);
        }
        let resp = req.send().await.context("posting the Meta webhook")?;
        Ok(Exchange {
            status: resp.status().as_u16(),
            body: resp.text().await?,
        })
    }

    /// Meta's `GET` subscription handshake with the given query parameters.
    pub async fn handshake(&self, query: &[(&str, &str)]) -> Result<Handshake> {
        let resp = self.http.get(&self.endpoint).query(query).send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok(Handshake {
            status,
            content_type,
            body: resp.text().await?,
        })
    }
}

/// Answers a send like the Graph API: `200` with a fresh wamid per request.
#[derive(Debug, Default)]
struct Accepts(AtomicU64);

impl wiremock::Respond for Accepts {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        let to = request
            .body_json::<Value>()
            .ok()
            .and_then(|b| b["to"].as_str().map(str::to_owned))
            .unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": to.trim_start_matches('+') }],
            "messages": [{ "id": format!("wamid.SENT{n:04}{}=", warden_test_support::random_hex(8)) }],
        }))
    }
}

/// A wiremock server playing Meta's Graph API.
#[derive(Debug)]
pub struct GraphMock {
    pub server: MockServer,
}

/// One send the gateway made to the Graph API, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphSend {
    pub to: String,
    pub body: String,
}

impl GraphMock {
    /// No mocks mounted: every request gets wiremock's 404 until one is.
    pub async fn empty() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// Accepts every send.
    pub async fn healthy() -> Self {
        let mock = Self::empty().await;
        mock.accept().await;
        mock
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    fn messages() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path(format!("/{GRAPH_VERSION}/{PHONE_NUMBER_ID}/messages")))
    }

    /// From now on (after mocks mounted earlier are used up) every send is accepted.
    pub async fn accept(&self) {
        Self::messages()
            .respond_with(Accepts::default())
            .mount(&self.server)
            .await;
    }

    /// The next `times` sends get `response`.
    pub async fn answer(&self, response: ResponseTemplate, times: u64) {
        Self::messages()
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Every request the server received, in order.
    pub async fn requests(&self) -> Result<Vec<Request>> {
        self.server
            .received_requests()
            .await
            .context("wiremock records requests by default")
    }

    /// Every send, decoded, after checking that it is a well-formed authenticated Graph send.
    pub async fn sends(&self, access_token: &str) -> Result<Vec<GraphSend>> {
        self.requests()
            .await?
            .iter()
            .map(|r| decode_send(r, access_token))
            .collect()
    }

    /// Polls until the server has received at least `n` requests.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Result<Vec<Request>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.requests().await?;
            if got.len() >= n {
                return Ok(got);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "expected {n} requests at the Graph API within {within:?}, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks method, path, bearer token and JSON shape of a Graph send; returns `to` and the text.
pub fn decode_send(r: &Request, access_token: &str) -> Result<GraphSend> {
    anyhow::ensure!(r.method.as_str() == "POST", "method {}", r.method);
    let want_path = format!("/{GRAPH_VERSION}/{PHONE_NUMBER_ID}/messages");
    anyhow::ensure!(r.url.path() == want_path, "path {}", r.url.path());
    let auth = r
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    anyhow::ensure!(
        auth == format!("Bearer {access_token}"),
        "the send is not authorised with the configured access token"
    );
    let body: Value = r.body_json().context("the send body is JSON")?;
    anyhow::ensure!(body["messaging_product"] == "whatsapp", "{body}");
    anyhow::ensure!(body["type"] == "text", "{body}");
    let to = body["to"].as_str().context("to")?.to_owned();
    anyhow::ensure!(to.starts_with('+'), "to is not +E.164: {to}");
    let text = body["text"]["body"]
        .as_str()
        .context("text.body")?
        .to_owned();
    Ok(GraphSend { to, body: text })
}

/// A Twilio account SID in Twilio's shape, matching the webhook simulator's `AccountSid`.
pub const TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
/// The business's WhatsApp sender number (Twilio's sandbox number).
pub const TWILIO_FROM: &str = "+14155238886";

/// A wiremock server playing Twilio's Messages REST API, answering `201` with a fresh SID.
pub async fn twilio_api() -> MockServer {
    let server = MockServer::start().await;
    let counter = AtomicU64::new(0);
    Mock::given(method("POST"))
        .and(path(format!(
            "/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
        )))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            ResponseTemplate::new(201).set_body_json(json!({
                "sid": format!("SM{n:02}{}", warden_test_support::random_hex(15)),
                "status": "queued",
            }))
        })
        .mount(&server)
        .await;
    server
}
