//! The S3 client against the embedded S3-compatible server: presigned PUT with raw HTTP, then
//! presigned GET, and the store refusing uploads that do not match what was signed.

use std::time::Duration;

use testkit::{StatusCode, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn a_presigned_put_then_get_round_trips_the_bytes_and_the_file_name() {
    let app = spawn_app().await;
    let body = "Акт приёмки декораций\n".repeat(100).into_bytes();
    let key = format!("tests/{}", uuid::Uuid::new_v4());
    let put = app
        .storage
        .presign_put(
            &key,
            "text/plain",
            body.len() as u64,
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    let mut request = app.http.put(&put.url).body(body.clone());
    for (name, value) in &put.headers {
        request = request.header(name, value);
    }
    let uploaded = request.send().await.unwrap();
    assert!(uploaded.status().is_success(), "PUT: {}", uploaded.status());

    let head = app
        .storage
        .head(&key)
        .await
        .unwrap()
        .expect("object exists");
    assert_eq!(head.size, body.len() as u64);
    assert_eq!(head.content_type.as_deref(), Some("text/plain"));

    let url = app
        .storage
        .presign_get(&key, "Акт приёмки.txt", Duration::from_secs(60))
        .await
        .unwrap();
    let got = app.http.get(&url).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let disposition = got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''%D0%90%D0%BA%D1%82"),
        "{disposition}"
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), body);

    let mut stream = app.storage.get(&key).await.unwrap().expect("stream");
    let mut streamed = Vec::new();
    while let Some(chunk) = stream.body.next().await {
        streamed.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(streamed, body);

    app.storage
        .copy(&key, &format!("{key}-copy"))
        .await
        .unwrap();
    assert!(
        app.storage
            .head(&format!("{key}-copy"))
            .await
            .unwrap()
            .is_some()
    );
    app.storage.delete(&key).await.unwrap();
    assert!(app.storage.head(&key).await.unwrap().is_none());
    assert!(app.storage.get(&key).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_with_another_content_type_than_signed_is_refused() {
    let app = spawn_app().await;
    let key = format!("tests/{}", uuid::Uuid::new_v4());
    let put = app
        .storage
        .presign_put(&key, "application/pdf", 4, Duration::from_secs(300))
        .await
        .unwrap();
    let refused = app
        .http
        .put(&put.url)
        .header("content-type", "text/html")
        .body("evil")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(app.storage.head(&key).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_of_another_size_than_signed_is_refused() {
    let app = spawn_app().await;
    let key = format!("tests/{}", uuid::Uuid::new_v4());
    let put = app
        .storage
        .presign_put(&key, "application/pdf", 4, Duration::from_secs(300))
        .await
        .unwrap();
    let refused = app
        .http
        .put(&put.url)
        .header("content-type", "application/pdf")
        .body("a much longer body than signed")
        .send()
        .await
        .unwrap();
    assert!(
        refused.status().is_client_error(),
        "got {}",
        refused.status()
    );
    assert!(app.storage.head(&key).await.unwrap().is_none());
}
