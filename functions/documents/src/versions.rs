//! Versions of a document. Every upload is kept for ever. The bytes go straight between the
//! client and S3 through presigned URLs (request upload → PUT → complete); small files may be
//! posted to the API instead. The worker verifies each upload and gives it its number.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{Json, Path, Query};
use shared::jobs::VersionDocument;
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::storage::PresignedRequest;
use shared::uploads::UploadStatus;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DocumentsState;
use crate::access::{VISIBLE, Viewer, visible_document};
use crate::domain::{ALLOWED_EXTENSIONS, FileName, FileNameError, content_type, optional_text};

/// The S3 key of a version's bytes: chosen by the server, never from the user's file name.
pub fn storage_key(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    shared::keys::document_original(theater_id, document_id, version_id)
}

/// The S3 key of a version's preview (a PDF or a PNG thumbnail).
pub fn preview_key(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    shared::keys::document_preview(theater_id, document_id, version_id)
}

/// A version as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct VersionView {
    pub id: Uuid,
    pub document_id: Uuid,
    /// Assigned when the version becomes ready: 1, 2, 3, … without gaps.
    pub number: Option<i32>,
    /// `pending` (waiting for the upload) → `processing` → `ready` | `failed`.
    pub status: UploadStatus,
    /// Why it failed, in words.
    pub error: Option<String>,
    pub original_filename: String,
    pub declared_size: i64,
    pub declared_content_type: String,
    /// Measured from the bytes.
    pub size: Option<i64>,
    pub sha256: Option<String>,
    /// Sniffed from the bytes.
    pub content_type: Option<String>,
    pub comment: Option<String>,
    pub uploaded_by: Option<Uuid>,
    /// Set on a version that restores an older one.
    pub restored_from_id: Option<Uuid>,
    /// Set when the upload was identical to the then current version: nothing new was stored.
    pub identical_to_id: Option<Uuid>,
    pub is_current: bool,
    pub has_preview: bool,
    pub has_text: bool,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

const VERSION_COLUMNS: &str = "
    v.id, v.document_id, v.number, v.status, v.error, v.original_filename, v.declared_size,
    v.declared_content_type, v.size, v.sha256, v.content_type, v.comment, v.uploaded_by,
    v.restored_from_id, v.identical_to_id, (d.current_version_id = v.id) IS TRUE AS is_current,
    v.preview_key IS NOT NULL AS has_preview, v.extracted_text IS NOT NULL AS has_text,
    v.created_at, v.completed_at, v.storage_key, v.preview_key, v.preview_content_type,
    v.verified_etag";

const VERSION_FROM: &str = "
    FROM document_versions v
    JOIN documents d ON d.id = v.document_id
    JOIN document_categories c ON c.id = d.category_id";

/// A version with the keys the API never shows.
struct VersionRow {
    view: VersionView,
    storage_key: String,
    preview_key: Option<String>,
    verified_etag: Option<String>,
    preview_content_type: Option<String>,
}

fn from_row(row: &tokio_postgres::Row) -> VersionRow {
    VersionRow {
        view: VersionView {
            id: row.get("id"),
            document_id: row.get("document_id"),
            number: row.get("number"),
            status: UploadStatus::parse(row.get("status")).unwrap_or(UploadStatus::Failed),
            error: row.get("error"),
            original_filename: row.get("original_filename"),
            declared_size: row.get("declared_size"),
            declared_content_type: row.get("declared_content_type"),
            size: row.get("size"),
            sha256: row.get("sha256"),
            content_type: row.get("content_type"),
            comment: row.get("comment"),
            uploaded_by: row.get("uploaded_by"),
            restored_from_id: row.get("restored_from_id"),
            identical_to_id: row.get("identical_to_id"),
            is_current: row.get("is_current"),
            has_preview: row.get("has_preview"),
            has_text: row.get("has_text"),
            created_at: row.get("created_at"),
            completed_at: row.get("completed_at"),
        },
        storage_key: row.get("storage_key"),
        preview_key: row.get("preview_key"),
        verified_etag: row.get("verified_etag"),
        preview_content_type: row.get("preview_content_type"),
    }
}

async fn load_version(
    client: &impl GenericClient,
    viewer: &Viewer,
    document_id: Uuid,
    version_id: Uuid,
) -> ApiResult<VersionRow> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} {VERSION_FROM}
         WHERE {VISIBLE} AND d.id = $5 AND v.id = $6"
    );
    let p = viewer.params();
    client
        .query_opt(&sql, &[p[0], p[1], p[2], p[3], &document_id, &version_id])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(ApiError::NotFound)
}

