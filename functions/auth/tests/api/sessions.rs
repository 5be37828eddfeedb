use serde_json::json;
use testkit::{StatusCode, spawn_app};

#[tokio::test]
async fn a_registered_admin_can_log_in_and_see_themselves() {
    let app = spawn_app().await;
    let admin = app.register("Малый театр", "Director@Example.org").await;

    let me = app.get("/api/v1/auth/me", &admin.token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "director@example.org");
    assert_eq!(me.body["roles"][0]["code"], "admin");
    assert_eq!(me.body["permissions"], json!(["admin:full"]));

    let again = app.login("DIRECTOR@example.org", &admin.password).await;
    assert_eq!(again.user_id, admin.user_id);
    assert_eq!(again.theater_id, admin.theater_id);
}
