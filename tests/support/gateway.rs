//! One Warden under test: started, restarted, scaled out, killed and finished.

use std::sync::Arc;

use anyhow::{Context, Result};
use secrecy::ExposeSecret;
use warden::Running;
use warden_simulators::{MetaSimulator, TwilioSimulator};
use warden_store::Store;
use warden_test_support::{ManualClock, TestDb};

use super::settings::config;
use super::{Backend, Secrets, Settings, PUBLIC_URL, T0_MS};

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
    pub(super) http: reqwest::Client,
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
        Self::start_with_secrets(backend, settings, Secrets::generate()).await
    }

    /// As [`Gateway::start_with`], with secrets the caller generated (a mock that must know
    /// them before the gateway starts, like Google's grant).
    pub async fn start_with_secrets(
        backend: Backend,
        settings: Settings,
        mut secrets: Secrets,
    ) -> Result<Self> {
        let db = TestDb::new(backend).await;
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
        let meta = meta_simulator(&running, &secrets, &clock);
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

    pub(super) fn running(&self) -> &Running {
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

    /// The admin API's base URL (`Settings::admin`).
    pub fn admin_url(&self) -> String {
        let addr = self
            .running()
            .admin_addr
            .unwrap_or_else(|| panic!("the admin API is off: use Settings::admin"));
        format!("http://{addr}")
    }

    /// The operator-access use cases, as the CLI runs them.
    pub fn access(&self) -> &warden_access::Access {
        &self.running().access
    }

    /// The HTTP client the gateway's tests share.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
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
        self.meta = meta_simulator(&running, &self.secrets, &self.clock);
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
            let running = runtime.block_on(warden::start(config, clock.clone()))?;
            let meta = meta_simulator(&running, &secrets, &clock);
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

/// Stamps its payloads with the gateway's clock.
fn meta_simulator(running: &Running, secrets: &Secrets, clock: &Arc<ManualClock>) -> MetaSimulator {
    MetaSimulator::new(
        &format!("http://{}", running.addr),
        secrets.meta_app_secret.clone(),
        clock.clone(),
    )
}

fn simulator(running: &Running, secrets: &Secrets) -> TwilioSimulator {
    TwilioSimulator::new(
        &format!("http://{}", running.addr),
        PUBLIC_URL,
        secrets.twilio_auth_token.clone(),
    )
}
