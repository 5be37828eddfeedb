use serde_json::json;
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{item, spawn};

async fn import(
    app: &TestApp,
    user: &TestUser,
    csv: &[u8],
    dry_run: bool,
) -> (StatusCode, serde_json::Value) {
    let response = app
        .http
        .post(app.url(&format!("/api/v1/inventory/items/import?dry_run={dry_run}")))
        .bearer_auth(&user.token)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

async fn export(app: &TestApp, user: &TestUser, query: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .http
        .get(app.url(&format!("/api/v1/inventory/items/export.csv?{query}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

async fn count(app: &TestApp, user: &TestUser) -> usize {
    app.get("/api/v1/inventory/items?limit=200", &user.token)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

const GOOD_AND_BAD: &str = "name,category_code,location_code,quantity,condition,purchase_price,tags\n\
Кресло,furniture,main-warehouse,1,good,4500.00,\"ампир, позолота\"\n\
,props,stage,1,good,,\n\
Бокалы,props,nowhere,40,shiny,12,\n\
Веер,costumes,,2,fair,,\n";

#[tokio::test]
async fn a_dry_run_reports_every_bad_row_and_changes_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let (status, report) = import(&app, &admin, GOOD_AND_BAD.as_bytes(), true).await;
    assert_eq!(status, StatusCode::OK, "{report:?}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["valid_rows"], 2);
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(errors.contains(&(3, "name".into())), "{errors:?}");
    assert!(errors.contains(&(4, "location_code".into())), "{errors:?}");
    assert!(errors.contains(&(4, "condition".into())), "{errors:?}");
    assert_eq!(count(&app, &admin).await, 0);
}

#[tokio::test]
async fn a_real_import_with_one_bad_row_creates_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let (status, body) = import(&app, &admin, GOOD_AND_BAD.as_bytes(), false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "line 3: name")
    );
    assert_eq!(count(&app, &admin).await, 0);

    let good = "\u{feff}name;category_code;quantity;purchase_date\nКресло;furniture;1;01.03.2024\nВеер;costumes;2;\n";
    let (status, body) = import(&app, &admin, good.as_bytes(), false).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    assert_eq!(body["created"].as_array().unwrap().len(), 2);
    assert_eq!(count(&app, &admin).await, 2);
    assert_eq!(
        app.audit_count(admin.theater_id, "inventory_item.create")
            .await,
        2
    );
}

#[tokio::test]
async fn russian_text_round_trips_through_export_and_import() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    item(
        &app,
        &admin,
        json!({ "name": "Шкатулка «Малахит», ёмкая", "description": "Строка с \"кавычками\"\nи переносом",
                "tags": ["уральские сказы"], "attributes": { "мастер": "Данила" },
                "purchase_price": "1500.5", "inventory_number": "SHK-1" }),
    )
    .await;
    let (status, plain) = export(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!plain.starts_with(b"\xEF\xBB\xBF"));
    let (_, with_bom) = export(&app, &admin, "bom=true").await;
    assert!(with_bom.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(plain.clone()).unwrap();
    assert!(text.contains("Шкатулка «Малахит», ёмкая"));

    // Import the export into another theatre: the same text comes back.
    let (status, body) = import(&app, &other, &with_bom, false).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
    let copy = app.get("/api/v1/inventory/items", &other.token).await;
    let copy = &copy.body["items"][0];
    assert_eq!(copy["name"], "Шкатулка «Малахит», ёмкая");
    assert_eq!(copy["description"], "Строка с \"кавычками\"\nи переносом");
    assert_eq!(copy["tags"], json!(["уральские сказы"]));
    assert_eq!(copy["attributes"]["мастер"], "Данила");
    assert_eq!(copy["purchase_price"], "1500.50");
    assert_eq!(copy["inventory_number"], "SHK-1");

    // Importing it again clashes on the number, which is reported, not a 500.
    let (status, body) = import(&app, &other, &with_bom, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["errors"][0]["field"], "inventory_number");
}

#[tokio::test]
async fn the_export_follows_the_filter_and_import_needs_permission_and_csv() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    item(&app, &admin, json!({ "name": "Кресло" })).await;
    item(&app, &admin, json!({ "name": "Стол" })).await;
    let (_, filtered) = export(&app, &viewer, "q=кресло").await;
    let text = String::from_utf8(filtered).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");

    let (status, _) = import(&app, &viewer, GOOD_AND_BAD.as_bytes(), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let json_body = app
        .post(
            "/api/v1/inventory/items/import",
            &admin.token,
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(json_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = import(&app, &admin, b"title,colour\nx,y\n", true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "header");
}
