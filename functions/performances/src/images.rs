//! Posters and production photos. The client asks for an upload (type and size bound, short
//! expiry), PUTs the original straight to S3, and confirms; the row moves to `processing` and
//! a `process_poster` job (enqueued after the commit) verifies the bytes, writes the variants
//! and marks it `ready` or `failed`. A confirmed poster becomes the performance's current one.

use std::collections::{BTreeMap, HashMap};

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{Json, Path, Query};
use shared::jobs::ProcessPoster;
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::storage::PresignedRequest;
use shared::uploads::{FileName, FileNameError, IMAGE_TYPES};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::PerformancesState;
use crate::access::require_performance;
use crate::domain::{ImageKind, ImageStatus, optional_text};

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(request_poster_upload))
        .routes(routes!(complete_poster_upload))
        .routes(routes!(list_performance_photos, request_photo_upload))
        .routes(routes!(complete_photo_upload))
        .routes(routes!(delete_performance_photo))
}

/// File name extensions a poster or photo may have.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp"];

/// One processed variant, with a short-lived link.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct VariantView {
    /// A presigned GET, valid for a few minutes.
    pub url: String,
    pub width: i64,
    pub height: i64,
    /// `webp` or `jpeg`.
    pub format: String,
    pub bytes: i64,
}

/// A poster or photo as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct ImageView {
    pub id: Uuid,
    pub performance_id: Uuid,
    pub kind: ImageKind,
    pub status: ImageStatus,
    /// Why processing failed, in words.
    pub error: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Of the original, once processed (after EXIF orientation).
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub caption: Option<String>,
    pub sort_order: i32,
    /// The performance's current poster (posters only).
    pub is_current: bool,
    /// By name (`thumb_webp`, `card_jpeg`, …); empty until ready.
    pub variants: BTreeMap<String, VariantView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, performance_id, kind, status, failure_reason, filename, content_type,
    size_bytes, width, height, caption, sort_order, is_current, variants, created_at, updated_at,
    storage_key";

/// A row with what the API never shows.
struct ImageRow {
    view: ImageView,
    variants: serde_json::Value,
    storage_key: String,
}

fn from_row(row: &tokio_postgres::Row) -> ApiResult<ImageRow> {
    let stored = |e: String| ApiError::Unexpected(anyhow::anyhow!("stored image value: {e}"));
    Ok(ImageRow {
        view: ImageView {
            id: row.get("id"),
            performance_id: row.get("performance_id"),
            kind: ImageKind::parse(row.get("kind")).map_err(stored)?,
            status: ImageStatus::parse(row.get("status")).map_err(stored)?,
            error: row.get("failure_reason"),
            filename: row.get("filename"),
            content_type: row.get("content_type"),
            size: row.get("size_bytes"),
            width: row.get("width"),
            height: row.get("height"),
            caption: row.get("caption"),
            sort_order: row.get("sort_order"),
            is_current: row.get("is_current"),
            variants: BTreeMap::new(),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        },
        variants: row.get("variants"),
        storage_key: row.get("storage_key"),
    })
}

fn mime_of(format: &str) -> &'static str {
    match format {
        "webp" => "image/webp",
        "png" => "image/png",
        _ => "image/jpeg",
    }
}

/// The variant objects the worker recorded (`{"name": {"key", "width", "height", "format",
/// "bytes"}}`), each with a presigned GET. Only a ready image shows variants.
async fn view_of(state: &PerformancesState, row: ImageRow) -> ApiResult<ImageView> {
    let mut view = row.view;
    if view.status != ImageStatus::Ready {
        return Ok(view);
    }
    let stem = view
        .filename
        .rsplit_once('.')
        .map_or(view.filename.as_str(), |(s, _)| s)
        .to_string();
    for (name, v) in row.variants.as_object().into_iter().flatten() {
        let Some(key) = v["key"].as_str() else {
            continue;
        };
        let format = v["format"].as_str().unwrap_or("jpeg").to_string();
        let ext = if format == "jpeg" {
            "jpg"
        } else {
            format.as_str()
        };
        let url = state
            .storage
            .presign_get_as(
                key,
                &format!("{stem} ({name}).{ext}"),
                Some(mime_of(&format)),
                state.limits.link_ttl,
            )
            .await?;
        view.variants.insert(
            name.clone(),
            VariantView {
                url,
                width: v["width"].as_i64().unwrap_or_default(),
                height: v["height"].as_i64().unwrap_or_default(),
                format,
                bytes: v["bytes"].as_i64().unwrap_or_default(),
            },
        );
    }
    Ok(view)
}

