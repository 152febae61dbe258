//! The HTTP edge refuses what is not a Twilio form before it costs anything, and never echoes
//! what it refused; and no client holds the port without sending a valid request: idle and
//! slow connections are timed out, connections are capped per client and in total, and health
//! probes still answer at the caps. (The descriptor-limit test with thousands of sockets runs
//! the binary in a child process: `apps/warden/tests/edge_dos.rs`.)

use std::net::Ipv4Addr;
use std::time::Duration;

use anyhow::Result;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use warden_simulators::TwilioSimulator;

use crate::raw;
use crate::support::{
    assert_absent, encode, phone_needles, with_field, Backend, Gateway, Settings, ALICE,
};

on_both_backends!(
    oversized_body_is_rejected_413,
    non_form_body_is_rejected_415,
    malformed_field_is_rejected_400_without_echoing_it,
    declared_oversized_body_is_refused_413_before_it_is_sent,
    expect_100_continue_is_invited_only_within_the_limit,
    http11_request_without_exactly_one_host_is_400,
);

type Form = Vec<(String, String)>;

async fn assert_untouched(gw: &Gateway) -> Result<()> {
    for table in ["inbound_messages", "tasks", "audit_log", "sender_state"] {
        assert_eq!(gw.count(table).await?, 0, "{table}");
    }
    Ok(())
}

async fn oversized_body_is_rejected_413(backend: Backend) -> Result<()> {
    const DEFAULT_MAX: usize = 64 * 1024;
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let sid = TwilioSimulator::new_sid();
    let big = |n: usize| {
        gw.twilio
            .form(&ALICE.phone(), &format!("add {}", "x".repeat(n)), &sid)
    };

    // Correctly signed, just over the default limit: refused before it is parsed or verified.
    let over = big(DEFAULT_MAX);
    assert!(encode(&over)?.len() > DEFAULT_MAX);
    let answer = gw.post_signed(&over).await?;
    assert_eq!(answer.status, 413);
    assert_untouched(&gw).await?;

    // The control: the same message just under the limit gets through the edge (and is then
    // rejected by the grammar as too long, which is a 200 with a reply).
    let under = big(DEFAULT_MAX - 1024);
    assert!(encode(&under)?.len() < DEFAULT_MAX);
    let answer = gw.post_signed(&under).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(gw.count("tasks").await?, 0);
    gw.finish().await?;

    // A configured limit is honoured too.
    let gw = Gateway::start_with(backend, Settings::new().max_body_bytes(2048)).await?;
    let answer = gw
        .post_signed(&gw.twilio.form(&ALICE.phone(), &"y".repeat(2048), &sid))
        .await?;
    assert_eq!(answer.status, 413);
    assert_untouched(&gw).await?;
    gw.finish().await
}

async fn non_form_body_is_rejected_415(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add json", &TwilioSimulator::new_sid());
    let signature = gw.twilio.sign(&form);
    let body = encode(&form)?;

    for content_type in [
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let answer = gw
            .post_raw(content_type, body.clone(), Some(&signature))
            .await?;
        assert_eq!(answer.status, 415, "{content_type:?}");
    }
    let json = r#"{"From":"whatsapp:+14155550101","Body":"add json"}"#;
    let answer = gw
        .post_raw(Some("application/json"), json, Some(&signature))
        .await?;
    assert_eq!(answer.status, 415);
    assert_untouched(&gw).await?;

    // The control: the same bytes as a form are accepted.
    let answer = gw
        .post_raw(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            body,
            Some(&signature),
        )
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.reply().as_deref(), Some("Added task 1: json"));
    gw.finish().await
}

