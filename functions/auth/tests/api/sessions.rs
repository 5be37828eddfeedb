use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::{StatusCode, TestOptions, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_registered_admin_can_log_in_and_see_themselves() {
    let app = spawn_app().await;
    let admin = app.register("Малый театр", "Director@Example.org").await;

    let me = app.get("/api/v1/auth/me", &admin.token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "director@example.org");
    assert_eq!(me.body["roles"][0]["code"], "admin");
    assert_eq!(me.body["permissions"], json!(["admin:full"]));
    assert!(me.body.get("password_hash").is_none());

    let again = app.login("DIRECTOR@example.org", &admin.password).await;
    assert_eq!(again.user_id, admin.user_id);
    assert_eq!(again.theater_id, admin.theater_id);
}

#[tokio::test]
async fn registration_returns_tokens_user_and_theater_and_seeds_roles_and_departments() {
    let app = spawn_app().await;
    let reply = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"theater_name": "Театр на Садовой", "email": "a@example.org",
                        "password": "long enough pw", "first_name": "Анна", "last_name": "Петрова"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.body["theater"]["name"], "Театр на Садовой");
    let token = reply.body["access_token"].as_str().unwrap();

    let roles = app.get("/api/v1/roles?limit=200", token).await;
    let mut codes: Vec<&str> = roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "accountant",
            "admin",
            "department_head",
            "director",
            "performer",
            "producer",
            "sysadmin",
            "tech_director",
            "viewer"
        ]
    );
    let departments = app.get("/api/v1/departments", token).await;
    let names: Vec<&str> = departments.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 7);
    assert!(names.contains(&"Реквизиторский"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401_in_similar_time() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let attempt = |email: String| {
        let app = &app;
        async move {
            let started = Instant::now();
            let reply = app
                .call(
                    "POST",
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"email": email, "password": "not the password"})),
                )
                .await;
            (reply, started.elapsed())
        }
    };
    let mut wrong_times = Vec::new();
    let mut unknown_times = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let (wrong, t1) = attempt(admin.email.clone()).await;
        let (unknown, t2) = attempt("nobody-here@example.org".into()).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        bodies.push((
            without_request_id(wrong.body),
            without_request_id(unknown.body),
        ));
        wrong_times.push(t1);
        unknown_times.push(t2);
    }
    for (wrong, unknown) in &bodies {
        assert_eq!(wrong, unknown, "the bodies must not tell the cases apart");
    }
    wrong_times.sort();
    unknown_times.sort();
    let (w, u) = (wrong_times[1].as_secs_f64(), unknown_times[1].as_secs_f64());
    // An unknown email still pays for one argon2 verification.
    assert!(
        u > w / 3.0 && u < w * 3.0,
        "median wrong password {w:.3}s vs unknown email {u:.3}s"
    );
}

