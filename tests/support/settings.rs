//! What a test may configure, and the configuration it becomes.

use anyhow::Result;
use secrecy::ExposeSecret;
use warden::Config;
use warden_simulators::{
    ModelApi, META_PHONE_NUMBER_ID, TWILIO_ACCOUNT_SID, TWILIO_WHATSAPP_NUMBER,
};

use super::{Person, Secrets, PUBLIC_URL};

/// The OAuth client the test gateways' calendar grant belongs to.
pub const GOOGLE_CLIENT_ID: &str = "warden-acceptance.apps.googleusercontent.com";

/// Optional configuration; everything else is the documented default.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    allowed: Vec<Person>,
    rate_limit: Option<u32>,
    max_body_bytes: Option<usize>,
    account_sid: Option<String>,
    /// Read by [`super::Gateway::start_with`], which builds the URL.
    pub(super) db_password: bool,
    /// `META_GRAPH_URL`; `Some` enables the Meta channel.
    meta_graph_url: Option<String>,
    without_twilio: bool,
    /// `TWILIO_API_URL`; `Some` sets `WARDEN_TWILIO_REPLY=outbox`.
    twilio_api_url: Option<String>,
    outbox_lease_secs: Option<u64>,
    /// `WARDEN_AI_ENABLED=true` with this provider at this URL.
    ai: Option<(ModelApi, String)>,
    /// `WARDEN_GUARD_MODEL`: a second opinion on Ollama at the same URL.
    guard_model: Option<&'static str>,
    /// `WARDEN_MARKET_ENABLED=true` with a generated reference key.
    market: bool,
    /// More `WARDEN_MARKET_*` / calling variables.
    market_env: Vec<(&'static str, String)>,
    /// Twilio REST credentials and API URL, replies still in TwiML.
    twilio_rest_url: Option<String>,
    /// The edge's timeouts and caps (`WARDEN_HEADER_TIMEOUT_SECS`…).
    edge_env: Vec<(&'static str, String)>,
    /// `WARDEN_JWT_KEY` (turning the admin API on, on a free port), with these other admin
    /// variables.
    admin: Option<Vec<(&'static str, String)>>,
    /// `WARDEN_PAIRING_MODE`.
    pairing_mode: Option<&'static str>,
    /// Google Calendar at this URL (token endpoint and API), in this `WARDEN_TIMEZONE`.
    calendar: Option<(String, &'static str)>,
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

    /// `WARDEN_PAIRING_MODE` (`token`, `approval` or `both`).
    pub fn pairing_mode(mut self, mode: &'static str) -> Self {
        self.pairing_mode = Some(mode);
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
    pub fn ai(mut self, model: ModelApi, url: &str) -> Self {
        self.ai = Some((model, url.to_owned()));
        self
    }

    /// A guard model's second opinion (`WARDEN_GUARD_MODEL`) on the advisor's Ollama URL.
    pub fn guard_model(mut self, model: &'static str) -> Self {
        self.guard_model = Some(model);
        self
    }

    /// Enables the concierge marketplace (`WARDEN_MARKET_ENABLED=true`, generated key).
    pub fn market(mut self) -> Self {
        self.market = true;
        self
    }

    /// Sets one of the edge's variables (`WARDEN_HEADER_TIMEOUT_SECS`, `WARDEN_IDLE_TIMEOUT_SECS`,
    /// `WARDEN_MAX_CONNECTIONS`, `WARDEN_MAX_CONNECTIONS_PER_IP`).
    pub fn edge(mut self, var: &'static str, value: u64) -> Self {
        self.edge_env.push((var, value.to_string()));
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
            .market_env("TWILIO_VOICE_FROM", TWILIO_WHATSAPP_NUMBER)
    }

    /// Twilio's REST API at `api_url` with the simulator's account SID and a sender number
    /// (what the marketplace needs for outreach), replies still in TwiML.
    pub fn twilio_rest(mut self, api_url: &str) -> Self {
        self.twilio_rest_url = Some(api_url.to_owned());
        self
    }

    /// The admin API on a free port, with the password pepper.
    pub fn admin(mut self) -> Self {
        self.admin.get_or_insert_with(Vec::new);
        self
    }

    /// The admin API with one more of its variables (`WARDEN_ADMIN_CORS_ORIGINS`…).
    pub fn admin_env(mut self, var: &'static str, value: &str) -> Self {
        self.admin
            .get_or_insert_with(Vec::new)
            .push((var, value.to_owned()));
        self
    }

    /// Google Calendar on: the refresh token, the OAuth client and both Google URLs pointing at
    /// `google_url` (a [`warden_simulators::MockGoogle`]), owner's zone `zone`.
    pub fn calendar(mut self, google_url: &str, zone: &'static str) -> Self {
        self.calendar = Some((google_url.to_owned(), zone));
        self
    }

    /// Puts a generated password into the Postgres URL (the trust-auth server ignores it), so
    /// leak tests can look for it.
    pub fn db_password(mut self) -> Self {
        self.db_password = true;
        self
    }
}

/// The gateway's configuration: `settings` over the defaults, with `secrets` and the database.
pub(super) fn config(settings: &Settings, secrets: &Secrets, database_url: &str) -> Result<Config> {
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
    if let Some(mode) = settings.pairing_mode {
        env.push(("WARDEN_PAIRING_MODE", mode.to_owned()));
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
            ("TWILIO_WHATSAPP_FROM", TWILIO_WHATSAPP_NUMBER.to_owned()),
        ]);
    }
    if let Some(api_url) = &settings.twilio_rest_url {
        env.extend([
            ("TWILIO_API_URL", api_url.clone()),
            ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID.to_owned()),
            ("TWILIO_WHATSAPP_FROM", TWILIO_WHATSAPP_NUMBER.to_owned()),
        ]);
    }
    if let Some(model) = settings.guard_model {
        env.push(("WARDEN_GUARD_MODEL", model.to_owned()));
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
            ("META_PHONE_NUMBER_ID", META_PHONE_NUMBER_ID.to_owned()),
            ("META_GRAPH_URL", graph_url.clone()),
        ]);
    }
    env.extend(settings.edge_env.iter().cloned());
    env.push((
        "WARDEN_PASSWORD_PEPPER",
        secrets.password_pepper.expose_secret().to_owned(),
    ));
    if let Some(admin) = &settings.admin {
        env.extend([
            ("WARDEN_JWT_KEY", secrets.jwt_key.expose_secret().to_owned()),
            ("WARDEN_ADMIN_LISTEN", "127.0.0.1:0".to_owned()),
        ]);
        env.extend(admin.iter().cloned());
    }
    if let Some((url, zone)) = &settings.calendar {
        env.extend([
            ("WARDEN_TIMEZONE", (*zone).to_owned()),
            ("GOOGLE_CLIENT_ID", GOOGLE_CLIENT_ID.to_owned()),
            (
                "GOOGLE_CLIENT_SECRET",
                secrets.google_client_secret.expose_secret().to_owned(),
            ),
            (
                "GOOGLE_REFRESH_TOKEN",
                secrets.google_refresh_token.expose_secret().to_owned(),
            ),
            ("GOOGLE_OAUTH_URL", url.clone()),
            ("GOOGLE_CALENDAR_API_URL", url.clone()),
        ]);
    }
    if let Some(secs) = settings.outbox_lease_secs {
        env.push(("WARDEN_OUTBOX_LEASE_SECS", secs.to_string()));
    }
    match &settings.ai {
        Some((ModelApi::Gemini, url)) => env.extend([
            ("WARDEN_AI_ENABLED", "true".to_owned()),
            ("WARDEN_AI_PROVIDER", "gemini".to_owned()),
            ("WARDEN_AI_TIMEOUT_SECS", "1".to_owned()),
            (
                "GEMINI_API_KEY",
                secrets.gemini_api_key.expose_secret().to_owned(),
            ),
            ("GEMINI_API_URL", url.clone()),
        ]),
        Some((ModelApi::Ollama, url)) => env.extend([
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
