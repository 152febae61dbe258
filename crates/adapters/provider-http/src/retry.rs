//! Bounded retries under one deadline, for adapters that ask a question and wait for the
//! answer (the LLM advisors), as opposed to the outbox senders, which hand a failure back to
//! the outbox's own backoff.

use std::time::Duration;

use reqwest::{RequestBuilder, Response};
use tokio::time::Instant;

use crate::{read_bounded, retry_after};

/// How [`send_with_retries`] spends its attempts and its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Names the provider in the `debug` line logged before each retry.
    pub provider: &'static str,
    /// The whole call: every attempt, every body read and every wait between them.
    pub timeout: Duration,
    /// Attempts per call (1 = no retry); 0 is taken as 1.
    pub max_attempts: u32,
    /// Wait before the first retry when no `Retry-After` is given; doubles per retry.
    pub backoff: Duration,
    /// The doubling backoff stops growing here.
    pub max_backoff: Duration,
    /// A `Retry-After` up to this is waited for; a longer one ends the call with the status.
    pub retry_after_cap: Duration,
    /// A successful body larger than this is [`Failure::TooLarge`].
    pub max_response_bytes: usize,
}

/// Why [`send_with_retries`] got no body. Kinds and status codes only: no URL, no body text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed (or the request itself timed out).
    Timeout,
    /// Nothing usable came back: `"connect"`, `"body"` (the connection failed mid-body) or
    /// `"transport"`.
    Transport(&'static str),
    /// An HTTP error status; 429 and 5xx only after the retries allowed.
    Status(u16),
    /// The success body is over [`RetryPolicy::max_response_bytes`].
    TooLarge,
}

impl Failure {
    /// A stable short name for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Transport(_) => "transport",
            Failure::Status(_) => "status",
            Failure::TooLarge => "too_large",
        }
    }
}

/// Sends the request `build` makes, retrying until a success body is read or the policy gives
/// up, all within [`RetryPolicy::timeout`]; returns the success body.
///
/// - `build` is called once per attempt; each request gets what is left of the deadline as its
///   own timeout.
/// - Retried: 429, 5xx, and transport failures (a connection that fails mid-body included).
///   Not retried: other statuses, a timeout, an oversized body.
/// - The wait before a retry is the `Retry-After` if given, else the backoff (doubling up to
///   [`RetryPolicy::max_backoff`]). A `Retry-After` over [`RetryPolicy::retry_after_cap`], or a
///   wait that would reach the deadline, ends the call with the last failure at once.
/// - An error response's body is never read: it can quote the request.
/// - The success body is bounded: a declared length over the limit is refused unread; without
///   one, failing to read is taken as the body outgrowing the limit ([`Failure::TooLarge`]);
///   with one, as the connection failing mid-body (`Transport("body")`, retried).
pub async fn send_with_retries(
    build: impl Fn() -> RequestBuilder,
    policy: &RetryPolicy,
) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + policy.timeout;
    tokio::time::timeout_at(deadline, attempts(&build, policy, deadline))
        .await
        .unwrap_or(Err(Failure::Timeout))
}

