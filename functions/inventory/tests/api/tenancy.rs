//! Another theatre's ids are 404 on every endpoint; a missing permission is a 403.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{category, item, location, spawn};

#[tokio::test]
async fn another_theatres_admin_gets_404_on_every_endpoint() {
    let app = spawn().await;
    let owner = app.new_theater().await;
    let stranger = app.new_theater().await;
    let thing = item(&app, &owner, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let props = category(&app, &owner, "props").await;
    let stage = location(&app, &owner, "stage").await;
    let their_stage = location(&app, &stranger, "stage").await;

    let cases: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", format!("/api/v1/inventory/items/{id}"), None),
        (
            "PATCH",
            format!("/api/v1/inventory/items/{id}"),
            Some(json!({ "name": "x" })),
        ),
        ("DELETE", format!("/api/v1/inventory/items/{id}"), None),
        (
            "GET",
            format!("/api/v1/inventory/items/{id}/movements"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/inventory/items/{id}/movements"),
            Some(json!({ "kind": "transfer", "to_location_id": their_stage })),
        ),
        ("GET", format!("/api/v1/inventory/categories/{props}"), None),
        (
            "PATCH",
            format!("/api/v1/inventory/categories/{props}"),
            Some(json!({ "name": "x" })),
        ),
        (
            "DELETE",
            format!("/api/v1/inventory/categories/{props}"),
            None,
        ),
        ("GET", format!("/api/v1/inventory/locations/{stage}"), None),
        ("GET", format!("/api/v1/inventory/items/{id}/photos"), None),
        ("GET", format!("/api/v1/inventory/items/{id}/qr.svg"), None),
        ("GET", format!("/api/v1/inventory/items/{id}/qr.png"), None),
        (
            "POST",
            "/api/v1/inventory/items/labels".to_string(),
            Some(json!({ "ids": [id] })),
        ),
        (
            "PATCH",
            format!("/api/v1/inventory/locations/{stage}"),
            Some(json!({ "name": "x" })),
        ),
        (
            "DELETE",
            format!("/api/v1/inventory/locations/{stage}"),
            None,
        ),
    ];
    for (method, path, body) in cases {
        let reply = app.call(method, &path, Some(&stranger.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {:?}",
            reply.body
        );
    }

    // Their lists, journal and stats show nothing of ours.
    for path in [
        "/api/v1/inventory/items",
        "/api/v1/inventory/movements",
        "/api/v1/inventory/items/overdue",
    ] {
        let reply = app.get(path, &stranger.token).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["items"].as_array().unwrap().len(), 0, "{path}");
    }
    let stats = app.get("/api/v1/inventory/stats", &stranger.token).await;
    assert_eq!(stats.body["items"], 0);
    let by_our_category = app
        .get(
            &format!("/api/v1/inventory/items?category_id={props}"),
            &stranger.token,
        )
        .await;
    assert_eq!(by_our_category.body["items"].as_array().unwrap().len(), 0);

    // Our category and location cannot be used from their theatre.
    let mine = app
        .post(
            "/api/v1/inventory/items",
            &stranger.token,
            json!({ "name": "x", "category_id": props, "location_id": stage }),
        )
        .await;
    assert_eq!(mine.status, StatusCode::UNPROCESSABLE_ENTITY);
    let their_props = category(&app, &stranger, "props").await;
    let parent = app
        .post(
            "/api/v1/inventory/categories",
            &stranger.token,
            json!({ "code": "sub", "name": "x", "parent_id": props }),
        )
        .await;
    assert_eq!(parent.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = their_props;

    // Nothing changed for the owner.
    let still = app
        .get(&format!("/api/v1/inventory/items/{id}"), &owner.token)
        .await;
    assert_eq!(still.body["version"], 1);
}

#[tokio::test]
async fn a_viewer_may_look_but_not_change() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let props = category(&app, &admin, "props").await;
    let stage = location(&app, &admin, "stage").await;

    for path in [
        format!("/api/v1/inventory/items/{id}"),
        "/api/v1/inventory/items".to_string(),
        format!("/api/v1/inventory/items/{id}/movements"),
        "/api/v1/inventory/movements".to_string(),
        "/api/v1/inventory/stats".to_string(),
        "/api/v1/inventory/items/overdue".to_string(),
        "/api/v1/inventory/items/export.csv".to_string(),
        format!("/api/v1/inventory/items/{id}/photos"),
        "/api/v1/inventory/categories".to_string(),
        "/api/v1/inventory/locations".to_string(),
    ] {
        assert_eq!(
            app.get(&path, &viewer.token).await.status,
            StatusCode::OK,
            "{path}"
        );
        let denied = app.get(&path, &performer.token).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(denied.body["required_permission"], "inventory:view");
    }

    let cases: Vec<(&str, String, Option<serde_json::Value>, &str)> = vec![
        (
            "POST",
            "/api/v1/inventory/items".into(),
            Some(json!({ "name": "x", "category_id": props })),
            "inventory:create",
        ),
        (
            "PATCH",
            format!("/api/v1/inventory/items/{id}"),
            Some(json!({ "name": "x" })),
            "inventory:edit",
        ),
        (
            "DELETE",
            format!("/api/v1/inventory/items/{id}"),
            None,
            "inventory:delete",
        ),
        (
            "POST",
            format!("/api/v1/inventory/items/{id}/movements"),
            Some(json!({ "kind": "transfer", "to_location_id": stage })),
            "inventory:edit",
        ),
        (
            "POST",
            format!("/api/v1/inventory/items/{id}/movements"),
            Some(json!({ "kind": "reserve" })),
            "inventory:reserve",
        ),
        (
            "POST",
            format!("/api/v1/inventory/items/{id}/movements"),
            Some(json!({ "kind": "write_off" })),
            "inventory:write_off",
        ),
        (
            "POST",
            "/api/v1/inventory/categories".into(),
            Some(json!({ "code": "x", "name": "x" })),
            "inventory:edit",
        ),
        (
            "PATCH",
            format!("/api/v1/inventory/categories/{props}"),
            Some(json!({ "name": "x" })),
            "inventory:edit",
        ),
        (
            "DELETE",
            format!("/api/v1/inventory/categories/{props}"),
            None,
            "inventory:edit",
        ),
        (
            "POST",
            "/api/v1/inventory/locations".into(),
            Some(json!({ "code": "x", "name": "x" })),
            "inventory:edit",
        ),
        (
            "PATCH",
            format!("/api/v1/inventory/locations/{stage}"),
            Some(json!({ "name": "x" })),
            "inventory:edit",
        ),
        (
            "DELETE",
            format!("/api/v1/inventory/locations/{stage}"),
            None,
            "inventory:edit",
        ),
    ];
    for (method, path, body, permission) in cases {
        let reply = app.call(method, &path, Some(&viewer.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["required_permission"], permission,
            "{method} {path}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/inventory/items/{id}"), &admin.token)
            .await
            .body["version"],
        1
    );
}

#[tokio::test]
async fn no_token_is_a_401() {
    let app = spawn().await;
    let reply = app.call("GET", "/api/v1/inventory/items", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
