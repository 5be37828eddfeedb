//! The `process_poster` job against real PostgreSQL, Redis and S3: rows are inserted as the
//! performances API leaves them after confirm (`processing`), the bytes are PUT straight into
//! the store, the job is enqueued, and the real worker (in-process or the binary) runs it.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageDecoder, RgbImage};
use serde_json::Value;
use shared::jobs::{JobQueue, ProcessPoster};
use testkit::{TestApp, TestUser};
use uuid::Uuid;

async fn in_process_worker(app: &TestApp) -> worker::WorkerHandle {
    worker::start(deps(app)).await.expect("worker")
}

fn deps(app: &TestApp) -> worker::Deps {
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    worker::Deps::new(config, app.storage.clone()).expect("deps")
}

/// The worker binary, configured for `app`, with extra environment.
fn worker_process(app: &TestApp, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_worker"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("REDIS_URL", testkit::redis_url())
        .env("REDIS_PREFIX", &app.redis_prefix)
        .env("S3_ENDPOINT", &app.s3.endpoint)
        .env("S3_BUCKET", app.storage.bucket())
        .env("AWS_ACCESS_KEY_ID", shared::embedded_s3::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", shared::embedded_s3::SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("WORKER_POLL_INTERVAL_MS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("worker binary starts")
}

/// A theatre with one performance.
async fn theatre_with_performance(app: &TestApp) -> (TestUser, Uuid) {
    let admin = app.new_theater().await;
    let performance = Uuid::new_v4();
    app.db()
        .await
        .execute(
            "INSERT INTO performances (id, theater_id, title) VALUES ($1, $2, 'Чайка')",
            &[&performance, &admin.theater_id],
        )
        .await
        .unwrap();
    (admin, performance)
}

/// An image row as confirm leaves it (`processing`), with `bytes` at its upload key.
async fn uploaded_image(
    app: &TestApp,
    admin: &TestUser,
    performance: Uuid,
    kind: &str,
    content_type: &str,
    bytes: &[u8],
) -> Uuid {
    let image = Uuid::new_v4();
    let key = shared::keys::performance_image_original(admin.theater_id, performance, image);
    app.storage
        .put(&key, bytes.to_vec(), content_type)
        .await
        .unwrap();
    app.db()
        .await
        .execute(
            "INSERT INTO performance_images (id, theater_id, performance_id, kind, storage_key,
                 filename, content_type, size_bytes, status)
             VALUES ($1, $2, $3, $4, $5, 'афиша.jpg', $6, $7, 'processing')",
            &[
                &image,
                &admin.theater_id,
                &performance,
                &kind,
                &key,
                &content_type,
                &(bytes.len() as i64),
            ],
        )
        .await
        .unwrap();
    image
}

async fn enqueue(app: &TestApp, admin: &TestUser, image: Uuid) {
    JobQueue::new(&testkit::redis_url(), &app.redis_prefix)
        .process_poster(ProcessPoster {
            theater_id: admin.theater_id,
            image_id: image,
            traceparent: None,
        })
        .await
        .unwrap();
}

/// The row as the API would read it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: String,
    failure_reason: Option<String>,
    variants: Value,
    width: Option<i32>,
    height: Option<i32>,
    is_current: bool,
    attempts: i32,
    storage_key: String,
    verified_etag: Option<String>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

async fn row(app: &TestApp, image: Uuid) -> Row {
    let r = app
        .db()
        .await
        .query_one(
            "SELECT status, failure_reason, variants, width, height, is_current, attempts,
                    storage_key, verified_etag, updated_at
             FROM performance_images WHERE id = $1",
            &[&image],
        )
        .await
        .unwrap();
    Row {
        status: r.get(0),
        failure_reason: r.get(1),
        variants: r.get(2),
        width: r.get(3),
        height: r.get(4),
        is_current: r.get(5),
        attempts: r.get(6),
        storage_key: r.get(7),
        verified_etag: r.get(8),
        updated_at: r.get(9),
    }
}

