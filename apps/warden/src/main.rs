//! The `warden` command line.

#![allow(clippy::print_stdout, reason = "a CLI prints its results")]

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use warden::operator::{CallOutcome, Operator};
use warden::{config, Config, SystemClock};
use warden_marketplace::ConsentRecord;
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
    /// Outbound messages: what was sent, what failed, and putting failures back in the queue.
    Outbox {
        #[command(subcommand)]
        command: OutboxCmd,
    },
    /// Copy stdin to stdout with phone numbers, secrets and e-mail addresses redacted, line by
    /// line (pipe old logs and exports through it). Uses the configured secrets when the
    /// environment holds a complete configuration.
    Redact {
        /// Each line is a JSON document (a provider payload, a JSON log line): redact it field by
        /// field. A line that is not JSON is redacted as text.
        #[arg(long)]
        json: bool,
    },
    /// Screen text offline with the prompt-injection input guard: one message per line on stdin,
    /// one JSON verdict per line on stdout. With `--answers`, each line is a model's raw answer
    /// instead, screened by the advisor's output guard as the gateway screens it.
    Guard {
        /// Scores at or above this are injections, in (0, 1].
        #[arg(long, default_value_t = 0.5)]
        threshold: f32,
        /// Lines are model answers (the advisor's JSON schema): print whether each would be
        /// delivered, or why it would be blocked.
        #[arg(long)]
        answers: bool,
    },
    /// Run a scripted conversation against a real server on a temporary database.
    Demo,
    /// Strangers' pairing requests (WARDEN_PAIRING_MODE=approval or both): list, approve, reject.
    Pairing {
        #[command(subcommand)]
        command: PairingCmd,
    },
    /// Concierge marketplace vendors (registered by operators only).
    Vendor {
        #[command(subcommand)]
        command: VendorCmd,
    },
    /// Vendor replies held for review (payment details, injection, no reference…).
    Offers {
        #[command(subcommand)]
        command: OffersCmd,
    },
    /// Clients' call consent.
    Consent {
        #[command(subcommand)]
        command: ConsentCmd,
    },
    /// Call the client of a request (only with their unexpired consent; audited either way).
    Call {
        /// The request reference, e.g. R-7F3K2Q.
        reference: String,
    },
    /// Operator accounts of the admin API (owner, operator, auditor).
    Operator {
        #[command(subcommand)]
        command: OperatorCmd,
    },
    /// A data subject (a phone number): export or erase everything Warden holds about it.
    Subject {
        #[command(subcommand)]
        command: SubjectCmd,
    },
    /// Data retention (ages from WARDEN_RETENTION_*; a running gateway prunes on its own).
    Retention {
        #[command(subcommand)]
        command: RetentionCmd,
    },
    /// Google Calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCmd,
    },
}

#[derive(Subcommand, Debug)]
enum CalendarCmd {
    /// Obtain a refresh token for the calendar (scope calendar.events only): prints Google's
    /// consent URL, waits for the browser's redirect on a loopback port (PKCE, state), and
    /// prints the token once. Needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (a Desktop app
    /// OAuth client).
    Auth,
}

#[derive(Subcommand, Debug)]
enum OperatorCmd {
    /// Create an account; prints its TOTP provisioning URI and recovery codes, once.
    Add {
        /// The login name: 3–64 characters of a-z, 0-9, '.', '_' or '-'.
        #[arg(long)]
        name: String,
        /// owner (everything), operator (day-to-day actions) or auditor (read-only).
        #[arg(long)]
        role: String,
        /// Read the password (12–128 characters, not a common one) from the first line of
        /// stdin, so it never appears in the shell history or the process list.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The operator's own WhatsApp number (E.164), for security alerts.
        #[arg(long)]
        phone: Option<String>,
    },
    /// List accounts.
    List,
    /// Disable an account and revoke its sessions (never the last owner).
    Disable { name: String },
    /// Enable a disabled account (its lockout is cleared too).
    Enable { name: String },
    /// Replace an account's second factor (lost authenticator); revokes its sessions.
    ResetMfa { name: String },
    /// Change an account's role (never demoting the last owner).
    SetRole { name: String, role: String },
}