async fn audit_version(
    client: &impl GenericClient,
    user: &AuthUser,
    action: &str,
    view: &VersionView,
) -> ApiResult<()> {
    audit::record(
        client,
        AuditEntry::by(user, action, "document_version", view.id).after(view),
    )
    .await
}

/// Refuses new versions for archived documents.
async fn require_open(
    client: &impl GenericClient,
    theater_id: Uuid,
    document_id: Uuid,
) -> ApiResult<()> {
    let status: String = client
        .query_one(
            "SELECT status FROM documents WHERE theater_id = $1 AND id = $2",
            &[&theater_id, &document_id],
        )
        .await?
        .get(0);
    if status == "archived" {
        return Err(ApiError::conflict_with(
            "the document is archived; restore it before adding versions",
            serde_json::json!({ "current_status": status }),
        ));
    }
    Ok(())
}

/// The first version of a document is part of creating it (`documents:create`); any later
/// version replaces the content others see, which is editing (`documents:edit`).
async fn require_version_permission(
    client: &impl GenericClient,
    user: &AuthUser,
    document_id: Uuid,
    except_version: Option<Uuid>,
) -> ApiResult<()> {
    user.require(Permission::DocumentsCreate)?;
    let others: i64 = client
        .query_one(
            "SELECT count(*) FROM document_versions
             WHERE theater_id = $1 AND document_id = $2 AND status IN ('processing', 'ready')
               AND id IS DISTINCT FROM $3",
            &[&user.theater_id, &document_id, &except_version],
        )
        .await?
        .get(0);
    if others > 0 {
        user.require(Permission::DocumentsEdit)?;
    }
    Ok(())
}

fn parse_file_name(raw: &str) -> ApiResult<FileName> {
    FileName::parse(raw, ALLOWED_EXTENSIONS).map_err(|e| match e {
        FileNameError::Invalid(m) => ApiError::invalid("filename", m),
        FileNameError::TypeNotAllowed(m) => ApiError::UnsupportedMediaType(m),
    })
}

/// Enqueues the versioning job after the commit. A failure to enqueue is logged, not
/// returned: the version is already `processing`, and the worker's sweeper picks up versions
/// that stay there too long.
async fn enqueue(state: &DocumentsState, theater_id: Uuid, version_id: Uuid) {
    let job = VersionDocument {
        theater_id,
        version_id,
        traceparent: None,
    };
    if let Err(e) = state.jobs.version_document(job).await {
        tracing::error!(error = ?e, %version_id, "enqueueing version_document failed; the sweeper will retry");
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct UploadRequest {
    /// The original file name (any Unicode); kept for downloads.
    pub filename: String,
    pub content_type: String,
    /// Exact size in bytes; the upload URL accepts only this size.
    pub size: i64,
    pub comment: Option<String>,
}

/// Where and how to upload the bytes.
#[derive(Serialize, ToSchema)]
pub struct UploadTicket {
    pub version_id: Uuid,
    pub upload: PresignedRequest,
    pub expires_at: DateTime<Utc>,
    pub version: VersionView,
}

/// Request an upload URL for a new version
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents",
    security(("bearer" = ["documents:create"])), params(("id" = Uuid, Path)), request_body = UploadRequest,
    responses((status = 201, body = UploadTicket), (status = 403), (status = 404), (status = 409),
        (status = 413), (status = 415), (status = 422)))]
