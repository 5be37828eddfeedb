//! Fixtures: an app serving auth + inventory, and short ways to make categories, locations and
//! items.

use serde_json::{Value, json};
use testkit::{Reply, StatusCode, TestApp, TestOptions, TestUser, spawn_app_with};

/// Auth plus inventory on port 0 with a fresh database and S3 store.
pub async fn spawn() -> TestApp {
    spawn_app_with(TestOptions::default(), |s| {
        inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        })
    })
    .await
}

/// The id of a seeded (or created) category by code.
pub async fn category(app: &TestApp, user: &TestUser, code: &str) -> String {
    node(app, user, "categories", code).await
}

/// The id of a seeded (or created) location by code.
pub async fn location(app: &TestApp, user: &TestUser, code: &str) -> String {
    node(app, user, "locations", code).await
}

async fn node(app: &TestApp, user: &TestUser, tree: &str, code: &str) -> String {
    app.inventory_node(user, tree, code).await
}

/// Creates a props item at the main warehouse with `extra` laid over it; panics unless 201.
pub async fn item(app: &TestApp, user: &TestUser, extra: Value) -> Value {
    let warehouse = location(app, user, "main-warehouse").await;
    let mut fields = json!({ "location_id": warehouse });
    if let (Some(b), Some(e)) = (fields.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.props_item(user, fields).await
}

/// Posts a movement of item `id`.
pub async fn movement(app: &TestApp, user: &TestUser, id: &str, body: Value) -> Reply {
    app.post(
        &format!("/api/v1/inventory/items/{id}/movements"),
        &user.token,
        body,
    )
    .await
}

/// The status of item `id` as the API reports it now.
pub async fn status_of(app: &TestApp, user: &TestUser, id: &str) -> String {
    let reply = app
        .get(&format!("/api/v1/inventory/items/{id}"), &user.token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["status"].as_str().expect("status").to_string()
}

/// An id that exists nowhere.
pub fn unknown_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