#[derive(Subcommand, Debug)]
enum PairingCmd {
    /// List pending, unexpired pairing codes, oldest first (numbers masked).
    List,
    /// Approve a code: the sender joins the allowlist and is told "Paired…" (audited).
    Approve {
        /// The code the sender was given, e.g. K7Q3-M2XP (any case, dash optional).
        code: String,
    },
    /// Reject a code: the request ends and the sender is sent nothing (audited).
    Reject {
        /// The code the sender was given, e.g. K7Q3-M2XP (any case, dash optional).
        code: String,
    },
}

#[derive(Subcommand, Debug)]
enum SubjectCmd {
    /// Print everything held about the number as one JSON document (see README).
    Export {
        /// The subject's number, E.164 (+44…).
        #[arg(long)]
        phone: String,
        /// Replace task, message and offer text by its length in characters.
        #[arg(long)]
        without_text: bool,
    },
    /// Delete everything held about the number, in one transaction (audited `subject.erased`
    /// with the counts, never the number); prints the counts per table.
    Erase {
        /// The subject's number, E.164 (+44…).
        #[arg(long)]
        phone: String,
    },
}

#[derive(Subcommand, Debug)]
enum RetentionCmd {
    /// Run one retention pass now and print what it pruned (audited `retention.pruned`).
    Run,
}

#[derive(Subcommand, Debug)]
enum VendorCmd {
    /// Register a vendor (audited `vendor.changed`).
    Add {
        /// The business name clients see (no phone numbers or e-mail addresses).
        #[arg(long)]
        name: String,
        /// The vendor's WhatsApp number, E.164 (+351…).
        #[arg(long)]
        phone: String,
        /// What it offers, comma-separated: at least one service tag, optionally cities
        /// (`van,wheelchair,city:lisbon`).
        #[arg(long)]
        tags: String,
    },
    /// List vendors (phone numbers masked unless --show-phones).
    List {
        #[arg(long)]
        show_phones: bool,
    },
    /// Stop contacting a vendor; its replies are held (audited).
    Disable { id: i64 },
    /// Contact a disabled vendor again (audited).
    Enable { id: i64 },
}

#[derive(Subcommand, Debug)]
enum OffersCmd {
    /// List held vendor replies, oldest first (text redacted unless --show-text, which shows
    /// each one as written and audits it `offer.revealed`, actor `cli`).
    Held {
        #[arg(long)]
        show_text: bool,
    },
    /// Relay a held reply to the client after review, masked like any offer (audited).
    Release { id: i64 },
    /// Drop a held reply after review: the client never sees it, its text is deleted (audited).
    Discard { id: i64 },
}

#[derive(Subcommand, Debug)]
enum ConsentCmd {
    /// List clients' call consent (pseudonymous client ids).
    List,
}

