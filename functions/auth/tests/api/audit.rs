use serde_json::json;
use testkit::{StatusCode, spawn_app};

#[tokio::test]
async fn every_mutation_writes_an_audit_row_with_its_diff() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let t = admin.theater_id;
    let user = app.user_with_roles(&admin, &["viewer"]).await;
    let u = user.user_id;
    app.patch(
        &format!("/api/v1/users/{u}"),
        &admin.token,
        json!({"first_name": "Фёдор"}),
    )
    .await;
    let roles = app.get("/api/v1/roles?limit=200", &admin.token).await;
    let producer = roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "producer")
        .unwrap()["id"]
        .clone();
    app.put(
        &format!("/api/v1/users/{u}/roles"),
        &admin.token,
        json!({"role_ids": [producer]}),
    )
    .await;
    let deps = app.get("/api/v1/departments", &admin.token).await;
    let dep = deps.body["items"][0]["id"].clone();
    app.put(
        &format!("/api/v1/users/{u}/departments"),
        &admin.token,
        json!({"department_ids": [dep]}),
    )
    .await;
    app.post(
        &format!("/api/v1/users/{u}/password"),
        &admin.token,
        json!({"new_password": "reset password"}),
    )
    .await;
    app.delete(&format!("/api/v1/users/{u}"), &admin.token)
        .await;
    let role = app
        .post(
            "/api/v1/roles",
            &admin.token,
            json!({"code": "tmp_role", "name": "Временная", "permissions": []}),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/roles/{role_id}"),
        &admin.token,
        json!({"name": "Переименована"}),
    )
    .await;
    app.delete(&format!("/api/v1/roles/{role_id}"), &admin.token)
        .await;
    let dep = app
        .post(
            "/api/v1/departments",
            &admin.token,
            json!({"code": "tmp", "name": "Временный"}),
        )
        .await;
    let dep_id = dep.body["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/departments/{dep_id}"),
        &admin.token,
        json!({"name": "Другой"}),
    )
    .await;
    app.delete(&format!("/api/v1/departments/{dep_id}"), &admin.token)
        .await;
    app.patch("/api/v1/theater", &admin.token, json!({"locale": "en"}))
        .await;
    app.post(
        "/api/v1/auth/password",
        &admin.token,
        json!({"current_password": admin.password, "new_password": "new admin password"}),
    )
    .await;

    for action in [
        "theater.register",
        "user.create",
        "user.update",
        "user.set_roles",
        "user.set_departments",
        "user.reset_password",
        "user.deactivate",
        "role.create",
        "role.update",
        "role.delete",
        "department.create",
        "department.update",
        "department.delete",
        "theater.update",
        "user.change_password",
    ] {
        assert!(
            app.audit_count(t, action).await >= 1,
            "no audit row for {action}"
        );
    }

    let admin = app.login(&admin.email, "new admin password").await;
    let trail = app
        .get(
            &format!("/api/v1/audit?entity_type=user&entity_id={u}"),
            &admin.token,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    let items = trail.body["items"].as_array().unwrap();
    let update = items.iter().find(|i| i["action"] == "user.update").unwrap();
    assert_eq!(
        update["changes"]["first_name"],
        json!({"from": "Пётр", "to": "Фёдор"})
    );
    assert_eq!(update["actor_id"], admin.user_id.to_string());
    assert!(update["request_id"].is_string());
    // Newest first.
    assert_eq!(items[0]["action"], "user.deactivate");
    let text = serde_json::to_string(&trail.body).unwrap();
    assert!(
        !text.contains("argon2"),
        "no password hash ever reaches the audit log"
    );
}

#[tokio::test]
async fn a_refused_change_writes_no_audit_row() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let before = app.audit_count(admin.theater_id, "user.update").await;
    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/users/{}", admin.user_id),
            Some(&admin.token),
            Some(json!({"first_name": "X"})),
            &[("if-match", "\"9\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.audit_count(admin.theater_id, "user.update").await,
        before
    );
}
