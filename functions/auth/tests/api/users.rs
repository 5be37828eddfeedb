use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser, spawn_app};

async fn role_id(app: &TestApp, admin: &TestUser, code: &str) -> Value {
    let roles = app.get("/api/v1/roles?limit=200", &admin.token).await;
    roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap()["id"]
        .clone()
}

#[tokio::test]
async fn an_admin_creates_lists_reads_and_updates_users() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let viewer = role_id(&app, &admin, "viewer").await;
    let created = app
        .post(
            "/api/v1/users",
            &admin.token,
            json!({"email": "Props@Example.org", "password": "props password", "first_name": "Олег",
                   "last_name": "Борисов", "position": "Реквизитор", "role_ids": [viewer]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "props@example.org");
    assert_eq!(created.body["roles"][0]["code"], "viewer");
    assert_eq!(created.header("etag"), Some("\"1\""));
    let id = created.body["id"].as_str().unwrap();

    let listed = app.get("/api/v1/users?q=борис", &admin.token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["id"], id);

    let updated = app
        .call_with(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&admin.token),
            Some(json!({"phone": "+7 900 000-00-00", "position": null})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["phone"], "+7 900 000-00-00");
    assert_eq!(updated.body["position"], Value::Null);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let path = format!("/api/v1/users/{}", admin.user_id);
    let first = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"first_name": "Мария"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"first_name": "Ольга"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        stale.header("content-type"),
        Some("application/problem+json")
    );
    let now = app.get(&path, &admin.token).await;
    assert_eq!(now.body["first_name"], "Мария");
    let garbage = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"first_name": "X"})),
            &[("if-match", "soon")],
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn creating_a_user_with_a_taken_email_is_409_and_bad_fields_are_422() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let dup = app
        .post("/api/v1/users", &admin.token, json!({"email": admin.email.to_uppercase(), "password": "long password", "first_name": "A", "last_name": "B"}))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.body["field"], "email");
    let bad = app
        .post(
            "/api/v1/users",
            &admin.token,
            json!({"email": "nope", "password": "1", "first_name": "", "last_name": "B"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "first_name"]);
}

