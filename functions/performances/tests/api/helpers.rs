//! Fixtures: the app with the performances Router (auth issues the tokens), performances made
//! through the API, and uploads through the presigned URL exactly as a client does.

use performances::{ImageLimits, PerformancesState};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestOptions, TestUser};

/// Serves auth + performances (+ inventory, for kit lists) on port 0.
pub async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        performances::router(PerformancesState::new(
            s.ctx.clone(),
            s.storage.clone(),
            ImageLimits::default(),
        ))
        .merge(inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        }))
    })
    .await
}

/// Creates a performance with `extra` fields and returns its body.
pub async fn create(app: &TestApp, user: &TestUser, extra: Value) -> Value {
    let mut body = json!({ "title": "Чайка", "author": "А. П. Чехов" });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let reply = app.post("/api/v1/performances", &user.token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The ids of a list reply's items.
pub fn ids(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect()
}

/// `POST /{id}/status` → the reply.
pub async fn move_to(app: &TestApp, user: &TestUser, id: &str, status: &str) -> testkit::Reply {
    app.post(
        &format!("/api/v1/performances/{id}/status"),
        &user.token,
        json!({ "status": status }),
    )
    .await
}
