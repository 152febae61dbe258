//! The harness: the real app on an ephemeral port, on a fresh SQLite or Postgres database, with a
//! hand-moved clock, generated secrets and a Twilio simulator that signs like Twilio does.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sea_orm::{ConnectionTrait, Statement};
use secrecy::{ExposeSecret, SecretString};
use warden::demo::{Exchange, TwilioSimulator};
use warden::{Config, Running};
use warden_store::{OutboxView, SqlOutbox, Store};
use warden_test_support::{ManualClock, TestDb};
use warden_types::PhoneNumber;

use crate::providers::{
    GraphMock, MetaSimulator, PHONE_NUMBER_ID, TWILIO_ACCOUNT_SID, TWILIO_FROM,
};

pub use warden_assistant::ReplyText;
pub use warden_test_support::Backend;

/// Generates `sqlite` and `postgres` tests (in a module named after the risk) from one
/// `async fn name(backend: Backend) -> anyhow::Result<()>` next to the macro call.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                super::$name(crate::support::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                super::$name(crate::support::Backend::Postgres).await
            }
        }
    )+};
}

/// A test person: the E.164 number and the national significant number (what a human would
/// type without the country code), both of which must never be stored or logged.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub e164: &'static str,
    pub national: &'static str,
    /// With the national trunk prefix, as written locally (empty where there is none).
    pub local: &'static str,
}

/// Fictional numbers from ranges reserved for drama/testing.
pub const ALICE: Person = Person {
    e164: "+14155550101",
    national: "4155550101",
    local: "",
};
pub const BOB: Person = Person {
    e164: "+447700900123",
    national: "7700900123",
    local: "07700900123",
};
pub const CAROL: Person = Person {
    e164: "+61491570156",
    national: "491570156",
    local: "0491570156",
};
pub const EVERYONE: [Person; 3] = [ALICE, BOB, CAROL];

impl Person {
    pub fn phone(&self) -> PhoneNumber {
        PhoneNumber::parse(self.e164).unwrap_or_else(|e| panic!("test number is E.164: {e}"))
    }

    /// Every spelling of the number a leak could take.
    pub fn needles(&self) -> Vec<&'static str> {
        let mut out = vec![self.e164, &self.e164[1..], self.national];
        if !self.local.is_empty() {
            out.push(self.local);
        }
        out
    }
}

/// The public URL the gateway is configured with (and Twilio signs).
pub const PUBLIC_URL: &str = "https://warden.acceptance.invalid";
/// Where the manual clock starts: 2027-01-15, far from any digit run in the test numbers.
pub const T0_MS: i64 = 1_800_000_000_000;
pub const MINUTE_MS: i64 = 60_000;

/// Generated per gateway, so a leak test knows exactly which strings must never appear.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub twilio_auth_token: SecretString,
    pub pair_token: SecretString,
    pub pseudonym_key: SecretString,
    /// Meta's secrets, generated whether or not the Meta channel is enabled.
    pub meta_app_secret: SecretString,
    pub meta_verify_token: SecretString,
    pub meta_access_token: SecretString,
    /// Gemini's API key, generated whether or not the advisor is enabled.
    pub gemini_api_key: SecretString,
    /// The marketplace's reference key, generated whether or not the marketplace is enabled.
    pub market_ref_key: SecretString,
    /// Set only when [`Settings::db_password`] is used on Postgres (trust auth ignores it).
    pub db_password: Option<SecretString>,
}

impl Secrets {
    fn generate() -> Self {
        Self {
            twilio_auth_token: warden::random_token(),
            pair_token: warden::random_token(),
            pseudonym_key: warden::random_token(),
            meta_app_secret: warden::random_token(),
            meta_verify_token: warden::random_token(),
            meta_access_token: warden::random_token(),
            gemini_api_key: warden::random_token(),
            market_ref_key: warden::random_token(),
            db_password: None,
        }
    }

    pub fn all(&self) -> Vec<String> {
        let mut out = vec![
            self.twilio_auth_token.expose_secret().to_owned(),
            self.pair_token.expose_secret().to_owned(),
            self.pseudonym_key.expose_secret().to_owned(),
            self.meta_app_secret.expose_secret().to_owned(),
            self.meta_verify_token.expose_secret().to_owned(),
            self.meta_access_token.expose_secret().to_owned(),
            self.gemini_api_key.expose_secret().to_owned(),
            self.market_ref_key.expose_secret().to_owned(),
        ];
        out.extend(
            self.db_password
                .iter()
                .map(|p| p.expose_secret().to_owned()),
        );
        out
    }
}

