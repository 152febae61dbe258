//! A deliberately small HTTP/1.1 load client: pre-built request bytes, one keep-alive
//! connection per concurrent slot, all on one thread so the generator uses at most one of the
//! machine's two cores.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let tsv = std::fs::read_to_string(args.fixture.join("requests.tsv"))
        .context("reading requests.tsv")?;
    let host = args.addr.to_string();
    let requests: Vec<Vec<u8>> = tsv
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(sig, body)| {
            format!(
                "POST /webhooks/twilio HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    if requests.is_empty() {
        bail!("fixture has no requests");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(
        &rt,
        drive(args.addr, Rc::new(requests), args.concurrency.max(1)),
    )?;
    println!("{report}");
    Ok(())
}

struct Report {
    requests: usize,
    non_200: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
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
        )
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
        elapsed,
        latencies_us,
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
