//! `shared::storage` against the S3 endpoints the project supports: the embedded store every
//! test uses and, when one is running, LocalStack with signature validation on. The same story
//! each time: bucket, put/head/get/copy/delete, a presigned PUT bound to its content type and
//! length (a different content type is refused), a presigned GET with a Unicode download name.

use std::time::Duration;

use shared::storage::{Storage, StorageConfig};
use uuid::Uuid;

async fn round_trip(storage: &Storage) {
    storage.ensure_bucket().await.expect("bucket");
    let key = format!("documents/{}/v1", Uuid::new_v4());
    let bytes = "Гамлет, акт 1\n".repeat(100).into_bytes();

    storage
        .put(&key, bytes.clone(), "text/plain; charset=utf-8")
        .await
        .expect("put");
    let info = storage.head(&key).await.expect("head").expect("exists");
    assert_eq!(info.size, bytes.len() as u64);
    let stream = storage.get(&key).await.expect("get").expect("exists");
    let got = stream.body.collect().await.expect("body").into_bytes();
    assert_eq!(got.as_ref(), bytes.as_slice());

    let copy = format!("{key}-copy");
    storage.copy(&key, &copy).await.expect("copy");
    assert!(storage.head(&copy).await.expect("head").is_some());

    // A presigned PUT, sent exactly as presigned, uploads.
    let upload_key = format!("documents/{}/upload", Uuid::new_v4());
    let body = b"%PDF-1.7 fake".to_vec();
    let presigned = storage
        .presign_put(
            &upload_key,
            "application/pdf",
            body.len() as u64,
            Duration::from_secs(300),
        )
        .await
        .expect("presign put");
    let http = reqwest::Client::new();
    let send = |content_type: &str| {
        let mut request = http.put(&presigned.url).body(body.clone());
        for (name, value) in &presigned.headers {
            let value = if name == "content-type" {
                content_type
            } else {
                value
            };
            request = request.header(name, value);
        }
        request.send()
    };
    let wrong = send("text/html").await.expect("send");
    assert_eq!(
        wrong.status().as_u16(),
        403,
        "a different content type breaks the signature"
    );
    let right = send("application/pdf").await.expect("send");
    assert!(right.status().is_success(), "{}", right.status());
    assert_eq!(
        storage
            .head(&upload_key)
            .await
            .expect("head")
            .expect("uploaded")
            .size,
        body.len() as u64
    );

    let url = storage
        .presign_get(
            &upload_key,
            "Техрайдер «Гамлет».pdf",
            Duration::from_secs(300),
        )
        .await
        .expect("presign get");
    let download = http.get(&url).send().await.expect("download");
    assert!(download.status().is_success());
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        body.as_slice()
    );

    for k in [&key, &copy, &upload_key] {
        storage.delete(k).await.expect("delete");
        assert!(storage.head(k).await.expect("head").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_speaks_s3_to_the_storage_module() {
    let dir = tempfile::tempdir().expect("dir");
    let s3 =
        shared::embedded_s3::EmbeddedS3::start(dir.path(), "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("embedded S3");
    let storage = Storage::new(&s3.storage_config("embedded-check")).await;
    round_trip(&storage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs LocalStack S3 at LOCALSTACK_S3_ENDPOINT started with S3_SKIP_SIGNATURE_VALIDATION=0; .ci/cloud-checks runs it when LocalStack is available"]
async fn localstack_with_signature_validation_speaks_s3_to_the_storage_module() {
    let endpoint = std::env::var("LOCALSTACK_S3_ENDPOINT")
        .expect("LOCALSTACK_S3_ENDPOINT, e.g. http://127.0.0.1:4566");
    let storage = Storage::new(&StorageConfig {
        bucket: format!(
            "theatre-check-{}",
            &Uuid::new_v4().simple().to_string()[..8]
        ),
        region: "us-east-1".into(),
        endpoint: Some(endpoint),
        credentials: Some(("test".into(), "test".into())),
    })
    .await;
    round_trip(&storage).await;
}
