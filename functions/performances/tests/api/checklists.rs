//! Checklists: seeded templates, runs per performance, concurrent ticks.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{create, id, spawn};

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_ticks_of_different_items_are_all_kept_and_one_item_is_ticked_once() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let show = id(&create(&app, &admin, json!({})).await);

    // Every theatre starts with a template of each of the five types.
    let seeded = app
        .get("/api/v1/performances/checklists/templates", &admin.token)
        .await;
    assert_eq!(seeded.status, StatusCode::OK, "{:?}", seeded.body);
    let mut kinds: Vec<&str> = seeded.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["day_of", "montage", "post_show", "pre_show", "rehearsal"]
    );

    let items: Vec<String> = (1..=20).map(|i| format!("Пункт {i}")).collect();
    let template = app
        .post(
            "/api/v1/performances/checklists/templates",
            &admin.token,
            json!({ "name": "Большой", "kind": "pre_show", "items": items }),
        )
        .await;
    assert_eq!(template.status, StatusCode::CREATED, "{:?}", template.body);
    let template_id = id(&template.body);
    let bad = app
        .post(
            "/api/v1/performances/checklists/templates",
            &admin.token,
            json!({ "name": "Пустой", "kind": "pre_show", "items": [] }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "items");

    let run = app
        .post(
            &format!("/api/v1/performances/{show}/checklists"),
            &admin.token,
            json!({ "template_id": template_id }),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    assert_eq!(run.body["status"], "pending");
    assert_eq!(run.body["total"], 20);
    let run_id = id(&run.body);
    let item_ids: Vec<String> = run.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();

    // Editing the template later never changes the run.
    let etag = template.header("etag").unwrap().to_string();
    let edited = app
        .call_with(
            "PATCH",
            &format!("/api/v1/performances/checklists/templates/{template_id}"),
            Some(&admin.token),
            Some(json!({ "items": ["Один пункт"] })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/performances/checklists/templates/{template_id}"),
            Some(&admin.token),
            Some(json!({ "name": "x" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let tick_path =
        |item: &str| format!("/api/v1/performances/{show}/checklists/{run_id}/items/{item}/tick");
    let ticks = futures::future::join_all(item_ids[..19].iter().map(|item| {
        let path = tick_path(item);
        let (app, token) = (&app, &performer.token);
        async move { app.put(&path, token, json!({})).await }
    }))
    .await;
    assert!(
        ticks.iter().all(|t| t.status == StatusCode::OK),
        "{:?}",
        ticks.iter().map(|t| &t.body).collect::<Vec<_>>()
    );
    let last = app
        .put(&tick_path(&item_ids[19]), &admin.token, json!({}))
        .await;
    assert_eq!(last.body["status"], "completed");

    let got = app
        .get(
            &format!("/api/v1/performances/{show}/checklists/{run_id}"),
            &admin.token,
        )
        .await;
    assert_eq!(got.body["ticked"], 20);
    assert_eq!(got.body["status"], "completed");
    assert_eq!(
        got.body["items"].as_array().unwrap().len(),
        20,
        "the run kept its own copy"
    );
    let by_performer = got.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["ticked_by"] == performer.user_id.to_string() && i["ticked_at"].is_string())
        .count();
    assert_eq!(by_performer, 19);

    // Untick, then ten concurrent ticks of that one item: one changes it, the rest find it done.
    let untick = app.delete(&tick_path(&item_ids[0]), &admin.token).await;
    assert_eq!(untick.status, StatusCode::OK);
    assert_eq!(untick.body["status"], "in_progress");
    assert_eq!(untick.body["item"]["ticked"], false);
    let same = futures::future::join_all((0..10).map(|_| {
        let path = tick_path(&item_ids[0]);
        let (app, token) = (&app, &admin.token);
        async move { app.put(&path, token, json!({})).await }
    }))
    .await;
    assert!(
        same.iter()
            .all(|t| t.status == StatusCode::OK && t.body["item"]["ticked"] == true)
    );
    assert_eq!(same.iter().filter(|t| t.body["changed"] == true).count(), 1);
    assert_eq!(
        app.audit_count(admin.theater_id, "checklist_item.tick")
            .await,
        21
    );

    // Permission and tenancy.
    let refused = app
        .post(
            &format!("/api/v1/performances/{show}/checklists"),
            &performer.token,
            json!({ "template_id": template_id }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stranger = app.new_theater().await;
    assert_eq!(
        app.put(&tick_path(&item_ids[1]), &stranger.token, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let theirs = app
        .call_with(
            "DELETE",
            &format!("/api/v1/performances/checklists/templates/{template_id}"),
            Some(&stranger.token),
            None,
            &[],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let deleted = app
        .delete(
            &format!("/api/v1/performances/checklists/templates/{template_id}"),
            &admin.token,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app
        .post(
            &format!("/api/v1/performances/{show}/checklists"),
            &admin.token,
            json!({ "template_id": template_id }),
        )
        .await;
    assert_eq!(gone.status, StatusCode::UNPROCESSABLE_ENTITY);
}
