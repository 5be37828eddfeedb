//! The documents function: categories, tags, documents with every version ever uploaded,
//! presigned uploads and downloads, previews and full-text search (Russian and English).

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
use utoipa_axum::routes;

pub mod access;
pub mod categories;
pub mod documents;
pub mod domain;
pub mod stats;
pub mod tags;
pub mod templates;
pub mod versions;

/// Limits of uploads and of the URLs handed out.
#[derive(Clone, Debug)]
pub struct UploadLimits {
    /// Largest file accepted (default 50 MB, DOMAIN.md).
    pub max_file_size: u64,
    /// Largest file accepted as a multipart body straight to the API (5 MB; Lambda caps
    /// bodies at 6 MB).
    pub max_direct_size: u64,
    /// How long a presigned upload URL stays valid.
    pub upload_url_ttl: Duration,
    /// How long a presigned download URL stays valid.
    pub download_url_ttl: Duration,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_file_size: 50 * 1024 * 1024,
            max_direct_size: 5 * 1024 * 1024,
            upload_url_ttl: Duration::from_secs(5 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
        }
    }
}

impl UploadLimits {
    /// `DOCUMENT_MAX_FILE_BYTES`, `DOCUMENT_UPLOAD_URL_TTL_SECONDS`, `DOCUMENT_DOWNLOAD_URL_TTL_SECONDS`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            max_file_size: parsed_or("DOCUMENT_MAX_FILE_BYTES", d.max_file_size)?,
            max_direct_size: d.max_direct_size,
            upload_url_ttl: Duration::from_secs(parsed_or(
                "DOCUMENT_UPLOAD_URL_TTL_SECONDS",
                d.upload_url_ttl.as_secs(),
            )?),
            download_url_ttl: Duration::from_secs(parsed_or(
                "DOCUMENT_DOWNLOAD_URL_TTL_SECONDS",
                d.download_url_ttl.as_secs(),
            )?),
        })
    }
}

/// The documents function's state: shared clients, the bucket and the job queue.
#[derive(Clone)]
pub struct DocumentsState {
    pub ctx: AppContext,
    pub storage: Storage,
    pub jobs: JobQueue,
    pub limits: UploadLimits,
}

impl FromRef<DocumentsState> for AppContext {
    fn from_ref(state: &DocumentsState) -> AppContext {
        state.ctx.clone()
    }
}

impl DocumentsState {
    /// Builds the state from clients made once per process; opens no connection.
    pub fn new(ctx: AppContext, storage: Storage, limits: UploadLimits) -> Self {
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
        Ok((Self::new(ctx, storage, UploadLimits::from_env()?), common))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — documents", version = "1"),
    modifiers(&BearerAuth),
    tags(
        (name = "documents", description = "Documents, their versions and search"),
        (name = "document-categories", description = "Document categories"),
        (name = "document-tags", description = "Document tags"),
        (name = "document-templates", description = "DOCX templates with typed variables, filled for a performance"),
    )
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached.
pub fn api() -> OpenApiRouter<DocumentsState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            categories::list_categories,
            categories::create_category
        ))
        .routes(routes!(tags::list_tags, tags::create_tag))
        .routes(routes!(stats::document_stats))
        .routes(routes!(
            templates::list_document_templates,
            templates::create_document_template
        ))
        .routes(routes!(
            templates::get_document_template,
            templates::update_document_template,
            templates::delete_document_template
        ))
        .routes(routes!(
            templates::get_document_template_variables,
            templates::put_document_template_variables
        ))
        .routes(routes!(templates::generate_from_template))
        .routes(routes!(templates::get_document_generation))
        .routes(routes!(
            documents::list_documents,
            documents::create_document
        ))
        .routes(routes!(
            documents::get_document,
            documents::update_document,
            documents::delete_document
        ))
        .routes(routes!(documents::archive_document))
        .routes(routes!(documents::restore_document))
        .routes(routes!(versions::list_versions, versions::request_upload))
        .routes(routes!(versions::upload_direct))
        .routes(routes!(versions::get_version))
        .routes(routes!(versions::complete_upload))
        .routes(routes!(versions::download_version))
        .routes(routes!(versions::preview_version))
        .routes(routes!(versions::restore_version))
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: DocumentsState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    // Direct uploads carry up to 5 MB plus form overhead; the common layer still caps bodies.
    router
        .layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024))
        .with_state(state)
}
