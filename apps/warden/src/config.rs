//! Configuration from the environment: defaults, then `WARDEN_*`/provider variables, with
//! `*_FILE` variants for secrets so they need not sit in the process environment.
//!
//! Each variable is declared once in [`vars`]; every read goes through one reader (`env::Env`),
//! which accepts only those declarations and keeps each secret it returns. So the list of known
//! variables (the typo check) and the list of secrets (the redactor's) are built from the reads
//! themselves and cannot drift from them.
//!
//! To add a variable: declare it in `vars.rs` (under `secret` if its value is one), then read it
//! in `Config::read` (or the section reader it belongs to) through `env`.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretString};
use warden_types::PhoneNumber;

mod env;
pub mod phone;
pub mod vars;

use env::Env;
pub use vars::KNOWN_VARS;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/warden.db";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required but not set")]
    Missing(&'static str),
    #[error(
        "no channel is configured: set TWILIO_AUTH_TOKEN (Twilio) or META_APP_SECRET (Meta); \
         see .env.example"
    )]
    NoChannel,
    /// Says what is wrong with the value, never the value.
    #[error("{var} is invalid: {why}")]
    Invalid { var: &'static str, why: String },
    #[error("cannot read {var} file")]
    File {
        var: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// How replies to Twilio messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioReply {
    /// In the webhook's response as TwiML: synchronous, no REST credentials needed.
    Twiml,
    /// Through the outbox and Twilio's Messages REST API: retried, with status callbacks.
    Outbox,
}

/// How redaction rewrites a phone number it finds in a log line or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogPhones {
    /// `+44 ••• ••• ••89`.
    Mask,
    /// A keyed pseudonym (under `WARDEN_PSEUDONYM_KEY`), the same for every spelling of a number.
    Pseudonym,
}

/// The Twilio channel; absent (disabled) when `TWILIO_AUTH_TOKEN` is not set.
#[derive(Debug)]
pub struct TwilioChannel {
    pub auth_token: SecretString,
    pub account_sid: Option<String>,
    pub reply: TwilioReply,
    /// Base URL of the REST API (tests point it at a local mock).
    pub api_url: String,
    /// The WhatsApp sender number for REST sends; required with `WARDEN_TWILIO_REPLY=outbox`.
    pub whatsapp_from: Option<PhoneNumber>,
}

/// The Meta Cloud API channel; absent (disabled) when `META_APP_SECRET` is not set.
#[derive(Debug)]
pub struct MetaChannel {
    pub app_secret: SecretString,
    pub verify_token: SecretString,
    pub access_token: SecretString,
    pub phone_number_id: String,
    pub graph_url: String,
    pub graph_api_version: String,
}

/// The model behind the LLM advisor.
pub enum AiProvider {
    Gemini {
        api_key: SecretString,
        /// `GEMINI_API_URL`, else Google's endpoint.
        base_url: Option<String>,
        model: Option<String>,
    },
    Ollama {
        /// `OLLAMA_URL`, else the local default.
        base_url: Option<String>,
        model: Option<String>,
    },
}

impl std::fmt::Debug for AiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AiProvider::Gemini { .. } => "gemini",
            AiProvider::Ollama { .. } => "ollama",
        })
    }
}

/// The LLM advisor; absent (free text gets the help reply) unless `WARDEN_AI_ENABLED=true`.
#[derive(Debug)]
pub struct AiConfig {
    pub provider: AiProvider,
    /// The whole model call, retries included; at most 12 s because Twilio waits 15 s for a
    /// TwiML answer and the HTTP edge times requests out at 15 s.
    pub timeout: std::time::Duration,
    /// Input-guard score at or above which a message is an injection.
    pub guard_threshold: f32,
    /// `WARDEN_GUARD_MODEL`: a guard model on Ollama (`OLLAMA_URL`) asked for a second opinion
    /// on every message the input guard lets through; off when unset.
    pub guard_model: Option<GuardModelSettings>,
    /// `WARDEN_AI_ALLOWED_DOMAINS`: domains a suggestion may mention (comma-separated, each
    /// with its subdomains); empty by default, so any link blocks the answer.
    pub allowed_domains: Vec<String>,
}

/// The second opinion's model and its deadline.
#[derive(Debug, Clone)]
pub struct GuardModelSettings {
    pub model: String,
    pub base_url: Option<String>,
    /// `WARDEN_GUARD_MODEL_TIMEOUT_SECS` (1–5, default 3): it runs before the advisor's own
    /// call, inside the same answer time.
    pub timeout: std::time::Duration,
}

/// The concierge marketplace; absent (its commands are unknown commands) unless
/// `WARDEN_MARKET_ENABLED=true`.
pub struct MarketSettings {
    /// `WARDEN_MARKET_REF_KEY`: request references are derived under it (≥ 16 bytes).
    pub ref_key: SecretString,
    /// Validated against the domain's ceilings.
    pub config: warden_marketplace::MarketConfig,
    /// `WARDEN_MARKET_BATCH_INTERVAL_SECS`: between two outreach batches of one request.
    pub batch_interval_ms: i64,
    /// `TWILIO_VOICE_FROM`: the caller id of calls (required with `WARDEN_CALLING_ENABLED`).
    pub voice_from: Option<PhoneNumber>,
}

impl std::fmt::Debug for MarketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketSettings")
            .field("ref_key", &"<redacted>")
            .field("config", &self.config)
            .field("batch_interval_ms", &self.batch_interval_ms)
            .field("voice_from", &self.voice_from.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// How long data is kept, and how often a running gateway prunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Validated by the domain (replay ids never shorter than the providers' retry window).
    pub policy: warden_privacy::RetentionPolicy,
    /// `None`: no background job (`WARDEN_RETENTION_INTERVAL_SECS=0`; run
    /// `warden retention run` from cron instead).
    pub interval: Option<std::time::Duration>,
}

/// Seconds between two passes unless set: hourly keeps each pass small.
pub const DEFAULT_RETENTION_INTERVAL_SECS: u64 = 3600;

pub struct Config {
    pub listen: SocketAddr,
    pub database_url: SecretString,
    /// The public base URL providers post to (scheme, host, optional port and path prefix),
    /// without a trailing slash. Signatures are computed over it, not over what the proxy sent.
    pub public_url: String,
    pub twilio: Option<TwilioChannel>,
    pub meta: Option<MetaChannel>,
    /// How long a worker may hold an outbox message before another may retry it.
    pub outbox_lease: std::time::Duration,
    /// How phone numbers found in log lines and exports are rewritten.
    pub log_phones: LogPhones,
    /// The country whose national number formats redaction validates (`GB`, `DE`…).
    pub phone_region: Option<warden_redaction::Region>,
    pub allowed_senders: Vec<PhoneNumber>,
    pub pair_token: SecretString,
    /// `WARDEN_PAIRING_MODE`: the shared token, owner-approved codes, or both.
    pub pairing_mode: warden_gates::PairingMode,
    pub pseudonym_key: SecretString,
    pub rate_limit_per_minute: u32,
    pub max_body_bytes: usize,
    /// Timeouts and connection caps of the HTTP edge.
    pub edge: crate::edge::EdgeLimits,
    pub ai: Option<AiConfig>,
    pub market: Option<MarketSettings>,
    /// The admin API, when `WARDEN_JWT_KEY` is set.
    pub admin: Option<AdminSettings>,
    /// Mixed into operator password hashes (`WARDEN_PASSWORD_PEPPER`), for the CLI and the API.
    pub password_pepper: Option<SecretString>,
    pub retention: RetentionSettings,
    /// `WARDEN_TIMEZONE`: the zone `remind` reads wall-clock times in (default UTC).
    pub timezone: warden_calendar::OwnerZone,
    /// Google Calendar, when `GOOGLE_REFRESH_TOKEN` is set.
    pub calendar: Option<warden_google_calendar::GoogleCalendarConfig>,
    /// Every secret value read to build this configuration, collected by the reader.
    secrets: Vec<SecretString>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &db_kind(self.database_url.expose_secret()))
            .field("public_url", &self.public_url)
            .field("twilio", &self.twilio.as_ref().map(|t| t.reply))
            .field("meta", &self.meta.as_ref().map(|_| "<enabled>"))
            .field("outbox_lease", &self.outbox_lease)
            .field("log_phones", &self.log_phones)
            .field("allowed_senders", &self.allowed_senders.len())
            .field("pair_token", &"<redacted>")
            .field("pairing_mode", &self.pairing_mode)
            .field("pseudonym_key", &"<redacted>")
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("edge", &self.edge)
            .field("ai", &self.ai)
            .field("market", &self.market)
            .field("admin", &self.admin)
            .field("password_pepper", &self.password_pepper.is_some())
            .field("retention", &self.retention)
            .field("timezone", &self.timezone)
            .field("calendar", &self.calendar)
            .finish()
    }
}

impl Config {
    /// Every secret value this configuration holds, for exact-match redaction: whatever was
    /// read as a secret (a [`vars::SecretVar`]), so none can be left out.
    pub fn secrets(&self) -> Vec<SecretString> {
        self.secrets.clone()
    }

