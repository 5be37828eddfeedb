//! The worker as a separate process (killed mid-job, drained with `--once`) and the file
//! formats it reads (DOCX, ODT, RTF text; image thumbnails).

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{document, spawn_app, upload, wait_done};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser};

async fn in_process_worker(app: &TestApp) -> worker::WorkerHandle {
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    // Files are read by the bounded child, as in production.
    config.extractor = Some(env!("CARGO_BIN_EXE_worker").into());
    worker::start(worker::Deps::new(config, app.storage.clone()).expect("deps"))
        .await
        .expect("worker")
}

/// The worker binary, configured for `app`, with extra environment.
fn worker_process(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_worker"));
    common::configure_for(&mut cmd, app);
    cmd.args(args)
        .env("WORKER_POLL_INTERVAL_MS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("worker binary starts")
}

async fn attempts(app: &TestApp, version: &str) -> i32 {
    app.db()
        .await
        .query_one(
            "SELECT attempts FROM document_versions WHERE id = $1::text::uuid",
            &[&version],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_interrupted_by_a_killed_worker_completes_after_a_restart() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let doc = document(&app, &admin).await;
    let version = upload(
        &app,
        &admin,
        &doc,
        "акт.txt",
        "text/plain",
        "Акт приёмки декораций".as_bytes(),
    )
    .await;

    // The first worker holds the job for 60 s: it is killed while the job runs.
    let mut first = worker_process(&app, &[], &[("WORKER_DEBUG_PAUSE_MS", "60000")]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while attempts(&app, &version).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never started the job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    let v = app
        .get(
            &format!("/api/v1/documents/{doc}/versions/{version}"),
            &admin.token,
        )
        .await;
    assert_eq!(v.body["status"], "processing", "killed mid-job");

    // A new worker finds the interrupted job (its sweeper re-enqueues versions stuck in
    // processing; here anything older than 1 s) and completes it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut second = worker_process(&app, &[], &[("WORKER_STUCK_AFTER_SECONDS", "1")]);
    let done = wait_done(&app, &admin, &doc, &version, Duration::from_secs(30)).await;
    second.kill().ok();
    second.wait().ok();
    assert_eq!(done["status"], "ready", "{done:?}");
    assert_eq!(done["number"], 1);
    assert!(attempts(&app, &version).await >= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn once_mode_processes_every_waiting_version_and_exits() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let doc = document(&app, &admin).await;
    let a = upload(&app, &admin, &doc, "a.txt", "text/plain", b"first").await;
    let b = upload(&app, &admin, &doc, "b.txt", "text/plain", b"second").await;
    let status = worker_process(&app, &["--once"], &[]).wait().unwrap();
    assert!(status.success());
    let mut numbers = Vec::new();
    for v in [&a, &b] {
        let done = wait_done(&app, &admin, &doc, v, Duration::from_secs(1)).await;
        assert_eq!(done["status"], "ready");
        numbers.push(done["number"].as_i64().unwrap());
    }
    // The two jobs may run in either order: b's number is whichever it got.
    let b_number = numbers[1];
    numbers.sort();
    assert_eq!(numbers, vec![1, 2]);
    // Running it again changes nothing: the jobs are idempotent.
    assert!(
        worker_process(&app, &["--once"], &[])
            .wait()
            .unwrap()
            .success()
    );
    let again = wait_done(&app, &admin, &doc, &b, Duration::from_secs(1)).await;
    assert_eq!(again["number"], b_number);
}

fn zip_with(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, body) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

async fn search(app: &TestApp, admin: &TestUser, q: &str) -> Vec<String> {
    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/documents"), &[("q", q)]).unwrap();
    let found: Value = app
        .http
        .get(url)
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn docx_odt_and_rtf_text_is_extracted_for_search_and_images_get_a_thumbnail() {
    let app = spawn_app().await;
    let _worker = in_process_worker(&app).await;
    let admin = app.new_theater().await;

    let docx = zip_with(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        ),
        (
            "word/document.xml",
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Развеска</w:t></w:r><w:r><w:t xml:space="preserve"> световых приборов</w:t></w:r></w:p></w:body></w:document>"#,
        ),
    ]);
    let odt = zip_with(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        (
            "content.xml",
            r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>Партитура звуковых эффектов</text:p></office:text></office:body></office:document-content>"#,
        ),
    ]);
    let rtf = br"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}\f0 \'d1\'ec\'e5\'f2\'e0 \'ed\'e0 \'ea\'ee\'f1\'f2\'fe\'ec\'fb\par}".to_vec();
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    })
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();

    let cases: [(&str, &str, Vec<u8>, Option<&str>); 4] = [
        (
            "Развеска.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx,
            Some("прибор"),
        ),
        (
            "Партитура.odt",
            "application/vnd.oasis.opendocument.text",
            odt,
            Some("эффект"),
        ),
        ("Смета.rtf", "application/rtf", rtf, Some("костюм")),
        ("Эскиз.png", "image/png", png.into_inner(), None),
    ];
    for (name, ct, bytes, word) in cases {
        let doc = document(&app, &admin).await;
        let version = upload(&app, &admin, &doc, name, ct, &bytes).await;
        let done = wait_done(&app, &admin, &doc, &version, Duration::from_secs(30)).await;
        assert_eq!(done["status"], "ready", "{name}: {done:?}");
        match word {
            Some(word) => {
                assert_eq!(done["has_text"], true, "{name}");
                assert_eq!(
                    search(&app, &admin, word).await,
                    vec![doc.clone()],
                    "{name} by {word}"
                );
            }
            None => {
                assert_eq!(done["content_type"], "image/png");
                assert_eq!(done["has_preview"], true);
                let preview = app
                    .get(
                        &format!("/api/v1/documents/{doc}/versions/{version}/preview"),
                        &admin.token,
                    )
                    .await;
                assert_eq!(preview.status, StatusCode::FOUND);
                let thumb = reqwest::get(preview.header("location").unwrap())
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let img = image::load_from_memory(&thumb).expect("a PNG thumbnail");
                assert_eq!((img.width(), img.height()), (480, 320));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internal_failure_stores_a_readable_reason_and_no_internal_text() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let doc = document(&app, &admin).await;
    let version = upload(&app, &admin, &doc, "акт.txt", "text/plain", b"act").await;
    // A worker whose bucket does not exist: every storage call fails with the SDK's text.
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    config.max_attempts = 1;
    let storage = shared::storage::Storage::new(&app.s3.storage_config("no-such-bucket")).await;
    let _worker = worker::start(worker::Deps::new(config, storage).expect("deps"))
        .await
        .expect("worker");
    let done = wait_done(&app, &admin, &doc, &version, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(
        error.contains("could not be processed") || error.contains("missing from storage"),
        "{error}"
    );
    for internal in ["theaters/", "bucket", "object", "dispatch", "service error"] {
        assert!(!error.contains(internal), "{internal} in {error}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfirmed_uploads_expire_with_their_objects_and_stale_spools_are_removed() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let doc = document(&app, &admin).await;
    let ticket = app
        .post(
            &format!("/api/v1/documents/{doc}/versions"),
            &admin.token,
            json!({"filename": "забыт.txt", "content_type": "text/plain", "size": 5}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let upload = &ticket.body["upload"];
    let mut put = app.http.put(upload["url"].as_str().unwrap());
    for (k, v) in upload["headers"].as_object().unwrap() {
        if !k.eq_ignore_ascii_case("content-length") {
            put = put.header(k.as_str(), v.as_str().unwrap());
        }
    }
    assert!(
        put.body(b"never".to_vec())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let version = ticket.body["version_id"].as_str().unwrap().to_string();
    let db = app.db().await;
    let key: String = db
        .query_one(
            "UPDATE document_versions SET upload_expires_at = now() - interval '1 hour'
             WHERE id = $1::text::uuid RETURNING storage_key",
            &[&version],
        )
        .await
        .unwrap()
        .get(0);
    assert!(app.storage.head(&key).await.unwrap().is_some());

    let config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    let deps = worker::Deps::new(config, app.storage.clone()).unwrap();
    let expired = worker::expiry::expire_pending(&deps, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(expired.versions, 1);
    assert!(
        app.storage.head(&key).await.unwrap().is_none(),
        "object deleted"
    );
    let v = app
        .get(
            &format!("/api/v1/documents/{doc}/versions/{version}"),
            &admin.token,
        )
        .await;
    assert_eq!(v.body["status"], "failed");
    assert!(
        v.body["error"]
            .as_str()
            .unwrap()
            .contains("never confirmed")
    );

    // A spool directory of a process that no longer runs is removed; ours stays.
    let stale = std::env::temp_dir()
        .join("theatre-worker-spool")
        .join("4000000000");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("leftover"), b"x").unwrap();
    let ours = worker::expiry::spool_dir().unwrap();
    assert!(worker::expiry::clean_stale_spools() >= 1);
    assert!(!stale.exists());
    assert!(ours.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_exports_are_deleted_once_their_download_link_has_expired() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let export = shared::keys::inventory_export(admin.theater_id, uuid::Uuid::now_v7());
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"inventory_number,name\n").unwrap();
    app.storage
        .put_temporary_file(&export, file.path(), "text/csv")
        .await
        .unwrap();
    // A report file too large for a response, stored for its link the same way.
    let report = shared::keys::report_output(admin.theater_id, uuid::Uuid::now_v7(), "xlsx");
    app.storage
        .put_temporary(&report, b"PK".to_vec(), "application/octet-stream")
        .await
        .unwrap();
    // Another file of the theatre (not an export) is never the sweeper's.
    let other = shared::keys::document_original(
        admin.theater_id,
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    app.storage
        .put(&other, b"keep".to_vec(), "text/plain")
        .await
        .unwrap();

    let config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    let deps = worker::Deps::new(config, app.storage.clone()).unwrap();
    let young = worker::expiry::expire_exports(&deps, shared::keys::INVENTORY_EXPORT_TTL)
        .await
        .unwrap();
    assert_eq!(young, 0, "its link still works");
    assert!(app.storage.head(&export).await.unwrap().is_some());

    let expired = worker::expiry::expire_exports(&deps, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(expired, 2);
    assert!(app.storage.head(&export).await.unwrap().is_none());
    assert!(app.storage.head(&report).await.unwrap().is_none());
    assert!(app.storage.head(&other).await.unwrap().is_some());
}
