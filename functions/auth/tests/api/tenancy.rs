//! Every user, role and department endpoint answers 404 for another theatre's ids, and lists
//! never show another theatre's rows.

use serde_json::json;
use testkit::{StatusCode, spawn_app};

#[tokio::test]
async fn another_theatres_users_roles_and_departments_are_404() {
    let app = spawn_app().await;
    let alpha = app.new_theater().await;
    let beta = app.new_theater().await;
    let alpha_user = app.user_with_roles(&alpha, &["viewer"]).await;
    let roles = app.get("/api/v1/roles?limit=200", &alpha.token).await;
    let alpha_role = roles.body["items"][0]["id"].as_str().unwrap().to_string();
    let deps = app.get("/api/v1/departments", &alpha.token).await;
    let alpha_dep = deps.body["items"][0]["id"].as_str().unwrap().to_string();
    let beta_roles = app.get("/api/v1/roles?limit=200", &beta.token).await;
    let beta_role = beta_roles.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let u = alpha_user.user_id;
    let checks = [
        ("GET", format!("/api/v1/users/{u}"), None),
        (
            "PATCH",
            format!("/api/v1/users/{u}"),
            Some(json!({"first_name": "X"})),
        ),
        ("DELETE", format!("/api/v1/users/{u}"), None),
        (
            "PUT",
            format!("/api/v1/users/{u}/roles"),
            Some(json!({"role_ids": [beta_role]})),
        ),
        (
            "PUT",
            format!("/api/v1/users/{u}/departments"),
            Some(json!({"department_ids": []})),
        ),
        (
            "POST",
            format!("/api/v1/users/{u}/password"),
            Some(json!({"new_password": "long password"})),
        ),
        ("GET", format!("/api/v1/roles/{alpha_role}"), None),
        (
            "PATCH",
            format!("/api/v1/roles/{alpha_role}"),
            Some(json!({"name": "X"})),
        ),
        ("DELETE", format!("/api/v1/roles/{alpha_role}"), None),
        ("GET", format!("/api/v1/departments/{alpha_dep}"), None),
        (
            "PATCH",
            format!("/api/v1/departments/{alpha_dep}"),
            Some(json!({"name": "X"})),
        ),
        ("DELETE", format!("/api/v1/departments/{alpha_dep}"), None),
    ];
    for (method, path, body) in checks {
        let reply = app.call(method, &path, Some(&beta.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {:?}",
            reply.body
        );
    }

    // Beta cannot hand one of its users alpha's role, nor alpha's department.
    let beta_user = app.user_with_roles(&beta, &["viewer"]).await;
    let cross_role = app
        .put(
            &format!("/api/v1/users/{}/roles", beta_user.user_id),
            &beta.token,
            json!({"role_ids": [alpha_role]}),
        )
        .await;
    assert_eq!(cross_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cross_dep = app
        .put(
            &format!("/api/v1/users/{}/departments", beta_user.user_id),
            &beta.token,
            json!({"department_ids": [alpha_dep]}),
        )
        .await;
    assert_eq!(cross_dep.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cross_head = app
        .post(
            "/api/v1/departments",
            &beta.token,
            json!({"code": "xx", "name": "X", "head_id": alpha.user_id}),
        )
        .await;
    assert_eq!(cross_head.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Lists and the audit log only show the caller's theatre.
    let users = app.get("/api/v1/users?limit=200", &beta.token).await;
    assert!(
        users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["theater_id"] == beta.theater_id.to_string())
    );
    let audit = app
        .get(
            &format!("/api/v1/audit?entity_id={}", alpha_user.user_id),
            &beta.token,
        )
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 0);
    let theater = app.get("/api/v1/theater", &beta.token).await;
    assert_eq!(theater.body["id"], beta.theater_id.to_string());
    // Alpha's data is untouched.
    let still = app.get(&format!("/api/v1/users/{u}"), &alpha.token).await;
    assert_eq!(still.body["first_name"], "Пётр");
    assert_eq!(still.body["is_active"], true);
}
