use std::collections::BTreeSet;

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{category, item, location, spawn, unknown_id};

#[tokio::test]
async fn an_item_is_created_with_a_generated_number_and_a_receipt() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let created = item(
        &app,
        &admin,
        json!({
            "name": "Шпага д'Артаньяна",
            "description": "Бутафорская, с гардой",
            "condition": "new",
            "quantity": 1,
            "width_cm": 12.5, "height_cm": 105.0, "weight_kg": 0.8,
            "purchase_price": "15000.50", "current_value": "12000",
            "purchase_date": "2024-03-01", "warranty_until": "2026-03-01",
            "tags": ["Оружие", "мушкетёры", "оружие"],
            "attributes": { "эпоха": "XVII век", "сцены": [1, 3] }
        }),
    )
    .await;
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(created["inventory_number"], format!("PROPS-{year}-00001"));
    assert_eq!(created["status"], "in_stock");
    assert_eq!(created["available"], true);
    assert_eq!(created["purchase_price"], "15000.50");
    assert_eq!(created["current_value"], "12000.00");
    assert_eq!(created["tags"], json!(["оружие", "мушкетёры"]));
    assert_eq!(created["attributes"]["эпоха"], "XVII век");
    assert_eq!(created["version"], 1);

    let id = created["id"].as_str().unwrap();
    let history = app
        .get(
            &format!("/api/v1/inventory/items/{id}/movements"),
            &admin.token,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert_eq!(history.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(history.body["items"][0]["kind"], "receipt");
    assert_eq!(history.body["items"][0]["to_status"], "in_stock");
    assert_eq!(
        app.audit_count(admin.theater_id, "inventory_item.create")
            .await,
        1
    );
}

#[tokio::test]
async fn a_given_number_is_unique_per_theatre_and_never_reused_after_deletion() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let neighbour = app.new_theater().await;
    let first = item(&app, &admin, json!({ "inventory_number": "inv-001" })).await;
    assert_eq!(first["inventory_number"], "INV-001");

    let props = category(&app, &admin, "props").await;
    let duplicate = app
        .post(
            "/api/v1/inventory/items",
            &admin.token,
            json!({ "name": "Другая вещь", "category_id": props, "inventory_number": "INV-001" }),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.body["field"], "inventory_number");

    // Another theatre has its own numbers.
    item(&app, &neighbour, json!({ "inventory_number": "INV-001" })).await;

    let deleted = app
        .delete(
            &format!("/api/v1/inventory/items/{}", first["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let reuse = app
        .post(
            "/api/v1/inventory/items",
            &admin.token,
            json!({ "name": "Новая вещь", "category_id": props, "inventory_number": "INV-001" }),
        )
        .await;
    assert_eq!(
        reuse.status,
        StatusCode::CONFLICT,
        "numbers are never reused"
    );
}

#[tokio::test]
async fn fifty_concurrent_creations_take_fifty_consecutive_numbers() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let props = category(&app, &admin, "props").await;
    let creations = (0..50).map(|i| {
        let app = &app;
        let token = admin.token.clone();
        let props = props.clone();
        async move {
            app.post(
                "/api/v1/inventory/items",
                &token,
                json!({ "name": format!("Стул {i}"), "category_id": props }),
            )
            .await
        }
    });
    let replies = futures::future::join_all(creations).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let numbers: BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            r.body["inventory_number"].as_str().unwrap().to_string()
        })
        .collect();
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("PROPS-{year}-{n:05}")).collect();
    assert_eq!(numbers, expected, "no duplicate and no gap");

    // A number is not given back when its item is deleted.
    let last = replies
        .iter()
        .find(|r| r.body["inventory_number"] == format!("PROPS-{year}-00050"))
        .unwrap();
    app.delete(
        &format!(
            "/api/v1/inventory/items/{}",
            last.body["id"].as_str().unwrap()
        ),
        &admin.token,
    )
    .await;
    let next = item(&app, &admin, json!({})).await;
    assert_eq!(next["inventory_number"], format!("PROPS-{year}-00051"));
}

#[tokio::test]
async fn patch_cannot_change_status_or_location() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let stage = location(&app, &admin, "stage").await;
    let reply = app
        .patch(
            &format!("/api/v1/inventory/items/{id}"),
            &admin.token,
            json!({ "status": "written_off", "location_id": stage }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "location_id"]);
}

#[tokio::test]
async fn a_patch_with_a_stale_if_match_is_refused_and_changes_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();

    let first = app
        .call_with(
            "PATCH",
            &format!("/api/v1/inventory/items/{id}"),
            Some(&admin.token),
            Some(
                json!({ "name": "Канделябр серебряный", "condition": "fair", "tags": ["серебро"] }),
            ),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.header("etag"), Some("\"2\""));
    assert_eq!(first.body["condition"], "fair");

    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/inventory/items/{id}"),
            Some(&admin.token),
            Some(json!({ "name": "Потерянное обновление" })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let now = app
        .get(&format!("/api/v1/inventory/items/{id}"), &admin.token)
        .await;
    assert_eq!(now.body["name"], "Канделябр серебряный");
    assert_eq!(now.body["version"], 2);
}

#[tokio::test]
async fn invalid_fields_are_all_reported() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let reply = app
        .post(
            "/api/v1/inventory/items",
            &admin.token,
            json!({
                "name": " ", "condition": "shiny", "quantity": 0, "purchase_price": "-5",
                "attributes": [1], "inventory_number": "ИНВ-1"
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: BTreeSet<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "condition",
        "quantity",
        "purchase_price",
        "attributes",
        "inventory_number",
        "category_id",
    ] {
        assert!(fields.contains(f), "{f} reported in {fields:?}");
    }

    let missing_category = app
        .post(
            "/api/v1/inventory/items",
            &admin.token,
            json!({ "name": "Вещь", "category_id": unknown_id() }),
        )
        .await;
    assert_eq!(missing_category.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_category.body["errors"][0]["field"], "category_id");
}
