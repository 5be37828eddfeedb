//! Posters and photos up to the worker: a type- and size-bound presigned PUT, confirm → 202
//! with the row processing and a `process_poster` job on the queue; confirming twice is
//! harmless; `GET /{id}` shows the current poster and, once the worker recorded variants,
//! their links.

use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{create, id, spawn};

/// A tiny valid PNG (1×1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// Sends `bytes` as the presigned request describes; returns the store's status.
async fn put_to(app: &TestApp, upload: &Value, bytes: Vec<u8>) -> StatusCode {
    assert_eq!(upload["method"], "PUT");
    let mut request = app.http.put(upload["url"].as_str().expect("url"));
    for (k, v) in upload["headers"].as_object().expect("headers") {
        if k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        request = request.header(k.as_str(), v.as_str().expect("header value"));
    }
    request.body(bytes).send().await.expect("PUT sent").status()
}

async fn ticket(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let reply = app
        .post(path, &user.token, json!({"filename": "Афиша «Чайка».png", "content_type": "image/png", "size": PNG.len()}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

/// Whether the `process_poster` queue of this app holds a job for `image_id`.
async fn queued(app: &TestApp, image_id: &str) -> bool {
    let client = redis::Client::open(testkit::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let queue = shared::jobs::queue_name(&app.redis_prefix, shared::jobs::ProcessPoster::QUEUE);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{queue}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if kind != "hash" {
            continue;
        }
        let values: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if values
            .iter()
            .any(|v| String::from_utf8_lossy(v).contains(image_id))
        {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poster_upload_is_confirmed_into_processing_and_its_job_is_queued() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let t = ticket(&app, &admin, &format!("/api/v1/performances/{p}/poster")).await;
    let image_id = t["image_id"].as_str().unwrap().to_string();
    assert_eq!(t["image"]["status"], "pending");
    assert_eq!(t["upload"]["headers"]["content-type"], "image/png");
    let complete = format!("/api/v1/performances/{p}/poster/complete");
    // Nothing uploaded yet.
    let early = app.post(&complete, &admin.token, json!({})).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert!(put_to(&app, &t["upload"], PNG.to_vec()).await.is_success());
    let done = app.post(&complete, &admin.token, json!({})).await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{:?}", done.body);
    assert_eq!(done.body["status"], "processing");
    assert_eq!(done.body["id"], image_id.as_str());
    assert!(
        queued(&app, &image_id).await,
        "a process_poster job for {image_id}"
    );
    let again = app.post(&complete, &admin.token, json!({})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.body["status"], "processing");
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_image.complete")
            .await,
        1
    );
    let card = app
        .get(&format!("/api/v1/performances/{p}"), &admin.token)
        .await;
    assert_eq!(card.body["poster"]["status"], "processing");
    assert_eq!(card.body["poster"]["variants"], json!({}));

    // What the worker writes when it is done: the card shows each variant with a link.
    let theater = admin.theater_id;
    let perf: uuid::Uuid = p.parse().unwrap();
    let image: uuid::Uuid = image_id.parse().unwrap();
    let key = shared::keys::performance_image_variant(theater, perf, image, "thumb_webp", "webp");
    app.storage
        .put(&key, b"RIFF....WEBP".to_vec(), "image/webp")
        .await
        .unwrap();
    let variants = json!({"thumb_webp": {"key": key, "width": 200, "height": 300, "format": "webp", "bytes": 12}});
    app.db()
        .await
        .execute(
            "UPDATE performance_images SET status = 'ready', variants = $2, width = 1, height = 1 WHERE id = $1",
            &[&image, &variants],
        )
        .await
        .unwrap();
    let card = app
        .get(&format!("/api/v1/performances/{p}"), &admin.token)
        .await;
    let thumb = &card.body["poster"]["variants"]["thumb_webp"];
    assert_eq!(thumb["width"], 200);
    assert_eq!(thumb["format"], "webp");
    let fetched = app
        .http
        .get(thumb["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/webp");
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"RIFF....WEBP");
    // Confirming a ready poster changes nothing.
    let late = app.post(&complete, &admin.token, json!({})).await;
    assert_eq!(late.status, StatusCode::ACCEPTED);
    assert_eq!(late.body["status"], "ready");

    // A second poster replaces the first as current once confirmed, not before.
    let t2 = ticket(&app, &admin, &format!("/api/v1/performances/{p}/poster")).await;
    let card = app
        .get(&format!("/api/v1/performances/{p}"), &admin.token)
        .await;
    assert_eq!(card.body["poster"]["id"], image_id.as_str());
    put_to(&app, &t2["upload"], PNG.to_vec()).await;
    let done = app.post(&complete, &admin.token, json!({})).await;
    assert_eq!(done.body["id"], t2["image_id"]);
    let card = app
        .get(&format!("/api/v1/performances/{p}"), &admin.token)
        .await;
    assert_eq!(card.body["poster"]["id"], t2["image_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_images_of_a_bounded_size_are_accepted() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let path = format!("/api/v1/performances/{p}/poster");
    let pdf = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10}),
        )
        .await;
    assert_eq!(pdf.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let gif = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "a.png", "content_type": "image/gif", "size": 10}),
        )
        .await;
    assert_eq!(gif.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": 31 * 1024 * 1024}),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let empty = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "a.jpg", "content_type": "image/jpeg", "size": 0}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The URL is bound to the declared type: another type is refused by the store.
    let t = ticket(&app, &admin, &path).await;
    let mut upload = t["upload"].clone();
    upload["headers"]["content-type"] = json!("image/jpeg");
    assert!(!put_to(&app, &upload, PNG.to_vec()).await.is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_form_a_gallery_that_can_lose_a_photo() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let p = id(&create(&app, &admin, json!({})).await);
    let photos = format!("/api/v1/performances/{p}/photos");
    let a = ticket(&app, &admin, &photos).await;
    let b = ticket(&app, &admin, &photos).await;
    put_to(&app, &a["upload"], PNG.to_vec()).await;
    let a_id = a["image_id"].as_str().unwrap();
    let done = app
        .post(
            &format!("{photos}/{a_id}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{:?}", done.body);
    assert_eq!(done.body["kind"], "photo");
    assert!(queued(&app, a_id).await);
    let list = app.get(&photos, &admin.token).await;
    let statuses: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["processing", "pending"]);
    assert_eq!(
        app.post(
            &format!("{photos}/{a_id}/complete"),
            &other.token,
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{photos}/{a_id}"), &other.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{photos}/{a_id}"), &admin.token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let list = app.get(&photos, &admin.token).await;
    assert_eq!(list.body["items"][0]["id"], b["image_id"]);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    // A photo is not the poster: the card still has none.
    assert_eq!(
        app.get(&format!("/api/v1/performances/{p}"), &admin.token)
            .await
            .body["poster"],
        Value::Null
    );
}
