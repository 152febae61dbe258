//! Writes a load fixture: pre-signed WhatsApp webhooks, Twilio forms or Meta Cloud API JSON
//! payloads with one message each (signatures are computed here, before anything is timed),
//! and the environment the gateway must run with.

use std::fmt::Write as _;
use std::path::PathBuf;

use std::sync::Arc;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use warden_simulators::{new_wamid, MetaSimulator, TwilioSimulator, META_PHONE_NUMBER_ID};
use warden_types::PhoneNumber;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to write `requests.tsv`, `channel` and `env` into.
    #[arg(long)]
    out: PathBuf,
    /// Which provider's webhook to pre-sign.
    #[arg(long, value_enum, default_value_t = Channel::Twilio)]
    channel: Channel,
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Distinct allowlisted senders, used round-robin.
    #[arg(long, default_value_t = 2_000)]
    senders: usize,
    /// Share of `add task <i>` messages in percent; the rest are `list`.
    #[arg(long, default_value_t = 70)]
    add_percent: usize,
}

/// The webhook a fixture replays.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Form posts to `/webhooks/twilio`, answered with TwiML.
    Twilio,
    /// JSON posts to `/webhooks/meta`; replies leave through the outbox to the Graph API.
    Meta,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Twilio => "twilio",
            Channel::Meta => "meta",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "twilio" => Some(Channel::Twilio),
            "meta" => Some(Channel::Meta),
            _ => None,
        }
    }
}

const PUBLIC_URL: &str = "https://bench.warden.invalid";

pub fn write(args: &Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out).context("creating the output directory")?;
    let token = warden::random_token();
    let twilio = TwilioSimulator::new("http://unused", PUBLIC_URL, token.clone());
    let meta = MetaSimulator::new(
        "http://unused",
        token.clone(),
        Arc::new(warden::SystemClock),
    );

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
        let (payload, signature) = match args.channel {
            Channel::Twilio => twilio.signed_request(from, &body, &TwilioSimulator::new_sid()),
            Channel::Meta => {
                // One line per request: the payload is single-line JSON without tabs.
                let payload = meta.text_payload(from, &body, &new_wamid());
                let signature = meta.sign(payload.as_bytes());
                (payload, signature)
            }
        };
        writeln!(tsv, "{signature}\t{payload}").context("formatting")?;
    }
    std::fs::write(args.out.join("requests.tsv"), tsv).context("writing requests.tsv")?;
    std::fs::write(args.out.join("channel"), args.channel.as_str()).context("writing channel")?;

    let allowed: Vec<&str> = senders.iter().map(PhoneNumber::as_e164).collect();
    let channel_env = match args.channel {
        Channel::Twilio => format!("TWILIO_AUTH_TOKEN={}\n", token.expose_secret()),
        // META_GRAPH_URL is set per run: it points at the mock the load tool serves.
        Channel::Meta => format!(
            "META_APP_SECRET={}\nMETA_VERIFY_TOKEN={}\nMETA_ACCESS_TOKEN={}\nMETA_PHONE_NUMBER_ID={META_PHONE_NUMBER_ID}\n",
            token.expose_secret(),
            warden::random_token().expose_secret(),
            warden::random_token().expose_secret(),
        ),
    };
    let env = format!(
        "WARDEN_PUBLIC_URL={PUBLIC_URL}\n{channel_env}WARDEN_PAIR_TOKEN={}\nWARDEN_PSEUDONYM_KEY={}\nWARDEN_ALLOWED_SENDERS={}\n",
        warden::random_token().expose_secret(),
        SecretString::from(warden::random_token().expose_secret().to_owned()).expose_secret(),
        allowed.join(","),
    );
    std::fs::write(args.out.join("env"), env).context("writing env")?;
    eprintln!(
        "wrote {} pre-signed {} requests from {} senders to {}",
        args.requests,
        args.channel.as_str(),
        senders.len(),
        args.out.display()
    );
    Ok(())
}
