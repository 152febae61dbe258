//! Logging set-up. Log lines carry ids and codes, never phone numbers, bodies or secrets:
//! the domain types mask themselves in `Debug`, and handlers log reason codes only. As a last
//! line of defence every formatted line also passes through [`warden_redaction::Redactor`]
//! before it reaches stderr, so a careless `{}` somewhere cannot leak a number or a token.

use std::io::Write;
use std::sync::{Arc, OnceLock, RwLock};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;
use warden_redaction::{RedactionConfig, Redactor};

/// Libraries whose verbose levels record data Warden must not log, and the most they may say:
/// sea-orm's TRACE spans carry every SQL statement with its bound values (task titles) and the
/// connection options (a database URL with its password).
const LIBRARY_CAPS: &[&str] = &["sea_orm=info", "sea_orm_migration=info", "sqlx=warn"];

/// The log filter for `directives` (the `WARDEN_LOG` syntax), with the library caps applied on
/// top, so not even `WARDEN_LOG=trace` lifts them.
pub fn filter(directives: &str) -> EnvFilter {
    let base = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    LIBRARY_CAPS.iter().fold(base, |f, cap| match cap.parse() {
        Ok(directive) => f.add_directive(directive),
        Err(_) => f,
    })
}

/// The redactor every log line goes through. Starts with the built-in patterns only; once the
/// configuration is read, [`use_redactor`] adds the configured secrets.
fn current() -> &'static RwLock<Option<Arc<Redactor>>> {
    static CURRENT: OnceLock<RwLock<Option<Arc<Redactor>>>> = OnceLock::new();
    CURRENT
        .get_or_init(|| RwLock::new(Redactor::new(RedactionConfig::default()).ok().map(Arc::new)))
}

/// Replaces the log redactor (e.g. with one that knows the configured secrets).
pub fn use_redactor(redactor: Redactor) {
    if let Ok(mut slot) = current().write() {
        *slot = Some(Arc::new(redactor));
    }
}

/// A [`MakeWriter`] whose writers buffer one event and write it redacted when dropped
/// (tracing-subscriber makes one writer per event).
#[derive(Debug, Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            buf: Vec::with_capacity(256),
            inner: self.0.make_writer(),
        }
    }
}

#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    buf: Vec<u8>,
    inner: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let redactor = current().read().ok().and_then(|r| r.clone());
        let _ = match redactor {
            Some(r) => self.inner.write_all(r.redact(&text).as_bytes()),
            // No redactor could be built: say so rather than print unfiltered text.
            None => self
                .inner
                .write_all(b"<log line withheld: redactor unavailable>\n"),
        };
        let _ = self.inner.flush();
    }
}

/// Installs the global subscriber (`WARDEN_LOG`, else `default_filter`), writing redacted lines
/// to stderr, and a panic hook that logs where a panic happened but not its message, which could
/// hold a message body that no pattern recognises.
pub fn init(default_filter: &str) {
    let directives = std::env::var("WARDEN_LOG").unwrap_or_else(|_| default_filter.to_owned());
    let filter = filter(&directives);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(Redacting(std::io::stderr))
        .try_init();
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (message withheld: it may contain request data)");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_careless_log_line_reaches_the_output_redacted() {
        let sink = Sink::default();
        let make = Redacting(move || sink.clone());
        let out = make.0.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(make)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("call me on +44 20 7946 0958 or at whatsapp:+14155550123");
        });
        let written = String::from_utf8(out().0.lock().unwrap().clone()).unwrap();
        assert!(written.contains("call me on"), "{written}");
        for digits in ["7946 0958", "79460958", "4155550123"] {
            assert!(!written.contains(digits), "{written}");
        }
    }
}
