//! Observability (issue 14): one trace from the upload to the versioning job, `/metrics` by route
//! template, a Redis outage in `/health` and in the metrics, liveness without dependencies.
//!
//! Spans go to OpenTelemetry's in-memory exporter, installed once for this test binary (the
//! global subscriber is per process, which is why these tests have a binary of their own).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use common::{Client, config, serve, signed_in};
use gateway::{GatewayConfig, build};
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use testkit::faults::PrivateRedis;

mod common;

const METRICS_TOKEN: &str = "metrics-test-token";

/// The spans this process finished (the exporter is installed on first use).
fn spans() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        shared::telemetry::init_with_provider(provider);
        exporter
    })
}

/// `GET /metrics` with `token`: status and text.
async fn metrics(client: &Client, token: Option<&str>) -> (u16, String) {
    let mut request = client.http.get(format!("{}/metrics", client.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// Whether `ancestor` is `span`'s parent, grandparent, ... within `by_id`.
fn descends_from(span: &SpanData, ancestor: SpanId, by_id: &HashMap<SpanId, &SpanData>) -> bool {
    let mut parent = span.parent_span_id;
    for _ in 0..32 {
        if parent == ancestor {
            return true;
        }
        match by_id.get(&parent) {
            Some(next) => parent = next.parent_span_id,
            None => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn one_trace_holds_the_upload_the_complete_call_and_the_versioning_job() {
    let exporter = spans();
    let database = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let gw = build(GatewayConfig {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..config(
            testkit::database_url(&database),
            testkit::redis_url(),
            data.path(),
        )
    })
    .await
    .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;

    // The client's own trace, as a browser instrumented with OpenTelemetry would send it.
    let trace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
    let uploaded = client.upload("трассировка", Some(&traceparent)).await;
    client.wait_ready(&uploaded, Duration::from_secs(30)).await;
    let (version, presigned) = (&uploaded.version, &uploaded.url);
    // A list read in the same trace: its statements run through the prepared-statement helper.
    let (status, _) = client
        .send(
            reqwest::Method::GET,
            "/api/v1/documents",
            None,
            Some(&traceparent),
        )
        .await;
    assert_eq!(status, 200);

    // The job span ends right after the version turned ready: wait for it.
    let (finished, _) = testkit::eventually(
        "the trace holds the job span",
        Duration::from_secs(10),
        Duration::from_millis(50),
        || async {
            let traced: Vec<SpanData> = exporter
                .get_finished_spans()
                .unwrap()
                .into_iter()
                .filter(|s| s.span_context.trace_id() == trace)
                .collect();
            if traced.iter().any(|s| s.name == "job version_document") {
                Ok(traced)
            } else {
                Err(format!("{} spans, no job span", traced.len()))
            }
        },
    )
    .await;
    let by_id: HashMap<SpanId, &SpanData> = finished
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let named = |name: &str| -> &SpanData {
        finished.iter().find(|s| s.name == name).unwrap_or_else(|| {
            let names: Vec<_> = finished.iter().map(|s| s.name.to_string()).collect();
            panic!("no span {name} in {names:#?}")
        })
    };
    let upload = named("POST /api/v1/documents/{id}/versions");
    let complete = named("POST /api/v1/documents/{id}/versions/{version_id}/complete");
    let job = named("job version_document");
    // The request spans are named and labelled by their route templates.
    assert_eq!(
        attribute(complete, "route").as_deref(),
        Some("/api/v1/documents/{id}/versions/{version_id}/complete")
    );
    assert_eq!(
        attribute(upload, "theater_id"),
        attribute(job, "theater_id"),
        "the theatre is on the request and the job"
    );
    assert!(attribute(upload, "user_id").is_some());
    // The job continues the complete call (through the enqueue span), in the same trace.
    assert!(
        descends_from(job, complete.span_context.span_id(), &by_id),
        "the job span is not under the complete call"
    );
    assert_eq!(
        attribute(job, "version_id").as_deref(),
        Some(version.as_str())
    );
    // SQL statements and S3 calls are spans of that trace too.
    assert!(
        finished.iter().any(|s| s.name == "db.query"
            && attribute(s, "db.query.text").is_some_and(|q| q.contains("$1")))
    );
    assert!(finished.iter().any(|s| s.name.starts_with("s3.")));
    // Never a token or a presigned URL in an attribute.
    let signature = presigned
        .split("X-Amz-Signature=")
        .nth(1)
        .expect("a signed URL");
    for span in &finished {
        for kv in &span.attributes {
            let value = kv.value.as_str();
            assert!(!value.contains(&client.token), "{}: a token", span.name);
            assert!(!value.contains(signature), "{}: a presigned URL", span.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_by_route_template_and_health_tells_a_redis_outage_apart() {
    spans();
    let mut redis = PrivateRedis::start();
    let database = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let gw = build(GatewayConfig {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..config(testkit::database_url(&database), redis.url(), data.path())
    })
    .await
    .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;

    // A few requests naming ids.
    let (_, documents) = client.get("/api/v1/documents?limit=3").await;
    let ids: Vec<String> = documents["items"]
        .as_array()
        .expect("demo documents")
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!ids.is_empty());
    for id in &ids {
        let (status, _) = client.get(&format!("/api/v1/documents/{id}")).await;
        assert_eq!(status, 200);
    }
    let missing = uuid::Uuid::new_v4();
    let (status, _) = client.get(&format!("/api/v1/documents/{missing}")).await;
    assert_eq!(status, 404);

    // Off-limits without the token.
    assert_eq!(metrics(&client, None).await.0, 401);
    assert_eq!(metrics(&client, Some("wrong")).await.0, 401);
    let (status, text) = metrics(&client, Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200);

    for labels in [
        &[
            r#"route="/api/v1/documents/{id}""#,
            r#"status="200""#,
            r#"method="GET""#,
        ][..],
        &[r#"route="/api/v1/documents/{id}""#, r#"status="404""#][..],
        &[r#"route="/api/v1/auth/login""#, r#"status="200""#][..],
    ] {
        assert!(
            series(&text, "http_requests_total", labels),
            "{labels:?} in\n{text}"
        );
        assert!(
            series(&text, "http_request_duration_seconds_bucket", labels),
            "{labels:?} in\n{text}"
        );
    }
    assert!(
        series(&text, "db_pool_connections_in_use", &[r#"pool="api""#]),
        "{text}"
    );
    assert!(
        series(&text, "db_pool_waiting", &[r#"pool="api""#]),
        "{text}"
    );
    assert!(
        series(&text, "jobs_queue_depth", &[r#"queue="version_document""#]),
        "{text}"
    );
    // No id ever becomes a label.
    for id in ids
        .iter()
        .map(String::as_str)
        .chain([missing.to_string().as_str()])
    {
        assert!(!text.contains(id), "{id} in the metrics");
    }
    assert!(!text.contains(client.token.as_str()));

    // Liveness and readiness while everything is up.
    let (status, live) = client.get("/health/live").await;
    assert_eq!((status, live), (200, json!({"status": "ok"})));
    let (status, health) = client.get("/health").await;
    assert_eq!(status, 200, "{health:?}");

    // Redis goes away: readiness says which dependency, liveness still answers, and the
    // metrics show it.
    let errors_before = redis_errors(&metrics(&client, Some(METRICS_TOKEN)).await.1);
    redis.stop();
    let (status, health) = client.get("/health").await;
    assert_eq!(status, 503, "{health:?}");
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["redis"], "unavailable");
    assert_eq!(health["database"], "ok");
    let (status, live) = client.get("/health/live").await;
    assert_eq!((status, live), (200, json!({"status": "ok"})));
    let (status, text) = metrics(&client, Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200);
    assert!(
        series(
            &text,
            "health_dependency_up",
            &[r#"dependency="redis""#, "} 0"]
        ),
        "{text}"
    );
    assert!(
        series(
            &text,
            "health_dependency_up",
            &[r#"dependency="database""#, "} 1"]
        ),
        "{text}"
    );
    assert!(redis_errors(&text) > errors_before, "{text}");
    assert!(
        series(
            &text,
            "http_requests_total",
            &[r#"route="/health""#, r#"status="503""#]
        ),
        "{text}"
    );
    redis.resume();
}

/// Whether `text` has a line of the metric `name` holding every one of `labels`.
fn series(text: &str, name: &str, labels: &[&str]) -> bool {
    text.lines()
        .any(|l| l.starts_with(name) && labels.iter().all(|label| l.contains(label)))
}

/// The sum of `redis_errors_total` over its sources.
fn redis_errors(text: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with("redis_errors_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
