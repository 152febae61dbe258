//! The Warden gateway: wires the adapters into the HTTP edge and the CLI.
//!
//! Reads like a sentence: build the store and the assistant from config, hand them to the
//! message service, hand the service to the HTTP edge.

pub mod admin;
pub mod calendar;
pub mod calendar_auth;
pub mod clock;
pub mod config;
pub mod console;
pub mod demo;
pub mod edge;
pub mod http;
pub mod operator;
pub mod periodic;
pub mod retention;
pub mod scheduler;
pub mod telemetry;
pub mod worker;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use warden_assistant::marketplace::MarketService;
use warden_assistant::{Assistant, CalendarReads, MessageService, Policy, ReplyVia};
use warden_audit::Pseudonymizer;
use warden_calendar::jobs::JobPassConfig;
use warden_calendar::Calendar;
use warden_delivery::{DeliveryWake, MessageSender, PassConfig, Senders};
use warden_gates::{AuthFailureLimiter, RatePolicy};
use warden_google_calendar::GoogleCalendar;
use warden_marketplace::CallPlacer;
use warden_store::{SqlCalendarJobs, SqlLedger, SqlOutbox, Store, WriterConfig, WriterStopped};
use warden_twilio::WebhookAuthenticator;
use warden_types::Clock;
use warden_types::Provider;

pub use clock::{OsPairingCodes, SystemClock};
pub use config::Config;
use config::TwilioReply;

/// Failed authentications one client address may cause per minute before it gets 429s.
const AUTH_FAILURES_PER_MINUTE: u32 = 10;
/// Client addresses the failure limiter remembers at most.
const AUTH_FAILURE_CLIENTS: usize = 10_000;

/// A running gateway. Dropping it does not stop the server; call [`Running::shutdown`].
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    /// The admin API's address, when `WARDEN_JWT_KEY` turned it on.
    pub admin_addr: Option<SocketAddr>,
    admin_server: Option<JoinHandle<std::io::Result<()>>>,
    pub store: Store,
    stop: tokio_util::sync::CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    worker: worker::Worker,
    /// The worker's pass, to run on demand (tests step it instead of waiting for its tick).
    pub delivery: Arc<worker::Delivery>,
    writer_stopped: WriterStopped,
    advice_tasks: tokio_util::task::TaskTracker,
    /// The operator actions on this gateway's store and marketplace (the demo and tests use
    /// them as the CLI does).
    pub operator: operator::Operator,
    /// The operator-access use cases (accounts; sessions when the admin API is on).
    pub access: warden_access::Access,
    /// The marketplace, when `WARDEN_MARKET_ENABLED`.
    pub market: Option<MarketService>,
    scheduler: Option<periodic::Periodic>,
    retention: Option<periodic::Periodic>,
    /// The calendar worker's pass, when the calendar is on (tests step it).
    pub calendar: Option<Arc<calendar::CalendarWork>>,
    calendar_worker: Option<periodic::Periodic>,
}

/// How long shutdown waits for the ledger writer to finish its queue.
const WRITER_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

impl Running {
    /// Stops accepting, finishes in-flight requests, then waits for the ledger writer to
    /// commit what it was given and release the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.server.await.context("server task panicked")??;
        if let Some(admin) = self.admin_server {
            admin.await.context("admin server task panicked")??;
        }
        // Advice in flight still records its audit and enqueues its reply.
        self.advice_tasks.close();
        if tokio::time::timeout(WRITER_DRAIN, self.advice_tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("advice still running after shutdown; its replies may be missing");
        }
        if let Some(scheduler) = self.scheduler {
            scheduler.shutdown().await;
        }
        if let Some(retention) = self.retention {
            retention.shutdown().await;
        }
        if let Some(calendar) = self.calendar_worker {
            calendar.shutdown().await;
        }
        self.worker.shutdown().await;
        if tokio::time::timeout(WRITER_DRAIN, self.writer_stopped.wait())
            .await
            .is_err()
        {
            tracing::warn!("ledger writer still busy after shutdown; leaving it");
        }
        Ok(())
    }
}