async fn settled(app: &TestApp, image: Uuid, limit: Duration) -> Row {
    let deadline = Instant::now() + limit;
    loop {
        let r = row(app, image).await;
        if r.status == "ready" || r.status == "failed" {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "{image} still {} after {limit:?}: {r:?}",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn object(app: &TestApp, key: &str) -> Option<Vec<u8>> {
    let mut stream = app.storage.get(key).await.unwrap()?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.body.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    Some(bytes)
}

/// Waits (up to 5 s) until `key` is deleted: objects go after the row is marked.
async fn gone(app: &TestApp, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.storage.head(key).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "{key} still stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const SECRET: &[u8] = b"shot on camera serial 4711 at 55.75N 37.61E";

/// A `width` × `height` JPEG whose top half is red and bottom half blue, carrying an EXIF
/// APP1 segment with `Orientation = orientation` and a comment segment with [`SECRET`].
fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |_, y| {
        if y < height / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .unwrap();
    // TIFF header (big-endian), IFD0 with one entry: 0x0112 Orientation, SHORT, 1 value.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(&[0, 1]);
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xff, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut out = plain[..2].to_vec(); // SOI
    out.extend(segment(0xe1, &exif));
    out.extend(segment(0xfe, SECRET));
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG that declares `width` × `height` RGB pixels in a few KB: the first rows of zeros,
/// deflated (a decoder that trusted the header would allocate width × height × 3 bytes).
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let row = vec![0u8; 1 + width as usize * 3];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..16 {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn is_red(p: image::Rgb<u8>) -> bool {
    p.0[0] > 150 && p.0[2] < 100
}

fn is_blue(p: image::Rgb<u8>) -> bool {
    p.0[2] > 150 && p.0[0] < 100
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jpeg_poster_with_exif_orientation_6_comes_out_upright_in_every_variant_without_metadata()
{
    let app = testkit::spawn_app().await;
    let _worker = in_process_worker(&app).await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let original = jpeg_with_orientation(1200, 900, 6);
    // The fixture is what it claims: the decoder sees the tag.
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&original)).expect("a JPEG");
    assert_eq!(
        decoder.orientation().unwrap(),
        image::metadata::Orientation::Rotate90
    );
    assert!(contains(&original, b"Exif\0\0") && contains(&original, SECRET));

    let poster = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &original).await;
    enqueue(&app, &admin, poster).await;
    let done = settled(&app, poster, Duration::from_secs(60)).await;

    assert_eq!(done.status, "ready", "{:?}", done.failure_reason);
    assert_eq!(done.failure_reason, None);
    assert_eq!(
        (done.width, done.height),
        (Some(900), Some(1200)),
        "upright"
    );
    assert!(done.is_current);
    assert_eq!(done.attempts, 1);
    let expected: [(&str, u32, u32); 6] = [
        ("thumb_webp", 240, 320),
        ("thumb_jpeg", 240, 320),
        ("card_webp", 600, 800),
        ("card_jpeg", 600, 800),
        ("full_webp", 900, 1200),
        ("full_jpeg", 900, 1200),
    ];
    let variants = done.variants.as_object().expect("variants object");
    assert_eq!(variants.len(), expected.len(), "{variants:?}");
    for (name, width, height) in expected {
        let v = &variants[name];
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(width as u64), Some(height as u64)),
            "{name}"
        );
        let format = name.rsplit('_').next().unwrap();
        assert_eq!(v["format"], format, "{name}");
        let key = v["key"].as_str().unwrap();
        assert_eq!(
            key,
            shared::keys::performance_image_variant(
                admin.theater_id,
                performance,
                poster,
                name,
                if format == "jpeg" { "jpg" } else { "webp" }
            )
        );
        let bytes = object(&app, key).await.expect("variant stored");
        assert_eq!(v["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
        assert!(!contains(&bytes, b"Exif"), "{name} carries EXIF");
        assert!(!contains(&bytes, SECRET), "{name} carries the comment");
        match format {
            "webp" => {
                assert_eq!(&bytes[..4], b"RIFF");
                assert_eq!(&bytes[8..16], b"WEBPVP8 ", "{name}: simple lossy WebP");
            }
            _ => assert_eq!(&bytes[..3], &[0xff, 0xd8, 0xff]),
        }
        let decoded = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (width, height),
            "{name}"
        );
        // Turned clockwise: the stored top (red) is now the right half.
        let rgb = decoded.to_rgb8();
        let mid = height / 2;
        assert!(
            is_red(*rgb.get_pixel(width * 3 / 4, mid)),
            "{name}: right is red"
        );
        assert!(
            is_blue(*rgb.get_pixel(width / 4, mid)),
            "{name}: left is blue"
        );
    }

    // The original is pinned: a copy no upload URL points at, with its ETag.
    let verified = shared::keys::performance_image_variant(
        admin.theater_id,
        performance,
        poster,
        "verified",
        "jpg",
    );
    assert_eq!(done.storage_key, verified);
    let info = app
        .storage
        .head(&verified)
        .await
        .unwrap()
        .expect("pinned copy");
    assert_eq!(done.verified_etag, info.etag);
    assert_eq!(object(&app, &verified).await.unwrap(), original);
    let upload = shared::keys::performance_image_original(admin.theater_id, performance, poster);
    gone(&app, &upload).await;
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_image.ready")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decompression_bomb_fails_with_a_reason_and_the_worker_goes_on_serving() {
    let app = testkit::spawn_app().await;
    let _worker = in_process_worker(&app).await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let bomb = png_bomb(60_000, 60_000);
    assert!(bomb.len() < 64 * 1024, "a tiny file: {} bytes", bomb.len());
    let bad = uploaded_image(&app, &admin, performance, "poster", "image/png", &bomb).await;
    enqueue(&app, &admin, bad).await;
    let failed = settled(&app, bad, Duration::from_secs(30)).await;
    assert_eq!(failed.status, "failed");
    let reason = failed.failure_reason.unwrap();
    assert!(
        reason.contains("60000×60000") && reason.contains("at most 50 megapixels"),
        "{reason}"
    );
    assert_eq!(failed.attempts, 1, "a refused image is not retried");
    assert!(!failed.is_current);
    assert_eq!(failed.variants, serde_json::json!({}));
    let upload = shared::keys::performance_image_original(admin.theater_id, performance, bad);
    gone(&app, &upload).await;

    // The same worker still serves: a good photo after the bomb.
    let good = uploaded_image(
        &app,
        &admin,
        performance,
        "photo",
        "image/jpeg",
        &jpeg_with_orientation(400, 300, 1),
    )
    .await;
    enqueue(&app, &admin, good).await;
    let done = settled(&app, good, Duration::from_secs(30)).await;
    assert_eq!(done.status, "ready", "{:?}", done.failure_reason);
    assert_eq!((done.width, done.height), (Some(400), Some(300)));
    assert!(!done.is_current, "a photo is never the current poster");
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_that_are_not_what_was_declared_fail_with_a_readable_reason() {
    let app = testkit::spawn_app().await;
    let _worker = in_process_worker(&app).await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let jpeg = jpeg_with_orientation(64, 48, 1);
    let mut cut = jpeg.clone();
    cut.truncate(jpeg.len() / 3);

    let not_an_image = uploaded_image(
        &app,
        &admin,
        performance,
        "poster",
        "image/jpeg",
        b"<html><script>alert(1)</script></html>",
    )
    .await;
    let wrong_type = uploaded_image(&app, &admin, performance, "poster", "image/png", &jpeg).await;
    let damaged = uploaded_image(&app, &admin, performance, "photo", "image/jpeg", &cut).await;
    // Declared 10 bytes more than uploaded.
    let short = uploaded_image(&app, &admin, performance, "photo", "image/jpeg", &jpeg).await;
    app.db()
        .await
        .execute(
            "UPDATE performance_images SET size_bytes = size_bytes + 10 WHERE id = $1",
            &[&short],
        )
        .await
        .unwrap();
    let cases = [
        (not_an_image, "not a JPEG, PNG or WebP image"),
        (
            wrong_type,
            "the file is image/jpeg, but image/png was declared",
        ),
        (damaged, "damaged or unsupported"),
        (short, "were declared"),
    ];
    for (image, _) in &cases {
        enqueue(&app, &admin, *image).await;
    }
    for (image, expected) in cases {
        let done = settled(&app, image, Duration::from_secs(30)).await;
        assert_eq!(done.status, "failed", "{expected}");
        let reason = done.failure_reason.unwrap();
        assert!(reason.contains(expected), "{reason} lacks {expected}");
        assert!(!reason.contains("theaters/"), "no storage key in {reason}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rerunning_a_finished_job_changes_nothing() {
    let app = testkit::spawn_app().await;
    let deps = deps(&app);
    let (admin, performance) = theatre_with_performance(&app).await;
    let poster = uploaded_image(
        &app,
        &admin,
        performance,
        "poster",
        "image/jpeg",
        &jpeg_with_orientation(300, 200, 3),
    )
    .await;
    let refused = uploaded_image(
        &app,
        &admin,
        performance,
        "photo",
        "image/png",
        &png_bomb(10_000, 10_000),
    )
    .await;
    let pending = uploaded_image(
        &app,
        &admin,
        performance,
        "photo",
        "image/jpeg",
        &jpeg_with_orientation(30, 20, 1),
    )
    .await;
    app.db()
        .await
        .execute(
            "UPDATE performance_images SET status = 'pending' WHERE id = $1",
            &[&pending],
        )
        .await
        .unwrap();
    let job = |image_id| ProcessPoster {
        theater_id: admin.theater_id,
        image_id,
        traceparent: None,
    };
    worker::posters::run(&deps, job(poster)).await.unwrap();
    worker::posters::run(&deps, job(refused)).await.unwrap();
    let ready = row(&app, poster).await;
    let failed = row(&app, refused).await;
    assert_eq!(ready.status, "ready");
    assert_eq!((ready.width, ready.height), (Some(300), Some(200)));
    assert_eq!(failed.status, "failed");
    let key = ready.variants["full_webp"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let etag = app.storage.head(&key).await.unwrap().unwrap().etag;

    // Directly, through the queue and through --once: nothing moves.
    for image in [poster, refused, pending] {
        worker::posters::run(&deps, job(image)).await.unwrap();
    }
    let _worker = in_process_worker(&app).await;
    for image in [poster, refused, pending] {
        enqueue(&app, &admin, image).await;
    }
    assert_eq!(
        worker::drain_once(&deps).await.unwrap(),
        0,
        "nothing processing"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(row(&app, poster).await, ready);
    assert_eq!(row(&app, refused).await, failed);
    assert_eq!(
        row(&app, pending).await.status,
        "pending",
        "not confirmed: left alone"
    );
    assert_eq!(app.storage.head(&key).await.unwrap().unwrap().etag, etag);
    assert_eq!(
        app.audit_count(admin.theater_id, "performance_image.ready")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_poster_becomes_current_and_an_older_one_finishing_late_does_not() {
    let app = testkit::spawn_app().await;
    let deps = deps(&app);
    let (admin, performance) = theatre_with_performance(&app).await;
    let (other_admin, other_performance) = theatre_with_performance(&app).await;
    let jpeg = jpeg_with_orientation(100, 80, 1);
    let first = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &jpeg).await;
    let second = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &jpeg).await;
    let third = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &jpeg).await;
    let elsewhere = uploaded_image(
        &app,
        &other_admin,
        other_performance,
        "poster",
        "image/jpeg",
        &jpeg,
    )
    .await;
    let db = app.db().await;
    // Upload order: first, second, third.
    for (image, age) in [(first, 30), (second, 20), (third, 10)] {
        db.execute(
            "UPDATE performance_images SET created_at = now() - make_interval(secs => $2)
             WHERE id = $1",
            &[&image, &(age as f64)],
        )
        .await
        .unwrap();
    }
    let run = |theater_id, image_id| {
        worker::posters::run(
            &deps,
            ProcessPoster {
                theater_id,
                image_id,
                traceparent: None,
            },
        )
    };
    // Another theatre's id for this image: nothing happens.
    run(other_admin.theater_id, first).await.unwrap();
    assert_eq!(row(&app, first).await.status, "processing");

    run(admin.theater_id, first).await.unwrap();
    run(other_admin.theater_id, elsewhere).await.unwrap();
    assert!(row(&app, first).await.is_current);
    run(admin.theater_id, third).await.unwrap();
    assert!(
        !row(&app, first).await.is_current,
        "replaced by a newer poster"
    );
    assert!(row(&app, third).await.is_current);
    // The second was uploaded before the third: finishing late, it does not take over.
    run(admin.theater_id, second).await.unwrap();
    let late = row(&app, second).await;
    assert_eq!(late.status, "ready");
    assert!(!late.is_current);
    assert!(row(&app, third).await.is_current);
    assert!(
        row(&app, elsewhere).await.is_current,
        "another theatre's poster is untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poster_job_interrupted_by_a_killed_worker_completes_after_a_restart() {
    let app = testkit::spawn_app().await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let poster = uploaded_image(
        &app,
        &admin,
        performance,
        "poster",
        "image/jpeg",
        &jpeg_with_orientation(640, 480, 6),
    )
    .await;
    enqueue(&app, &admin, poster).await;

    // The first worker holds the job for 60 s: it is killed while the job runs.
    let mut first = worker_process(&app, &[("WORKER_DEBUG_PAUSE_MS", "60000")]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while row(&app, poster).await.attempts == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never started the job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert_eq!(
        row(&app, poster).await.status,
        "processing",
        "killed mid-job"
    );

    // A new worker's sweeper finds the image stuck in processing (here: for more than 1 s)
    // and re-enqueues it; the job completes.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut second = worker_process(&app, &[("WORKER_STUCK_AFTER_SECONDS", "1")]);
    let done = settled(&app, poster, Duration::from_secs(60)).await;
    second.kill().ok();
    second.wait().ok();
    assert_eq!(done.status, "ready", "{:?}", done.failure_reason);
    assert_eq!((done.width, done.height), (Some(480), Some(640)));
    assert!(done.attempts >= 2);
    assert!(done.is_current);
}

#[tokio::test(flavor = "multi_thread")]
async fn back_to_back_jobs_never_stall_the_worker() {
    let app = testkit::spawn_app().await;
    let _worker = in_process_worker(&app).await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let bomb = png_bomb(60_000, 60_000);
    for i in 0..30 {
        let image = uploaded_image(&app, &admin, performance, "photo", "image/png", &bomb).await;
        enqueue(&app, &admin, image).await;
        let done = settled(&app, image, Duration::from_secs(20)).await;
        assert_eq!(done.status, "failed", "round {i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_never_confirmed_expires_with_its_upload() {
    let app = testkit::spawn_app().await;
    let (admin, performance) = theatre_with_performance(&app).await;
    let jpeg = jpeg_with_orientation(40, 30, 1);
    let forgotten = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &jpeg).await;
    let fresh = uploaded_image(&app, &admin, performance, "poster", "image/jpeg", &jpeg).await;
    let db = app.db().await;
    for (image, expired) in [(forgotten, "1 hour"), (fresh, "-1 hour")] {
        db.execute(
            "UPDATE performance_images SET status = 'pending',
                 upload_expires_at = now() - $2::text::interval WHERE id = $1",
            &[&image, &expired],
        )
        .await
        .unwrap();
    }
    let expired = worker::expiry::expire_pending(&deps(&app), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(expired.images, 1);
    let gone_row = row(&app, forgotten).await;
    assert_eq!(gone_row.status, "failed");
    assert!(gone_row.failure_reason.unwrap().contains("never confirmed"));
    let upload = shared::keys::performance_image_original(admin.theater_id, performance, forgotten);
    assert!(app.storage.head(&upload).await.unwrap().is_none());
    assert_eq!(
        row(&app, fresh).await.status,
        "pending",
        "its link is still valid"
    );
}