/// The current posters of `performance_ids`, by performance.
pub async fn current_posters(
    state: &PerformancesState,
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, ImageView>> {
    if performance_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM performance_images
         WHERE theater_id = $1 AND performance_id = ANY($2) AND kind = 'poster' AND is_current"
    );
    let rows = client.query(&sql, &[&theater_id, &performance_ids]).await?;
    let mut out = HashMap::new();
    for row in &rows {
        let view = view_of(state, from_row(row)?).await?;
        out.insert(view.performance_id, view);
    }
    Ok(out)
}

async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    image_id: Uuid,
    kind: ImageKind,
) -> ApiResult<ImageRow> {
    let sql = format!(
        "SELECT {COLUMNS} FROM performance_images
         WHERE theater_id = $1 AND performance_id = $2 AND id = $3 AND kind = $4"
    );
    client
        .query_opt(
            &sql,
            &[&theater_id, &performance_id, &image_id, &kind.as_str()],
        )
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(ApiError::NotFound)
}

async fn audit_image(
    client: &impl GenericClient,
    user: &AuthUser,
    action: &str,
    before: Option<&ImageView>,
    after: Option<&ImageView>,
) -> ApiResult<()> {
    let Some(id) = after.or(before).map(|v| v.id) else {
        return Ok(());
    };
    let mut entry = AuditEntry::by(user, action, "performance_image", id);
    if let Some(b) = before {
        entry = entry.before(b);
    }
    if let Some(a) = after {
        entry = entry.after(a);
    }
    audit::record(client, entry).await
}

/// An image about to be uploaded.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ImageUploadRequest {
    /// The original file name (.jpg, .jpeg, .png or .webp).
    #[schema(required = true)]
    pub filename: String,
    /// image/jpeg, image/png or image/webp.
    #[schema(required = true)]
    pub content_type: String,
    /// Exact size in bytes; the upload URL accepts only this size.
    #[schema(required = true)]
    pub size: i64,
    /// A caption (photos).
    pub caption: Option<String>,
}

/// Where and how to upload the bytes.
#[derive(Serialize, ToSchema)]
pub struct ImageUploadTicket {
    pub image_id: Uuid,
    /// PUT the bytes here with exactly these headers.
    pub upload: PresignedRequest,
    pub expires_at: DateTime<Utc>,
    pub image: ImageView,
}

/// The parsed request: name, type, size, caption.
struct NewImage {
    filename: String,
    content_type: String,
    size: i64,
    caption: Option<String>,
}

fn parse_upload(state: &PerformancesState, body: ImageUploadRequest) -> ApiResult<NewImage> {
    let mut errors = FieldErrors::new();
    let caption = errors.take("caption", optional_text(body.caption.as_deref(), 500));
    if body.size <= 0 {
        errors.add("size", "must be the file's size in bytes");
    }
    let filename = match FileName::parse(&body.filename, IMAGE_EXTENSIONS) {
        Ok(f) => Some(f.as_str().to_string()),
        Err(FileNameError::Invalid(m)) => {
            errors.add("filename", m);
            None
        }
        Err(FileNameError::TypeNotAllowed(m)) => return Err(ApiError::UnsupportedMediaType(m)),
    };
    let content_type = body.content_type.trim().to_ascii_lowercase();
    if !IMAGE_TYPES.iter().any(|(t, _)| *t == content_type) {
        return Err(ApiError::UnsupportedMediaType(
            "posters and photos must be image/jpeg, image/png or image/webp".into(),
        ));
    }
    let (Some(filename), Some(caption)) = (filename, caption) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    if body.size as u64 > state.limits.max_file_size {
        return Err(ApiError::PayloadTooLarge(format!(
            "an image may be at most {} bytes",
            state.limits.max_file_size
        )));
    }
    Ok(NewImage {
        filename,
        content_type,
        size: body.size,
        caption,
    })
}

/// Creates the pending row and the presigned PUT.
async fn request_upload(
    state: &PerformancesState,
    user: &AuthUser,
    performance_id: Uuid,
    kind: ImageKind,
    new: NewImage,
) -> ApiResult<Response> {
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, performance_id, true).await?;
    let id = Uuid::now_v7();
    let key = shared::keys::performance_image_original(user.theater_id, performance_id, id);
    let ttl = state.limits.upload_url_ttl;
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    tx.execute(
        "INSERT INTO performance_images (id, theater_id, performance_id, kind, storage_key,
             filename, content_type, size_bytes, caption, sort_order, created_by, upload_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                 (SELECT coalesce(max(sort_order) + 1, 0) FROM performance_images
                  WHERE theater_id = $2 AND performance_id = $3 AND kind = $4),
                 $10, $11)",
        &[
            &id,
            &user.theater_id,
            &performance_id,
            &kind.as_str(),
            &key,
            &new.filename,
            &new.content_type,
            &new.size,
            &new.caption,
            &user.user_id,
            &expires_at,
        ],
    )
    .await?;
    let row = load(&tx, user.theater_id, performance_id, id, kind).await?;
    audit_image(
        &tx,
        user,
        "performance_image.request_upload",
        None,
        Some(&row.view),
    )
    .await?;
    let upload = state
        .storage
        .presign_put(&key, &new.content_type, new.size as u64, ttl)
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(ImageUploadTicket {
            image_id: id,
            upload,
            expires_at,
            image: row.view,
        }),
    )
        .into_response())
}