#[tokio::test]
async fn users_without_the_permission_get_403() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let checks = [
        ("GET", "/api/v1/users".to_string(), None),
        (
            "POST",
            "/api/v1/users".to_string(),
            Some(
                json!({"email": "x@example.org", "password": "long password", "first_name": "A", "last_name": "B"}),
            ),
        ),
        (
            "PATCH",
            format!("/api/v1/users/{}", admin.user_id),
            Some(json!({"first_name": "X"})),
        ),
        ("DELETE", format!("/api/v1/users/{}", admin.user_id), None),
        (
            "PUT",
            format!("/api/v1/users/{}/roles", admin.user_id),
            Some(json!({"role_ids": []})),
        ),
        (
            "PUT",
            format!("/api/v1/users/{}/departments", admin.user_id),
            Some(json!({"department_ids": []})),
        ),
        (
            "POST",
            format!("/api/v1/users/{}/password", admin.user_id),
            Some(json!({"new_password": "long password"})),
        ),
        ("GET", "/api/v1/roles".to_string(), None),
        (
            "POST",
            "/api/v1/roles".to_string(),
            Some(json!({"code": "x_y", "name": "X", "permissions": []})),
        ),
        (
            "POST",
            "/api/v1/departments".to_string(),
            Some(json!({"code": "x-y", "name": "X"})),
        ),
        (
            "PATCH",
            "/api/v1/theater".to_string(),
            Some(json!({"name": "X"})),
        ),
        ("GET", "/api/v1/audit".to_string(), None),
    ];
    for (method, path, body) in checks {
        let reply = app.call(method, &path, Some(&performer.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            reply.body
        );
        assert!(reply.body["required_permission"].is_string());
    }
    // Everyone may read their own profile, the theatre and the departments.
    assert_eq!(
        app.get(
            &format!("/api/v1/users/{}", performer.user_id),
            &performer.token
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/theater", &performer.token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/departments", &performer.token)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn nobody_can_grant_permissions_they_do_not_hold() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let sysadmin = app.user_with_roles(&admin, &["sysadmin"]).await;
    let admin_role = role_id(&app, &admin, "admin").await;

    let escalate = app
        .put(
            &format!("/api/v1/users/{}/roles", sysadmin.user_id),
            &sysadmin.token,
            json!({"role_ids": [admin_role]}),
        )
        .await;
    assert_eq!(escalate.status, StatusCode::FORBIDDEN);
    let role = app
        .post(
            "/api/v1/roles",
            &sysadmin.token,
            json!({"code": "super", "name": "Супер", "permissions": ["admin:full"]}),
        )
        .await;
    assert_eq!(role.status, StatusCode::FORBIDDEN);
    let sneaky = app
        .post("/api/v1/users", &sysadmin.token, json!({"email": "new@example.org", "password": "long password", "first_name": "A", "last_name": "B", "role_ids": [admin_role]}))
        .await;
    assert_eq!(sneaky.status, StatusCode::FORBIDDEN);
    // Nor act on someone who holds more than they do.
    let deactivate_admin = app
        .delete(&format!("/api/v1/users/{}", admin.user_id), &sysadmin.token)
        .await;
    assert_eq!(deactivate_admin.status, StatusCode::FORBIDDEN);
    let reset_admin = app
        .post(
            &format!("/api/v1/users/{}/password", admin.user_id),
            &sysadmin.token,
            json!({"new_password": "taken over!"}),
        )
        .await;
    assert_eq!(reset_admin.status, StatusCode::FORBIDDEN);
    // Within their own powers they can act.
    let viewer = role_id(&app, &admin, "viewer").await;
    let fine = app
        .post("/api/v1/users", &sysadmin.token, json!({"email": "viewer@example.org", "password": "long password", "first_name": "A", "last_name": "B", "role_ids": [viewer]}))
        .await;
    assert_eq!(fine.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_last_administrator_cannot_be_removed_or_deactivate_themselves() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let viewer = role_id(&app, &admin, "viewer").await;
    let demote = app
        .put(
            &format!("/api/v1/users/{}/roles", admin.user_id),
            &admin.token,
            json!({"role_ids": [viewer]}),
        )
        .await;
    assert_eq!(demote.status, StatusCode::CONFLICT);
    let myself = app
        .delete(&format!("/api/v1/users/{}", admin.user_id), &admin.token)
        .await;
    assert_eq!(myself.status, StatusCode::CONFLICT);
    let me = app.get("/api/v1/auth/me", &admin.token).await;
    assert_eq!(me.body["roles"][0]["code"], "admin");

    // With a second admin the first may step down.
    let second = app.user_with_roles(&admin, &["admin"]).await;
    let demote = app
        .put(
            &format!("/api/v1/users/{}/roles", admin.user_id),
            &second.token,
            json!({"role_ids": [viewer]}),
        )
        .await;
    assert_eq!(demote.status, StatusCode::OK);
}

#[tokio::test]
async fn role_changes_take_effect_at_once_and_after_refresh() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let user = app.user_with_roles(&admin, &["viewer"]).await;
    let director = role_id(&app, &admin, "director").await;
    let set = app
        .put(
            &format!("/api/v1/users/{}/roles", user.user_id),
            &admin.token,
            json!({"role_ids": [director]}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    // The old token carried the old permissions: it is ended.
    assert_eq!(
        app.get("/api/v1/auth/me", &user.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let refreshed = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh_token})),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK);
    let token = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/audit", token).await.status,
        StatusCode::OK,
        "director has audit:view"
    );
}

#[tokio::test]
async fn users_join_departments_and_lists_filter_and_page() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let departments = app.get("/api/v1/departments", &admin.token).await;
    let props = departments.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "props")
        .unwrap()["id"]
        .clone();
    let mut ids = Vec::new();
    for i in 0..5 {
        let u = app
            .post("/api/v1/users", &admin.token, json!({"email": format!("u{i}@example.org"), "password": "long password", "first_name": "Имя", "last_name": format!("Фамилия{i}")}))
            .await;
        ids.push(u.body["id"].as_str().unwrap().to_string());
    }
    let joined = app
        .put(
            &format!("/api/v1/users/{}/departments", ids[2]),
            &admin.token,
            json!({"department_ids": [props]}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK);
    assert_eq!(joined.body["departments"][0]["code"], "props");

    let in_props = app
        .get(
            &format!("/api/v1/users?department_id={}", props.as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(in_props.body["items"].as_array().unwrap().len(), 1);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
            None => "/api/v1/users?limit=2".into(),
        };
        let page = app.get(&path, &admin.token).await;
        assert_eq!(page.status, StatusCode::OK);
        for u in page.body["items"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "five users and the admin, each once");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6);

    let unknown = app
        .put(
            &format!("/api/v1/users/{}/departments", ids[0]),
            &admin.token,
            json!({"department_ids": [uuid::Uuid::new_v4()]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_admin_resets_a_password_and_the_users_sessions_end() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let user = app.user_with_roles(&admin, &["viewer"]).await;
    let reset = app
        .post(
            &format!("/api/v1/users/{}/password", user.user_id),
            &admin.token,
            json!({"new_password": "fresh password 1"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", &user.token).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login(&user.email, "fresh password 1").await;
}
