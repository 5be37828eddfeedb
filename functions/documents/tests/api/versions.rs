//! Uploading, verifying, numbering, downloading and restoring versions.

use std::time::Instant;

use serde_json::json;
use sha2::{Digest, Sha256};
use testkit::StatusCode;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_through_the_presigned_url_becomes_version_one_with_its_text_searchable() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc = create_document(&app, &admin, json!({ "title": "Lighting plot" })).await;
    let doc_id = id(&doc);
    let pdf = pdf_with_text("Stage riders for the spring tour");

    let version_id = upload(
        &app,
        &admin,
        &doc_id,
        "Световая партитура.pdf",
        "application/pdf",
        &pdf,
    )
    .await;
    let pending = app
        .get(
            &format!("/api/v1/documents/{doc_id}/versions/{version_id}"),
            &admin.token,
        )
        .await;
    assert_eq!(pending.body["status"], "pending");
    let started = Instant::now();
    complete(&app, &admin, &doc_id, &version_id).await;
    let ready = wait_done(&app, &admin, &doc_id, &version_id).await;
    eprintln!("complete → ready took {:?}", started.elapsed());

    assert_eq!(ready["status"], "ready", "{ready:?}");
    assert_eq!(ready["number"], 1);
    assert_eq!(ready["size"], pdf.len());
    assert_eq!(ready["sha256"], format!("{:x}", Sha256::digest(&pdf)));
    assert_eq!(ready["content_type"], "application/pdf");
    assert_eq!(ready["original_filename"], "Световая партитура.pdf");
    assert_eq!(ready["uploaded_by"], admin.user_id.to_string());
    assert_eq!(ready["is_current"], true);
    assert_eq!(ready["has_preview"], true, "a PDF is its own preview");
    assert_eq!(ready["has_text"], true);

    let document = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(document.body["current_version_number"], 1);

    // English stemming over the extracted text: "rider" finds "riders".
    let found = app.get("/api/v1/documents?q=rider", &admin.token).await;
    assert_eq!(ids(&found.body), vec![doc_id.clone()], "{:?}", found.body);

    // The storage key is the server's, not the user's file name.
    let key: String = app
        .db()
        .await
        .query_one(
            "SELECT storage_key FROM document_versions WHERE id = $1::text::uuid",
            &[&version_id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !key.contains("Световая") && key.contains(&version_id),
        "{key}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_redirect_carries_the_original_unicode_file_name() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let text = "Монтировочная опись: задник, падуги, кулисы.".as_bytes();
    let v = upload_ready(
        &app,
        &admin,
        &doc_id,
        "Опись «Чайка».txt",
        "text/plain",
        text,
    )
    .await;
    assert_eq!(v["status"], "ready", "{v:?}");
    let version_id = id(&v);

    let reply = app
        .get(
            &format!("/api/v1/documents/{doc_id}/versions/{version_id}/download"),
            &admin.token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.header("location").expect("Location").to_string();
    assert!(
        location.contains("response-content-disposition"),
        "{location}"
    );

    let file = reqwest::get(&location).await.expect("GET presigned");
    assert_eq!(file.status(), StatusCode::OK);
    let disposition = file
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .expect("Content-Disposition")
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''%D0%9E%D0%BF%D0%B8%D1%81%D1%8C%20%C2%AB%D0%A7%D0%B0%D0%B9%D0%BA%D0%B0%C2%BB.txt"),
        "{disposition}"
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_another_size_than_declared_fails_with_the_reason_and_is_removed() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let ticket = app
        .post(
            &format!("/api/v1/documents/{doc_id}/versions"),
            &admin.token,
            json!({ "filename": "notes.txt", "content_type": "text/plain", "size": 100 }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    // The presigned URL itself refuses other sizes…
    let refused = put_to(&app, &ticket.body["upload"], vec![b'a'; 50]).await;
    assert!(
        !refused.is_success(),
        "the store accepted a short body: {refused}"
    );
    // …so a client that bypasses it writes the object directly; the worker still checks.
    let version_id = ticket.body["version_id"].as_str().unwrap().to_string();
    let key: String = app
        .db()
        .await
        .query_one(
            "SELECT storage_key FROM document_versions WHERE id = $1::text::uuid",
            &[&version_id],
        )
        .await
        .unwrap()
        .get(0);
    app.storage
        .put(&key, vec![b'a'; 50], "text/plain")
        .await
        .unwrap();
    complete(&app, &admin, &doc_id, &version_id).await;
    let failed = wait_done(&app, &admin, &doc_id, &version_id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"],
        "the file has 50 bytes, but 100 were declared"
    );
    assert!(failed["number"].is_null());
    assert!(
        app.storage.head(&key).await.unwrap().is_none(),
        "object removed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_executable_disguised_as_a_pdf_fails_as_a_refused_type() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let mut elf =
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
    elf.resize(4096, 0x90);
    let v = upload_ready(
        &app,
        &admin,
        &doc_id,
        "contract.pdf",
        "application/pdf",
        &elf,
    )
    .await;
    assert_eq!(v["status"], "failed");
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("not an accepted type"), "{error}");
    let document = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert!(document.body["current_version_id"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_versions_are_numbered_one_to_twenty_without_gaps() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let mut version_ids = Vec::new();
    for i in 0..20 {
        let body = format!("Редакция {i} сценария").into_bytes();
        version_ids.push(
            upload(
                &app,
                &admin,
                &doc_id,
                &format!("draft-{i}.txt"),
                "text/plain",
                &body,
            )
            .await,
        );
    }
    futures::future::join_all(
        version_ids
            .iter()
            .map(|v| complete(&app, &admin, &doc_id, v)),
    )
    .await;
    let done = futures::future::join_all(
        version_ids
            .iter()
            .map(|v| wait_done(&app, &admin, &doc_id, v)),
    )
    .await;
    let mut numbers: Vec<i64> = done
        .iter()
        .map(|v| {
            assert_eq!(v["status"], "ready", "{v:?}");
            v["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
    let document = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(document.body["current_version_number"], 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn uploading_the_current_content_again_is_reported_and_stores_nothing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let bytes = "Приказ № 12 о выпуске спектакля".as_bytes();
    let first = upload_ready(&app, &admin, &doc_id, "order.txt", "text/plain", bytes).await;
    assert_eq!(first["number"], 1);
    let second = upload_ready(
        &app,
        &admin,
        &doc_id,
        "order (copy).txt",
        "text/plain",
        bytes,
    )
    .await;
    assert_eq!(second["status"], "failed");
    assert_eq!(second["identical_to_id"], first["id"]);
    assert_eq!(
        second["error"],
        "identical to the current version 1: nothing new was stored"
    );
    let keys: Vec<String> = app
        .db()
        .await
        .query(
            "SELECT storage_key FROM document_versions WHERE document_id = $1::text::uuid ORDER BY created_at",
            &[&doc_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(app.storage.head(&keys[0]).await.unwrap().is_some());
    assert!(
        app.storage.head(&keys[1]).await.unwrap().is_none(),
        "duplicate bytes removed"
    );
    let document = app
        .get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(document.body["current_version_id"], first["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn restoring_an_old_version_makes_it_current_as_the_next_number() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let v1 = upload_ready(&app, &admin, &doc_id, "a.txt", "text/plain", b"first text").await;
    let v2 = upload_ready(&app, &admin, &doc_id, "b.txt", "text/plain", b"second text").await;
    assert_eq!(v2["number"], 2);

    let restored = app
        .post(
            &format!("/api/v1/documents/{doc_id}/versions/{}/restore", id(&v1)),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(restored.status, StatusCode::CREATED, "{:?}", restored.body);
    assert_eq!(restored.body["number"], 3);
    assert_eq!(restored.body["sha256"], v1["sha256"]);
    assert_eq!(restored.body["restored_from_id"], v1["id"]);
    assert_eq!(restored.body["is_current"], true);

    // Restoring what is already current is a conflict.
    let again = app
        .post(
            &format!("/api/v1/documents/{doc_id}/versions/{}/restore", id(&v1)),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let list = app
        .get(
            &format!("/api/v1/documents/{doc_id}/versions"),
            &admin.token,
        )
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        3,
        "every version kept"
    );
    // The restored version downloads the first version's bytes.
    let download = app
        .get(
            &format!(
                "/api/v1/documents/{doc_id}/versions/{}/download",
                id(&restored.body)
            ),
            &admin.token,
        )
        .await;
    let bytes = reqwest::get(download.header("location").unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), b"first text");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_file_posted_as_multipart_is_versioned_like_any_other() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes("Смета на декорации".as_bytes().to_vec())
                .file_name("Смета.txt")
                .mime_str("text/plain")
                .unwrap(),
        )
        .text("comment", "первая редакция");
    let reply = app
        .http
        .post(app.url(&format!("/api/v1/documents/{doc_id}/versions/upload")))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::ACCEPTED);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["comment"], "первая редакция");
    let done = wait_done(&app, &admin, &doc_id, &id(&body)).await;
    assert_eq!(done["status"], "ready", "{done:?}");
    assert_eq!(done["original_filename"], "Смета.txt");

    // Too large for the direct route: 413 with a pointer to presigned uploads.
    let big = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![b'x'; 5 * 1024 * 1024 + 1])
            .file_name("big.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let reply = app
        .http
        .post(app.url(&format!("/api/v1/documents/{doc_id}/versions/upload")))
        .bearer_auth(&admin.token)
        .multipart(big)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_the_limits_are_refused_before_any_upload() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let path = format!("/api/v1/documents/{doc_id}/versions");
    let exe = app
        .post(&path, &admin.token, json!({"filename": "setup.exe", "content_type": "application/octet-stream", "size": 10}))
        .await;
    assert_eq!(exe.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = app
        .post(&path, &admin.token, json!({"filename": "film.pdf", "content_type": "application/pdf", "size": 60u64 * 1024 * 1024}))
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let path_name = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "../x.pdf", "content_type": "application/pdf", "size": 10}),
        )
        .await;
    assert_eq!(path_name.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Completing before the bytes arrived is a conflict, and changes nothing.
    let ticket = app
        .post(
            &path,
            &admin.token,
            json!({"filename": "x.pdf", "content_type": "application/pdf", "size": 10}),
        )
        .await;
    let version_id = ticket.body["version_id"].as_str().unwrap();
    let early = app
        .post(
            &format!("{path}/{version_id}/complete"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    let v = app.get(&format!("{path}/{version_id}"), &admin.token).await;
    assert_eq!(v.body["status"], "pending");
    // Downloading a version that is not ready is a conflict too.
    let download = app
        .get(&format!("{path}/{version_id}/download"), &admin.token)
        .await;
    assert_eq!(download.status, StatusCode::CONFLICT);
}

/// An idle worker picks up each new job by polling its queue: one job after another, each
/// started after its completion request and after the previous job had finished (the worker
/// was idle in between), each run exactly once. Ordered by the database's own timestamps; how
/// fast that is lives in bench/, not here.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_worker_picks_up_each_new_job_by_polling() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let db = app.db().await;
    let mut previous_done: Option<chrono::DateTime<chrono::Utc>> = None;
    for i in 0..5 {
        let v = upload(
            &app,
            &admin,
            &doc_id,
            "t.txt",
            "text/plain",
            format!("text {i}").as_bytes(),
        )
        .await;
        let requested: chrono::DateTime<chrono::Utc> = db
            .query_one("SELECT now()", &[])
            .await
            .expect("clock")
            .get(0);
        complete(&app, &admin, &doc_id, &v).await;
        let done = wait_done(&app, &admin, &doc_id, &v).await;
        assert_eq!(done["status"], "ready", "{done:?}");
        let row = db
            .query_one(
                "SELECT processing_started_at, completed_at, attempts
                 FROM document_versions WHERE id = $1::text::uuid",
                &[&v],
            )
            .await
            .expect("version row");
        let started: chrono::DateTime<chrono::Utc> = row.get(0);
        let finished: chrono::DateTime<chrono::Utc> = row.get(1);
        let attempts: i32 = row.get(2);
        assert!(
            requested <= started,
            "job {i} started before it was asked for"
        );
        assert!(started <= finished, "job {i}");
        if let Some(before) = previous_done {
            assert!(
                before <= started,
                "job {i} started while the worker was busy"
            );
        }
        assert_eq!(attempts, 1, "job {i} ran once");
        previous_done = Some(finished);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_version_cannot_be_replaced_through_its_still_valid_upload_url() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let original = b"the verified rider".to_vec();
    let ticket = app
        .post(
            &format!("/api/v1/documents/{doc_id}/versions"),
            &admin.token,
            json!({"filename": "rider.txt", "content_type": "text/plain", "size": original.len()}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    // The upload URL lives minutes, not a quarter of an hour.
    let expires: chrono::DateTime<chrono::Utc> =
        ticket.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(5));
    assert!(
        put_to(&app, &ticket.body["upload"], original.clone())
            .await
            .is_success()
    );
    let version_id = ticket.body["version_id"].as_str().unwrap().to_string();
    complete(&app, &admin, &doc_id, &version_id).await;
    let v = wait_done(&app, &admin, &doc_id, &version_id).await;
    assert_eq!(v["status"], "ready", "{v:?}");

    // Same size, same type, other bytes, through the URL the client still holds.
    let evil = b"the swapped-in bytes".to_vec()[..original.len()].to_vec();
    let _ = put_to(&app, &ticket.body["upload"], evil).await;
    let download = app
        .get(
            &format!("/api/v1/documents/{doc_id}/versions/{version_id}/download"),
            &admin.token,
        )
        .await;
    assert_eq!(download.status, StatusCode::FOUND, "{:?}", download.body);
    let bytes = reqwest::get(download.header("location").unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), original.as_slice());
}
