//! The performances function as Lambda runs it: hand-written API Gateway events (HTTP API
//! payload v2 and REST API payload v1 with a stage, under `tests/events/`) pass through
//! `lambda_http`'s conversion into the Router the binary serves; the response JSON that comes
//! back is checked: a card with its ETag, a status move and a refused one (409 naming the
//! current status), and another theatre's id as a 404 problem.

use std::path::PathBuf;

use axum::Router;
use performances::{ImageLimits, PerformancesState};
use serde_json::{Value, json};
use testkit::lambda_events::{invoke, load_event, response_header, response_json};
use testkit::{StatusCode, TestApp, TestOptions};

fn event(name: &str, vars: &[(&str, &str)]) -> Value {
    load_event(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events"),
        name,
        vars,
    )
}

/// The Router exactly as `main.rs` builds it.
fn function_router(app: &TestApp) -> Router {
    let state =
        PerformancesState::new(app.ctx.clone(), app.storage.clone(), ImageLimits::default());
    shared::http::with_function_defaults(
        performances::router(state.clone()),
        &state.ctx,
        &state.ctx.config,
    )
}

fn status(response: &Value) -> u16 {
    response["statusCode"].as_u64().expect("statusCode") as u16
}

#[tokio::test(flavor = "multi_thread")]
async fn api_gateway_events_read_and_move_a_performance() {
    let app = testkit::spawn_app_with(TestOptions::default(), |_| Router::new()).await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let router = function_router(&app);
    // The test server only issues tokens; the function's Router serves every event here.
    let created = invoke(router.clone(), {
        let mut e = event(
            "http-v2-change-status.json",
            &[
                ("token", &admin.token),
                ("performance_id", "x"),
                ("status", "x"),
            ],
        );
        e["routeKey"] = json!("POST /api/v1/performances");
        e["rawPath"] = json!("/api/v1/performances");
        e["requestContext"]["http"]["path"] = json!("/api/v1/performances");
        e["pathParameters"] = Value::Null;
        e["body"] = json!(r#"{"title":"Чайка","author":"Чехов"}"#);
        e
    })
    .await;
    assert_eq!(status(&created), 201, "{created:#}");
    let id = response_json(&created)["id"].as_str().unwrap().to_string();

    let got = invoke(
        router.clone(),
        event(
            "http-v2-get-performance.json",
            &[("token", &admin.token), ("performance_id", &id)],
        ),
    )
    .await;
    assert_eq!(status(&got), 200, "{got:#}");
    assert_eq!(response_header(&got, "etag"), Some("\"1\""));
    assert_eq!(response_json(&got)["title"], "Чайка");

    let staged = invoke(
        router.clone(),
        event(
            "rest-v1-get-performance-stage.json",
            &[("token", &admin.token), ("performance_id", &id)],
        ),
    )
    .await;
    assert_eq!(status(&staged), 200, "{staged:#}");
    assert_eq!(response_json(&staged)["status"], "preparation");

    let moved = invoke(
        router.clone(),
        event(
            "http-v2-change-status.json",
            &[
                ("token", &admin.token),
                ("performance_id", &id),
                ("status", "in_repertoire"),
            ],
        ),
    )
    .await;
    assert_eq!(status(&moved), 200, "{moved:#}");
    assert_eq!(response_json(&moved)["status"], "in_repertoire");
    let refused = invoke(
        router.clone(),
        event(
            "http-v2-change-status.json",
            &[
                ("token", &admin.token),
                ("performance_id", &id),
                ("status", "preparation"),
            ],
        ),
    )
    .await;
    assert_eq!(
        status(&refused),
        StatusCode::CONFLICT.as_u16(),
        "{refused:#}"
    );
    assert_eq!(response_json(&refused)["current_status"], "in_repertoire");

    let foreign = invoke(
        router,
        event(
            "http-v2-get-performance.json",
            &[("token", &other.token), ("performance_id", &id)],
        ),
    )
    .await;
    assert_eq!(status(&foreign), 404, "{foreign:#}");
    assert_eq!(
        response_header(&foreign, "content-type"),
        Some("application/problem+json")
    );
}
