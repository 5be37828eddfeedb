//! The auth function as Lambda runs it: hand-written API Gateway events (HTTP API payload v2 and
//! REST API payload v1, under `tests/events/`) pass through `lambda_http`'s conversion into the
//! Router the binary serves, and the API Gateway response JSON that comes back is checked. The
//! last test runs the real `auth` binary against a local Lambda Runtime API.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use serde_json::{Value, json};
use testkit::TestApp;
use testkit::lambda_events::{
    base64, invoke, load_event, response_body, response_header, response_json,
};
use testkit::lambda_runtime::{Outcome, RuntimeApi};

/// The email and password inside the base64 bodies of the register and login fixtures.
const FIXTURE_EMAIL: &str = "admin@maly.example.org";

fn events() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events")
}

fn event(name: &str, vars: &[(&str, &str)]) -> Value {
    load_event(&events(), name, vars)
}

/// The Router exactly as `main.rs` builds it, plus `extra` routes.
fn function_router(app: &TestApp, extra: Router) -> Router {
    let state = app.auth.clone();
    shared::http::with_function_defaults(
        auth::router(state.clone()).merge(extra),
        &state.ctx,
        &state.ctx.config,
    )
}

fn auth_router(app: &TestApp) -> Router {
    function_router(app, Router::new())
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
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with(shared::error::PROBLEM_TYPE_BASE))
    );
    body
}

#[tokio::test]
async fn registering_through_an_http_api_event_with_a_base64_body_creates_the_theatre() {
    let app = testkit::spawn_app().await;

    let response = invoke(
        auth_router(&app),
        event("http-v2-register-base64.json", &[]),
    )
    .await;

    assert_eq!(status(&response), 201, "{response:#}");
    assert_eq!(response["isBase64Encoded"], false);
    assert_eq!(
        response_header(&response, "content-type"),
        Some("application/json")
    );
    assert!(response_header(&response, "x-request-id").is_some());
    let body = response_json(&response);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() > 20));
    assert_eq!(body["theater"]["name"], "Малый театр");
    assert_eq!(body["user"]["email"], FIXTURE_EMAIL);
    assert_eq!(body["user"]["last_name"], "Иванова");
    // The request cookies did not turn into response cookies.
    assert_eq!(response["cookies"], json!([]));
}

#[tokio::test]
async fn signing_in_through_a_rest_api_event_on_a_named_stage_with_a_base64_body() {
    let app = testkit::spawn_app().await;
    app.register("Малый театр", FIXTURE_EMAIL).await;

    // The REST API sends `/api/v1/auth/login` on stage `prod`; lambda_http turns it into
    // `/prod/api/v1/auth/login`, which the function must still route.
    let response = invoke(
        auth_router(&app),
        event("rest-v1-login-base64-stage.json", &[]),
    )
    .await;

    assert_eq!(status(&response), 200, "{response:#}");
    // Payload v1 answers carry every header in multiValueHeaders and none in headers.
    assert_eq!(response["headers"], json!({}));
    assert_eq!(
        response["multiValueHeaders"]["content-type"],
        json!(["application/json"])
    );
    let body = response_json(&response);
    assert_eq!(body["user"]["email"], FIXTURE_EMAIL);
    assert!(body["refresh_token"].as_str().is_some());
}

#[tokio::test]
async fn a_malformed_base64_json_body_is_a_400_problem() {
    let app = testkit::spawn_app().await;

    let response = invoke(
        auth_router(&app),
        event("rest-v1-login-malformed-base64-body.json", &[]),
    )
    .await;

    let problem = assert_problem(&response, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("malformed JSON")),
        "{problem:#}"
    );
}

#[tokio::test]
async fn path_parameters_reach_the_user_routes_and_other_theatres_stay_hidden() {
    let app = testkit::spawn_app().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let user_id = admin.user_id.to_string();

    let own = invoke(
        auth_router(&app),
        event(
            "http-v2-get-user-path-parameter.json",
            &[("user_id", &user_id), ("token", &admin.token)],
        ),
    )
    .await;
    assert_eq!(status(&own), 200, "{own:#}");
    assert_eq!(response_json(&own)["id"], user_id);
    assert!(
        response_header(&own, "etag").is_some(),
        "the ETag header survives the conversion"
    );

    let foreign = invoke(
        auth_router(&app),
        event(
            "http-v2-get-user-path-parameter.json",
            &[("user_id", &user_id), ("token", &stranger.token)],
        ),
    )
    .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND);

    let malformed = invoke(
        auth_router(&app),
        event(
            "http-v2-get-user-path-parameter.json",
            &[("user_id", "not-a-uuid"), ("token", &admin.token)],
        ),
    )
    .await;
    assert_problem(&malformed, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn repeated_query_parameters_arrive_intact_and_a_single_valued_filter_rejects_them() {
    let app = testkit::spawn_app().await;
    let admin = app.new_theater().await;

    // HTTP API: the raw query string keeps both values (queryStringParameters would join them
    // with a comma, which lambda_http ignores).
    let audit = invoke(
        auth_router(&app),
        event(
            "http-v2-audit-repeated-query.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    let problem = assert_problem(&audit, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("entity_type")),
        "{problem:#}"
    );

    // REST API: multiValueQueryStringParameters win over queryStringParameters.
    let users = invoke(
        auth_router(&app),
        event(
            "rest-v1-users-repeated-query.json",
            &[("token", &admin.token)],
        ),
    )
    .await;
    let problem = assert_problem(&users, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("is_active")),
        "{problem:#}"
    );
}

#[tokio::test]
async fn a_non_ascii_query_on_a_rest_api_stage_is_re_encoded_and_filters() {
    let app = testkit::spawn_app().await;
    let admin = app.new_theater().await;
    app.user_with_roles(&admin, &["viewer"]).await;

    let response = invoke(
        auth_router(&app),
        event("rest-v1-users-query.json", &[("token", &admin.token)]),
    )
    .await;

    assert_eq!(status(&response), 200, "{response:#}");
    let page = response_json(&response);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "limit=1 and q=Иванова: {page:#}");
    assert_eq!(items[0]["last_name"], "Иванова");
    assert!(page["next_cursor"].is_null(), "only the admin matches");
}

