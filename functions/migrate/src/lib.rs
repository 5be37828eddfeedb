//! Migrations once per deploy. On Lambda this is the handler of a CloudFormation custom resource
//! (`Custom::Migrations` in infra/template.yaml): on Create and Update it applies every pending
//! migration with `shared::migrate::run` and reports to CloudFormation; on Delete it does nothing.
//! Elsewhere the binary applies the migrations once and exits (an ECS one-shot task, a shell).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The physical id of the one migrations resource; stable so that updates never replace it.
pub const PHYSICAL_ID: &str = "theatre-database-migrations";

/// What CloudFormation sends to a custom resource handler.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceEvent {
    pub request_type: RequestType,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    #[serde(default)]
    pub resource_properties: Value,
}

/// The lifecycle event of the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RequestType {
    Create,
    Update,
    Delete,
}

/// The answer CloudFormation waits for (PUT to the event's `ResponseURL`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceResponse {
    pub status: &'static str,
    pub reason: String,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub data: Value,
}

/// Applies the migrations (Create/Update) or nothing (Delete), within `budget`, and describes the
/// outcome for CloudFormation. Never fails: a failure becomes a `FAILED` answer with the reason,
/// so the stack rolls back instead of waiting an hour for a reply.
pub async fn handle(
    event: &CustomResourceEvent,
    database_url: Option<&str>,
    budget: Duration,
) -> CustomResourceResponse {
    let outcome = match event.request_type {
        // Dropping the stack must not touch the data; the database is retained separately.
        RequestType::Delete => Ok(json!({ "applied": 0 })),
        RequestType::Create | RequestType::Update => match database_url {
            None => Err("DATABASE_URL is not set".to_string()),
            Some(url) => match tokio::time::timeout(budget, shared::migrate::run(url)).await {
                Ok(Ok(report)) => Ok(json!({
                    "applied": report.applied.len(),
                    "migrations": report.applied.join(", "),
                })),
                Ok(Err(e)) => Err(format!("migrations failed: {e:#}")),
                Err(_) => Err(format!(
                    "migrations did not finish within {}s",
                    budget.as_secs()
                )),
            },
        },
    };
    let (status, reason, data) = match outcome {
        Ok(data) => ("SUCCESS", "migrations are up to date".to_string(), data),
        Err(reason) => {
            tracing::error!(%reason, "migration run failed");
            ("FAILED", reason, json!({}))
        }
    };
    CustomResourceResponse {
        status,
        reason,
        physical_resource_id: event
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| PHYSICAL_ID.to_string()),
        stack_id: event.stack_id.clone(),
        request_id: event.request_id.clone(),
        logical_resource_id: event.logical_resource_id.clone(),
        data,
    }
}

/// PUTs `response` to the presigned `url`. The URL is signed without a content type, so none is
/// sent.
pub async fn send(
    http: &reqwest::Client,
    url: &str,
    response: &CustomResourceResponse,
) -> anyhow::Result<()> {
    let body = serde_json::to_vec(response)?;
    let reply = http
        .put(url)
        .header(reqwest::header::CONTENT_LENGTH, body.len())
        .body(body)
        .send()
        .await?;
    if !reply.status().is_success() {
        anyhow::bail!("CloudFormation refused the answer: {}", reply.status());
    }
    Ok(())
}
