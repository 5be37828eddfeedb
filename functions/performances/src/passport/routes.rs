//! Passport handlers: the passport by parts, filing a document (auto-filed or by hand),
//! correcting and unfiling it, the file-name guess for a client about to upload, readiness.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::document_access::Viewer;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::categories::{Category, Part};
use super::classify::{Guess, classify};
use super::db::{self, PassportDocument};
use super::readiness::{Progress, Readiness, readiness};
use crate::PerformancesState;
use crate::access::require_performance;

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(Category, db::VersionStatus, crate::snapshots::SnapshotKind)),
    tags((name = "passport", description = "The technical passport: documents by part and category, readiness, snapshots")),
)]
struct PassportDoc;

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::with_openapi(<PassportDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(get_passport))
        .routes(routes!(file_document))
        .routes(routes!(refile_document, unfile_document))
        .routes(routes!(classify_file))
        .routes(routes!(passport_readiness))
}

/// One category of the passport with its documents.
#[derive(Serialize, ToSchema)]
pub struct PassportCategoryView {
    pub code: Category,
    pub title: &'static str,
    /// `2.3`: the part's number and the category's place in it.
    pub number: String,
    pub required: bool,
    /// At least one filed document has a current version (archived ones aside).
    pub complete: bool,
    /// The documents the caller may see.
    pub documents: Vec<PassportDocument>,
}

/// One part of the passport.
#[derive(Serialize, ToSchema)]
pub struct PassportPartView {
    /// `1.0` … `4.0`.
    pub code: &'static str,
    pub title: &'static str,
    pub categories: Vec<PassportCategoryView>,
}

/// A performance's technical passport: its four parts, their categories and documents.
#[derive(Serialize, ToSchema)]
pub struct PassportView {
    pub performance_id: Uuid,
    pub readiness: Progress,
    pub parts: Vec<PassportPartView>,
}

/// The technical passport
#[utoipa::path(get, path = "/api/v1/performances/{id}/passport", tag = "passport",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PassportView, description = "Parts → categories → documents with their current versions"),
        (status = 403, description = "Lacks performance:view"), (status = 404, description = "No such performance")))]
#[instrument(skip_all)]
pub async fn get_passport(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<JsonResponse<PassportView>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let filled = db::filled_categories(&client, user.theater_id, id).await?;
    let mut documents = db::filed_documents(&client, &Viewer::from(&user), id).await?;
    let parts = Part::ALL
        .into_iter()
        .map(|part| PassportPartView {
            code: part.code(),
            title: part.title(),
            categories: part
                .categories()
                .map(|c| PassportCategoryView {
                    code: c,
                    title: c.title(),
                    number: format!("{}.{}", part.number(), c.position()),
                    required: c.required(),
                    complete: filled.contains(&c),
                    documents: documents.extract_if(.., |d| d.category == c).collect(),
                })
                .collect(),
        })
        .collect();
    Ok(JsonResponse(PassportView {
        performance_id: id,
        readiness: readiness(&filled).overall,
        parts,
    }))
}

/// Files a document.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDocumentRequest {
    /// A document of this theatre (documents API), not filed in another performance.
    pub document_id: Uuid,
    /// The category; omitted, it is guessed from the current version's file name (or the
    /// newest upload's, or the title).
    #[serde(default)]
    pub category: Option<String>,
}

/// A filing and, when the category was guessed, the guess.
#[derive(Serialize, ToSchema)]
pub struct FilingResult {
    pub document: PassportDocument,
    /// Null when the caller chose the category.
    pub guess: Option<Guess>,
}

fn parse_category(errors: &mut FieldErrors, raw: Option<&str>) -> Option<Option<Category>> {
    match raw {
        None => Some(None),
        Some(raw) => errors.take("category", Category::parse(raw)).map(Some),
    }
}

/// File a document in the passport
#[utoipa::path(post, path = "/api/v1/performances/{id}/passport/documents", tag = "passport",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = FileDocumentRequest,
    responses((status = 201, body = FilingResult, description = "Filed; `ETag` is the document's version"),
        (status = 403, description = "Lacks performance:edit"), (status = 404, description = "No such performance"),
        (status = 409, description = "Already filed here, or the document belongs to another performance"),
        (status = 422, description = "No such document, an unknown category, or nothing to guess from")))]
