//! Writes a load fixture: pre-signed Twilio WhatsApp webhooks (signatures are computed here,
//! before anything is timed) and the environment the gateway must run with.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use warden::demo::TwilioSimulator;
use warden_types::PhoneNumber;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to write `requests.tsv` and `env` into.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Distinct allowlisted senders, used round-robin.
    #[arg(long, default_value_t = 2_000)]
    senders: usize,
    /// Share of `add task <i>` messages in percent; the rest are `list`.
    #[arg(long, default_value_t = 70)]
    add_percent: usize,
}

const PUBLIC_URL: &str = "https://bench.warden.invalid";

pub fn write(args: &Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out).context("creating the output directory")?;
    let token = warden::random_token();
    let twilio = TwilioSimulator::new("http://unused", PUBLIC_URL, token.clone());

    let senders: Vec<PhoneNumber> = (0..args.senders.max(1))
        .map(|i| PhoneNumber::parse(&format!("+1555{:07}", 1_000_000 + i)))
        .collect::<Result<_, _>>()
        .context("generating sender numbers")?;

    let mut tsv = String::with_capacity(args.requests * 600);
    for i in 0..args.requests {
        let from = &senders[i % senders.len()];
        // A deterministic spread: 7 of every 10 messages add, 3 list.
        let body = if (i * 37) % 100 < args.add_percent {
            format!("add task {i}")
        } else {
            "list".to_owned()
        };
        let (form, signature) = twilio.signed_request(from, &body, &TwilioSimulator::new_sid());
        writeln!(tsv, "{signature}\t{form}").context("formatting")?;
    }
    std::fs::write(args.out.join("requests.tsv"), tsv).context("writing requests.tsv")?;

    let allowed: Vec<&str> = senders.iter().map(PhoneNumber::as_e164).collect();
    let env = format!(
        "WARDEN_PUBLIC_URL={PUBLIC_URL}\nTWILIO_AUTH_TOKEN={}\nWARDEN_PAIR_TOKEN={}\nWARDEN_PSEUDONYM_KEY={}\nWARDEN_ALLOWED_SENDERS={}\n",
        token.expose_secret(),
        warden::random_token().expose_secret(),
        SecretString::from(warden::random_token().expose_secret().to_owned()).expose_secret(),
        allowed.join(","),
    );
    std::fs::write(args.out.join("env"), env).context("writing env")?;
    eprintln!(
        "wrote {} pre-signed requests from {} senders to {}",
        args.requests,
        senders.len(),
        args.out.display()
    );
    Ok(())
}
