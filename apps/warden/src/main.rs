//! The `warden` command line.

#![allow(clippy::print_stdout, reason = "a CLI prints its results")]

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use warden::{config, Config, SystemClock};
use warden_store::{Store, VerifyError};

#[derive(Parser, Debug)]
#[command(
    name = "warden",
    version,
    about = "Security-first gateway for WhatsApp assistants"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the gateway (configuration from the environment; see README).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Run a scripted conversation against a real server on a temporary database.
    Demo,
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Verify the hash chain; exit 0 if intact, 1 naming the first bad row otherwise.
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints its own story; only problems should interrupt it.
    warden::telemetry::init(if matches!(cli.command, Cmd::Demo) {
        "warn"
    } else {
        "info"
    });
    let result = match cli.command {
        Cmd::Serve => serve().await,
        Cmd::Migrate => migrate().await,
        Cmd::Audit {
            command: AuditCmd::Verify,
        } => return audit_verify().await,
        Cmd::Demo => warden::demo::run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    for var in config::unknown_vars(std::env::vars().map(|(k, _)| k)) {
        tracing::warn!(variable = %var, "unknown configuration variable ignored; is it a typo?");
    }
    let config = Config::from_env()?;
    tracing::info!(config = ?config, "starting");
    let running = warden::start(config, Arc::new(SystemClock)).await?;
    let stop = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! { r = ctrl_c => r, _ = term.recv() => Ok(()) }
        }
        #[cfg(not(unix))]
        ctrl_c.await
    };
    stop.await.context("waiting for a shutdown signal")?;
    tracing::info!("shutting down");
    running.shutdown().await
}

fn database_url() -> Result<secrecy::SecretString, config::ConfigError> {
    config::database_url(&|k| std::env::var(k).ok())
}

async fn migrate() -> anyhow::Result<()> {
    let store = Store::connect(database_url()?.expose_secret()).await?;
    store.migrate().await?;
    println!("migrations applied");
    Ok(())
}

async fn audit_verify() -> ExitCode {
    let url = match database_url() {
        Ok(url) => url,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::connect_existing(url.expose_secret()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match store.verify_audit().await {
        Ok(chain) => {
            println!(
                "audit chain intact: {} rows, head seq {} hash {}",
                chain.rows, chain.head.seq, chain.head.hash
            );
            ExitCode::SUCCESS
        }
        Err(VerifyError::Broken(e)) => {
            println!(
                "audit chain BROKEN: first bad row {}: {e}",
                e.first_bad_seq()
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