/// Connects and migrates the store, then serves on `config.listen` (port 0 picks a free one).
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let store = Store::connect(config.database_url.expose_secret())
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    start_with_store(config, store, clock, WriterConfig::default()).await
}

/// As [`start`], on a store the caller already connected and migrated.
pub async fn start_with_store(
    config: Config,
    store: Store,
    clock: Arc<dyn Clock>,
    writer: WriterConfig,
) -> anyhow::Result<Running> {
    // One redactor with every configured secret, for audit details (redacted before they are
    // hashed and stored), the advisor's context and replies, and the marketplace's relay.
    let redactor = Arc::new(config.redactor().context("building the redactor")?);
    let store = store.with_audit_redactor(redactor.clone());
    let pseudonyms = Arc::new(Pseudonymizer::new(config.pseudonym_key.clone()));
    let allowed = config
        .allowed_senders
        .iter()
        .map(|p| pseudonyms.sender_id(p));
    let policy = Policy {
        rate: RatePolicy::per_minute(config.rate_limit_per_minute),
        ai_advice: config.ai.is_some(),
        marketplace: config.market.is_some(),
        ..Policy::default()
    };
    let google = config
        .calendar
        .clone()
        .map(|c| -> anyhow::Result<Arc<dyn Calendar>> {
            Ok(Arc::new(
                GoogleCalendar::new(c).context("setting up Google Calendar")?,
            ))
        })
        .transpose()?;
    let mut assistant = Assistant::new(policy, allowed, config.pair_token.clone())
        .with_pairing_mode(config.pairing_mode, Arc::new(clock::OsPairingCodes));
    if google.is_some() {
        assistant = assistant.with_calendar(config.timezone.clone());
        tracing::info!(zone = config.timezone.name(), "Google Calendar enabled");
    }
    let assistant = Arc::new(assistant);
    let ledger = SqlLedger::start(store.clone(), assistant, clock.clone(), writer);
    let writer_stopped = ledger.stopped();
    let mut service = MessageService::new(Arc::new(ledger), pseudonyms.clone());
    if let Some(ai) = &config.ai {
        service = service.with_advisor(Arc::new(advisor(
            ai,
            redactor.clone(),
            config.calendar.is_some(),
        )?));
        tracing::info!(provider = ?ai.provider, "LLM advisor enabled");
    }
    let outbox_wake = Arc::new(Notify::new());
    let wake: Arc<dyn DeliveryWake> = Arc::new(worker::NotifyWake(outbox_wake.clone()));
    service = service.with_wake(wake.clone());
    let mut calendar_work = None;
    if let Some(google) = google {
        service = service.with_calendar(CalendarReads {
            calendar: google.clone(),
            zone: config.timezone.clone(),
            clock: clock.clone(),
        });
        calendar_work = Some(Arc::new(calendar::CalendarWork::new(
            Arc::new(SqlCalendarJobs::new(store.clone())),
            google,
            JobPassConfig::default(),
            clock.clone(),
            wake.clone(),
        )));
    }
    let calendar_worker = calendar_work.clone().map(calendar::start);
    let market = match &config.market {
        Some(m) => {
            let market =
                operator::market_service(m, store.clone(), redactor.clone(), clock.clone())?
                    .with_calls(call_placer(&config, m)?)
                    .with_wake(wake.clone());
            service = service.with_market(market.clone());
            tracing::info!(
                calling = m.config.calling.enabled(),
                "concierge marketplace enabled"
            );
            Some(market)
        }
        None => None,
    };
    let scheduler = market.clone().map(scheduler::start);
    let mut operator = operator::Operator::new(store.clone(), clock.clone())
        .with_pseudonyms(pseudonyms.clone())
        .with_wake(wake.clone())
        .with_privacy(pseudonyms.clone(), config.retention.policy);
    let retention = match (config.retention.interval, operator.privacy()) {
        (Some(interval), Ok(privacy)) => Some(retention::start(privacy.clone(), interval)),
        _ => None,
    };
    if let Some(market) = &market {
        operator = operator.with_market(market.clone(), pseudonyms.clone());
    }
    let outbox = Arc::new(SqlOutbox::new(store.clone()));
    let advice_tasks = tokio_util::task::TaskTracker::new();
    let delivery = Arc::new(worker::Delivery::new(
        outbox.clone(),
        senders(&config)?,
        PassConfig {
            lease: config.outbox_lease,
            ..PassConfig::default()
        },
        clock.clone(),
    ));
    let worker = worker::Worker::start(delivery.clone(), outbox_wake.clone());

    let twilio = config.twilio.as_ref().map(|t| http::TwilioEdge {
        auth: WebhookAuthenticator::new(t.auth_token.clone(), t.account_sid.clone()),
        url: format!("{}/webhooks/twilio", config.public_url),
        status_url: format!("{}/webhooks/twilio/status", config.public_url),
        reply_via: match t.reply {
            TwilioReply::Twiml => ReplyVia::Response,
            TwilioReply::Outbox => ReplyVia::Outbox,
        },
    });
    let meta = config.meta.as_ref().map(|m| http::MetaEdge {
        signature: warden_meta::SignatureVerifier::new(m.app_secret.clone()),
        subscription: warden_meta::SubscriptionVerifier::new(m.verify_token.clone()),
        phone_number_id: m.phone_number_id.clone(),
    });
    match &twilio {
        Some(t) => tracing::info!(reply = ?t.reply_via, "Twilio channel enabled"),
        None => tracing::info!("Twilio channel disabled: TWILIO_AUTH_TOKEN is not set"),
    }
    match &meta {
        Some(_) => tracing::info!("Meta channel enabled"),
        None => tracing::info!("Meta channel disabled: META_APP_SECRET is not set"),
    }
    let state = Arc::new(http::AppState {
        service,
        twilio,
        meta,
        outbox,
        auth_failures: Mutex::new(AuthFailureLimiter::new(
            RatePolicy::per_minute(AUTH_FAILURES_PER_MINUTE),
            AUTH_FAILURE_CLIENTS,
        )),
        clock: clock.clone(),
        advice_tasks: advice_tasks.clone(),
    });
    let app = http::router(state, config.max_body_bytes);

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let access = access(&config, store.clone(), clock.clone())?.with_wake(wake.clone());
    let (admin_addr, admin_server) = match &config.admin {
        Some(settings) => {
            let state = Arc::new(
                admin::AdminState::new(
                    access.clone(),
                    operator.clone(),
                    clock.clone(),
                    admin::Budgets {
                        unauthenticated_per_minute: settings.auth_requests_per_minute,
                        authenticated_per_minute: settings.requests_per_minute,
                    },
                )
                .with_jwt_key(settings.jwt_key.expose_secret().as_bytes()),
            );
            let app = admin::router(state, &settings.cors_origins);
            let listener = TcpListener::bind(settings.listen)
                .await
                .with_context(|| format!("binding the admin API to {}", settings.listen))?;
            let admin_addr = listener.local_addr()?;
            let limits = edge::EdgeLimits {
                max_body_bytes: admin::MAX_BODY_BYTES,
                ..config.edge
            };
            let server = tokio::spawn(edge::serve(
                listener,
                app,
                limits,
                stop.clone().cancelled_owned(),
            ));
            tracing::info!(addr = %admin_addr, "admin API listening");
            (Some(admin_addr), Some(server))
        }
        None => {
            tracing::info!("admin API disabled: WARDEN_JWT_KEY is not set");
            (None, None)
        }
    };
    let server = tokio::spawn(edge::serve(
        listener,
        app,
        config.edge,
        stop.clone().cancelled_owned(),
    ));
    tracing::info!(%addr, "warden listening");
    Ok(Running {
        addr,
        admin_addr,
        admin_server,
        store,
        stop,
        server,
        worker,
        calendar: calendar_work,
        calendar_worker,
        delivery,
        writer_stopped,
        advice_tasks,
        operator,
        access,
        market,
        scheduler,
        retention,
    })
}

