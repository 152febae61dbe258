//! Logging set-up. Log lines carry ids and codes, never phone numbers, bodies or secrets:
//! the domain types mask themselves in `Debug`, and handlers log reason codes only. As a last
//! line of defence everything a call site supplies (the message, event and span fields, error
//! chains) is formatted as plain text and redacted by [`warden_redaction::Redactor`] before
//! the formatter colours anything ([`RedactedFields`]), and every finished line passes through
//! the redactor once more before it reaches stderr ([`Redacting`]), so a careless `{}`
//! somewhere cannot leak a number or a token.
//!
//! Colour is for people at a terminal only: escape codes glued to a value (`from=\x1b[0m+1…`)
//! hide it from the redactor's patterns, so redaction never reads coloured text, and stderr gets
//! plain text whenever it is not a terminal or `NO_COLOR` is set ([`colour_stderr`]).
//!
//! Traces are optional and off by default: only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set does
//! [`init`] build an OTLP/HTTP (protobuf) exporter, a batch processor thread and a
//! tracing-opentelemetry layer; otherwise none of it exists and nothing touches the network.
//! Exported spans pass through [`RedactingExporter`], which runs every span name, string
//! attribute, event message and status description through the same redactor as the log lines.

use std::borrow::Cow;
use std::io::{IsTerminal as _, Write};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::{FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};
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

/// The current redactor's reading of `text`; `None` when no redactor could be built.
fn redacted(text: &str) -> Option<String> {
    let redactor = current().read().ok().and_then(|r| r.clone())?;
    Some(redactor.redact(text).into_owned())
}

/// Formats a call site's fields (the message, `%`/`?` fields, span fields, error chains) as
/// plain text, as [`DefaultFields`] would without colour, and redacts them before the event
/// formatter adds any escape code: what the redactor reads never depends on the output format.
#[derive(Debug, Default)]
pub struct RedactedFields(DefaultFields);

impl<'w> FormatFields<'w> for RedactedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> std::fmt::Result {
        let mut plain = String::new();
        self.0.format_fields(Writer::new(&mut plain), fields)?;
        match redacted(&plain) {
            Some(text) => writer.write_str(&text),
            // No redactor could be built: say so rather than print unfiltered text.
            None => writer.write_str("<fields withheld: redactor unavailable>"),
        }
    }
}

/// Whether log lines on stderr may be coloured: only for a terminal, and not when `NO_COLOR` is
/// set to anything non-empty (<https://no-color.org>). Nothing forces colour into a file, pipe
/// or journald.
pub fn colour_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The log layer [`init`] installs, colouring only when `ansi` is set: call-site fields
/// redacted before colouring ([`RedactedFields`]), whole lines redacted again on the way to
/// `writer` ([`Redacting`]).
pub fn fmt_layer<S, W>(ansi: bool, writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(ansi)
        .fmt_fields(RedactedFields::default())
        .with_writer(Redacting(writer))
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
        let _ = match redacted(&text) {
            Some(text) => self.inner.write_all(text.as_bytes()),
            // No redactor could be built: say so rather than print unfiltered text.
            None => self
                .inner
                .write_all(b"<log line withheld: redactor unavailable>\n"),
        };
        let _ = self.inner.flush();
    }
}

/// Installs the global subscriber (`WARDEN_LOG`, else `default_filter`), writing redacted lines
/// to stderr (coloured only for a terminal, see [`colour_stderr`]), plus the OTLP trace layer when [`otlp_settings`] finds an endpoint, and a panic
/// hook that logs where a panic happened but not its message, which could hold a message body
/// that no pattern recognises.
pub fn init(default_filter: &str) {
    let directives = std::env::var("WARDEN_LOG").unwrap_or_else(|_| default_filter.to_owned());
    let filter = filter(&directives);
    let mut otel_failed = false;
    let otel = otlp_settings(|k| std::env::var(k).ok()).and_then(|settings| {
        match tracer_provider(&settings) {
            Ok(provider) => {
                let tracer = provider.tracer("warden");
                if let Ok(mut slot) = provider_slot().lock() {
                    *slot = Some(provider);
                }
                // Only Warden's own spans: library spans (hyper, sea-orm) say nothing useful
                // about the message path and some record data Warden must not export.
                Some(
                    tracing_opentelemetry::layer()
                        .with_tracer(tracer)
                        .with_filter(Targets::new().with_target("warden", LevelFilter::TRACE)),
                )
            }
            Err(_) => {
                otel_failed = true;
                None
            }
        }
    });
    let fmt = fmt_layer(colour_stderr(), std::io::stderr);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    if otel_failed {
        // The cause may quote the endpoint (credentials in its URL): withheld.
        tracing::warn!("OTLP trace export disabled: the exporter could not be built");
    }
    install_panic_hook();
}

