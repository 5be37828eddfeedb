use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{category, item, location, movement, spawn, status_of, unknown_id};

#[tokio::test]
async fn a_bulk_transfer_moves_every_item_or_none() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = location(&app, &admin, "stage").await;
    let a = item(&app, &admin, json!({ "name": "Стол" })).await;
    let b = item(&app, &admin, json!({ "name": "Стул" })).await;
    let issued = item(&app, &admin, json!({ "name": "Лампа" })).await;
    movement(
        &app,
        &admin,
        issued["id"].as_str().unwrap(),
        json!({ "kind": "issue", "holder_user_id": admin.user_id }),
    )
    .await;
    let ids = json!([a["id"], b["id"], issued["id"], unknown_id()]);

    let refused = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "movement",
                    "movement": { "kind": "transfer", "to_location_id": stage } }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    let results = refused.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[2]["status"], 409);
    assert_eq!(results[2]["current_status"], "in_use");
    assert_eq!(
        results[3]["status"], 404,
        "a bad id is a per-item 404, not a 500"
    );
    // Nothing moved.
    let still = app
        .get(
            &format!("/api/v1/inventory/items/{}", a["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_ne!(still.body["location_id"], stage.as_str());

    let per_item = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "movement", "per_item": true,
                    "movement": { "kind": "transfer", "to_location_id": stage } }),
        )
        .await;
    assert_eq!(per_item.status, StatusCode::OK, "{:?}", per_item.body);
    assert_eq!(per_item.body["succeeded"], 2);
    assert_eq!(per_item.body["failed"], 2);
    let moved = app
        .get(
            &format!("/api/v1/inventory/items/{}", b["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(moved.body["location_id"], stage.as_str());
}

#[tokio::test]
async fn bulk_tags_category_reserve_and_delete() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let a = item(&app, &admin, json!({ "tags": ["старое"] })).await;
    let b = item(&app, &admin, json!({})).await;
    let ids = json!([a["id"], b["id"]]);
    let tagged = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "add_tags", "tags": ["Гастроли"] }),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{:?}", tagged.body);
    let on_tour = app
        .get("/api/v1/inventory/items?tag=гастроли", &admin.token)
        .await;
    assert_eq!(on_tour.body["items"].as_array().unwrap().len(), 2);
    app.post(
        "/api/v1/inventory/items/bulk",
        &admin.token,
        json!({ "ids": ids, "action": "remove_tags", "tags": ["старое"] }),
    )
    .await;
    let a_now = app
        .get(
            &format!("/api/v1/inventory/items/{}", a["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(a_now.body["tags"], json!(["гастроли"]));

    let furniture = category(&app, &admin, "furniture").await;
    let moved = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "set_category", "category_id": furniture }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(
        app.get(
            &format!("/api/v1/inventory/items?category_id={furniture}"),
            &admin.token
        )
        .await
        .body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let reserved = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "movement", "movement": { "kind": "reserve" } }),
        )
        .await;
    assert_eq!(reserved.status, StatusCode::OK);
    assert_eq!(
        status_of(&app, &admin, a["id"].as_str().unwrap()).await,
        "reserved"
    );

    // Reserved items cannot be deleted: all or nothing keeps both.
    let delete = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "delete" }),
        )
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    app.post(
        "/api/v1/inventory/items/bulk",
        &admin.token,
        json!({ "ids": ids, "action": "movement", "movement": { "kind": "release" } }),
    )
    .await;
    let delete = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ids, "action": "delete" }),
        )
        .await;
    assert_eq!(delete.status, StatusCode::OK, "{:?}", delete.body);
    assert_eq!(
        app.get("/api/v1/inventory/items", &admin.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn bulk_requests_are_validated_and_permission_checked() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let a = item(&app, &admin, json!({})).await;
    let bad_id = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": ["not-a-uuid"], "action": "delete" }),
        )
        .await;
    assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_action = app
        .post(
            "/api/v1/inventory/items/bulk",
            &admin.token,
            json!({ "ids": [a["id"]], "action": "paint" }),
        )
        .await;
    assert_eq!(bad_action.status, StatusCode::UNPROCESSABLE_ENTITY);
    let denied = app
        .post(
            "/api/v1/inventory/items/bulk",
            &viewer.token,
            json!({ "ids": [a["id"]], "action": "delete" }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.body["required_permission"], "inventory:delete");

    // Another theatre's ids are just "not found" items.
    let stranger = app.new_theater().await;
    let foreign = app
        .post(
            "/api/v1/inventory/items/bulk",
            &stranger.token,
            json!({ "ids": [a["id"]], "action": "delete", "per_item": true }),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::OK);
    assert_eq!(foreign.body["results"][0]["status"], 404);
    assert_eq!(
        status_of(&app, &admin, a["id"].as_str().unwrap()).await,
        "in_stock"
    );
}
