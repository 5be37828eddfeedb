//! Issue 8 hardening: revocation survives a Redis restart, refresh-token reuse ends the access
//! tokens too, logins without fields are 422, tokens issued in the future are refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, spawn_app};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign_ed(app: &TestApp, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(app.keys.private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &key).unwrap()
}

/// What a Redis restart does to this app: every key under its prefix is gone.
async fn forget_everything_in_redis(app: &TestApp) {
    let client = redis::Client::open(testkit::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "the app keeps state in Redis");
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_logged_out_access_token_stays_refused_after_redis_forgets_everything() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let other = app.login(&admin.email, &admin.password).await;
    let logout = app
        .call("POST", "/api/v1/auth/logout", Some(&admin.token), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{:?}", logout.body);
    assert_eq!(
        app.get("/api/v1/auth/me", &admin.token).await.status,
        StatusCode::UNAUTHORIZED
    );

    forget_everything_in_redis(&app).await;

    let again = app.get("/api/v1/auth/me", &admin.token).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{:?}", again.body);
    // Another session of the same user is untouched.
    assert_eq!(
        app.get("/api/v1/auth/me", &other.token).await.status,
        StatusCode::OK
    );
    // And the rebuilt view keeps refusing on the next (cached) request.
    assert_eq!(
        app.get("/api/v1/auth/me", &admin.token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_password_change_keeps_old_tokens_refused_after_redis_forgets_everything() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let other = app.login(&admin.email, &admin.password).await;
    let changed = app
        .post(
            "/api/v1/auth/password",
            &admin.token,
            json!({"current_password": admin.password, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let fresh = changed.body["access_token"].as_str().unwrap().to_string();
    forget_everything_in_redis(&app).await;
    assert_eq!(
        app.get("/api/v1/auth/me", &other.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &fresh).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_token_reuse_also_ends_the_sessions_access_tokens() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let rotated = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new_access = rotated.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/auth/me", &new_access).await.status,
        StatusCode::OK
    );
    // The old refresh token again: a thief's copy.
    let reuse = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    for token in [&admin.token, &new_access] {
        let me = app.get("/api/v1/auth/me", token).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{:?}", me.body);
    }
}

#[tokio::test]
async fn a_login_without_its_fields_is_a_422_naming_them() {
    let app = spawn_app().await;
    let empty = app
        .call("POST", "/api/v1/auth/login", None, Some(json!({})))
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        empty.body
    );
    assert_eq!(empty.body["errors"][0]["field"], "email");
    let no_password = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "someone@example.org"})),
        )
        .await;
    assert_eq!(no_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_password.body["errors"][0]["field"], "password");
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let mut claims = claims_of(&admin.token);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now + 3600);
    claims["exp"] = json!(now + 7200);
    let reply = app.get("/api/v1/auth/me", &sign_ed(&app, &claims)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    // Within the clock-skew leeway it is still fine.
    claims["iat"] = json!(now + 2);
    assert_eq!(
        app.get("/api/v1/auth/me", &sign_ed(&app, &claims))
            .await
            .status,
        StatusCode::OK
    );
}

// Issue 11: what a new user reads in the answers.

#[tokio::test]
async fn no_token_gets_a_challenge_without_an_error_code_a_bad_one_gets_invalid_token() {
    let app = spawn_app().await;
    let none = app.call("GET", "/api/v1/auth/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    // RFC 6750 §3.1: no error code when the request carried no credentials.
    assert_eq!(
        none.header("www-authenticate"),
        Some(r#"Bearer realm="theatre""#)
    );
    let bad = app.get("/api/v1/auth/me", "not-a-token").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.header("www-authenticate")
            .is_some_and(|v| v.contains(r#"error="invalid_token""#)),
        "{:?}",
        bad.headers
    );
}

#[tokio::test]
async fn an_expired_token_says_where_to_get_a_new_one() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let mut claims = claims_of(&admin.token);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 7200);
    claims["exp"] = json!(now - 3600);
    let reply = app.get("/api/v1/auth/me", &sign_ed(&app, &claims)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("expired") && detail.contains("/api/v1/auth/refresh"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_empty_password_is_required_not_too_short() {
    let app = spawn_app().await;
    let reply = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({
                "theater_name": "Театр", "email": "new@example.org", "password": "",
                "first_name": "Анна", "last_name": "Петрова"
            })),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    let errors = reply.body["errors"].as_array().unwrap();
    let password = errors.iter().find(|e| e["field"] == "password").unwrap();
    assert_eq!(password["message"], "is required", "{errors:?}");
}
