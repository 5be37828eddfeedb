use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{item, spawn};

/// Asks for an upload, PUTs the bytes to S3 as told, and confirms.
async fn upload(app: &TestApp, user: &TestUser, item_id: &str, bytes: &[u8]) -> Value {
    let asked = app
        .post(
            &format!("/api/v1/inventory/items/{item_id}/photos"),
            &user.token,
            json!({ "filename": "канделябр.png", "content_type": "image/png", "size": bytes.len() }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(asked.body["photo"]["status"], "pending");
    let upload = &asked.body["upload"];
    let mut put = app.http.put(upload["url"].as_str().unwrap());
    for (k, v) in upload["headers"].as_object().unwrap() {
        if k != "content-length" {
            put = put.header(k.as_str(), v.as_str().unwrap());
        }
    }
    let stored = put.body(bytes.to_vec()).send().await.unwrap();
    assert!(stored.status().is_success(), "{}", stored.status());
    let photo_id = asked.body["photo"]["id"].as_str().unwrap();
    let done = app
        .post(
            &format!("/api/v1/inventory/items/{item_id}/photos/{photo_id}/complete"),
            &user.token,
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    done.body
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_are_uploaded_confirmed_ordered_made_primary_and_deleted() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();

    let first = upload(&app, &admin, id, b"\x89PNG\r\n\x1a\nfirst photo").await;
    assert_eq!(first["status"], "ready");
    assert_eq!(first["is_primary"], true, "the first photo becomes primary");
    let second = upload(&app, &admin, id, b"\x89PNG\r\n\x1a\nsecond photo, longer").await;
    assert_eq!(second["is_primary"], false);

    // The download link serves the stored bytes.
    let list = app
        .get(
            &format!("/api/v1/inventory/items/{id}/photos"),
            &admin.token,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let url = list.body["items"][1]["url"].as_str().unwrap();
    let bytes = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"\x89PNG\r\n\x1a\nsecond photo, longer");

    let primary = app
        .put(
            &format!(
                "/api/v1/inventory/items/{id}/photos/{}/primary",
                second["id"].as_str().unwrap()
            ),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(primary.status, StatusCode::OK, "{:?}", primary.body);
    let item_now = app
        .get(&format!("/api/v1/inventory/items/{id}"), &admin.token)
        .await;
    assert_eq!(item_now.body["primary_photo_id"], second["id"]);

    let reordered = app
        .put(
            &format!("/api/v1/inventory/items/{id}/photos/order"),
            &admin.token,
            json!({ "photo_ids": [second["id"], first["id"]] }),
        )
        .await;
    assert_eq!(reordered.status, StatusCode::OK, "{:?}", reordered.body);
    assert_eq!(reordered.body["items"][0]["id"], second["id"]);
    let incomplete = app
        .put(
            &format!("/api/v1/inventory/items/{id}/photos/order"),
            &admin.token,
            json!({ "photo_ids": [second["id"]] }),
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = app
        .delete(
            &format!(
                "/api/v1/inventory/items/{id}/photos/{}",
                second["id"].as_str().unwrap()
            ),
            &admin.token,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let left = app
        .get(
            &format!("/api/v1/inventory/items/{id}/photos"),
            &admin.token,
        )
        .await;
    assert_eq!(left.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        left.body["items"][0]["is_primary"], true,
        "the next photo takes over"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_is_not_confirmed_before_its_bytes_arrive_and_bad_uploads_are_refused() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let path = format!("/api/v1/inventory/items/{id}/photos");

    let wrong_type = app
        .post(
            &path,
            &admin.token,
            json!({ "filename": "x.exe", "content_type": "application/x-msdownload", "size": 10 }),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let too_big = app
        .post(
            &path,
            &admin.token,
            json!({ "filename": "x.jpg", "content_type": "image/jpeg", "size": 100_000_000 }),
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);

    let asked = app
        .post(
            &path,
            &admin.token,
            json!({ "filename": "x.jpg", "content_type": "image/jpeg", "size": 10 }),
        )
        .await;
    let photo_id = asked.body["photo"]["id"].as_str().unwrap().to_string();
    let early = app
        .post(
            &format!("{path}/{photo_id}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);

    // Another theatre sees none of it; a viewer may look but not add.
    for (method, p, body) in [
        ("GET", path.clone(), None),
        (
            "POST",
            path.clone(),
            Some(json!({ "filename": "x.jpg", "content_type": "image/jpeg", "size": 10 })),
        ),
        (
            "POST",
            format!("{path}/{photo_id}/complete"),
            Some(json!({})),
        ),
        ("PUT", format!("{path}/{photo_id}/primary"), Some(json!({}))),
        (
            "PUT",
            format!("{path}/order"),
            Some(json!({ "photo_ids": [photo_id] })),
        ),
        ("DELETE", format!("{path}/{photo_id}"), None),
    ] {
        let reply = app
            .call(method, &p, Some(&stranger.token), body.clone())
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {p}");
        if method != "GET" {
            let denied = app.call(method, &p, Some(&viewer.token), body).await;
            assert_eq!(denied.status, StatusCode::FORBIDDEN, "{method} {p}");
        }
    }
    assert_eq!(app.get(&path, &viewer.token).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn photo_names_and_bytes_are_checked_and_a_ready_photo_cannot_be_swapped() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();
    let path = format!("/api/v1/inventory/items/{id}/photos");
    for name in [
        "../../x.png",
        "a\r\nb.png",
        "photo\u{202e}gnp.exe",
        "x.exe",
        "x.png.exe",
    ] {
        let reply = app
            .post(
                &path,
                &admin.token,
                json!({ "filename": name, "content_type": "image/png", "size": 10 }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert_eq!(reply.body["errors"][0]["field"], "filename", "{name:?}");
    }

    // HTML declared as a PNG is refused at confirmation.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let asked = app
        .post(
            &path,
            &admin.token,
            json!({ "filename": "x.png", "content_type": "image/png", "size": html.len() }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let put = |upload: &Value, bytes: Vec<u8>| {
        let mut put = app.http.put(upload["url"].as_str().unwrap());
        for (k, v) in upload["headers"].as_object().unwrap() {
            if k != "content-length" {
                put = put.header(k.as_str(), v.as_str().unwrap());
            }
        }
        put.body(bytes).send()
    };
    assert!(
        put(&asked.body["upload"], html)
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let photo_id = asked.body["photo"]["id"].as_str().unwrap();
    let refused = app
        .post(
            &format!("{path}/{photo_id}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );

    // A real PNG becomes ready; PUTting other bytes to its URL afterwards changes nothing.
    let png = b"\x89PNG\r\n\x1a\nthe checked photo".to_vec();
    let asked = app
        .post(
            &path,
            &admin.token,
            json!({ "filename": "ok.png", "content_type": "image/png", "size": png.len() }),
        )
        .await;
    let upload = asked.body["upload"].clone();
    let expires: chrono::DateTime<chrono::Utc> =
        asked.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(5));
    assert!(
        put(&upload, png.clone())
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let photo_id = asked.body["photo"]["id"].as_str().unwrap();
    let done = app
        .post(
            &format!("{path}/{photo_id}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let mut evil = b"<html>evil</html>".to_vec();
    evil.resize(png.len(), b' ');
    let _ = put(&upload, evil).await;
    let url = done.body["url"].as_str().unwrap();
    let served = app.http.get(url).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(&served.bytes().await.unwrap()[..], png.as_slice());
}
