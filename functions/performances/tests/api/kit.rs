//! The kit list: lines naming inventory items with availability and shortage, narrowed to a
//! scene and a cast member, another theatre's item refused, and the item's performances.

use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{create, id, spawn};

async fn item(app: &TestApp, user: &TestUser, name: &str, quantity: i64) -> Value {
    app.props_item(user, json!({"name": name, "quantity": quantity}))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn kit_lines_show_availability_and_shortage_from_the_item() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let glasses = item(&app, &admin, "Бокалы", 40).await;
    let samovar = item(&app, &admin, "Самовар", 1).await;
    let kit = format!("/api/v1/performances/{p}/kit");
    let enough = app
        .post(
            &kit,
            &admin.token,
            json!({"item_id": id(&glasses), "quantity": 30, "section": "props"}),
        )
        .await;
    assert_eq!(enough.status, StatusCode::CREATED, "{:?}", enough.body);
    assert_eq!(enough.body["available"], true);
    assert_eq!(enough.body["shortage"], 0);
    assert_eq!(
        enough.body["item"]["inventory_number"],
        glasses["inventory_number"]
    );
    assert_eq!(enough.body["item"]["status"], "in_stock");
    let short = app
        .post(
            &kit,
            &admin.token,
            json!({"item_id": id(&glasses), "quantity": 50}),
        )
        .await;
    assert_eq!(short.body["available"], false);
    assert_eq!(short.body["shortage"], 10);
    let line = app
        .post(&kit, &admin.token, json!({"item_id": id(&samovar)}))
        .await;
    assert_eq!(line.body["available"], true);
    // The samovar goes to repair: the line shows it is not available.
    let repair = app
        .post(
            &format!("/api/v1/inventory/items/{}/movements", id(&samovar)),
            &admin.token,
            json!({"kind": "repair_start"}),
        )
        .await;
    assert_eq!(repair.status, StatusCode::CREATED, "{:?}", repair.body);
    let list = app.get(&kit, &admin.token).await;
    assert_eq!(list.status, StatusCode::OK);
    let lines = list.body["items"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let samovar_line = lines
        .iter()
        .find(|l| l["item"]["id"] == samovar["id"])
        .unwrap();
    assert_eq!(samovar_line["item"]["status"], "in_repair");
    assert_eq!(samovar_line["available"], false);
    assert_eq!(samovar_line["shortage"], 1);
    // PATCH with If-Match; a stale one is 412.
    let path = format!("{kit}/{}", id(&short.body));
    let ok = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"quantity": 40})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["shortage"], 0);
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"quantity": 2})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let bad = app
        .patch(&path, &admin.token, json!({"section": "kitchen"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.delete(&path, &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&kit, &admin.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_kit.create")
            .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_theatres_item_scene_or_cast_member_is_a_422() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let q = id(&create(&app, &admin, json!({"title": "Другой"})).await);
    let theirs = item(&app, &other, "Чужой стул", 1).await;
    let kit = format!("/api/v1/performances/{p}/kit");
    let reply = app
        .post(&kit, &admin.token, json!({"item_id": id(&theirs)}))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["errors"][0]["field"], "item_id");
    // A scene of another performance.
    let scene = app
        .post(
            &format!("/api/v1/performances/{q}/scenes"),
            &admin.token,
            json!({"act_number": 1, "title": "Сад"}),
        )
        .await;
    assert_eq!(scene.status, StatusCode::CREATED, "{:?}", scene.body);
    let mine = item(&app, &admin, "Стул", 1).await;
    let reply = app
        .post(
            &kit,
            &admin.token,
            json!({"item_id": id(&mine), "scene_id": id(&scene.body)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["field"], "scene_id");
    // Another theatre cannot use our performance's kit at all.
    assert_eq!(
        app.post(&kit, &other.token, json!({"item_id": id(&theirs)}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_costume_line_names_the_scene_and_the_wearer_and_the_item_lists_its_performances() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = create(&app, &admin, json!({"title": "Чайка"})).await;
    let q = create(&app, &admin, json!({"title": "Гамлет"})).await;
    let dress = item(&app, &admin, "Платье Нины", 1).await;
    let scene = app
        .post(
            &format!("/api/v1/performances/{}/scenes", id(&p)),
            &admin.token,
            json!({"act_number": 4, "title": "Гостиная"}),
        )
        .await;
    let nina = app
        .post(
            &format!("/api/v1/performances/{}/cast", id(&p)),
            &admin.token,
            json!({"role_name": "Нина Заречная", "person_name": "В. Комиссаржевская"}),
        )
        .await;
    let line = app
        .post(
            &format!("/api/v1/performances/{}/kit", id(&p)),
            &admin.token,
            json!({"item_id": id(&dress), "section": "costumes", "scene_id": id(&scene.body), "cast_member_id": id(&nina.body)}),
        )
        .await;
    assert_eq!(line.status, StatusCode::CREATED, "{:?}", line.body);
    assert_eq!(line.body["scene_id"], scene.body["id"]);
    assert_eq!(line.body["cast_member_id"], nina.body["id"]);
    app.post(
        &format!("/api/v1/performances/{}/kit", id(&q)),
        &admin.token,
        json!({"item_id": id(&dress)}),
    )
    .await;
    let uses = app
        .get(
            &format!("/api/v1/performances/kit/by-item/{}", id(&dress)),
            &admin.token,
        )
        .await;
    assert_eq!(uses.status, StatusCode::OK, "{:?}", uses.body);
    let titles: Vec<&str> = uses.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["performance_title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Чайка", "Гамлет"]);
    assert_eq!(
        app.get(
            &format!("/api/v1/performances/kit/by-item/{}", id(&dress)),
            &other.token
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Deleting the scene widens the line to the whole performance.
    app.delete(
        &format!("/api/v1/performances/{}/scenes/{}", id(&p), id(&scene.body)),
        &admin.token,
    )
    .await;
    let kit = app
        .get(
            &format!("/api/v1/performances/{}/kit", id(&p)),
            &admin.token,
        )
        .await;
    assert_eq!(kit.body["items"][0]["scene_id"], Value::Null);
    assert_eq!(kit.body["items"][0]["cast_member_id"], nina.body["id"]);
}
