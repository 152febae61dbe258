//! The Meta Cloud API side of `warden demo`: a simulator that speaks Meta's webhook (signed
//! payloads and the subscription handshake) and a mock Graph API that receives the replies the
//! outbox worker sends. The benchmark uses both as well.

#![allow(
    clippy::print_stdout,
    reason = "the demo's output is its user interface"
)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use warden_meta::SignatureVerifier;
use warden_types::PhoneNumber;

use crate::demo::Exchange;
use crate::demo_mock::{abbreviate, indent, poll_until, MockServer, Recorded, Sent};

/// The Graph id of the simulated business phone number (digits, as Meta issues them).
pub const DEMO_PHONE_NUMBER_ID: &str = "106540352242922";
/// The simulated WhatsApp Business Account id.
const DEMO_WABA_ID: &str = "102290129340398";
/// The business number's display form, as Meta puts it in `metadata`.
const DEMO_DISPLAY_NUMBER: &str = "15550783881";

/// Speaks Meta's WhatsApp Cloud API webhook to a Warden: JSON payloads shaped like the real
/// ones (see `crates/adapters/meta/tests/fixtures`), signed with the app secret as Meta signs them.
#[derive(Debug, Clone)]
pub struct MetaSimulator {
    http: reqwest::Client,
    endpoint: String,
    signer: Arc<SignatureVerifier>,
    phone_number_id: String,
}

impl MetaSimulator {
    /// `endpoint`: where to connect (`http://127.0.0.1:port`).
    pub fn new(endpoint: &str, app_secret: SecretString, phone_number_id: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: format!("{endpoint}/webhooks/meta"),
            signer: Arc::new(SignatureVerifier::new(app_secret)),
            phone_number_id: phone_number_id.to_owned(),
        }
    }

    /// A fresh WhatsApp message id.
    pub fn new_wamid() -> String {
        use rand::RngCore;
        let mut b = [0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut b);
        format!("wamid.{}", hex::encode_upper(b))
    }

    /// The payload Meta posts for one inbound text message.
    pub fn text_payload(&self, from: &PhoneNumber, body: &str, wamid: &str) -> String {
        self.payload(
            from,
            wamid,
            &format!(r#""type":"text","text":{{"body":{}}}"#, json_string(body)),
        )
    }

    /// The payload Meta posts for one inbound image (no text Warden could read).
    pub fn image_payload(&self, from: &PhoneNumber, wamid: &str) -> String {
        self.payload(
            from,
            wamid,
            r#""type":"image","image":{"caption":"Holiday photo","mime_type":"image/jpeg","sha256":"6KMdW1gcA6dKsjIeL2pu9MztA8JoxT3N/nWvaFqIpAw=","id":"1003383421387256"}"#,
        )
    }

    fn payload(&self, from: &PhoneNumber, wamid: &str, content: &str) -> String {
        let wa_id = from.as_e164().trim_start_matches('+');
        // Meta sends whole seconds.
        let timestamp = warden_types::Clock::now(&crate::SystemClock).as_i64() / 1000;
        format!(
            concat!(
                r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{waba}","changes":[{{"value":{{"#,
                r#""messaging_product":"whatsapp","metadata":{{"display_phone_number":"{display}","phone_number_id":"{pnid}"}},"#,
                r#""contacts":[{{"profile":{{"name":"Demo User"}},"wa_id":"{wa_id}"}}],"#,
                r#""messages":[{{"from":"{wa_id}","id":{wamid},"timestamp":"{timestamp}",{content}}}]"#,
                r#"}},"field":"messages"}}]}}]}}"#
            ),
            waba = DEMO_WABA_ID,
            display = DEMO_DISPLAY_NUMBER,
            pnid = self.phone_number_id,
            wa_id = wa_id,
            wamid = json_string(wamid),
            timestamp = timestamp,
            content = content,
        )
    }

    /// The `X-Hub-Signature-256` value Meta would send with `payload`.
    pub fn sign(&self, payload: &str) -> String {
        self.signer.sign(payload.as_bytes())
    }

    /// Posts a correctly signed payload.
    pub async fn send(&self, payload: &str) -> anyhow::Result<Exchange> {
        self.post(payload, Some(&self.sign(payload))).await
    }

    /// Posts a payload signed with the wrong app secret.
    pub async fn send_forged(&self, payload: &str) -> anyhow::Result<Exchange> {
        let forger = SignatureVerifier::new(SecretString::from("not-the-app-secret".to_owned()));
        self.post(payload, Some(&forger.sign(payload.as_bytes())))
            .await
    }

    /// Posts a raw payload with an optional signature header.
    pub async fn post(&self, payload: &str, signature: Option<&str>) -> anyhow::Result<Exchange> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/json")
            .body(payload.to_owned());
        if let Some(sig) = signature {
            req = req.header(warden_meta::SIGNATURE_HEADER, sig);
        }
        let resp = req.send().await.context("posting the webhook")?;
        let status = resp.status().as_u16();
        let body = resp.text().await.context("reading the answer")?;
        Ok(Exchange { status, body })
    }

    /// The subscription handshake Meta performs when the webhook URL is saved.
    pub async fn subscribe(&self, verify_token: &str, challenge: &str) -> anyhow::Result<Exchange> {
        let resp = self
            .http
            .get(&self.endpoint)
            .query(&[
                (warden_meta::MODE_PARAM, "subscribe"),
                (warden_meta::VERIFY_TOKEN_PARAM, verify_token),
                (warden_meta::CHALLENGE_PARAM, challenge),
            ])
            .send()
            .await
            .context("sending the handshake")?;
        let status = resp.status().as_u16();
        let body = resp.text().await.context("reading the answer")?;
        Ok(Exchange { status, body })
    }
}