    /// The redactor for log lines and exports under this configuration.
    pub fn redactor(&self) -> Result<warden_redaction::Redactor, warden_redaction::RedactorError> {
        warden_redaction::Redactor::new(warden_redaction::RedactionConfig {
            phone_mask: match self.log_phones {
                LogPhones::Mask => warden_redaction::PhoneMask::KeepCountryAndLast2,
                LogPhones::Pseudonym => warden_redaction::PhoneMask::Pseudonym {
                    key: self.pseudonym_key.clone(),
                },
            },
            known_secrets: self.secrets(),
            default_region: self.phone_region,
        })
    }
}

/// `WARDEN_LOG_PHONES`: how a phone number found in text is rewritten.
fn read_log_phones(env: &Env<'_>) -> Result<LogPhones, ConfigError> {
    match env.get(vars::LOG_PHONES).as_deref().map(str::trim) {
        None | Some("") | Some("mask") => Ok(LogPhones::Mask),
        Some("pseudonym") => Ok(LogPhones::Pseudonym),
        Some(_) => Err(ConfigError::Invalid {
            var: vars::LOG_PHONES.name(),
            why: "expected mask or pseudonym".into(),
        }),
    }
}

/// `WARDEN_PHONE_REGION`: the country whose national formats the redactor validates.
fn read_phone_region(env: &Env<'_>) -> Result<Option<warden_redaction::Region>, ConfigError> {
    env.non_blank(vars::PHONE_REGION)
        .map(|raw| {
            warden_redaction::Region::parse(&raw).map_err(|_| ConfigError::Invalid {
                var: vars::PHONE_REGION.name(),
                why: "expected an ISO 3166 country code such as GB or DE".into(),
            })
        })
        .transpose()
}

/// The redaction settings of the offline filters (`warden redact`, `warden guard --answers`) on a
/// machine without a gateway configuration: only the redaction variables are read, so
/// `WARDEN_PHONE_REGION=GB warden redact` reads national numbers as British, and a wrong value
/// is an error rather than silently ignored.
pub fn offline_redaction_from_lookup(
    get: impl Fn(&str) -> Option<String>,
) -> Result<warden_redaction::RedactionConfig, ConfigError> {
    let mut env = Env::new(&get);
    let phone_region = read_phone_region(&env)?;
    let phone_mask = match read_log_phones(&env)? {
        LogPhones::Mask => warden_redaction::PhoneMask::KeepCountryAndLast2,
        LogPhones::Pseudonym => {
            let key = env.secret(vars::PSEUDONYM_KEY)?;
            if key.expose_secret().len() < warden_audit::Pseudonymizer::MIN_KEY_BYTES {
                return Err(ConfigError::Invalid {
                    var: vars::PSEUDONYM_KEY.name(),
                    why: format!(
                        "must be at least {} bytes for WARDEN_LOG_PHONES=pseudonym",
                        warden_audit::Pseudonymizer::MIN_KEY_BYTES
                    ),
                });
            }
            warden_redaction::PhoneMask::Pseudonym { key }
        }
    };
    Ok(warden_redaction::RedactionConfig {
        phone_mask,
        known_secrets: Vec::new(),
        default_region: phone_region,
    })
}

pub fn db_kind(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "unknown"
    }
}

/// The process environment as the readers see it. A declared variable whose value is not UTF-8
/// is an error naming it (read as unset, it would silently fall back to its default); every
/// other variable may hold any bytes.
pub fn process_env() -> Result<impl Fn(&str) -> Option<String>, ConfigError> {
    match first_not_unicode(|name| std::env::var_os(name)) {
        Some(var) => Err(ConfigError::Invalid {
            var,
            why: "not valid UTF-8".into(),
        }),
        None => Ok(|k: &str| std::env::var(k).ok()),
    }
}

/// The first declared variable whose value `get` finds and is not UTF-8.
fn first_not_unicode(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<&'static str> {
    KNOWN_VARS
        .iter()
        .copied()
        .find(|name| get(name).is_some_and(|v| v.to_str().is_none()))
}

impl Config {
    /// Reads the process environment ([`process_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env()?)
    }

    /// Reads configuration through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(Env::new(&get))
    }

    /// Every variable is read through `env`, which keeps the secrets this configuration carries.
    fn read(mut env: Env<'_>) -> Result<Self, ConfigError> {
        let listen_raw = env
            .get(vars::LISTEN)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_raw.parse().map_err(|_| ConfigError::Invalid {
            var: vars::LISTEN.name(),
            why: "expected host:port, e.g. 127.0.0.1:8080".into(),
        })?;
        let database_url = read_database_url(&mut env)?;
        let public_url = env.required(vars::PUBLIC_URL)?;
        let public_url = validate_public_url(&public_url)?;
        let twilio = twilio_channel(&mut env)?;
        let meta = meta_channel(&mut env)?;
        if twilio.is_none() && meta.is_none() {
            return Err(ConfigError::NoChannel);
        }
        let log_phones = read_log_phones(&env)?;
        let phone_region = read_phone_region(&env)?;
        // A lease shorter than a send (the adapters' 10 s timeout, plus margin) would let a
        // second worker send a message whose first send is still in flight.
        let outbox_lease = std::time::Duration::from_secs(env.number(
            vars::OUTBOX_LEASE_SECS,
            60u64,
            15..=3600,
        )?);
        let pair_token = env.secret(vars::PAIR_TOKEN)?;
        if !matches!(
            warden_commands::parse(&format!("/pair {}", pair_token.expose_secret())),
            Ok(warden_commands::Command::Pair(_))
        ) {
            return Err(ConfigError::Invalid {
                var: vars::PAIR_TOKEN.name(),
                why: "must be 16–128 characters of A-Z, a-z, 0-9, '_' or '-'".into(),
            });
        }
        if distinct_chars(pair_token.expose_secret()) < MIN_DISTINCT_TOKEN_CHARS {
            return Err(ConfigError::Invalid {
                var: vars::PAIR_TOKEN.name(),
                why: format!(
                    "looks guessable (fewer than {MIN_DISTINCT_TOKEN_CHARS} distinct characters); \
                     generate one with `openssl rand -hex 32`"
                ),
            });
        }
        let pairing_mode = match env.get(vars::PAIRING_MODE).as_deref().map(str::trim) {
            None | Some("") => warden_gates::PairingMode::default(),
            Some(raw) => {
                warden_gates::PairingMode::parse(raw).ok_or_else(|| ConfigError::Invalid {
                    var: vars::PAIRING_MODE.name(),
                    why: format!("expected {}", warden_gates::PairingMode::ALLOWED),
                })?
            }
        };
        let pseudonym_key = env.secret(vars::PSEUDONYM_KEY)?;
        if pseudonym_key.expose_secret().len() < warden_audit::Pseudonymizer::MIN_KEY_BYTES {
            return Err(ConfigError::Invalid {
                var: vars::PSEUDONYM_KEY.name(),
                why: format!(
                    "must be at least {} bytes; generate one with `openssl rand -hex 32`",
                    warden_audit::Pseudonymizer::MIN_KEY_BYTES
                ),
            });
        }
        let allowed_senders = env
            .get(vars::ALLOWED_SENDERS)
            .map(|raw| parse_senders(&raw))
            .transpose()?
            .unwrap_or_default();
        let rate_limit_per_minute = env.number(vars::RATE_LIMIT_PER_MINUTE, 20u32, 1..=10_000)?;
        let max_body_bytes =
            env.number(vars::MAX_BODY_BYTES, 64 * 1024usize, 1024..=1024 * 1024)?;
        let edge = edge_limits(&env, max_body_bytes)?;
        let ai = ai_config(&mut env)?;
        let market = market_config(&mut env, twilio.as_ref())?;
        let admin = admin_settings(&mut env)?;
        let password_pepper = env.optional_secret(vars::PASSWORD_PEPPER)?;
        let retention = retention_config(&env)?;
        let timezone = read_timezone(&env)?;
        let calendar = calendar_config(&mut env)?;
        Ok(Self {
            listen,
            database_url,
            public_url,
            twilio,
            meta,
            outbox_lease,
            log_phones,
            phone_region,
            allowed_senders,
            pair_token,
            pairing_mode,
            pseudonym_key,
            rate_limit_per_minute,
            max_body_bytes,
            edge,
            ai,
            market,
            admin,
            password_pepper,
            retention,
            timezone,
            calendar,
            secrets: env.into_secrets(),
        })
    }
}

/// The admin API's listener, signing keys and allowed browser origins.
#[derive(Clone)]
pub struct AdminSettings {
    pub listen: SocketAddr,
    pub jwt_key: SecretString,
    pub jwt_previous_key: Option<SecretString>,
    /// Origins allowed to call the API from a browser; empty: CORS off.
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// Requests per minute per authenticated operator.
    pub requests_per_minute: u32,
    /// Requests per minute per client address without credentials (logins, bad tokens).
    pub auth_requests_per_minute: u32,
}

impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("listen", &self.listen)
            .field("jwt_key", &"<redacted>")
            .field("jwt_previous_key", &self.jwt_previous_key.is_some())
            .field("cors_origins", &self.cors_origins)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("auth_requests_per_minute", &self.auth_requests_per_minute)
            .finish()
    }
}

/// The admin API's listener; 127.0.0.1 unless the operator says otherwise.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8081";
/// HMAC-SHA256 wants a key at least as long as its output.
pub const MIN_JWT_KEY_BYTES: usize = 32;

