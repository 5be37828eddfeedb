//! Fault tests (issue 8): the gateway with its in-process worker against a private Redis and a
//! private PostgreSQL, which are stopped and started mid-run. The shared servers are never
//! touched.

use std::time::Duration;

use common::{config, serve, signed_in};
use gateway::build;
use serde_json::json;
use testkit::faults::{PrivatePostgres, PrivateRedis};

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_restart_answers_503_meanwhile_and_the_worker_resumes() {
    let mut redis = PrivateRedis::start();
    let database = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let gw = build(config(
        testkit::database_url(&database),
        redis.url(),
        data.path(),
    ))
    .await
    .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;

    let uploaded = client.upload("до сбоя", None).await;
    client.wait_ready(&uploaded, Duration::from_secs(20)).await;
    let (status, health) = client.get("/health").await;
    assert_eq!(status, 200, "{health:?}");
    assert_eq!(health["worker"], "ok");

    redis.stop();
    // While Redis is down: 503 with Retry-After where Redis is needed, never a 500.
    for path in ["/api/v1/auth/me", "/api/v1/documents", "/health"] {
        let (status, body) = client.get(path).await;
        assert_eq!(status, 503, "{path}: {body:?}");
    }
    let login_reply = client
        .http
        .post(format!("{}/api/v1/auth/login", client.url))
        .json(&json!({"email": login.0, "password": login.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(login_reply.status(), 503);
    assert!(login_reply.headers().get("retry-after").is_some());
    // The worker notices and says so.
    testkit::eventually(
        "the worker says it is restarting",
        Duration::from_secs(15),
        Duration::from_millis(100),
        || async {
            let (_, health) = client.get("/health").await;
            if health["worker"] == "restarting" {
                Ok(())
            } else {
                Err(format!("{health:?}"))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Redis comes back empty, as it does on these machines.
    redis.resume();
    let ((), recovered) = testkit::eventually(
        "the worker consumes again",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || async {
            let (status, health) = client.get("/health").await;
            if status == 200 && health["worker"] == "ok" {
                assert!(
                    health["worker_restarts"].as_u64().unwrap() >= 1,
                    "{health:?}"
                );
                Ok(())
            } else {
                Err(format!("{health:?}"))
            }
        },
    )
    .await;
    // The token still works (revocation state rebuilt from PostgreSQL) and a new version is
    // processed within seconds: the first enqueue after recovery does not fail.
    let (status, _) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, 200);
    let uploaded = client.upload("после сбоя", None).await;
    let took = client.wait_ready(&uploaded, Duration::from_secs(10)).await;
    eprintln!(
        "worker recovery after the Redis restart: {} ms to /health ok; new version ready in {} ms",
        recovered.as_millis(),
        took.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_restart_answers_503_meanwhile_and_the_pool_recovers() {
    let mut pg = PrivatePostgres::start();
    let redis = PrivateRedis::start();
    let data = tempfile::tempdir().unwrap();
    let gw = build(config(pg.url("theatre"), redis.url(), data.path()))
        .await
        .unwrap();
    let login = gw.demo_login.clone().expect("demo login");
    let _worker = gw.worker;
    let client = signed_in(serve(gw.router).await, &login).await;
    let (status, _) = client.get("/api/v1/documents").await;
    assert_eq!(status, 200);

    pg.stop();
    for path in ["/api/v1/documents", "/api/v1/auth/me", "/health"] {
        let (status, body) = client.get(path).await;
        assert_eq!(status, 503, "{path}: {body:?}");
    }

    pg.resume();
    let ((), back) = testkit::eventually(
        "the pool serves again",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || async {
            let (status, body) = client.get("/api/v1/documents").await;
            assert!(status == 200 || status == 503, "{status}: {body:?}");
            if status == 200 {
                Ok(())
            } else {
                Err(format!("{body:?}"))
            }
        },
    )
    .await;
    eprintln!(
        "pool recovered {} ms after PostgreSQL was back",
        back.as_millis()
    );
    let uploaded = client.upload("после перезапуска базы", None).await;
    client.wait_ready(&uploaded, Duration::from_secs(20)).await;
}