async fn attempts(
    build: &impl Fn() -> RequestBuilder,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Result<Vec<u8>, Failure> {
    let mut backoff = policy.backoff;
    let mut attempt = 1;
    loop {
        let (error, retry_after) = match attempt_once(build, policy, deadline).await {
            Attempt::Done(result) => return result,
            Attempt::Retryable { error, retry_after } => (error, retry_after),
        };
        if attempt >= policy.max_attempts {
            return Err(error);
        }
        let wait = match retry_after {
            Some(asked) if asked > policy.retry_after_cap => return Err(error),
            Some(asked) => asked,
            None => backoff,
        };
        if Instant::now() + wait >= deadline {
            return Err(error);
        }
        tracing::debug!(
            provider = policy.provider,
            attempt,
            error = error.code(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying the model"
        );
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(policy.max_backoff);
        attempt += 1;
    }
}

async fn attempt_once(
    build: &impl Fn() -> RequestBuilder,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Attempt {
    let remaining = deadline.saturating_duration_since(Instant::now());
    let response = match build().timeout(remaining).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Attempt::Done(Err(Failure::Timeout)),
        Err(e) => return Attempt::retry(Failure::Transport(transport_kind(&e)), None),
    };
    let status = response.status();
    if status.is_success() {
        return read_success(response, policy.max_response_bytes).await;
    }
    let code = status.as_u16();
    if code == 429 || status.is_server_error() {
        Attempt::retry(Failure::Status(code), retry_after(response.headers()))
    } else {
        Attempt::Done(Err(Failure::Status(code)))
    }
}

enum Attempt {
    Done(Result<Vec<u8>, Failure>),
    Retryable {
        error: Failure,
        retry_after: Option<Duration>,
    },
}

impl Attempt {
    fn retry(error: Failure, retry_after: Option<Duration>) -> Self {
        Attempt::Retryable { error, retry_after }
    }
}

async fn read_success(response: Response, max: usize) -> Attempt {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > max as u64) {
        return Attempt::Done(Err(Failure::TooLarge));
    }
    match read_bounded(response, max).await {
        Some(bytes) => Attempt::Done(Ok(bytes)),
        None if declared.is_some() => Attempt::retry(Failure::Transport("body"), None),
        None => Attempt::Done(Err(Failure::TooLarge)),
    }
}

/// Named by kind only: reqwest's own text quotes the URL.
fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "transport"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test setup failing is the test failing")]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant as Clock;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            provider: "test",
            timeout: Duration::from_secs(5),
            max_attempts: 3,
            backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(4),
            retry_after_cap: Duration::from_secs(5),
            max_response_bytes: 1024,
        }
    }

    async fn send(uri: &str, policy: &RetryPolicy) -> Result<Vec<u8>, Failure> {
        let client = crate::client(policy.timeout).unwrap();
        send_with_retries(
            || client.post(uri).header("x-test", "1").body("question"),
            policy,
        )
        .await
    }

    async fn requests(server: &MockServer) -> usize {
        server.received_requests().await.unwrap().len()
    }

    /// Mounts `first` for one request, then `then` for the rest.
    async fn server(first: ResponseTemplate, then: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(first)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(then)
            .mount(&server)
            .await;
        server
    }

    /// A raw HTTP/1.1 server that answers every connection with `response` and counts them.
    async fn raw_server(response: &'static [u8]) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut request = [0_u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(response).await;
                // Dropping the socket closes the connection, whatever the response declared.
            }
        });
        (uri, count)
    }

    #[tokio::test]
    async fn a_success_is_returned_after_one_request_built_by_the_caller() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(header("x-test", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_string("answer"))
            .mount(&server)
            .await;
        assert_eq!(send(&server.uri(), &policy()).await, Ok(b"answer".to_vec()));
        assert_eq!(requests(&server).await, 1);
    }

    #[tokio::test]
    async fn server_errors_and_rate_limits_are_retried() {
        for code in [429, 500, 503] {
            let server = server(
                ResponseTemplate::new(code),
                ResponseTemplate::new(200).set_body_string("answer"),
            )
            .await;
            assert_eq!(
                send(&server.uri(), &policy()).await,
                Ok(b"answer".to_vec()),
                "HTTP {code}"
            );
            assert_eq!(requests(&server).await, 2, "HTTP {code}");
        }
    }

    #[tokio::test]
    async fn other_statuses_end_the_call_at_once() {
        for code in [400, 401, 404, 307] {
            let server = server(
                ResponseTemplate::new(code),
                ResponseTemplate::new(200).set_body_string("answer"),
            )
            .await;
            assert_eq!(
                send(&server.uri(), &policy()).await,
                Err(Failure::Status(code))
            );
            assert_eq!(requests(&server).await, 1, "HTTP {code} was retried");
        }
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        assert_eq!(
            send(&server.uri(), &policy()).await,
            Err(Failure::Status(503))
        );
        assert_eq!(requests(&server).await, 3);
        let once = RetryPolicy {
            max_attempts: 1,
            ..policy()
        };
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        assert_eq!(send(&server.uri(), &once).await, Err(Failure::Status(503)));
        assert_eq!(requests(&server).await, 1);
    }

    #[tokio::test]
    async fn backoff_doubles_up_to_its_cap() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let doubling = RetryPolicy {
            max_attempts: 4,
            backoff: Duration::from_millis(100),
            ..policy()
        };
        let started = Clock::now();
        assert_eq!(
            send(&server.uri(), &doubling).await,
            Err(Failure::Status(503))
        );
        // 100 + 200 + 400 ms.
        assert!(started.elapsed() >= Duration::from_millis(700));

        let capped = RetryPolicy {
            max_backoff: Duration::from_millis(100),
            ..doubling
        };
        let started = Clock::now();
        assert_eq!(
            send(&server.uri(), &capped).await,
            Err(Failure::Status(503))
        );
        // 100 + 100 + 100 ms.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(650), "{elapsed:?}");
    }

    #[tokio::test]
    async fn retry_after_is_waited_for_instead_of_the_backoff() {
        let server = server(
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            ResponseTemplate::new(200).set_body_string("answer"),
        )
        .await;
        let started = Clock::now();
        assert_eq!(send(&server.uri(), &policy()).await, Ok(b"answer".to_vec()));
        // The backoff is 10 ms: only Retry-After explains a one-second wait.
        assert!(started.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn retry_after_over_the_cap_or_past_the_deadline_gives_up_at_once() {
        for (retry_after, timeout) in [("3600", 5_000), ("6", 5_000), ("1", 500)] {
            let server = server(
                ResponseTemplate::new(429).insert_header("retry-after", retry_after),
                ResponseTemplate::new(200).set_body_string("answer"),
            )
            .await;
            let policy = RetryPolicy {
                timeout: Duration::from_millis(timeout),
                ..policy()
            };
            let started = Clock::now();
            assert_eq!(
                send(&server.uri(), &policy).await,
                Err(Failure::Status(429)),
                "Retry-After {retry_after}"
            );
            assert_eq!(requests(&server).await, 1, "Retry-After {retry_after}");
            assert!(started.elapsed() < Duration::from_millis(400));
        }
    }

    #[tokio::test]
    async fn the_deadline_covers_the_whole_call() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let policy = RetryPolicy {
            timeout: Duration::from_millis(200),
            ..policy()
        };
        let started = Clock::now();
        assert_eq!(send(&server.uri(), &policy).await, Err(Failure::Timeout));
        assert_eq!(requests(&server).await, 1, "a timeout is not retried");
        assert!(started.elapsed() < Duration::from_secs(1));

        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(150)))
            .mount(&server)
            .await;
        let policy = RetryPolicy {
            timeout: Duration::from_millis(300),
            max_attempts: 10,
            backoff: Duration::from_millis(50),
            ..policy
        };
        let started = Clock::now();
        let failure = send(&server.uri(), &policy).await;
        assert!(
            matches!(failure, Err(Failure::Timeout | Failure::Status(503))),
            "{failure:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(800));
    }

    #[tokio::test]
    async fn a_declared_oversized_body_is_too_large_and_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(1025)))
            .mount(&server)
            .await;
        assert_eq!(send(&server.uri(), &policy()).await, Err(Failure::TooLarge));
        assert_eq!(requests(&server).await, 1);
    }

    #[tokio::test]
    async fn an_undeclared_body_outgrowing_the_limit_is_too_large_and_not_retried() {
        let (uri, connections) = raw_server(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
              20\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n\
              20\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n0\r\n\r\n",
        )
        .await;
        let policy = RetryPolicy {
            max_response_bytes: 40,
            ..policy()
        };
        assert_eq!(send(&uri, &policy).await, Err(Failure::TooLarge));
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_dropped_mid_body_is_retried_as_a_transport_failure() {
        let (uri, connections) = raw_server(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b",
        )
        .await;
        assert_eq!(send(&uri, &policy()).await, Err(Failure::Transport("body")));
        assert_eq!(connections.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_unreachable_host_is_a_connect_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let failure = send(&format!("http://127.0.0.1:{port}"), &policy()).await;
        assert_eq!(failure, Err(Failure::Transport("connect")));
        assert_eq!(Failure::Transport("connect").code(), "transport");
    }
}