/// Optional configuration; everything else is the documented default.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    allowed: Vec<Person>,
    rate_limit: Option<u32>,
    max_body_bytes: Option<usize>,
    account_sid: Option<String>,
    db_password: bool,
    /// `META_GRAPH_URL`; `Some` enables the Meta channel.
    meta_graph_url: Option<String>,
    without_twilio: bool,
    /// `TWILIO_API_URL`; `Some` sets `WARDEN_TWILIO_REPLY=outbox`.
    twilio_api_url: Option<String>,
    outbox_lease_secs: Option<u64>,
    /// `WARDEN_AI_ENABLED=true` with this provider at this URL.
    ai: Option<(AiModel, String)>,
    /// `WARDEN_MARKET_ENABLED=true` with a generated reference key.
    market: bool,
    /// More `WARDEN_MARKET_*` / calling variables.
    market_env: Vec<(&'static str, String)>,
    /// Twilio REST credentials and API URL, replies still in TwiML.
    twilio_rest_url: Option<String>,
    /// The edge's timeouts and caps (`WARDEN_HEADER_TIMEOUT_SECS`…).
    edge_env: Vec<(&'static str, String)>,
}

/// Which model adapter the advisor talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiModel {
    Gemini,
    Ollama,
}

impl Settings {
    pub fn new() -> Self {
        Self::default()
    }

    /// `WARDEN_ALLOWED_SENDERS`.
    pub fn allow(mut self, who: &[Person]) -> Self {
        self.allowed.extend_from_slice(who);
        self
    }

    /// `WARDEN_RATE_LIMIT_PER_MINUTE`.
    pub fn rate_limit(mut self, per_minute: u32) -> Self {
        self.rate_limit = Some(per_minute);
        self
    }

    /// `WARDEN_MAX_BODY_BYTES`.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// `TWILIO_ACCOUNT_SID`.
    pub fn account_sid(mut self, sid: &str) -> Self {
        self.account_sid = Some(sid.to_owned());
        self
    }

    /// Enables the Meta channel with all four secrets, sending to the Graph API at `graph_url`.
    pub fn meta(mut self, graph_url: &str) -> Self {
        self.meta_graph_url = Some(graph_url.to_owned());
        self
    }

    /// No `TWILIO_*` variables at all: the Twilio channel is disabled.
    pub fn without_twilio(mut self) -> Self {
        self.without_twilio = true;
        self
    }

    /// `WARDEN_TWILIO_REPLY=outbox` with the REST API at `api_url`, the simulator's account SID
    /// and a sender number.
    pub fn twilio_outbox(mut self, api_url: &str) -> Self {
        self.twilio_api_url = Some(api_url.to_owned());
        self
    }

    /// `WARDEN_OUTBOX_LEASE_SECS`.
    pub fn outbox_lease_secs(mut self, secs: u64) -> Self {
        self.outbox_lease_secs = Some(secs);
        self
    }

    /// Enables the LLM advisor on `model`'s API at `url` (a local mock), with the shortest
    /// timeout config allows (1 s).
    pub fn ai(mut self, model: AiModel, url: &str) -> Self {
        self.ai = Some((model, url.to_owned()));
        self
    }

    /// Enables the concierge marketplace (`WARDEN_MARKET_ENABLED=true`, generated key).
    pub fn market(mut self) -> Self {
        self.market = true;
        self
    }

    /// Sets one more marketplace variable (`WARDEN_MARKET_*`, `WARDEN_CALLING_ENABLED`…).
    pub fn market_env(mut self, var: &'static str, value: &str) -> Self {
        self.market_env.push((var, value.to_owned()));
        self
    }

    /// Calling on, through Twilio Voice at the Twilio API URL, with a caller id.
    pub fn calling(self) -> Self {
        self.market_env("WARDEN_CALLING_ENABLED", "true")
            .market_env("TWILIO_VOICE_FROM", TWILIO_FROM)
    }

