//! The inventory function as Lambda runs it: hand-written API Gateway events (HTTP API payload
//! v2 and REST API payload v1, under `tests/events/`) pass through `lambda_http`'s conversion into
//! the Router the binary serves, and the API Gateway response JSON that comes back is checked:
//! the CSV export stays UTF-8 text, the label sheet PDF and the QR PNG come back base64, base64
//! request bodies create items and photos, repeated query parameters and stage prefixes arrive as
//! API Gateway sends them. The last test runs the real `inventory` binary against a local Lambda
//! Runtime API (where the CSV export is stored in the bucket and answered with a 303).
//!
//! Photo downloads are presigned URLs inside the JSON, not 302s; the test of photos checks that
//! such a URL crosses the conversion and serves the stored bytes. The one redirect is the CSV
//! export under the Runtime API (303 to the stored file).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use testkit::lambda_events::{
    base64, invoke, load_event, response_body, response_header, response_json,
};
use testkit::lambda_runtime::{Outcome, RuntimeApi};
use testkit::{TestApp, TestOptions, TestUser};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn events() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events")
}

fn event(name: &str, vars: &[(&str, &str)]) -> Value {
    load_event(&events(), name, vars)
}

/// Auth plus inventory on port 0 (auth issues the tokens), with a fresh database and S3 store.
async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        })
    })
    .await
}

/// The Router exactly as `main.rs` builds it.
fn inventory_router(app: &TestApp) -> Router {
    let state = inventory::InventoryState {
        ctx: app.ctx.clone(),
        storage: app.storage.clone(),
    };
    shared::http::with_function_defaults(
        inventory::router(state.clone()),
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
    assert_eq!(
        response["isBase64Encoded"], false,
        "problem+json is text, not base64"
    );
    let body = response_json(response);
    assert_eq!(body["status"], expected.as_u16());
    body
}

/// The id of a seeded tree node (`categories` or `locations`) by code, over plain HTTP.
async fn node(app: &TestApp, user: &TestUser, tree: &str, code: &str) -> String {
    app.inventory_node(user, tree, code).await
}

/// The JSON of a new props item in the main warehouse, named `name`.
async fn new_item_body(app: &TestApp, user: &TestUser, name: &str) -> Value {
    json!({
        "name": name,
        "category_id": node(app, user, "categories", "props").await,
        "location_id": node(app, user, "locations", "main-warehouse").await,
        "tags": ["бронза"],
        "supplier": "ООО «Реквизит», Москва",
    })
}

/// Creates an item over plain HTTP (the setup, not what is under test).
async fn item(app: &TestApp, user: &TestUser, name: &str) -> Value {
    let body = new_item_body(app, user, name).await;
    app.props_item(user, body).await
}

fn id_of(item: &Value) -> String {
    item["id"].as_str().expect("id").to_string()
}

/// The inventory numbers of a page of items, in order.
fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["inventory_number"].as_str().expect("number").to_string())
        .collect()
}

