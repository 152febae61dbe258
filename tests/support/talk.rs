//! Speaking to the gateway: as Twilio, as Meta, and as anyone with an HTTP client.

use anyhow::Result;
use secrecy::{ExposeSecret, SecretString};
use warden_simulators::{Exchange, MockGraph, TwilioSimulator};

use super::{Gateway, Person, ReplyText};

const FORM: &str = "application/x-www-form-urlencoded";

impl Gateway {
    /// A simulator with another public URL or auth token, talking to this server.
    pub fn simulator(&self, public_url: &str, auth_token: SecretString) -> TwilioSimulator {
        TwilioSimulator::new(&self.endpoint(), public_url, auth_token)
    }

    pub async fn send(&self, who: Person, body: &str) -> Result<Exchange> {
        Ok(self.twilio.send(&who.phone(), body).await?)
    }

    /// Sends `body` and returns the reply text, failing unless the answer is a 200.
    pub async fn say(&self, who: Person, body: &str) -> Result<Option<String>> {
        let answer = self.send(who, body).await?;
        anyhow::ensure!(
            answer.status == 200,
            "expected 200, got {}: {}",
            answer.status,
            answer.body
        );
        Ok(answer.reply())
    }

    /// Pairs `who` with the configured token.
    pub async fn pair(&self, who: Person) -> Result<()> {
        let reply = self
            .say(
                who,
                &format!("/pair {}", self.secrets.pair_token.expose_secret()),
            )
            .await?;
        anyhow::ensure!(
            reply.as_deref() == Some(ReplyText::PAIRED),
            "pairing failed: {reply:?}"
        );
        Ok(())
    }

    /// A correctly signed webhook built from `form` (after the caller altered it).
    pub async fn post_signed(&self, form: &[(String, String)]) -> Result<Exchange> {
        let signature = self.twilio.sign(form);
        Ok(self.twilio.post(&encode(form)?, Some(&signature)).await?)
    }

    /// A raw POST to the webhook route.
    pub async fn post_raw(
        &self,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        signature: Option<&str>,
    ) -> Result<Exchange> {
        let mut req = self
            .http
            .post(format!("{}/webhooks/twilio", self.endpoint()))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(sig) = signature {
            req = req.header("x-twilio-signature", sig);
        }
        let resp = req.send().await?;
        Ok(Exchange {
            status: resp.status().as_u16(),
            body: resp.text().await?,
        })
    }

    /// A form POST to `path`.
    pub async fn http_post_form(&self, path: &str, body: &str) -> Result<Exchange> {
        self.http_post(path, FORM, body.to_owned(), &[]).await
    }

    /// A POST to `path` with extra headers.
    pub async fn http_post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        headers: &[(&str, &str)],
    ) -> Result<Exchange> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.endpoint()))
            .header("content-type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await?;
        Ok(Exchange {
            status: resp.status().as_u16(),
            body: resp.text().await?,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Exchange> {
        let resp = self
            .http
            .get(format!("{}{path}", self.endpoint()))
            .send()
            .await?;
        Ok(Exchange {
            status: resp.status().as_u16(),
            body: resp.text().await?,
        })
    }

    /// Sends `body` over Meta, fails unless it is answered 200, waits for the outbox to settle
    /// and returns the reply the Graph API received (checked for shape, auth and recipient), or
    /// `None` if nothing was sent.
    pub async fn meta_say(
        &self,
        graph: &MockGraph,
        who: Person,
        body: &str,
    ) -> Result<Option<String>> {
        // Whatever an earlier action queued (an approval's notice) is delivered first, so it is
        // not mistaken for this message's reply.
        self.outbox_settled().await?;
        let before = graph.requests().len();
        let answer = self.meta.send(&who.phone(), body).await?;
        anyhow::ensure!(
            answer.status == 200,
            "expected 200, got {}: {}",
            answer.status,
            answer.body
        );
        self.new_reply(graph, before, who).await
    }

    /// The single reply to `who` the Graph API received after its first `before` requests, once
    /// the outbox settled.
    pub async fn new_reply(
        &self,
        graph: &MockGraph,
        before: usize,
        who: Person,
    ) -> Result<Option<String>> {
        self.outbox_settled().await?;
        let sends = graph.sends(self.secrets.meta_access_token.expose_secret())?;
        let new = &sends[before..];
        anyhow::ensure!(new.len() <= 1, "more than one reply: {new:?}");
        Ok(match new.first() {
            Some(send) => {
                anyhow::ensure!(send.to == who.e164, "reply to the wrong number");
                Some(send.body.clone())
            }
            None => None,
        })
    }

    /// Pairs `who` over Meta.
    pub async fn meta_pair(&self, graph: &MockGraph, who: Person) -> Result<()> {
        let reply = self
            .meta_say(
                graph,
                who,
                &format!("/pair {}", self.secrets.pair_token.expose_secret()),
            )
            .await?;
        anyhow::ensure!(
            reply.as_deref() == Some(ReplyText::PAIRED),
            "pairing failed: {reply:?}"
        );
        Ok(())
    }
}

/// `form` as Twilio encodes it.
pub fn encode(form: &[(String, String)]) -> Result<String> {
    Ok(serde_urlencoded::to_string(form)?)
}

/// `form` with `key` set to `value` (replacing every copy).
pub fn with_field(form: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| {
            if k == key {
                (k.clone(), value.to_owned())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}
