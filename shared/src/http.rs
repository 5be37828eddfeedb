//! The layers every Router gets: request ids, JSON request tracing, problem+json for every error
//! (including the framework's own rejections), error logging, CORS, body limits, panics → 500.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::CommonConfig;
use crate::error::{ErrorReport, problem_response};

/// The header carrying the request id in and out.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Browsers must take every response (CSV exports, label PDFs, problem documents) as the
/// type it says it is.
async fn no_sniff(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Wraps a Router in the common layers. Call last, after all routes are added.
pub fn with_common_layers(router: Router, config: &CommonConfig) -> Router {
    let cors = cors_layer(&config.cors_origins);
    router
        .layer(CatchPanicLayer::custom(
            |panic: Box<dyn std::any::Any + Send>| {
                // A server fault: logged once, inside the request span (request and trace ids).
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".into());
                tracing::error!(panic = %message, "request handler panicked");
                problem_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    Some(
                        "an unexpected error occurred; quote the request id when reporting it"
                            .into(),
                    ),
                    None,
                )
            },
        ))
        .layer(axum::extract::DefaultBodyLimit::max(config.body_limit))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(cors)
        .layer(middleware::map_response(no_sniff))
        // Outside the limit and panic layers, so their bare responses become problem+json too.
        .layer(middleware::from_fn(problem_details))
        .layer(middleware::from_fn(scope_request_id))
        // Inside the request span: counts and times requests by route template.
        .layer(middleware::from_fn(crate::meters::measure))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    // `route` and the OpenTelemetry name are filled in once routing matched
                    // (`meters::record_route`); `trace_id` puts the trace on every log line.
                    let span = tracing::info_span!(
                        "request",
                        "otel.name" = %req.method(),
                        "otel.kind" = "server",
                        "otel.status_code" = tracing::field::Empty,
                        method = %req.method(),
                        path = %req.uri().path(),
                        route = tracing::field::Empty,
                        request_id = %request_id,
                        trace_id = tracing::field::Empty,
                        theater_id = tracing::field::Empty,
                        user_id = tracing::field::Empty,
                    );
                    crate::telemetry::continue_remote_trace(&span, req.headers());
                    if let Some(trace_id) = crate::telemetry::trace_id_of(&span) {
                        span.record("trace_id", trace_id);
                    }
                    span
                })
                .on_response(|res: &Response, latency: Duration, span: &tracing::Span| {
                    if res.status().is_server_error() {
                        span.record("otel.status_code", "ERROR");
                    }
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1000.0,
                        "served"
                    );
                })
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            REQUEST_ID_HEADER,
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::LOCATION,
            REQUEST_ID_HEADER,
        ])
        .max_age(Duration::from_secs(600))
}

/// Makes the request id visible to error rendering for the duration of the request.
async fn scope_request_id(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// Logs 5xx causes, and turns any error response that is not yet problem+json (the framework's
/// own rejections: unknown route, wrong method, bad path parameter, body too large) into one.
async fn problem_details(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if let Some(ErrorReport(error)) = response.extensions().get::<ErrorReport>() {
        tracing::error!(error = ?error, "request failed");
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let detail = if parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"))
    {
        axum::body::to_bytes(body, 2048)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .filter(|s| !s.is_empty())
    } else {
        None
    };
    let kind = match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    };
    let detail = if status.is_server_error() {
        None
    } else {
        detail
    };
    let mut fixed = problem_response(status, kind, detail, None);
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            fixed.headers_mut().insert(name, v.clone());
        }
    }
    fixed
}

/// Whether a handler already chose the error body: problem+json, or a documented JSON body such
/// as `/health`'s degraded report (503 with `Health`).
fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/problem+json") || ct.starts_with("application/json")
        })
}

/// The fallback for unknown routes: a problem+json 404.
pub async fn not_found() -> Response {
    crate::ApiError::NotFound.into_response()
}

/// An empty 204.
pub fn no_content() -> Response {
    (StatusCode::NO_CONTENT, Body::empty()).into_response()
}

/// `200` with the resource and its `ETag`.
pub fn with_etag(version: i32, body: impl serde::Serialize) -> Response {
    (etag(version), axum::Json(body)).into_response()
}

/// `201 Created` with the new resource and its `ETag`.
pub fn created(version: i32, body: impl serde::Serialize) -> Response {
    (StatusCode::CREATED, etag(version), axum::Json(body)).into_response()
}

/// An `ETag` header value for a row version.
pub fn etag(version: i32) -> [(HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// What a function binary serves: its routes, `GET /health`, a problem+json 404 for anything
/// else, and the common layers.
pub fn with_function_defaults(
    routes: Router,
    ctx: &crate::AppContext,
    config: &CommonConfig,
) -> Router {
    let health = Router::new()
        .route("/health", axum::routing::get(crate::health::health))
        .route("/health/live", axum::routing::get(crate::health::live))
        .with_state(ctx.clone());
    // Every route names the request span and the metrics after its template.
    let app = routes
        .merge(health)
        .route_layer(middleware::from_fn(crate::meters::record_route))
        .fallback(not_found);
    // `/items/` is `/items`: trailing slashes are trimmed before routing.
    let normalized = Router::new()
        .fallback_service(tower_http::normalize_path::NormalizePath::trim_trailing_slash(app));
    with_common_layers(normalized, config)
}
