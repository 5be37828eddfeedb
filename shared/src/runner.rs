//! The dual runner: the same Router served by `lambda_http` on AWS Lambda, or on a local port.

use std::net::SocketAddr;

use axum::Router;

/// Serves `router` through the Lambda runtime when `AWS_LAMBDA_RUNTIME_API` is set, otherwise on
/// `BIND_ADDR` (default 127.0.0.1) and `PORT` (default `default_port`) until Ctrl-C or SIGTERM.
pub async fn run(router: Router, default_port: u16) -> anyhow::Result<()> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        // Checked before touching the runtime: lambda_http panics outside Lambda.
        return lambda_http::run(for_lambda(router))
            .await
            .map_err(|e| anyhow::anyhow!("lambda runtime failed: {e}"));
    }
    let port: u16 = crate::config::parsed_or("PORT", default_port)?;
    let host: std::net::IpAddr =
        crate::config::parsed_or("BIND_ADDR", std::net::IpAddr::from([127, 0, 0, 1]))?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {host}:{port}: {e}"))?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    serve(listener, router).await
}

/// The Router as the Lambda runtime serves it: the API Gateway stage prefix is removed from the
/// path before routing, so `/prod/api/v1/...` reaches the same routes as `/api/v1/...`.
///
/// `lambda_http` puts the stage in front of the path: a REST API (payload v1) sends the path
/// without it and `lambda_http` prepends it (unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is
/// set); an HTTP API (payload v2) on a named stage already sends it in `rawPath`. The `$default`
/// stage adds nothing.
///
/// Text responses that start with a UTF-8 byte order mark keep it (see [`keep_utf8_bom`]).
/// Metrics and spans are flushed after every invocation ([`after_invocation`]).
pub fn for_lambda(router: Router) -> Router {
    use tower::ServiceExt;
    Router::new()
        .fallback_service(router.map_request(strip_stage_prefix::<axum::body::Body>))
        .layer(axum::middleware::map_response(keep_utf8_bom))
        .layer(axum::middleware::map_response(after_invocation))
}

/// The end of a Lambda invocation: the sandbox may freeze before any timer fires, so this
/// invocation's metrics (one EMF document) and the spans ended so far leave now.
async fn after_invocation(response: axum::response::Response) -> axum::response::Response {
    crate::meters::flush_lambda();
    crate::telemetry::flush().await;
    response
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether `lambda_http` sends a response with these headers as text (decoded with its charset)
/// rather than base64: mirrors `lambda_http::response::ConvertBody` (1.x).
fn lambda_http_sends_as_text(headers: &http::HeaderMap) -> bool {
    use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
    if headers.contains_key(CONTENT_ENCODING) {
        return false;
    }
    let Some(content_type) = headers.get(CONTENT_TYPE) else {
        return true;
    };
    let content_type = content_type.to_str().unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    [
        "text",
        "application/json",
        "application/javascript",
        "application/xml",
        "application/yaml",
    ]
    .iter()
    .any(|p| content_type.starts_with(p))
        || ["+xml", "+yaml", "+json"].iter().any(|s| mime.ends_with(s))
        || headers
            .get("x-lambda-http-content-encoding")
            .is_some_and(|v| v == "text")
}

/// `lambda_http` turns a text body into a string with `encoding_rs`'s `decode`, which sniffs and
/// drops a leading byte order mark, so a CSV export asked for with `?bom=true` (for Excel) would
/// lose it on Lambda. One extra UTF-8 BOM in front is what that decoding removes; the body's own
/// BOM then reaches the client as U+FEFF, i.e. the same bytes `EF BB BF`.
pub async fn keep_utf8_bom(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !lambda_http_sends_as_text(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return crate::error::ApiError::Unexpected(anyhow::anyhow!(
                "reading the response body: {e}"
            ))
            .into_response();
        }
    };
    if !bytes.starts_with(UTF8_BOM) {
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let mut with_extra = Vec::with_capacity(bytes.len() + UTF8_BOM.len());
    with_extra.extend_from_slice(UTF8_BOM);
    with_extra.extend_from_slice(&bytes);
    let mut response =
        axum::response::Response::from_parts(parts, axum::body::Body::from(with_extra));
    response.headers_mut().remove(http::header::CONTENT_LENGTH);
    response
}

/// Removes the `/{stage}` prefix that `lambda_http` left on the path (see [`for_lambda`]).
pub fn strip_stage_prefix<B>(mut req: http::Request<B>) -> http::Request<B> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let (stage, prefixed) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            let stage = ctx.stage.clone();
            // Mirrors lambda_http: it prepends the stage unless told not to or already there.
            let prefixed = std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none()
                && stage
                    .as_deref()
                    .is_some_and(|s| !req.raw_http_path().starts_with(&format!("/{s}/")));
            (stage, prefixed)
        }
        Some(RequestContext::ApiGatewayV2(ctx)) => (ctx.stage.clone(), true),
        _ => (None, false),
    };
    let Some(stage) = stage.filter(|s| prefixed && !s.is_empty() && s != "$default") else {
        return req;
    };
    let prefix = format!("/{stage}");
    let path = req.uri().path();
    let rest = match path.strip_prefix(&prefix) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => return req,
    };
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    let mut parts = req.uri().clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        Err(_) => return req,
    }
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
    req
}

