//! Logs and traces through `tracing`.
//!
//! Logs: human-readable lines on a terminal, JSON otherwise (a service's logs go to a
//! collector). `LOG_FORMAT=json` or `LOG_FORMAT=pretty` overrides the choice; `RUST_LOG` filters
//! (default `info` without the libraries' chatter: refinery's file paths, PostgreSQL NOTICEs, the
//! HTTP stack).
//!
//! Traces: OpenTelemetry, off by default. Setting the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) exports every span over OTLP/HTTP (protobuf) to that
//! collector; `OTEL_SERVICE_NAME` names the service (default: the binary's name),
//! `OTEL_SDK_DISABLED=true` keeps it off. Incoming W3C `traceparent` headers are honoured; on
//! Lambda the X-Ray header (`x-amzn-trace-id`) too, so a request traced by API Gateway/X-Ray
//! continues in our spans. Spans carry ids (route template, theatre, user, request), never
//! tokens or presigned URLs.

use std::io::IsTerminal;
use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, TextMapCompositePropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The default filter: our INFO, the libraries' warnings.
pub const DEFAULT_FILTER: &str = "info,tower_http=warn,aws_config=warn,aws_smithy_runtime=warn,\
hyper=warn,refinery_core=warn,refinery=warn,tokio_postgres=warn,apalis=warn,apalis_redis=warn,s3s=off,s3s_fs=warn";

/// What becomes a span in a trace: our INFO spans (requests, jobs) and the DEBUG spans of the
/// SQL and S3 helpers (`db.query`, `s3.*`), which the log lines leave out. `OTEL_TRACES_FILTER`
/// overrides it.
pub const TRACE_FILTER: &str = "info,shared::db=debug,shared::storage=debug,tower_http=off,\
hyper=off,h2=off,opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off,aws_config=off,\
aws_smithy_runtime=off,apalis=warn,apalis_redis=warn,s3s=off,s3s_fs=off,tokio_postgres=off";

/// The tracer provider in use, kept to flush it (end of a Lambda invocation, shutdown).
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether lines are for a person: `LOG_FORMAT` decides when set, else whether stderr is a TTY.
fn human(format: Option<&str>, stderr_is_tty: bool) -> bool {
    match format {
        Some("json") => false,
        Some("pretty") | Some("text") => true,
        _ => stderr_is_tty,
    }
}

/// Whether the environment asks for trace export (the standard OTLP variables).
pub fn tracing_enabled() -> bool {
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    let endpoint = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    endpoint && !disabled
}

/// Installs the global subscriber once; later calls do nothing. With the OTLP variables set
/// (see the module docs) spans are exported too; that needs a tokio runtime (the batch
/// exporter runs on it), so binaries call this inside theirs.
pub fn init() {
    let provider = if tracing_enabled() {
        match otlp_provider() {
            Ok(provider) => Some(provider),
            Err(e) => {
                eprintln!("OpenTelemetry export is off: {e}");
                None
            }
        }
    } else {
        None
    };
    install(true, provider);
    crate::meters::install_from_env();
}

/// Installs the subscriber with `provider` receiving the spans (tests: an in-memory exporter);
/// logs only when `TEST_LOG` is set.
pub fn init_with_provider(provider: SdkTracerProvider) {
    install(std::env::var_os("TEST_LOG").is_some(), Some(provider));
}

/// Logs for tests: only when `TEST_LOG` is set, so test output stays readable.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        install(true, None);
    }
}

/// The OTLP/HTTP exporter behind a batch processor on the current tokio runtime.
fn otlp_provider() -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow::anyhow!("the exporter needs a tokio runtime"))?;
    // Endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()?;
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let service = std::env::var("OTEL_SERVICE_NAME").ok().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "theatre".into())
    });
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service)
                .build(),
        )
        .build())
}

fn install(logs: bool, provider: Option<SdkTracerProvider>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let format = std::env::var("LOG_FORMAT").ok();
    let pretty = human(format.as_deref(), std::io::stderr().is_terminal());
    let fmt = logs.then(|| {
        let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
        let layer = if pretty {
            layer.compact().with_target(false).boxed()
        } else {
            layer
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .boxed()
        };
        layer.with_filter(filter)
    });
    let traces = provider.map(|provider| {
        let tracer = provider.tracer("theatre");
        let _ = PROVIDER.set(provider);
        // W3C trace context everywhere; X-Ray's header on Lambda (API Gateway adds it).
        let mut propagators: Vec<
            Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>,
        > = vec![Box::new(TraceContextPropagator::new())];
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
            propagators.push(Box::new(opentelemetry_aws::trace::XrayPropagator::new()));
        }
        opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(
            propagators,
        ));
        let filter = std::env::var("OTEL_TRACES_FILTER")
            .ok()
            .and_then(|f| EnvFilter::try_new(f).ok())
            .unwrap_or_else(|| EnvFilter::new(TRACE_FILTER));
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(filter)
    });
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(traces)
        .try_init();
}