fn without_request_id(mut body: Value) -> Value {
    body.as_object_mut().unwrap().remove("request_id");
    body
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;

    let first = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let rotated = first.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, admin.refresh_token);
    let new_access = first.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", new_access).await.status,
        StatusCode::OK
    );

    // Someone replays the old token: the family is revoked, the thief and the owner both lose it.
    let replay = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    let owner = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": rotated})),
        )
        .await;
    assert_eq!(owner.status, StatusCode::UNAUTHORIZED);

    // Another login (another family) is unaffected.
    let other = app.login(&admin.email, &admin.password).await;
    let ok = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": other.refresh_token})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401() {
    let app = spawn_app().await;
    let reply = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "made-up"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn logout_blacklists_the_access_token_and_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let out = app
        .post(
            "/api/v1/auth/logout",
            &admin.token,
            json!({"refresh_token": admin.refresh_token}),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);

    let me = app.get("/api/v1/auth/me", &admin.token).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(me.header("www-authenticate").unwrap().starts_with("Bearer"));
    let refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_without_a_body_ends_the_tokens_own_session() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let out = app
        .call("POST", "/api/v1/auth/logout", Some(&admin.token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_deactivated_user_is_locked_out_at_once() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let user = app.user_with_roles(&admin, &["viewer"]).await;
    assert_eq!(
        app.get("/api/v1/auth/me", &user.token).await.status,
        StatusCode::OK
    );

    let gone = app
        .delete(&format!("/api/v1/users/{}", user.user_id), &admin.token)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    assert_eq!(
        app.get("/api/v1/auth/me", &user.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": user.email, "password": user.password})),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh_token})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);

    // Reactivation lets them back in with their password.
    let back = app
        .patch(
            &format!("/api/v1/users/{}", user.user_id),
            &admin.token,
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK);
    app.login(&user.email, &user.password).await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_keeps_this_one() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let other_device = app.login(&admin.email, &admin.password).await;

    let changed = app
        .post(
            "/api/v1/auth/password",
            &admin.token,
            json!({"current_password": admin.password, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let fresh = changed.body["access_token"].as_str().unwrap();

    assert_eq!(
        app.get("/api/v1/auth/me", fresh).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &other_device.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other_refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": other_device.refresh_token})),
        )
        .await;
    assert_eq!(other_refresh.status, StatusCode::UNAUTHORIZED);
    // This session's refresh token still works and yields a token with the new session version.
    let this_refresh = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    assert_eq!(this_refresh.status, StatusCode::OK);

    app.login(&admin.email, "a brand new secret").await;
    let old = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": admin.email, "password": admin.password})),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let changed = app
        .post(
            "/api/v1/auth/password",
            &admin.token,
            json!({"current_password": "guess guess", "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changed.body["errors"][0]["field"], "current_password");
    app.login(&admin.email, &admin.password).await;
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_yield_one_201_and_409s() {
    // Above the per-account registration limit, which has its own test.
    let mut options = TestOptions::default();
    options.limits.register_per_account =
        shared::rate_limit::Limit::new(100, Duration::from_secs(3600));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let attempts = (0..8).map(|i| {
        app.call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(
                json!({"theater_name": format!("Театр {i}"), "email": "same@example.org",
                        "password": "long enough pw", "first_name": "А", "last_name": "Б"}),
            ),
        )
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (created, conflicts),
        (1, 7),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let theaters: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM theaters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(theaters, 1, "the losers' theatres were rolled back");
}

#[tokio::test]
async fn logins_are_rate_limited_per_account_with_retry_after() {
    let mut options = TestOptions::default();
    options.limits.login_per_account = shared::rate_limit::Limit::new(3, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let admin = app.new_theater().await;
    for _ in 0..3 {
        let r = app
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": admin.email, "password": "wrong wrong"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // A fourth guess from an address the account never signed in from waits.
    let limited = from_address("127.0.0.3")
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": admin.email, "password": "still wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let limited: Value = limited.json().await.unwrap();
    assert_eq!(limited["status"], 429);
}

#[tokio::test]
async fn registrations_are_rate_limited_per_ip() {
    let mut options = TestOptions::default();
    options.limits.register_per_ip = shared::rate_limit::Limit::new(2, Duration::from_secs(3600));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    app.new_theater().await;
    app.new_theater().await;
    let third = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"theater_name": "T", "email": "third@example.org",
              "password": "long enough pw", "first_name": "А", "last_name": "Б"})),
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.header("retry-after").is_some());
}

#[tokio::test]
async fn registrations_of_one_email_are_rate_limited_from_any_ip() {
    let mut options = TestOptions::default();
    options.limits.register_per_account =
        shared::rate_limit::Limit::new(2, Duration::from_secs(3600));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let body = json!({"theater_name": "T", "email": "Target@Example.org", "password": "long enough pw",
                      "first_name": "А", "last_name": "Б"});
    let first = app
        .call("POST", "/api/v1/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = app
        .call("POST", "/api/v1/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let mut shouted = body.clone();
    shouted["email"] = json!("TARGET@example.org");
    let third = app
        .call("POST", "/api/v1/auth/register", None, Some(shouted))
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn refreshes_are_rate_limited_per_ip() {
    let mut options = TestOptions::default();
    options.limits.refresh_per_ip = shared::rate_limit::Limit::new(2, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    for _ in 0..2 {
        let r = app
            .call(
                "POST",
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn invalid_registrations_list_every_bad_field_and_create_nothing() {
    let app = spawn_app().await;
    let reply = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"theater_name": " ", "email": "not-an-email", "password": "short"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let mut fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "email",
            "first_name",
            "last_name",
            "password",
            "theater_name"
        ]
    );
    let theaters: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM theaters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(theaters, 0);
}

/// A client connecting from another loopback address (an "unknown" place for an account).
fn from_address(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_locked_account_still_lets_its_owner_in_from_a_known_address_only() {
    let mut options = TestOptions::default();
    options.limits.login_per_account = shared::rate_limit::Limit::new(3, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let admin = app.new_theater().await; // registered from 127.0.0.1
    let elsewhere = from_address("127.0.0.2");
    for _ in 0..3 {
        let r = elsewhere
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": admin.email, "password": "attacker guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The attacker's address, even with the right password, waits.
    let r = elsewhere
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": admin.email, "password": admin.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner, from where they signed in before, is not locked out.
    let owner = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": admin.email, "password": admin.password})),
        )
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{:?}", owner.body);
}

#[tokio::test]
async fn correct_passwords_never_count_towards_the_account_lock() {
    let mut options = TestOptions::default();
    options.limits.login_per_account = shared::rate_limit::Limit::new(2, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let admin = app.new_theater().await;
    for _ in 0..4 {
        app.login(&admin.email, &admin.password).await;
    }
}

#[tokio::test]
async fn wrong_current_passwords_are_rate_limited() {
    let mut options = TestOptions::default();
    options.limits.password_per_account =
        shared::rate_limit::Limit::new(2, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let admin = app.new_theater().await;
    let attempt = |current: &str| json!({"current_password": current, "new_password": "a completely new one"});
    for _ in 0..2 {
        let r = app
            .post(
                "/api/v1/auth/password",
                &admin.token,
                attempt("guess guess"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app
        .post(
            "/api/v1/auth/password",
            &admin.token,
            attempt("guess guess"),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
}

#[tokio::test]
async fn rate_limit_keys_are_bounded_whatever_the_email() {
    let app = spawn_app().await;
    let huge = format!("{}@example.org", "a".repeat(100_000));
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": huge, "password": "whatever you like"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "Someone@Example.org", "password": "whatever you like"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let client = redis::Client::open(testkit::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.len() < 200, "{key}");
        assert!(!key.to_lowercase().contains("someone"), "{key}");
    }
}