/// The operator-access use cases on `store`: the password hasher with the configured pepper,
/// and sessions when the admin API is configured.
pub fn access(
    config: &Config,
    store: Store,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<warden_access::Access> {
    let pepper = config
        .password_pepper
        .as_ref()
        .map(|p| secrecy::SecretSlice::from(p.expose_secret().as_bytes().to_vec()));
    let hasher = warden_operators::PasswordHasher::new(pepper)
        .map_err(|e| anyhow::anyhow!("configuring the password hasher: {e}"))?;
    let mut access = warden_access::Access::new(
        Arc::new(warden_store::SqlAccess::new(store)),
        Arc::new(admin::BlockingHasher::new(hasher)),
        Arc::new(admin::OsEntropy),
        clock,
    );
    // Security alerts go out on the first channel that can send on its own.
    let twilio_sends = config
        .twilio
        .as_ref()
        .is_some_and(|t| t.account_sid.is_some() && t.whatsapp_from.is_some());
    if twilio_sends {
        access = access.with_alerts(Provider::Twilio);
    } else if config.meta.is_some() {
        access = access.with_alerts(Provider::Meta);
    }
    if let Some(admin) = &config.admin {
        let key = |k: &SecretString| {
            warden_operators::SigningKey::derived(secrecy::SecretSlice::from(
                k.expose_secret().as_bytes().to_vec(),
            ))
            .map_err(|e| anyhow::anyhow!("WARDEN_JWT_KEY: {e}"))
        };
        let previous = admin.jwt_previous_key.as_ref().map(key).transpose()?;
        access = access.with_tokens(Arc::new(warden_operators::AccessTokens::new(
            key(&admin.jwt_key)?,
            previous.into_iter().collect(),
        )));
    }
    Ok(access)
}

/// The concierge marketplace from config: the domain's validated limits, the default tag
/// synonyms, the input guard and `redactor`, which must know every configured secret.
pub fn marketplace(
    m: &config::MarketSettings,
    redactor: Arc<warden_redaction::Redactor>,
) -> anyhow::Result<warden_marketplace::Marketplace> {
    let tags = warden_marketplace::TagExtractor::new(&warden_marketplace::TagConfig::default())
        .map_err(|e| anyhow::anyhow!("building the tag extractor: {e}"))?;
    let guard = warden_guard::Guard::new(warden_guard::GuardConfig::default())
        .map_err(|e| anyhow::anyhow!("building the input guard: {e}"))?;
    let key = warden_marketplace::RefKey::new(m.ref_key.expose_secret().as_bytes())
        .map_err(|e| anyhow::anyhow!("WARDEN_MARKET_REF_KEY: {e}"))?;
    Ok(warden_marketplace::Marketplace::new(
        m.config, tags, guard, redactor, key,
    ))
}

/// The Twilio Voice adapter when calling is enabled (Twilio's account, `TWILIO_VOICE_FROM` as
/// the caller id, `TWILIO_API_URL` as for messages).
pub(crate) fn call_placer(
    config: &Config,
    m: &config::MarketSettings,
) -> anyhow::Result<Option<Arc<dyn CallPlacer>>> {
    if !m.config.calling.enabled() {
        return Ok(None);
    }
    let (Some(t), Some(from)) = (&config.twilio, &m.voice_from) else {
        anyhow::bail!("calling needs the Twilio channel and TWILIO_VOICE_FROM");
    };
    let Some(sid) = &t.account_sid else {
        anyhow::bail!("calling needs TWILIO_ACCOUNT_SID");
    };
    let mut voice =
        warden_twilio::VoiceConfig::new(sid.clone(), t.auth_token.clone(), from.clone());
    voice.api_url = t.api_url.clone();
    let voice = warden_twilio::TwilioVoice::new(voice).context("configuring Twilio Voice")?;
    Ok(Some(Arc::new(voice)))
}

/// The LLM advisor: the input guard, a redactor that knows every configured secret, and the
/// chosen model's adapter.
/// `calendar_commands`: the gateway has a calendar, so the model is told about its commands.
fn advisor(
    ai: &config::AiConfig,
    redactor: Arc<warden_redaction::Redactor>,
    calendar_commands: bool,
) -> anyhow::Result<warden_advisor::Advisor> {
    let guard = warden_guard::Guard::new(warden_guard::GuardConfig {
        threshold: ai.guard_threshold,
    })
    .map_err(|e| anyhow::anyhow!("building the input guard: {e}"))?;
    let llm: Arc<dyn warden_advisor::LlmAdvisor> = match &ai.provider {
        config::AiProvider::Gemini {
            api_key,
            base_url,
            model,
        } => {
            let mut c = warden_gemini::GeminiConfig::new(api_key.clone());
            if let Some(url) = base_url {
                c.base_url = url.clone();
            }
            if let Some(m) = model {
                c.model = m.clone();
            }
            c.timeout = ai.timeout;
            Arc::new(warden_gemini::GeminiAdvisor::new(c).context("configuring Gemini")?)
        }
        config::AiProvider::Ollama { base_url, model } => {
            let mut c = warden_ollama::OllamaConfig::default();
            if let Some(url) = base_url {
                c.base_url = url.clone();
            }
            if let Some(m) = model {
                c.model = m.clone();
            }
            c.timeout = ai.timeout;
            Arc::new(warden_ollama::OllamaAdvisor::new(c).context("configuring Ollama")?)
        }
    };
    let advisor = warden_advisor::Advisor::new(
        warden_advisor::AdvisorConfig {
            allowed_domains: ai.allowed_domains.clone(),
            calendar_commands,
            ..warden_advisor::AdvisorConfig::default()
        },
        guard,
        redactor,
        llm,
    );
    Ok(match &ai.guard_model {
        None => advisor,
        Some(g) => {
            let mut c = warden_ollama::OllamaConfig {
                model: g.model.clone(),
                timeout: g.timeout,
                // One attempt: a second opinion that needs retries is too late to wait for.
                max_attempts: 1,
                ..warden_ollama::OllamaConfig::default()
            };
            if let Some(url) = &g.base_url {
                c.base_url = url.clone();
            }
            let model =
                warden_ollama::OllamaGuard::new(c).context("configuring the guard model")?;
            advisor.with_second_opinion(Arc::new(model))
        }
    })
}

/// The outbound adapters the configuration enables, by provider.
fn senders(config: &Config) -> anyhow::Result<Senders> {
    let mut senders = Senders::new();
    if let Some(t) = &config.twilio {
        if let (Some(sid), Some(from)) = (&t.account_sid, &t.whatsapp_from) {
            let mut rest =
                warden_twilio::RestConfig::new(sid.clone(), t.auth_token.clone(), from.clone());
            rest.api_url = t.api_url.clone();
            // Twilio only calls https URLs back; behind plain http there are no status reports.
            if config.public_url.starts_with("https://") {
                rest.status_callback =
                    Some(format!("{}/webhooks/twilio/status", config.public_url));
            }
            let sender =
                warden_twilio::TwilioSender::new(rest).context("configuring Twilio's REST API")?;
            senders.insert(Provider::Twilio, Arc::new(sender) as Arc<dyn MessageSender>);
        }
    }
    if let Some(m) = &config.meta {
        let mut graph =
            warden_meta::GraphConfig::new(m.phone_number_id.clone(), m.access_token.clone());
        graph.base_url = m.graph_url.clone();
        graph.api_version = m.graph_api_version.clone();
        let sender = warden_meta::MetaSender::new(graph).context("configuring Meta's Graph API")?;
        senders.insert(Provider::Meta, Arc::new(sender) as Arc<dyn MessageSender>);
    }
    Ok(senders)
}

/// A random 256-bit token as hex, for the demo and tests.
pub fn random_token() -> SecretString {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(hex::encode(bytes))
}
