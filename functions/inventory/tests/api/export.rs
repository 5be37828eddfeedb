//! The CSV export as a stream (issue 8, item 11): formulas neutralised and given back on import,
//! and every row of a selection larger than the old in-memory cap of 100,000.

use serde_json::json;
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{category, item, spawn};

async fn export(app: &TestApp, user: &TestUser) -> (StatusCode, Vec<u8>) {
    let response = app
        .http
        .get(app.url("/api/v1/inventory/items/export.csv"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"Кресло\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
];

#[tokio::test]
async fn formulas_leave_as_text_and_come_back_on_import_as_they_were_typed() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    for (i, formula) in FORMULAS.iter().enumerate() {
        item(
            &app,
            &admin,
            json!({"name": format!("Предмет {i}"), "description": formula, "supplier": formula}),
        )
        .await;
    }
    let (status, csv) = export(&app, &admin).await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut descriptions: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column("description")].to_string())
        .collect();
    descriptions.sort();
    let mut expected: Vec<String> = FORMULAS.iter().map(|f| format!("'{f}")).collect();
    expected.sort();
    assert_eq!(
        descriptions, expected,
        "every formula starts with an apostrophe"
    );

    // The exported file imported into another theatre: the text is what was typed.
    let other = app.new_theater().await;
    let response = app
        .http
        .post(app.url("/api/v1/inventory/items/import"))
        .bearer_auth(&other.token)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let listed = app
        .get("/api/v1/inventory/items?limit=50", &other.token)
        .await;
    let mut imported: Vec<String> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["supplier"].as_str().unwrap_or_default().to_string())
        .collect();
    imported.sort();
    let mut typed: Vec<String> = FORMULAS.iter().map(|f| f.to_string()).collect();
    typed.sort();
    assert_eq!(imported, typed);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_of_120_000_items_has_every_row() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let props: uuid::Uuid = category(&app, &admin, "props").await.parse().unwrap();
    app.db()
        .await
        .execute(
            "INSERT INTO inventory_items (id, theater_id, inventory_number, name, category_id)
             SELECT gen_random_uuid(), $1, 'BULK-' || g, 'Стул ' || g, $2
             FROM generate_series(1, 120000) g",
            &[&admin.theater_id, &props],
        )
        .await
        .unwrap();
    let (status, csv) = export(&app, &admin).await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let mut rows = 0;
    let mut numbers = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.unwrap();
        numbers.insert(record[0].to_string());
        rows += 1;
    }
    assert_eq!(rows, 120_000);
    assert_eq!(numbers.len(), 120_000, "no row twice");
}
