//! The inventory function binary: on Lambda or on a local port (default 3002).

use inventory::{InventoryConfig, InventoryState};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let config = InventoryConfig::from_env()?;
    let common = config.common.clone();
    let state = InventoryState::new(config).await?;
    let app =
        shared::http::with_function_defaults(inventory::router(state.clone()), &state.ctx, &common);
    shared::runner::run(app, 3002).await
}
