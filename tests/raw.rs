//! A raw HTTP/1.1 client over TCP, for what reqwest will not send: no `Host`, a declared body
//! that never comes, `Expect: 100-continue`, a head one line at a time, a socket that never
//! speaks. Connections can come from any loopback address, so per-client caps can be tested.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// Opens a connection to `server` from the loopback address `from` (any 127.x.y.z).
pub async fn connect_from(server: SocketAddr, from: Ipv4Addr) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    Ok(socket.connect(server).await?)
}

pub async fn connect(server: SocketAddr) -> Result<TcpStream> {
    connect_from(server, Ipv4Addr::LOCALHOST).await
}

/// Reads until the server closes the connection or `within` passes; returns what arrived and
/// whether the connection was closed.
pub async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

/// Reads one response head (through the blank line), failing after `within`.
pub async fn read_head(stream: &mut TcpStream, within: Duration) -> Result<String> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut byte))
            .await
            .context("no response head in time")??;
        anyhow::ensure!(n == 1, "closed after {:?}", String::from_utf8_lossy(&got));
        got.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&got).into_owned())
}

/// The status code of a response that starts `text`.
pub fn status(text: &str) -> Option<u16> {
    text.strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()
}

/// Whether the server has closed `stream` (a read sees EOF or a reset within `within`).
pub async fn is_closed(stream: &mut TcpStream, within: Duration) -> bool {
    read_until_closed(stream, within).await.1
}

/// One request on a fresh connection; the answer's status and how long it took.
pub async fn get(server: SocketAddr, path: &str) -> Result<(u16, Duration)> {
    let started = Instant::now();
    let mut stream = connect(server).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: warden\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let (text, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let code = status(&text).with_context(|| format!("no status in {text:?}"))?;
    Ok((code, started.elapsed()))
}