    /// Sets one of the edge's variables (`WARDEN_HEADER_TIMEOUT_SECS`, `WARDEN_IDLE_TIMEOUT_SECS`,
    /// `WARDEN_MAX_CONNECTIONS`, `WARDEN_MAX_CONNECTIONS_PER_IP`).
    pub fn edge(mut self, var: &'static str, value: u64) -> Self {
        self.edge_env.push((var, value.to_string()));
        self
    }

    /// Twilio's REST API at `api_url` with the simulator's account SID and a sender number
    /// (what the marketplace needs for outreach), replies still in TwiML.
    pub fn twilio_rest(mut self, api_url: &str) -> Self {
        self.twilio_rest_url = Some(api_url.to_owned());
        self
    }

    /// Puts a generated password into the Postgres URL (the trust-auth server ignores it), so
    /// leak tests can look for it.
    pub fn db_password(mut self) -> Self {
        self.db_password = true;
        self
    }
}

/// One Warden under test. Call [`Gateway::finish`] at the end: it verifies the audit chain and
/// shuts the server down.
#[derive(Debug)]
pub struct Gateway {
    pub clock: Arc<ManualClock>,
    pub secrets: Secrets,
    /// Signs with the right auth token for the right public URL, talking to the current server.
    pub twilio: TwilioSimulator,
    /// Signs with the app secret, talking to the current server (whether or not Meta is on).
    pub meta: MetaSimulator,
    http: reqwest::Client,
    settings: Settings,
    database_url: String,
    running: Option<Running>,
    // Declared last: the database outlives the server that uses it; dropping it deletes it.
    _db: TestDb,
}

impl Gateway {
    /// Default settings.
    pub async fn start(backend: Backend) -> Result<Self> {
        Self::start_with(backend, Settings::new()).await
    }

    pub async fn start_with(backend: Backend, settings: Settings) -> Result<Self> {
        let db = TestDb::new(backend).await;
        let mut secrets = Secrets::generate();
        let mut database_url = db.url.clone();
        if settings.db_password && backend == Backend::Postgres {
            let password = warden::random_token();
            database_url = database_url.replacen(
                "postgres://postgres@",
                &format!("postgres://postgres:{}@", password.expose_secret()),
                1,
            );
            anyhow::ensure!(database_url != db.url, "unexpected test Postgres URL shape");
            secrets.db_password = Some(password);
        }
        let store = Store::connect(&database_url).await.context("connecting")?;
        store.migrate().await.context("migrating")?;
        Self::start_on(db, store, settings, secrets, database_url).await
    }

    /// A gateway on a database that exists but was never migrated.
    pub async fn start_unmigrated(backend: Backend) -> Result<Self> {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.context("connecting")?;
        let url = db.url.clone();
        Self::start_on(db, store, Settings::new(), Secrets::generate(), url).await
    }

    /// SQLite whose directory vanished after migration, before the ledger writer could open
    /// its connection: the process is up, the writer is not.
    pub async fn start_without_writer() -> Result<Self> {
        let db = TestDb::new(Backend::Sqlite).await;
        let store = Store::connect(&db.url).await.context("connecting")?;
        store.migrate().await.context("migrating")?;
        let file = db.url.trim_start_matches("sqlite://");
        let dir = std::path::Path::new(file)
            .parent()
            .context("database directory")?;
        std::fs::remove_dir_all(dir).context("removing the database directory")?;
        let url = db.url.clone();
        Self::start_on(db, store, Settings::new(), Secrets::generate(), url).await
    }

    /// Starts the gateway on a store prepared by the caller.
    async fn start_on(
        db: TestDb,
        store: Store,
        settings: Settings,
        secrets: Secrets,
        database_url: String,
    ) -> Result<Self> {
        crate::leaks::install()?;
        let clock = ManualClock::at(T0_MS);
        let running = warden::start_with_store(
            config(&settings, &secrets, &database_url)?,
            store,
            clock.clone(),
            warden_store::WriterConfig::default(),
        )
        .await?;
        Self::with_running(db, running, clock, settings, secrets, database_url)
    }

