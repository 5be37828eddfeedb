//! Acts and scenes: numbered within their act, ordered, renumbered with If-Match.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{create, id, spawn};

#[tokio::test(flavor = "multi_thread")]
async fn scenes_are_numbered_within_acts_and_listed_in_order() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let scenes = format!("/api/v1/performances/{p}/scenes");
    let a2 = app
        .post(
            &scenes,
            &admin.token,
            json!({"act_number": 2, "title": "Крокетная площадка"}),
        )
        .await;
    let a1s1 = app
        .post(
            &scenes,
            &admin.token,
            json!({"act_number": 1, "title": "Парк в имении", "duration_minutes": 25}),
        )
        .await;
    let a1s2 = app
        .post(
            &scenes,
            &admin.token,
            json!({"act_number": 1, "title": "Эстрада"}),
        )
        .await;
    assert_eq!(a1s2.status, StatusCode::CREATED, "{:?}", a1s2.body);
    assert_eq!(a1s1.body["scene_number"], 1);
    assert_eq!(a1s2.body["scene_number"], 2);
    assert_eq!(a2.body["scene_number"], 1);
    let taken = app
        .post(
            &scenes,
            &admin.token,
            json!({"act_number": 1, "scene_number": 2, "title": "Дубль"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let list = app.get(&scenes, &admin.token).await;
    let order: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(order, vec![id(&a1s1.body), id(&a1s2.body), id(&a2.body)]);
    let bad = app
        .post(&scenes, &admin.token, json!({"act_number": 0, "title": ""}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Move the second scene of act 1 to act 3.
    let path = format!("{scenes}/{}", id(&a1s2.body));
    let moved = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"act_number": 3, "scene_number": 1})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["act_number"], 3);
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"title": "x"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let clash = app
        .patch(
            &format!("{scenes}/{}", id(&a2.body)),
            &admin.token,
            json!({"act_number": 3}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(
        app.patch(&path, &other.token, json!({"title": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&scenes, &admin.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_scene.update")
            .await,
        1
    );
}
