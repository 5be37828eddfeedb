//! Snapshots: freeze the passport, change it, compare.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{create, id};
use crate::passport::{documents_flow, file, ready_document, spawn_with_documents};

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_compared_after_changes_shows_exactly_those_changes() {
    let app = spawn_with_documents().await;
    let admin = app.new_theater().await;
    let show = id(&create(&app, &admin, json!({})).await);
    let doc = ready_document(&app, &admin, "ТЗ свет", "2.1 ТЗ свет.pdf").await;
    assert_eq!(
        file(&app, &admin, &show, json!({ "document_id": doc }))
            .await
            .status,
        StatusCode::CREATED
    );
    let db = app.db().await;
    let add_item = async |name: &str| -> uuid::Uuid {
        let categories = app.get("/api/v1/inventory/categories", &admin.token).await;
        let category = categories.body["items"][0]["id"].clone();
        let item = app
            .post(
                "/api/v1/inventory/items",
                &admin.token,
                json!({ "name": name, "category_id": category }),
            )
            .await;
        assert_eq!(item.status, StatusCode::CREATED, "{:?}", item.body);
        item.body["id"].as_str().unwrap().parse().unwrap()
    };
    let chair = add_item("Стул").await;
    let kit_line =
        "INSERT INTO performance_kit_items (id, theater_id, performance_id, item_id, quantity)
                    VALUES (gen_random_uuid(), $1, $2::text::uuid, $3, $4)";
    db.execute(kit_line, &[&admin.theater_id, &show, &chair, &2i32])
        .await
        .unwrap();

    let taken = app
        .post(
            &format!("/api/v1/performances/{show}/snapshots"),
            &admin.token,
            json!({ "name": "Премьера", "kind": "as_premiered" }),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{:?}", taken.body);
    assert_eq!(taken.body["kind"], "as_premiered");
    assert_eq!(taken.body["state"]["sections"].as_array().unwrap().len(), 9);
    assert_eq!(taken.body["state"]["documents"][0]["version"]["number"], 1);
    assert_eq!(taken.body["state"]["kit"][0]["quantity"], 2);
    let snapshot = id(&taken.body);
    let compare_path = format!("/api/v1/performances/{show}/snapshots/{snapshot}/compare");
    let unchanged = app.get(&compare_path, &admin.token).await;
    assert_eq!(unchanged.status, StatusCode::OK, "{:?}", unchanged.body);
    assert_eq!(
        unchanged.body["diff"]["changed"], false,
        "{:?}",
        unchanged.body
    );

    // Change a section, upload a new version, add a kit line.
    db.execute(
        "UPDATE performance_sections SET content = '14 приборов ETC', version = version + 1
         WHERE performance_id = $1::text::uuid AND code = 'lighting'",
        &[&show],
    )
    .await
    .unwrap();
    let v2 = documents_flow::upload_ready(
        &app,
        &admin,
        &doc,
        "2.1 ТЗ свет.pdf",
        "application/pdf",
        &documents_flow::pdf_with_text("version two"),
    )
    .await;
    assert_eq!(v2["number"], 2, "{v2:?}");
    let table = add_item("Стол").await;
    db.execute(kit_line, &[&admin.theater_id, &show, &table, &1i32])
        .await
        .unwrap();

    let diff = app.get(&compare_path, &admin.token).await.body["diff"].clone();
    assert_eq!(diff["changed"], true);
    let changed: Vec<&str> = diff["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["changed"] == true)
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["lighting"]);
    let lighting = diff["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "lighting")
        .unwrap();
    assert_eq!(lighting["new"]["content"], "14 приборов ETC");
    assert_eq!(lighting["old"]["content"], "");
    let newer = diff["documents"]["newer_versions"].as_array().unwrap();
    assert_eq!(newer.len(), 1, "{diff:?}");
    assert_eq!(newer[0]["document_id"], doc.as_str());
    assert_eq!(newer[0]["old_version"]["number"], 1);
    assert_eq!(newer[0]["new_version"]["number"], 2);
    assert!(diff["documents"]["added"].as_array().unwrap().is_empty());
    assert!(diff["documents"]["removed"].as_array().unwrap().is_empty());
    let added = diff["kit"]["added"].as_array().unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["item_id"], table.to_string());
    assert!(diff["kit"]["removed"].as_array().unwrap().is_empty());
    assert!(
        diff["kit"]["quantity_changed"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(diff["cast"]["added"].as_array().unwrap().is_empty());

    // Two snapshots compared: the first against a second one taken now shows the same changes;
    // a snapshot of another production (or of another theatre) is no `with`.
    let second = app
        .post(
            &format!("/api/v1/performances/{show}/snapshots"),
            &admin.token,
            json!({ "name": "После правок" }),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    let second = id(&second.body);
    let between = app
        .get(&format!("{compare_path}?with={second}"), &admin.token)
        .await;
    assert_eq!(between.status, StatusCode::OK, "{:?}", between.body);
    assert_eq!(between.body["with"]["id"], second.as_str());
    assert_eq!(between.body["diff"], diff, "{:?}", between.body);
    let reverse = app
        .get(
            &format!("/api/v1/performances/{show}/snapshots/{second}/compare?with={second}"),
            &admin.token,
        )
        .await;
    assert_eq!(reverse.body["diff"]["changed"], false, "{:?}", reverse.body);
    let live = app.get(&compare_path, &admin.token).await;
    assert!(live.body["with"].is_null(), "{:?}", live.body);
    let other_show = id(&create(&app, &admin, json!({})).await);
    let elsewhere = app
        .post(
            &format!("/api/v1/performances/{other_show}/snapshots"),
            &admin.token,
            json!({ "name": "Чужой" }),
        )
        .await;
    let elsewhere = id(&elsewhere.body);
    assert_eq!(
        app.get(&format!("{compare_path}?with={elsewhere}"), &admin.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{compare_path}?with=nonsense"), &admin.token)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // The snapshot itself stays as it was frozen.
    let frozen = app
        .get(
            &format!("/api/v1/performances/{show}/snapshots/{snapshot}"),
            &admin.token,
        )
        .await;
    assert_eq!(frozen.status, StatusCode::OK);
    assert_eq!(frozen.body["state"]["documents"][0]["version"]["number"], 1);
    let list = app
        .get(
            &format!("/api/v1/performances/{show}/snapshots"),
            &admin.token,
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.audit_count(admin.theater_id, "snapshot.create").await,
        3
    );

    // Validation, permission, tenancy.
    let blank = app
        .post(
            &format!("/api/v1/performances/{show}/snapshots"),
            &admin.token,
            json!({ "name": " " }),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["errors"][0]["field"], "name");
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let refused = app
        .post(
            &format!("/api/v1/performances/{show}/snapshots"),
            &performer.token,
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&compare_path, &performer.token).await.status,
        StatusCode::OK
    );
    let stranger = app.new_theater().await;
    assert_eq!(
        app.get(&compare_path, &stranger.token).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = id(&create(&app, &stranger, json!({})).await);
    let crossed = app
        .get(
            &format!("/api/v1/performances/{theirs}/snapshots/{snapshot}"),
            &stranger.token,
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
}