/// `s` as a JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One message the mock Graph API accepted (the recipient as sent, E.164 with `+`).
pub type GraphSend = Sent;

struct GraphState {
    access_token: SecretString,
    phone_number_id: String,
    /// Keep every accepted message (the demo), or only count them (the benchmark).
    record: bool,
    accepted: AtomicU64,
    refused: AtomicU64,
    sends: Recorded<GraphSend>,
    /// When the most recent message was accepted.
    last_accepted: Mutex<Option<Instant>>,
}

/// A stand-in for Meta's Graph API `POST /{version}/{phone-number-id}/messages`: checks the
/// bearer token, the phone number id and the message shape, answers 200 with a fresh wamid
/// as Meta does, and counts (optionally records) what it accepted.
#[derive(Debug)]
pub struct MockGraph {
    pub addr: SocketAddr,
    server: MockServer<GraphState>,
}

#[derive(serde::Deserialize)]
struct SendRequest {
    messaging_product: String,
    to: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<SendText>,
}

#[derive(serde::Deserialize)]
struct SendText {
    body: String,
}

#[derive(serde::Serialize)]
struct SendResponse {
    messaging_product: &'static str,
    contacts: [SendContact; 1],
    messages: [SendId; 1],
}

#[derive(serde::Serialize)]
struct SendContact {
    input: String,
    wa_id: String,
}

#[derive(serde::Serialize)]
struct SendId {
    id: String,
}

impl MockGraph {
    /// Serves on `listen` (port 0 picks a free one).
    pub async fn start(
        listen: SocketAddr,
        access_token: SecretString,
        phone_number_id: &str,
        record: bool,
    ) -> anyhow::Result<Self> {
        let state = GraphState {
            access_token,
            phone_number_id: phone_number_id.to_owned(),
            record,
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            sends: Recorded::default(),
            last_accepted: Mutex::new(None),
        };
        let routes = Router::new().route("/{version}/{phone_number_id}/messages", post(graph_send));
        let server = MockServer::start("mock Graph API", listen, routes, state).await?;
        Ok(Self {
            addr: server.addr,
            server,
        })
    }

