//! The contract a client generates code from: the merged OpenAPI document is exact (summaries,
//! a described response for every status, a problem+json schema on every error, 401 on secured
//! operations, required fields), and the API keeps one rule for queries, paths and problems.
//! `.ci/hardening` validates the same document with openapi-spec-validator and schemathesis.

use gateway::{GatewayConfig, build};
use serde_json::{Value, json};
use uuid::Uuid;

mod common;

fn config(database_url: String, data_dir: &std::path::Path) -> GatewayConfig {
    GatewayConfig {
        create_demo: false,
        run_worker: false,
        ..common::config(database_url, testkit::redis_url(), data_dir)
    }
}

fn doc() -> Value {
    serde_json::to_value(gateway::openapi()).unwrap()
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_schema_reference_resolves() {
    // A type used only inside an IntoParams struct is referenced but not registered by utoipa:
    // openapi-spec-validator then rejects the whole document.
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    let missing: Vec<&str> = found
        .into_iter()
        .filter(|r| {
            let path = r.trim_start_matches("#/").split('/').collect::<Vec<_>>();
            path.iter()
                .try_fold(&doc, |node, part| node.get(*part))
                .is_none()
        })
        .collect();
    assert!(missing.is_empty(), "unresolved references: {missing:?}");
}

#[test]
fn no_two_functions_give_one_schema_name_different_shapes() {
    // The gateway merges the functions' documents by component name: two different types
    // called `Bucket` became one schema, and one operation's answers no longer matched it.
    let functions = [
        ("auth", auth::openapi()),
        ("inventory", inventory::openapi()),
        ("documents", documents::openapi()),
        ("schedule", schedule::openapi()),
        ("performances", performances::openapi()),
    ];
    let mut seen: std::collections::BTreeMap<String, (&str, Value)> = Default::default();
    let mut clashes = Vec::new();
    for (function, doc) in functions {
        let doc = serde_json::to_value(doc).unwrap();
        let Some(schemas) = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (name, schema) in schemas {
            match seen.get(name) {
                Some((first, earlier)) if earlier != schema => {
                    clashes.push(format!("{name}: {first} and {function}"))
                }
                Some(_) => {}
                None => {
                    seen.insert(name.clone(), (function, schema.clone()));
                }
            }
        }
    }
    assert!(seen.len() > 50, "only {} schemas seen", seen.len());
    assert!(
        clashes.is_empty(),
        "one name, different schemas: {clashes:?}"
    );
}

#[test]
fn every_operation_has_a_summary_and_a_unique_operation_id() {
    let missing = shared::openapi::operations_without_summary(&gateway::openapi());
    assert!(missing.is_empty(), "without a summary: {missing:#?}");
    let mut seen = std::collections::HashSet::new();
    for op in shared::openapi::operations(&gateway::openapi()) {
        let id = op.operation_id.clone().unwrap_or_default();
        assert!(
            seen.insert(id.clone()),
            "operation id {id} twice ({})",
            op.path
        );
    }
}

#[test]
fn every_response_is_described_and_every_error_is_a_problem() {
    let doc = doc();
    assert!(doc["components"]["schemas"]["Problem"]["properties"]["type"].is_object());
    let mut bad = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let label = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                if response["description"].as_str().is_none_or(str::is_empty) {
                    bad.push(format!("{label} {status}: no description"));
                }
                // An error is a Problem unless the operation declares its own body for it
                // (`GET /health` answers 503 with the health report).
                let content = &response["content"];
                let problem = &content["application/problem+json"];
                if (status.starts_with('4') || status.starts_with('5'))
                    && (content.as_object().is_none_or(|c| c.is_empty())
                        || (!problem.is_null()
                            && problem["schema"]["$ref"] != "#/components/schemas/Problem"))
                {
                    bad.push(format!("{label} {status}: not a Problem"));
                }
            }
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let mut expected = vec!["400", "503"];
            if secured {
                expected.push("401");
            }
            if path.contains('{') {
                expected.push("404");
            }
            if op.get("requestBody").is_some() {
                expected.extend(["415", "422"]);
            }
            for status in expected {
                if !responses.contains_key(status) {
                    bad.push(format!("{label}: {status} undocumented"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn required_fields_are_required() {
    let doc = doc();
    let required = |schema: &str| -> Vec<String> {
        doc["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} has required fields"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for (schema, fields) in [
        (
            "RegisterRequest",
            &[
                "theater_name",
                "email",
                "password",
                "first_name",
                "last_name",
            ][..],
        ),
        ("LoginRequest", &["email", "password"]),
        ("CreateItemRequest", &["name", "category_id"]),
        ("CreateDocumentRequest", &["title", "category_id"]),
        (
            "CreateUserRequest",
            &["email", "password", "first_name", "last_name"],
        ),
    ] {
        let have = required(schema);
        for field in fields {
            assert!(
                have.iter().any(|h| h == field),
                "{schema}.{field}: {have:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_paths_and_problems_follow_one_rule() {
    let name = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let gw = build(config(testkit::database_url(&name), data.path()))
        .await
        .unwrap();
    let url = common::serve(gw.router).await;
    let http = reqwest::Client::new();
    let tag = Uuid::new_v4().simple().to_string();
    let registered: Value = http
        .post(format!("{url}/api/v1/auth/register"))
        .json(
            &json!({"theater_name": "Театр", "email": format!("a-{tag}@example.org"),
            "password": "correct horse battery", "first_name": "Анна", "last_name": "Иванова"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = registered["access_token"].as_str().unwrap().to_string();
    let get = |path: &str| http.get(format!("{url}{path}")).bearer_auth(&token).send();

    // An undeclared query parameter is a 400 naming it, on every function.
    for path in [
        "/api/v1/inventory/items?limit=5&colour=red",
        "/api/v1/documents?colour=red",
        "/api/v1/users?colour=red",
    ] {
        let reply = get(path).await.unwrap();
        assert_eq!(reply.status(), 400, "{path}");
        let problem: Value = reply.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("colour"),
            "{problem}"
        );
    }
    // Declared parameters still pass.
    assert_eq!(
        get("/api/v1/inventory/items?limit=5")
            .await
            .unwrap()
            .status(),
        200
    );

    // `limit` out of range is a malformed query: 400 everywhere, as the contract says.
    for path in [
        "/api/v1/inventory/items?limit=0",
        "/api/v1/documents?limit=1000",
        "/api/v1/roles?limit=0",
    ] {
        assert_eq!(get(path).await.unwrap().status(), 400, "{path}");
    }

    // A trailing slash is the same resource.
    assert_eq!(get("/api/v1/inventory/items/").await.unwrap().status(), 200);
    assert_eq!(get("/api/v1/auth/me/").await.unwrap().status(), 200);

    // Problem types are absolute URIs.
    let problem: Value = get(&format!("/api/v1/inventory/items/{}", Uuid::new_v4()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        problem["type"],
        "tag:theatre-management-system,2026:problems/not-found"
    );
}
