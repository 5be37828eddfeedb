//! Item photos. The bytes go straight from the client to S3 through a presigned PUT bound to
//! the declared type and size; the client then confirms, and the API checks the stored object
//! before the photo counts. Thumbnails are the worker's job once it exists; until then the
//! original is served.

use std::time::Duration;

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
use shared::extract::{Json, Path};
use shared::permissions::Permission;
use shared::storage::PresignedRequest;
use shared::uploads::{FileName, IMAGE_TYPES, UploadStatus, sniff_image};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::InventoryState;
use crate::items;
use crate::scope::Scope;

/// Largest photo accepted.
pub const MAX_PHOTO_BYTES: i64 = 20 * 1024 * 1024;
/// How long a download link stays valid.
const LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// How long an upload link stays valid.
const UPLOAD_TTL: Duration = Duration::from_secs(5 * 60);
/// File name extensions a photo may have.
const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp"];

fn extension(content_type: &str) -> Option<&'static str> {
    IMAGE_TYPES
        .iter()
        .find(|(t, _)| *t == content_type)
        .map(|(_, ext)| *ext)
}

/// Where a photo's bytes live once checked: a key no upload URL was ever made for.
fn verified_key(theater_id: Uuid, item_id: Uuid, photo_id: Uuid, ext: &str) -> String {
    shared::keys::item_photo_verified(theater_id, item_id, photo_id, ext)
}

/// A photo as the API shows it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct PhotoView {
    pub id: Uuid,
    pub item_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// `pending` until the upload is confirmed, then `ready`.
    pub status: String,
    pub is_primary: bool,
    pub sort_order: i32,
    /// A short-lived download link (ready photos only).
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
}

const PHOTO_SELECT: &str =
    "SELECT id, item_id, filename, content_type, size_bytes, status, is_primary,
        sort_order, created_at, storage_key FROM inventory_item_photos";

fn from_row(row: &tokio_postgres::Row) -> (PhotoView, String) {
    (
        PhotoView {
            id: row.get("id"),
            item_id: row.get("item_id"),
            filename: row.get("filename"),
            content_type: row.get("content_type"),
            size: row.get("size_bytes"),
            status: row.get("status"),
            is_primary: row.get("is_primary"),
            sort_order: row.get("sort_order"),
            url: None,
            created_at: row.get("created_at"),
        },
        row.get("storage_key"),
    )
}

async fn with_url(
    state: &InventoryState,
    (mut view, key): (PhotoView, String),
) -> ApiResult<PhotoView> {
    if view.status == UploadStatus::Ready.as_str() {
        view.url = Some(
            state
                .storage
                .presign_get_as(&key, &view.filename, Some(&view.content_type), LINK_TTL)
                .await?,
        );
    }
    Ok(view)
}

async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    item_id: Uuid,
    photo_id: Uuid,
) -> ApiResult<(PhotoView, String)> {
    let sql = format!("{PHOTO_SELECT} WHERE theater_id = $1 AND item_id = $2 AND id = $3");
    client
        .query_opt(&sql, &[&theater_id, &item_id, &photo_id])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(ApiError::NotFound)
}

/// Locks the item and checks the caller may change it.
async fn editable_item(
    client: &impl GenericClient,
    user: &AuthUser,
    item_id: Uuid,
) -> ApiResult<()> {
    let item = items::lock(client, user.theater_id, item_id).await?;
    Scope::of(client, user)
        .await?
        .check_category(client, user.theater_id, item.category_id)
        .await
}

fn audit_entry<'a>(
    user: &AuthUser,
    action: &'a str,
    item_id: Uuid,
    photo: serde_json::Value,
) -> AuditEntry<'a> {
    AuditEntry::by(user, action, "inventory_item", item_id)
        .after(serde_json::json!({ "photo": photo }))
}

/// A photo about to be uploaded.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NewPhotoRequest {
    pub filename: String,
    /// image/jpeg, image/png or image/webp.
    pub content_type: String,
    /// Exact size in bytes.
    pub size: i64,
}

/// Where to upload.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct PhotoUpload {
    pub photo: PhotoView,
    /// PUT the bytes here with exactly these headers.
    pub upload: PresignedUpload,
    pub expires_at: DateTime<Utc>,
}