#[instrument(skip_all)]
pub async fn request_upload(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(document_id): Path<Uuid>,
    Json(body): Json<UploadRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut errors = FieldErrors::new();
    let declared_type = errors.take("content_type", content_type(&body.content_type));
    let comment = errors.take("comment", optional_text(body.comment.as_deref(), 2000));
    if body.size <= 0 {
        errors.add("size", "must be a positive number of bytes");
    }
    let (Some(declared_type), Some(comment)) = (declared_type, comment) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let filename = parse_file_name(&body.filename)?;
    if body.size as u64 > state.limits.max_file_size {
        return Err(ApiError::PayloadTooLarge(format!(
            "files may be at most {} bytes",
            state.limits.max_file_size
        )));
    }
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    if !visible_document(&tx, &viewer, document_id, false).await? {
        return Err(ApiError::NotFound);
    }
    require_version_permission(&tx, &user, document_id, None).await?;
    require_open(&tx, user.theater_id, document_id).await?;
    let version_id = Uuid::now_v7();
    let key = storage_key(user.theater_id, document_id, version_id);
    let ttl = state.limits.upload_url_ttl;
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    tx.execute(
        "INSERT INTO document_versions (id, theater_id, document_id, status, original_filename,
             declared_size, declared_content_type, storage_key, comment, uploaded_by,
             upload_expires_at)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10)",
        &[
            &version_id,
            &user.theater_id,
            &document_id,
            &filename.as_str(),
            &body.size,
            &declared_type,
            &key,
            &comment,
            &user.user_id,
            &expires_at,
        ],
    )
    .await?;
    let row = load_version(&tx, &viewer, document_id, version_id).await?;
    audit_version(&tx, &user, "document_version.request_upload", &row.view).await?;
    let upload = state
        .storage
        .presign_put(&key, &declared_type, body.size as u64, ttl)
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(UploadTicket {
            version_id,
            upload,
            expires_at,
            version: row.view,
        }),
    )
        .into_response())
}

/// Confirm an uploaded version
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{version_id}/complete",
    tag = "documents", security(("bearer" = ["documents:create"])),
    params(("id" = Uuid, Path), ("version_id" = Uuid, Path)),
    responses((status = 202, body = VersionView), (status = 403), (status = 404),
        (status = 409, description = "not uploaded yet, or already processed")))]
#[instrument(skip_all)]
pub async fn complete_upload(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((document_id, version_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let row = load_version(&client, &viewer, document_id, version_id).await?;
    require_version_permission(&client, &user, document_id, Some(version_id)).await?;
    match row.view.status {
        UploadStatus::Pending => {}
        // Completing twice is harmless: the job is idempotent.
        UploadStatus::Processing => {
            enqueue(&state, user.theater_id, version_id).await;
            return Ok((StatusCode::ACCEPTED, JsonResponse(row.view)).into_response());
        }
        other => {
            return Err(ApiError::conflict_with(
                format!("the version is already {other}"),
                serde_json::json!({ "current_status": other }),
            ));
        }
    }
    if state.storage.head(&row.storage_key).await?.is_none() {
        let expired: bool = client
            .query_one(
                "SELECT upload_expires_at < now() FROM document_versions WHERE id = $1",
                &[&version_id],
            )
            .await?
            .get::<_, Option<bool>>(0)
            .unwrap_or(false);
        return Err(ApiError::conflict(if expired {
            "the upload URL expired before the file arrived; request a new upload"
        } else {
            "the file has not been uploaded yet: PUT it to the upload URL first"
        }));
    }
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE document_versions SET status = 'processing', processing_started_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'pending'",
            &[&user.theater_id, &version_id],
        )
        .await?;
    let row = load_version(&tx, &viewer, document_id, version_id).await?;
    if changed == 1 {
        audit_version(&tx, &user, "document_version.complete", &row.view).await?;
    }
    tx.commit().await?;
    enqueue(&state, user.theater_id, version_id).await;
    Ok((StatusCode::ACCEPTED, JsonResponse(row.view)).into_response())
}

/// The multipart form of a direct upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DirectUploadForm {
    /// The file, with its name and content type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    comment: Option<String>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("the request body is too large".into())
    } else {
        ApiError::BadRequest(format!(
            "the multipart body could not be read: {}",
            e.body_text()
        ))
    }
}

/// Small files (≤ 5 MB) posted straight to the API; answered like `complete`.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/upload", tag = "documents",
    security(("bearer" = ["documents:create"])), params(("id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", content = inline(DirectUploadForm)),
    responses((status = 202, body = VersionView), (status = 400), (status = 403), (status = 404),
        (status = 413), (status = 415), (status = 422)))]
