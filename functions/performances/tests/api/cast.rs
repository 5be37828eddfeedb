//! Cast and crew: users of the theatre or outside names, double casts with an order,
//! understudies; another theatre's user refused.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{create, id, spawn};

#[tokio::test(flavor = "multi_thread")]
async fn a_double_cast_with_an_understudy_and_a_crew_lists_in_order() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["performer"]).await;
    let p = id(&create(&app, &admin, json!({})).await);
    let cast = format!("/api/v1/performances/{p}/cast");
    let second = app
        .post(
            &cast,
            &admin.token,
            json!({"role_name": "Тригорин", "person_name": "К. Станиславский", "cast_order": 2}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    let first = app
        .post(
            &cast,
            &admin.token,
            json!({"role_name": "Тригорин", "user_id": actor.user_id}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["display_name"], "Пётр Сидоров");
    assert_eq!(first.body["cast_order"], 1);
    let understudy = app
        .post(&cast, &admin.token, json!({"role_name": "Тригорин", "person_name": "И. Москвин", "cast_order": 3, "is_understudy": true}))
        .await;
    assert_eq!(understudy.body["is_understudy"], true);
    let crew = app
        .post(&cast, &admin.token, json!({"kind": "crew", "role_name": "Помощник режиссёра", "person_name": "Н. Тихомиров"}))
        .await;
    assert_eq!(crew.body["kind"], "crew");
    let list = app.get(&cast, &admin.token).await;
    let order: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(
        order,
        vec![
            id(&first.body),
            id(&second.body),
            id(&understudy.body),
            id(&crew.body)
        ]
    );
    let only_crew = app.get(&format!("{cast}?kind=crew"), &admin.token).await;
    assert_eq!(only_crew.body["items"].as_array().unwrap().len(), 1);
    let page = app.get(&format!("{cast}?limit=2"), &admin.token).await;
    let next = app
        .get(
            &format!(
                "{cast}?limit=2&cursor={}",
                page.body["next_cursor"].as_str().unwrap()
            ),
            &admin.token,
        )
        .await;
    assert_eq!(next.body["items"][0]["id"], understudy.body["id"]);
    // PATCH with If-Match: promote the second cast.
    let path = format!("{cast}/{}", id(&second.body));
    let ok = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"cast_order": 1})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"cast_order": 2})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let nobody = app
        .patch(&path, &admin.token, json!({"person_name": null}))
        .await;
    assert_eq!(
        nobody.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        nobody.body
    );
    assert_eq!(
        app.delete(&path, &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&cast, &admin.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_cast.create")
            .await,
        4
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_is_required_and_must_be_of_this_theatre() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let cast = format!("/api/v1/performances/{p}/cast");
    let nobody = app
        .post(&cast, &admin.token, json!({"role_name": "Маша"}))
        .await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = app
        .post(
            &cast,
            &admin.token,
            json!({"role_name": "Маша", "user_id": other.user_id}),
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign.body
    );
    assert_eq!(foreign.body["errors"][0]["field"], "user_id");
    assert_eq!(
        app.post(
            &cast,
            &other.token,
            json!({"role_name": "Маша", "person_name": "x"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    assert_eq!(
        app.post(
            &cast,
            &performer.token,
            json!({"role_name": "Маша", "person_name": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&cast, &performer.token).await.status,
        StatusCode::OK
    );
}
