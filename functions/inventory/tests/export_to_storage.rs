//! The CSV export as Lambda serves it (issue 8, item 11): a response there stops at 6 MB, so
//! the file is written to the bucket under the theatre's inventory area and the answer is a
//! 303 to a presigned GET. Chosen here by `INVENTORY_EXPORT_TO_STORAGE` (on Lambda, by the
//! Runtime API's presence); its own test binary, since the choice is made once per process.

use serde_json::json;
use testkit::{StatusCode, TestOptions};

#[tokio::test(flavor = "multi_thread")]
async fn on_lambda_the_export_is_stored_and_answered_with_a_redirect() {
    // SAFETY: set before the first export reads it; nothing else in this process reads the
    // environment concurrently (the only test of this binary).
    unsafe { std::env::set_var("INVENTORY_EXPORT_TO_STORAGE", "true") };
    let app = testkit::spawn_app_with(TestOptions::default(), |s| {
        inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        })
    })
    .await;
    let admin = app.new_theater().await;
    app.props_item(&admin, json!({"name": "=1+1 Канделябр"}))
        .await;

    let reply = app
        .get("/api/v1/inventory/items/export.csv?bom=true", &admin.token)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{:?}", reply.body);
    let location = reply.header("location").expect("Location").to_string();
    let url = reqwest::Url::parse(&location).unwrap();
    let prefix = format!("/theaters/{}/inventory/exports/", admin.theater_id);
    assert!(url.path().contains(&prefix), "{}", url.path());
    assert!(url.path().ends_with(".csv"), "{}", url.path());

    let download = reqwest::get(url).await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("inventory.csv")
    );
    let body = download.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBFinventory_number,name"));
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains(",'=1+1 Канделябр,"), "{text}");
    assert_eq!(text.lines().count(), 2);
}
