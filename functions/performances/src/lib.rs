//! The performances function: production cards and their status machine, the technical
//! passport's sections (with the "свой цех" rule), cast and crew, acts and scenes, the kit list
//! against the inventory, and posters and production photos through presigned uploads.
//!
//! Each module brings its routes with their OpenAPI description (`module::routes()`); [`api`]
//! merges them, one line per module.

use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use shared::AppContext;
use shared::config::{CommonConfig, ConfigError, parsed_or};
use shared::jobs::JobQueue;
use shared::openapi::BearerAuth;
use shared::storage::{Storage, StorageConfig};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub mod access;
pub mod cast;
pub mod checklists;
pub mod domain;
pub mod images;
pub mod kit;
pub mod passport;
pub mod performances;
pub mod removal;
pub mod scenes;
pub mod sections;
pub mod snapshots;

/// Limits of poster and photo uploads and of the links handed out.
#[derive(Clone, Debug)]
pub struct ImageLimits {
    /// Largest original accepted (default 30 MB: a 24-megapixel camera JPEG fits).
    pub max_file_size: u64,
    /// How long a presigned upload URL stays valid.
    pub upload_url_ttl: Duration,
    /// How long a variant's presigned GET URL stays valid.
    pub link_ttl: Duration,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_file_size: 30 * 1024 * 1024,
            upload_url_ttl: Duration::from_secs(5 * 60),
            link_ttl: Duration::from_secs(15 * 60),
        }
    }
}

impl ImageLimits {
    /// `POSTER_MAX_FILE_BYTES`, `POSTER_UPLOAD_URL_TTL_SECONDS`, `POSTER_LINK_TTL_SECONDS`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            max_file_size: parsed_or("POSTER_MAX_FILE_BYTES", d.max_file_size)?,
            upload_url_ttl: Duration::from_secs(parsed_or(
                "POSTER_UPLOAD_URL_TTL_SECONDS",
                d.upload_url_ttl.as_secs(),
            )?),
            link_ttl: Duration::from_secs(parsed_or(
                "POSTER_LINK_TTL_SECONDS",
                d.link_ttl.as_secs(),
            )?),
        })
    }
}

/// The performances function's state: shared clients, the bucket and the job queue.
#[derive(Clone)]
pub struct PerformancesState {
    pub ctx: AppContext,
    pub storage: Storage,
    pub jobs: JobQueue,
    pub limits: ImageLimits,
}

impl FromRef<PerformancesState> for AppContext {
    fn from_ref(state: &PerformancesState) -> AppContext {
        state.ctx.clone()
    }
}

impl PerformancesState {
    /// Builds the state from clients made once per process; opens no connection.
    pub fn new(ctx: AppContext, storage: Storage, limits: ImageLimits) -> Self {
        let jobs = JobQueue::new(&ctx.config.redis_url, &ctx.config.redis_prefix);
        Self {
            ctx,
            storage,
            jobs,
            limits,
        }
    }

    /// Reads the configuration from the environment (binary start-up).
    pub async fn from_env() -> anyhow::Result<(Self, CommonConfig)> {
        let common = CommonConfig::from_env()?;
        let storage = Storage::new(&StorageConfig::from_env()?).await;
        let ctx = AppContext::new(common.clone())?;
        Ok((Self::new(ctx, storage, ImageLimits::from_env()?), common))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — performances", version = "1"),
    modifiers(&BearerAuth),
    components(schemas(
        domain::PerformanceStatus,
        domain::ImageStatus,
        domain::ImageKind,
        domain::CastKind
    )),
    tags(
        (name = "performances", description = "Productions: cards, statuses, repertoire, posters and photos"),
    )
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached: one line per module.
pub fn api() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(performances::routes())
        .merge(sections::routes())
        .merge(kit::routes())
        .merge(images::routes())
        .merge(cast::routes())
        .merge(scenes::routes())
        .merge(passport::routes())
        .merge(snapshots::routes())
        .merge(checklists::routes())
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: PerformancesState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    router.with_state(state)
}