/// The presigned request (mirrors `shared::storage::PresignedRequest`).
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

impl From<PresignedRequest> for PresignedUpload {
    fn from(p: PresignedRequest) -> Self {
        Self {
            url: p.url,
            method: p.method,
            headers: p.headers,
        }
    }
}

/// Request a photo upload
#[utoipa::path(post, path = "/api/v1/inventory/items/{id}/photos", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path)), request_body = NewPhotoRequest,
    responses((status = 201, body = PhotoUpload), (status = 403), (status = 404), (status = 413), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_photo(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(item_id): Path<Uuid>,
    Json(body): Json<NewPhotoRequest>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut e = FieldErrors::new();
    let filename = e.take(
        "filename",
        FileName::parse(&body.filename, PHOTO_EXTENSIONS)
            .map(|f| f.as_str().to_string())
            .map_err(|err| match err {
                shared::uploads::FileNameError::Invalid(m)
                | shared::uploads::FileNameError::TypeNotAllowed(m) => m,
            }),
    );
    let content_type = body.content_type.trim().to_ascii_lowercase();
    let ext = extension(&content_type);
    if ext.is_none() {
        e.add(
            "content_type",
            "must be image/jpeg, image/png or image/webp",
        );
    }
    if body.size <= 0 {
        e.add("size", "must be the file's size in bytes");
    }
    let (Some(filename), Some(ext)) = (filename, ext) else {
        return Err(e.into_error());
    };
    e.finish()?;
    if body.size > MAX_PHOTO_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "a photo may be at most {} MB",
            MAX_PHOTO_BYTES / 1024 / 1024
        )));
    }
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    editable_item(&tx, &user, item_id).await?;
    let id = Uuid::now_v7();
    let key = shared::keys::item_photo_upload(user.theater_id, item_id, id, ext);
    tx.execute(
        "INSERT INTO inventory_item_photos (id, theater_id, item_id, storage_key, filename, content_type,
             size_bytes, sort_order, created_by, upload_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7,
                 (SELECT coalesce(max(sort_order) + 1, 0) FROM inventory_item_photos WHERE item_id = $3), $8,
                 now() + make_interval(secs => $9))",
        &[&id, &user.theater_id, &item_id, &key, &filename, &content_type, &body.size, &user.user_id,
          &UPLOAD_TTL.as_secs_f64()],
    )
    .await?;
    let upload = state
        .storage
        .presign_put(&key, &content_type, body.size as u64, UPLOAD_TTL)
        .await?;
    let (photo, _) = load(&tx, user.theater_id, item_id, id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(PhotoUpload {
            photo,
            upload: upload.into(),
            expires_at: Utc::now() + chrono::Duration::from_std(UPLOAD_TTL).unwrap_or_default(),
        }),
    )
        .into_response())
}

/// Confirm a photo upload
#[utoipa::path(post, path = "/api/v1/inventory/items/{id}/photos/{photo_id}/complete", tag = "inventory",
    security(("bearer" = ["inventory:edit"])), params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)),
    responses((status = 200, body = PhotoView), (status = 403), (status = 404),
              (status = 409, description = "nothing was uploaded yet"),
              (status = 422, description = "the upload does not match what was declared")))]