#[instrument(skip_all)]
pub async fn upload_direct(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(document_id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType("send the file as multipart/form-data".into())
    })?;
    let mut file: Option<(String, Option<String>, Vec<u8>)> = None;
    let mut comment: Option<String> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let declared = field.content_type().map(str::to_owned);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if (bytes.len() + chunk.len()) as u64 > state.limits.max_direct_size {
                        return Err(ApiError::PayloadTooLarge(format!(
                            "files posted to the API may be at most {} bytes; request an upload URL for larger ones",
                            state.limits.max_direct_size
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, declared, bytes));
            }
            Some("comment") => {
                comment = Some(field.text().await.map_err(multipart_error)?);
            }
            _ => {}
        }
    }
    let Some((name, declared, bytes)) = file else {
        return Err(ApiError::invalid("file", "is required"));
    };
    if bytes.is_empty() {
        return Err(ApiError::invalid("file", "must not be empty"));
    }
    let filename = parse_file_name(&name)?;
    let declared_type = content_type(declared.as_deref().unwrap_or("application/octet-stream"))
        .map_err(|m| ApiError::invalid("file", m))?;
    let comment =
        optional_text(comment.as_deref(), 2000).map_err(|m| ApiError::invalid("comment", m))?;

    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    if !visible_document(&tx, &viewer, document_id, false).await? {
        return Err(ApiError::NotFound);
    }
    require_version_permission(&tx, &user, document_id, None).await?;
    require_open(&tx, user.theater_id, document_id).await?;
    let version_id = Uuid::now_v7();
    let key = storage_key(user.theater_id, document_id, version_id);
    tx.execute(
        "INSERT INTO document_versions (id, theater_id, document_id, status, original_filename,
             declared_size, declared_content_type, storage_key, comment, uploaded_by,
             processing_started_at)
         VALUES ($1, $2, $3, 'processing', $4, $5, $6, $7, $8, $9, now())",
        &[
            &version_id,
            &user.theater_id,
            &document_id,
            &filename.as_str(),
            &(bytes.len() as i64),
            &declared_type,
            &key,
            &comment,
            &user.user_id,
        ],
    )
    .await?;
    let row = load_version(&tx, &viewer, document_id, version_id).await?;
    audit_version(&tx, &user, "document_version.upload", &row.view).await?;
    // The object is stored before the row commits: a committed version always has its bytes.
    state.storage.put(&key, bytes, &declared_type).await?;
    tx.commit().await?;
    enqueue(&state, user.theater_id, version_id).await;
    Ok((StatusCode::ACCEPTED, JsonResponse(row.view)).into_response())
}