#[tokio::test]
async fn the_csv_export_comes_back_as_utf8_text_in_both_payload_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let candle = item(&app, &admin, "Канделябр бронзовый, «ампир»").await;
    let sword = item(&app, &admin, "Шпага бутафорская").await;
    let reserved = app
        .post(
            &format!("/api/v1/inventory/items/{}/movements", id_of(&sword)),
            &admin.token,
            json!({ "kind": "reserve" }),
        )
        .await;
    assert_eq!(reserved.status, StatusCode::CREATED, "{:?}", reserved.body);

    // HTTP API, `?bom=true&sort=inventory_number`, with an Accept-Encoding the function ignores.
    let v2 = invoke(
        inventory_router(&app),
        event("http-v2-export-csv.json", &[("token", &admin.token)]),
    )
    .await;
    assert_eq!(status(&v2), 200, "{v2:#}");
    assert_eq!(v2["isBase64Encoded"], false, "text/csv stays text");
    assert_eq!(
        response_header(&v2, "content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        response_header(&v2, "content-disposition"),
        Some("attachment; filename=\"inventory.csv\"")
    );
    assert!(response_header(&v2, "content-encoding").is_none());
    let bytes = response_body(&v2);
    // The BOM that `?bom=true` asks for (Excel needs it to read UTF-8) arrives exactly once,
    // although lambda_http's text decoding drops a leading BOM (see shared::runner).
    assert!(
        bytes.starts_with(UTF8_BOM) && !bytes[UTF8_BOM.len()..].starts_with(UTF8_BOM),
        "{:?}",
        &bytes[..bytes.len().min(12)]
    );
    let text = String::from_utf8(bytes[UTF8_BOM.len()..].to_vec()).expect("UTF-8");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("inventory_number,name,description,category_code")),
        "{text}"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].starts_with(&format!(
            "{},\"Канделябр бронзовый, «ампир»\"",
            candle["inventory_number"].as_str().expect("number")
        )),
        "quoted, in inventory-number order: {text}"
    );
    assert!(rows[0].contains("\"ООО «Реквизит», Москва\""), "{text}");
    assert!(rows[1].contains("Шпага бутафорская"), "{text}");

    // REST API on stage `prod`, `?status=in_stock`: the reserved sword is filtered out, no BOM.
    let v1 = invoke(
        inventory_router(&app),
        event("rest-v1-export-csv-stage.json", &[("token", &admin.token)]),
    )
    .await;
    assert_eq!(status(&v1), 200, "{v1:#}");
    assert_eq!(v1["isBase64Encoded"], false);
    assert_eq!(v1["headers"], json!({}), "v1 answers use multiValueHeaders");
    assert_eq!(
        v1["multiValueHeaders"]["content-type"],
        json!(["text/csv; charset=utf-8"])
    );
    assert_eq!(
        v1["multiValueHeaders"]["content-disposition"],
        json!(["attachment; filename=\"inventory.csv\""])
    );
    let text = String::from_utf8(response_body(&v1)).expect("UTF-8");
    assert!(text.starts_with("inventory_number,"), "no BOM: {text:?}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("Канделябр бронзовый"), "{text}");
    assert!(!text.contains("Шпага"), "{text}");
}

