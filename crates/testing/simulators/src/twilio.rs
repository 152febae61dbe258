//! Twilio's WhatsApp webhook, as Twilio posts it.

use std::sync::Arc;

use secrecy::SecretString;
use warden_twilio::SignatureVerifier;
use warden_types::PhoneNumber;

use crate::{Exchange, SimulatorError};

/// The account SID the simulator puts in `AccountSid` unless told another (Twilio's shape).
pub const TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
/// The business's WhatsApp number (Twilio's sandbox number), E.164.
pub const TWILIO_WHATSAPP_NUMBER: &str = "+14155238886";

/// Speaks Twilio's WhatsApp webhook to a Warden: form fields as Twilio sends them, signed with
/// the auth token exactly as Twilio signs them.
#[derive(Debug, Clone)]
pub struct TwilioSimulator {
    http: reqwest::Client,
    endpoint: String,
    signed_url: String,
    signer: Arc<SignatureVerifier>,
    account_sid: String,
    to: String,
}

impl TwilioSimulator {
    /// `endpoint`: where to connect (`http://127.0.0.1:port`); `public_url`: the base Warden is
    /// configured with, which the signature covers.
    pub fn new(endpoint: &str, public_url: &str, auth_token: SecretString) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: format!("{endpoint}/webhooks/twilio"),
            signed_url: format!("{}/webhooks/twilio", public_url.trim_end_matches('/')),
            signer: Arc::new(SignatureVerifier::new(auth_token)),
            account_sid: TWILIO_ACCOUNT_SID.to_owned(),
            to: format!("whatsapp:{TWILIO_WHATSAPP_NUMBER}"),
        }
    }

    pub fn with_account_sid(mut self, sid: &str) -> Self {
        self.account_sid = sid.to_owned();
        self
    }

    /// A fresh Twilio message SID.
    pub fn new_sid() -> String {
        format!("SM{}", crate::random_hex(16))
    }

    /// The form Twilio posts for an inbound WhatsApp text.
    pub fn form(&self, from: &PhoneNumber, body: &str, sid: &str) -> Vec<(String, String)> {
        let wa_id = from.as_e164().trim_start_matches('+').to_owned();
        [
            ("SmsMessageSid", sid.to_owned()),
            ("NumMedia", "0".to_owned()),
            ("ProfileName", "Demo User".to_owned()),
            ("MessageType", "text".to_owned()),
            ("SmsSid", sid.to_owned()),
            ("WaId", wa_id),
            ("SmsStatus", "received".to_owned()),
            ("Body", body.to_owned()),
            ("To", self.to.clone()),
            ("NumSegments", "1".to_owned()),
            ("ReferralNumMedia", "0".to_owned()),
            ("MessageSid", sid.to_owned()),
            ("AccountSid", self.account_sid.clone()),
            ("From", format!("whatsapp:{}", from.as_e164())),
            ("ApiVersion", "2010-04-01".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The `X-Twilio-Signature` Twilio would send with `form`.
    pub fn sign(&self, form: &[(String, String)]) -> String {
        self.signer.sign(&self.signed_url, form)
    }

    /// The encoded body and signature of a webhook, for pre-signing load.
    pub fn signed_request(&self, from: &PhoneNumber, body: &str, sid: &str) -> (String, String) {
        let form = self.form(from, body, sid);
        let signature = self.sign(&form);
        (encode(&form), signature)
    }

    /// Sends a correctly signed message with a fresh SID.
    pub async fn send(&self, from: &PhoneNumber, body: &str) -> Result<Exchange, SimulatorError> {
        self.send_with_sid(from, body, &Self::new_sid()).await
    }

    pub async fn send_with_sid(
        &self,
        from: &PhoneNumber,
        body: &str,
        sid: &str,
    ) -> Result<Exchange, SimulatorError> {
        let form = self.form(from, body, sid);
        let signature = self.sign(&form);
        self.post(&encode(&form), Some(&signature)).await
    }

    /// Sends a message whose signature was made with the wrong key.
    pub async fn send_forged(
        &self,
        from: &PhoneNumber,
        body: &str,
    ) -> Result<Exchange, SimulatorError> {
        let form = self.form(from, body, &Self::new_sid());
        let forger = SignatureVerifier::new(SecretString::from("not-the-auth-token".to_owned()));
        let signature = forger.sign(&self.signed_url, &form);
        self.post(&encode(&form), Some(&signature)).await
    }

    /// Posts a raw body with an optional signature header.
    pub async fn post(
        &self,
        body: &str,
        signature: Option<&str>,
    ) -> Result<Exchange, SimulatorError> {
        let mut req = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(sig) = signature {
            req = req.header("x-twilio-signature", sig);
        }
        let resp = req
            .send()
            .await
            .map_err(SimulatorError::http("posting the webhook"))?;
        let status = resp.status().as_u16();
        let body = resp
            .text()
            .await
            .map_err(SimulatorError::http("reading the answer"))?;
        Ok(Exchange { status, body })
    }
}

fn encode(form: &[(String, String)]) -> String {
    serde_urlencoded::to_string(form).unwrap_or_default()
}
