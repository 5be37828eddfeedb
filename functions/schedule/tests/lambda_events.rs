//! The schedule function as Lambda runs it: hand-written API Gateway events (HTTP API payload
//! v2 and REST API payload v1, under `tests/events/`) pass through `lambda_http`'s conversion into
//! the Router the binary serves: a base64 body books an event and a second booking of the slot
//! is a 409 problem listing the first, an iCalendar feed on a REST API stage comes back as text
//! with its CRLF line ends and its `?token=`, and the real `schedule` binary answers events under
//! a local Lambda Runtime API.

use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use testkit::lambda_events::{
    base64, invoke, load_event, response_body, response_header, response_json,
};
use testkit::lambda_runtime::{Outcome, RuntimeApi};
use testkit::{TestApp, TestOptions, TestUser};

fn event(name: &str, vars: &[(&str, &str)]) -> Value {
    load_event(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events"),
        name,
        vars,
    )
}

async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        schedule::router(schedule::ScheduleState::new(s.ctx.clone()))
    })
    .await
}

/// The Router exactly as `main.rs` builds it.
fn schedule_router(app: &TestApp) -> Router {
    let state = schedule::ScheduleState::new(app.ctx.clone());
    shared::http::with_function_defaults(
        schedule::router(state.clone()),
        &state.ctx,
        &state.ctx.config,
    )
}

fn status(response: &Value) -> u16 {
    response["statusCode"].as_u64().expect("statusCode") as u16
}

async fn main_stage(app: &TestApp, user: &TestUser) -> String {
    let list = app.get("/api/v1/schedule/venues", &user.token).await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["code"] == "main-stage")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn booking(venue: &str, start: &str, end: &str) -> String {
    let body = json!({"kind": "performance", "title": "Чайка", "venue_id": venue,
                      "starts_at": start, "ends_at": end});
    base64(body.to_string().as_bytes())
}

#[tokio::test]
async fn a_booking_over_events_clashes_with_a_409_problem_and_the_feed_stays_text() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = main_stage(&app, &admin).await;
    let created = invoke(
        schedule_router(&app),
        event(
            "http-v2-create-event-base64.json",
            &[
                ("token", &admin.token),
                (
                    "body",
                    &booking(&stage, "2027-05-10T16:00:00Z", "2027-05-10T19:00:00Z"),
                ),
            ],
        ),
    )
    .await;
    assert_eq!(status(&created), 201, "{created:#}");
    let first = response_json(&created)["id"].as_str().unwrap().to_string();
    let clash = invoke(
        schedule_router(&app),
        event(
            "http-v2-create-event-base64.json",
            &[
                ("token", &admin.token),
                (
                    "body",
                    &booking(&stage, "2027-05-10T18:00:00Z", "2027-05-10T21:00:00Z"),
                ),
            ],
        ),
    )
    .await;
    assert_eq!(status(&clash), 409, "{clash:#}");
    assert_eq!(
        response_header(&clash, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(response_json(&clash)["conflicts"][0]["id"], first.as_str());

    let token = app
        .post("/api/v1/schedule/calendar/tokens", &admin.token, json!({}))
        .await;
    let feed_token = token.body["token"].as_str().unwrap();
    let feed = invoke(
        schedule_router(&app),
        event(
            "rest-v1-venue-feed-stage.json",
            &[("venue_id", &stage), ("feed_token", feed_token)],
        ),
    )
    .await;
    assert_eq!(status(&feed), 200, "{feed:#}");
    assert_eq!(
        feed["isBase64Encoded"], false,
        "text/calendar is sent as text"
    );
    assert_eq!(
        response_header(&feed, "content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let text = String::from_utf8(response_body(&feed)).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(
        text.contains(&format!("UID:{first}@theatre-management-system\r\n")),
        "{text}"
    );
    let wrong = invoke(
        schedule_router(&app),
        event(
            "rest-v1-venue-feed-stage.json",
            &[("venue_id", &stage), ("feed_token", "wrong")],
        ),
    )
    .await;
    assert_eq!(status(&wrong), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_binary_answers_api_gateway_events_under_the_lambda_runtime_api() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = main_stage(&app, &admin).await;
    let runtime = RuntimeApi::start().await;
    let binary = std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_schedule")));
    // The environment infra/template.yaml gives the function, with local stand-ins.
    let env = testkit::template::function_environment(&app, "schedule");
    let mut function = runtime.spawn_function(&binary, "schedule", &testkit::template::pairs(&env));
    let answer = async |e: Value| match runtime.invoke(e, Duration::from_secs(30)).await {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("invocation failed: {e:#}"),
    };
    let health = answer(event("http-v2-get.json", &[("path", "/health")])).await;
    let cold = function.started.elapsed();
    assert_eq!(status(&health), 200, "{health:#}");
    let created = answer(event(
        "http-v2-create-event-base64.json",
        &[
            ("token", &admin.token),
            (
                "body",
                &booking(&stage, "2027-06-10T16:00:00Z", "2027-06-10T19:00:00Z"),
            ),
        ],
    ))
    .await;
    assert_eq!(status(&created), 201, "{created:#}");
    let missing = answer(event(
        "http-v2-get.json",
        &[("path", "/api/v1/schedule/nothing")],
    ))
    .await;
    assert_eq!(status(&missing), StatusCode::NOT_FOUND.as_u16());
    assert!(
        function.exit_status().is_none(),
        "the function keeps running between invocations"
    );
    eprintln!(
        "schedule cold start (first response): {} ms",
        cold.as_millis()
    );
}