    /// The base URL to configure as `META_GRAPH_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Messages accepted so far.
    pub fn accepted(&self) -> u64 {
        self.server.state.accepted.load(Ordering::Acquire)
    }

    /// Requests refused (bad token, wrong number id, malformed message).
    pub fn refused(&self) -> u64 {
        self.server.state.refused.load(Ordering::Acquire)
    }

    /// When the most recent message was accepted.
    pub fn last_accepted_at(&self) -> Option<Instant> {
        self.server.state.last_accepted.lock().ok().and_then(|t| *t)
    }

    /// The recorded messages from index `from` on (empty unless started with `record`).
    pub fn sends_since(&self, from: usize) -> Vec<GraphSend> {
        self.server.state.sends.since(from)
    }

    /// Polls until at least `count` messages were accepted; `false` on timeout.
    pub async fn wait_for(&self, count: u64, timeout: Duration, poll: Duration) -> bool {
        poll_until(timeout, poll, || self.accepted() >= count).await
    }

    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.server.shutdown().await
    }
}

async fn graph_send(
    State(state): State<Arc<GraphState>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(req): Json<SendRequest>,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let refuse = |status: StatusCode, code: u32, message: &'static str| {
        state.refused.fetch_add(1, Ordering::AcqRel);
        let body = format!(
            r#"{{"error":{{"message":"{message}","type":"OAuthException","code":{code}}}}}"#
        );
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    if bearer != Some(state.access_token.expose_secret()) {
        return refuse(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    if phone_number_id != state.phone_number_id {
        return refuse(StatusCode::BAD_REQUEST, 100, "Unknown phone number id.");
    }
    let body = match (req.messaging_product.as_str(), req.kind.as_str(), req.text) {
        ("whatsapp", "text", Some(text)) if PhoneNumber::parse(&req.to).is_ok() => text.body,
        _ => return refuse(StatusCode::BAD_REQUEST, 100, "Invalid parameter."),
    };
    let wa_id = req.to.trim_start_matches('+').to_owned();
    if state.record {
        state.sends.push(GraphSend {
            to: req.to.clone(),
            body,
        });
    }
    if let Ok(mut at) = state.last_accepted.lock() {
        *at = Some(Instant::now());
    }
    state.accepted.fetch_add(1, Ordering::AcqRel);
    Json(SendResponse {
        messaging_product: "whatsapp",
        contacts: [SendContact {
            input: req.to,
            wa_id,
        }],
        messages: [SendId {
            id: MetaSimulator::new_wamid(),
        }],
    })
    .into_response()
}

/// What the demo's Meta leg needs from the demo's setup.
#[derive(Debug)]
pub struct Leg<'a> {
    pub meta: &'a MetaSimulator,
    pub graph: &'a MockGraph,
    pub verify_token: &'a SecretString,
    pub pair_token: &'a SecretString,
    pub store: &'a warden_store::Store,
}

/// How long the demo waits for the worker to deliver one reply (it takes a few milliseconds;
/// the worker's idle tick is 250 ms).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the demo watches for a reply that must not come.
const QUIET_PERIOD: Duration = Duration::from_millis(400);
const POLL: Duration = Duration::from_millis(5);

/// The Meta leg of the demo: handshake, then a conversation through signed payloads whose
/// replies are read back from the mock Graph API.
pub async fn run_leg(leg: &Leg<'_>) -> anyhow::Result<()> {
    println!("\n━━ Meta Cloud API leg: signed JSON webhooks in, replies out through the outbox ━━");
    println!("\n— Meta verifies the webhook URL (subscription handshake):");
    let challenge = "1158201444";
    let ok = leg
        .meta
        .subscribe(leg.verify_token.expose_secret(), challenge)
        .await?;
    println!(
        "  → GET hub.mode=subscribe hub.verify_token=<token> hub.challenge={challenge}\n  ← {} {:?}",
        ok.status, ok.body
    );
    anyhow::ensure!(
        ok.status == 200 && ok.body == challenge,
        "handshake did not echo the challenge"
    );
    let wrong = leg
        .meta
        .subscribe("guessed-verify-token", challenge)
        .await?;
    println!(
        "  → GET with a wrong verify token\n  ← {} (challenge not echoed)",
        wrong.status
    );
    anyhow::ensure!(wrong.status == 403, "wrong verify token was not refused");

    let bob = PhoneNumber::parse("+447700900123").context("demo number")?;
    let mut step = MetaScript {
        leg,
        who: &bob,
        seen: usize::try_from(leg.graph.accepted()).unwrap_or(usize::MAX),
        last_wamid: String::new(),
    };
    println!("\n— A second user writes on WhatsApp via Meta and pairs with the operator's token:");
    let pair = format!("/pair {}", leg.pair_token.expose_secret());
    step.text(&pair, "/pair <token>", "Paired.").await?;
    println!("\n— Commands; each reply is queued in the outbox and sent by the worker:");
    step.text(
        "add Water the plants",
        "add Water the plants",
        "Added task 1",
    )
    .await?;
    let add = step.last_wamid.clone();
    step.text("add Renew passport", "add Renew passport", "Added task 2")
        .await?;
    step.text("list", "list", "2. Renew passport").await?;
    step.text("done 1", "done 1", "Done: Water the plants")
        .await?;

    println!("\n— A forged payload (signed with the wrong app secret) is refused and audited:");
    let forged_payload =
        leg.meta
            .text_payload(&bob, "add Transfer money", &MetaSimulator::new_wamid());
    let forged = leg.meta.send_forged(&forged_payload).await?;
    println!(
        "  → forged \"add Transfer money\"\n  ← {} {:?}",
        forged.status, forged.body
    );
    anyhow::ensure!(forged.status == 403, "forged webhook was not refused");
    step.expect_silence().await?;

    println!("\n— Meta retries (or an attacker replays) an earlier wamid: 200, no second effect:");
    let replay_payload = leg.meta.text_payload(&bob, "add Water the plants", &add);
    let replay = leg.meta.send(&replay_payload).await?;
    println!(
        "  → replay of \"add Water the plants\" ({})\n  ← {}",
        abbreviate(&add, 18),
        replay.status
    );
    anyhow::ensure!(replay.status == 200, "replay was not acknowledged");
    step.expect_silence().await?;
    step.text("list", "list", "1. Renew passport").await?;

    println!("\n— An image: recorded, and answered in text:");
    let image = leg.meta.image_payload(&bob, &MetaSimulator::new_wamid());
    step.payload(&image, "[image]", "I can only read text")
        .await?;

    anyhow::ensure!(
        leg.graph.refused() == 0,
        "the mock Graph API refused {} sends",
        leg.graph.refused()
    );
    println!("\n— warden outbox list (no message text; number and text are erased once sent):");
    // The mock has the last reply as soon as it answered; the worker records the send just
    // after. Wait (bounded) for that record before comparing the two.
    let outbox = warden_store::SqlOutbox::new(leg.store.clone());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let rows = loop {
        let rows = outbox.list(false, 20).await.context("reading the outbox")?;
        let settled = rows.iter().all(|r| r.status != "pending");
        if settled || tokio::time::Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for r in &rows {
        println!(
            "  {:>3}  {:<6} {:<9} attempts={} to={} sender={}",
            r.id,
            r.provider,
            r.status,
            r.attempts,
            r.recipient_masked.as_deref().unwrap_or("(erased)"),
            abbreviate(&r.sender, 18),
        );
    }
    let sent = rows.iter().filter(|r| r.status == "sent").count();
    println!(
        "  Meta leg: {} replies delivered to the Graph API, {sent} outbox rows sent; the forged and replayed webhooks sent nothing.",
        leg.graph.accepted()
    );
    anyhow::ensure!(
        sent == rows.len() && u64::try_from(sent).ok() == Some(leg.graph.accepted()),
        "outbox and Graph API disagree"
    );
    Ok(())
}

struct MetaScript<'a> {
    leg: &'a Leg<'a>,
    who: &'a PhoneNumber,
    /// Graph API sends already shown.
    seen: usize,
    last_wamid: String,
}

impl MetaScript<'_> {
    /// Sends `body` as a text message, printing `shown` instead (so no secret is printed).
    async fn text(&mut self, body: &str, shown: &str, reply: &str) -> anyhow::Result<()> {
        self.last_wamid = MetaSimulator::new_wamid();
        let payload = self.leg.meta.text_payload(self.who, body, &self.last_wamid);
        self.payload(&payload, &format!("{shown:?}"), reply).await
    }

    /// Posts a signed payload, then waits for its one reply at the Graph API.
    async fn payload(&mut self, payload: &str, shown: &str, reply: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let ex = self.leg.meta.send(payload).await?;
        println!(
            "  → {} {shown}\n  ← webhook {}",
            self.who.masked(),
            ex.status
        );
        anyhow::ensure!(
            ex.status == 200,
            "step {shown}: expected HTTP 200, got {}",
            ex.status
        );
        let want = u64::try_from(self.seen + 1).unwrap_or(u64::MAX);
        let delivered = self.leg.graph.wait_for(want, DELIVERY_TIMEOUT, POLL).await;
        anyhow::ensure!(
            delivered,
            "step {shown}: no reply reached the Graph API within {DELIVERY_TIMEOUT:?}"
        );
        let sends = self.leg.graph.sends_since(self.seen);
        self.seen += sends.len();
        let [send] = sends.as_slice() else {
            anyhow::bail!("step {shown}: expected one reply, got {}", sends.len());
        };
        println!(
            "  ⇒ Graph API received for {} after {} ms:{}",
            send.to_masked(),
            started.elapsed().as_millis(),
            indent(&send.body)
        );
        anyhow::ensure!(
            send.to == self.who.as_e164(),
            "step {shown}: reply went to another number"
        );
        anyhow::ensure!(
            send.body.contains(reply),
            "step {shown}: expected a reply containing {reply:?}"
        );
        Ok(())
    }

    /// Checks that nothing reaches the Graph API for a while.
    async fn expect_silence(&mut self) -> anyhow::Result<()> {
        let want = u64::try_from(self.seen + 1).unwrap_or(u64::MAX);
        let sent = self.leg.graph.wait_for(want, QUIET_PERIOD, POLL).await;
        anyhow::ensure!(!sent, "a reply was sent where none may be");
        println!(
            "  ⇒ Graph API received nothing in {} ms",
            QUIET_PERIOD.as_millis()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_meta_webhooks_the_adapter_reads() {
        let sim = MetaSimulator::new(
            "http://unused",
            SecretString::from("s".to_owned()),
            DEMO_PHONE_NUMBER_ID,
        );
        let from = PhoneNumber::parse("+447700900123").unwrap();
        let text = sim.text_payload(&from, "add \"quoted\" \\ task\n", "wamid.ABC");
        let batch = warden_meta::parse_webhook(text.as_bytes()).unwrap();
        assert!(batch.rejected.is_empty());
        let [m] = batch.messages.as_slice() else {
            panic!("one message expected")
        };
        assert_eq!(m.phone_number_id, DEMO_PHONE_NUMBER_ID);
        assert_eq!(m.inbound.from, from);
        assert_eq!(m.inbound.id.as_str(), "wamid.ABC");
        assert_eq!(m.kind, warden_meta::MessageKind::Text);

        let image = sim.image_payload(&from, &MetaSimulator::new_wamid());
        let batch = warden_meta::parse_webhook(image.as_bytes()).unwrap();
        assert_eq!(batch.messages[0].kind, warden_meta::MessageKind::Media);
    }
}
