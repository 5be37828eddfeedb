//! The reports function as Lambda runs it: a hand-written API Gateway HTTP API (payload v2)
//! event passes through `lambda_http`'s conversion into the Router the binary serves. An XLSX
//! comes back base64-encoded and opens as a spreadsheet; a file over the inline limit (Lambda
//! answers at most 6 MB) is written to storage and answered with a 303 whose presigned link
//! serves the same kind of file.

use std::path::PathBuf;

use axum::Router;
use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};
use testkit::lambda_events::{invoke, load_event, response_body, response_header};
use testkit::{TestApp, TestOptions};

fn event(vars: &[(&str, &str)]) -> Value {
    load_event(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events"),
        "http-v2-get-report.json",
        vars,
    )
}

async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        reports::router(reports::ReportsState::new(s.ctx.clone(), s.storage.clone()).unwrap())
    })
    .await
}

/// The Router exactly as `main.rs` builds it, with the given inline limit.
fn reports_router(app: &TestApp, inline_limit: usize) -> Router {
    let mut state = reports::ReportsState::new(app.ctx.clone(), app.storage.clone()).unwrap();
    state.inline_limit = inline_limit;
    shared::http::with_function_defaults(
        reports::router(state.clone()),
        &state.ctx,
        &state.ctx.config,
    )
}

fn status(response: &Value) -> u16 {
    response["statusCode"].as_u64().expect("statusCode") as u16
}

#[tokio::test(flavor = "multi_thread")]
async fn an_xlsx_travels_base64_and_a_large_file_is_a_303_to_storage() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let reply = app
        .get("/api/v1/inventory/categories?limit=1", &admin.token)
        .await;
    // The reports function alone serves no inventory routes: seed performances as rows.
    assert_eq!(reply.status.as_u16(), 404);
    let db = app.db().await;
    for (title, status) in [("Чайка", "in_repertoire"), ("Гамлет", "preparation")] {
        db.execute(
            "INSERT INTO performances (id, theater_id, title, status) VALUES ($1, $2, $3, $4)",
            &[&uuid::Uuid::now_v7(), &admin.theater_id, &title, &status],
        )
        .await
        .unwrap();
    }

    let response = invoke(
        reports_router(&app, reports::DEFAULT_INLINE_LIMIT),
        event(&[
            ("token", &admin.token),
            ("code", "performances_by_status"),
            ("query", "format=xlsx"),
        ]),
    )
    .await;
    assert_eq!(status(&response), 200, "{response:#}");
    assert_eq!(response["isBase64Encoded"], json!(true));
    assert!(
        response_header(&response, "content-disposition")
            .unwrap()
            .contains("performances_by_status-")
    );
    let mut book = Xlsx::new(std::io::Cursor::new(response_body(&response))).unwrap();
    let first = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&first).unwrap();
    // Every status is a row; the counts are numbers.
    assert_eq!(sheet.height(), 5);
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String("preparation".into()))
    );
    assert_eq!(sheet.get_value((1, 2)), Some(&Data::Float(1.0)));
    assert_eq!(sheet.get_value((2, 2)), Some(&Data::Float(1.0)));
    assert_eq!(sheet.get_value((3, 2)), Some(&Data::Float(0.0)));

    // Over the inline limit: a 303 to a presigned link of the stored file.
    let response = invoke(
        reports_router(&app, 100),
        event(&[
            ("token", &admin.token),
            ("code", "performances_by_status"),
            ("query", "format=pdf"),
        ]),
    )
    .await;
    assert_eq!(status(&response), 303, "{response:#}");
    let location = response_header(&response, "location").unwrap().to_string();
    assert!(location.contains("/reports/outputs/"), "{location}");
    let file = app.http.get(&location).send().await.unwrap();
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(
        file.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    assert!(file.bytes().await.unwrap().starts_with(b"%PDF-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_binary_answers_api_gateway_events_under_the_lambda_runtime_api() {
    use std::time::Duration;
    use testkit::lambda_runtime::{Outcome, RuntimeApi};

    let app = spawn().await;
    let admin = app.new_theater().await;
    let runtime = RuntimeApi::start().await;
    let binary = std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_reports")));
    // The environment infra/template.yaml gives the function, with local stand-ins.
    let env = testkit::template::function_environment(&app, "reports");
    let mut function = runtime.spawn_function(&binary, "reports", &testkit::template::pairs(&env));
    let answer = async |e: Value| match runtime.invoke(e, Duration::from_secs(60)).await {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("invocation failed: {e:#}"),
    };
    let first = answer(event(&[
        ("token", &admin.token),
        ("code", "performances_by_status"),
        ("query", "format=xlsx"),
    ]))
    .await;
    let cold = function.started.elapsed();
    assert_eq!(status(&first), 200, "{first:#}");
    let mut book = Xlsx::new(std::io::Cursor::new(response_body(&first))).unwrap();
    let name = book.sheet_names()[0].clone();
    assert_eq!(book.worksheet_range(&name).unwrap().height(), 5);
    let missing = answer(event(&[
        ("token", &admin.token),
        ("code", "nonsense"),
        ("query", ""),
    ]))
    .await;
    assert_eq!(status(&missing), 404);
    assert!(
        function.exit_status().is_none(),
        "the function keeps running between invocations"
    );
    eprintln!(
        "reports cold start (first response): {} ms",
        cold.as_millis()
    );
}