/// Exports the spans still buffered (the end of a Lambda invocation: the sandbox may freeze
/// before the batch timer fires). Runs on a blocking thread: the flush waits for the exporter
/// task on the runtime.
pub async fn flush() {
    if let Some(provider) = PROVIDER.get().cloned() {
        let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
    }
}

/// Flushes and stops the exporter (process shutdown), waiting at most 5 s for the collector.
pub async fn shutdown() {
    if let Some(provider) = PROVIDER.get().cloned() {
        let stop = tokio::task::spawn_blocking(move || provider.shutdown());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stop).await;
    }
}

/// Reads a header map for the propagators.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes `span` a child of the trace named by the request's `traceparent` (or, on Lambda,
/// `x-amzn-trace-id`) header, when there is one and tracing is on.
pub fn continue_remote_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if PROVIDER.get().is_none() {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Renames `span` in its trace (the request span, once routing found its template).
/// `otel.name` is only read while the span is being built; after its context exists (it has a
/// remote parent, or was entered) the OpenTelemetry span itself is renamed.
pub fn rename(span: &tracing::Span, name: String) {
    if PROVIDER.get().is_none() {
        return;
    }
    span.context().span().update_name(name);
}

/// The trace id of `span` (hex), when tracing is on: recorded on the request span so every log
/// line of the request (errors included) leads to its trace.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    PROVIDER.get()?;
    let context = span.context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// A W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), as a job payload carries it so the
/// job's span joins the trace of the request that enqueued it. `Copy` (it is three numbers), so
/// job payloads stay `Copy`; serialized as the header's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: u128,
    span_id: u64,
    flags: u8,
}

impl TraceParent {
    /// The current span's context, when tracing is on and a trace is being recorded.
    pub fn current() -> Option<Self> {
        PROVIDER.get()?;
        let context = tracing::Span::current().context();
        let span = context.span();
        Self::of(span.span_context())
    }

    fn of(context: &SpanContext) -> Option<Self> {
        context.is_valid().then(|| Self {
            trace_id: u128::from_be_bytes(context.trace_id().to_bytes()),
            span_id: u64::from_be_bytes(context.span_id().to_bytes()),
            flags: context.trace_flags().to_u8(),
        })
    }

    /// The header's text form.
    pub fn header(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.span_id, self.flags
        )
    }

    /// Parses the header's text form (version 00 only; the all-zero ids are invalid).
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(())
        };
        hex(version, 2)?;
        hex(trace, 32)?;
        hex(span, 16)?;
        hex(flags, 2)?;
        if version != "00" || parts.next().is_some() {
            return None;
        }
        let parsed = Self {
            trace_id: u128::from_str_radix(trace, 16).ok()?,
            span_id: u64::from_str_radix(span, 16).ok()?,
            flags: u8::from_str_radix(flags, 16).ok()?,
        };
        (parsed.trace_id != 0 && parsed.span_id != 0).then_some(parsed)
    }

    /// Makes `span` (a job's) a child of this remote context (a no-op with tracing off).
    pub fn adopt(&self, span: &tracing::Span) {
        if PROVIDER.get().is_none() {
            return;
        }
        struct One(String);
        impl Extractor for One {
            fn get(&self, key: &str) -> Option<&str> {
                (key == "traceparent").then_some(self.0.as_str())
            }
            fn keys(&self) -> Vec<&str> {
                vec!["traceparent"]
            }
        }
        let parent = TraceContextPropagator::new();
        let cx =
            opentelemetry::propagation::TextMapPropagator::extract(&parent, &One(self.header()));
        let _ = span.set_parent(cx);
    }
}

impl Serialize for TraceParent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.header())
    }
}

impl<'de> Deserialize<'de> for TraceParent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("not a W3C traceparent"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_lines_a_pipe_gets_json_unless_told() {
        assert!(human(None, true));
        assert!(!human(None, false));
        assert!(!human(Some("json"), true));
        assert!(human(Some("pretty"), false));
    }

    #[test]
    fn the_default_filters_parse() {
        assert!(EnvFilter::try_new(DEFAULT_FILTER).is_ok());
        assert!(EnvFilter::try_new(TRACE_FILTER).is_ok());
    }

    #[test]
    fn a_traceparent_round_trips_and_nonsense_is_refused() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceParent::parse(text).expect("a valid traceparent");
        assert_eq!(parsed.header(), text);
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<TraceParent>(&json).unwrap(), parsed);
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }
}
