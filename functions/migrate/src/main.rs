//! `migrate`: on Lambda, the CloudFormation custom resource that applies migrations once per
//! deploy; anywhere else, applies them once (`DATABASE_URL`) and exits.

use std::time::Duration;

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use migrate::CustomResourceEvent;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let database_url = shared::config::optional("DATABASE_URL");
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let url = database_url.ok_or_else(|| anyhow::anyhow!("set DATABASE_URL"))?;
        let report = shared::migrate::run(&url).await?;
        println!("migrations applied: {}", report.applied.len());
        return Ok(());
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let handler = service_fn(|event: LambdaEvent<CustomResourceEvent>| {
        let http = http.clone();
        let database_url = database_url.clone();
        async move {
            // Leave time to report before Lambda's own deadline.
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let budget = left.saturating_sub(Duration::from_secs(15));
            let response = migrate::handle(&event.payload, database_url.as_deref(), budget).await;
            migrate::send(&http, &event.payload.response_url, &response).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "status": response.status }))
        }
    });
    lambda_runtime::run(handler)
        .await
        .map_err(|e| anyhow::anyhow!("lambda runtime failed: {e}"))
}
