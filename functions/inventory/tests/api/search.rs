use serde_json::json;
use testkit::{StatusCode, TestApp};

use crate::helpers::{category, item, location, movement, spawn};

fn names(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

/// The names on every page of a list query, following the cursor to the end.
async fn all_pages(app: &TestApp, token: &str, query: impl AsRef<str>) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/inventory/items?{}", query.as_ref());
        if let Some(c) = &cursor {
            path += &format!("&cursor={c}");
        }
        let page = app.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {:?}", page.body);
        seen.extend(names(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn filters_find_items_by_text_tree_status_condition_department_and_tag() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let warehouse = location(&app, &admin, "main-warehouse").await;
    let shelf = app
        .post(
            "/api/v1/inventory/locations",
            &admin.token,
            json!({ "code": "shelf-1", "name": "Полка 1", "parent_id": warehouse }),
        )
        .await;
    let shelf = shelf.body["id"].as_str().unwrap().to_string();
    let costumes = category(&app, &admin, "costumes").await;
    let hats = app
        .post(
            "/api/v1/inventory/categories",
            &admin.token,
            json!({ "code": "hats", "name": "Шляпы", "parent_id": costumes }),
        )
        .await;
    let hats = hats.body["id"].as_str().unwrap().to_string();

    item(
        &app,
        &admin,
        json!({ "name": "Канделябр бронзовый", "tags": ["бронза"] }),
    )
    .await;
    item(
        &app,
        &admin,
        json!({ "name": "Цилиндр", "category_id": hats, "location_id": shelf, "condition": "poor" }),
    )
    .await;
    let cloak = item(
        &app,
        &admin,
        json!({ "name": "Плащ Воланда", "category_id": costumes, "description": "чёрный бархат" }),
    )
    .await;
    movement(
        &app,
        &admin,
        cloak["id"].as_str().unwrap(),
        json!({ "kind": "repair_start" }),
    )
    .await;

    let get = |query: String| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let r = app
                .get(&format!("/api/v1/inventory/items?{query}"), &token)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.body);
            names(&r.body)
        }
    };
    assert_eq!(get("q=БАРХАТ".into()).await, ["Плащ Воланда"]);
    assert_eq!(get("q=props-".into()).await, ["Канделябр бронзовый"]);
    assert_eq!(
        get(format!("category_id={costumes}")).await,
        ["Плащ Воланда", "Цилиндр"],
        "descendant categories included"
    );
    assert_eq!(get(format!("location_id={warehouse}")).await.len(), 3);
    assert_eq!(get(format!("location_id={shelf}")).await, ["Цилиндр"]);
    assert_eq!(get("status=in_repair".into()).await, ["Плащ Воланда"]);
    assert_eq!(get("available=true".into()).await.len(), 2);
    assert_eq!(get("condition=poor,broken".into()).await, ["Цилиндр"]);
    assert_eq!(get("tag=бронза".into()).await, ["Канделябр бронзовый"]);
    let departments = app.get("/api/v1/departments", &admin.token).await;
    let costume_dep = departments.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "costume")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The seeded "costumes" category belongs to the costume department, and "hats" under it
    // inherits that.
    assert_eq!(
        get(format!("department_id={costume_dep}")).await,
        ["Плащ Воланда", "Цилиндр"]
    );
    assert_eq!(
        get("sort=-name".into()).await,
        ["Цилиндр", "Плащ Воланда", "Канделябр бронзовый"]
    );

    let bad = app
        .get("/api/v1/inventory/items?status=lost", &admin.token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_sort = app
        .get("/api/v1/inventory/items?sort=price", &admin.token)
        .await;
    assert_eq!(bad_sort.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_repeats_or_gaps() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    for i in 0..7 {
        item(&app, &admin, json!({ "name": format!("Стул {i}") })).await;
    }
    for sort in ["name", "-created_at", "inventory_number"] {
        let seen = all_pages(&app, &admin.token, &format!("limit=3&sort={sort}")).await;
        assert_eq!(seen.len(), 7, "{sort}: {seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 7);
    }
}

/// The text query reads the stored `search_text` column (V11): it must follow edits of the name
/// and tags, and its pages (sorted on a key no index provides) must follow the cursor.
#[tokio::test]
async fn text_search_follows_edits_and_pages_by_cursor() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    for i in 0..5 {
        item(&app, &admin, json!({ "name": format!("Стул венский {i}") })).await;
    }
    let stool = item(&app, &admin, json!({ "name": "Табурет" })).await;
    let stool = stool["id"].as_str().unwrap();

    let pages = |query: &'static str| all_pages(&app, &admin.token, format!("limit=2&{query}"));
    let chairs: Vec<String> = (0..5).map(|i| format!("Стул венский {i}")).collect();
    assert_eq!(pages("q=венский").await, chairs);
    let mut descending = chairs.clone();
    descending.reverse();
    assert_eq!(pages("q=венский&sort=-name").await, descending);
    assert!(pages("q=гнутый").await.is_empty());

    let edited = app
        .patch(
            &format!("/api/v1/inventory/items/{stool}"),
            &admin.token,
            json!({ "name": "Табурет венский", "tags": ["гнутый"] }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let mut with_stool = chairs.clone();
    with_stool.push("Табурет венский".into());
    assert_eq!(pages("q=венский").await, with_stool);
    assert_eq!(pages("q=ГНУТЫЙ").await, ["Табурет венский"]);
}

#[tokio::test]
async fn stats_count_by_status_category_location_and_sum_the_value() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    item(
        &app,
        &admin,
        json!({ "current_value": "100.50", "quantity": 2 }),
    )
    .await;
    let broken = item(&app, &admin, json!({ "purchase_price": "1000" })).await;
    movement(
        &app,
        &admin,
        broken["id"].as_str().unwrap(),
        json!({ "kind": "write_off" }),
    )
    .await;
    let stats = app.get("/api/v1/inventory/stats", &admin.token).await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(stats.body["items"], 2);
    assert_eq!(stats.body["pieces"], 3);
    assert_eq!(stats.body["total_value"], "201.00");
    let statuses: Vec<(String, i64)> = stats.body["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_string(),
                b["items"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(statuses.contains(&("in_stock".into(), 1)));
    assert!(statuses.contains(&("written_off".into(), 1)));
    assert_eq!(stats.body["by_category"][0]["code"], "props");
}
