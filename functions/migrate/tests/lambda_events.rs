//! The `migrate` binary as CloudFormation runs it: a custom resource event arrives through the
//! Lambda Runtime API, the migrations are applied, and the answer is PUT to the event's
//! `ResponseURL` (here a local server standing in for the presigned S3 URL).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::put;
use serde_json::{Value, json};
use testkit::lambda_runtime::{Outcome, RuntimeApi};
use tokio::sync::{Mutex, mpsc};

fn binary() -> PathBuf {
    std::env::var_os("LAMBDA_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_migrate")))
}

/// A stand-in for CloudFormation's presigned response URL: records each answer.
struct ResponseUrl {
    url: String,
    answers: Mutex<mpsc::UnboundedReceiver<(HeaderMap, Value)>>,
}

impl ResponseUrl {
    async fn start() -> ResponseUrl {
        let (tx, rx) = mpsc::unbounded_channel();
        let tx = Arc::new(tx);
        let app = Router::new().route(
            "/cloudformation-response/{id}",
            put(move |headers: HeaderMap, body: Bytes| {
                let tx = tx.clone();
                async move {
                    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let _ = tx.send((headers, value));
                    ""
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/cloudformation-response/abc?X-Amz-Signature=x",
            listener.local_addr().expect("addr")
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ResponseUrl {
            url,
            answers: Mutex::new(rx),
        }
    }

    async fn next_answer(&self) -> (HeaderMap, Value) {
        tokio::time::timeout(Duration::from_secs(30), self.answers.lock().await.recv())
            .await
            .expect("CloudFormation got an answer in time")
            .expect("answer")
    }
}

fn custom_resource_event(request_type: &str, response_url: &str) -> Value {
    let mut event = json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:theatre-migrate",
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:eu-central-1:123456789012:stack/theatre/5b7c1e70-aa11-11ef-9f1b-0a1b2c3d4e5f",
        "RequestId": "d2b7b1e4-7a4a-4b8e-9c6a-3f1e2d3c4b5a",
        "ResourceType": "Custom::Migrations",
        "LogicalResourceId": "DatabaseMigrations",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:theatre-migrate",
            "CodeVersion": "7"
        }
    });
    if request_type != "Create" {
        event["PhysicalResourceId"] = json!(migrate::PHYSICAL_ID);
        event["OldResourceProperties"] = json!({ "CodeVersion": "6" });
    }
    event
}

async fn table_exists(database_url: &str, table: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .expect("database");
    tokio::spawn(connection);
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .expect("query")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_applies_the_migrations_once_under_the_lambda_runtime_api() {
    let database_url = testkit::database_url(&testkit::create_empty_database().await);
    let cloudformation = ResponseUrl::start().await;
    let runtime = RuntimeApi::start().await;
    // The environment infra/template.yaml gives the function (the global variables), with local
    // stand-ins for what it derives from the stack's resources.
    let env = testkit::template::lambda_environment(
        "migrate",
        &[
            ("Database", database_url.clone()),
            ("Redis", testkit::redis_url()),
            ("JwtPublicKeyParameterName", "(not read by migrate)".into()),
            ("CorsOrigins", "https://app.example.org".into()),
        ],
        &[],
        &[],
    );
    let mut function = runtime.spawn_function(
        &binary(),
        "theatre-migrate",
        &testkit::template::pairs(&env),
    );
    assert!(!table_exists(&database_url, "users").await);

    let outcome = runtime
        .invoke(
            custom_resource_event("Create", &cloudformation.url),
            Duration::from_secs(60),
        )
        .await;
    assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
    let (headers, answer) = cloudformation.next_answer().await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer:#}");
    assert_eq!(answer["PhysicalResourceId"], migrate::PHYSICAL_ID);
    assert_eq!(answer["LogicalResourceId"], "DatabaseMigrations");
    assert_eq!(answer["RequestId"], "d2b7b1e4-7a4a-4b8e-9c6a-3f1e2d3c4b5a");
    assert!(answer["Data"]["applied"].as_u64().is_some_and(|n| n >= 1));
    assert!(
        headers.get("content-type").is_none(),
        "the presigned URL is signed without a content type"
    );
    assert!(table_exists(&database_url, "users").await);

    // A later deploy with new code: nothing pending, still a success.
    runtime
        .invoke(
            custom_resource_event("Update", &cloudformation.url),
            Duration::from_secs(60),
        )
        .await;
    let (_, answer) = cloudformation.next_answer().await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer:#}");
    assert_eq!(answer["Data"]["applied"], 0);
    assert_eq!(answer["PhysicalResourceId"], migrate::PHYSICAL_ID);

    // Deleting the stack leaves the data alone.
    runtime
        .invoke(
            custom_resource_event("Delete", &cloudformation.url),
            Duration::from_secs(60),
        )
        .await;
    let (_, answer) = cloudformation.next_answer().await;
    assert_eq!(answer["Status"], "SUCCESS");
    assert!(table_exists(&database_url, "users").await);
    assert!(function.exit_status().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_reported_as_failed_instead_of_leaving_the_stack_waiting() {
    let cloudformation = ResponseUrl::start().await;
    let runtime = RuntimeApi::start().await;
    let missing = testkit::database_url("theatre_test_0_does_not_exist");
    let _function =
        runtime.spawn_function(&binary(), "theatre-migrate", &[("DATABASE_URL", &missing)]);

    runtime
        .invoke(
            custom_resource_event("Create", &cloudformation.url),
            Duration::from_secs(60),
        )
        .await;
    let (_, answer) = cloudformation.next_answer().await;
    assert_eq!(answer["Status"], "FAILED", "{answer:#}");
    assert!(
        answer["Reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("migrations failed")),
        "{answer:#}"
    );
}

#[tokio::test]
async fn outside_lambda_the_binary_migrates_once_and_exits() {
    let database_url = testkit::database_url(&testkit::create_empty_database().await);
    let output = tokio::task::spawn_blocking({
        let database_url = database_url.clone();
        move || {
            std::process::Command::new(binary())
                .env_remove("AWS_LAMBDA_RUNTIME_API")
                .env("DATABASE_URL", &database_url)
                .env("RUST_LOG", "warn")
                .output()
                .expect("run migrate")
        }
    })
    .await
    .expect("join");
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied"));
    assert!(table_exists(&database_url, "users").await);
}
