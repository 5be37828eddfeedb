//! Fixtures: an app serving auth + inventory + schedule, and short ways to make venues, events,
//! items and performances (the performances function's table, written directly).

use serde_json::{Value, json};
use testkit::{Reply, StatusCode, TestApp, TestOptions, TestUser, spawn_app_with};
use uuid::Uuid;

/// Auth, inventory and schedule on port 0 with a fresh database.
pub async fn spawn() -> TestApp {
    spawn_app_with(TestOptions::default(), |s| {
        inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        })
        .merge(schedule::router(schedule::ScheduleState::new(
            s.ctx.clone(),
        )))
    })
    .await
}

/// The id of a venue by code (seeded or created).
pub async fn venue(app: &TestApp, user: &TestUser, code: &str) -> String {
    let list = app
        .get("/api/v1/schedule/venues?limit=200", &user.token)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|v| v["code"] == code)
        .unwrap_or_else(|| panic!("venue {code}"))["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// A new venue with these buffers.
pub async fn new_venue(app: &TestApp, user: &TestUser, setup: i32, strike: i32) -> String {
    let code = format!("v-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let reply = app
        .post(
            "/api/v1/schedule/venues",
            &user.token,
            json!({"code": code, "name": "Малая сцена", "kind": "small_stage", "capacity": 120,
                   "setup_minutes": setup, "strike_minutes": strike}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

/// Posts an event in `venue` from `start` to `end` (RFC 3339), merging `extra`.
pub async fn post_event(
    app: &TestApp,
    user: &TestUser,
    venue: &str,
    start: &str,
    end: &str,
    extra: Value,
) -> Reply {
    let mut body = json!({"kind": "rehearsal", "title": "Репетиция", "venue_id": venue,
                          "starts_at": start, "ends_at": end});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.post("/api/v1/schedule/events", &user.token, body).await
}

/// [`post_event`] that must succeed; the event's id.
pub async fn event(app: &TestApp, user: &TestUser, venue: &str, start: &str, end: &str) -> String {
    let reply = post_event(app, user, venue, start, end, json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

/// An inventory item (props category, main warehouse) with `quantity`.
pub async fn item(app: &TestApp, user: &TestUser, name: &str, quantity: i32) -> String {
    let item = app
        .props_item(user, json!({"name": name, "quantity": quantity}))
        .await;
    item["id"].as_str().unwrap().to_string()
}

/// A performance of `user`'s theatre with this kit list `(item, quantity)`, written straight
/// into the performances tables (V6).
pub async fn performance(
    app: &TestApp,
    user: &TestUser,
    title: &str,
    kit: &[(&str, i32)],
) -> String {
    let db = app.db().await;
    let id = Uuid::now_v7();
    db.execute(
        "INSERT INTO performances (id, theater_id, title) VALUES ($1, $2, $3)",
        &[&id, &user.theater_id, &title],
    )
    .await
    .expect("performance");
    for (item, quantity) in kit {
        let item: Uuid = item.parse().unwrap();
        db.execute(
            "INSERT INTO performance_kit_items (id, theater_id, performance_id, item_id, quantity)
             VALUES ($1, $2, $3, $4, $5)",
            &[&Uuid::now_v7(), &user.theater_id, &id, &item, quantity],
        )
        .await
        .expect("kit line");
    }
    id.to_string()
}

/// Sets the theatre's time zone.
pub async fn set_zone(app: &TestApp, user: &TestUser, zone: &str) {
    app.db()
        .await
        .execute(
            "UPDATE theaters SET timezone = $2 WHERE id = $1",
            &[&user.theater_id, &zone],
        )
        .await
        .expect("zone");
}

/// The ids listed in a 409's `conflicts`.
pub fn conflict_ids(reply: &Reply) -> Vec<String> {
    reply.body["conflicts"]
        .as_array()
        .unwrap_or_else(|| panic!("conflicts in {:?}", reply.body))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// The stored rule of series `id`, if the series still exists.
pub async fn stored_rule(app: &TestApp, id: &str) -> Option<String> {
    let id: Uuid = id.parse().expect("series id");
    app.db()
        .await
        .query_opt("SELECT rrule FROM event_series WHERE id = $1", &[&id])
        .await
        .expect("series")
        .map(|r| r.get(0))
}
