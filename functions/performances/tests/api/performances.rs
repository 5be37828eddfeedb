//! The production card: create, read with its ETag, change with If-Match, the status machine,
//! the repertoire, counts, search, soft delete, tenancy and permissions.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{create, id, ids, move_to, spawn};

#[tokio::test(flavor = "multi_thread")]
async fn a_new_performance_starts_in_preparation_and_reads_back_with_its_etag() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let created = create(
        &app,
        &admin,
        json!({
            "subtitle": "комедия в четырёх действиях", "director": "О. Ефремов",
            "genre": "комедия", "age_rating": "12+", "duration_minutes": 190,
            "intermissions": 1, "premiere_date": "2026-10-17", "description": "**Премьера** сезона"
        }),
    )
    .await;
    assert_eq!(created["status"], "preparation");
    assert_eq!(created["version"], 1);
    assert_eq!(created["age_rating"], "12+");
    assert_eq!(created["poster"], serde_json::Value::Null);
    assert_eq!(
        created["next_statuses"],
        json!(["in_repertoire", "archived"])
    );
    let got = app
        .get(
            &format!("/api/v1/performances/{}", id(&created)),
            &admin.token,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body["premiere_date"], "2026-10-17");
    assert_eq!(got.body["intermissions"], 1);
    assert_eq!(
        app.audit_count(admin.theater_id, "performance.create")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_fields_are_named_in_a_422() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let reply = app
        .post(
            "/api/v1/performances",
            &admin.token,
            json!({"title": "  ", "duration_minutes": 0, "intermissions": 11}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["title", "duration_minutes", "intermissions"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let reply = app
        .post(
            "/api/v1/performances",
            &admin.token,
            json!({"title": "Чайка", "age_rating": "21+"}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = create(&app, &admin, json!({})).await;
    let path = format!("/api/v1/performances/{}", id(&p));
    let ok = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"director": "Л. Додин", "subtitle": null})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["director"], "Л. Додин");
    assert_eq!(ok.header("etag"), Some("\"2\""));
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"director": "К. Богомолов"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let now = app.get(&path, &admin.token).await;
    assert_eq!(now.body["director"], "Л. Додин");
    assert_eq!(now.body["version"], 2);
    // The status is not a card field.
    let reply = app
        .patch(&path, &admin.token, json!({"status": "archived"}))
        .await;
    assert!(reply.status.is_client_error(), "{:?}", reply.body);
    assert_eq!(
        app.get(&path, &admin.token).await.body["status"],
        "preparation"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_allowed_move_works_and_others_are_409_naming_the_current_status() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    for (to, expected) in [
        ("paused", StatusCode::CONFLICT),
        ("preparation", StatusCode::CONFLICT),
        ("in_repertoire", StatusCode::OK),
        ("in_repertoire", StatusCode::CONFLICT),
        ("preparation", StatusCode::CONFLICT),
        ("paused", StatusCode::OK),
        ("preparation", StatusCode::CONFLICT),
        ("in_repertoire", StatusCode::OK),
        ("archived", StatusCode::OK),
        ("paused", StatusCode::CONFLICT),
        ("in_repertoire", StatusCode::CONFLICT),
        ("preparation", StatusCode::OK),
        ("archived", StatusCode::OK),
        ("preparation", StatusCode::OK),
        ("in_repertoire", StatusCode::OK),
        ("paused", StatusCode::OK),
        ("archived", StatusCode::OK),
    ] {
        let before = app
            .get(&format!("/api/v1/performances/{p}"), &admin.token)
            .await
            .body["status"]
            .clone();
        let reply = move_to(&app, &admin, &p, to).await;
        assert_eq!(reply.status, expected, "{before} → {to}: {:?}", reply.body);
        if expected == StatusCode::CONFLICT {
            assert_eq!(reply.body["current_status"], before, "{:?}", reply.body);
            assert!(
                reply.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains(before.as_str().unwrap()),
                "{:?}",
                reply.body
            );
        } else {
            assert_eq!(reply.body["status"], to);
        }
    }
    assert_eq!(
        app.audit_count(admin.theater_id, "performance.status")
            .await,
        10
    );
    let unknown = move_to(&app, &admin, &p, "touring").await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unknown.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_repertoire_lists_running_shows_in_their_order_and_stats_count_by_status() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let a = id(&create(&app, &admin, json!({"title": "Вишнёвый сад"})).await);
    let b = id(&create(&app, &admin, json!({"title": "Три сестры"})).await);
    let c = id(&create(&app, &admin, json!({"title": "Дядя Ваня"})).await);
    let _d = id(&create(&app, &admin, json!({"title": "Иванов"})).await);
    for p in [&a, &b, &c] {
        assert_eq!(
            move_to(&app, &admin, p, "in_repertoire").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        move_to(&app, &admin, &b, "paused").await.status,
        StatusCode::OK
    );
    let reply = app
        .patch(
            &format!("/api/v1/performances/{c}"),
            &admin.token,
            json!({"repertoire_order": 0}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let rep = app
        .get("/api/v1/performances/repertoire", &admin.token)
        .await;
    assert_eq!(rep.status, StatusCode::OK, "{:?}", rep.body);
    assert_eq!(ids(&rep.body), vec![c.clone(), a.clone()]);
    // A paused show comes back to its old place.
    assert_eq!(
        move_to(&app, &admin, &b, "in_repertoire").await.status,
        StatusCode::OK
    );
    let rep = app
        .get("/api/v1/performances/repertoire", &admin.token)
        .await;
    assert_eq!(ids(&rep.body), vec![c, a, b]);
    let stats = app.get("/api/v1/performances/stats", &admin.token).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["performances"], 4);
    let by: Vec<(String, i64)> = stats.body["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().into(),
                s["performances"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![
            ("preparation".into(), 1),
            ("in_repertoire".into(), 3),
            ("paused".into(), 0),
            ("archived".into(), 0)
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_title_and_author_and_lists_page_with_a_cursor() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let seagull = id(&create(&app, &admin, json!({"title": "Чайка", "author": "Чехов"})).await);
    let storm = id(&create(
        &app,
        &admin,
        json!({"title": "Гроза", "author": "Островский"}),
    )
    .await);
    let forest = id(&create(
        &app,
        &admin,
        json!({"title": "Лес", "author": "А. Н. Островский"}),
    )
    .await);
    let get = |q: &'static str| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let url =
                reqwest::Url::parse_with_params(&app.url("/api/v1/performances"), &[("q", q)])
                    .unwrap();
            let reply = app.http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(reply.status(), 200);
            let body: serde_json::Value = reply.json().await.unwrap();
            let mut got = ids(&body);
            got.sort();
            got
        }
    };
    let mut both = vec![storm.clone(), forest.clone()];
    both.sort();
    assert_eq!(get("островск").await, both);
    assert_eq!(get("ЧАЙ").await, vec![seagull.clone()]);
    assert_eq!(get("%").await, Vec::<String>::new());
    move_to(&app, &admin, &storm, "in_repertoire").await;
    let filtered = app
        .get("/api/v1/performances?status=in_repertoire", &admin.token)
        .await;
    assert_eq!(ids(&filtered.body), vec![storm.clone()]);
    let bad = app
        .get("/api/v1/performances?status=touring", &admin.token)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let first = app.get("/api/v1/performances?limit=2", &admin.token).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(
            &format!("/api/v1/performances?limit=2&cursor={cursor}"),
            &admin.token,
        )
        .await;
    let mut all = ids(&first.body);
    all.extend(ids(&second.body));
    all.sort();
    let mut expected = vec![seagull, storm, forest];
    expected.sort();
    assert_eq!(all, expected);
    assert!(second.body["next_cursor"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_performance_is_gone_and_another_theatre_never_sees_one() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let path = format!("/api/v1/performances/{p}");
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"title": "Чужая"}))),
        ("DELETE", None),
    ] {
        let reply = app.call(method, &path, Some(&other.token), body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    assert_eq!(
        move_to(&app, &other, &p, "archived").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(ids(&app.get("/api/v1/performances", &other.token).await.body).is_empty());
    let stale = app
        .call_with(
            "DELETE",
            &path,
            Some(&admin.token),
            None,
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let gone = app.delete(&path, &admin.token).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&path, &admin.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(ids(&app.get("/api/v1/performances", &admin.token).await.body).is_empty());
    assert_eq!(
        app.audit_count(admin.theater_id, "performance.delete")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_performer_may_read_but_not_change() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let accountant = app.user_with_roles(&admin, &["accountant"]).await;
    let p = id(&create(&app, &admin, json!({})).await);
    let path = format!("/api/v1/performances/{p}");
    assert_eq!(
        app.get(&path, &performer.token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&path, &accountant.token).await.status,
        StatusCode::FORBIDDEN
    );
    let create = app
        .post(
            "/api/v1/performances",
            &performer.token,
            json!({"title": "Моя"}),
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(create.body["required_permission"], "performance:create");
    assert_eq!(
        app.patch(&path, &performer.token, json!({"title": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        move_to(&app, &performer, &p, "in_repertoire").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, &performer.token).await.status,
        StatusCode::FORBIDDEN
    );
    // The producer creates and edits but may not delete.
    let producer = app.user_with_roles(&admin, &["producer"]).await;
    assert_eq!(
        move_to(&app, &producer, &p, "in_repertoire").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.delete(&path, &producer.token).await.status,
        StatusCode::FORBIDDEN
    );
}
