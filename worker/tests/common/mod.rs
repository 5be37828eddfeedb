//! Fixtures shared by the worker's test binaries: the documents API on the real stack, and
//! short ways to upload a version and wait for the worker's verdict.

#![allow(dead_code)] // each test binary uses its own part

use std::process::Command;
use std::time::{Duration, Instant};

use documents::{DocumentsState, UploadLimits};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestOptions, TestUser};

/// The documents API on port 0 with a fresh database and S3 store.
pub async fn spawn_app() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        documents::router(DocumentsState::new(
            s.ctx.clone(),
            s.storage.clone(),
            UploadLimits::default(),
        ))
    })
    .await
}

/// A new document (in the technical category).
pub async fn document(app: &TestApp, admin: &TestUser) -> String {
    let categories = app.get("/api/v1/documents/categories", &admin.token).await;
    let technical = categories.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "technical")
        .unwrap()["id"]
        .clone();
    let reply = app
        .post(
            "/api/v1/documents",
            &admin.token,
            json!({"title": "Паспорт спектакля", "category_id": technical}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

/// Request an upload, PUT the bytes to the presigned URL, complete: returns the version id.
pub async fn upload(
    app: &TestApp,
    admin: &TestUser,
    doc: &str,
    name: &str,
    ct: &str,
    bytes: &[u8],
) -> String {
    let ticket = app
        .post(
            &format!("/api/v1/documents/{doc}/versions"),
            &admin.token,
            json!({"filename": name, "content_type": ct, "size": bytes.len()}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let upload = &ticket.body["upload"];
    let mut put = app.http.put(upload["url"].as_str().unwrap());
    for (k, v) in upload["headers"].as_object().unwrap() {
        if !k.eq_ignore_ascii_case("content-length") {
            put = put.header(k.as_str(), v.as_str().unwrap());
        }
    }
    let status = put.body(bytes.to_vec()).send().await.unwrap().status();
    assert!(status.is_success(), "{status}");
    let version = ticket.body["version_id"].as_str().unwrap().to_string();
    let done = app
        .post(
            &format!("/api/v1/documents/{doc}/versions/{version}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::ACCEPTED);
    version
}

/// Polls the version until it is `ready` or `failed`.
pub async fn wait_done(
    app: &TestApp,
    admin: &TestUser,
    doc: &str,
    version: &str,
    limit: Duration,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let v = app
            .get(
                &format!("/api/v1/documents/{doc}/versions/{version}"),
                &admin.token,
            )
            .await
            .body;
        if v["status"] == "ready" || v["status"] == "failed" {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after {limit:?}",
            v["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Gives `cmd` (a worker binary) the database, Redis, bucket and credentials of `app`.
pub fn configure_for(cmd: &mut Command, app: &TestApp) {
    cmd.env("DATABASE_URL", &app.database_url)
        .env("REDIS_URL", testkit::redis_url())
        .env("REDIS_PREFIX", &app.redis_prefix)
        .env("S3_ENDPOINT", &app.s3.endpoint)
        .env("S3_BUCKET", app.storage.bucket())
        .env("AWS_ACCESS_KEY_ID", shared::embedded_s3::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", shared::embedded_s3::SECRET_KEY)
        .env("AWS_REGION", "us-east-1");
}