#[tokio::test]
async fn cookies_are_not_credentials_only_the_bearer_header_is() {
    let app = testkit::spawn_app().await;
    let admin = app.new_theater().await;

    let response = invoke(
        auth_router(&app),
        event("http-v2-me-cookie-only.json", &[("token", &admin.token)]),
    )
    .await;

    assert_problem(&response, StatusCode::UNAUTHORIZED);
    assert!(
        response_header(&response, "www-authenticate").is_some_and(|v| v.starts_with("Bearer")),
        "{response:#}"
    );
}

#[tokio::test]
async fn an_http_api_named_stage_prefix_is_removed_before_routing() {
    let app = testkit::spawn_app().await;
    let admin = app.new_theater().await;

    let response = invoke(
        auth_router(&app),
        event("http-v2-me-named-stage.json", &[("token", &admin.token)]),
    )
    .await;

    assert_eq!(status(&response), 200, "{response:#}");
    assert_eq!(response_json(&response)["id"], admin.user_id.to_string());
}

#[tokio::test]
async fn an_unknown_route_is_a_text_problem_404_in_both_payload_versions() {
    let app = testkit::spawn_app().await;

    let v2 = invoke(
        auth_router(&app),
        event("http-v2-get.json", &[("path", "/api/v1/no-such-thing")]),
    )
    .await;
    let problem = assert_problem(&v2, StatusCode::NOT_FOUND);
    assert_eq!(problem["type"], shared::error::problem_type("not-found"));

    let v1 = invoke(
        auth_router(&app),
        event("rest-v1-get.json", &[("path", "/api/v1/no-such-thing")]),
    )
    .await;
    assert_problem(&v1, StatusCode::NOT_FOUND);
    assert_eq!(
        v1["multiValueHeaders"]["content-type"],
        json!(["application/problem+json"])
    );
}

#[tokio::test]
async fn health_answers_on_both_payload_versions() {
    let app = testkit::spawn_app().await;

    for fixture in ["http-v2-get.json", "rest-v1-get.json"] {
        let response = invoke(auth_router(&app), event(fixture, &[("path", "/health")])).await;
        assert_eq!(status(&response), 200, "{fixture}: {response:#}");
    }
}

/// Bytes that are not valid UTF-8, as a PDF or an image would be.
const BINARY: &[u8] = &[0x25, 0x50, 0x44, 0x46, 0x00, 0x9f, 0x92, 0x96, 0xff, 0xfe];
const ICS: &str =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//theatre//probe//RU\r\nEND:VCALENDAR\r\n";
const CSV: &str = "inventory_number,name\r\nPR-0001,\"Шпага, бутафорская\"\r\n";
const PRESIGNED: &str =
    "https://theatre.s3.eu-central-1.amazonaws.com/documents/x.pdf?X-Amz-Signature=abc";

/// Responses of the kinds later functions serve (the inventory CSV export, the schedule's .ics
/// feeds and the documents' 302 to a presigned URL do not exist yet): test-only routes that show
/// how each shape crosses `lambda_http`.
fn probe_routes() -> Router {
    Router::new()
        .route(
            "/lambda-probe/file.pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], BINARY) }),
        )
        .route(
            "/lambda-probe/venue.ics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                    ICS,
                )
            }),
        )
        .route(
            "/lambda-probe/export.csv",
            get(|| async { ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], CSV) }),
        )
        .route(
            "/lambda-probe/download",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, PRESIGNED)]).into_response() }),
        )
        .route(
            "/lambda-probe/cookies",
            get(|| async {
                (
                    AppendHeaders([
                        (header::SET_COOKIE, "a=1; Path=/; HttpOnly"),
                        (header::SET_COOKIE, "b=2; Path=/; Secure"),
                    ]),
                    "ok",
                )
            }),
        )
}

