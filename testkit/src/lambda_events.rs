//! Driving a Router the way Lambda does: API Gateway event JSON → `lambda_http`'s conversion →
//! the Router (wrapped as the function binary wraps it) → the API Gateway response JSON that the
//! runtime would post back. Event fixtures are hand-written JSON files with `{{name}}`
//! placeholders for what only exists at test time (tokens, ids).

use std::path::Path;

use axum::Router;
use base64::Engine;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent, Service};
use serde_json::Value;

/// Reads the event fixture `dir/name` and fills its `{{key}}` placeholders.
pub fn load_event(dir: &Path, name: &str, vars: &[(&str, &str)]) -> Value {
    let path = dir.join(name);
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading event fixture {}: {e}", path.display()));
    for (key, value) in vars {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(
        !text.contains("{{"),
        "event fixture {name} has a placeholder left unfilled"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("event fixture {name} is not JSON: {e}"))
}

/// Standard base64 of `bytes`, as API Gateway encodes binary bodies.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Passes `event` through `lambda_http` exactly as `lambda_http::run` does (event → request,
/// response → API Gateway response JSON) around `shared::runner::for_lambda(router)`.
pub async fn invoke(router: Router, event: Value) -> Value {
    let payload: LambdaRequest =
        serde_json::from_value(event).expect("lambda_http recognises the event");
    let mut adapter = lambda_http::Adapter::from(shared::runner::for_lambda(router));
    let response = adapter
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .expect("the Router is infallible");
    serde_json::to_value(&response).expect("the response serialises")
}

/// The decoded body of an API Gateway response JSON (base64 undone when flagged).
pub fn response_body(response: &Value) -> Vec<u8> {
    let body = response["body"].as_str().unwrap_or_default();
    if response["isBase64Encoded"].as_bool().unwrap_or(false) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("a base64 body")
    } else {
        body.as_bytes().to_vec()
    }
}

/// The body as JSON (panics with the text when it is not JSON).
pub fn response_json(response: &Value) -> Value {
    let bytes = response_body(response);
    serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "expected a JSON body, got {:?}",
            String::from_utf8_lossy(&bytes)
        )
    })
}

/// A response header: from `headers` (payload v2) or the first of `multiValueHeaders` (v1).
pub fn response_header<'a>(response: &'a Value, name: &str) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    if let Some(v) = response["headers"].get(&name).and_then(Value::as_str) {
        return Some(v);
    }
    response["multiValueHeaders"]
        .get(&name)
        .and_then(|v| v.get(0))
        .and_then(Value::as_str)
}
