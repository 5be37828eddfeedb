//! The auth function binary: on Lambda or on a local port (default 3001).

use auth::{AuthConfig, AuthState};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let config = AuthConfig::from_env()?;
    let common = config.common.clone();
    let state = AuthState::new(config)?;
    let app =
        shared::http::with_function_defaults(auth::router(state.clone()), &state.ctx, &common);
    shared::runner::run(app, 3001).await
}
