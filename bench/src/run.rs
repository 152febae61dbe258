//! A deliberately small HTTP/1.1 load client: pre-built request bytes, one keep-alive
//! connection per concurrent slot, all on one thread so the generator uses at most one of the
//! machine's two cores.
//!
//! For a Meta fixture it also serves the mock Graph API the gateway's outbox worker sends the
//! replies to (one more thread), and reports how fast they arrive there.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warden_simulators::{GraphOptions, MockGraph};

use crate::fixture::Channel;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Gateway address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: SocketAddr,
    /// Directory written by `fixture`.
    #[arg(long)]
    fixture: PathBuf,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Meta fixtures: where to serve the mock Graph API (the gateway's `META_GRAPH_URL`).
    #[arg(long)]
    graph_listen: Option<SocketAddr>,
    /// Meta fixtures: how long to wait for every reply to reach the mock Graph API.
    #[arg(long, default_value_t = 300)]
    delivery_timeout_secs: u64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let channel = match std::fs::read_to_string(args.fixture.join("channel")) {
        Ok(c) => Channel::parse(&c).context("unknown channel in the fixture")?,
        // Fixtures written before Meta support are Twilio fixtures.
        Err(_) => Channel::Twilio,
    };
    let tsv = std::fs::read_to_string(args.fixture.join("requests.tsv"))
        .context("reading requests.tsv")?;
    let host = args.addr.to_string();
    let (path, content_type, signature_header) = match channel {
        Channel::Twilio => (
            "/webhooks/twilio",
            "application/x-www-form-urlencoded",
            "X-Twilio-Signature",
        ),
        Channel::Meta => (
            "/webhooks/meta",
            "application/json",
            // warden_meta::SIGNATURE_HEADER; spelled out to keep this crate's dependencies lean.
            "X-Hub-Signature-256",
        ),
    };
    let requests: Vec<Vec<u8>> = tsv
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(sig, body)| {
            format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{signature_header}: {sig}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    if requests.is_empty() {
        bail!("fixture has no requests");
    }

    // The mock Graph API gets a runtime (and thread) of its own, apart from the load client.
    let graph = match channel {
        Channel::Twilio => None,
        Channel::Meta => {
            let listen = args
                .graph_listen
                .context("a Meta fixture needs --graph-listen (the gateway's META_GRAPH_URL)")?;
            let env = std::fs::read_to_string(args.fixture.join("env")).context("reading env")?;
            let var = |name: &str| {
                env.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                    .map(str::to_owned)
                    .with_context(|| format!("{name} missing from the fixture's env"))
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?;
            let mock = rt.block_on(MockGraph::start(GraphOptions {
                listen,
                phone_number_id: var("META_PHONE_NUMBER_ID")?,
                access_token: Some(SecretString::from(var("META_ACCESS_TOKEN")?)),
                record: false,
                ..GraphOptions::default()
            }))?;
            Some((rt, mock))
        }
    };

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let mut report = local.block_on(
        &rt,
        drive(args.addr, Rc::new(requests), args.concurrency.max(1)),
    )?;

    if let Some((rt, mock)) = graph {
        // Every message that was answered 200 was stored with its reply in the outbox.
        let expected = (report.requests - report.non_200) as u64;
        let complete = rt.block_on(mock.wait_for(
            expected,
            Duration::from_secs(args.delivery_timeout_secs),
            Duration::from_millis(1),
        ));
        report.delivery = Some(Delivery {
            expected,
            delivered: mock.accepted(),
            refused: mock.refused(),
            complete,
            last_at: mock.last_accepted_at(),
        });
        rt.block_on(mock.shutdown())?;
    }
    println!("{report}");
    Ok(())
}

/// What reached the mock Graph API.
struct Delivery {
    expected: u64,
    delivered: u64,
    refused: u64,
    complete: bool,
    last_at: Option<Instant>,
}

struct Report {
    requests: usize,
    non_200: usize,
    /// When the first request was sent.
    started: Instant,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    delivery: Option<Delivery>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |p: f64| {
            let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
            self.latencies_us.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "RESULT requests={} non_200={} seconds={secs:.3} rps={:.0} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3}",
            self.requests,
            self.non_200,
            self.requests as f64 / secs,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(1.0),
        )?;
        if let Some(d) = &self.delivery {
            // From the first request (its reply is enqueued a moment later) to the last reply
            // the mock received; drain is how long delivery ran on after the last webhook.
            let until = d
                .last_at
                .map(|t| t.saturating_duration_since(self.started))
                .unwrap_or_default();
            let drain = until.saturating_sub(self.elapsed);
            write!(
                f,
                " delivered={} expected={} refused={} complete={} delivery_seconds={:.3} delivery_rps={:.0} drain_ms={:.0}",
                d.delivered,
                d.expected,
                d.refused,
                d.complete,
                until.as_secs_f64(),
                d.delivered as f64 / until.as_secs_f64().max(f64::EPSILON),
                drain.as_secs_f64() * 1000.0,
            )?;
        }
        Ok(())
    }
}

async fn drive(
    addr: SocketAddr,
    requests: Rc<Vec<Vec<u8>>>,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let next = Rc::new(Cell::new(0usize));
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(requests.len())));
    let non_200 = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (requests, next, latencies, non_200) = (
            requests.clone(),
            next.clone(),
            latencies.clone(),
            non_200.clone(),
        );
        tasks.push(tokio::task::spawn_local(async move {
            let mut conn = TcpStream::connect(addr).await.context("connecting")?;
            conn.set_nodelay(true)?;
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let i = next.get();
                if i >= requests.len() {
                    return anyhow::Ok(());
                }
                next.set(i + 1);
                let sent = Instant::now();
                conn.write_all(&requests[i]).await.context("writing")?;
                let status = read_response(&mut conn, &mut buf).await?;
                latencies
                    .borrow_mut()
                    .push(sent.elapsed().as_micros() as u64);
                if status != 200 {
                    non_200.set(non_200.get() + 1);
                }
            }
        }));
    }
    for t in tasks {
        t.await.context("load task")??;
    }
    let elapsed = start.elapsed();
    let mut latencies_us = Rc::try_unwrap(latencies)
        .map(RefCell::into_inner)
        .unwrap_or_default();
    latencies_us.sort_unstable();
    Ok(Report {
        requests: latencies_us.len(),
        non_200: non_200.get(),
        started: start,
        elapsed,
        latencies_us,
        delivery: None,
    })
}

/// Reads one response (headers + Content-Length body) and returns its status code.
async fn read_response(conn: &mut TcpStream, buf: &mut [u8]) -> anyhow::Result<u16> {
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            bail!("response larger than the read buffer");
        }
        let n = conn.read(&mut buf[filled..]).await.context("reading")?;
        if n == 0 {
            bail!("connection closed by the server");
        }
        filled += n;
        let Some(head_end) = find(&buf[..filled], b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buf[..head_end]).context("non-UTF-8 response head")?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .context("bad status line")?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        if filled >= head_end + 4 + length {
            return Ok(status);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
