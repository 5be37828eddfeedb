use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{category, item, location, spawn};

#[tokio::test]
async fn a_new_theatre_has_the_seeded_categories_and_locations() {
    let app = spawn().await;
    let admin = app.new_theater().await;

    let categories = app
        .get("/api/v1/inventory/categories?limit=200", &admin.token)
        .await;
    assert_eq!(categories.status, StatusCode::OK);
    let codes: Vec<&str> = categories.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "props",
            "costumes",
            "scenery",
            "furniture",
            "equipment",
            "lighting",
            "sound",
            "other"
        ]
    );
    assert_eq!(categories.body["items"][0]["name"], "Реквизит");
    // Seeded categories belong to the department of the same trade.
    assert!(categories.body["items"][0]["department_id"].is_string());

    let locations = app
        .get("/api/v1/inventory/locations?limit=200", &admin.token)
        .await;
    let names: Vec<&str> = locations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Основной склад",
            "Костюмерная",
            "Реквизиторская",
            "Сцена",
            "Закулисье"
        ]
    );
}

#[tokio::test]
async fn moving_a_node_under_its_own_descendant_is_refused() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let warehouse = location(&app, &admin, "main-warehouse").await;
    let room = app
        .post(
            "/api/v1/inventory/locations",
            &admin.token,
            json!({ "code": "room-1", "name": "Комната 1", "parent_id": warehouse }),
        )
        .await;
    assert_eq!(room.status, StatusCode::CREATED, "{:?}", room.body);
    let shelf = app
        .post(
            "/api/v1/inventory/locations",
            &admin.token,
            json!({ "code": "shelf-a", "name": "Стеллаж А", "parent_id": room.body["id"] }),
        )
        .await;
    assert_eq!(shelf.status, StatusCode::CREATED);

    // warehouse → room → shelf; putting the warehouse under the shelf closes a loop.
    let cycle = app
        .patch(
            &format!("/api/v1/inventory/locations/{warehouse}"),
            &admin.token,
            json!({ "parent_id": shelf.body["id"] }),
        )
        .await;
    assert_eq!(
        cycle.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        cycle.body
    );
    assert_eq!(cycle.body["errors"][0]["field"], "parent_id");

    let own = app
        .patch(
            &format!("/api/v1/inventory/locations/{warehouse}"),
            &admin.token,
            json!({ "parent_id": warehouse }),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Categories are guarded the same way.
    let props = category(&app, &admin, "props").await;
    let child = app
        .post(
            "/api/v1/inventory/categories",
            &admin.token,
            json!({ "code": "weapons", "name": "Оружие", "parent_id": props }),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED);
    let cycle = app
        .patch(
            &format!("/api/v1/inventory/categories/{props}"),
            &admin.token,
            json!({ "parent_id": child.body["id"] }),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A legal move still works.
    let ok = app
        .patch(
            &format!(
                "/api/v1/inventory/categories/{}",
                child.body["id"].as_str().unwrap()
            ),
            &admin.token,
            json!({ "parent_id": null }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert!(ok.body["parent_id"].is_null());
}

#[tokio::test]
async fn a_category_with_items_is_kept_unless_its_items_are_moved() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let created = app
        .post(
            "/api/v1/inventory/categories",
            &admin.token,
            json!({ "code": "masks", "name": "Маски", "color": "#AA3300" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["color"], "#aa3300");
    let masks = created.body["id"].as_str().unwrap().to_string();
    let thing = item(&app, &admin, json!({ "category_id": masks })).await;
    assert!(
        thing["inventory_number"]
            .as_str()
            .unwrap()
            .starts_with("MASKS-")
    );

    let refused = app
        .delete(
            &format!("/api/v1/inventory/categories/{masks}"),
            &admin.token,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["item_count"], 1);

    let other = category(&app, &admin, "other").await;
    let moved = app
        .delete(
            &format!("/api/v1/inventory/categories/{masks}?move_items_to={other}"),
            &admin.token,
        )
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{:?}", moved.body);
    let after = app
        .get(
            &format!("/api/v1/inventory/items/{}", thing["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(after.body["category_id"], other.as_str());
    let gone = app
        .get(
            &format!("/api/v1/inventory/categories/{masks}"),
            &admin.token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // The code is free again.
    let again = app
        .post(
            "/api/v1/inventory/categories",
            &admin.token,
            json!({ "code": "masks", "name": "Маски" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        app.audit_count(admin.theater_id, "inventory_category.delete")
            .await,
        1
    );
}

#[tokio::test]
async fn deleting_a_location_with_items_moves_them_with_transfer_movements() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let backstage = location(&app, &admin, "backstage").await;
    let stage = location(&app, &admin, "stage").await;
    let thing = item(&app, &admin, json!({ "location_id": backstage })).await;
    let id = thing["id"].as_str().unwrap();

    let refused = app
        .delete(
            &format!("/api/v1/inventory/locations/{backstage}"),
            &admin.token,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    let moved = app
        .delete(
            &format!("/api/v1/inventory/locations/{backstage}?move_items_to={stage}"),
            &admin.token,
        )
        .await;
    assert_eq!(moved.status, StatusCode::NO_CONTENT, "{:?}", moved.body);
    let history = app
        .get(
            &format!("/api/v1/inventory/items/{id}/movements"),
            &admin.token,
        )
        .await;
    assert_eq!(history.body["items"][0]["kind"], "transfer");
    assert_eq!(history.body["items"][0]["to_location_id"], stage.as_str());
}

#[tokio::test]
async fn categories_are_assigned_to_departments_of_the_same_theatre_only() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let departments = app.get("/api/v1/departments", &admin.token).await;
    let video = departments.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "video")
        .unwrap()["id"]
        .clone();
    let foreign = app.get("/api/v1/departments", &other.token).await.body["items"][0]["id"].clone();
    let equipment = category(&app, &admin, "equipment").await;

    let assigned = app
        .patch(
            &format!("/api/v1/inventory/categories/{equipment}"),
            &admin.token,
            json!({ "department_id": video }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{:?}", assigned.body);
    assert_eq!(assigned.body["department_id"], video);

    let refused = app
        .patch(
            &format!("/api/v1/inventory/categories/{equipment}"),
            &admin.token,
            json!({ "department_id": foreign }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "department_id");
}

#[tokio::test]
async fn a_stale_if_match_on_a_category_changes_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let props = category(&app, &admin, "props").await;
    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/inventory/categories/{props}"),
            Some(&admin.token),
            Some(json!({ "name": "Новое имя" })),
            &[("If-Match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let now = app
        .get(
            &format!("/api/v1/inventory/categories/{props}"),
            &admin.token,
        )
        .await;
    assert_eq!(now.body["name"], "Реквизит");
}
