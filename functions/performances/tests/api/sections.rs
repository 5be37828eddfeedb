//! The passport's sections: nine on create in DOMAIN.md's order with their departments, edits
//! with If-Match, and the "свой цех" rule keyed on department membership.

use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};
use uuid::Uuid;

use crate::helpers::{create, id, spawn};

async fn sections(app: &TestApp, user: &TestUser, p: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/performances/{p}/sections"), &user.token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["items"].as_array().unwrap().clone()
}

async fn department(app: &TestApp, admin: &TestUser, code: &str) -> Uuid {
    app.db()
        .await
        .query_one(
            "SELECT id FROM departments WHERE theater_id = $1 AND code = $2",
            &[&admin.theater_id, &code],
        )
        .await
        .unwrap()
        .get(0)
}

/// Puts `user` into department `code` (as its head, or as a member).
async fn join(app: &TestApp, admin: &TestUser, user: &TestUser, code: &str, head: bool) {
    let d = department(app, admin, code).await;
    let db = app.db().await;
    if head {
        db.execute(
            "UPDATE departments SET head_id = $2 WHERE id = $1",
            &[&d, &user.user_id],
        )
        .await
        .unwrap();
    } else {
        db.execute(
            "INSERT INTO user_departments (theater_id, user_id, department_id) VALUES ($1, $2, $3)",
            &[&admin.theater_id, &user.user_id, &d],
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_performance_has_the_nine_sections_in_order_with_their_departments() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let list = sections(&app, &admin, &p).await;
    let codes: Vec<&str> = list.iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "lighting", "sound", "scenery", "props", "costumes", "makeup", "video", "effects",
            "other"
        ]
    );
    assert_eq!(list[0]["title"], "Световая партитура");
    assert_eq!(list[5]["title"], "Грим и причёски");
    let departments: Vec<Value> = list.iter().map(|s| s["department_code"].clone()).collect();
    assert_eq!(
        departments,
        vec![
            json!("light"),
            json!("sound"),
            json!("stage"),
            json!("props"),
            json!("costume"),
            json!("makeup"),
            json!("video"),
            json!("stage"),
            Value::Null
        ]
    );
    assert_eq!(
        list[4]["department_id"],
        json!(department(&app, &admin, "costume").await)
    );
    assert!(list.iter().all(|s| s["content"] == "" && s["version"] == 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn sections_are_edited_with_if_match_added_and_deleted() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let light = sections(&app, &admin, &p).await[0].clone();
    let path = format!("/api/v1/performances/{p}/sections/{}", id(&light));
    let ok = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"content": "# Свет\n\n- выносная пушка", "responsible_user_id": admin.user_id})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    assert_eq!(ok.body["responsible_user_id"], json!(admin.user_id));
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"content": "x"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let foreign_user = app
        .patch(
            &path,
            &admin.token,
            json!({"responsible_user_id": other.user_id}),
        )
        .await;
    assert_eq!(
        foreign_user.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign_user.body
    );
    assert_eq!(
        foreign_user.body["errors"][0]["field"],
        "responsible_user_id"
    );
    // Another theatre sees nothing.
    assert_eq!(
        app.patch(&path, &other.token, json!({"content": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/performances/{p}/sections"), &other.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A section of the production's own.
    let added = app
        .post(
            &format!("/api/v1/performances/{p}/sections"),
            &admin.token,
            json!({"code": "pyro", "title": "Пиротехника", "content": "Фейерверк в финале"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!(
        sections(&app, &admin, &p).await.last().unwrap()["code"],
        "pyro"
    );
    let dup = app
        .post(
            &format!("/api/v1/performances/{p}/sections"),
            &admin.token,
            json!({"code": "sound"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let untitled = app
        .post(
            &format!("/api/v1/performances/{p}/sections"),
            &admin.token,
            json!({"code": "misc"}),
        )
        .await;
    assert_eq!(untitled.status, StatusCode::UNPROCESSABLE_ENTITY);
    let gone = app
        .delete(
            &format!("/api/v1/performances/{p}/sections/{}", id(&added.body)),
            &admin.token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(sections(&app, &admin, &p).await.len(), 9);
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_section.update")
            .await,
        1
    );
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_section.delete")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_department_head_edits_only_their_own_departments_section() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let list = sections(&app, &admin, &p).await;
    let by_code = |c: &str| list.iter().find(|s| s["code"] == c).unwrap().clone();
    let head = app.user_with_roles(&admin, &["department_head"]).await;
    join(&app, &admin, &head, "costume", true).await;
    let member = app.user_with_roles(&admin, &["department_head"]).await;
    join(&app, &admin, &member, "light", false).await;
    let outsider = app.user_with_roles(&admin, &["department_head"]).await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let section = |s: &Value| format!("/api/v1/performances/{p}/sections/{}", id(s));

    let own = app
        .patch(
            &section(&by_code("costumes")),
            &head.token,
            json!({"content": "Платья — 12 шт."}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    assert_eq!(own.body["content"], "Платья — 12 шт.");
    let foreign = app
        .patch(
            &section(&by_code("lighting")),
            &head.token,
            json!({"content": "чужое"}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{:?}", foreign.body);
    // A member of the light department may edit lighting, not scenery.
    assert_eq!(
        app.patch(
            &section(&by_code("lighting")),
            &member.token,
            json!({"content": "пушки"})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(
            &section(&by_code("scenery")),
            &member.token,
            json!({"content": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // The head role without a department edits nothing; neither does a performer.
    for user in [&outsider, &performer] {
        assert_eq!(
            app.patch(
                &section(&by_code("costumes")),
                &user.token,
                json!({"content": "x"})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
    }
    // Moving the section to another department is not a content edit.
    let moved = app
        .patch(
            &section(&by_code("costumes")),
            &head.token,
            json!({"department_id": department(&app, &admin, "light").await}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);
    // Adding and deleting sections needs performance:edit.
    assert_eq!(
        app.post(
            &format!("/api/v1/performances/{p}/sections"),
            &head.token,
            json!({"code": "wigs", "title": "Парики"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&section(&by_code("costumes")), &head.token)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The rule follows the department, not the role: a renamed department keeps its section.
    app.db()
        .await
        .execute(
            "UPDATE departments SET code = 'wardrobe' WHERE theater_id = $1 AND code = 'costume'",
            &[&admin.theater_id],
        )
        .await
        .unwrap();
    assert_eq!(
        app.patch(
            &section(&by_code("costumes")),
            &head.token,
            json!({"content": "снова"})
        )
        .await
        .status,
        StatusCode::OK
    );
}
