//! The reports function binary: on Lambda or on a local port (default 3006).

use reports::ReportsState;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let (state, common) = ReportsState::from_env().await?;
    let app =
        shared::http::with_function_defaults(reports::router(state.clone()), &state.ctx, &common);
    shared::runner::run(app, 3006).await
}
