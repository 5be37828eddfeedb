//! Metrics through the `metrics` facade, and where they go.
//!
//! - Locally (the gateway, a function on a port) a Prometheus recorder keeps them and the
//!   gateway serves them as Prometheus text at `GET /metrics` ([`metrics_endpoint`]), only when
//!   `METRICS_TOKEN` is set and then only to `Authorization: Bearer <METRICS_TOKEN>`.
//! - On Lambda they leave as CloudWatch Embedded Metric Format lines on stdout, one document per
//!   invocation ([`flush_lambda`]): CloudWatch Logs turns them into metrics, no agent. The worker
//!   on ECS writes the same lines every minute with `METRICS_EXPORT=emf`.
//!
//! Labels are bounded: routes are templates (`/api/v1/items/{id}`, never ids), queues are job
//! kinds (without the deployment's prefix), statuses are numbers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests served, by `method`, `route` (template) and `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to the response's head, by `method`, `route` and `status`.
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// PostgreSQL connections handed out, by `pool`.
pub const DB_IN_USE: &str = "db_pool_connections_in_use";
/// Idle PostgreSQL connections kept, by `pool`.
pub const DB_IDLE: &str = "db_pool_connections_idle";
/// Callers waiting for a PostgreSQL connection, by `pool`.
pub const DB_WAITING: &str = "db_pool_waiting";
/// Failed Redis commands and connections, by `source` (`api`, `health`, `jobs`, `worker`).
pub const REDIS_ERRORS: &str = "redis_errors_total";
/// Whether a dependency answered the last `/health` probe (1) or not (0), by `dependency`.
pub const HEALTH_UP: &str = "health_dependency_up";
/// Jobs pushed onto a queue, by `queue`.
pub const JOBS_ENQUEUED: &str = "jobs_enqueued_total";
/// Job attempts started, by `queue`.
pub const JOBS_STARTED: &str = "jobs_started_total";
/// Job attempts that succeeded, by `queue`.
pub const JOBS_SUCCEEDED: &str = "jobs_succeeded_total";
/// Job attempts that failed, by `queue`.
pub const JOBS_FAILED: &str = "jobs_failed_total";
/// Job attempts that were retries (second attempt or later), by `queue`.
pub const JOBS_RETRIED: &str = "jobs_retried_total";
/// Time one job attempt took, by `queue` (`version_document`: versioning, `process_poster`:
/// posters) and `outcome` (`succeeded`, `failed`).
pub const JOB_DURATION: &str = "job_duration_seconds";
/// Jobs waiting in a queue (ready and scheduled), by `queue`.
pub const QUEUE_DEPTH: &str = "jobs_queue_depth";
/// Age of the oldest unfinished work of a queue (the row still `processing`), by `queue`.
pub const QUEUE_OLDEST_AGE: &str = "jobs_oldest_age_seconds";
/// Jobs the sweeper enqueued again for work stuck in `processing`, by `queue`.
pub const SWEEPER_REENQUEUED: &str = "sweeper_reenqueued_total";
/// Requests refused with 429 by a rate limit, by `limit` (`login`, `register`, ...).
pub const RATE_LIMITED: &str = "rate_limit_rejections_total";

/// Latency buckets (seconds): 5 ms to 30 s (the API's timeout), and to 10 min for jobs.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const JOB_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// Where this process's metrics go.
enum Sink {
    Prometheus(PrometheusHandle),
    Emf(&'static metrics_cloudwatch_embedded::Collector),
    /// Another recorder was installed first (a test's): nothing to render.
    Foreign,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the recorder the environment calls for: EMF on Lambda (`AWS_LAMBDA_RUNTIME_API`) or
/// with `METRICS_EXPORT=emf` (flushed every `METRICS_EMF_INTERVAL_SECONDS`, default 60, which
/// needs a tokio runtime), Prometheus otherwise. Once per process.
pub fn install_from_env() {
    let lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    let emf = std::env::var("METRICS_EXPORT").is_ok_and(|v| v.eq_ignore_ascii_case("emf"));
    if lambda || emf {
        SINK.get_or_init(|| install_emf(lambda));
    } else {
        prometheus();
    }
}

fn install_emf(lambda: bool) -> Sink {
    let service = std::env::var("AWS_LAMBDA_FUNCTION_NAME")
        .or_else(|_| std::env::var("OTEL_SERVICE_NAME"))
        .unwrap_or_else(|_| "theatre".into());
    let namespace = std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| "Theatre".into());
    let mut builder = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("Service", service);
    if !lambda && tokio::runtime::Handle::try_current().is_ok() {
        let every = crate::config::parsed_or("METRICS_EMF_INTERVAL_SECONDS", 60u64).unwrap_or(60);
        builder = builder.with_auto_flush_interval(Duration::from_secs(every.max(1)));
    }
    match builder.init() {
        Ok(collector) => {
            describe();
            Sink::Emf(collector)
        }
        Err(e) => {
            eprintln!("metrics: the EMF recorder was not installed: {e}");
            Sink::Foreign
        }
    }
}

/// The Prometheus handle, installing the recorder on first use (the gateway, tests). `None`
/// when this process exports EMF or another recorder came first.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    let sink = SINK.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(JOB_DURATION.into()), JOB_BUCKETS))
            .map(|b| b.install_recorder());
        match recorder {
            Ok(Ok(handle)) => {
                describe();
                Sink::Prometheus(handle)
            }
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(error = %e, "metrics: the Prometheus recorder was not installed");
                Sink::Foreign
            }
        }
    });
    match sink {
        Sink::Prometheus(handle) => Some(handle),
        _ => None,
    }
}