/// The admin API is off unless `WARDEN_JWT_KEY` is set.
fn admin_settings(env: &mut Env<'_>) -> Result<Option<AdminSettings>, ConfigError> {
    let Some(jwt_key) = env.optional_secret(vars::JWT_KEY)? else {
        return Ok(None);
    };
    let jwt_previous_key = env.optional_secret(vars::JWT_PREVIOUS_KEY)?;
    for (var, key) in [
        (vars::JWT_KEY, Some(&jwt_key)),
        (vars::JWT_PREVIOUS_KEY, jwt_previous_key.as_ref()),
    ] {
        if key.is_some_and(|k| k.expose_secret().len() < MIN_JWT_KEY_BYTES) {
            return Err(ConfigError::Invalid {
                var: var.name(),
                why: format!(
                    "must be at least {MIN_JWT_KEY_BYTES} bytes; generate one with \
                     `openssl rand -hex 32`"
                ),
            });
        }
    }
    let listen_raw = env
        .trimmed(vars::ADMIN_LISTEN)
        .unwrap_or_else(|| DEFAULT_ADMIN_LISTEN.to_owned());
    let listen = listen_raw.parse().map_err(|_| ConfigError::Invalid {
        var: vars::ADMIN_LISTEN.name(),
        why: "expected host:port, e.g. 127.0.0.1:8081".into(),
    })?;
    let cors_origins = env
        .non_blank(vars::ADMIN_CORS_ORIGINS)
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|origin| {
                    // An origin is scheme and authority only: what a browser sends in `Origin`.
                    let authority = origin
                        .strip_prefix("https://")
                        .or_else(|| origin.strip_prefix("http://"));
                    let ok = authority.is_some_and(|a| {
                        !a.is_empty()
                            && !a.contains(['/', '?', '#', '@', '*'])
                            && a.parse::<axum::http::uri::Authority>().is_ok()
                    });
                    ok.then(|| axum::http::HeaderValue::from_str(origin).ok())
                        .flatten()
                        .ok_or_else(|| ConfigError::Invalid {
                            var: vars::ADMIN_CORS_ORIGINS.name(),
                            why: "expected comma-separated origins such as \
                                  https://console.example.com (scheme and host, no path, no *)"
                                .into(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    // Above 100,000 a minute a budget no longer limits anything; raising them is for load and
    // property tests against a throwaway instance, not for production.
    let requests_per_minute = env.number(
        vars::ADMIN_REQUESTS_PER_MINUTE,
        crate::admin::AUTHENTICATED_PER_MINUTE,
        1..=100_000,
    )?;
    let auth_requests_per_minute = env.number(
        vars::ADMIN_AUTH_REQUESTS_PER_MINUTE,
        crate::admin::UNAUTHENTICATED_PER_MINUTE,
        1..=100_000,
    )?;
    Ok(Some(AdminSettings {
        listen,
        jwt_key,
        jwt_previous_key,
        cors_origins,
        requests_per_minute,
        auth_requests_per_minute,
    }))
}

/// The HTTP edge's timeouts and caps. Zero would disable a defence (or the server), so each is
/// at least 1; `WARDEN_MAX_CONNECTIONS` unset means "from the descriptor limit".
fn edge_limits(env: &Env, max_body_bytes: usize) -> Result<crate::edge::EdgeLimits, ConfigError> {
    use crate::edge::{
        DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PER_IP,
    };
    let secs = |var, default: std::time::Duration, max| {
        env.number(var, default.as_secs(), 1..=max)
            .map(std::time::Duration::from_secs)
    };
    Ok(crate::edge::EdgeLimits {
        header_timeout: secs(vars::HEADER_TIMEOUT_SECS, DEFAULT_HEADER_TIMEOUT, 300)?,
        idle_timeout: secs(vars::IDLE_TIMEOUT_SECS, DEFAULT_IDLE_TIMEOUT, 3600)?,
        max_connections: env
            .get(vars::MAX_CONNECTIONS)
            .map(|_| env.number(vars::MAX_CONNECTIONS, 1, 1..=1_000_000))
            .transpose()?,
        max_connections_per_ip: env.number(
            vars::MAX_CONNECTIONS_PER_IP,
            DEFAULT_MAX_CONNECTIONS_PER_IP,
            1..=1_000_000,
        )?,
        max_body_bytes,
    })
}

/// The variable that sets a retention category's age.
fn retention_var(category: warden_privacy::Category) -> vars::Var {
    use warden_privacy::Category;
    match category {
        Category::DoneTasks => vars::RETENTION_DONE_TASKS_DAYS,
        Category::SentOutbox => vars::RETENTION_SENT_OUTBOX_DAYS,
        Category::ReplayIds => vars::RETENTION_REPLAY_DAYS,
        Category::HeldOffers => vars::RETENTION_HELD_OFFERS_DAYS,
        Category::ClosedRequests => vars::RETENTION_CLOSED_REQUESTS_DAYS,
        Category::ExpiredConsents => vars::RETENTION_EXPIRED_CONSENTS_DAYS,
    }
}

/// Retention is on by default with the domain's ages; each age is read wide and the domain
/// refuses what it must (a replay window shorter than the providers' retries names the rule).
fn retention_config(env: &Env<'_>) -> Result<RetentionSettings, ConfigError> {
    use warden_privacy::{Category, RetentionAges, RetentionPolicy};
    let defaults = RetentionAges::default();
    let days = |c: Category| env.number(retention_var(c), defaults.get(c), 0..=u32::MAX);
    let policy = RetentionPolicy::new(RetentionAges {
        done_tasks: days(Category::DoneTasks)?,
        sent_outbox: days(Category::SentOutbox)?,
        replay_ids: days(Category::ReplayIds)?,
        held_offers: days(Category::HeldOffers)?,
        closed_requests: days(Category::ClosedRequests)?,
        expired_consents: days(Category::ExpiredConsents)?,
    })
    .map_err(|e| ConfigError::Invalid {
        var: retention_var(e.category()).name(),
        why: e.to_string(),
    })?;
    let secs = env.number(
        vars::RETENTION_INTERVAL_SECS,
        DEFAULT_RETENTION_INTERVAL_SECS,
        0..=7 * 86_400,
    )?;
    if (1..60).contains(&secs) {
        return Err(ConfigError::Invalid {
            var: vars::RETENTION_INTERVAL_SECS.name(),
            why: "must be 0 (off) or at least 60 seconds".into(),
        });
    }
    Ok(RetentionSettings {
        policy,
        interval: (secs > 0).then(|| std::time::Duration::from_secs(secs)),
    })
}

/// The variable behind a domain setting, so a ceiling error names what the operator set.
fn market_var(setting: &str) -> &'static str {
    match setting {
        "batch_size" => vars::MARKET_BATCH_SIZE,
        "max_vendors" => vars::MARKET_MAX_VENDORS,
        "vendor_daily_cap" => vars::MARKET_VENDOR_DAILY_CAP,
        "max_open_requests" => vars::MARKET_MAX_OPEN_REQUESTS,
        "consent_ttl_ms" => vars::CALL_CONSENT_TTL_SECS,
        _ => vars::MARKET_ENABLED,
    }
    .name()
}

fn domain_error(e: warden_marketplace::OutreachConfigError) -> ConfigError {
    let setting = match e {
        warden_marketplace::OutreachConfigError::AboveCeiling { setting, .. }
        | warden_marketplace::OutreachConfigError::BelowFloor { setting, .. } => setting,
    };
    ConfigError::Invalid {
        var: market_var(setting),
        why: e.to_string(),
    }
}

/// `WARDEN_MARKET_ENABLED=true` turns the concierge marketplace on. Its limits are checked
/// against the domain's ceilings (above one, Warden refuses to start, naming the variable);
/// outreach leaves through the outbox, so a Twilio channel needs its REST credentials.
fn market_config(
    env: &mut Env<'_>,
    twilio: Option<&TwilioChannel>,
) -> Result<Option<MarketSettings>, ConfigError> {
    if !env.flag(vars::MARKET_ENABLED)? {
        return Ok(None);
    }
    let ref_key = env.secret(vars::MARKET_REF_KEY)?;
    if ref_key.expose_secret().len() < warden_marketplace::RefKey::MIN_LEN {
        return Err(ConfigError::Invalid {
            var: vars::MARKET_REF_KEY.name(),
            why: format!(
                "must be at least {} bytes; generate one with `openssl rand -hex 32`",
                warden_marketplace::RefKey::MIN_LEN
            ),
        });
    }
    let defaults = warden_marketplace::OutreachSettings::default();
    // Read wide and let the domain refuse: an over-ceiling value is reported as such.
    let count = |var, default: u32| env.number(var, default, 0..=u32::MAX);
    let outreach = warden_marketplace::OutreachPolicy::new(warden_marketplace::OutreachSettings {
        batch_size: count(vars::MARKET_BATCH_SIZE, defaults.batch_size)?,
        max_vendors: count(vars::MARKET_MAX_VENDORS, defaults.max_vendors)?,
        vendor_daily_cap: count(vars::MARKET_VENDOR_DAILY_CAP, defaults.vendor_daily_cap)?,
        vendor_cooldown_ms: defaults.vendor_cooldown_ms,
        max_open_requests: count(vars::MARKET_MAX_OPEN_REQUESTS, defaults.max_open_requests)?,
    })
    .map_err(domain_error)?;
    let calling_enabled = env.flag(vars::CALLING_ENABLED)?;
    let ttl_secs = env.number(
        vars::CALL_CONSENT_TTL_SECS,
        u64::try_from(warden_marketplace::CallingPolicy::DEFAULT_TTL_MS / 1000).unwrap_or(86_400),
        0..=u64::from(u32::MAX),
    )?;
    let ttl_ms = i64::try_from(ttl_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let calling =
        warden_marketplace::CallingPolicy::new(calling_enabled, ttl_ms).map_err(domain_error)?;
    let batch_interval_secs =
        env.number(vars::MARKET_BATCH_INTERVAL_SECS, 1800i64, 300..=86_400)?;
    let voice_from = env.phone(vars::TWILIO_VOICE_FROM)?;
    if let Some(t) = twilio {
        if t.account_sid.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_ACCOUNT_SID.name()));
        }
        if t.whatsapp_from.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_WHATSAPP_FROM.name()));
        }
    }
    if calling_enabled {
        // Calls go through Twilio Voice: its account and a caller id are needed.
        if twilio.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_AUTH_TOKEN.name()));
        }
        if voice_from.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_VOICE_FROM.name()));
        }
    }
    Ok(Some(MarketSettings {
        ref_key,
        config: warden_marketplace::MarketConfig {
            outreach,
            calling,
            relay: warden_marketplace::RelayPolicy::default(),
        },
        batch_interval_ms: batch_interval_secs.saturating_mul(1000),
        voice_from,
    }))
}

