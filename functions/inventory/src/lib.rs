//! The inventory function: categories and locations (trees), items with generated inventory
//! numbers, the append-only movement ledger, search and stats, bulk actions, CSV import and
//! export, photos through presigned uploads, and QR labels.

use axum::Router;
use axum::extract::FromRef;
use shared::AppContext;
use shared::config::CommonConfig;
use shared::openapi::BearerAuth;
use shared::storage::{Storage, StorageConfig};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod bulk;
pub mod domain;
pub mod exchange;
pub mod items;
pub mod labels;
pub mod movements;
pub mod numbers;
pub mod photos;
pub mod repo;
pub mod scope;
pub mod search;
pub mod trees;

/// What the binary reads at start.
#[derive(Clone, Debug)]
pub struct InventoryConfig {
    pub common: CommonConfig,
    pub storage: StorageConfig,
}

impl InventoryConfig {
    /// The common settings plus `S3_BUCKET` and friends.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            common: CommonConfig::from_env()?,
            storage: StorageConfig::from_env()?,
        })
    }
}

/// The inventory function's state: shared clients plus the bucket.
#[derive(Clone)]
pub struct InventoryState {
    pub ctx: AppContext,
    pub storage: Storage,
}

impl FromRef<InventoryState> for AppContext {
    fn from_ref(state: &InventoryState) -> AppContext {
        state.ctx.clone()
    }
}

impl InventoryState {
    /// Builds the state from config; opens no database connection.
    pub async fn new(config: InventoryConfig) -> anyhow::Result<Self> {
        Ok(Self {
            ctx: AppContext::new(config.common)?,
            storage: Storage::new(&config.storage).await,
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — inventory", version = "1"),
    modifiers(&BearerAuth),
    tags((name = "inventory", description = "Props, costumes, sets and gear; the movement ledger"))
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached.
pub fn api() -> OpenApiRouter<InventoryState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(trees::list_categories, trees::create_category))
        .routes(routes!(
            trees::get_category,
            trees::update_category,
            trees::delete_category
        ))
        .routes(routes!(trees::list_locations, trees::create_location))
        .routes(routes!(
            trees::get_location,
            trees::update_location,
            trees::delete_location
        ))
        .routes(routes!(search::list_items, items::create_item))
        .routes(routes!(search::list_overdue))
        .routes(routes!(bulk::bulk))
        .routes(routes!(exchange::export_csv))
        .routes(routes!(exchange::import_csv))
        .routes(routes!(labels::label_sheet))
        .routes(routes!(labels::qr_svg_handler))
        .routes(routes!(labels::qr_png_handler))
        .routes(routes!(photos::list_photos, photos::create_photo))
        .routes(routes!(photos::complete_photo))
        .routes(routes!(photos::set_primary))
        .routes(routes!(photos::reorder_photos))
        .routes(routes!(photos::delete_photo))
        .routes(routes!(search::stats))
        .routes(routes!(
            items::get_item,
            items::update_item,
            items::delete_item
        ))
        .routes(routes!(
            movements::list_item_movements,
            movements::create_movement
        ))
        .routes(routes!(movements::list_movements))
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: InventoryState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    router.with_state(state)
}
