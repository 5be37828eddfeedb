//! What the gateway tests that run a whole gateway against private servers share: its
//! configuration, serving its router on a free port, a signed-in client, and a document
//! version uploaded through the presigned flow and waited on until the worker verified it.
// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

use std::time::Duration;

use gateway::GatewayConfig;
use serde_json::{Value, json};

/// A gateway with its in-process worker and the demo theatre, on a free port, with a Redis
/// prefix of its own, no `/metrics`; tests change what they need with `..config(…)`.
pub fn config(
    database_url: String,
    redis_url: String,
    data_dir: &std::path::Path,
) -> GatewayConfig {
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

/// Serves `router` on a free port; its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::runner::serve(listener, router));
    url
}

/// A client signed in at `url` as `login` (email, password).
pub async fn signed_in(url: String, login: &(String, String)) -> Client {
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

pub struct Client {
    pub url: String,
    pub http: reqwest::Client,
    pub token: String,
}

/// A document version made by [`Client::upload`].
pub struct Uploaded {
    pub doc: String,
    pub version: String,
    /// The presigned URL the bytes were put to.
    pub url: String,
}

impl Client {
    /// A request with the bearer token (and `traceparent` when given): status and JSON body
    /// (`null` when the body is not JSON).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        traceparent: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(20));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    /// A new document with one version uploaded to its presigned URL and completed; the
    /// version's creation and completion carry `traceparent` when given.
    pub async fn upload(&self, text: &str, traceparent: Option<&str>) -> Uploaded {
        let (_, categories) = self.get("/api/v1/documents/categories").await;
        let category = categories["items"]
            .as_array()
            .expect("categories")
            .iter()
            .find(|c| c["code"] == "technical")
            .expect("technical category")["id"]
            .clone();
        let (status, doc) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/documents",
                Some(json!({"title": "Акт", "category_id": category})),
                None,
            )
            .await;
        assert_eq!(status, 201, "{doc:?}");
        let doc = doc["id"].as_str().unwrap().to_string();
        let bytes = text.as_bytes();
        let (status, ticket) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/documents/{doc}/versions"),
                Some(json!({"filename": "акт.txt", "content_type": "text/plain", "size": bytes.len()})),
                traceparent,
            )
            .await;
        assert_eq!(status, 201, "{ticket:?}");
        let upload = &ticket["upload"];
        let url = upload["url"].as_str().unwrap().to_string();
        let mut put = self.http.put(&url);
        for (k, v) in upload["headers"].as_object().unwrap() {
            if !k.eq_ignore_ascii_case("content-length") {
                put = put.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let put = put.body(bytes.to_vec()).send().await.unwrap().status();
        assert!(put.is_success(), "{put}");
        let version = ticket["version_id"].as_str().unwrap().to_string();
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/documents/{doc}/versions/{version}/complete"),
                Some(json!({})),
                traceparent,
            )
            .await;
        assert_eq!(status, 202, "{body:?}");
        Uploaded { doc, version, url }
    }

    /// Waits until the version is `ready` (failing at once if it failed, or after `limit`,
    /// which only guards against a hang); how long that took.
    pub async fn wait_ready(&self, uploaded: &Uploaded, limit: Duration) -> Duration {
        let path = format!(
            "/api/v1/documents/{}/versions/{}",
            uploaded.doc, uploaded.version
        );
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