#[instrument(skip_all)]
pub async fn complete_photo(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path((item_id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    editable_item(&tx, &user, item_id).await?;
    let (photo, key) = load(&tx, user.theater_id, item_id, photo_id).await?;
    if photo.status != UploadStatus::Ready.as_str() {
        let Some(object) = state.storage.head(&key).await? else {
            return Err(ApiError::conflict(
                "the photo has not been uploaded yet; PUT it to the upload URL first",
            ));
        };
        if object.size as i64 != photo.size {
            return Err(ApiError::invalid(
                "size",
                format!(
                    "{} bytes were declared but {} arrived",
                    photo.size, object.size
                ),
            ));
        }
        let ext = extension(&photo.content_type).unwrap_or("bin");
        let verified = verified_key(user.theater_id, item_id, photo_id, ext);
        let etag = verify_copy(&state, &key, &verified, &photo).await?;
        tx.execute(
            "UPDATE inventory_item_photos SET status = 'ready', storage_key = $4,
                    verified_etag = $5, upload_expires_at = NULL,
                    is_primary = NOT EXISTS (SELECT 1 FROM inventory_item_photos p
                                             WHERE p.item_id = $2 AND p.is_primary)
             WHERE theater_id = $1 AND item_id = $2 AND id = $3",
            &[&user.theater_id, &item_id, &photo_id, &verified, &etag],
        )
        .await?;
        audit::record(
            &tx,
            audit_entry(
                &user,
                "inventory_item.photo_add",
                item_id,
                serde_json::json!(photo_id),
            ),
        )
        .await?;
    }
    let ready = load(&tx, user.theater_id, item_id, photo_id).await?;
    tx.commit().await?;
    if ready.1 != key
        && let Err(e) = state.storage.delete(&key).await
    {
        tracing::warn!(error = ?e, "could not delete a photo's upload object");
    }
    Ok(JsonResponse(with_url(&state, ready).await?).into_response())
}

/// Copies the upload to `verified` (a key no client can write), then checks the copy: the
/// declared size and image bytes of the declared type. Returns the copy's ETag. A refused
/// upload loses both objects.
async fn verify_copy(
    state: &InventoryState,
    upload_key: &str,
    verified: &str,
    photo: &PhotoView,
) -> ApiResult<Option<String>> {
    state.storage.copy(upload_key, verified).await?;
    let refuse = |field: &str, message: String| ApiError::invalid(field, message);
    let checked = async {
        let Some(info) = state.storage.head(verified).await? else {
            return Err(ApiError::conflict(
                "the photo has not been uploaded yet; PUT it to the upload URL first",
            ));
        };
        if info.size as i64 != photo.size {
            return Err(refuse(
                "size",
                format!(
                    "{} bytes were declared but {} arrived",
                    photo.size, info.size
                ),
            ));
        }
        let mut head = Vec::new();
        if let Some(mut object) = state.storage.get(verified).await? {
            while head.len() < 64 {
                match object.body.next().await {
                    Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        return Err(ApiError::Unexpected(
                            anyhow::Error::new(e).context("reading a photo's first bytes"),
                        ));
                    }
                    None => break,
                }
            }
        }
        match sniff_image(&head) {
            Some(sniffed) if sniffed == photo.content_type => Ok(info.etag),
            Some(sniffed) => Err(refuse(
                "content_type",
                format!(
                    "{} was declared but the bytes are {sniffed}",
                    photo.content_type
                ),
            )),
            None => Err(refuse(
                "content_type",
                format!("the bytes are not a {} image", photo.content_type),
            )),
        }
    }
    .await;
    if checked.is_err() {
        for k in [upload_key, verified] {
            if let Err(e) = state.storage.delete(k).await {
                tracing::warn!(error = ?e, "could not delete a refused photo object");
            }
        }
    }
    checked
}

/// The photos of an item.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct PhotoList {
    pub items: Vec<PhotoView>,
}

async fn list(
    state: &InventoryState,
    client: &impl GenericClient,
    theater_id: Uuid,
    item_id: Uuid,
) -> ApiResult<PhotoList> {
    let sql = format!(
        "{PHOTO_SELECT} WHERE theater_id = $1 AND item_id = $2 ORDER BY sort_order, created_at, id"
    );
    let rows = client.query(&sql, &[&theater_id, &item_id]).await?;
    let mut photos = Vec::with_capacity(rows.len());
    for row in &rows {
        photos.push(with_url(state, from_row(row)).await?);
    }
    Ok(PhotoList { items: photos })
}

/// List photos
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}/photos", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = PhotoList), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_photos(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(item_id): Path<Uuid>,
) -> ApiResult<JsonResponse<PhotoList>> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    if items::load(&client, user.theater_id, item_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound);
    }
    list(&state, &client, user.theater_id, item_id)
        .await
        .map(JsonResponse)
}

/// Make a photo the primary one
#[utoipa::path(put, path = "/api/v1/inventory/items/{id}/photos/{photo_id}/primary", tag = "inventory",
    security(("bearer" = ["inventory:edit"])), params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)),
    responses((status = 200, body = PhotoList), (status = 403), (status = 404), (status = 409)))]