#[derive(Subcommand, Debug)]
enum OutboxCmd {
    /// List outbox messages, newest first (recipients masked, no message text).
    List {
        /// Only permanently failed messages.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Put a failed message back in the queue with a fresh attempt budget (audited).
    Retry { id: i64 },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Verify the hash chain; exit 0 if intact, 1 naming the first bad row otherwise. The result
    /// is recorded in the chain (`audit.verified`), where the console's dashboard shows it.
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints its own story; only problems should interrupt it.
    warden::telemetry::init(
        if matches!(
            cli.command,
            Cmd::Demo | Cmd::Redact { .. } | Cmd::Guard { .. }
        ) {
            "warn"
        } else {
            "info"
        },
    );
    let result = match cli.command {
        Cmd::Serve => serve().await,
        Cmd::Migrate => migrate().await,
        Cmd::Audit {
            command: AuditCmd::Verify,
        } => return audit_verify().await,
        Cmd::Outbox { command } => outbox(command).await,
        Cmd::Redact { json } => redact(json),
        Cmd::Guard { threshold, answers } => guard(threshold, answers),
        Cmd::Demo => warden::demo::run().await,
        Cmd::Pairing { command } => pairing(command).await,
        Cmd::Vendor { command } => vendor(command).await,
        Cmd::Offers { command } => offers(command).await,
        Cmd::Consent {
            command: ConsentCmd::List,
        } => consent_list().await,
        Cmd::Call { reference } => call(&reference).await,
        Cmd::Operator { command } => operator_accounts(command).await,
        Cmd::Subject { command } => subject(command).await,
        Cmd::Retention {
            command: RetentionCmd::Run,
        } => retention_run().await,
        Cmd::Calendar {
            command: CalendarCmd::Auth,
        } => calendar_auth().await,
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
    // `vars_os`: a variable that is not UTF-8 (Warden's or anyone's) must not panic start-up.
    let names = std::env::vars_os().map(|(k, _)| k.to_string_lossy().into_owned());
    for var in config::unknown_vars(names) {
        tracing::warn!(variable = %var, "unknown configuration variable ignored; is it a typo?");
    }
    let config = Config::from_env()?;
    warden::telemetry::use_redactor(config.redactor().context("building the log redactor")?);
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
    let stopped = running.shutdown().await;
    // Export the spans still queued (bounded); a no-op when OTLP export is off.
    let _ = tokio::task::spawn_blocking(warden::telemetry::shutdown).await;
    stopped
}

async fn calendar_auth() -> anyhow::Result<()> {
    let config = config::calendar_auth(&config::process_env()?)?;
    let token =
        warden::calendar_auth::run(&config, warden::calendar_auth::CONSENT_TIMEOUT, |url| {
            eprintln!(
                "Open this URL in a browser on this machine and allow Warden to manage your \
                 calendar's events (waiting up to 5 minutes):\n\n{url}\n"
            );
        })
        .await?;
    println!("{}", warden::calendar_auth::instructions(&token));
    Ok(())
}

fn database_url() -> Result<secrecy::SecretString, config::ConfigError> {
    config::database_url(&config::process_env()?)
}

async fn migrate() -> anyhow::Result<()> {
    let store = Store::connect(database_url()?.expose_secret()).await?;
    store.migrate().await?;
    println!("migrations applied");
    Ok(())
}

/// The operator actions on the configured database (the environment `serve` reads; `outbox`
/// and `audit` need only the database URL).
async fn operator(database_only: bool) -> anyhow::Result<(Operator, Option<Config>)> {
    if database_only {
        let store = Store::connect_existing(database_url()?.expose_secret()).await?;
        return Ok((Operator::new(store, Arc::new(SystemClock)), None));
    }
    let config = Config::from_env()?;
    let operator = Operator::connect(&config, Arc::new(SystemClock)).await?;
    Ok((operator, Some(config)))
}

async fn outbox(command: OutboxCmd) -> anyhow::Result<()> {
    let (operator, _) = operator(true).await?;
    match command {
        OutboxCmd::List { failed, limit } => {
            let rows = operator
                .outbox(failed, limit)
                .await
                .context("reading the outbox")?;
            if rows.is_empty() {
                println!("no messages");
            }
            for r in rows {
                println!(
                    "{:>6}  {:<7} {:<9} attempts={:<2} to={} error={} sender={}",
                    r.id,
                    r.provider,
                    r.status,
                    r.attempts,
                    r.recipient_masked.as_deref().unwrap_or("-"),
                    r.last_error.as_deref().unwrap_or("-"),
                    r.sender
                );
            }
        }
        OutboxCmd::Retry { id } => {
            operator.retry_outbox(id, "cli").await?;
            println!("message {id} requeued; a running gateway will send it");
        }
    }
    Ok(())
}

/// The actor label the CLI's decisions are audited with.
const CLI_ACTOR: &str = "cli";

async fn pairing(command: PairingCmd) -> anyhow::Result<()> {
    let (operator, _) = operator(true).await?;
    match command {
        PairingCmd::List => {
            let pending = operator
                .pairings()
                .await
                .context("reading pairing requests")?;
            if pending.is_empty() {
                println!("no pending pairing requests");
            }
            for p in pending {
                println!(
                    "{}  from={} requested_ms={} expires_ms={}",
                    p.code.display(),
                    p.phone_masked.as_deref().unwrap_or("-"),
                    p.requested_at.as_i64(),
                    p.expires_at.as_i64()
                );
            }
        }
        PairingCmd::Approve { code } => {
            let code = operator
                .approve_pairing(&code, CLI_ACTOR)
                .await
                .context("approving the pairing request")?;
            println!(
                "pairing {} approved: the sender is on the allowlist; a running gateway will \
                 tell them",
                code.display()
            );
        }
        PairingCmd::Reject { code } => {
            let code = operator
                .reject_pairing(&code, CLI_ACTOR)
                .await
                .context("rejecting the pairing request")?;
            println!(
                "pairing {} rejected; the sender is not told",
                code.display()
            );
        }
    }
    Ok(())
}

async fn vendor(command: VendorCmd) -> anyhow::Result<()> {
    let (operator, _) = operator(false).await?;
    match command {
        VendorCmd::Add { name, phone, tags } => {
            let id = operator
                .register_vendor(&name, &phone, &tags, CLI_ACTOR)
                .await
                .context("registering the vendor")?;
            println!("vendor {} registered", id.0);
        }
        VendorCmd::List { show_phones } => {
            let vendors = operator.vendors().await.context("reading vendors")?;
            if vendors.is_empty() {
                println!("no vendors");
            }
            for v in vendors {
                let phone = if show_phones {
                    v.phone.as_e164().to_owned()
                } else {
                    v.phone.masked()
                };
                println!(
                    "{:>5}  {:<8} {}  {}  [{}]",
                    v.id.0,
                    if v.active { "active" } else { "disabled" },
                    phone,
                    v.business_name.as_str(),
                    v.tags.comma_separated()
                );
            }
        }
        VendorCmd::Disable { id } => {
            operator
                .set_vendor_active(id, false, CLI_ACTOR)
                .await
                .context("disabling the vendor")?;
            println!("vendor {id} disabled");
        }
        VendorCmd::Enable { id } => {
            operator
                .set_vendor_active(id, true, CLI_ACTOR)
                .await
                .context("enabling the vendor")?;
            println!("vendor {id} enabled");
        }
    }
    Ok(())
}

async fn offers(command: OffersCmd) -> anyhow::Result<()> {
    let (operator, config) = operator(false).await?;
    match command {
        OffersCmd::Held { show_text } => {
            let redactor = match &config {
                Some(c) => c.redactor().context("building the redactor")?,
                None => anyhow::bail!("no configuration"),
            };
            let held = operator
                .held_offers()
                .await
                .context("reading held offers")?;
            if held.is_empty() {
                println!("no held offers");
            }
            for h in held {
                let text = if show_text {
                    // Through the audited reveal, like the console and the API.
                    let revealed = operator
                        .reveal_offer(h.offer.id, CLI_ACTOR)
                        .await
                        .context("revealing a held offer")?;
                    revealed.offer.text.map(|t| t.0).unwrap_or_default()
                } else {
                    let text = h.offer.text.map(|t| t.0).unwrap_or_default();
                    redactor.redact(&text).into_owned()
                };
                println!(
                    "{:>5}  vendor={} request={} reasons={} at_ms={}\n       {}",
                    h.offer.id,
                    h.offer.vendor.0,
                    h.reference.as_ref().map_or("-", |r| r.as_str()),
                    h.offer.reasons,
                    h.offer.created_at.as_i64(),
                    text.replace('\n', " ")
                );
            }
        }
        OffersCmd::Release { id } => {
            operator
                .release_offer(id, CLI_ACTOR)
                .await
                .context("releasing the offer")?;
            println!("offer {id} relayed to the client; a running gateway will send it");
        }
        OffersCmd::Discard { id } => {
            operator
                .discard_offer(id, CLI_ACTOR)
                .await
                .context("discarding the offer")?;
            println!("offer {id} discarded; its text is deleted");
        }
    }
    Ok(())
}

async fn consent_list() -> anyhow::Result<()> {
    let (operator, _) = operator(false).await?;
    let consents = operator.consents().await.context("reading consents")?;
    if consents.is_empty() {
        println!("no consent records");
    }
    let ms = |v: Option<warden_types::UnixMillis>| v.map_or("-".to_owned(), |v| v.0.to_string());
    for (client, record) in consents {
        let (granted, expires, revoked) = match record {
            ConsentRecord::None => (None, None, None),
            ConsentRecord::Granted {
                granted_at,
                expires_at,
            } => (Some(granted_at), Some(expires_at), None),
            ConsentRecord::Revoked { revoked_at } => (None, None, Some(revoked_at)),
        };
        println!(
            "{}  {:<8} granted_ms={} expires_ms={} revoked_ms={}",
            client.as_str(),
            record.as_str(),
            ms(granted),
            ms(expires),
            ms(revoked),
        );
    }
    Ok(())
}

async fn operator_accounts(command: OperatorCmd) -> anyhow::Result<()> {
    use secrecy::SecretString;
    use warden_access::Acting;
    use warden_operators::Role;

    let config = Config::from_env()?;
    let store = Store::connect_existing(config.database_url.expose_secret())
        .await
        .context("opening the database")?
        .with_audit_redactor(Arc::new(config.redactor()?));
    let access = warden::access(&config, store, Arc::new(SystemClock))?;
    let role = |raw: &str| {
        Role::parse(raw).ok_or_else(|| anyhow::anyhow!("--role must be owner, operator or auditor"))
    };
    let by_name = |name: String| {
        let access = access.clone();
        async move {
            let username = warden_operators::Username::parse(&name)
                .map_err(|e| anyhow::anyhow!("operator name {e}"))?;
            access
                .accounts()
                .await?
                .into_iter()
                .find(|a| a.username == username)
                .map(|a| a.id)
                .ok_or_else(|| anyhow::anyhow!("no operator named {}", username.as_str()))
        }
    };
    // Shown once, so written in one piece, and a closed stdout is an error, not a panic.
    let print_enrolment = |e: &warden_access::Enrolment| -> anyhow::Result<()> {
        use std::io::Write;
        let mut out = String::from("Add this to an authenticator app (shown once):\n");
        out.push_str(e.provisioning_uri.expose_secret());
        out.push_str("\nRecovery codes, each usable once instead of a code (shown once):\n");
        for code in &e.recovery_codes {
            out.push_str("  ");
            out.push_str(code.expose_secret());
            out.push('\n');
        }
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(out.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing the new second factor to stdout (run `warden operator reset-mfa` for a new one)")
    };
    match command {
        OperatorCmd::Add {
            name,
            role: raw_role,
            password_stdin: _,
            phone,
        } => {
            let role = role(&raw_role)?;
            let phone = phone
                .map(|p| {
                    config::phone::parse_valid(&p).map_err(|why| anyhow::anyhow!("--phone {why}"))
                })
                .transpose()?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
            let e = access
                .create_account(Acting::Cli, &name, role, password, phone)
                .await?;
            println!(
                "operator {} ({}) created with id {}",
                name.to_lowercase(),
                role,
                e.id
            );
            print_enrolment(&e)?;
        }
        OperatorCmd::List => {
            let accounts = access.accounts().await?;
            if accounts.is_empty() {
                println!("no operators");
            }
            let now = warden_types::Clock::now(&SystemClock);
            for a in accounts {
                let locked = a.failures.locked_until.filter(|t| *t > now).is_some();
                println!(
                    "{:>5}  {:<24} {:<8} {}{}",
                    a.id.0,
                    a.username.as_str(),
                    a.role,
                    if a.enabled { "enabled" } else { "disabled" },
                    if locked { " locked" } else { "" }
                );
            }
        }
        OperatorCmd::Disable { name } => {
            access
                .set_enabled(Acting::Cli, by_name(name.clone()).await?, false)
                .await?;
            println!("operator {name} disabled; its sessions are revoked");
        }
        OperatorCmd::Enable { name } => {
            access
                .set_enabled(Acting::Cli, by_name(name.clone()).await?, true)
                .await?;
            println!("operator {name} enabled");
        }
        OperatorCmd::ResetMfa { name } => {
            let e = access
                .reset_mfa(Acting::Cli, by_name(name.clone()).await?)
                .await?;
            println!("operator {name}: new second factor; its sessions are revoked");
            print_enrolment(&e)?;
        }
        OperatorCmd::SetRole {
            name,
            role: raw_role,
        } => {
            let role = role(&raw_role)?;
            access
                .set_role(Acting::Cli, by_name(name.clone()).await?, role)
                .await?;
            println!("operator {name} is now {role}");
        }
    }
    Ok(())
}

async fn call(reference: &str) -> anyhow::Result<()> {
    let (operator, _) = operator(false).await?;
    match operator.call(reference).await? {
        CallOutcome::Placed(sid) => {
            println!("call placed: {sid}");
            Ok(())
        }
        CallOutcome::Failed(e) => anyhow::bail!("call not placed: {}", e.code()),
        CallOutcome::Refused => {
            anyhow::bail!("call refused (calling disabled, or no valid consent); see the audit log")
        }
    }
}

async fn subject(command: SubjectCmd) -> anyhow::Result<()> {
    let (operator, _) = operator(false).await?;
    match command {
        SubjectCmd::Export {
            phone,
            without_text,
        } => {
            let export = operator
                .export_subject(&phone, !without_text)
                .await
                .context("exporting the subject")?;
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        SubjectCmd::Erase { phone } => {
            let report = operator
                .erase_subject(&phone, CLI_ACTOR)
                .await
                .context("erasing the subject")?;
            if report.nothing_held {
                println!("nothing was held about this number; erasure recorded (0 rows)");
            } else {
                println!("erased {} rows", report.counts.total());
            }
            for (table, n) in &report.counts.0 {
                println!("  {table:<22} {n}");
            }
        }
    }
    Ok(())
}

async fn retention_run() -> anyhow::Result<()> {
    let (operator, _) = operator(false).await?;
    let pruned = operator
        .prune_now()
        .await
        .context("running a retention pass")?;
    println!("pruned {} rows", pruned.total());
    for (category, n) in pruned.counts() {
        println!("  {category:<24} {n}");
    }
    Ok(())
}

fn guard(threshold: f32, answers: bool) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let guard = warden_guard::Guard::new(warden_guard::GuardConfig { threshold })
        .context("--threshold must be in (0, 1]")?;
    let redactor = match answers {
        true => Some(offline_redactor()?),
        false => None,
    };
    // The deployment's allowlist, when a full configuration is present; none otherwise.
    let allowed_domains: Vec<String> = match answers {
        true => Config::from_env()
            .ok()
            .and_then(|c| c.ai)
            .map(|ai| ai.allowed_domains)
            .unwrap_or_default(),
        false => Vec::new(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in std::io::stdin().lock().split(b'\n') {
        let line = line.context("reading stdin")?;
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        let verdict = match &redactor {
            Some(redactor) => answer_verdict(text, &guard, redactor, &allowed_domains),
            None => guard.check(text).to_json_line(),
        };
        out.write_all(verdict.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

/// The output guard's verdict on one model answer, as one JSON line: `{"delivered":true,
/// "intent":"…"}` or `{"delivered":false,"reason":"…"}` (the reason codes the audit log uses).
fn answer_verdict(
    text: &str,
    guard: &warden_guard::Guard,
    redactor: &warden_redaction::Redactor,
    allowed_domains: &[String],
) -> String {
    let verdict = match warden_advisor::output::check_with(text, guard, redactor, allowed_domains) {
        Ok(advice) => serde_json::json!({"delivered": true, "intent": advice.intent.as_str()}),
        Err(reason) => serde_json::json!({"delivered": false, "reason": reason.as_str()}),
    };
    verdict.to_string()
}

/// The redactor of the offline filters: a full configuration adds its secrets (exact match);
/// without one the built-in patterns still apply, so the filters work on any machine.
fn offline_redactor() -> anyhow::Result<warden_redaction::Redactor> {
    use warden_redaction::Redactor;
    match Config::from_env() {
        Ok(config) => config.redactor(),
        // No gateway here: the redaction variables alone still count.
        Err(_) => Redactor::new(warden::config::offline_redaction_from_lookup(
            warden::config::process_env()?,
        )?),
    }
    .context("building the redactor")
}

fn redact(json: bool) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    use warden_redaction::{redact_raw_payload, PayloadKind};
    let redactor = offline_redactor()?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // Bytes, not `lines()`: one line of invalid UTF-8 must not stop the stream.
    for line in stdin.split(b'\n') {
        let line = line.context("reading stdin")?;
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        let redacted = match json {
            true => redact_raw_payload(&redactor, PayloadKind::Json, text.as_bytes())
                .unwrap_or_else(|_| redactor.redact(text).into_owned()),
            false => redactor.redact(text).into_owned(),
        };
        out.write_all(redacted.as_bytes())?;
        out.write_all(b"\n")?;
        // Streaming: a tail -f piped through us must see each line as it comes.
        out.flush()?;
    }
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
    // Recorded as `audit.verified` by `cli`, as the API and the console record theirs.
    match Operator::new(store, Arc::new(SystemClock))
        .verify_audit_as("cli")
        .await
    {
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
