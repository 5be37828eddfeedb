//! The documents function as Lambda runs it: hand-written API Gateway events (HTTP API payload
//! v2 and REST API payload v1, under `tests/events/`) pass through `lambda_http`'s conversion into
//! the Router the binary serves, and the API Gateway response JSON that comes back is checked:
//! a base64 body on a REST API stage creates a document, the whole upload flow (ticket,
//! presigned PUT, complete, worker) runs over events, the download 302 keeps its presigned
//! `Location` with the Unicode file name, another theatre's ids are 404 problems and a Cyrillic
//! `q` searches. The last test runs the real `documents` binary against a local Lambda Runtime
//! API.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use documents::{DocumentsState, UploadLimits};
use serde_json::{Value, json};
use testkit::lambda_events::{base64, invoke, load_event, response_header, response_json};
use testkit::lambda_runtime::{Outcome, RuntimeApi};
use testkit::{TestApp, TestOptions, TestUser};

/// "Опись «Чайка».txt" as RFC 5987 encodes it in `filename*=UTF-8''…`.
const ENCODED_FILE_NAME: &str =
    "%D0%9E%D0%BF%D0%B8%D1%81%D1%8C%20%C2%AB%D0%A7%D0%B0%D0%B9%D0%BA%D0%B0%C2%BB.txt";

fn events() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events")
}

fn event(name: &str, vars: &[(&str, &str)]) -> Value {
    load_event(&events(), name, vars)
}

/// Auth plus documents on port 0 (auth issues the tokens), with a fresh database and S3 store.
async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        documents::router(DocumentsState::new(
            s.ctx.clone(),
            s.storage.clone(),
            UploadLimits::default(),
        ))
    })
    .await
}

/// The worker on `app`'s database, Redis prefix (queue) and bucket, as the API tests start it.
async fn start_worker(app: &TestApp) -> worker::WorkerHandle {
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    config.concurrency = 2;
    let deps = worker::Deps::new(config, app.storage.clone()).expect("worker deps");
    worker::start(deps).await.expect("worker starts")
}

/// The Router exactly as `main.rs` builds it.
fn documents_router(app: &TestApp) -> Router {
    let state = DocumentsState::new(
        app.ctx.clone(),
        app.storage.clone(),
        UploadLimits::default(),
    );
    shared::http::with_function_defaults(
        documents::router(state.clone()),
        &state.ctx,
        &state.ctx.config,
    )
}

fn status(response: &Value) -> u16 {
    response["statusCode"].as_u64().expect("statusCode") as u16
}

/// Asserts an RFC 9457 problem with `status` and returns its body.
fn assert_problem(response: &Value, expected: StatusCode) -> Value {
    assert_eq!(status(response), expected.as_u16(), "{response:#}");
    assert_eq!(
        response_header(response, "content-type"),
        Some("application/problem+json"),
        "{response:#}"
    );
    assert_eq!(response["isBase64Encoded"], false, "problem+json is text");
    let body = response_json(response);
    assert_eq!(body["status"], expected.as_u16());
    body
}

/// The id of the document category `code`, over plain HTTP.
async fn category(app: &TestApp, user: &TestUser, code: &str) -> String {
    let reply = app.get("/api/v1/documents/categories", &user.token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["code"] == code)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("category {code} exists"))
        .to_string()
}

/// The JSON of a new technical document titled `title`.
async fn new_document_body(app: &TestApp, user: &TestUser, title: &str) -> Value {
    json!({
        "title": title,
        "description": "Монтировочная часть, сцена «Чайки»",
        "category_id": category(app, user, "technical").await,
        "tags": ["сценография"],
    })
}