/// Replaces the default panic hook (which prints the message to stderr) with one that logs
/// where a panic happened but not its message or payload: a panic in a handler may quote a
/// body, a number or a secret that no redaction pattern recognises.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (message withheld: it may contain request data)");
    }));
}

/// Where and as what to export traces, from the standard OpenTelemetry variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The collector's base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `{endpoint}/v1/traces`.
    pub endpoint: String,
    /// `OTEL_SERVICE_NAME`, else `warden`.
    pub service_name: String,
}

/// The export decision: `None` (no exporter, no thread, no network) unless
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set to something non-blank.
pub fn otlp_settings(var: impl Fn(&str) -> Option<String>) -> Option<OtlpSettings> {
    let endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT")?.trim().to_owned();
    if endpoint.is_empty() {
        return None;
    }
    let service_name = var("OTEL_SERVICE_NAME")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "warden".to_owned());
    Some(OtlpSettings {
        endpoint,
        service_name,
    })
}

/// How long one export request may take before it is abandoned (the batch is dropped).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// A tracer provider exporting to `settings.endpoint` over OTLP/HTTP with protobuf bodies,
/// redacted, in batches from a background thread. The batch queue is bounded (2048 spans unless
/// `OTEL_BSP_MAX_QUEUE_SIZE` says otherwise) and drops spans when full, so a slow or dead
/// collector never blocks a request; failed exports are dropped, not retried.
///
/// # Errors
/// When the endpoint is not a valid URL. The error may quote the endpoint: do not log it.
pub fn tracer_provider(
    settings: &OtlpSettings,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let endpoint = format!("{}/v1/traces", settings.endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    Ok(provider_with(
        BatchSpanProcessor::builder(RedactingExporter::new(exporter)).build(),
        &settings.service_name,
    ))
}

fn provider_with(
    processor: impl opentelemetry_sdk::trace::SpanProcessor + 'static,
    service_name: &str,
) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build()
}

/// The provider [`init`] built, kept for [`shutdown`].
fn provider_slot() -> &'static Mutex<Option<SdkTracerProvider>> {
    static PROVIDER: OnceLock<Mutex<Option<SdkTracerProvider>>> = OnceLock::new();
    PROVIDER.get_or_init(|| Mutex::new(None))
}

/// Exports the spans still queued (bounded by the export timeout) and stops the export thread.
/// Does nothing when export is off. Blocks: call it from `spawn_blocking` in async code.
pub fn shutdown() {
    let provider = provider_slot().lock().ok().and_then(|mut p| p.take());
    if let Some(provider) = provider {
        let _ = provider.shutdown_with_timeout(EXPORT_TIMEOUT);
    }
}

/// The outbox worker's pass span. Passes that claimed nothing (one every tick) are not exported.
pub const OUTBOX_PASS_SPAN: &str = "outbox_pass";

/// A [`SpanExporter`] that redacts each span with the log redactor (so configured secrets apply)
/// before handing it on, drops idle outbox passes, and hides the inner exporter's error
/// details, which can quote the endpoint and the collector's answer.
#[derive(Debug)]
pub struct RedactingExporter<E> {
    inner: E,
}

impl<E: SpanExporter> RedactingExporter<E> {
    pub fn new(inner: E) -> Self {
        Self { inner }
    }
}

impl<E: SpanExporter> SpanExporter for RedactingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let redactor = current().read().ok().and_then(|r| r.clone());
        // No redactor: export nothing rather than unfiltered text.
        let Some(redactor) = redactor else {
            return Ok(());
        };
        let batch: Vec<SpanData> = batch
            .into_iter()
            .filter(|span| !is_idle_pass(span))
            .map(|span| redact_span(&redactor, span))
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        self.inner.export(batch).await.map_err(|e| match e {
            OTelSdkError::InternalFailure(_) => {
                OTelSdkError::InternalFailure("trace export failed (details withheld)".to_owned())
            }
            other => other,
        })
    }

    fn shutdown_with_timeout(&mut self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&mut self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

fn is_idle_pass(span: &SpanData) -> bool {
    span.name == OUTBOX_PASS_SPAN
        && span
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "claimed" && kv.value == Value::I64(0))
}