/// Enqueues the processing job after the commit. A failure to enqueue is logged, not
/// returned: the row is already `processing`, and the worker's sweeper picks up rows that stay
/// there too long.
async fn enqueue(state: &PerformancesState, theater_id: Uuid, image_id: Uuid) {
    let job = ProcessPoster {
        theater_id,
        image_id,
        traceparent: None,
    };
    if let Err(e) = state.jobs.process_poster(job).await {
        tracing::error!(error = ?e, %image_id, "enqueueing process_poster failed; the sweeper will retry");
    }
}

/// Confirms an upload: pending → processing (a poster becomes the current one), then the job.
/// Confirming again is harmless: a processing row is enqueued again (the job is idempotent), a
/// ready one is answered as it is; a failed one is a 409 (upload a new file).
async fn complete(
    state: &PerformancesState,
    user: &AuthUser,
    performance_id: Uuid,
    image_id: Uuid,
    kind: ImageKind,
) -> ApiResult<Response> {
    let mut client = state.ctx.db.get().await?;
    let row = load(&client, user.theater_id, performance_id, image_id, kind).await?;
    match row.view.status {
        ImageStatus::Pending => {}
        ImageStatus::Processing => {
            enqueue(state, user.theater_id, image_id).await;
            return accepted(state, row).await;
        }
        ImageStatus::Ready => return accepted(state, row).await,
        ImageStatus::Failed => {
            return Err(ApiError::conflict_with(
                format!(
                    "processing this image failed ({}); upload a new file",
                    row.view.error.as_deref().unwrap_or("no reason recorded")
                ),
                serde_json::json!({ "current_status": row.view.status }),
            ));
        }
    }
    if state.storage.head(&row.storage_key).await?.is_none() {
        let expired: bool = client
            .query_one(
                "SELECT coalesce(upload_expires_at < now(), false) FROM performance_images
                 WHERE id = $1",
                &[&image_id],
            )
            .await?
            .get(0);
        return Err(ApiError::conflict(if expired {
            "the upload URL expired before the file arrived; request a new upload"
        } else {
            "the file has not been uploaded yet: PUT it to the upload URL first"
        }));
    }
    let tx = client.transaction().await?;
    // The performance's row lock serialises confirmations, so exactly one poster is current.
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
             FOR UPDATE",
            &[&user.theater_id, &performance_id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, performance_id, image_id, kind).await?;
    if before.view.status == ImageStatus::Pending {
        if kind == ImageKind::Poster {
            tx.execute(
                "UPDATE performance_images SET is_current = false, updated_at = now()
                 WHERE theater_id = $1 AND performance_id = $2 AND kind = 'poster' AND is_current",
                &[&user.theater_id, &performance_id],
            )
            .await?;
        }
        tx.execute(
            "UPDATE performance_images SET status = 'processing', is_current = $3,
                 updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'pending'",
            &[&user.theater_id, &image_id, &(kind == ImageKind::Poster)],
        )
        .await?;
        let after = load(&tx, user.theater_id, performance_id, image_id, kind).await?;
        audit_image(
            &tx,
            user,
            "performance_image.complete",
            Some(&before.view),
            Some(&after.view),
        )
        .await?;
        tx.commit().await?;
        enqueue(state, user.theater_id, image_id).await;
        return accepted(state, after).await;
    }
    tx.commit().await?;
    if before.view.status == ImageStatus::Processing {
        enqueue(state, user.theater_id, image_id).await;
    }
    accepted(state, before).await
}

async fn accepted(state: &PerformancesState, row: ImageRow) -> ApiResult<Response> {
    Ok((
        StatusCode::ACCEPTED,
        JsonResponse(view_of(state, row).await?),
    )
        .into_response())
}

/// Request a poster upload
///
/// Answers a presigned PUT bound to the declared type and size (JPEG, PNG or WebP, at most
/// 30 MB by default), valid for a few minutes. Confirm with `POST /{id}/poster/complete`.
#[utoipa::path(post, path = "/api/v1/performances/{id}/poster", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = ImageUploadRequest,
    responses((status = 201, body = ImageUploadTicket), (status = 403), (status = 404),
        (status = 413), (status = 415), (status = 422)))]
