use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{item, location, movement, spawn, status_of};

const KINDS: [&str; 8] = [
    "transfer",
    "reserve",
    "release",
    "issue",
    "return",
    "repair_start",
    "repair_end",
    "write_off",
];

/// DOMAIN.md's transitions: (status, kind) → the status after, for every allowed pair.
fn allowed(status: &str, kind: &str) -> Option<&'static str> {
    match (kind, status) {
        ("reserve", "in_stock") => Some("reserved"),
        ("release", "reserved") => Some("in_stock"),
        ("issue", "in_stock" | "reserved") => Some("in_use"),
        ("return", "in_use") => Some("in_stock"),
        ("repair_start", "in_stock") => Some("in_repair"),
        ("repair_end", "in_repair") => Some("in_stock"),
        ("transfer", "written_off" | "in_use") => None,
        ("transfer", "in_stock") => Some("in_stock"),
        ("transfer", "reserved") => Some("reserved"),
        ("transfer", "in_repair") => Some("in_repair"),
        ("transfer", "on_tour") => Some("on_tour"),
        ("write_off", "written_off") => None,
        ("write_off", _) => Some("written_off"),
        _ => None,
    }
}

fn body_for(kind: &str, holder: &TestUser, stage: &str) -> Value {
    match kind {
        "transfer" => json!({ "kind": kind, "to_location_id": stage }),
        "issue" | "reserve" => json!({ "kind": kind, "holder_user_id": holder.user_id }),
        _ => json!({ "kind": kind }),
    }
}

