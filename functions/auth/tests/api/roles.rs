use serde_json::json;
use testkit::{StatusCode, spawn_app};

#[tokio::test]
async fn roles_are_created_edited_and_deleted_with_known_permissions_only() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let created = app
        .post("/api/v1/roles", &admin.token, json!({"code": "stage_manager", "name": "Помреж", "permissions": ["schedule:view", "schedule:edit"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();

    let unknown = app
        .post("/api/v1/roles", &admin.token, json!({"code": "bad_role", "name": "Bad", "permissions": ["schedule:view", "inventory:fly"]}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["errors"][0]["field"], "permissions[1]");

    let dup = app
        .post(
            "/api/v1/roles",
            &admin.token,
            json!({"code": "stage_manager", "name": "Dup", "permissions": []}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);

    let patched = app
        .call_with(
            "PATCH",
            &format!("/api/v1/roles/{id}"),
            Some(&admin.token),
            Some(json!({"permissions": ["schedule:view"], "description": "Ведёт спектакль"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["permissions"], json!(["schedule:view"]));
    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/roles/{id}"),
            Some(&admin.token),
            Some(json!({"name": "X"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let bad_patch = app
        .patch(
            &format!("/api/v1/roles/{id}"),
            &admin.token,
            json!({"permissions": ["nope"]}),
        )
        .await;
    assert_eq!(bad_patch.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.delete(&format!("/api/v1/roles/{id}"), &admin.token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/roles/{id}"), &admin.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_admin_role_keeps_admin_full_and_held_roles_cannot_be_deleted() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let roles = app.get("/api/v1/roles?limit=200", &admin.token).await;
    let find = |code: &str| {
        roles.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let admin_role = find("admin");
    let strip = app
        .patch(
            &format!("/api/v1/roles/{admin_role}"),
            &admin.token,
            json!({"permissions": ["users:view"]}),
        )
        .await;
    assert_eq!(strip.status, StatusCode::CONFLICT);
    assert_eq!(
        app.delete(&format!("/api/v1/roles/{admin_role}"), &admin.token)
            .await
            .status,
        StatusCode::CONFLICT
    );

    app.user_with_roles(&admin, &["viewer"]).await;
    let held = app
        .delete(&format!("/api/v1/roles/{}", find("viewer")), &admin.token)
        .await;
    assert_eq!(held.status, StatusCode::CONFLICT);
    assert_eq!(held.body["user_count"], 1);
}

#[tokio::test]
async fn changing_a_roles_permissions_ends_its_holders_sessions() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let user = app.user_with_roles(&admin, &["viewer"]).await;
    let roles = app.get("/api/v1/roles?limit=200", &admin.token).await;
    let viewer = roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "viewer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let renamed = app
        .patch(
            &format!("/api/v1/roles/{viewer}"),
            &admin.token,
            json!({"name": "Зритель"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/auth/me", &user.token).await.status,
        StatusCode::OK,
        "a rename changes no permission"
    );
    let widened = app
        .patch(
            &format!("/api/v1/roles/{viewer}"),
            &admin.token,
            json!({"permissions": ["inventory:view", "users:view"]}),
        )
        .await;
    assert_eq!(widened.status, StatusCode::OK);
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
    let token = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/users", token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn departments_get_heads_and_are_soft_deleted() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let created = app
        .post(
            "/api/v1/departments",
            &admin.token,
            json!({"code": "pyro", "name": "Пиротехнический", "head_id": admin.user_id}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["head_id"], admin.user_id.to_string());

    let foreign_head = app
        .patch(
            &format!("/api/v1/departments/{id}"),
            &admin.token,
            json!({"head_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(foreign_head.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign_head.body["errors"][0]["field"], "head_id");
    let cleared = app
        .patch(
            &format!("/api/v1/departments/{id}"),
            &admin.token,
            json!({"head_id": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.body["head_id"].is_null());

    let dup = app
        .post(
            "/api/v1/departments",
            &admin.token,
            json!({"code": "pyro", "name": "Ещё"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(
        app.delete(&format!("/api/v1/departments/{id}"), &admin.token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/departments/{id}"), &admin.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let again = app
        .post(
            "/api/v1/departments",
            &admin.token,
            json!({"code": "pyro", "name": "Новый"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "the code is free after deletion"
    );
}

#[tokio::test]
async fn theatre_settings_are_read_and_changed_with_optimistic_concurrency() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let theater = app.get("/api/v1/theater", &admin.token).await;
    assert_eq!(theater.body["timezone"], "Europe/Moscow");
    let changed = app
        .call_with("PATCH", "/api/v1/theater", Some(&admin.token), Some(json!({"name": "Новое имя", "timezone": "Asia/Yekaterinburg", "settings": {"label_size": "A4-24"}})), &[("if-match", "\"1\"")])
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["settings"]["label_size"], "A4-24");
    let stale = app
        .call_with(
            "PATCH",
            "/api/v1/theater",
            Some(&admin.token),
            Some(json!({"name": "Другое"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let invalid = app
        .patch(
            "/api/v1/theater",
            &admin.token,
            json!({"timezone": "not a zone", "locale": "fr", "settings": [1]}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.body["errors"].as_array().unwrap().len(), 3);
}
