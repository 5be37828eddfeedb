//! The HTTP conventions: problem+json everywhere, health, limits, request ids, CORS.

use serde_json::json;
use testkit::{StatusCode, spawn_app};

#[tokio::test]
async fn health_answers_ok_when_database_and_redis_answer() {
    let app = spawn_app().await;
    let reply = app.call("GET", "/health", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({"status": "ok", "database": "ok", "redis": "ok"})
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problem_json() {
    let app = spawn_app().await;
    let missing = app.call("GET", "/api/v1/nowhere", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(missing.body["status"], 404);
    let method = app.call("DELETE", "/api/v1/auth/login", None, None).await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        method.header("content-type"),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn malformed_json_is_400_and_a_wrong_media_type_is_415() {
    let app = spawn_app().await;
    let bad = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let form = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let reply = app
        .post(
            "/api/v1/roles",
            &admin.token,
            json!({"code": "x_role", "name": "X", "permissions": "inventory:view"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["field"], "permissions");
}

#[tokio::test]
async fn oversized_bodies_are_413_problem_json() {
    let app = spawn_app().await;
    let huge = "x".repeat(7 * 1024 * 1024);
    let reply = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"email\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_errors_quote_it() {
    let app = spawn_app().await;
    let reply = app
        .call_with(
            "GET",
            "/api/v1/auth/me",
            None,
            None,
            &[("x-request-id", "trace-me-123")],
        )
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-me-123"));
    assert_eq!(reply.body["request_id"], "trace-me-123");
    let fresh = app.call("GET", "/health", None, None).await;
    assert!(fresh.header("x-request-id").is_some_and(|v| v.len() >= 32));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app().await;
    let allowed = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "https://app.example.org")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    let denied = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn bad_pagination_parameters_are_refused() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    assert_eq!(
        app.get("/api/v1/roles?limit=0", &admin.token).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/roles?limit=500", &admin.token)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/roles?limit=abc", &admin.token)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/roles?cursor=%%%25", &admin.token)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn nul_in_any_body_field_is_a_422_naming_it_even_unauthenticated() {
    let app = spawn_app().await;
    let login = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "a\u{0}@b.ru", "password": "x"})),
        )
        .await;
    assert_eq!(
        login.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        login.body
    );
    assert_eq!(login.body["errors"][0]["field"], "email");
    let register = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"theater_name": "Театр\u{0}", "email": "nul@b.ru",
                        "password": "long-enough-password", "first_name": "Ива\u{1b}н",
                        "last_name": "Петров"})),
        )
        .await;
    assert_eq!(
        register.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        register.body
    );
    let admin = app.new_theater().await;
    let nested = app
        .post(
            "/api/v1/roles",
            &admin.token,
            json!({"code": "nul_role", "name": "x", "permissions": ["documents:view\u{0}"]}),
        )
        .await;
    assert_eq!(
        nested.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        nested.body
    );
    assert_eq!(nested.body["errors"][0]["field"], "permissions.0");
}

#[tokio::test]
async fn nul_in_a_query_is_a_422_and_a_malformed_path_id_is_a_404() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let query = app.get("/api/v1/users?q=a%00b", &admin.token).await;
    assert_eq!(
        query.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        query.body
    );
    assert_eq!(query.body["errors"][0]["field"], "q");
    for path in ["/api/v1/users/not-a-uuid", "/api/v1/users/%00"] {
        let reply = app.get(path, &admin.token).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
}