#[instrument(skip_all)]
pub async fn set_primary(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path((item_id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<JsonResponse<PhotoList>> {
    user.require(Permission::InventoryEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    editable_item(&tx, &user, item_id).await?;
    let (photo, _) = load(&tx, user.theater_id, item_id, photo_id).await?;
    if photo.status != UploadStatus::Ready.as_str() {
        return Err(ApiError::conflict(
            "only an uploaded photo can be the primary one",
        ));
    }
    tx.execute(
        "UPDATE inventory_item_photos SET is_primary = false WHERE item_id = $1 AND is_primary",
        &[&item_id],
    )
    .await?;
    tx.execute(
        "UPDATE inventory_item_photos SET is_primary = true WHERE item_id = $1 AND id = $2",
        &[&item_id, &photo_id],
    )
    .await?;
    audit::record(
        &tx,
        audit_entry(
            &user,
            "inventory_item.photo_primary",
            item_id,
            serde_json::json!(photo_id),
        ),
    )
    .await?;
    let photos = list(&state, &tx, user.theater_id, item_id).await?;
    tx.commit().await?;
    Ok(JsonResponse(photos))
}

/// The new order of an item's photos: every photo id, once.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PhotoOrder {
    pub photo_ids: Vec<Uuid>,
}

/// Reorder photos
#[utoipa::path(put, path = "/api/v1/inventory/items/{id}/photos/order", tag = "inventory",
    security(("bearer" = ["inventory:edit"])), params(("id" = Uuid, Path)), request_body = PhotoOrder,
    responses((status = 200, body = PhotoList), (status = 403), (status = 404), (status = 422)))]
#[instrument(skip_all)]
pub async fn reorder_photos(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(item_id): Path<Uuid>,
    Json(body): Json<PhotoOrder>,
) -> ApiResult<JsonResponse<PhotoList>> {
    user.require(Permission::InventoryEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    editable_item(&tx, &user, item_id).await?;
    let mut current: Vec<Uuid> = tx
        .query(
            "SELECT id FROM inventory_item_photos WHERE theater_id = $1 AND item_id = $2",
            &[&user.theater_id, &item_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut given = body.photo_ids.clone();
    current.sort();
    given.sort();
    if current != given {
        return Err(ApiError::invalid(
            "photo_ids",
            "list every photo of the item exactly once",
        ));
    }
    tx.execute(
        "UPDATE inventory_item_photos p SET sort_order = o.ord - 1
         FROM unnest($2::uuid[]) WITH ORDINALITY AS o (id, ord)
         WHERE p.item_id = $1 AND p.id = o.id",
        &[&item_id, &body.photo_ids],
    )
    .await?;
    audit::record(
        &tx,
        audit_entry(
            &user,
            "inventory_item.photo_order",
            item_id,
            serde_json::json!(body.photo_ids),
        ),
    )
    .await?;
    let photos = list(&state, &tx, user.theater_id, item_id).await?;
    tx.commit().await?;
    Ok(JsonResponse(photos))
}

/// Delete photo
#[utoipa::path(delete, path = "/api/v1/inventory/items/{id}/photos/{photo_id}", tag = "inventory",
    security(("bearer" = ["inventory:edit"])), params(("id" = Uuid, Path), ("photo_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn delete_photo(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path((item_id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    editable_item(&tx, &user, item_id).await?;
    let (photo, key) = load(&tx, user.theater_id, item_id, photo_id).await?;
    tx.execute(
        "DELETE FROM inventory_item_photos WHERE item_id = $1 AND id = $2",
        &[&item_id, &photo_id],
    )
    .await?;
    if photo.is_primary {
        // The next ready photo in order takes over.
        tx.execute(
            "UPDATE inventory_item_photos SET is_primary = true WHERE id = (
                 SELECT id FROM inventory_item_photos WHERE item_id = $1 AND status = 'ready'
                 ORDER BY sort_order, created_at, id LIMIT 1)",
            &[&item_id],
        )
        .await?;
    }
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "inventory_item.photo_delete",
            "inventory_item",
            item_id,
        )
        .before(serde_json::json!({ "photo": photo_id })),
    )
    .await?;
    tx.commit().await?;
    // After the commit: a failed object delete leaves an orphan object, never a dangling row.
    if let Err(e) = state.storage.delete(&key).await {
        tracing::warn!(error = ?e, "could not delete a photo object");
    }
    Ok(shared::http::no_content())
}