/// Writes this invocation's EMF document to stdout (Lambda: CloudWatch Logs extracts it).
pub fn flush_lambda() {
    if let Some(Sink::Emf(collector)) = SINK.get()
        && let Err(e) = collector.flush(std::io::stdout().lock())
    {
        tracing::warn!(error = %e, "metrics: writing the EMF document failed");
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests served, by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to the response head, by method, route template and status"
    );
    describe_gauge!(DB_IN_USE, "PostgreSQL connections handed out");
    describe_gauge!(DB_IDLE, "Idle PostgreSQL connections in the pool");
    describe_gauge!(DB_WAITING, "Callers waiting for a PostgreSQL connection");
    describe_counter!(REDIS_ERRORS, "Failed Redis commands and connections");
    describe_gauge!(
        HEALTH_UP,
        "1 when the dependency answered the last health probe"
    );
    describe_counter!(JOBS_ENQUEUED, "Jobs pushed onto a queue");
    describe_counter!(JOBS_STARTED, "Job attempts started");
    describe_counter!(JOBS_SUCCEEDED, "Job attempts that succeeded");
    describe_counter!(JOBS_FAILED, "Job attempts that failed");
    describe_counter!(JOBS_RETRIED, "Job attempts that were retries");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "Time one job attempt took");
    describe_gauge!(QUEUE_DEPTH, "Jobs waiting in a queue (ready and scheduled)");
    describe_gauge!(
        QUEUE_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest work of a queue still processing"
    );
    describe_counter!(SWEEPER_REENQUEUED, "Jobs re-enqueued by the sweeper");
    describe_counter!(RATE_LIMITED, "Requests refused by a rate limit");
}

/// A method label from a fixed set (a client can send any token as a method).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The route template a request matched, filled in by [`record_route`] deep inside and read by
/// [`measure`] outside (also when a panic or the timeout produced the response).
#[derive(Clone, Default)]
pub struct RouteSlot(Arc<OnceLock<Arc<str>>>);

/// The route label of requests that matched no route (404s, 405s): one series for all of them.
pub const UNMATCHED: &str = "unmatched";

/// Counts and times every request by route template and status. Runs inside the request span.
pub async fn measure(mut req: Request, next: Next) -> Response {
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = method_label(req.method());
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let route: Arc<str> = slot.0.get().cloned().unwrap_or_else(|| UNMATCHED.into());
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// A route layer: hands the matched route template to [`measure`] and names the request span
/// after it (`GET /api/v1/items/{id}`), for logs and traces.
pub async fn record_route(req: Request, next: Next) -> Response {
    if let Some(path) = req.extensions().get::<MatchedPath>() {
        let template: Arc<str> = path.as_str().into();
        let span = tracing::Span::current();
        span.record("route", &*template);
        crate::telemetry::rename(
            &span,
            format!("{} {}", method_label(req.method()), template),
        );
        if let Some(slot) = req.extensions().get::<RouteSlot>() {
            let _ = slot.0.set(template);
        }
    }
    next.run(req).await
}

/// Samples a PostgreSQL pool into the pool gauges (`pool` = `api` or `worker`).
pub fn record_pool(pool: &crate::db::Pool, name: &'static str) {
    let status = pool.status();
    let in_use = status.size.saturating_sub(status.available);
    metrics::gauge!(DB_IN_USE, "pool" => name).set(in_use as f64);
    metrics::gauge!(DB_IDLE, "pool" => name).set(status.available as f64);
    metrics::gauge!(DB_WAITING, "pool" => name).set(status.waiting as f64);
}

/// Counts one Redis failure from `source`.
pub fn redis_error(source: &'static str) {
    metrics::counter!(REDIS_ERRORS, "source" => source).increment(1);
}

/// Counts one 429 of the limit whose bucket is `bucket` (`login:ip:1.2.3.4` → `login`: the
/// label never carries the address or account).
pub fn rate_limited(bucket: &str) {
    let limit = bucket.split(':').next().unwrap_or("other");
    let limit = match limit {
        "" => "other",
        l if l.len() > 32 || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => "other",
        l => l,
    };
    metrics::counter!(RATE_LIMITED, "limit" => limit.to_string()).increment(1);
}

/// What `GET /metrics` needs: the token it asks for (`None`: the endpoint is off) and the
/// clients whose state it samples.
#[derive(Clone)]
pub struct MetricsAccess {
    pub token: Option<Arc<str>>,
    pub ctx: crate::AppContext,
}

/// `GET /metrics`: Prometheus text. Answers only when a token is configured (`METRICS_TOKEN`;
/// 404 otherwise, as if there were no such path) and only to `Authorization: Bearer <token>`
/// (401). Not part of the API's OpenAPI document: it is an operator's endpoint, not the
/// product's.
pub async fn metrics_endpoint(
    axum::extract::State(access): axum::extract::State<MetricsAccess>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(expected) = access.token.as_deref() else {
        return crate::ApiError::NotFound.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return crate::ApiError::Unauthorized("the metrics token is required".into())
            .into_response();
    }
    let Some(handle) = prometheus() else {
        return crate::ApiError::NotFound.into_response();
    };
    record_pool(&access.ctx.db, "api");
    handle.run_upkeep();
    let mut response = (StatusCode::OK, handle.render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_by_content() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let odd = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