#[instrument(skip_all)]
pub async fn file_document(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<FileDocumentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let chosen = parse_category(&mut errors, body.category.as_deref());
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let Some(chosen) = chosen else {
        return Err(errors.into_error());
    };
    let document = db::document_for_filing(&tx, &viewer, body.document_id)
        .await?
        .ok_or_else(|| ApiError::invalid("document_id", "no such document in this theatre"))?;
    match (&document.filed, document.performance_id) {
        (Some(filed), Some(p)) if p == id => {
            return Err(ApiError::conflict(format!(
                "the document is already filed here as {}; PATCH it to change the category",
                filed.category
            )));
        }
        (_, Some(p)) if p != id => {
            return Err(ApiError::conflict(
                "the document belongs to another performance",
            ));
        }
        _ => {}
    }
    let (category, guess) = match chosen {
        Some(c) => (c, None),
        None => {
            let guess = [
                document.current_filename.as_deref(),
                document.latest_filename.as_deref(),
                Some(document.title.as_str()),
            ]
            .into_iter()
            .flatten()
            .find_map(classify)
            .ok_or_else(|| {
                ApiError::invalid(
                    "category",
                    "cannot be guessed from the file name or the title; choose one",
                )
            })?;
            (guess.category, Some(guess))
        }
    };
    let confidence = guess.as_ref().map(|g| g.confidence);
    db::file(
        &tx,
        user.theater_id,
        body.document_id,
        id,
        category,
        confidence,
    )
    .await?;
    let filed = reread(&tx, &viewer, body.document_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "passport.file", "document", body.document_id)
            .before(serde_json::json!({ "performance_id": document.performance_id }))
            .after(serde_json::json!({
                "performance_id": id, "passport_category": category, "passport_confidence": confidence,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(
        filed.version,
        FilingResult {
            document: filed,
            guess,
        },
    ))
}

async fn reread(
    tx: &deadpool_postgres::Transaction<'_>,
    viewer: &Viewer,
    document_id: Uuid,
) -> ApiResult<PassportDocument> {
    // The caller saw it a moment ago in this transaction; filing changes no visibility.
    db::document_for_filing(tx, viewer, document_id)
        .await?
        .and_then(|d| d.filed)
        .ok_or(ApiError::NotFound)
}

/// The document filed under performance `id`, locked; a 404 when it is not (or not visible).
async fn filed_here(
    tx: &deadpool_postgres::Transaction<'_>,
    user: &AuthUser,
    id: Uuid,
    document_id: Uuid,
    expected: Option<i32>,
) -> ApiResult<PassportDocument> {
    require_performance(tx, user.theater_id, id, true).await?;
    let document = db::document_for_filing(tx, &Viewer::from(user), document_id)
        .await?
        .filter(|d| d.performance_id == Some(id))
        .and_then(|d| d.filed)
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != document.version) {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(document)
}

/// Corrects the category.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefileRequest {
    pub category: String,
}

/// Correct a document's category
#[utoipa::path(patch, path = "/api/v1/performances/{id}/passport/documents/{document_id}", tag = "passport",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("document_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The document's ETag")),
    request_body = RefileRequest,
    responses((status = 200, body = PassportDocument, description = "Refiled by hand (confidence null)"),
        (status = 403, description = "Lacks performance:edit"),
        (status = 404, description = "No such performance, or the document is not filed in it"),
        (status = 412, description = "Stale If-Match"), (status = 422, description = "Unknown category")))]
#[instrument(skip_all)]
pub async fn refile_document(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, document_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<RefileRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let category = Category::parse(&body.category);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = filed_here(&tx, &user, id, document_id, expected).await?;
    let category = category.map_err(|e| ApiError::invalid("category", e))?;
    db::file(&tx, user.theater_id, document_id, id, category, None).await?;
    let after = reread(&tx, &Viewer::from(&user), document_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "passport.refile", "document", document_id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Take a document out of the passport
#[utoipa::path(delete, path = "/api/v1/performances/{id}/passport/documents/{document_id}", tag = "passport",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("document_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The document's ETag")),
    responses((status = 204, description = "Unfiled; the document itself and its versions stay"),
        (status = 403, description = "Lacks performance:edit"),
        (status = 404, description = "No such performance, or the document is not filed in it"),
        (status = 412, description = "Stale If-Match")))]
#[instrument(skip_all)]
pub async fn unfile_document(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, document_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = filed_here(&tx, &user, id, document_id, expected).await?;
    db::unfile(&tx, user.theater_id, document_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "passport.unfile", "document", document_id).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// A file name to guess the category of.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub file_name: String,
}

/// The guess for one file name.
#[derive(Serialize, ToSchema)]
pub struct ClassifyResult {
    pub file_name: String,
    /// Null when nothing in the name points at a category.
    pub guess: Option<Guess>,
}

/// Guess the category of a file before uploading it
#[utoipa::path(post, path = "/api/v1/performances/{id}/passport/classify", tag = "passport",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path)),
    request_body = ClassifyRequest,
    responses((status = 200, body = ClassifyResult, description = "The guess, or null"),
        (status = 403, description = "Lacks performance:view"), (status = 404, description = "No such performance"),
        (status = 422, description = "An empty or overlong file name")))]
#[instrument(skip_all)]
pub async fn classify_file(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ClassifyRequest>,
) -> ApiResult<JsonResponse<ClassifyResult>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let file_name =
        shared::text::text(&body.file_name, 255).map_err(|e| ApiError::invalid("file_name", e))?;
    let guess = classify(&file_name);
    Ok(JsonResponse(ClassifyResult { file_name, guess }))
}

/// Passport readiness
#[utoipa::path(get, path = "/api/v1/performances/{id}/passport/readiness", tag = "passport",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Readiness, description = "Required categories with a current document, overall and per part"),
        (status = 403, description = "Lacks performance:view"), (status = 404, description = "No such performance")))]
#[instrument(skip_all)]
pub async fn passport_readiness(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<JsonResponse<Readiness>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let filled = db::filled_categories(&client, user.theater_id, id).await?;
    Ok(JsonResponse(readiness(&filled)))
}
