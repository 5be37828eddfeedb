//! Who sees what: restricted documents, the finance category, other theatres, permissions.

use serde_json::{Value, json};
use testkit::{StatusCode, TestUser};

use crate::helpers::*;

async fn role_id(app: &DocApp, admin: &TestUser, code: &str) -> String {
    let roles = app.get("/api/v1/roles?limit=200", &admin.token).await;
    roles.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .and_then(|r| r["id"].as_str())
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restricted_document_does_not_exist_for_other_roles_in_get_list_and_search() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let accountant = app.user_with_roles(&admin, &["accountant"]).await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let restricted = create_document(
        &app,
        &admin,
        json!({"title": "Гонорары артистов", "allowed_role_ids": [role_id(&app, &admin, "accountant").await]}),
    )
    .await;
    let open = create_document(&app, &admin, json!({"title": "Гонорары: положение"})).await;
    let path = format!("/api/v1/documents/{}", id(&restricted));

    assert_eq!(
        app.get(&path, &accountant.token).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get(&path, &admin.token).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&path, &viewer.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{path}/versions"), &viewer.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let list = |user: &TestUser, q: &str| {
        let url = format!("/api/v1/documents{q}");
        let token = user.token.clone();
        let app = &app;
        async move { ids(&app.get(&url, &token).await.body) }
    };
    let q = "?q=%D0%B3%D0%BE%D0%BD%D0%BE%D1%80%D0%B0%D1%80"; // гонорар
    assert_eq!(list(&viewer, "").await, vec![id(&open)]);
    assert_eq!(list(&viewer, q).await, vec![id(&open)]);
    let mut seen = list(&accountant, q).await;
    seen.sort();
    let mut both = vec![id(&open), id(&restricted)];
    both.sort();
    assert_eq!(seen, both);
}

