//! The web front end (`web/dist`, built by `scripts/start`) served at `/`: the API, `/docs`,
//! `/health` and `/metrics` keep their routes; any other path is a file of the build or, for the
//! front end's own routes (`/inventory/…`), its `index.html`. Hashed assets are cached for a
//! year, the rest revalidated; `.br`/`.gz` siblings written by the build are sent to clients
//! that accept them.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Where the built front end is: `WEB_DIST`, else the repository's `web/dist`.
pub fn dist_dir() -> PathBuf {
    shared::config::optional("WEB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist"))
}

/// Whether a path belongs to the server, not to the front end.
pub fn is_server_path(path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    under("/api") || under("/docs") || under("/health") || under("/metrics")
}

/// `app` with the front end in `dist` served around it; `app` alone when nothing is built.
pub fn with_front_end(app: Router, dist: &Path) -> Router {
    let index = dist.join("index.html");
    if !index.is_file() {
        tracing::info!(dist = %dist.display(), "no built front end: serving the API only");
        return app;
    }
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    let site = Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_response(cache_headers));
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let (app, site) = (app.clone(), site.clone());
        async move {
            match is_server_path(req.uri().path()) {
                true => app.oneshot(req).await,
                false => site.oneshot(req).await,
            }
        }
    }))
}

/// Hashed build output (`/assets/index-3f2a….js`) never changes under its name; everything
/// else (index.html) is revalidated so a new build is seen at once.
async fn cache_headers(uri: axum::http::Uri, mut response: Response) -> Response {
    let immutable = uri.path().starts_with("/assets/") && response.status().is_success();
    let value = match immutable {
        true => "public, max-age=31536000, immutable",
        false => "no-cache",
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::{is_server_path, with_front_end};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    fn built_front_end() -> tempfile::TempDir {
        let dist = tempfile::tempdir().unwrap();
        std::fs::create_dir(dist.path().join("assets")).unwrap();
        std::fs::write(dist.path().join("index.html"), "<div id=root></div>").unwrap();
        std::fs::write(dist.path().join("assets/index-abc123.js"), "console.log(1)").unwrap();
        std::fs::write(
            dist.path().join("assets/index-abc123.js.br"),
            "brotli bytes",
        )
        .unwrap();
        dist
    }

    fn api() -> Router {
        Router::new().route("/api/v1/ping", axum::routing::get(|| async { "pong" }))
    }

    async fn get(
        app: &Router,
        path: &str,
        accept: Option<&str>,
    ) -> (StatusCode, header::HeaderMap, String) {
        let mut req = Request::get(path);
        if let Some(a) = accept {
            req = req.header(header::ACCEPT_ENCODING, a);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into(),
        )
    }

    #[tokio::test]
    async fn client_routes_fall_back_to_the_index_and_the_api_keeps_its_404() {
        let dist = built_front_end();
        let app = with_front_end(api(), dist.path());
        let (status, headers, body) = get(&app, "/inventory/items/42", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "<div id=root></div>");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(get(&app, "/api/v1/ping", None).await.2, "pong");
        // An unknown API path is the API's 404, never the front end's index.
        let (status, _, body) = get(&app, "/api/v1/nothing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("root"));
    }

    #[tokio::test]
    async fn hashed_assets_are_cached_for_a_year_and_sent_precompressed() {
        let dist = built_front_end();
        let app = with_front_end(api(), dist.path());
        let (status, headers, body) = get(&app, "/assets/index-abc123.js", Some("br, gzip")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(body, "brotli bytes");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let (_, headers, body) = get(&app, "/assets/index-abc123.js", None).await;
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body, "console.log(1)");
    }

    #[tokio::test]
    async fn without_a_build_only_the_api_is_served() {
        let empty = tempfile::tempdir().unwrap();
        let app = with_front_end(api(), empty.path());
        assert_eq!(get(&app, "/", None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/api/v1/ping", None).await.2, "pong");
    }

    #[test]
    fn the_api_docs_health_and_metrics_stay_with_the_server() {
        for p in [
            "/metrics",
            "/api",
            "/api/v1/auth/me",
            "/api/openapi.json",
            "/docs",
            "/docs/",
            "/health",
            "/health/live",
        ] {
            assert!(is_server_path(p), "{p}");
        }
    }

    #[test]
    fn the_front_ends_routes_and_files_go_to_the_front_end() {
        for p in [
            "/",
            "/inventory/items/1",
            "/assets/index-abc.js",
            "/apiary",
            "/documents",
        ] {
            assert!(!is_server_path(p), "{p}");
        }
    }
}