/// List versions
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents",
    security(("bearer" = ["documents:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<VersionView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_versions(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(document_id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<VersionView>>> {
    user.require(Permission::DocumentsView)?;
    let viewer = Viewer::from(&user);
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    if !visible_document(&client, &viewer, document_id, false).await? {
        return Err(ApiError::NotFound);
    }
    let sql = format!(
        "SELECT {VERSION_COLUMNS} {VERSION_FROM}
         WHERE {VISIBLE} AND d.id = $5
           AND ($6::timestamptz IS NULL OR (v.created_at, v.id) < ($6, $7))
         ORDER BY v.created_at DESC, v.id DESC LIMIT $8"
    );
    let p = viewer.params();
    let rows = client
        .query(
            &sql,
            &[
                p[0],
                p[1],
                p[2],
                p[3],
                &document_id,
                &after_time,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let versions: Vec<VersionView> = rows.iter().map(|r| from_row(r).view).collect();
    Ok(JsonResponse(Page::from_rows(versions, limit, |v| {
        (v.created_at, v.id)
    })))
}

/// Get version
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version_id}", tag = "documents",
    security(("bearer" = ["documents:view"])), params(("id" = Uuid, Path), ("version_id" = Uuid, Path)),
    responses((status = 200, body = VersionView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_version(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((document_id, version_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<JsonResponse<VersionView>> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let row = load_version(&client, &Viewer::from(&user), document_id, version_id).await?;
    Ok(JsonResponse(row.view))
}

fn redirect(url: &str) -> ApiResult<Response> {
    let location = HeaderValue::from_str(url)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("presigned URL is not a header: {e}")))?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// Checks the stored object is still the one the worker verified (same ETag).
async fn require_unchanged(state: &DocumentsState, row: &VersionRow) -> ApiResult<()> {
    let Some(verified) = &row.verified_etag else {
        return Ok(());
    };
    let stored = state.storage.head(&row.storage_key).await?;
    if stored.as_ref().and_then(|o| o.etag.as_ref()) != Some(verified) {
        tracing::error!(key = %row.storage_key, "a verified object changed or vanished");
        return Err(ApiError::conflict(
            "the stored file no longer matches the verified upload; upload it again",
        ));
    }
    Ok(())
}

fn require_ready(row: &VersionRow) -> ApiResult<()> {
    if row.view.status != UploadStatus::Ready {
        return Err(ApiError::conflict_with(
            format!("the version is {}, not ready", row.view.status),
            serde_json::json!({ "current_status": row.view.status }),
        ));
    }
    Ok(())
}

/// Redirects to a short-lived URL that downloads the file under its original name.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version_id}/download",
    tag = "documents", security(("bearer" = ["documents:view"])),
    params(("id" = Uuid, Path), ("version_id" = Uuid, Path)),
    responses((status = 302, description = "Location: a presigned GET URL"), (status = 403),
        (status = 404), (status = 409, description = "the version is not ready")))]
#[instrument(skip_all)]
pub async fn download_version(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((document_id, version_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let row = load_version(&client, &Viewer::from(&user), document_id, version_id).await?;
    require_ready(&row)?;
    require_unchanged(&state, &row).await?;
    let url = state
        .storage
        .presign_get(
            &row.storage_key,
            &row.view.original_filename,
            state.limits.download_url_ttl,
        )
        .await?;
    redirect(&url)
}

/// Redirects to the preview: the PDF itself, a PDF converted from an office file, or a PNG
/// thumbnail of an image.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version_id}/preview",
    tag = "documents", security(("bearer" = ["documents:view"])),
    params(("id" = Uuid, Path), ("version_id" = Uuid, Path)),
    responses((status = 302, description = "Location: a presigned GET URL"), (status = 403),
        (status = 404), (status = 409, description = "not ready, or no preview for this type")))]
#[instrument(skip_all)]
pub async fn preview_version(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((document_id, version_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let row = load_version(&client, &Viewer::from(&user), document_id, version_id).await?;
    require_ready(&row)?;
    let Some(key) = &row.preview_key else {
        return Err(ApiError::conflict(
            "this version has no preview (its type has none, or no converter is installed)",
        ));
    };
    let stem = row
        .view
        .original_filename
        .rsplit_once('.')
        .map_or(row.view.original_filename.as_str(), |(s, _)| s);
    let ext = match row.preview_content_type.as_deref() {
        Some("application/pdf") => "pdf",
        _ => "png",
    };
    let url = state
        .storage
        .presign_get(
            key,
            &format!("{stem} (preview).{ext}"),
            state.limits.download_url_ttl,
        )
        .await?;
    redirect(&url)
}

/// Makes an older version the current one again, as a new version with the next number. The
/// bytes are shared with the old version (objects never change), so nothing is copied.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{version_id}/restore",
    tag = "documents", security(("bearer" = ["documents:edit"])),
    params(("id" = Uuid, Path), ("version_id" = Uuid, Path)),
    responses((status = 201, body = VersionView), (status = 403), (status = 404),
        (status = 409, description = "not ready, or already the current content")))]
#[instrument(skip_all)]
pub async fn restore_version(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((document_id, version_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    // The document's row lock serialises numbering with the worker and other restores.
    if !visible_document(&tx, &viewer, document_id, true).await? {
        return Err(ApiError::NotFound);
    }
    require_open(&tx, user.theater_id, document_id).await?;
    let source = load_version(&tx, &viewer, document_id, version_id).await?;
    require_ready(&source)?;
    let current_sha: Option<String> = tx
        .query_opt(
            "SELECT v.sha256 FROM documents d JOIN document_versions v ON v.id = d.current_version_id
             WHERE d.id = $1",
            &[&document_id],
        )
        .await?
        .and_then(|r| r.get(0));
    if current_sha.is_some() && current_sha == source.view.sha256 {
        return Err(ApiError::conflict(
            "this content is already the current version",
        ));
    }
    let new_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO document_versions (id, theater_id, document_id, number, status,
             original_filename, declared_size, declared_content_type, size, sha256, content_type,
             storage_key, preview_key, preview_content_type, extracted_text, comment,
             uploaded_by, restored_from_id, verified_etag, completed_at)
         SELECT $1, v.theater_id, v.document_id, d.last_version_number + 1, 'ready',
             v.original_filename, v.declared_size, v.declared_content_type, v.size, v.sha256,
             v.content_type, v.storage_key, v.preview_key, v.preview_content_type,
             v.extracted_text, 'restored from version ' || v.number, $2, v.id, v.verified_etag,
             now()
         FROM document_versions v JOIN documents d ON d.id = v.document_id
         WHERE v.theater_id = $3 AND v.id = $4",
        &[&new_id, &user.user_id, &user.theater_id, &version_id],
    )
    .await?;
    tx.execute(
        "UPDATE documents SET last_version_number = last_version_number + 1,
             current_version_id = $3, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &document_id, &new_id],
    )
    .await?;
    let row = load_version(&tx, &viewer, document_id, new_id).await?;
    audit_version(&tx, &user, "document_version.restore", &row.view).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(row.view)).into_response())
}