#[instrument(skip_all)]
pub async fn request_poster_upload(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ImageUploadRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let new = parse_upload(&state, body)?;
    request_upload(&state, &user, id, ImageKind::Poster, new).await
}

/// Confirm the poster upload
///
/// Confirms the latest requested poster upload: it becomes the current poster with status
/// `processing`, and the worker makes its variants (`GET /{id}` shows `poster`). Confirming
/// again is harmless.
#[utoipa::path(post, path = "/api/v1/performances/{id}/poster/complete", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    responses((status = 202, body = ImageView), (status = 403), (status = 404),
        (status = 409, description = "nothing uploaded yet, the URL expired, or processing failed")))]
#[instrument(skip_all)]
pub async fn complete_poster_upload(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    // The newest upload requested; when it is already confirmed, the current poster.
    let image: Option<Uuid> = client
        .query_opt(
            "SELECT id FROM performance_images
             WHERE theater_id = $1 AND performance_id = $2 AND kind = 'poster'
               AND (status = 'pending' OR is_current)
             ORDER BY (status = 'pending') DESC, created_at DESC, id DESC LIMIT 1",
            &[&user.theater_id, &id],
        )
        .await?
        .map(|r| r.get(0));
    drop(client);
    let Some(image_id) = image else {
        return Err(ApiError::conflict(
            "no poster upload to confirm: request one with POST /poster first",
        ));
    };
    complete(&state, &user, id, image_id, ImageKind::Poster).await
}

/// Request a production photo upload
///
/// Like the poster: a presigned PUT bound to type and size; confirm with
/// `POST /{id}/photos/{photo_id}/complete`.
#[utoipa::path(post, path = "/api/v1/performances/{id}/photos", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = ImageUploadRequest,
    responses((status = 201, body = ImageUploadTicket), (status = 403), (status = 404),
        (status = 413), (status = 415), (status = 422)))]
#[instrument(skip_all)]
pub async fn request_photo_upload(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ImageUploadRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let new = parse_upload(&state, body)?;
    request_upload(&state, &user, id, ImageKind::Photo, new).await
}

/// Confirm a photo upload
#[utoipa::path(post, path = "/api/v1/performances/{id}/photos/{photo_id}/complete",
    tag = "performances", security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)),
    responses((status = 202, body = ImageView), (status = 403), (status = 404),
        (status = 409, description = "nothing uploaded yet, the URL expired, or processing failed")))]
#[instrument(skip_all)]
pub async fn complete_photo_upload(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    {
        let client = state.ctx.db.get().await?;
        require_performance(&client, user.theater_id, id, false).await?;
    }
    complete(&state, &user, id, photo_id, ImageKind::Photo).await
}

/// List production photos
///
/// The gallery in its order, with each photo's status and, once ready, its variants.
#[utoipa::path(get, path = "/api/v1/performances/{id}/photos", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<ImageView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_performance_photos(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ImageView>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after: Option<(i32, Uuid)> = page.after()?;
    let (after_order, after_id) = after.map_or((None, None), |(o, i)| (Some(o), Some(i)));
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM performance_images
         WHERE theater_id = $1 AND performance_id = $2 AND kind = 'photo'
           AND ($3::int IS NULL OR (sort_order, id) > ($3, $4))
         ORDER BY sort_order, id LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &id, &after_order, &after_id, &(limit + 1)],
        )
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        views.push(view_of(&state, from_row(row)?).await?);
    }
    Ok(JsonResponse(Page::from_rows(views, limit, |v| {
        (v.sort_order, v.id)
    })))
}

/// Delete a production photo
///
/// Removes the photo from the gallery; its original and variants are deleted from the store.
#[utoipa::path(delete, path = "/api/v1/performances/{id}/photos/{photo_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn delete_performance_photo(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let row = load(&tx, user.theater_id, id, photo_id, ImageKind::Photo).await?;
    tx.execute(
        "DELETE FROM performance_images WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &photo_id],
    )
    .await?;
    audit_image(
        &tx,
        &user,
        "performance_image.delete",
        Some(&row.view),
        None,
    )
    .await?;
    tx.commit().await?;
    // After the commit: a failed delete leaves an orphan object, never a row without bytes.
    let mut keys = vec![row.storage_key.clone()];
    keys.extend(
        row.variants
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v["key"].as_str().map(str::to_owned)),
    );
    for key in keys {
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(error = ?e, %photo_id, "deleting a photo's object failed");
        }
    }
    Ok(shared::http::no_content())
}