/// `WARDEN_AI_ENABLED=true` turns the advisor on; the provider must then be named, so that
/// no message goes to a model nobody chose.
fn ai_config(env: &mut Env<'_>) -> Result<Option<AiConfig>, ConfigError> {
    if !env.flag(vars::AI_ENABLED)? {
        return Ok(None);
    }
    let provider = match env.get(vars::AI_PROVIDER).as_deref().map(str::trim) {
        Some("gemini") => AiProvider::Gemini {
            api_key: env.secret(vars::GEMINI_API_KEY)?,
            base_url: env.trimmed(vars::GEMINI_API_URL),
            model: env.trimmed(vars::GEMINI_MODEL),
        },
        Some("ollama") => AiProvider::Ollama {
            base_url: env.trimmed(vars::OLLAMA_URL),
            model: env.trimmed(vars::OLLAMA_MODEL),
        },
        None | Some("") => return Err(ConfigError::Missing(vars::AI_PROVIDER.name())),
        Some(_) => {
            return Err(ConfigError::Invalid {
                var: vars::AI_PROVIDER.name(),
                why: "expected gemini or ollama".into(),
            })
        }
    };
    let timeout =
        std::time::Duration::from_secs(env.number(vars::AI_TIMEOUT_SECS, 8u64, 1..=12)?);
    let guard_threshold = match env.get(vars::GUARD_THRESHOLD) {
        None => warden_guard::GuardConfig::default().threshold,
        Some(raw) => raw
            .trim()
            .parse::<f32>()
            .ok()
            .filter(|t| *t > 0.0 && *t <= 1.0)
            .ok_or_else(|| ConfigError::Invalid {
                var: vars::GUARD_THRESHOLD.name(),
                why: "expected a number in (0, 1], e.g. 0.5".into(),
            })?,
    };
    let guard_model = match env.trimmed(vars::GUARD_MODEL) {
        None => None,
        Some(model) => Some(GuardModelSettings {
            model,
            base_url: env.trimmed(vars::OLLAMA_URL),
            timeout: std::time::Duration::from_secs(env.number(
                vars::GUARD_MODEL_TIMEOUT_SECS,
                3u64,
                1..=5,
            )?),
        }),
    };
    let allowed_domains = env
        .non_blank(vars::AI_ALLOWED_DOMAINS)
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .enumerate()
                .map(|(i, d)| {
                    warden_advisor::allowed_domain(d).ok_or_else(|| ConfigError::Invalid {
                        var: vars::AI_ALLOWED_DOMAINS.name(),
                        why: format!("entry {} is not a plain domain such as example.org", i + 1),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(Some(AiConfig {
        provider,
        timeout,
        guard_threshold,
        guard_model,
        allowed_domains,
    }))
}

fn twilio_channel(env: &mut Env<'_>) -> Result<Option<TwilioChannel>, ConfigError> {
    if !env.is_set(vars::TWILIO_AUTH_TOKEN) {
        return Ok(None);
    }
    let auth_token = env.secret(vars::TWILIO_AUTH_TOKEN)?;
    let account_sid = env.non_blank(vars::TWILIO_ACCOUNT_SID);
    let reply = match env.get(vars::TWILIO_REPLY).as_deref().map(str::trim) {
        None | Some("") | Some("twiml") => TwilioReply::Twiml,
        Some("outbox") => TwilioReply::Outbox,
        Some(_) => {
            return Err(ConfigError::Invalid {
                var: vars::TWILIO_REPLY.name(),
                why: "expected twiml or outbox".into(),
            })
        }
    };
    let whatsapp_from = env.phone(vars::TWILIO_WHATSAPP_FROM)?;
    if reply == TwilioReply::Outbox {
        if account_sid.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_ACCOUNT_SID.name()));
        }
        if whatsapp_from.is_none() {
            return Err(ConfigError::Missing(vars::TWILIO_WHATSAPP_FROM.name()));
        }
    }
    Ok(Some(TwilioChannel {
        auth_token,
        account_sid,
        reply,
        api_url: env
            .non_blank(vars::TWILIO_API_URL)
            .unwrap_or_else(|| warden_twilio::DEFAULT_API_URL.to_owned()),
        whatsapp_from,
    }))
}

/// Meta needs all four values once its app secret is set: it only replies through the outbox.
fn meta_channel(env: &mut Env<'_>) -> Result<Option<MetaChannel>, ConfigError> {
    if !env.is_set(vars::META_APP_SECRET) {
        return Ok(None);
    }
    Ok(Some(MetaChannel {
        app_secret: env.secret(vars::META_APP_SECRET)?,
        verify_token: env.secret(vars::META_VERIFY_TOKEN)?,
        access_token: env.secret(vars::META_ACCESS_TOKEN)?,
        phone_number_id: env.required(vars::META_PHONE_NUMBER_ID)?,
        graph_url: env
            .non_blank(vars::META_GRAPH_URL)
            .unwrap_or_else(|| warden_meta::DEFAULT_BASE_URL.to_owned()),
        graph_api_version: env
            .non_blank(vars::META_GRAPH_API_VERSION)
            .unwrap_or_else(|| warden_meta::DEFAULT_API_VERSION.to_owned()),
    }))
}

/// `WARDEN_DATABASE_URL` (or the file `WARDEN_DATABASE_URL_FILE` names), else the default.
/// Used by every subcommand, so `migrate` and `audit verify` reach the same database as `serve`.
pub fn database_url(get: &impl Fn(&str) -> Option<String>) -> Result<SecretString, ConfigError> {
    read_database_url(&mut Env::new(get))
}

fn read_database_url(env: &mut Env<'_>) -> Result<SecretString, ConfigError> {
    // The URL may carry a password: a secret, which may come from a file like the others.
    let url = env.secret_or(vars::DATABASE_URL, DEFAULT_DATABASE_URL)?;
    if db_kind(url.expose_secret()) == "unknown" {
        return Err(ConfigError::Invalid {
            var: vars::DATABASE_URL.name(),
            why: "expected sqlite://path or postgres://…".into(),
        });
    }
    Ok(url)
}

/// What `warden calendar auth` needs: the OAuth client, and where Google's token endpoint is.
#[derive(Debug)]
pub struct CalendarAuthConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `GOOGLE_OAUTH_URL`, default Google's; https, or http to a loopback host, no path.
    pub oauth_url: String,
}