/// Serves on an already bound listener (tests bind port 0) with graceful shutdown.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::{keep_utf8_bom, strip_stage_prefix};

    async fn through_keep_utf8_bom(content_type: &str, body: &'static [u8]) -> Vec<u8> {
        let response = axum::response::Response::builder()
            .header(http::header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body))
            .expect("a response");
        let response = keep_utf8_bom(response).await;
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body")
            .to_vec()
    }

    #[tokio::test]
    async fn a_text_body_starting_with_a_bom_gets_the_one_lambda_http_removes() {
        assert_eq!(
            through_keep_utf8_bom("text/csv; charset=utf-8", b"\xEF\xBB\xBFa,b\r\n").await,
            b"\xEF\xBB\xBF\xEF\xBB\xBFa,b\r\n"
        );
        assert_eq!(
            through_keep_utf8_bom("text/csv; charset=utf-8", b"a,b\r\n").await,
            b"a,b\r\n"
        );
        // Binary bodies go base64 untouched by lambda_http, so they stay as they are.
        assert_eq!(
            through_keep_utf8_bom("application/pdf", b"\xEF\xBB\xBF%PDF").await,
            b"\xEF\xBB\xBF%PDF"
        );
    }

    fn v2(stage: &str, raw_path: &str) -> lambda_http::Request {
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": "a=1&a=2",
            "headers": {"host": "api.example.org"},
            "requestContext": {"accountId": "1", "apiId": "x", "domainName": "api.example.org",
                "http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
                "requestId": "r", "routeKey": "$default", "stage": stage, "time": "t", "timeEpoch": 0},
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("v2 event")
    }

    fn v1(stage: &str, path: &str) -> lambda_http::Request {
        let event = serde_json::json!({
            "resource": "/{proxy+}", "path": path, "httpMethod": "GET",
            "headers": {"Host": "api.example.org"}, "multiValueHeaders": {"Host": ["api.example.org"]},
            "queryStringParameters": null, "multiValueQueryStringParameters": null,
            "requestContext": {"accountId": "1", "apiId": "x", "httpMethod": "GET",
                "identity": {"sourceIp": "198.51.100.23"}, "path": format!("/{stage}{path}"),
                "requestId": "r", "resourceId": "x", "resourcePath": "/{proxy+}", "stage": stage},
            "body": null, "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("v1 event")
    }

    fn path_and_query(req: &lambda_http::Request) -> String {
        req.uri()
            .path_and_query()
            .map(|pq| pq.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_named_http_api_stage_is_removed_and_the_query_kept() {
        let req = strip_stage_prefix(v2("prod", "/prod/api/v1/auth/me"));
        assert_eq!(path_and_query(&req), "/api/v1/auth/me?a=1&a=2");
    }

    #[test]
    fn the_default_stage_and_look_alike_segments_stay() {
        let req = strip_stage_prefix(v2("$default", "/api/v1/users"));
        assert_eq!(req.uri().path(), "/api/v1/users");
        let req = strip_stage_prefix(v2("prod", "/production/api/v1/users"));
        assert_eq!(req.uri().path(), "/production/api/v1/users");
    }

    #[test]
    fn the_stage_lambda_http_puts_in_front_of_a_rest_api_path_is_removed() {
        let before = v1("prod", "/api/v1/auth/login");
        assert_eq!(before.uri().path(), "/prod/api/v1/auth/login");
        assert_eq!(
            strip_stage_prefix(before).uri().path(),
            "/api/v1/auth/login"
        );
    }

    #[test]
    fn a_rest_api_path_that_itself_starts_with_the_stage_name_is_left_alone() {
        // lambda_http does not prepend the stage when the path already starts with it.
        let req = strip_stage_prefix(v1("api", "/api/v1/auth/login"));
        assert_eq!(req.uri().path(), "/api/v1/auth/login");
    }
}