fn redact_span(redactor: &Redactor, mut span: SpanData) -> SpanData {
    span.name = redact_cow(redactor, span.name);
    redact_all(redactor, &mut span.attributes);
    for event in &mut span.events.events {
        event.name = redact_cow(redactor, std::mem::take(&mut event.name));
        redact_all(redactor, &mut event.attributes);
    }
    for link in &mut span.links.links {
        redact_all(redactor, &mut link.attributes);
    }
    if let Status::Error { description } = &mut span.status {
        *description = redact_cow(redactor, std::mem::take(description));
    }
    span
}

fn redact_cow(redactor: &Redactor, text: Cow<'static, str>) -> Cow<'static, str> {
    match redactor.redact(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(redacted) => Cow::Owned(redacted),
    }
}

fn redact_all(redactor: &Redactor, attributes: &mut [KeyValue]) {
    for kv in attributes {
        match &mut kv.value {
            Value::String(s) => redact_string(redactor, s),
            Value::Array(Array::String(items)) => {
                for s in items {
                    redact_string(redactor, s);
                }
            }
            _ => {}
        }
    }
}

fn redact_string(redactor: &Redactor, s: &mut StringValue) {
    if let Cow::Owned(redacted) = redactor.redact(s.as_str()) {
        *s = StringValue::from(redacted);
    }
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

    /// The reproduction: through a coloured layer, escape codes glued the field name's
    /// `=` to the value and the redactor's patterns no longer saw the number or the password.
    #[test]
    fn colour_does_not_hide_field_values_from_the_redactor() {
        for ansi in [true, false] {
            let sink = Sink::default();
            let out = sink.clone();
            let subscriber =
                tracing_subscriber::registry().with(fmt_layer(ansi, move || sink.clone()));
            tracing::subscriber::with_default(subscriber, || {
                let span = tracing::info_span!("webhook", from = %"+14155550123");
                let _entered = span.enter();
                tracing::warn!(from = %"+14155550124", "planted");
                tracing::warn!(db = %"postgres://warden:s3cretpw@db/warden", "planted");
                tracing::warn!(auth = ?"Bearer abc123DEF456ghi789", "planted");
            });
            let written = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
            assert_eq!(written.contains('\x1b'), ansi, "{written:?}");
            assert_eq!(written.matches("planted").count(), 3, "{written:?}");
            for planted in ["4155550123", "4155550124", "s3cretpw", "abc123DEF456ghi789"] {
                assert!(!written.contains(planted), "ansi={ansi}: {written:?}");
            }
        }
    }

    /// Configured in both export tests: a value no built-in pattern knows by shape.
    const SECRET: &str = "cfgsecret-Zq7mWx2v";
    const BEARER: &str = "abc123DEF456ghi789";

    fn use_test_redactor() {
        use_redactor(
            Redactor::new(RedactionConfig {
                known_secrets: vec![secrecy::SecretString::from(SECRET)],
                ..RedactionConfig::default()
            })
            .unwrap(),
        );
    }

    /// One request's worth of spans with personal data and credentials planted everywhere a
    /// careless caller could put them: a field, a formatted field, an event message.
    fn emit_planted_spans() {
        let span = tracing::info_span!(
            target: "warden::http",
            "webhook",
            route = "/webhooks/twilio",
            note = %format!("from +44 20 7946 0958, key {SECRET}"),
            auth = %format!("Authorization: Bearer {BEARER}"),
        );
        let _entered = span.enter();
        tracing::info!(
            target: "warden::http",
            detail = %format!("token {SECRET}"),
            "reply to whatsapp:+14155550123 with Bearer {BEARER} and {SECRET}"
        );
    }

    fn all_text(spans: &[SpanData]) -> String {
        let mut out = String::new();
        let push_attrs = |out: &mut String, attrs: &[KeyValue]| {
            for kv in attrs {
                out.push_str(&format!("{}={} ", kv.key, kv.value));
            }
        };
        for span in spans {
            out.push_str(&span.name);
            out.push(' ');
            push_attrs(&mut out, &span.attributes);
            for event in span.events.iter() {
                out.push_str(&event.name);
                out.push(' ');
                push_attrs(&mut out, &event.attributes);
            }
        }
        out
    }

    #[test]
    fn exported_spans_lose_phone_numbers_configured_secrets_and_bearer_tokens() {
        use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
        use_test_redactor();
        let memory = InMemorySpanExporter::default();
        let provider = provider_with(
            SimpleSpanProcessor::new(RedactingExporter::new(memory.clone())),
            "warden-test",
        );
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, emit_planted_spans);

        let spans = memory.get_finished_spans().unwrap();
        let text = all_text(&spans);
        // What the exporter received is still useful...
        assert!(text.contains("webhook"), "{text}");
        assert!(text.contains("/webhooks/twilio"), "{text}");
        assert!(text.contains("reply to"), "{text}");
        // ...and carries none of the planted values.
        for planted in ["7946", "4155550123", SECRET, BEARER] {
            assert!(!text.contains(planted), "{planted} exported: {text}");
        }
    }

    #[test]
    fn idle_outbox_passes_are_not_exported_busy_ones_are() {
        use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
        let memory = InMemorySpanExporter::default();
        let provider = provider_with(
            SimpleSpanProcessor::new(RedactingExporter::new(memory.clone())),
            "warden-test",
        );
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let _ = tracing::info_span!(OUTBOX_PASS_SPAN, claimed = 0_i64).entered();
            let _ = tracing::info_span!(OUTBOX_PASS_SPAN, claimed = 3_i64).entered();
        });
        let spans = memory.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        assert!(spans[0]
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "claimed" && kv.value == Value::I64(3)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_reach_an_otlp_http_collector_as_protobuf_without_the_secret() {
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let collector = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/traces"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&collector)
            .await;
        use_test_redactor();
        let uri = collector.uri();
        let settings =
            otlp_settings(|k| (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| uri.clone())).unwrap();
        // The batch processor and the blocking HTTP client live on their own threads; only
        // waiting for them needs a blocking context.
        tokio::task::spawn_blocking(move || {
            let provider = tracer_provider(&settings).unwrap();
            let subscriber = tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
            tracing::subscriber::with_default(subscriber, emit_planted_spans);
            provider.force_flush().unwrap();
            provider.shutdown().unwrap();
        })
        .await
        .unwrap();

        let requests = collector.received_requests().await.unwrap();
        let protobuf: Vec<_> = requests
            .iter()
            .filter(|r| {
                r.url.path() == "/v1/traces"
                    && r.headers.get("content-type").and_then(|v| v.to_str().ok())
                        == Some("application/x-protobuf")
            })
            .collect();
        assert!(!protobuf.is_empty(), "no OTLP/HTTP protobuf export arrived");
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(
            protobuf
                .iter()
                .any(|r| contains(&r.body, b"/webhooks/twilio")),
            "the exported span is not in the request"
        );
        for r in &requests {
            for planted in [
                SECRET.as_bytes(),
                BEARER.as_bytes(),
                b"4155550123".as_slice(),
            ] {
                assert!(
                    !contains(&r.body, planted),
                    "a planted value reached the collector"
                );
            }
        }
    }

    #[test]
    fn without_an_otlp_endpoint_no_exporter_is_built() {
        assert_eq!(otlp_settings(|_| None), None);
        assert_eq!(
            otlp_settings(|k| (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "  ".to_owned())),
            None
        );
        // OTEL_SERVICE_NAME alone turns nothing on.
        assert_eq!(
            otlp_settings(|k| (k == "OTEL_SERVICE_NAME").then(|| "x".to_owned())),
            None
        );
    }

    #[test]
    fn an_otlp_endpoint_turns_export_on_with_the_standard_service_name() {
        let endpoint = |k: &str| {
            (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://127.0.0.1:4318".to_owned())
        };
        assert_eq!(
            otlp_settings(endpoint),
            Some(OtlpSettings {
                endpoint: "http://127.0.0.1:4318".to_owned(),
                service_name: "warden".to_owned(),
            })
        );
        let named = otlp_settings(|k| match k {
            "OTEL_SERVICE_NAME" => Some("warden-eu".to_owned()),
            other => endpoint(other),
        });
        assert_eq!(named.map(|s| s.service_name).as_deref(), Some("warden-eu"));
    }
}