/// `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` (or `_FILE`) and `GOOGLE_OAUTH_URL`.
pub fn calendar_auth(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<CalendarAuthConfig, ConfigError> {
    let mut env = Env::new(get);
    let client_id = env.required(vars::GOOGLE_CLIENT_ID)?.trim().to_owned();
    let client_secret = env.secret(vars::GOOGLE_CLIENT_SECRET)?;
    let oauth_url = google_base_url(
        &env,
        vars::GOOGLE_OAUTH_URL,
        warden_google_calendar::DEFAULT_OAUTH_URL,
    )?;
    Ok(CalendarAuthConfig {
        client_id,
        client_secret,
        oauth_url,
    })
}

/// `WARDEN_TIMEZONE`: an IANA zone name known to the compiled-in tz database; default UTC.
fn read_timezone(env: &Env<'_>) -> Result<warden_calendar::OwnerZone, ConfigError> {
    match env.trimmed(vars::TIMEZONE) {
        None => Ok(warden_calendar::OwnerZone::utc()),
        Some(name) => warden_calendar::OwnerZone::parse(&name).map_err(|_| ConfigError::Invalid {
            var: vars::TIMEZONE.name(),
            why: "expected an IANA time zone name such as Europe/London".into(),
        }),
    }
}

/// A Google base URL (`GOOGLE_OAUTH_URL`, `GOOGLE_CALENDAR_API_URL`): https, or http to a
/// loopback host (mocks), no path; trailing slashes dropped.
fn google_base_url(env: &Env<'_>, var: vars::Var, default: &str) -> Result<String, ConfigError> {
    let url = env
        .trimmed(var)
        .unwrap_or_else(|| default.to_owned())
        .trim_end_matches('/')
        .to_owned();
    if !warden_provider_http::is_allowed_base_url(&url) {
        return Err(ConfigError::Invalid {
            var: var.name(),
            why: "must be https (http only for 127.0.0.1, localhost or [::1]), without a path"
                .into(),
        });
    }
    Ok(url)
}

/// The calendar is on when `GOOGLE_REFRESH_TOKEN` (or `_FILE`) is set; it then needs the OAuth
/// client the grant was given to (`GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`).
fn calendar_config(
    env: &mut Env<'_>,
) -> Result<Option<warden_google_calendar::GoogleCalendarConfig>, ConfigError> {
    let Some(refresh_token) = env.optional_secret(vars::GOOGLE_REFRESH_TOKEN)? else {
        return Ok(None);
    };
    let client_id = env.required(vars::GOOGLE_CLIENT_ID)?.trim().to_owned();
    let client_secret = env.secret(vars::GOOGLE_CLIENT_SECRET)?;
    let oauth_url = google_base_url(
        env,
        vars::GOOGLE_OAUTH_URL,
        warden_google_calendar::DEFAULT_OAUTH_URL,
    )?;
    let api_url = google_base_url(
        env,
        vars::GOOGLE_CALENDAR_API_URL,
        warden_google_calendar::DEFAULT_API_URL,
    )?;
    let calendar_id = env
        .trimmed(vars::GOOGLE_CALENDAR_ID)
        .unwrap_or_else(|| warden_google_calendar::DEFAULT_CALENDAR_ID.to_owned());
    let config = warden_google_calendar::GoogleCalendarConfig {
        oauth_url,
        api_url,
        calendar_id,
        ..warden_google_calendar::GoogleCalendarConfig::new(client_id, client_secret, refresh_token)
    };
    // The adapter's own checks (client id, calendar id), at startup rather than first use.
    warden_google_calendar::GoogleCalendar::new(config.clone()).map_err(|e| {
        use warden_google_calendar::GoogleCalendarSetupError as E;
        let var = match e {
            E::InvalidClientId => vars::GOOGLE_CLIENT_ID.name(),
            E::InvalidCalendarId => vars::GOOGLE_CALENDAR_ID.name(),
            E::EmptyClientSecret => vars::GOOGLE_CLIENT_SECRET.name(),
            _ => vars::GOOGLE_REFRESH_TOKEN.name(),
        };
        ConfigError::Invalid {
            var,
            why: e.to_string(),
        }
    })?;
    Ok(Some(config))
}

/// `WARDEN_*` variables that Warden does not read: a typo in security config fails open silently.
pub fn unknown_vars(vars: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    vars.into_iter()
        .filter(|k| {
            ["WARDEN_", "TWILIO_", "META_", "GEMINI_", "OLLAMA_"]
                .iter()
                .any(|p| k.starts_with(p))
                && !KNOWN_VARS.contains(&k.as_str())
        })
        .collect()
}

/// A pair token is a shared secret strangers may guess at (5 tries per 15 minutes): refuse
/// ones like `aaaaaaaaaaaaaaaa` that pass the grammar but not a glance.
const MIN_DISTINCT_TOKEN_CHARS: usize = 8;

fn distinct_chars(s: &str) -> usize {
    s.chars().collect::<BTreeSet<_>>().len()
}

fn parse_senders(raw: &str) -> Result<Vec<PhoneNumber>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, s)| {
            let why = match PhoneNumber::parse(s) {
                Ok(n) if phone::is_valid(&n) => return Ok(n),
                Ok(_) => format!("entry {} is not a valid phone number", i + 1),
                Err(e) => format!("entry {} is not an E.164 number: {e}", i + 1),
            };
            Err(ConfigError::Invalid {
                var: vars::ALLOWED_SENDERS.name(),
                why,
            })
        })
        .collect()
}

