//! The documents function binary: on Lambda or on a local port (default 3003).

use documents::DocumentsState;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let (state, common) = DocumentsState::from_env().await?;
    let app =
        shared::http::with_function_defaults(documents::router(state.clone()), &state.ctx, &common);
    shared::runner::run(app, 3003).await
}
