use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{new_venue, spawn, venue};

#[tokio::test]
async fn every_theatre_gets_the_seeded_venues() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let list = app.get("/api/v1/schedule/venues", &admin.token).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.body["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|v| v["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["main-stage", "rehearsal-hall", "warehouse", "workshop"]
    );
    let main = items.iter().find(|v| v["code"] == "main-stage").unwrap();
    assert_eq!(main["capacity"], 500);
    assert_eq!(main["kind"], "main_stage");
    let hall = items
        .iter()
        .find(|v| v["code"] == "rehearsal-hall")
        .unwrap();
    assert_eq!(hall["capacity"], 50);
}

#[tokio::test]
async fn a_venue_is_created_updated_with_if_match_and_deleted() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let id = new_venue(&app, &admin, 30, 15).await;
    let path = format!("/api/v1/schedule/venues/{id}");
    let got = app.get(&path, &admin.token).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body["setup_minutes"], 30);
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"capacity": 80})),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let updated = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"capacity": 80, "is_active": false})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["capacity"], 80);
    assert_eq!(updated.body["is_active"], false);
    assert_eq!(updated.body["version"], 2);
    let invalid = app
        .post(
            "/api/v1/schedule/venues",
            &admin.token,
            json!({"code": "X", "name": "", "kind": "moon", "setup_minutes": -1}),
        )
        .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        invalid.body
    );
    let dup = app
        .post(
            "/api/v1/schedule/venues",
            &admin.token,
            json!({"code": "main-stage", "name": "Ещё", "kind": "other"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(
        app.delete(&path, &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, &admin.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count(admin.theater_id, "venue.update").await, 1);
    assert_eq!(app.audit_count(admin.theater_id, "venue.delete").await, 1);
}

#[tokio::test]
async fn venues_are_tenant_scoped_and_editing_needs_schedule_edit() {
    let app = spawn().await;
    let a = app.new_theater().await;
    let b = app.new_theater().await;
    let stage = venue(&app, &a, "main-stage").await;
    let path = format!("/api/v1/schedule/venues/{stage}");
    assert_eq!(app.get(&path, &b.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&path, &b.token, json!({"capacity": 1}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &b.token).await.status,
        StatusCode::NOT_FOUND
    );
    let performer = app.user_with_roles(&a, &["performer"]).await;
    assert_eq!(
        app.get(&path, &performer.token).await.status,
        StatusCode::OK
    );
    let denied = app
        .patch(&path, &performer.token, json!({"capacity": 1}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.body["required_permission"], "schedule:edit");
    let accountant = app.user_with_roles(&a, &["accountant"]).await;
    assert_eq!(
        app.get(&path, &accountant.token).await.status,
        StatusCode::FORBIDDEN
    );
}