fn validate_public_url(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::Invalid {
            var: vars::PUBLIC_URL.name(),
            why: "must start with https:// (or http:// for local testing)".into(),
        })?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(ConfigError::Invalid {
            var: vars::PUBLIC_URL.name(),
            why: "must be a base URL without query or fragment, e.g. https://warden.example.com"
                .into(),
        });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            (
                "WARDEN_PUBLIC_URL",
                "https://warden.example.com/".to_owned(),
            ),
            ("TWILIO_AUTH_TOKEN", "twilio-secret-token-value".to_owned()),
            ("WARDEN_PAIR_TOKEN", "pair-token-0123456789".to_owned()),
            ("WARDEN_PSEUDONYM_KEY", "k".repeat(32)),
        ])
    }

    fn load(env: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn missing_required_secret_names_the_variable() {
        for var in [
            "WARDEN_PUBLIC_URL",
            "TWILIO_AUTH_TOKEN",
            "WARDEN_PAIR_TOKEN",
            "WARDEN_PSEUDONYM_KEY",
        ] {
            let mut env = base();
            env.remove(var);
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{err}");
        }
    }

    fn with_meta(mut env: HashMap<&'static str, String>) -> HashMap<&'static str, String> {
        env.insert("META_APP_SECRET", "meta-app-secret-value".into());
        env.insert("META_VERIFY_TOKEN", "meta-verify-token-value".into());
        env.insert("META_ACCESS_TOKEN", "meta-access-token-value".into());
        env.insert("META_PHONE_NUMBER_ID", "106540352242922".into());
        env
    }

    #[test]
    fn without_any_channel_serve_refuses_to_start_and_says_what_to_set() {
        let mut env = base();
        env.remove("TWILIO_AUTH_TOKEN");
        let err = load(&env).unwrap_err().to_string();
        assert!(
            err.contains("TWILIO_AUTH_TOKEN") && err.contains("META_APP_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn a_channel_without_its_secrets_is_disabled_not_half_enabled() {
        let cfg = load(&base()).unwrap();
        assert!(cfg.meta.is_none(), "no META_APP_SECRET: Meta is off");
        let mut env = with_meta(base());
        env.remove("TWILIO_AUTH_TOKEN");
        let cfg = load(&env).unwrap();
        assert!(cfg.twilio.is_none() && cfg.meta.is_some());
        // Half a Meta configuration is an operator mistake, named, not a silent partial channel.
        for var in [
            "META_VERIFY_TOKEN",
            "META_ACCESS_TOKEN",
            "META_PHONE_NUMBER_ID",
        ] {
            let mut env = with_meta(base());
            env.remove(var);
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{err}");
        }
    }

    #[test]
    fn twilio_replies_through_the_outbox_need_rest_credentials() {
        let mut env = base();
        env.insert("WARDEN_TWILIO_REPLY", "outbox".into());
        assert!(load(&env)
            .unwrap_err()
            .to_string()
            .contains("TWILIO_ACCOUNT_SID"));
        env.insert("TWILIO_ACCOUNT_SID", format!("AC{}", "0".repeat(32)));
        assert!(load(&env)
            .unwrap_err()
            .to_string()
            .contains("TWILIO_WHATSAPP_FROM"));
        env.insert("TWILIO_WHATSAPP_FROM", "+14155238886".into());
        assert_eq!(
            load(&env).unwrap().twilio.unwrap().reply,
            TwilioReply::Outbox
        );
        env.insert("WARDEN_TWILIO_REPLY", "sms".into());
        assert!(load(&env)
            .unwrap_err()
            .to_string()
            .contains("WARDEN_TWILIO_REPLY"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut env = base();
        env.insert(
            "WARDEN_DATABASE_URL",
            "postgres://u:hunter2pass@db/warden".into(),
        );
        let shown = format!("{:?}", load(&with_meta(env)).unwrap());
        for secret in [
            "meta-app-secret-value",
            "meta-verify-token-value",
            "meta-access-token-value",
            "twilio-secret-token-value",
            "pair-token-0123456789",
            &"k".repeat(32),
            "hunter2pass",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn invalid_allowed_sender_is_named_by_position_not_value() {
        let mut env = base();
        env.insert("WARDEN_ALLOWED_SENDERS", "+14155550123, 555-0199".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("entry 2"), "{err}");
        assert!(!err.contains("555-0199"), "{err}");
    }

    /// `+1415555012` has the E.164 shape but is no US number: it would match nobody.
    #[test]
    fn an_allowlist_entry_that_is_not_a_valid_number_is_named_by_position_not_value() {
        let mut env = base();
        env.insert(
            "WARDEN_ALLOWED_SENDERS",
            "+14155550123, +6834002, +1415555012".into(),
        );
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("entry 3 is not a valid phone number"), "{err}");
        assert!(!err.contains("1415555012"), "{err}");
        // Niue's seven digits are a valid number.
        env.insert("WARDEN_ALLOWED_SENDERS", "+14155550123, +6834002".into());
        assert_eq!(load(&env).unwrap().allowed_senders.len(), 2);
    }

    #[test]
    fn provider_from_numbers_must_be_valid_numbers() {
        let mut env = with_market(base());
        env.insert("WARDEN_CALLING_ENABLED", "true".into());
        env.insert("TWILIO_VOICE_FROM", "+14155550000".into());
        for var in ["TWILIO_WHATSAPP_FROM", "TWILIO_VOICE_FROM"] {
            let mut env = env.clone();
            env.insert(var, "+1415555000".into());
            let err = load(&env).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{var} is invalid: not a valid phone number")),
                "{err}"
            );
            assert!(!err.contains("1415555000"), "{err}");
        }
        assert!(load(&env).is_ok());
    }

    #[test]
    fn pairing_mode_defaults_to_token_and_refuses_anything_but_its_three_values() {
        let env = base();
        assert_eq!(
            load(&env).unwrap().pairing_mode,
            warden_gates::PairingMode::Token
        );
        for (raw, mode) in [
            ("token", warden_gates::PairingMode::Token),
            ("approval", warden_gates::PairingMode::Approval),
            ("both", warden_gates::PairingMode::Both),
        ] {
            let mut env = env.clone();
            env.insert("WARDEN_PAIRING_MODE", raw.into());
            assert_eq!(load(&env).unwrap().pairing_mode, mode);
        }
        for bad in ["Approval", "approve", "token,approval", "off"] {
            let mut env = env.clone();
            env.insert("WARDEN_PAIRING_MODE", bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert_eq!(
                err,
                "WARDEN_PAIRING_MODE is invalid: expected token, approval or both"
            );
        }
    }

    #[test]
    fn weak_pair_token_is_refused() {
        for weak in ["short", "aaaaaaaaaaaaaaaa", "abababababababab1234"] {
            let mut env = base();
            env.insert("WARDEN_PAIR_TOKEN", weak.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains("WARDEN_PAIR_TOKEN"), "{weak}: {err}");
            assert!(!err.contains(weak), "{err}");
        }
    }

    #[test]
    fn auth_token_and_database_url_can_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        let url = dir.path().join("url");
        std::fs::write(&token, "from-file-auth-token\n").unwrap();
        std::fs::write(&url, "postgres://u:pw@db/warden\n").unwrap();
        let mut env = base();
        env.remove("TWILIO_AUTH_TOKEN");
        env.insert("TWILIO_AUTH_TOKEN_FILE", token.display().to_string());
        env.insert("WARDEN_DATABASE_URL_FILE", url.display().to_string());
        let cfg = load(&env).unwrap();
        assert_eq!(
            cfg.twilio.unwrap().auth_token.expose_secret(),
            "from-file-auth-token"
        );
        assert_eq!(
            cfg.database_url.expose_secret(),
            "postgres://u:pw@db/warden"
        );
    }

    #[test]
    fn calendar_auth_needs_the_client_and_keeps_its_secret_out_of_debug() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let cfg = calendar_auth(&env(&[
            ("GOOGLE_CLIENT_ID", " cid.apps.googleusercontent.com "),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-secret"),
        ]))
        .unwrap();
        assert_eq!(cfg.client_id, "cid.apps.googleusercontent.com");
        assert_eq!(cfg.oauth_url, "https://oauth2.googleapis.com");
        assert!(!format!("{cfg:?}").contains("GOCSPX"));
        assert!(matches!(
            calendar_auth(&env(&[("GOOGLE_CLIENT_SECRET", "GOCSPX-secret")])),
            Err(ConfigError::Missing("GOOGLE_CLIENT_ID"))
        ));
        assert!(matches!(
            calendar_auth(&env(&[("GOOGLE_CLIENT_ID", "cid")])),
            Err(ConfigError::Missing("GOOGLE_CLIENT_SECRET"))
        ));
        let over_http = calendar_auth(&env(&[
            ("GOOGLE_CLIENT_ID", "cid"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-secret"),
            ("GOOGLE_OAUTH_URL", "http://oauth2.googleapis.com"),
        ]));
        assert!(matches!(
            over_http,
            Err(ConfigError::Invalid {
                var: "GOOGLE_OAUTH_URL",
                ..
            })
        ));
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pair");
        std::fs::write(&path, "file-pair-token-0123456789\n").unwrap();
        let mut env = base();
        env.remove("WARDEN_PAIR_TOKEN");
        env.insert("WARDEN_PAIR_TOKEN_FILE", path.display().to_string());
        let cfg = load(&env).unwrap();
        assert_eq!(cfg.pair_token.expose_secret(), "file-pair-token-0123456789");
    }

    #[test]
    fn a_warden_variable_that_is_not_utf8_is_named_other_variables_do_not_matter() {
        use std::os::unix::ffi::OsStringExt as _;
        let bad = || Some(std::ffi::OsString::from_vec(vec![b'x', 0xff]));
        assert_eq!(
            first_not_unicode(|k| (k == "TWILIO_AUTH_TOKEN_FILE").then(bad).flatten()),
            Some("TWILIO_AUTH_TOKEN_FILE")
        );
        assert_eq!(
            first_not_unicode(|k| (k == "LANG_OF_SOMETHING_ELSE").then(bad).flatten()),
            None
        );
        assert_eq!(
            first_not_unicode(|k| (k == "WARDEN_LISTEN").then(|| "127.0.0.1:1".into())),
            None
        );
    }

    #[test]
    fn typo_in_warden_or_twilio_variable_is_reported() {
        let unknown = unknown_vars(
            [
                "WARDEN_ALLOWED_SENDER",
                "WARDEN_LISTEN",
                "HOME",
                "TWILIO_ACOUNT_SID",
            ]
            .map(String::from),
        );
        assert_eq!(
            unknown.into_iter().collect::<Vec<_>>(),
            ["TWILIO_ACOUNT_SID", "WARDEN_ALLOWED_SENDER"]
        );
    }

    #[test]
    fn the_llm_advisor_is_off_unless_enabled() {
        assert!(load(&base()).unwrap().ai.is_none());
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "false".into());
        env.insert("WARDEN_AI_PROVIDER", "gemini".into());
        assert!(load(&env).unwrap().ai.is_none());
    }

    #[test]
    fn an_enabled_advisor_needs_a_named_provider_and_its_key() {
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "true".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("WARDEN_AI_PROVIDER"), "{err}");
        env.insert("WARDEN_AI_PROVIDER", "gemini".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("GEMINI_API_KEY"), "{err}");
        env.insert("WARDEN_AI_PROVIDER", "gpt".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("expected gemini or ollama"), "{err}");
        env.insert("WARDEN_AI_PROVIDER", "ollama".into());
        let ai = load(&env).unwrap().ai.unwrap();
        assert!(matches!(ai.provider, AiProvider::Ollama { .. }));
        assert_eq!(ai.timeout, std::time::Duration::from_secs(8));
    }

    #[test]
    fn the_guard_models_second_opinion_is_off_unless_a_model_is_named() {
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "true".into());
        env.insert("WARDEN_AI_PROVIDER", "ollama".into());
        assert!(load(&env).unwrap().ai.unwrap().guard_model.is_none());
        env.insert("WARDEN_GUARD_MODEL", "llama-guard3:1b".into());
        let g = load(&env).unwrap().ai.unwrap().guard_model.unwrap();
        assert_eq!(g.model, "llama-guard3:1b");
        assert_eq!(g.timeout, std::time::Duration::from_secs(3));
        for bad in ["0", "6", "soon"] {
            env.insert("WARDEN_GUARD_MODEL_TIMEOUT_SECS", bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(
                err.contains("WARDEN_GUARD_MODEL_TIMEOUT_SECS"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_advisor_domain_allowlist_is_empty_unless_configured() {
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "true".into());
        env.insert("WARDEN_AI_PROVIDER", "ollama".into());
        assert!(load(&env).unwrap().ai.unwrap().allowed_domains.is_empty());
        env.insert(
            "WARDEN_AI_ALLOWED_DOMAINS",
            " help.example.org, Docs.Example.COM. ,".into(),
        );
        assert_eq!(
            load(&env).unwrap().ai.unwrap().allowed_domains,
            ["help.example.org", "docs.example.com"]
        );
    }

    #[test]
    fn advisor_limits_outside_their_range_are_refused() {
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "true".into());
        env.insert("WARDEN_AI_PROVIDER", "ollama".into());
        for (var, bad) in [
            ("WARDEN_AI_TIMEOUT_SECS", "13"),
            ("WARDEN_AI_TIMEOUT_SECS", "0"),
            ("WARDEN_GUARD_THRESHOLD", "0"),
            ("WARDEN_GUARD_THRESHOLD", "1.5"),
            ("WARDEN_GUARD_THRESHOLD", "NaN"),
            ("WARDEN_AI_ENABLED", "yes"),
            ("WARDEN_AI_ALLOWED_DOMAINS", "https://example.org"),
            ("WARDEN_AI_ALLOWED_DOMAINS", "example.org, *.example.com"),
            ("WARDEN_AI_ALLOWED_DOMAINS", "localhost"),
        ] {
            let mut env = env.clone();
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{var}={bad}: {err}");
        }
    }

    fn with_market(mut env: HashMap<&'static str, String>) -> HashMap<&'static str, String> {
        env.insert("WARDEN_MARKET_ENABLED", "true".into());
        env.insert("WARDEN_MARKET_REF_KEY", "market-ref-key-0123456789".into());
        env.insert("TWILIO_ACCOUNT_SID", format!("AC{}", "0".repeat(32)));
        env.insert("TWILIO_WHATSAPP_FROM", "+14155238886".into());
        env
    }

    #[test]
    fn the_marketplace_is_off_unless_enabled_and_its_key_is_a_secret() {
        assert!(load(&base()).unwrap().market.is_none());
        let config = load(&with_market(base())).unwrap();
        let market = config.market.as_ref().unwrap();
        assert_eq!(market.config.outreach.batch_size(), 5);
        assert!(!market.config.calling.enabled());
        assert!(!format!("{config:?}").contains("market-ref-key"));
        assert!(config
            .secrets()
            .iter()
            .any(|s| s.expose_secret() == "market-ref-key-0123456789"));
        let mut env = with_market(base());
        env.insert("WARDEN_MARKET_REF_KEY", "short".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(
            err.contains("WARDEN_MARKET_REF_KEY") && !err.contains("short"),
            "{err}"
        );
    }

    #[test]
    fn marketplace_limits_above_the_domain_ceilings_refuse_to_start() {
        for (var, bad) in [
            ("WARDEN_MARKET_BATCH_SIZE", "6"),
            ("WARDEN_MARKET_MAX_VENDORS", "16"),
            ("WARDEN_MARKET_VENDOR_DAILY_CAP", "21"),
            ("WARDEN_MARKET_MAX_OPEN_REQUESTS", "11"),
            ("WARDEN_MARKET_BATCH_SIZE", "0"),
            ("WARDEN_CALL_CONSENT_TTL_SECS", "604801"),
            ("WARDEN_MARKET_BATCH_INTERVAL_SECS", "60"),
            ("WARDEN_CALLING_ENABLED", "yes"),
        ] {
            let mut env = with_market(base());
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{var}={bad}: {err}");
        }
    }

    #[test]
    fn calling_needs_a_voice_caller_id() {
        let mut env = with_market(base());
        env.insert("WARDEN_CALLING_ENABLED", "true".into());
        let err = load(&env).unwrap_err().to_string();
        assert!(err.contains("TWILIO_VOICE_FROM"), "{err}");
        env.insert("TWILIO_VOICE_FROM", "+14155550000".into());
        let config = load(&env).unwrap();
        assert!(config.market.unwrap().config.calling.enabled());
    }

    #[test]
    fn edge_limits_have_safe_defaults_and_refuse_zero() {
        let edge = load(&base()).unwrap().edge;
        assert_eq!(edge.header_timeout, std::time::Duration::from_secs(10));
        assert_eq!(edge.idle_timeout, std::time::Duration::from_secs(60));
        assert_eq!(edge.max_connections, None, "derived from RLIMIT_NOFILE");
        assert_eq!(edge.max_connections_per_ip, 64);
        assert_eq!(edge.max_body_bytes, 64 * 1024);
        for (var, bad) in [
            ("WARDEN_HEADER_TIMEOUT_SECS", "0"),
            ("WARDEN_HEADER_TIMEOUT_SECS", "301"),
            ("WARDEN_IDLE_TIMEOUT_SECS", "0"),
            ("WARDEN_IDLE_TIMEOUT_SECS", "ten"),
            ("WARDEN_MAX_CONNECTIONS", "0"),
            ("WARDEN_MAX_CONNECTIONS", "-1"),
            ("WARDEN_MAX_CONNECTIONS_PER_IP", "0"),
        ] {
            let mut env = base();
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{var}={bad}: {err}");
        }
        let mut env = base();
        env.insert("WARDEN_MAX_CONNECTIONS", "500".into());
        env.insert("WARDEN_MAX_CONNECTIONS_PER_IP", "8".into());
        env.insert("WARDEN_HEADER_TIMEOUT_SECS", "5".into());
        let edge = load(&env).unwrap().edge;
        assert_eq!(
            (edge.max_connections, edge.max_connections_per_ip),
            (Some(500), 8)
        );
        assert_eq!(edge.header_timeout, std::time::Duration::from_secs(5));
        assert!(unknown_vars(["WARDEN_MAX_CONNECTIONS".to_owned()]).is_empty());
    }

    #[test]
    fn retention_is_on_by_default_with_the_domains_ages() {
        let r = load(&base()).unwrap().retention;
        assert_eq!(r.policy, warden_privacy::RetentionPolicy::default());
        assert_eq!(
            r.interval,
            Some(std::time::Duration::from_secs(
                DEFAULT_RETENTION_INTERVAL_SECS
            ))
        );
        let mut env = base();
        env.insert("WARDEN_RETENTION_INTERVAL_SECS", "0".into());
        env.insert("WARDEN_RETENTION_DONE_TASKS_DAYS", "365".into());
        let r = load(&env).unwrap().retention;
        assert_eq!(r.interval, None, "0 turns the job off");
        assert_eq!(r.policy.ages().done_tasks, 365);
    }

    #[test]
    fn a_replay_window_shorter_than_the_providers_retries_is_a_config_error() {
        for short in ["0", "1", "6"] {
            let mut env = base();
            env.insert("WARDEN_RETENTION_REPLAY_DAYS", short.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(
                err.contains("WARDEN_RETENTION_REPLAY_DAYS is invalid: must be at least 7 days"),
                "{short}: {err}"
            );
            assert!(err.contains("retry"), "{err}");
        }
        let mut env = base();
        env.insert("WARDEN_RETENTION_REPLAY_DAYS", "7".into());
        assert_eq!(load(&env).unwrap().retention.policy.ages().replay_ids, 7);
    }

    #[test]
    fn retention_ages_and_interval_outside_their_range_name_their_variable() {
        for (var, bad) in [
            ("WARDEN_RETENTION_DONE_TASKS_DAYS", "0"),
            ("WARDEN_RETENTION_SENT_OUTBOX_DAYS", "3651"),
            ("WARDEN_RETENTION_HELD_OFFERS_DAYS", "-1"),
            ("WARDEN_RETENTION_CLOSED_REQUESTS_DAYS", "soon"),
            ("WARDEN_RETENTION_EXPIRED_CONSENTS_DAYS", "0"),
            ("WARDEN_RETENTION_INTERVAL_SECS", "59"),
            ("WARDEN_RETENTION_INTERVAL_SECS", "604801"),
        ] {
            let mut env = base();
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{var}={bad}: {err}");
        }
    }

    #[test]
    fn the_gemini_key_is_a_known_secret_and_never_shown() {
        let mut env = base();
        env.insert("WARDEN_AI_ENABLED", "true".into());
        env.insert("WARDEN_AI_PROVIDER", "gemini".into());
        env.insert("GEMINI_API_KEY", "AIzaSyD-gemini-key-value-0123".into());
        let config = load(&env).unwrap();
        assert!(!format!("{config:?}").contains("gemini-key-value"));
        assert!(config
            .secrets()
            .iter()
            .any(|s| s.expose_secret() == "AIzaSyD-gemini-key-value-0123"));
        assert!(
            unknown_vars(["GEMINI_API_KEY".to_owned(), "OLLAMA_MODLE".to_owned()])
                .contains("OLLAMA_MODLE")
        );
    }

    #[test]
    fn a_new_secret_setting_is_known_and_redacted_without_a_second_list() {
        // `TEST_EXTRA_SECRET` is declared once in `vars` and listed nowhere else.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("extra");
        std::fs::write(&path, "extra-secret-from-file-0123\n").unwrap();
        for (var, value) in [
            (
                "WARDEN_TEST_EXTRA_SECRET",
                "extra-secret-value-0123".to_owned(),
            ),
            ("WARDEN_TEST_EXTRA_SECRET_FILE", path.display().to_string()),
        ] {
            let mut vars = base();
            vars.insert(var, value);
            let lookup = |k: &str| vars.get(k).cloned();
            let mut env = Env::new(&lookup);
            let extra = env.secret(vars::TEST_EXTRA_SECRET).unwrap();
            let config = Config::read(env).unwrap();
            assert!(config
                .secrets()
                .iter()
                .any(|s| s.expose_secret() == extra.expose_secret()));
            let line = format!("calling with {} now", extra.expose_secret());
            let redacted = config.redactor().unwrap().redact(&line).into_owned();
            assert!(!redacted.contains(extra.expose_secret()), "{redacted}");
            assert!(unknown_vars([var.to_owned()]).is_empty(), "{var}");
        }
    }

    /// Every configuration the readers can take, so every branch asks for its variables.
    fn every_branch() -> Vec<HashMap<&'static str, String>> {
        let mut full = with_market(with_meta(base()));
        for (var, value) in [
            ("WARDEN_TWILIO_REPLY", "outbox"),
            ("WARDEN_CALLING_ENABLED", "true"),
            ("TWILIO_VOICE_FROM", "+14155550000"),
            ("WARDEN_AI_ENABLED", "true"),
            ("WARDEN_AI_PROVIDER", "gemini"),
            ("GEMINI_API_KEY", "AIzaSyD-gemini-key-value-0123"),
            ("WARDEN_ALLOWED_SENDERS", "+14155550123"),
            ("WARDEN_PHONE_REGION", "GB"),
            ("WARDEN_LOG_PHONES", "pseudonym"),
            ("WARDEN_JWT_KEY", "jwt-signing-key-0123456789abcdef-0123"),
            (
                "WARDEN_JWT_PREVIOUS_KEY",
                "jwt-previous-key-0123456789abcdef-456",
            ),
            ("WARDEN_ADMIN_LISTEN", "127.0.0.1:9081"),
            ("WARDEN_ADMIN_CORS_ORIGINS", "https://console.example.com"),
            ("WARDEN_PASSWORD_PEPPER", "pepper-0123456789abcdef"),
            ("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "100"),
            ("WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE", "20"),
            ("GOOGLE_REFRESH_TOKEN", "1//refresh-token-value-0123"),
            ("GOOGLE_CLIENT_ID", "cid.apps.googleusercontent.com"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-client-secret-0123"),
            ("WARDEN_TIMEZONE", "Europe/London"),
        ] {
            full.insert(var, value.into());
        }
        let mut ollama = full.clone();
        ollama.insert("WARDEN_AI_PROVIDER", "ollama".into());
        ollama.insert("WARDEN_GUARD_MODEL", "llama-guard3:1b".into());
        vec![full, ollama]
    }

    #[test]
    fn every_variable_the_readers_read_is_known_and_every_known_one_is_read() {
        let asked = std::cell::RefCell::new(BTreeSet::new());
        for vars in every_branch() {
            Config::from_lookup(|k| {
                asked.borrow_mut().insert(k.to_owned());
                vars.get(k).cloned()
            })
            .unwrap();
        }
        // `warden calendar auth` reads its own few.
        calendar_auth(&|k: &str| {
            asked.borrow_mut().insert(k.to_owned());
            match k {
                "GOOGLE_CLIENT_ID" => Some("cid".to_owned()),
                "GOOGLE_CLIENT_SECRET" => Some("secret".to_owned()),
                _ => None,
            }
        })
        .unwrap();
        let asked = asked.into_inner();
        let unknown: Vec<_> = asked
            .iter()
            .filter(|k| !KNOWN_VARS.contains(&k.as_str()))
            .collect();
        assert!(unknown.is_empty(), "read but not known: {unknown:?}");
        assert!(unknown_vars(asked.iter().cloned()).is_empty());
        // The log filter is read by `telemetry`; the test secret only by the test above.
        let not_read: Vec<_> = KNOWN_VARS
            .iter()
            .filter(|k| !asked.contains(**k))
            .filter(|k| **k != vars::LOG.name() && !k.starts_with("WARDEN_TEST_"))
            .collect();
        assert!(not_read.is_empty(), "declared but never read: {not_read:?}");
    }

    #[test]
    fn the_admin_api_is_off_without_a_jwt_key_and_refuses_weak_keys_and_wildcard_origins() {
        let mut vars = base();
        assert!(load(&vars).unwrap().admin.is_none());
        vars.insert("WARDEN_JWT_KEY", "k".repeat(32));
        let admin = load(&vars).unwrap().admin.unwrap();
        assert_eq!(admin.listen.to_string(), DEFAULT_ADMIN_LISTEN);
        assert!(admin.cors_origins.is_empty());
        for (var, value) in [
            ("WARDEN_JWT_KEY", "k".repeat(31)),
            ("WARDEN_JWT_PREVIOUS_KEY", "p".repeat(31)),
            ("WARDEN_ADMIN_CORS_ORIGINS", "*".to_owned()),
            (
                "WARDEN_ADMIN_CORS_ORIGINS",
                "https://other.example/path".to_owned(),
            ),
            ("WARDEN_ADMIN_CORS_ORIGINS", "other.example".to_owned()),
            ("WARDEN_ADMIN_LISTEN", "localhost".to_owned()),
        ] {
            let mut bad = vars.clone();
            bad.insert(var, value.clone());
            let e = load(&bad).unwrap_err().to_string();
            assert!(e.contains(var), "{var}={value}: {e}");
            assert!(
                !e.contains(&value) || value.len() < 3,
                "the value is not echoed: {e}"
            );
        }
    }

    #[test]
    fn no_variable_name_is_declared_twice_so_a_secret_cannot_also_be_read_as_plain() {
        let mut seen = BTreeSet::new();
        for name in KNOWN_VARS {
            assert!(seen.insert(name), "{name} is declared twice");
        }
    }

    #[test]
    fn every_secret_a_full_configuration_holds_reaches_the_redactor() {
        for vars in every_branch() {
            let config = load(&vars).unwrap();
            let secrets: Vec<_> = config
                .secrets()
                .iter()
                .map(|s| s.expose_secret().to_owned())
                .collect();
            let mut held = vec![
                &config.database_url,
                &config.pair_token,
                &config.pseudonym_key,
            ];
            let twilio = config.twilio.as_ref().unwrap();
            let meta = config.meta.as_ref().unwrap();
            held.extend([
                &twilio.auth_token,
                &meta.app_secret,
                &meta.verify_token,
                &meta.access_token,
                &config.market.as_ref().unwrap().ref_key,
                &config.admin.as_ref().unwrap().jwt_key,
            ]);
            held.extend(config.admin.as_ref().unwrap().jwt_previous_key.as_ref());
            let calendar = config.calendar.as_ref().unwrap();
            held.extend([&calendar.client_secret, &calendar.refresh_token]);
            if let Some(AiProvider::Gemini { api_key, .. }) =
                config.ai.as_ref().map(|ai| &ai.provider)
            {
                held.push(api_key);
            }
            for secret in held {
                assert!(secrets.iter().any(|s| s == secret.expose_secret()));
            }
        }
    }

    #[test]
    fn the_admin_request_budgets_default_to_100_and_20_and_refuse_zero() {
        let mut env = base();
        env.insert("WARDEN_JWT_KEY", "j".repeat(32));
        let admin = load(&env).unwrap().admin.unwrap();
        assert_eq!(
            (admin.requests_per_minute, admin.auth_requests_per_minute),
            (100, 20)
        );
        env.insert("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "5000".into());
        env.insert("WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE", "100000".into());
        let admin = load(&env).unwrap().admin.unwrap();
        assert_eq!(
            (admin.requests_per_minute, admin.auth_requests_per_minute),
            (5000, 100_000)
        );
        // Zero would lock every operator out; past 100,000 it limits nothing.
        for (var, bad) in [
            ("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "0"),
            ("WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE", "0"),
            ("WARDEN_ADMIN_REQUESTS_PER_MINUTE", "100001"),
            ("WARDEN_ADMIN_AUTH_REQUESTS_PER_MINUTE", "many"),
        ] {
            let mut env = env.clone();
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{err}");
        }
    }

    #[test]
    fn the_calendar_is_off_without_a_refresh_token_and_the_zone_defaults_to_utc() {
        let config = load(&base()).unwrap();
        assert!(config.calendar.is_none());
        assert_eq!(config.timezone.name(), "UTC");
    }

    #[test]
    fn a_refresh_token_turns_the_calendar_on_with_its_client_and_google_defaults() {
        let mut env = base();
        env.insert("GOOGLE_REFRESH_TOKEN", "1//refresh-token-value".into());
        // Without the client the grant was given to, the calendar cannot start.
        for missing in ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"] {
            let mut env = env.clone();
            env.insert("GOOGLE_CLIENT_ID", "cid".into());
            env.insert("GOOGLE_CLIENT_SECRET", "GOCSPX-secret".into());
            env.remove(missing);
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(missing), "{err}");
        }
        env.insert("GOOGLE_CLIENT_ID", "cid".into());
        env.insert("GOOGLE_CLIENT_SECRET", "GOCSPX-secret".into());
        let config = load(&env).unwrap();
        let calendar = config.calendar.as_ref().unwrap();
        assert_eq!(calendar.oauth_url, "https://oauth2.googleapis.com");
        assert_eq!(calendar.api_url, "https://www.googleapis.com");
        assert_eq!(calendar.calendar_id, "primary");
        let shown = format!("{config:?}");
        assert!(!shown.contains("refresh-token-value") && !shown.contains("GOCSPX"));
        env.insert("GOOGLE_CALENDAR_API_URL", "http://127.0.0.1:9999/".into());
        env.insert(
            "GOOGLE_CALENDAR_ID",
            "team@group.calendar.google.com".into(),
        );
        let calendar = load(&env).unwrap().calendar.unwrap();
        assert_eq!(calendar.api_url, "http://127.0.0.1:9999");
        assert_eq!(calendar.calendar_id, "team@group.calendar.google.com");
    }

    #[test]
    fn a_google_url_in_clear_text_off_loopback_or_with_a_path_is_refused() {
        let mut env = base();
        env.insert("GOOGLE_REFRESH_TOKEN", "1//refresh-token-value".into());
        env.insert("GOOGLE_CLIENT_ID", "cid".into());
        env.insert("GOOGLE_CLIENT_SECRET", "GOCSPX-secret".into());
        for (var, bad) in [
            ("GOOGLE_CALENDAR_API_URL", "http://www.googleapis.com"),
            (
                "GOOGLE_CALENDAR_API_URL",
                "https://www.googleapis.com/calendar",
            ),
            ("GOOGLE_OAUTH_URL", "http://oauth2.googleapis.com"),
        ] {
            let mut env = env.clone();
            env.insert(var, bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(err.contains(var), "{err}");
        }
    }

    #[test]
    fn the_time_zone_is_an_iana_name_and_an_unknown_one_refuses_to_start() {
        let mut env = base();
        env.insert("WARDEN_TIMEZONE", " Europe/Berlin ".into());
        assert_eq!(load(&env).unwrap().timezone.name(), "Europe/Berlin");
        for bad in ["Mars/Olympus", "+02:00", "CEST"] {
            env.insert("WARDEN_TIMEZONE", bad.into());
            let err = load(&env).unwrap_err().to_string();
            assert!(
                err.contains("WARDEN_TIMEZONE") && !err.contains(bad),
                "{err}"
            );
        }
    }
}