/// Creates a document over plain HTTP (the setup, not what is under test).
async fn document(app: &TestApp, user: &TestUser, title: &str) -> String {
    let body = new_document_body(app, user, title).await;
    let reply = app.post("/api/v1/documents", &user.token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    id_of(&reply.body)
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_string()
}

/// PUTs `bytes` to a presigned upload exactly as described (method, URL, signed headers).
async fn put_to(app: &TestApp, upload: &Value, bytes: &[u8]) {
    assert_eq!(upload["method"], "PUT", "{upload:#}");
    let mut put = app
        .http
        .put(upload["url"].as_str().expect("a presigned URL"));
    for (k, v) in upload["headers"].as_object().expect("headers") {
        // reqwest sets Content-Length from the body.
        if !k.eq_ignore_ascii_case("content-length") {
            put = put.header(k.as_str(), v.as_str().expect("a header value"));
        }
    }
    let stored = put.body(bytes.to_vec()).send().await.expect("S3 answers");
    assert!(stored.status().is_success(), "{}", stored.status());
}

/// Asks for an upload, PUTs the bytes and completes, all but the PUT over HTTP API events;
/// returns the version id.
async fn upload_over_events(
    app: &TestApp,
    user: &TestUser,
    document_id: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> String {
    let request =
        json!({ "filename": filename, "content_type": content_type, "size": bytes.len() });
    let ticket = invoke(
        documents_router(app),
        event(
            "http-v2-request-upload-base64.json",
            &[
                ("token", &user.token),
                ("document_id", document_id),
                ("body", &base64(request.to_string().as_bytes())),
            ],
        ),
    )
    .await;
    assert_eq!(status(&ticket), 201, "{ticket:#}");
    let ticket = response_json(&ticket);
    put_to(app, &ticket["upload"], bytes).await;
    let version_id = ticket["version_id"]
        .as_str()
        .expect("version id")
        .to_string();

    let completed = invoke(
        documents_router(app),
        event(
            "http-v2-complete-version.json",
            &[
                ("token", &user.token),
                ("document_id", document_id),
                ("version_id", &version_id),
            ],
        ),
    )
    .await;
    assert_eq!(status(&completed), 202, "{completed:#}");
    version_id
}

/// Polls the version over HTTP API events until the worker is done with it.
async fn wait_done(app: &TestApp, user: &TestUser, document_id: &str, version_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = invoke(
            documents_router(app),
            event(
                "http-v2-get-version.json",
                &[
                    ("token", &user.token),
                    ("document_id", document_id),
                    ("version_id", version_id),
                ],
            ),
        )
        .await;
        assert_eq!(status(&reply), 200, "{reply:#}");
        let version = response_json(&reply);
        if version["status"] == "ready" || version["status"] == "failed" {
            return version;
        }
        assert!(
            Instant::now() < deadline,
            "version still {} after 60 s",
            version["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base64_body_on_a_rest_api_stage_creates_a_document_with_its_russian_text() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let body = new_document_body(&app, &admin, "Технический райдер «Чайки»").await;

    let response = invoke(
        documents_router(&app),
        event(
            "rest-v1-create-document-base64-stage.json",
            &[
                ("token", &admin.token),
                ("body", &base64(body.to_string().as_bytes())),
            ],
        ),
    )
    .await;

    assert_eq!(status(&response), 201, "{response:#}");
    assert_eq!(response["isBase64Encoded"], false);
    assert_eq!(
        response["headers"],
        json!({}),
        "v1 answers use multiValueHeaders"
    );
    assert!(
        response["multiValueHeaders"]["etag"][0].as_str().is_some(),
        "{response:#}"
    );
    let created = response_json(&response);
    assert_eq!(created["title"], "Технический райдер «Чайки»");
    assert_eq!(created["description"], "Монтировочная часть, сцена «Чайки»");
    assert_eq!(created["tags"], json!(["сценография"]));

    // It is really stored: the plain API sees it, and the creation is audited.
    let stored = app
        .get(
            &format!("/api/v1/documents/{}", id_of(&created)),
            &admin.token,
        )
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{:?}", stored.body);
    assert_eq!(stored.body["title"], created["title"]);
    assert_eq!(
        app.audit_count(admin.theater_id, "document.create").await,
        1
    );

    // A viewer may not create: 403 through the same event.
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let forbidden = invoke(
        documents_router(&app),
        event(
            "rest-v1-create-document-base64-stage.json",
            &[
                ("token", &viewer.token),
                ("body", &base64(body.to_string().as_bytes())),
            ],
        ),
    )
    .await;
    assert_problem(&forbidden, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_over_events_downloads_through_a_302_with_the_unicode_file_name() {
    let app = spawn().await;
    let _worker = start_worker(&app).await;
    let admin = app.new_theater().await;
    let doc_id = document(&app, &admin, "Опись").await;
    let text = "Монтировочная опись: задник, падуги, кулисы.".as_bytes();

    let version_id = upload_over_events(
        &app,
        &admin,
        &doc_id,
        "Опись «Чайка».txt",
        "text/plain",
        text,
    )
    .await;
    let version = wait_done(&app, &admin, &doc_id, &version_id).await;
    assert_eq!(version["status"], "ready", "{version:#}");
    assert_eq!(version["number"], 1, "{version:#}");

    for fixture in [
        "http-v2-download-version.json",
        "rest-v1-download-version-stage.json",
    ] {
        let redirect = invoke(
            documents_router(&app),
            event(
                fixture,
                &[
                    ("token", &admin.token),
                    ("document_id", &doc_id),
                    ("version_id", &version_id),
                ],
            ),
        )
        .await;
        assert_eq!(status(&redirect), 302, "{fixture}: {redirect:#}");
        let location = response_header(&redirect, "location")
            .unwrap_or_else(|| panic!("{fixture}: a Location header: {redirect:#}"))
            .to_string();
        assert!(location.contains("X-Amz-Signature="), "{location}");
        assert!(
            location.contains("response-content-disposition="),
            "{location}"
        );

        let file = app.http.get(&location).send().await.expect("S3 answers");
        assert_eq!(file.status(), StatusCode::OK, "{fixture}");
        let disposition = file
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .expect("Content-Disposition")
            .to_string();
        assert!(
            disposition.contains(&format!("filename*=UTF-8''{ENCODED_FILE_NAME}")),
            "{fixture}: {disposition}"
        );
        assert_eq!(&file.bytes().await.expect("bytes")[..], text, "{fixture}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_theatres_document_id_in_a_path_parameter_is_a_404_in_both_payload_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let doc_id = document(&app, &admin, "Договор аренды").await;

    // The owner reads it through both payload versions …
    for fixture in [
        "http-v2-get-document.json",
        "rest-v1-get-document-stage.json",
    ] {
        let own = invoke(
            documents_router(&app),
            event(
                fixture,
                &[("token", &admin.token), ("document_id", &doc_id)],
            ),
        )
        .await;
        assert_eq!(status(&own), 200, "{fixture}: {own:#}");
        assert_eq!(response_json(&own)["title"], "Договор аренды");
        assert!(response_header(&own, "etag").is_some(), "{fixture}");
    }

    // … another theatre's admin gets 404 problems, on the document and on its versions.
    for fixture in [
        "http-v2-get-document.json",
        "rest-v1-get-document-stage.json",
    ] {
        let foreign = invoke(
            documents_router(&app),
            event(
                fixture,
                &[("token", &stranger.token), ("document_id", &doc_id)],
            ),
        )
        .await;
        assert_problem(&foreign, StatusCode::NOT_FOUND);
    }
    let request = json!({ "filename": "x.txt", "content_type": "text/plain", "size": 3 });
    let foreign_upload = invoke(
        documents_router(&app),
        event(
            "http-v2-request-upload-base64.json",
            &[
                ("token", &stranger.token),
                ("document_id", &doc_id),
                ("body", &base64(request.to_string().as_bytes())),
            ],
        ),
    )
    .await;
    assert_problem(&foreign_upload, StatusCode::NOT_FOUND);
    let nobody = uuid::Uuid::new_v4().to_string();
    for fixture in [
        "http-v2-download-version.json",
        "rest-v1-download-version-stage.json",
    ] {
        let foreign = invoke(
            documents_router(&app),
            event(
                fixture,
                &[
                    ("token", &stranger.token),
                    ("document_id", &doc_id),
                    ("version_id", &nobody),
                ],
            ),
        )
        .await;
        assert_problem(&foreign, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_russian_q_in_a_rest_api_query_string_finds_the_document_by_its_stem() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let sketches = document(&app, &admin, "Эскизы декораций второго акта").await;
    document(&app, &admin, "Договор аренды").await;

    // `q=декорация` arrives unencoded in queryStringParameters, as the REST API sends it.
    let found = invoke(
        documents_router(&app),
        event(
            "rest-v1-search-russian-stage.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    assert_eq!(status(&found), 200, "{found:#}");
    let page = response_json(&found);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page:#}");
    assert_eq!(id_of(&items[0]), sketches);
    assert!(
        items[0]["rank"].as_f64().is_some_and(|r| r > 0.0),
        "{page:#}"
    );
    let snippet = items[0]["snippet"].as_str().expect("a snippet");
    assert!(snippet.contains("<b>декораций</b>"), "{snippet}");

    // Another theatre searching for the same word finds nothing.
    let stranger = app.new_theater().await;
    let theirs = invoke(
        documents_router(&app),
        event(
            "rest-v1-search-russian-stage.json",
            &[("token", &stranger.token)],
        ),
    )
    .await;
    assert_eq!(status(&theirs), 200, "{theirs:#}");
    assert_eq!(response_json(&theirs)["items"], json!([]));
}

/// The function binary: `LAMBDA_BOOTSTRAP` (e.g. `target/lambda/documents/bootstrap` from
/// `infra/build-lambdas.sh`) or the debug binary cargo built for this test.
fn documents_binary() -> PathBuf {
    std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_documents")))
}

async fn answer(runtime: &RuntimeApi, event: Value, what: &str) -> Value {
    match runtime.invoke(event, Duration::from_secs(30)).await {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("{what} failed: {e:#}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_binary_answers_api_gateway_events_under_the_lambda_runtime_api() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let body = new_document_body(&app, &admin, "Технический райдер").await;
    let runtime = RuntimeApi::start().await;
    let binary = documents_binary();
    // The environment infra/template.yaml gives the function, with local stand-ins.
    let env = testkit::template::function_environment(&app, "documents");
    let mut function =
        runtime.spawn_function(&binary, "documents", &testkit::template::pairs(&env));

    // Cold start: process start → the first answer (init plus one request touching PostgreSQL
    // and Redis).
    let first = answer(
        &runtime,
        event("http-v2-get.json", &[("path", "/health")]),
        "health",
    )
    .await;
    let cold = function.started.elapsed();
    let init = runtime
        .first_poll()
        .map(|t| t.duration_since(function.started))
        .expect("the function polled for work");
    assert_eq!(status(&first), 200, "{first:#}");

    let warm_start = Instant::now();
    let again = answer(
        &runtime,
        event("rest-v1-get.json", &[("path", "/health")]),
        "second health",
    )
    .await;
    let warm = warm_start.elapsed();
    assert_eq!(status(&again), 200, "{again:#}");

    let created = answer(
        &runtime,
        event(
            "rest-v1-create-document-base64-stage.json",
            &[
                ("token", &admin.token),
                ("body", &base64(body.to_string().as_bytes())),
            ],
        ),
        "create",
    )
    .await;
    assert_eq!(status(&created), 201, "{created:#}");
    let created = response_json(&created);
    assert_eq!(created["title"], "Технический райдер");
    let id = id_of(&created);

    let own = answer(
        &runtime,
        event(
            "http-v2-get-document.json",
            &[("token", &admin.token), ("document_id", &id)],
        ),
        "get",
    )
    .await;
    assert_eq!(status(&own), 200, "{own:#}");
    assert_eq!(response_json(&own)["id"], id);

    let foreign = answer(
        &runtime,
        event(
            "http-v2-get-document.json",
            &[("token", &stranger.token), ("document_id", &id)],
        ),
        "foreign get",
    )
    .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);

    let missing = answer(
        &runtime,
        event("http-v2-get.json", &[("path", "/api/v1/no-such-thing")]),
        "404",
    )
    .await;
    assert_problem(&missing, StatusCode::NOT_FOUND);

    assert!(
        function.exit_status().is_none(),
        "the function keeps running between invocations"
    );
    let line = format!(
        "documents\t{}\t{}\t{}\t{}",
        binary.display(),
        init.as_millis(),
        cold.as_millis(),
        warm.as_micros() as f64 / 1000.0
    );
    eprintln!("cold start (function, binary, init ms, first response ms, warm ms): {line}");
    if let Some(path) = std::env::var_os("COLD_START_REPORT") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open COLD_START_REPORT");
        writeln!(file, "{line}").expect("write COLD_START_REPORT");
    }
}