#[tokio::test]
async fn binary_text_redirect_and_cookie_responses_cross_lambda_http_intact() {
    let app = testkit::spawn_app().await;
    let router = || function_router(&app, probe_routes());
    let get_v2 = |path: &str| event("http-v2-get.json", &[("path", path)]);

    let pdf = invoke(router(), get_v2("/lambda-probe/file.pdf")).await;
    assert_eq!(status(&pdf), 200);
    assert_eq!(pdf["isBase64Encoded"], true, "binary goes base64");
    assert_eq!(pdf["body"], base64(BINARY));
    assert_eq!(response_body(&pdf), BINARY);

    let ics = invoke(router(), get_v2("/lambda-probe/venue.ics")).await;
    assert_eq!(ics["isBase64Encoded"], false, "text/* stays text");
    assert_eq!(response_body(&ics), ICS.as_bytes());

    let csv = invoke(router(), get_v2("/lambda-probe/export.csv")).await;
    assert_eq!(csv["isBase64Encoded"], false);
    assert_eq!(String::from_utf8(response_body(&csv)).expect("utf-8"), CSV);

    let redirect = invoke(router(), get_v2("/lambda-probe/download")).await;
    assert_eq!(status(&redirect), 302);
    assert_eq!(response_header(&redirect, "location"), Some(PRESIGNED));

    // HTTP API answers move Set-Cookie into `cookies`; REST API keeps them as multi-value headers.
    let v2 = invoke(router(), get_v2("/lambda-probe/cookies")).await;
    assert_eq!(
        v2["cookies"],
        json!(["a=1; Path=/; HttpOnly", "b=2; Path=/; Secure"])
    );
    assert!(v2["headers"].get("set-cookie").is_none());
    let v1 = invoke(
        router(),
        event("rest-v1-get.json", &[("path", "/lambda-probe/cookies")]),
    )
    .await;
    assert_eq!(
        v1["multiValueHeaders"]["set-cookie"],
        json!(["a=1; Path=/; HttpOnly", "b=2; Path=/; Secure"])
    );
    let pdf_v1 = invoke(
        router(),
        event("rest-v1-get.json", &[("path", "/lambda-probe/file.pdf")]),
    )
    .await;
    assert_eq!(pdf_v1["isBase64Encoded"], true);
    assert_eq!(response_body(&pdf_v1), BINARY);
}

/// The function binary: `LAMBDA_BOOTSTRAP` (e.g. `target/lambda/auth/bootstrap` from
/// `infra/build-lambdas.sh`) or the debug binary cargo built for this test.
fn auth_binary() -> PathBuf {
    std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_auth")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_binary_answers_api_gateway_events_under_the_lambda_runtime_api() {
    let app = testkit::spawn_app().await;
    let runtime = RuntimeApi::start().await;
    let binary = auth_binary();
    // The environment infra/template.yaml gives the function, with local stand-ins.
    let env = testkit::template::function_environment(&app, "auth");
    let mut function = runtime.spawn_function(&binary, "auth", &testkit::template::pairs(&env));
    let timeout = Duration::from_secs(30);

    // Cold start: process start → the first answer (init plus one request touching PostgreSQL
    // and Redis).
    let first = match runtime
        .invoke(event("http-v2-get.json", &[("path", "/health")]), timeout)
        .await
    {
        Outcome::Response(r) => r,
        Outcome::Error(e) => panic!("health failed: {e:#}"),
    };
    let cold = function.started.elapsed();
    let init = runtime
        .first_poll()
        .map(|t| t.duration_since(function.started))
        .expect("the function polled for work");
    assert_eq!(status(&first), 200, "{first:#}");

    let warm_start = Instant::now();
    let Outcome::Response(again) = runtime
        .invoke(event("http-v2-get.json", &[("path", "/health")]), timeout)
        .await
    else {
        panic!("second health failed");
    };
    let warm = warm_start.elapsed();
    assert_eq!(status(&again), 200);

    let Outcome::Response(registered) = runtime
        .invoke(event("http-v2-register-base64.json", &[]), timeout)
        .await
    else {
        panic!("register failed");
    };
    assert_eq!(status(&registered), 201, "{registered:#}");
    assert_eq!(response_json(&registered)["user"]["email"], FIXTURE_EMAIL);

    let Outcome::Response(login) = runtime
        .invoke(event("rest-v1-login-base64-stage.json", &[]), timeout)
        .await
    else {
        panic!("login failed");
    };
    assert_eq!(status(&login), 200, "{login:#}");
    let token = response_json(&login)["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    let Outcome::Response(me) = runtime
        .invoke(
            event("http-v2-me-named-stage.json", &[("token", &token)]),
            timeout,
        )
        .await
    else {
        panic!("me failed");
    };
    assert_eq!(status(&me), 200, "{me:#}");
    assert_eq!(response_json(&me)["email"], FIXTURE_EMAIL);

    let Outcome::Response(missing) = runtime
        .invoke(
            event("http-v2-get.json", &[("path", "/api/v1/no-such-thing")]),
            timeout,
        )
        .await
    else {
        panic!("404 failed");
    };
    assert_problem(&missing, StatusCode::NOT_FOUND);

    assert!(
        function.exit_status().is_none(),
        "the function keeps running between invocations"
    );
    let line = format!(
        "auth\t{}\t{}\t{}\t{}",
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
