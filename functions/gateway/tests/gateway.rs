//! The local all-in-one: first start creates a demo theatre once, the API docs are served, and
//! missing dependencies are reported in one clear line.

use gateway::{GatewayConfig, build};
use serde_json::Value;

mod common;

fn config(database_url: String, data_dir: &std::path::Path) -> GatewayConfig {
    GatewayConfig {
        run_worker: false,
        ..common::config(database_url, testkit::redis_url(), data_dir)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_creates_the_database_and_a_demo_theatre_that_can_sign_in() {
    // A database that does not exist yet: the gateway creates it.
    let name = format!(
        "theatre_test_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    let data = tempfile::tempdir().unwrap();
    let first = build(config(testkit::database_url(&name), data.path()))
        .await
        .unwrap();
    let (email, password) = first
        .demo_login
        .clone()
        .expect("demo login printed on first start");
    let saved = std::fs::read_to_string(data.path().join("demo-login.txt")).unwrap();
    assert!(saved.contains(&password));
    assert!(data.path().join("keys/jwt-ed25519.pem").exists());

    let url = common::serve(first.router).await;
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["theater"]["name"], "Демо-театр");
    let token = login["access_token"].as_str().unwrap().to_string();

    // A restart keeps the theatre, creates no second one and reuses the key: old tokens work.
    let second = build(config(testkit::database_url(&name), data.path()))
        .await
        .unwrap();
    assert!(second.demo_login.is_none());
    let url = common::serve(second.router).await;
    let me = http
        .get(format!("{url}/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_and_the_api_reference_are_served() {
    let name = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(testkit::database_url(&name), data.path());
    cfg.create_demo = false;
    let gw = build(cfg).await.unwrap();
    let url = common::serve(gw.router).await;
    let doc: Value = reqwest::get(format!("{url}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/users/{id}",
        "/api/v1/roles",
        "/api/v1/audit",
        "/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The reference UI is served whole by the gateway: no asset comes from elsewhere.
    let docs = reqwest::get(format!("{url}/docs/")).await.unwrap();
    assert_eq!(docs.status(), 200);
    let page = docs.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    for attr in ["src=\"", "href=\""] {
        for asset in page.split(attr).skip(1) {
            let asset = &asset[..asset.find('"').unwrap()];
            assert!(!asset.contains("://"), "{asset} is fetched from elsewhere");
            let fetched = reqwest::get(format!("{url}/docs/{}", asset.trim_start_matches("./")))
                .await
                .unwrap();
            assert_eq!(fetched.status(), 200, "{asset}");
            assert!(fetched.bytes().await.unwrap().len() > 100, "{asset}");
        }
    }
    let init = reqwest::get(format!("{url}/docs/swagger-initializer.js"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_dependencies_fail_start_up_with_one_clear_line() {
    let data = tempfile::tempdir().unwrap();
    let mut no_redis = config(testkit::database_url("postgres"), data.path());
    no_redis.redis_url = "redis://127.0.0.1:1".into();
    let err = build(no_redis)
        .await
        .err()
        .expect("start-up fails")
        .to_string();
    assert!(
        err.starts_with("Redis is not reachable at redis://127.0.0.1:1"),
        "{err}"
    );
    assert!(err.contains("redis-server") && !err.contains('\n'), "{err}");

    let no_pg = config(
        "postgres://postgres@127.0.0.1:1/theatre".into(),
        data.path(),
    );
    let err = build(no_pg)
        .await
        .err()
        .expect("start-up fails")
        .to_string();
    assert!(
        err.starts_with("PostgreSQL is not reachable at postgres://postgres@127.0.0.1:1/theatre"),
        "{err}"
    );
    assert!(
        err.contains("pg_ctlcluster") && !err.contains('\n'),
        "{err}"
    );
}

/// The web front end PUTs files straight to presigned URLs of the embedded store from another
/// origin (the gateway's port): the browser's CORS preflight must be answered, and the answers
/// must let the page read them.
#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_store_lets_a_browser_upload_from_the_front_ends_origin() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = shared::embedded_s3::EmbeddedS3::start(dir.path(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/theatre/documents/x", s3.endpoint),
        )
        .header("Origin", "http://127.0.0.1:3000")
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["access-control-allow-methods"], "PUT");
    assert_eq!(h["access-control-allow-headers"], "content-type");

    // An ordinary (here: refused, unsigned) answer carries the origin header too, so the page
    // can read the status instead of seeing a network error.
    let refused = client
        .put(format!("{}/theatre/documents/x", s3.endpoint))
        .header("Origin", "http://127.0.0.1:3000")
        .body("bytes")
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error());
    assert_eq!(refused.headers()["access-control-allow-origin"], "*");

    // A plain OPTIONS without a preflight's headers is still the store's own business.
    let plain = client
        .request(reqwest::Method::OPTIONS, format!("{}/theatre", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert_ne!(plain.status(), 204);
}