async fn malformed_field_is_rejected_400_without_echoing_it(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add hello", &TwilioSimulator::new_sid());
    let injected_sid = "SM<script>alert(4155550101)</script>";

    // Each case is correctly signed: it is authentic, but not a WhatsApp text we can act on.
    // (field the answer must name, the altered form, the value it must not echo)
    let cases: Vec<(&str, Form, &str)> = vec![
        (
            "MessageSid",
            with_field(&form, "MessageSid", injected_sid),
            injected_sid,
        ),
        ("From", with_field(&form, "From", ALICE.e164), ALICE.e164),
        (
            "From",
            with_field(&form, "From", "whatsapp:+1415555O1O1"),
            "1415555O1O1",
        ),
        (
            "From",
            form.iter().filter(|(k, _)| k != "From").cloned().collect(),
            "whatsapp:",
        ),
        (
            "SmsStatus",
            with_field(&form, "SmsStatus", "delivered-4155550101"),
            "delivered",
        ),
        (
            "NumMedia",
            with_field(&form, "NumMedia", "99999999999"),
            "99999999999",
        ),
    ];
    for (field, altered, value) in cases {
        let answer = gw.post_signed(&altered).await?;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert!(
            answer.body.contains(field),
            "names {field}: {}",
            answer.body
        );
        let mut needles = phone_needles();
        needles.extend([value.to_owned(), "<script>".to_owned(), "hello".to_owned()]);
        assert_absent(&answer.body, &needles, "the 400 answer");
    }

    // Not even a form: percent-decodes to invalid UTF-8. Refused before the signature check.
    let answer = gw
        .post_raw(
            Some("application/x-www-form-urlencoded"),
            "Body=%FF%FEsecret+4155550101",
            None,
        )
        .await?;
    assert_eq!(answer.status, 400);
    assert_absent(
        &answer.body,
        &["secret".to_owned(), "4155550101".to_owned()],
        "the 400 answer",
    );

    assert_eq!(gw.count("inbound_messages").await?, 0);
    assert_eq!(gw.count("tasks").await?, 0);
    gw.finish().await
}

/// A signed Twilio webhook for ALICE as raw request parts: the encoded form and its signature.
fn signed_form(gw: &Gateway, text: &str) -> Result<(String, String)> {
    let form = gw
        .twilio
        .form(&ALICE.phone(), text, &TwilioSimulator::new_sid());
    Ok((encode(&form)?, gw.twilio.sign(&form)))
}

fn webhook_head(length: usize, signature: &str, extra: &str) -> String {
    format!(
        "POST /webhooks/twilio HTTP/1.1\r\nHost: warden\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {length}\r\n{extra}\r\n"
    )
}

/// Declaring 10 MB used to hold the connection for the 15 s request timeout (then 408); the
/// declared size is now refused at once, before a byte of body is read.
async fn declared_oversized_body_is_refused_413_before_it_is_sent(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let (_, signature) = signed_form(&gw, "add big")?;
    let started = Instant::now();
    let mut stream = raw::connect(gw.addr()).await?;
    stream
        .write_all(webhook_head(10_000_000, &signature, "").as_bytes())
        .await?;
    let (answer, closed) = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&answer), Some(413), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(closed, "the unread body must not become the next request");
    assert_untouched(&gw).await?;

    // The control: a declared size within the limit is read and handled.
    let (body, signature) = signed_form(&gw, "add small")?;
    let mut stream = raw::connect(gw.addr()).await?;
    stream
        .write_all(format!("{}{body}", webhook_head(body.len(), &signature, "")).as_bytes())
        .await?;
    let head = raw::read_head(&mut stream, Duration::from_secs(5)).await?;
    assert_eq!(raw::status(&head), Some(200), "{head}");
    gw.finish().await
}

/// `Expect: 100-continue` asks whether to send the body: a body over the limit is refused
/// (413) without the invitation, an expectation the server does not know is 417, and a body
/// within the limit is invited and handled.
async fn expect_100_continue_is_invited_only_within_the_limit(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let (body, signature) = signed_form(&gw, "add expected")?;

    let mut stream = raw::connect(gw.addr()).await?;
    stream
        .write_all(webhook_head(10_000_000, &signature, "Expect: 100-continue\r\n").as_bytes())
        .await?;
    let (answer, closed) = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&answer), Some(413), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(closed);

    let mut stream = raw::connect(gw.addr()).await?;
    stream
        .write_all(webhook_head(body.len(), &signature, "Expect: 200-ok\r\n").as_bytes())
        .await?;
    let (answer, _) = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&answer), Some(417), "{answer}");
    assert_untouched(&gw).await?;

    // The control: within the limit the client is invited, sends the body, and is answered.
    let mut stream = raw::connect(gw.addr()).await?;
    stream
        .write_all(webhook_head(body.len(), &signature, "Expect: 100-continue\r\n").as_bytes())
        .await?;
    let invitation = raw::read_head(&mut stream, Duration::from_secs(5)).await?;
    assert_eq!(raw::status(&invitation), Some(100), "{invitation}");
    stream.write_all(body.as_bytes()).await?;
    let head = raw::read_head(&mut stream, Duration::from_secs(5)).await?;
    assert_eq!(raw::status(&head), Some(200), "{head}");
    assert_eq!(gw.count("tasks").await?, 1);
    gw.finish().await
}

/// RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or with two, is answered 400.
async fn http11_request_without_exactly_one_host_is_400(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let (body, signature) = signed_form(&gw, "add hostless")?;
    let without_host = webhook_head(body.len(), &signature, "").replace("Host: warden\r\n", "");
    let two_hosts = webhook_head(body.len(), &signature, "Host: other\r\n");
    let bad_host = webhook_head(body.len(), &signature, "").replace("Host: warden", "Host: a b");
    for (what, head) in [
        ("no Host", without_host),
        ("two Hosts", two_hosts),
        ("malformed Host", bad_host),
    ] {
        let mut stream = raw::connect(gw.addr()).await?;
        stream.write_all(format!("{head}{body}").as_bytes()).await?;
        let (answer, closed) = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert_eq!(raw::status(&answer), Some(400), "{what}: {answer}");
        assert!(closed, "{what}");
    }
    assert_untouched(&gw).await?;

    // HTTP/1.0 had no Host requirement; /healthz answers it.
    let mut stream = raw::connect(gw.addr()).await?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").await?;
    let (answer, _) = raw::read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&answer), Some(200), "{answer}");
    gw.finish().await
}

/// A gateway on SQLite with the edge's settings; connection handling does not touch the store.
async fn edge_gateway(edge: &[(&'static str, u64)]) -> Result<Gateway> {
    let settings = edge
        .iter()
        .fold(Settings::new().allow(&[ALICE]), |s, (var, value)| {
            s.edge(var, *value)
        });
    Gateway::start_with(Backend::Sqlite, settings).await
}

/// hyper's one header timer also ran while a connection sat idle; Warden keeps two clocks. A
/// silent connection lives until the idle timeout, not the (shorter) header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_is_closed_after_the_idle_timeout() -> Result<()> {
    let gw = edge_gateway(&[
        ("WARDEN_HEADER_TIMEOUT_SECS", 1),
        ("WARDEN_IDLE_TIMEOUT_SECS", 3),
    ])
    .await?;
    let started = Instant::now();
    let mut idle = raw::connect(gw.addr()).await?;
    assert!(
        !raw::is_closed(&mut idle, Duration::from_secs(2)).await,
        "closed before idle timeout"
    );
    assert!(
        raw::is_closed(&mut idle, Duration::from_secs(3)).await,
        "still open"
    );
    let lived = started.elapsed();
    assert!(
        lived >= Duration::from_secs(3) && lived < Duration::from_millis(4500),
        "{lived:?}"
    );

    // A keep-alive connection is idle again after its response: the clock restarts there.
    let mut kept = raw::connect(gw.addr()).await?;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: warden\r\n\r\n")
        .await?;
    let head = raw::read_head(&mut kept, Duration::from_secs(2)).await?;
    assert_eq!(raw::status(&head), Some(200), "{head}");
    assert!(!raw::is_closed(&mut kept, Duration::from_secs(2)).await);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: warden\r\n\r\n")
        .await?;
    let head = raw::read_head(&mut kept, Duration::from_secs(2)).await?;
    assert_eq!(
        raw::status(&head),
        Some(200),
        "second request on the same connection"
    );
    gw.finish().await
}

/// Slowloris: one header line every 300 ms keeps the connection busy but never finishes the
/// head. It is closed once the header timeout has passed since its first byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_is_closed_within_the_header_timeout() -> Result<()> {
    let gw = edge_gateway(&[
        ("WARDEN_HEADER_TIMEOUT_SECS", 1),
        ("WARDEN_IDLE_TIMEOUT_SECS", 30),
    ])
    .await?;
    let mut slow = raw::connect(gw.addr()).await?;
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await?;
    let mut closed_after = None;
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let line = format!("X-Slow-{i}: 1\r\n");
        if slow.write_all(line.as_bytes()).await.is_err()
            || raw::is_closed(&mut slow, Duration::from_millis(1)).await
        {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.unwrap_or_else(|| panic!("a slow head was never closed"));
    assert!(
        closed_after < Duration::from_millis(2000),
        "{closed_after:?}"
    );
    gw.finish().await
}

/// One client's sockets cannot exceed its cap: its own longest-waiting connection makes room
/// for its next one, and other clients are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_ip_cap_closes_the_clients_own_longest_waiter() -> Result<()> {
    let gw = edge_gateway(&[("WARDEN_MAX_CONNECTIONS_PER_IP", 4)]).await?;
    let attacker = Ipv4Addr::new(127, 0, 0, 2);
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(raw::connect_from(gw.addr(), attacker).await?);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for s in &mut held {
        assert!(!raw::is_closed(s, Duration::from_millis(50)).await);
    }
    let _fifth = raw::connect_from(gw.addr(), attacker).await?;
    assert!(
        raw::is_closed(&mut held[0], Duration::from_secs(1)).await,
        "the oldest made room"
    );
    for s in &mut held[1..] {
        assert!(!raw::is_closed(s, Duration::from_millis(50)).await);
    }
    let (code, took) = raw::get(gw.addr(), "/healthz").await?;
    assert_eq!(code, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
    gw.finish().await
}

/// At the global cap idle connections make room for new ones; when every connection has a
/// request in flight, health probes are still answered from their own small budget and other
/// requests are told to retry (503), not left hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_requests_still_get_through_and_probes_always_answer() -> Result<()> {
    let gw = edge_gateway(&[("WARDEN_MAX_CONNECTIONS", 3)]).await?;
    // Idle sockets fill the cap; a webhook still gets through.
    let mut idle = Vec::new();
    for last in 2..5 {
        idle.push(raw::connect_from(gw.addr(), Ipv4Addr::new(127, 0, 0, last)).await?);
    }
    assert_eq!(
        gw.say(ALICE, "add first").await?.as_deref(),
        Some("Added task 1: first")
    );

    // Every place busy: requests whose bodies never finish arriving (held until the request
    // timeout).
    let (_, signature) = signed_form(&gw, "add stuck")?;
    let mut busy = Vec::new();
    for last in 5..8 {
        let mut s = raw::connect_from(gw.addr(), Ipv4Addr::new(127, 0, 0, last)).await?;
        s.write_all(format!("{}Body=", webhook_head(100, &signature, "")).as_bytes())
            .await?;
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for path in ["/healthz", "/readyz"] {
        let (code, took) = raw::get(gw.addr(), path).await?;
        assert_eq!(code, 200, "{path}");
        assert!(took < Duration::from_secs(1), "{path}: {took:?}");
    }
    let answer = gw.send(ALICE, "add over capacity").await?;
    assert_eq!(answer.status, 503, "{}", answer.body);
    drop(busy);
    drop(idle);
    gw.finish().await
}

/// What held before the edge had its own accept loop must still hold: a request whose framing
/// is ambiguous (Content-Length with Transfer-Encoding, or a Transfer-Encoding other than a
/// final `chunked`) is refused or the connection closed, never read as two requests; a header
/// section over the read buffer is 431.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_probes_are_refused_and_oversized_heads_are_431() -> Result<()> {
    let gw = edge_gateway(&[]).await?;
    let smuggled = "GET /healthz HTTP/1.1\r\nHost: warden\r\n\r\n";
    let probes = [
        format!(
            "POST /webhooks/twilio HTTP/1.1\r\nHost: warden\r\nContent-Length: 4\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
        ),
        format!(
            "POST /webhooks/twilio HTTP/1.1\r\nHost: warden\r\n\
             Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{smuggled}"
        ),
        format!(
            "POST /webhooks/twilio HTTP/1.1\r\nHost: warden\r\n\
             Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{smuggled}"
        ),
        format!(
            "POST /webhooks/twilio HTTP/1.1\r\nHost: warden\r\nContent-Length: 0\r\n\
             Content-Length: 60\r\n\r\n{smuggled}"
        ),
    ];
    for probe in probes {
        let mut stream = raw::connect(gw.addr()).await?;
        stream.write_all(probe.as_bytes()).await?;
        let (answer, closed) = raw::read_until_closed(&mut stream, Duration::from_secs(3)).await;
        assert!(closed, "{probe:?}: connection left open");
        assert!(
            answer.matches("HTTP/1.1 ").count() <= 1,
            "{probe:?}: the smuggled request was answered: {answer}"
        );
        if let Some(status) = raw::status(&answer) {
            assert!((400..500).contains(&status), "{probe:?}: {answer}");
        }
    }

    // Over the 32 KiB head limit, sent at once or over the 64 KiB read buffer: 431.
    for kib in [40, 80] {
        let mut stream = raw::connect(gw.addr()).await?;
        let huge = format!(
            "GET /healthz HTTP/1.1\r\nHost: warden\r\nX-Big: {}\r\n\r\n",
            "a".repeat(kib * 1024)
        );
        // The server may answer and close before every byte is written.
        let _ = stream.write_all(huge.as_bytes()).await;
        let (answer, _) = raw::read_until_closed(&mut stream, Duration::from_secs(3)).await;
        assert_eq!(raw::status(&answer), Some(431), "{kib} KiB: {answer}");
    }
    // The control: a large but reasonable head is served.
    let mut stream = raw::connect(gw.addr()).await?;
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: warden\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    stream.write_all(big.as_bytes()).await?;
    let (answer, _) = raw::read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert_eq!(raw::status(&answer), Some(200), "{answer}");
    gw.finish().await
}