/// A fresh item brought into `status`.
async fn item_in(app: &TestApp, admin: &TestUser, status: &str) -> String {
    let thing = item(app, admin, json!({})).await;
    let id = thing["id"].as_str().unwrap().to_string();
    let steps: &[Value] = match status {
        "in_stock" | "on_tour" => &[],
        "reserved" => &[json!({ "kind": "reserve", "holder_user_id": admin.user_id })],
        "in_use" => &[json!({ "kind": "issue", "holder_user_id": admin.user_id })],
        "in_repair" => &[json!({ "kind": "repair_start" })],
        "written_off" => &[json!({ "kind": "write_off" })],
        other => panic!("no way to {other}"),
    };
    for step in steps {
        let r = movement(app, admin, &id, step.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    if status == "on_tour" {
        // No movement kind leads on tour yet (see the issue note); set it directly.
        app.db()
            .await
            .execute(
                "UPDATE inventory_items SET status = 'on_tour' WHERE id = $1::text::uuid",
                &[&id],
            )
            .await
            .unwrap();
    }
    assert_eq!(status_of(app, admin, &id).await, status);
    id
}

#[tokio::test]
async fn every_transition_is_allowed_or_refused_as_the_domain_says() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = location(&app, &admin, "stage").await;
    for status in [
        "in_stock",
        "reserved",
        "in_use",
        "in_repair",
        "on_tour",
        "written_off",
    ] {
        for kind in KINDS {
            let id = item_in(&app, &admin, status).await;
            let reply = movement(&app, &admin, &id, body_for(kind, &admin, &stage)).await;
            match allowed(status, kind) {
                Some(after) => {
                    assert_eq!(
                        reply.status,
                        StatusCode::CREATED,
                        "{kind} from {status}: {:?}",
                        reply.body
                    );
                    assert_eq!(reply.body["movement"]["from_status"], status);
                    assert_eq!(reply.body["movement"]["to_status"], after);
                    assert_eq!(reply.body["item"]["status"], after);
                }
                None => {
                    assert_eq!(
                        reply.status,
                        StatusCode::CONFLICT,
                        "{kind} from {status}: {:?}",
                        reply.body
                    );
                    assert_eq!(reply.body["current_status"], status);
                    assert!(reply.body["detail"].as_str().unwrap().contains(status));
                    assert_eq!(status_of(&app, &admin, &id).await, status, "unchanged");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_receipt_cannot_be_repeated_and_write_off_clears_the_location() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let again = movement(&app, &admin, id, json!({ "kind": "receipt" })).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    let written = movement(
        &app,
        &admin,
        id,
        json!({ "kind": "write_off", "condition": "broken", "comment": "сломан на спектакле" }),
    )
    .await;
    assert_eq!(written.status, StatusCode::CREATED);
    assert!(written.body["item"]["location_id"].is_null());
    assert_eq!(written.body["item"]["condition"], "broken");
    assert_eq!(written.body["item"]["available"], false);
}

#[tokio::test]
async fn of_fifty_concurrent_issues_of_one_item_exactly_one_wins() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap().to_string();
    let attempts = (0..50).map(|_| {
        let app = &app;
        let admin = &admin;
        let id = id.clone();
        async move {
            movement(
                app,
                admin,
                &id,
                json!({ "kind": "issue", "holder_user_id": admin.user_id }),
            )
            .await
        }
    });
    let replies = futures::future::join_all(attempts).await;
    let won = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "exactly one check-out wins");
    for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(lost.status, StatusCode::CONFLICT, "{:?}", lost.body);
        assert_eq!(lost.body["current_status"], "in_use");
    }
    let history = app
        .get(
            &format!("/api/v1/inventory/items/{id}/movements"),
            &admin.token,
        )
        .await;
    let issues = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "issue")
        .count();
    assert_eq!(issues, 1, "one ledger row for the one check-out");
}

#[tokio::test]
async fn issuing_part_of_a_quantity_splits_the_item() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let glasses = item(
        &app,
        &admin,
        json!({ "name": "Бокалы", "quantity": 40, "inventory_number": "GLASS-1" }),
    )
    .await;
    let id = glasses["id"].as_str().unwrap();

    let issued = movement(
        &app,
        &admin,
        id,
        json!({ "kind": "issue", "quantity": 10, "holder_user_id": admin.user_id,
                "due_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339() }),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(issued.body["item"]["quantity"], 30);
    assert_eq!(issued.body["item"]["status"], "in_stock");
    let part = &issued.body["split_item"];
    assert_eq!(part["quantity"], 10);
    assert_eq!(part["status"], "in_use");
    assert_eq!(part["inventory_number"], "GLASS-1/1");
    assert_eq!(part["split_from_id"], id);
    assert_eq!(issued.body["movement"]["quantity"], 10);
    assert_eq!(issued.body["movement"]["split_item_id"], part["id"]);

    // More than there is, or part of a return, is refused.
    let too_many = movement(
        &app,
        &admin,
        id,
        json!({ "kind": "issue", "quantity": 31, "holder_user_id": admin.user_id }),
    )
    .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    let part_id = part["id"].as_str().unwrap();
    let partial_return = movement(
        &app,
        &admin,
        part_id,
        json!({ "kind": "return", "quantity": 5 }),
    )
    .await;
    assert_eq!(partial_return.status, StatusCode::UNPROCESSABLE_ENTITY);

    let returned = movement(&app, &admin, part_id, json!({ "kind": "return" })).await;
    assert_eq!(returned.status, StatusCode::CREATED);
    assert_eq!(returned.body["item"]["status"], "in_stock");

    // The part's history starts with the split.
    let history = app
        .get(
            &format!("/api/v1/inventory/items/{part_id}/movements"),
            &admin.token,
        )
        .await;
    let kinds: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["return", "issue"]);
}

#[tokio::test]
async fn an_issue_needs_a_holder_and_a_reservation_is_issued_to_its_holder() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["viewer"]).await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();

    let no_holder = movement(&app, &admin, id, json!({ "kind": "issue" })).await;
    assert_eq!(no_holder.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A real performance of this theatre: the holder is a composite foreign key.
    let performance: uuid::Uuid = app
        .db()
        .await
        .query_one(
            "INSERT INTO performances (id, theater_id, title) \
             VALUES (gen_random_uuid(), $1, 'Чайка') RETURNING id",
            &[&admin.theater_id],
        )
        .await
        .expect("performance")
        .get(0);
    let reserved = movement(
        &app,
        &admin,
        id,
        json!({ "kind": "reserve", "holder_performance_id": performance }),
    )
    .await;
    assert_eq!(reserved.status, StatusCode::CREATED);
    let someone_else = movement(
        &app,
        &admin,
        id,
        json!({ "kind": "issue", "holder_user_id": actor.user_id }),
    )
    .await;
    assert_eq!(someone_else.status, StatusCode::CONFLICT);
    let issued = movement(&app, &admin, id, json!({ "kind": "issue" })).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(
        issued.body["item"]["holder_performance_id"],
        performance.to_string()
    );
    let by_performance = app
        .get(
            &format!("/api/v1/inventory/items?performance_id={performance}"),
            &admin.token,
        )
        .await;
    assert_eq!(by_performance.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn overdue_issued_items_are_listed() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let late = item(&app, &admin, json!({ "name": "Плащ" })).await;
    let on_time = item(&app, &admin, json!({ "name": "Шляпа" })).await;
    for thing in [&late, &on_time] {
        let r = movement(
            &app,
            &admin,
            thing["id"].as_str().unwrap(),
            json!({ "kind": "issue", "holder_user_id": admin.user_id,
                    "due_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339() }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    app.db()
        .await
        .execute(
            "UPDATE inventory_items SET due_at = now() - interval '1 day' WHERE id = $1::text::uuid",
            &[&late["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    let overdue = app
        .get("/api/v1/inventory/items/overdue", &admin.token)
        .await;
    assert_eq!(overdue.status, StatusCode::OK, "{:?}", overdue.body);
    let names: Vec<&str> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Плащ"]);
    assert_eq!(overdue.body["items"][0]["overdue"], true);
}

#[tokio::test]
async fn the_journal_filters_by_kind_person_and_period() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["tech_director"]).await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    movement(
        &app,
        &actor,
        id,
        json!({ "kind": "issue", "holder_user_id": admin.user_id }),
    )
    .await;
    movement(&app, &actor, id, json!({ "kind": "return" })).await;

    let issues = app
        .get("/api/v1/inventory/movements?kind=issue", &admin.token)
        .await;
    assert_eq!(issues.status, StatusCode::OK);
    assert_eq!(issues.body["items"].as_array().unwrap().len(), 1);

    let by_actor = app
        .get(
            &format!("/api/v1/inventory/movements?actor_id={}", actor.user_id),
            &admin.token,
        )
        .await;
    let kinds: Vec<&str> = by_actor.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["return", "issue"]);

    let person = app
        .get(
            &format!("/api/v1/inventory/movements?person_id={}", admin.user_id),
            &admin.token,
        )
        .await;
    // The admin created the item (receipt) and held it (issue).
    assert_eq!(person.body["items"].as_array().unwrap().len(), 2);

    let future = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let none = app
        .get(
            &format!("/api/v1/inventory/movements?from={future}"),
            &admin.token,
        )
        .await;
    assert_eq!(none.status, StatusCode::OK, "{:?}", none.body);
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);

    let bad = app
        .get("/api/v1/inventory/movements?kind=teleport", &admin.token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_ledger_is_append_only() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let db = app.db().await;
    let update = db
        .execute(
            "UPDATE inventory_movements SET comment = 'forged' WHERE item_id = $1::text::uuid",
            &[&thing["id"].as_str().unwrap()],
        )
        .await;
    assert!(update.is_err());
    let delete = db
        .execute(
            "DELETE FROM inventory_movements WHERE item_id = $1::text::uuid",
            &[&thing["id"].as_str().unwrap()],
        )
        .await;
    assert!(delete.is_err());
}
