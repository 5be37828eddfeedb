//! The reports function: counts and sums over the other functions' tables (inventory,
//! performances, schedule, documents) as JSON for screens and CSV, XLSX and PDF files, plus
//! scheduled reports that the worker runs on time and stores as document versions.
//!
//! Why a function of its own rather than endpoints mounted by each owner: a report often joins
//! two owners' tables (kit shortages: performances and inventory; passport readiness:
//! performances and documents), the file renderers (XLSX, PDF with an embedded font) are
//! sizeable and only reports need them, and a separate Lambda keeps their memory and time
//! budget away from the hot CRUD functions. Its SQL only reads the other tables, always bound
//! to the caller's theatre.

use axum::Router;
use axum::extract::FromRef;
use shared::AppContext;
use shared::config::{CommonConfig, parsed_or};
use shared::openapi::BearerAuth;
use shared::storage::{Storage, StorageConfig};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod catalog;
pub mod render;
pub mod routes;
pub mod schedules;
pub mod slots;
pub mod table;

/// Files larger than this are written to storage and answered with a 303 to a download link
/// (`REPORTS_INLINE_LIMIT_BYTES`). Lambda answers at most 6 MB and binary bodies travel
/// base64-encoded (4/3 larger), so the default is 4 MB.
pub const DEFAULT_INLINE_LIMIT: usize = 4 * 1024 * 1024;

/// The reports function's state.
#[derive(Clone)]
pub struct ReportsState {
    pub ctx: AppContext,
    pub storage: Storage,
    pub inline_limit: usize,
}

impl FromRef<ReportsState> for AppContext {
    fn from_ref(state: &ReportsState) -> AppContext {
        state.ctx.clone()
    }
}

impl ReportsState {
    /// Builds the state from clients made once per process; opens no connection.
    pub fn new(ctx: AppContext, storage: Storage) -> anyhow::Result<Self> {
        Ok(Self {
            ctx,
            storage,
            inline_limit: parsed_or("REPORTS_INLINE_LIMIT_BYTES", DEFAULT_INLINE_LIMIT)?,
        })
    }

    /// Reads the configuration from the environment (binary start-up).
    pub async fn from_env() -> anyhow::Result<(Self, CommonConfig)> {
        let common = CommonConfig::from_env()?;
        let ctx = AppContext::new(common.clone())?;
        let storage = Storage::new(&StorageConfig::from_env()?).await;
        Ok((Self::new(ctx, storage)?, common))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — reports", version = "1"),
    modifiers(&BearerAuth),
    tags((name = "reports", description = "Reports as JSON, CSV, XLSX, PDF; scheduled reports stored as documents")),
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached.
pub fn api() -> OpenApiRouter<ReportsState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::list_reports))
        .routes(routes!(
            schedules::list_schedules,
            schedules::create_schedule
        ))
        .routes(routes!(
            schedules::update_schedule,
            schedules::delete_schedule
        ))
        .routes(routes!(routes::run_report))
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: ReportsState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    router.with_state(state)
}
