//! The schedule function binary: on Lambda or on a local port (default 3005).

use schedule::ScheduleState;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let (state, common) = ScheduleState::from_env()?;
    let app =
        shared::http::with_function_defaults(schedule::router(state.clone()), &state.ctx, &common);
    shared::runner::run(app, 3005).await
}