    /// Wraps a gateway the caller started (e.g. with test hooks).
    fn with_running(
        db: TestDb,
        running: Running,
        clock: Arc<ManualClock>,
        settings: Settings,
        secrets: Secrets,
        database_url: String,
    ) -> Result<Self> {
        let twilio = simulator(&running, &secrets);
        let meta = meta_simulator(&running, &secrets);
        Ok(Self {
            clock,
            secrets,
            twilio,
            meta,
            http: reqwest::Client::new(),
            settings,
            database_url,
            running: Some(running),
            _db: db,
        })
    }

    fn running(&self) -> &Running {
        self.running
            .as_ref()
            .unwrap_or_else(|| panic!("the gateway is not running"))
    }

    pub fn store(&self) -> &Store {
        &self.running().store
    }

    /// The address the gateway listens on, for raw TCP clients.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.running().addr
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.running().addr)
    }

    /// A simulator with another public URL or auth token, talking to this server.
    pub fn simulator(&self, public_url: &str, auth_token: SecretString) -> TwilioSimulator {
        TwilioSimulator::new(&self.endpoint(), public_url, auth_token)
    }

    /// Stops the server and starts a new one on the same database with the same config, secrets
    /// and clock (a deploy, a crash-restart). [`Gateway::twilio`] then talks to the new one.
    pub async fn restart(&mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await.context("stopping warden")?;
        }
        let running = warden::start(
            config(&self.settings, &self.secrets, &self.database_url)?,
            self.clock.clone(),
        )
        .await
        .context("restarting warden")?;
        self.twilio = simulator(&running, &self.secrets);
        self.meta = meta_simulator(&running, &self.secrets);
        self.running = Some(running);
        Ok(())
    }

    /// Another instance on the same database, config, secrets and clock (horizontal scaling).
    pub async fn another_instance(&self) -> Result<(Running, TwilioSimulator)> {
        let running = warden::start(
            config(&self.settings, &self.secrets, &self.database_url)?,
            self.clock.clone(),
        )
        .await
        .context("starting a second instance")?;
        let twilio = simulator(&running, &self.secrets);
        Ok((running, twilio))
    }

    pub async fn send(&self, who: Person, body: &str) -> Result<Exchange> {
        self.twilio.send(&who.phone(), body).await
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
        self.twilio.post(&encode(form)?, Some(&signature)).await
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

    /// A form POST to `path` with optional extra headers.
    pub async fn http_post_form(&self, path: &str, body: &str) -> Result<Exchange> {
        self.http_post(path, FORM, body.to_owned(), &[]).await
    }

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

    // ---- what the database holds ----

    pub async fn query_i64(&self, sql: &str) -> Result<i64> {
        let db = self.store().connection();
        let row = db
            .query_one(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("no row")?;
        Ok(row.try_get::<i64>("", "n")?)
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> Result<i64> {
        self.query_i64(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await
    }

    /// Audit rows of `kind`.
    pub async fn count_kind(&self, kind: &str) -> Result<i64> {
        self.query_i64(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE kind = '{kind}'"
        ))
        .await
    }

    pub async fn audit(&self) -> Result<Vec<AuditRow>> {
        Ok(self.store().audit_records(i64::MIN, u64::MAX).await?)
    }

    pub async fn audit_kinds(&self) -> Result<Vec<String>> {
        Ok(self.audit().await?.into_iter().map(|r| r.kind).collect())
    }

    /// Every value of every column of every Warden table, as text, one line per row.
    pub async fn everything_stored(&self) -> Result<String> {
        const TABLES: [(&str, &[&str]); 6] = [
            (
                "inbound_messages",
                &["provider", "message_id", "sender", "received_ms"],
            ),
            ("allowlist", &["sender", "added_ms"]),
            (
                "sender_state",
                &[
                    "sender",
                    "pair_failures",
                    "locked_until_ms",
                    "rate_start_ms",
                    "rate_count",
                    "rate_notified",
                    "next_task_no",
                ],
            ),
            (
                "tasks",
                &["sender", "task_no", "title", "created_ms", "done_ms"],
            ),
            (
                "audit_log",
                &[
                    "seq",
                    "at_ms",
                    "kind",
                    "sender",
                    "detail",
                    "prev_hash",
                    "hash",
                ],
            ),
            ("audit_head", &["id", "seq", "hash"]),
        ];
        let db = self.store().connection();
        let mut out = String::new();
        for (table, columns) in TABLES {
            let select: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("CAST({c} AS TEXT) AS c{i}"))
                .collect();
            let sql = format!("SELECT {} FROM {table}", select.join(", "));
            for row in db
                .query_all(Statement::from_string(db.get_database_backend(), sql))
                .await?
            {
                out.push_str(table);
                for i in 0..columns.len() {
                    let v: Option<String> = row.try_get("", &format!("c{i}"))?;
                    out.push('|');
                    out.push_str(v.as_deref().unwrap_or("NULL"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    // ---- the marketplace ----

    /// The marketplace store, as operator commands reach it.
    pub fn market(&self) -> &warden_store::SqlMarket {
        self.running()
            .market
            .as_ref()
            .unwrap_or_else(|| panic!("the marketplace is not enabled"))
    }

    /// Registers a vendor the way `warden vendor add` does.
    pub async fn add_vendor(&self, name: &str, phone: &str, tags: &str) -> Result<i64> {
        let phone = PhoneNumber::parse(phone).context("vendor phone")?;
        let sender =
            warden_audit::Pseudonymizer::new(self.secrets.pseudonym_key.clone()).sender_id(&phone);
        let tags = tags
            .split(',')
            .map(|t| warden_marketplace::Tag::new(t).context("tag"))
            .collect::<Result<warden_marketplace::TagSet>>()?;
        let name = warden_marketplace::BusinessName::new(name).context("vendor name")?;
        Ok(self.market().add_vendor(name, phone, sender, tags).await?.0)
    }

    // ---- the outbox and the providers' side ----

    /// The outbox as operators reach it (`warden outbox list|retry`).
    pub fn outbox(&self) -> SqlOutbox {
        SqlOutbox::new(self.store().clone())
    }

    /// The one outbox row there is, failing unless there is exactly one.
    pub async fn only_outbox_row(&self) -> Result<OutboxView> {
        let rows = self.outbox().list(false, 100).await?;
        anyhow::ensure!(rows.len() == 1, "expected one outbox row, got {rows:?}");
        rows.into_iter().next().context("one row")
    }

    /// A text column of the first row `sql` returns, selected `AS s`.
    pub async fn query_string(&self, sql: &str) -> Result<Option<String>> {
        let db = self.store().connection();
        let row = db
            .query_one(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("no row")?;
        Ok(row.try_get::<Option<String>>("", "s")?)
    }

    /// The provider's id for outbox message `id` (the wamid Meta answered the send with).
    pub async fn provider_message_id(&self, id: i64) -> Result<String> {
        self.query_string(&format!(
            "SELECT provider_message_id AS s FROM outbox WHERE id = {id}"
        ))
        .await?
        .context("the message has no provider id")
    }

    /// Polls `check` every 20 ms until it holds, failing after `within`.
    pub async fn wait_until<F, Fut>(&self, what: &str, within: Duration, mut check: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let deadline = tokio::time::Instant::now() + within;
        while !check().await? {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "timed out after {within:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Waits until no outbox message is pending: every reply was sent or failed for good.
    pub async fn outbox_settled(&self) -> Result<()> {
        self.wait_until("the outbox to settle", SETTLE, || async {
            Ok(self
                .query_i64("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
                .await?
                == 0)
        })
        .await
    }

    /// Sends `body` over Meta, fails unless it is answered 200, waits for the outbox to settle
    /// and returns the reply the Graph API received (checked for shape, auth and recipient), or
    /// `None` if nothing was sent.
    pub async fn meta_say(
        &self,
        graph: &GraphMock,
        who: Person,
        body: &str,
    ) -> Result<Option<String>> {
        let before = graph.requests().await?.len();
        let answer = self.meta.send(who, body).await?;
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
        graph: &GraphMock,
        before: usize,
        who: Person,
    ) -> Result<Option<String>> {
        self.outbox_settled().await?;
        let sends = graph
            .sends(self.secrets.meta_access_token.expose_secret())
            .await?;
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
    pub async fn meta_pair(&self, graph: &GraphMock, who: Person) -> Result<()> {
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

    /// Stops the server (gracefully) and keeps the database; [`Gateway::restart`] starts it again.
    pub async fn stop_server(&mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await.context("stopping warden")?;
        }
        Ok(())
    }

    /// Another instance on the same database, with `settings` instead of this gateway's, in a
    /// runtime of its own so that [`Doomed::kill`] can stop it the way a killed process stops:
    /// every task dropped wherever it was, nothing flushed, no shutdown code run.
    pub fn doomed_instance(&self, settings: &Settings) -> Result<Doomed> {
        let config = config(settings, &self.secrets, &self.database_url)?;
        let clock = self.clock.clone();
        let secrets = self.secrets.clone();
        std::thread::spawn(move || -> Result<Doomed> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            let running = runtime.block_on(warden::start(config, clock))?;
            let meta = meta_simulator(&running, &secrets);
            Ok(Doomed {
                runtime,
                running,
                meta,
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("starting the doomed instance panicked"))?
    }

    /// Waits for the delivery worker to settle, verifies the audit chain and stops the server.
    ///
    /// Settling first means the chain checked is the whole conversation's, replies included.
    /// Verifies the audit chain, stops the server, and checks that nothing this process logged
    /// (at TRACE) holds a secret or a test phone number.
    pub async fn finish(mut self) -> Result<()> {
        if self.running.is_some() {
            self.outbox_settled().await?;
        }
        if let Some(running) = self.running.take() {
            running.store.verify_audit().await.context("audit chain")?;
            running.shutdown().await?;
        }
        crate::leaks::assert_clean(&self.secrets.all())
    }

    /// Stops the server without verifying anything (for a deliberately broken database).
    pub async fn stop(mut self) -> Result<()> {
        if let Some(running) = self.running.take() {
            running.shutdown().await?;
        }
        Ok(())
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// How long a test waits for the delivery worker before calling it stuck.
pub const SETTLE: Duration = Duration::from_secs(15);

/// A gateway in a runtime of its own, to be killed rather than shut down.
pub struct Doomed {
    runtime: tokio::runtime::Runtime,
    running: Running,
    pub meta: MetaSimulator,
}

impl std::fmt::Debug for Doomed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doomed")
            .field("addr", &self.running.addr)
            .finish_non_exhaustive()
    }
}

impl Doomed {
    /// Drops the runtime with every task in it (the HTTP server, the delivery worker mid-send,
    /// the ledger writer): the in-process equivalent of `kill -9`.
    pub fn kill(self) -> Result<()> {
        let Self {
            runtime, running, ..
        } = self;
        std::thread::spawn(move || {
            // Dropped inside the runtime, without awaiting anything: no graceful shutdown runs.
            runtime.block_on(async move { drop(running) });
            drop(runtime);
        })
        .join()
        .map_err(|_| anyhow::anyhow!("killing the doomed instance panicked"))
    }
}

/// An audit row exactly as stored.
pub type AuditRow = warden_audit::AuditRecord;

fn config(settings: &Settings, secrets: &Secrets, database_url: &str) -> Result<Config> {
    let mut env: Vec<(&str, String)> = vec![
        ("WARDEN_LISTEN", "127.0.0.1:0".to_owned()),
        ("WARDEN_DATABASE_URL", database_url.to_owned()),
        ("WARDEN_PUBLIC_URL", PUBLIC_URL.to_owned()),
        (
            "TWILIO_AUTH_TOKEN",
            secrets.twilio_auth_token.expose_secret().to_owned(),
        ),
        (
            "WARDEN_PAIR_TOKEN",
            secrets.pair_token.expose_secret().to_owned(),
        ),
        (
            "WARDEN_PSEUDONYM_KEY",
            secrets.pseudonym_key.expose_secret().to_owned(),
        ),
    ];
    if !settings.allowed.is_empty() {
        let list: Vec<&str> = settings.allowed.iter().map(|p| p.e164).collect();
        env.push(("WARDEN_ALLOWED_SENDERS", list.join(",")));
    }
    if let Some(n) = settings.rate_limit {
        env.push(("WARDEN_RATE_LIMIT_PER_MINUTE", n.to_string()));
    }
    if let Some(n) = settings.max_body_bytes {
        env.push(("WARDEN_MAX_BODY_BYTES", n.to_string()));
    }
    if let Some(sid) = &settings.account_sid {
        env.push(("TWILIO_ACCOUNT_SID", sid.clone()));
    }
    if let Some(api_url) = &settings.twilio_api_url {
        env.extend([
            ("WARDEN_TWILIO_REPLY", "outbox".to_owned()),
            ("TWILIO_API_URL", api_url.clone()),
            ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID.to_owned()),
            ("TWILIO_WHATSAPP_FROM", TWILIO_FROM.to_owned()),
        ]);
    }
    if let Some(api_url) = &settings.twilio_rest_url {
        env.extend([
            ("TWILIO_API_URL", api_url.clone()),
            ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID.to_owned()),
            ("TWILIO_WHATSAPP_FROM", TWILIO_FROM.to_owned()),
        ]);
    }
    if settings.market {
        env.extend([
            ("WARDEN_MARKET_ENABLED", "true".to_owned()),
            (
                "WARDEN_MARKET_REF_KEY",
                secrets.market_ref_key.expose_secret().to_owned(),
            ),
        ]);
        env.extend(settings.market_env.iter().cloned());
    }
    if settings.without_twilio {
        env.retain(|(k, _)| !k.starts_with("TWILIO_") && *k != "WARDEN_TWILIO_REPLY");
    }
    if let Some(graph_url) = &settings.meta_graph_url {
        env.extend([
            (
                "META_APP_SECRET",
                secrets.meta_app_secret.expose_secret().to_owned(),
            ),
            (
                "META_VERIFY_TOKEN",
                secrets.meta_verify_token.expose_secret().to_owned(),
            ),
            (
                "META_ACCESS_TOKEN",
                secrets.meta_access_token.expose_secret().to_owned(),
            ),
            ("META_PHONE_NUMBER_ID", PHONE_NUMBER_ID.to_owned()),
            ("META_GRAPH_URL", graph_url.clone()),
        ]);
    }
    env.extend(settings.edge_env.iter().cloned());
    if let Some(secs) = settings.outbox_lease_secs {
        env.push(("WARDEN_OUTBOX_LEASE_SECS", secs.to_string()));
    }
    match &settings.ai {
        Some((AiModel::Gemini, url)) => env.extend([
            ("WARDEN_AI_ENABLED", "true".to_owned()),
            ("WARDEN_AI_PROVIDER", "gemini".to_owned()),
            ("WARDEN_AI_TIMEOUT_SECS", "1".to_owned()),
            (
                "GEMINI_API_KEY",
                secrets.gemini_api_key.expose_secret().to_owned(),
            ),
            ("GEMINI_API_URL", url.clone()),
        ]),
        Some((AiModel::Ollama, url)) => env.extend([
            ("WARDEN_AI_ENABLED", "true".to_owned()),
            ("WARDEN_AI_PROVIDER", "ollama".to_owned()),
            ("WARDEN_AI_TIMEOUT_SECS", "1".to_owned()),
            ("OLLAMA_URL", url.clone()),
        ]),
        None => {}
    }
    Ok(Config::from_lookup(|k| {
        env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })?)
}

fn meta_simulator(running: &Running, secrets: &Secrets) -> MetaSimulator {
    MetaSimulator::new(
        &format!("http://{}", running.addr),
        secrets.meta_app_secret.clone(),
    )
}

fn simulator(running: &Running, secrets: &Secrets) -> TwilioSimulator {
    TwilioSimulator::new(
        &format!("http://{}", running.addr),
        PUBLIC_URL,
        secrets.twilio_auth_token.clone(),
    )
}

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

/// Asserts that none of `needles` occurs in `haystack`, naming the needle (not the haystack's
/// neighbourhood, which may be large) and where it was found.
pub fn assert_absent(haystack: &str, needles: &[String], what: &str) {
    for needle in needles {
        if let Some(at) = haystack.find(needle.as_str()) {
            let start = haystack[..at]
                .char_indices()
                .rev()
                .nth(120)
                .map_or(0, |(i, _)| i);
            let end = haystack[at..]
                .char_indices()
                .nth(needle.len() + 120)
                .map_or(haystack.len(), |(i, _)| at + i);
            panic!(
                "{what} contains {needle:?}; context:\n{}",
                &haystack[start..end]
            );
        }
    }
}

/// Every phone-number spelling of every test person.
pub fn phone_needles() -> Vec<String> {
    EVERYONE
        .iter()
        .flat_map(Person::needles)
        .map(str::to_owned)
        .collect()
}