#[tokio::test]
async fn the_label_sheet_pdf_and_the_qr_png_come_back_base64_encoded() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let candle = item(&app, &admin, "Канделябр").await;
    let id = id_of(&candle);

    // HTTP API POST with a base64 JSON body, answered with a PDF.
    let request = json!({ "ids": [id] }).to_string();
    let pdf = invoke(
        inventory_router(&app),
        event(
            "http-v2-labels-base64.json",
            &[
                ("token", &admin.token),
                ("body", &base64(request.as_bytes())),
            ],
        ),
    )
    .await;
    assert_eq!(status(&pdf), 200, "{pdf:#}");
    assert_eq!(pdf["isBase64Encoded"], true, "a PDF is binary");
    assert_eq!(
        response_header(&pdf, "content-type"),
        Some("application/pdf")
    );
    let bytes = response_body(&pdf);
    assert!(bytes.starts_with(b"%PDF-"), "{:?}", &bytes[..16]);
    let doc = lopdf::Document::load_mem(&bytes).expect("a whole, valid PDF");
    assert_eq!(doc.get_pages().len(), 1);

    // REST API on stage `prod`, a path parameter, answered with a PNG.
    let png = invoke(
        inventory_router(&app),
        event(
            "rest-v1-qr-png-stage.json",
            &[("token", &admin.token), ("item_id", &id)],
        ),
    )
    .await;
    assert_eq!(status(&png), 200, "{png:#}");
    assert_eq!(png["isBase64Encoded"], true, "a PNG is binary");
    assert_eq!(
        png["multiValueHeaders"]["content-type"],
        json!(["image/png"])
    );
    let bytes = response_body(&png);
    assert!(bytes.starts_with(PNG_MAGIC));
    let image = image::load_from_memory(&bytes).expect("a whole, valid PNG");
    assert_eq!(image.width(), image.height(), "a QR code is square");
    assert!(image.width() >= 100, "{}", image.width());

    // Another theatre's admin gets a 404 problem, as text, for the same item.
    let stranger = app.new_theater().await;
    let foreign = invoke(
        inventory_router(&app),
        event(
            "rest-v1-qr-png-stage.json",
            &[("token", &stranger.token), ("item_id", &id)],
        ),
    )
    .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);
    let foreign_sheet = invoke(
        inventory_router(&app),
        event(
            "http-v2-labels-base64.json",
            &[
                ("token", &stranger.token),
                ("body", &base64(request.as_bytes())),
            ],
        ),
    )
    .await;
    assert_problem(&foreign_sheet, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_base64_body_on_a_rest_api_stage_creates_an_item_with_its_russian_text() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let body = new_item_body(&app, &admin, "Шпага бутафорская «Д’Артаньян»").await;

    let response = invoke(
        inventory_router(&app),
        event(
            "rest-v1-create-item-base64-stage.json",
            &[
                ("token", &admin.token),
                ("body", &base64(body.to_string().as_bytes())),
            ],
        ),
    )
    .await;

    assert_eq!(status(&response), 201, "{response:#}");
    assert_eq!(response["isBase64Encoded"], false);
    assert!(
        response["multiValueHeaders"]["etag"][0].as_str().is_some(),
        "{response:#}"
    );
    let created = response_json(&response);
    assert_eq!(created["name"], "Шпага бутафорская «Д’Артаньян»");
    assert_eq!(created["supplier"], "ООО «Реквизит», Москва");
    assert_eq!(created["tags"], json!(["бронза"]));
    assert_eq!(created["status"], "in_stock");
    assert!(
        created["inventory_number"]
            .as_str()
            .is_some_and(|n| n.starts_with("PROPS-")),
        "{created:#}"
    );

    // It is really stored: the plain API sees it, with its receipt movement.
    let stored = app
        .get(
            &format!("/api/v1/inventory/items/{}", id_of(&created)),
            &admin.token,
        )
        .await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body["name"], created["name"]);
    assert_eq!(
        app.audit_count(admin.theater_id, "inventory_item.create")
            .await,
        1
    );

    // A viewer may not create: 403 through the same event.
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let forbidden = invoke(
        inventory_router(&app),
        event(
            "rest-v1-create-item-base64-stage.json",
            &[
                ("token", &viewer.token),
                ("body", &base64(body.to_string().as_bytes())),
            ],
        ),
    )
    .await;
    assert_problem(&forbidden, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_path_parameter_reaches_the_item_and_another_theatres_admin_gets_404() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let candle = item(&app, &admin, "Канделябр").await;
    let id = id_of(&candle);

    let own = invoke(
        inventory_router(&app),
        event(
            "http-v2-get-item-path-parameter.json",
            &[("item_id", &id), ("token", &admin.token)],
        ),
    )
    .await;
    assert_eq!(status(&own), 200, "{own:#}");
    assert_eq!(response_json(&own)["id"], id);
    assert_eq!(response_json(&own)["name"], "Канделябр");
    assert!(
        response_header(&own, "etag").is_some(),
        "the ETag header survives the conversion"
    );

    let foreign = invoke(
        inventory_router(&app),
        event(
            "http-v2-get-item-path-parameter.json",
            &[("item_id", &id), ("token", &stranger.token)],
        ),
    )
    .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);

    let malformed = invoke(
        inventory_router(&app),
        event(
            "http-v2-get-item-path-parameter.json",
            &[("item_id", "PROPS-2026-00001"), ("token", &admin.token)],
        ),
    )
    .await;
    assert_problem(&malformed, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn repeated_status_parameters_are_a_400_naming_the_field_and_a_comma_list_filters() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let candle = item(&app, &admin, "Канделябр бронзовый").await;
    let reserved_candle = item(&app, &admin, "Канделябр серебряный").await;
    item(&app, &admin, "Шпага").await;
    let issued = item(&app, &admin, "Канделябр выданный").await;
    let reserve = app
        .post(
            &format!(
                "/api/v1/inventory/items/{}/movements",
                id_of(&reserved_candle)
            ),
            &admin.token,
            json!({ "kind": "reserve" }),
        )
        .await;
    assert_eq!(reserve.status, StatusCode::CREATED, "{:?}", reserve.body);
    let issue = app
        .post(
            &format!("/api/v1/inventory/items/{}/movements", id_of(&issued)),
            &admin.token,
            json!({ "kind": "issue", "holder_user_id": admin.user_id }),
        )
        .await;
    assert_eq!(issue.status, StatusCode::CREATED, "{:?}", issue.body);

    // The filter takes one value, a comma list. HTTP API: the raw query string keeps both
    // `status=` (queryStringParameters would join them with a comma, which lambda_http ignores),
    // so the repetition is refused by name rather than half-applied.
    let v2 = invoke(
        inventory_router(&app),
        event(
            "http-v2-items-repeated-status.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    let problem = assert_problem(&v2, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("status") && d.contains("duplicate")),
        "{problem:#}"
    );

    // REST API: multiValueQueryStringParameters win over queryStringParameters.
    let v1 = invoke(
        inventory_router(&app),
        event(
            "rest-v1-items-repeated-status.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    let problem = assert_problem(&v1, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("status")),
        "{problem:#}"
    );

    // The comma list, plus a Cyrillic `q` that the REST API delivers unencoded, on stage `prod`.
    let listed = invoke(
        inventory_router(&app),
        event(
            "rest-v1-items-comma-status-stage.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    assert_eq!(status(&listed), 200, "{listed:#}");
    let page = response_json(&listed);
    assert_eq!(
        numbers(&page),
        vec![
            candle["inventory_number"]
                .as_str()
                .expect("number")
                .to_string(),
            reserved_candle["inventory_number"]
                .as_str()
                .expect("number")
                .to_string(),
        ],
        "in stock or reserved candelabra only (not the sword, not the issued one): {page:#}"
    );
}

#[tokio::test]
async fn a_photo_is_asked_for_with_a_base64_body_and_its_download_link_survives() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let candle = item(&app, &admin, "Канделябр").await;
    let id = id_of(&candle);
    let photo: &[u8] = b"\x89PNG\r\n\x1a\n a photo of a candelabrum \xff\xfe";

    let request =
        json!({ "filename": "канделябр.png", "content_type": "image/png", "size": photo.len() });
    let asked = invoke(
        inventory_router(&app),
        event(
            "http-v2-create-photo-base64.json",
            &[
                ("token", &admin.token),
                ("item_id", &id),
                ("body", &base64(request.to_string().as_bytes())),
            ],
        ),
    )
    .await;
    assert_eq!(status(&asked), 201, "{asked:#}");
    assert_eq!(
        asked["cookies"],
        json!([]),
        "request cookies are not echoed"
    );
    let asked = response_json(&asked);
    assert_eq!(asked["photo"]["status"], "pending");
    let upload = &asked["upload"];
    let mut put = app
        .http
        .put(upload["url"].as_str().expect("a presigned URL"));
    for (k, v) in upload["headers"].as_object().expect("headers") {
        if k != "content-length" {
            put = put.header(k.as_str(), v.as_str().expect("a header value"));
        }
    }
    let stored = put.body(photo.to_vec()).send().await.expect("S3 answers");
    assert!(stored.status().is_success(), "{}", stored.status());
    let photo_id = asked["photo"]["id"].as_str().expect("photo id").to_string();

    let done = invoke(
        inventory_router(&app),
        event(
            "http-v2-complete-photo.json",
            &[
                ("token", &admin.token),
                ("item_id", &id),
                ("photo_id", &photo_id),
            ],
        ),
    )
    .await;
    assert_eq!(status(&done), 200, "{done:#}");
    assert_eq!(response_json(&done)["status"], "ready");

    let listed = invoke(
        inventory_router(&app),
        event(
            "rest-v1-list-photos-stage.json",
            &[("token", &admin.token), ("item_id", &id)],
        ),
    )
    .await;
    assert_eq!(status(&listed), 200, "{listed:#}");
    let list = response_json(&listed);
    let url = list["items"][0]["url"].as_str().expect("a download URL");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let downloaded = app.http.get(url).send().await.expect("S3 answers");
    assert!(downloaded.status().is_success(), "{}", downloaded.status());
    assert_eq!(&downloaded.bytes().await.expect("bytes")[..], photo);

    let stranger = app.new_theater().await;
    let foreign = invoke(
        inventory_router(&app),
        event(
            "rest-v1-list-photos-stage.json",
            &[("token", &stranger.token), ("item_id", &id)],
        ),
    )
    .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_http_api_named_stage_prefix_is_removed_and_unknown_routes_are_404_problems() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    item(&app, &admin, "Канделябр").await;

    let stats = invoke(
        inventory_router(&app),
        event("http-v2-stats-named-stage.json", &[("token", &admin.token)]),
    )
    .await;
    assert_eq!(status(&stats), 200, "{stats:#}");
    assert_eq!(response_json(&stats)["items"], 1, "{stats:#}");

    for fixture in ["http-v2-get.json", "rest-v1-get.json"] {
        let health = invoke(
            inventory_router(&app),
            event(fixture, &[("path", "/health")]),
        )
        .await;
        assert_eq!(status(&health), 200, "{fixture}: {health:#}");
        let missing = invoke(
            inventory_router(&app),
            event(fixture, &[("path", "/api/v1/inventory/no-such-thing")]),
        )
        .await;
        assert_problem(&missing, StatusCode::NOT_FOUND);
    }
}

/// The function binary: `LAMBDA_BOOTSTRAP` (e.g. `target/lambda/inventory/bootstrap` from
/// `infra/build-lambdas.sh`) or the debug binary cargo built for this test.
fn inventory_binary() -> PathBuf {
    std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_inventory")))
}

async fn answer(runtime: &RuntimeApi, event: Value, what: &str) -> Value {
    match runtime.invoke(event, Duration::from_secs(30)).await {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("{what} failed: {e:#}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_binary_answers_api_gateway_events_under_the_lambda_runtime_api() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let body = new_item_body(&app, &admin, "Канделябр").await;
    let runtime = RuntimeApi::start().await;
    let binary = inventory_binary();
    // The environment infra/template.yaml gives the function, with local stand-ins.
    let env = testkit::template::function_environment(&app, "inventory");
    let mut function =
        runtime.spawn_function(&binary, "inventory", &testkit::template::pairs(&env));

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
        event("http-v2-get.json", &[("path", "/health")]),
        "second health",
    )
    .await;
    let warm = warm_start.elapsed();
    assert_eq!(status(&again), 200);

    let created = answer(
        &runtime,
        event(
            "rest-v1-create-item-base64-stage.json",
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
    assert_eq!(created["name"], "Канделябр");
    let id = id_of(&created);

    let csv = answer(
        &runtime,
        event("http-v2-export-csv.json", &[("token", &admin.token)]),
        "export",
    )
    .await;
    // Under the Runtime API the export is written to the bucket (a response stops at 6 MB)
    // and the answer is a redirect to it.
    assert_eq!(status(&csv), 303, "{csv:#}");
    let location = response_header(&csv, "location").expect("Location");
    let bytes = reqwest::get(location)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(bytes.starts_with(UTF8_BOM), "the BOM is in the stored file");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.contains("Канделябр"), "{text}");

    let png = answer(
        &runtime,
        event(
            "rest-v1-qr-png-stage.json",
            &[("token", &admin.token), ("item_id", &id)],
        ),
        "qr.png",
    )
    .await;
    assert_eq!(status(&png), 200, "{png:#}");
    assert_eq!(png["isBase64Encoded"], true);
    assert!(response_body(&png).starts_with(PNG_MAGIC));

    let request = json!({ "ids": [id] }).to_string();
    let pdf = answer(
        &runtime,
        event(
            "http-v2-labels-base64.json",
            &[
                ("token", &admin.token),
                ("body", &base64(request.as_bytes())),
            ],
        ),
        "labels",
    )
    .await;
    assert_eq!(status(&pdf), 200, "{pdf:#}");
    assert_eq!(pdf["isBase64Encoded"], true);
    assert!(response_body(&pdf).starts_with(b"%PDF-"));

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
        "inventory\t{}\t{}\t{}\t{}",
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
