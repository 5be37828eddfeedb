//! Fault tests (issue 8): the gateway with its in-process worker against a private Redis and a
//! private PostgreSQL, which are stopped and started mid-run. The shared servers are never
//! touched.

use std::time::Duration;

use gateway::{GatewayConfig, build};
use serde_json::{Value, json};
use testkit::faults::{PrivatePostgres, PrivateRedis};

fn config(database_url: String, redis_url: String, data_dir: &std::path::Path) -> GatewayConfig {
    GatewayConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url,
        redis_url,
        redis_prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
        data_dir: data_dir.to_path_buf(),
        s3_endpoint: None,
        s3_bucket: "theatre".into(),
        embedded_s3_port: 0,
        cors_origins: vec![],
        limits: auth::RateLimits::default(),
        create_demo: true,
        run_worker: true,
        metrics_token: None,
    }
}

struct Client {
    url: String,
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(20));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// A new document with one uploaded, completed version: (document id, version id).
    async fn upload(&self, text: &str) -> (String, String) {
        let (_, categories) = self.get("/api/v1/documents/categories").await;
        let category = categories["items"]
            .as_array()
            .expect("categories")
            .iter()
            .find(|c| c["code"] == "technical")
            .expect("technical category")["id"]
            .clone();
        let (status, doc) = self
            .post(
                "/api/v1/documents",
                json!({"title": "Акт", "category_id": category}),
            )
            .await;
        assert_eq!(status, 201, "{doc:?}");
        let doc = doc["id"].as_str().unwrap().to_string();
        let bytes = text.as_bytes();
        let (status, ticket) = self
            .post(
                &format!("/api/v1/documents/{doc}/versions"),
                json!({"filename": "акт.txt", "content_type": "text/plain", "size": bytes.len()}),
            )
            .await;
        assert_eq!(status, 201, "{ticket:?}");
        let upload = &ticket["upload"];
        let mut put = self.http.put(upload["url"].as_str().unwrap());
        for (k, v) in upload["headers"].as_object().unwrap() {
            if !k.eq_ignore_ascii_case("content-length") {
                put = put.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let put = put.body(bytes.to_vec()).send().await.unwrap().status();
        assert!(put.is_success(), "{put}");
        let version = ticket["version_id"].as_str().unwrap().to_string();
        let (status, body) = self
            .post(
                &format!("/api/v1/documents/{doc}/versions/{version}/complete"),
                json!({}),
            )
            .await;
        assert_eq!(status, 202, "{body:?}");
        (doc, version)
    }

    /// Waits until the version is `ready` (failing at once if it failed); how long that took.
    async fn wait_ready(&self, doc: &str, version: &str, limit: Duration) -> Duration {
        let path = format!("/api/v1/documents/{doc}/versions/{version}");
        let ((), took) = testkit::eventually(
            "the version is ready",
            limit,
            Duration::from_millis(100),
            || async {
                let (_, v) = self.get(&path).await;
                assert_ne!(v["status"], "failed", "{v:?}");
                if v["status"] == "ready" {
                    Ok(())
                } else {
                    Err(v["status"].to_string())
                }
            },
        )
        .await;
        took
    }
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::runner::serve(listener, router));
    url
}

async fn signed_in(url: String, login: &(String, String)) -> Client {
    let http = reqwest::Client::new();
    let reply: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": login.0, "password": login.1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Client {
        url,
        http,
        token: reply["access_token"]
            .as_str()
            .expect("signed in")
            .to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_restart_answers_503_meanwhile_and_the_worker_resumes() {
    let mut redis = PrivateRedis::start();
    let database = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let gw = build(config(
        testkit::database_url(&database),
        redis.url(),
        data.path(),
    ))
    .await
    .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;

    let (doc, version) = client.upload("до сбоя").await;
    client
        .wait_ready(&doc, &version, Duration::from_secs(20))
        .await;
    let (status, health) = client.get("/health").await;
    assert_eq!(status, 200, "{health:?}");
    assert_eq!(health["worker"], "ok");

    redis.stop();
    // While Redis is down: 503 with Retry-After where Redis is needed, never a 500.
    for path in ["/api/v1/auth/me", "/api/v1/documents", "/health"] {
        let (status, body) = client.get(path).await;
        assert_eq!(status, 503, "{path}: {body:?}");
    }
    let login_reply = client
        .http
        .post(format!("{}/api/v1/auth/login", client.url))
        .json(&json!({"email": login.0, "password": login.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(login_reply.status(), 503);
    assert!(login_reply.headers().get("retry-after").is_some());
    // The worker notices and says so.
    testkit::eventually(
        "the worker says it is restarting",
        Duration::from_secs(15),
        Duration::from_millis(100),
        || async {
            let (_, health) = client.get("/health").await;
            if health["worker"] == "restarting" {
                Ok(())
            } else {
                Err(format!("{health:?}"))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Redis comes back empty, as it does on these machines.
    redis.resume();
    let ((), recovered) = testkit::eventually(
        "the worker consumes again",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || async {
            let (status, health) = client.get("/health").await;
            if status == 200 && health["worker"] == "ok" {
                assert!(
                    health["worker_restarts"].as_u64().unwrap() >= 1,
                    "{health:?}"
                );
                Ok(())
            } else {
                Err(format!("{health:?}"))
            }
        },
    )
    .await;
    // The token still works (revocation state rebuilt from PostgreSQL) and a new version is
    // processed within seconds: the first enqueue after recovery does not fail.
    let (status, _) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, 200);
    let (doc, version) = client.upload("после сбоя").await;
    let took = client
        .wait_ready(&doc, &version, Duration::from_secs(10))
        .await;
    eprintln!(
        "worker recovery after the Redis restart: {} ms to /health ok; new version ready in {} ms",
        recovered.as_millis(),
        took.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_restart_answers_503_meanwhile_and_the_pool_recovers() {
    let mut pg = PrivatePostgres::start();
    let redis = PrivateRedis::start();
    let data = tempfile::tempdir().unwrap();
    let gw = build(config(pg.url("theatre"), redis.url(), data.path()))
        .await
        .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;
    let (status, _) = client.get("/api/v1/documents").await;
    assert_eq!(status, 200);

    pg.stop();
    for path in ["/api/v1/documents", "/api/v1/auth/me", "/health"] {
        let (status, body) = client.get(path).await;
        assert_eq!(status, 503, "{path}: {body:?}");
    }

    pg.resume();
    let ((), back) = testkit::eventually(
        "the pool serves again",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || async {
            let (status, body) = client.get("/api/v1/documents").await;
            assert!(status == 200 || status == 503, "{status}: {body:?}");
            if status == 200 {
                Ok(())
            } else {
                Err(format!("{body:?}"))
            }
        },
    )
    .await;
    eprintln!(
        "pool recovered {} ms after PostgreSQL was back",
        back.as_millis()
    );
    let (doc, version) = client.upload("после перезапуска базы").await;
    client
        .wait_ready(&doc, &version, Duration::from_secs(20))
        .await;
}