#[tokio::test(flavor = "multi_thread")]
async fn finance_documents_need_view_financial() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let director = app.user_with_roles(&admin, &["director"]).await;
    let finance = create_document(
        &app,
        &admin,
        json!({"title": "Смета сезона", "category_id": category(&app, &admin, "finance").await}),
    )
    .await;
    let path = format!("/api/v1/documents/{}", id(&finance));
    assert_eq!(
        app.get(&path, &viewer.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&path, &director.token).await.status, StatusCode::OK);
    assert!(ids(&app.get("/api/v1/documents", &viewer.token).await.body).is_empty());

    // Filing into finance without the permission is refused.
    let head = app.user_with_roles(&admin, &["department_head"]).await;
    let refused = app
        .post(
            "/api/v1/documents",
            &head.token,
            json!({"title": "x", "category_id": category(&app, &admin, "finance").await}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// Every documents endpoint, as (method, path, body) for a document and a version.
fn endpoints(doc: &str, version: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let d = format!("/api/v1/documents/{doc}");
    let v = format!("{d}/versions/{version}");
    vec![
        ("GET", d.clone(), None),
        ("PATCH", d.clone(), Some(json!({"title": "чужой"}))),
        ("DELETE", d.clone(), None),
        ("POST", format!("{d}/archive"), Some(json!({}))),
        ("POST", format!("{d}/restore"), Some(json!({}))),
        ("GET", format!("{d}/versions"), None),
        (
            "POST",
            format!("{d}/versions"),
            Some(json!({"filename": "a.txt", "content_type": "text/plain", "size": 3})),
        ),
        ("GET", v.clone(), None),
        ("POST", format!("{v}/complete"), Some(json!({}))),
        ("GET", format!("{v}/download"), None),
        ("GET", format!("{v}/preview"), None),
        ("POST", format!("{v}/restore"), Some(json!({}))),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn another_theatres_admin_gets_404_on_every_endpoint() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({"tags": ["секрет"]})).await);
    let v = upload_ready(
        &app,
        &admin,
        &doc_id,
        "a.pdf",
        "application/pdf",
        &pdf_with_text("secret plan"),
    )
    .await;
    for (method, path, body) in endpoints(&doc_id, &id(&v)) {
        let reply = app.call(method, &path, Some(&stranger.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {:?}",
            reply.body
        );
    }
    // The direct upload route too.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec())
            .file_name("a.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let direct = app
        .http
        .post(app.url(&format!("/api/v1/documents/{doc_id}/versions/upload")))
        .bearer_auth(&stranger.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::NOT_FOUND);
    // Lists and searches show nothing of the other theatre; nor do its tags.
    assert!(ids(&app.get("/api/v1/documents", &stranger.token).await.body).is_empty());
    assert!(
        ids(&app
            .get("/api/v1/documents?q=secret", &stranger.token)
            .await
            .body)
        .is_empty()
    );
    assert!(
        app.get("/api/v1/documents/tags", &stranger.token)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // And it all still works for the owner.
    let mine = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["title"], "Технический райдер");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_permissions_are_403() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let v = upload_ready(&app, &admin, &doc_id, "a.txt", "text/plain", b"text one").await;
    let _v2 = upload_ready(&app, &admin, &doc_id, "b.txt", "text/plain", b"text two").await;

    // Without documents:view nothing is readable.
    for path in [
        "/api/v1/documents".to_string(),
        "/api/v1/documents/categories".to_string(),
        "/api/v1/documents/tags".to_string(),
        format!("/api/v1/documents/{doc_id}"),
        format!("/api/v1/documents/{doc_id}/versions"),
        format!("/api/v1/documents/{doc_id}/versions/{}", id(&v)),
        format!("/api/v1/documents/{doc_id}/versions/{}/download", id(&v)),
        format!("/api/v1/documents/{doc_id}/versions/{}/preview", id(&v)),
    ] {
        let reply = app.get(&path, &performer.token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "GET {path}");
    }
    // A viewer reads but changes nothing.
    for (method, path, body) in endpoints(&doc_id, &id(&v)) {
        if method == "GET" {
            continue;
        }
        let reply = app.call(method, &path, Some(&viewer.token), body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.body["type"], shared::error::problem_type("forbidden"));
    }
    for (path, body) in [
        ("/api/v1/documents", json!({"title": "x"})),
        (
            "/api/v1/documents/categories",
            json!({"code": "xx", "name": "x"}),
        ),
        ("/api/v1/documents/tags", json!({"name": "x"})),
    ] {
        let reply = app.post(path, &viewer.token, body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec())
            .file_name("a.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let direct = app
        .http
        .post(app.url(&format!("/api/v1/documents/{doc_id}/versions/upload")))
        .bearer_auth(&viewer.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::FORBIDDEN);
    // Nothing changed.
    let doc = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(doc.body["version"], 1);
    assert_eq!(doc.body["current_version_number"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_version_of_an_existing_document_needs_documents_edit() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    // The accountant holds documents:create but not documents:edit.
    let accountant = app.user_with_roles(&admin, &["accountant"]).await;
    let doc = id(&create_document(&app, &admin, json!({})).await);
    let first = upload_ready(
        &app,
        &admin,
        &doc,
        "rider.txt",
        "text/plain",
        b"first version",
    )
    .await;
    assert_eq!(first["status"], "ready", "{first:?}");

    let ticket = app
        .post(
            &format!("/api/v1/documents/{doc}/versions"),
            &accountant.token,
            json!({"filename": "rider.txt", "content_type": "text/plain", "size": 5}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::FORBIDDEN, "{:?}", ticket.body);
    let direct = app
        .http
        .post(app.url(&format!("/api/v1/documents/{doc}/versions/upload")))
        .bearer_auth(&accountant.token)
        .multipart(
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(b"evil".to_vec())
                    .file_name("rider.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::FORBIDDEN);

    // Their own new document's first version is part of creating it.
    let own = id(&create_document(&app, &accountant, json!({})).await);
    let v1 = upload_ready(&app, &accountant, &own, "act.txt", "text/plain", b"act").await;
    assert_eq!(v1["status"], "ready", "{v1:?}");
}
