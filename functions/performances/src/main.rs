//! The performances function binary: on Lambda or on a local port (default 3004).

use performances::PerformancesState;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let (state, common) = PerformancesState::from_env().await?;
    let app = shared::http::with_function_defaults(
        performances::router(state.clone()),
        &state.ctx,
        &common,
    );
    shared::runner::run(app, 3004).await
}
