//! Fixtures: the app with the documents Router and an in-process worker, uploads through the
//! presigned URL exactly as a client does, and waiting for the worker.

use std::time::{Duration, Instant};

use documents::{DocumentsState, UploadLimits};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestOptions, TestUser};
use uuid::Uuid;

/// The app plus its worker.
pub struct DocApp {
    pub app: TestApp,
    /// Runs for the life of the test.
    pub _worker: worker::WorkerHandle,
}

impl std::ops::Deref for DocApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Serves auth + documents, and starts the worker on this test's queue.
pub async fn spawn() -> DocApp {
    let app = testkit::spawn_app_with(TestOptions::default(), |s| {
        documents::router(DocumentsState::new(
            s.ctx.clone(),
            s.storage.clone(),
            UploadLimits::default(),
        ))
    })
    .await;
    let worker = start_worker(&app).await;
    DocApp {
        app,
        _worker: worker,
    }
}

/// A worker for `app`'s database, Redis prefix and bucket.
pub async fn start_worker(app: &TestApp) -> worker::WorkerHandle {
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    config.concurrency = 4;
    let deps = worker::Deps::new(config, app.storage.clone()).expect("worker deps");
    worker::start(deps).await.expect("worker starts")
}

/// The id of the category `code` in the caller's theatre.
pub async fn category(app: &TestApp, user: &TestUser, code: &str) -> Uuid {
    let reply = app.get("/api/v1/documents/categories", &user.token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["code"] == code)
        .and_then(|c| c["id"].as_str())
        .expect("category exists")
        .parse()
        .expect("uuid")
}

/// Creates a document and returns its body.
pub async fn create_document(app: &TestApp, user: &TestUser, extra: Value) -> Value {
    let mut body = json!({
        "title": "Технический райдер",
        "category_id": category(app, user, "technical").await,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let reply = app.post("/api/v1/documents", &user.token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Asks for an upload and PUTs the bytes to the presigned URL with exactly the headers given.
/// Returns the version id.
pub async fn upload(
    app: &TestApp,
    user: &TestUser,
    document_id: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> String {
    let ticket = app
        .post(
            &format!("/api/v1/documents/{document_id}/versions"),
            &user.token,
            json!({ "filename": filename, "content_type": content_type, "size": bytes.len() }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let status = put_to(app, &ticket.body["upload"], bytes.to_vec()).await;
    assert!(status.is_success(), "PUT to the presigned URL: {status}");
    ticket.body["version_id"]
        .as_str()
        .expect("version id")
        .to_string()
}

/// Sends `bytes` as the presigned request describes; returns the store's status.
pub async fn put_to(app: &TestApp, upload: &Value, bytes: Vec<u8>) -> StatusCode {
    assert_eq!(upload["method"], "PUT");
    let mut request = app.http.put(upload["url"].as_str().expect("url"));
    for (k, v) in upload["headers"].as_object().expect("headers") {
        // reqwest sets Content-Length from the body; a declared length that disagrees with
        // the body would only make the connection hang.
        if k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        request = request.header(k.as_str(), v.as_str().expect("header value"));
    }
    request.body(bytes).send().await.expect("PUT sent").status()
}

/// `complete` → 202.
pub async fn complete(app: &TestApp, user: &TestUser, document_id: &str, version_id: &str) {
    let reply = app
        .post(
            &format!("/api/v1/documents/{document_id}/versions/{version_id}/complete"),
            &user.token,
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
}

/// Polls the version until the worker is done with it (ready or failed).
pub async fn wait_done(
    app: &TestApp,
    user: &TestUser,
    document_id: &str,
    version_id: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = app
            .get(
                &format!("/api/v1/documents/{document_id}/versions/{version_id}"),
                &user.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let status = reply.body["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "ready" || status == "failed" {
            return reply.body;
        }
        assert!(
            Instant::now() < deadline,
            "version still {status} after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Upload, complete and wait: the whole client flow.
pub async fn upload_ready(
    app: &TestApp,
    user: &TestUser,
    document_id: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Value {
    let version_id = upload(app, user, document_id, filename, content_type, bytes).await;
    complete(app, user, document_id, &version_id).await;
    wait_done(app, user, document_id, &version_id).await
}

/// A one-page PDF whose text is `text` (ASCII), with a correct cross-reference table.
pub fn pdf_with_text(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 50 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The ids of the documents in a list reply.
pub fn ids(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect()
}
