//! The kit list: the inventory items a production needs, with the quantity, optionally for a
//! passport section, a scene and the cast member who wears or uses it. Each line shows whether
//! the item can be had right now (inventory's one "available" rule on the item's status) and
//! how many are missing. The other direction, which performances use an item, is
//! `GET /kit/by-item/{item_id}`.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use inventory::domain::ItemStatus;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::PerformancesState;
use crate::access::require_performance;
use crate::cast::require_cast_member;
use crate::domain::{PerformanceStatus, bounded, kit_shortage, optional_text, standard_section};
use crate::removal::{SubResource, delete_versioned};
use crate::scenes::require_scene;

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_kit, create_kit_line))
        .routes(routes!(update_kit_line, delete_kit_line))
        .routes(routes!(kit_by_item))
}

/// The inventory item of a kit line, as the kit list needs it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct KitItem {
    pub id: Uuid,
    pub name: String,
    pub inventory_number: String,
    pub status: ItemStatus,
    /// How many the item row holds.
    pub quantity: i32,
    /// The item was deleted from the inventory.
    pub deleted: bool,
}

/// One line of the kit list.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct KitLineView {
    pub id: Uuid,
    pub performance_id: Uuid,
    pub item: KitItem,
    /// How many the production needs.
    pub quantity: i32,
    /// A passport section code (`props`, `costumes`, …).
    pub section: Option<String>,
    pub scene_id: Option<Uuid>,
    /// Who wears or uses it (costumes).
    pub cast_member_id: Option<Uuid>,
    pub note: Option<String>,
    /// The item's status counts as available and it holds the quantity needed.
    pub available: bool,
    /// How many are missing now (0 when available).
    pub shortage: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT k.id, k.performance_id, k.quantity, k.section, k.scene_id,
        k.cast_member_id, k.note, k.version, k.created_at, k.updated_at,
        i.id AS item_id, i.name AS item_name, i.inventory_number, i.status AS item_status,
        i.quantity AS item_quantity, i.deleted_at IS NOT NULL AS item_deleted
    FROM performance_kit_items k
    JOIN inventory_items i ON i.theater_id = k.theater_id AND i.id = k.item_id";

fn from_row(row: &tokio_postgres::Row) -> ApiResult<KitLineView> {
    let status = ItemStatus::parse(row.get("item_status"))
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("stored item status: {e}")))?;
    let deleted: bool = row.get("item_deleted");
    let quantity: i32 = row.get("quantity");
    let item_quantity: i32 = row.get("item_quantity");
    let (available, shortage) =
        kit_shortage(status.is_available() && !deleted, item_quantity, quantity);
    Ok(KitLineView {
        id: row.get("id"),
        performance_id: row.get("performance_id"),
        item: KitItem {
            id: row.get("item_id"),
            name: row.get("item_name"),
            inventory_number: row.get("inventory_number"),
            status,
            quantity: item_quantity,
            deleted,
        },
        quantity,
        section: row.get("section"),
        scene_id: row.get("scene_id"),
        cast_member_id: row.get("cast_member_id"),
        note: row.get("note"),
        available,
        shortage,
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

/// Kit line `kit_id` of this performance.
async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    kit_id: Uuid,
) -> ApiResult<KitLineView> {
    let sql = format!("{SELECT} WHERE k.theater_id = $1 AND k.performance_id = $2 AND k.id = $3");
    client
        .query_opt(&sql, &[&theater_id, &performance_id, &kit_id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(ApiError::NotFound)
}

/// Every kit line of a performance (for the passport's other parts).
pub async fn all(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
) -> ApiResult<Vec<KitLineView>> {
    let sql = format!(
        "{SELECT} WHERE k.theater_id = $1 AND k.performance_id = $2 ORDER BY k.created_at, k.id"
    );
    let rows = client.query(&sql, &[&theater_id, &performance_id]).await?;
    rows.iter().map(from_row).collect()
}

fn parse_section(raw: &str) -> Result<String, String> {
    standard_section(raw.trim())
        .map(|s| s.code.to_string())
        .ok_or_else(|| {
            "must be a passport section: lighting, sound, scenery, props, costumes, makeup, video, effects, other".into()
        })
}

/// Checks the narrowing ids belong to this performance (422 otherwise).
async fn check_refs(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    scene_id: Option<Uuid>,
    cast_member_id: Option<Uuid>,
) -> ApiResult<()> {
    if let Some(s) = scene_id {
        require_scene(client, theater_id, performance_id, s, "scene_id").await?;
    }
    if let Some(c) = cast_member_id {
        require_cast_member(client, theater_id, performance_id, c, "cast_member_id").await?;
    }
    Ok(())
}

/// List the kit
///
/// The production's kit lines in the order they were added, each with its item and whether it
/// is available now.
#[utoipa::path(get, path = "/api/v1/performances/{id}/kit", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<KitLineView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_kit(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<KitLineView>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let sql = format!(
        "{SELECT} WHERE k.theater_id = $1 AND k.performance_id = $2
           AND ($3::timestamptz IS NULL OR (k.created_at, k.id) > ($3, $4))
         ORDER BY k.created_at, k.id LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &id, &after_time, &after_id, &(limit + 1)],
        )
        .await?;
    let lines = rows.iter().map(from_row).collect::<ApiResult<Vec<_>>>()?;
    Ok(JsonResponse(Page::from_rows(lines, limit, |l| {
        (l.created_at, l.id)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateKitLineRequest {
    /// An inventory item of this theatre.
    #[schema(required = true)]
    pub item_id: Option<Uuid>,
    /// Default 1.
    pub quantity: Option<i32>,
    /// A passport section code.
    pub section: Option<String>,
    /// A scene of this performance.
    pub scene_id: Option<Uuid>,
    /// A cast entry of this performance (who wears it).
    pub cast_member_id: Option<Uuid>,
    pub note: Option<String>,
}

/// Add a kit line
#[utoipa::path(post, path = "/api/v1/performances/{id}/kit", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateKitLineRequest,
    responses((status = 201, body = KitLineView), (status = 403), (status = 404),
        (status = 422, description = "invalid fields; an item, scene or cast member that is not this theatre's or performance's")))]
#[instrument(skip_all)]
pub async fn create_kit_line(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateKitLineRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let quantity = errors.take("quantity", bounded(body.quantity.unwrap_or(1), 1, 100_000));
    let section = body
        .section
        .as_deref()
        .map(|s| errors.take("section", parse_section(s)));
    let note = errors.take("note", optional_text(body.note.as_deref(), 2000));
    if body.item_id.is_none() {
        errors.add("item_id", "is required");
    }
    let (Some(item_id), Some(quantity), Some(note)) = (body.item_id, quantity, note) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let section = section.flatten();
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let item = tx
        .query_opt(
            "SELECT 1 FROM inventory_items WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&user.theater_id, &item_id],
        )
        .await?;
    if item.is_none() {
        return Err(ApiError::invalid(
            "item_id",
            "no such inventory item in this theatre",
        ));
    }
    check_refs(&tx, user.theater_id, id, body.scene_id, body.cast_member_id).await?;
    let kit_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO performance_kit_items (id, theater_id, performance_id, item_id, quantity,
             section, scene_id, cast_member_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &kit_id,
            &user.theater_id,
            &id,
            &item_id,
            &quantity,
            &section,
            &body.scene_id,
            &body.cast_member_id,
            &note,
        ],
    )
    .await?;
    let view = load(&tx, user.theater_id, id, kit_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_kit.create",
            "performance_kit_item",
            kit_id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKitLineRequest {
    pub quantity: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub section: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub scene_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub cast_member_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Patch<String>,
}

/// Update a kit line
#[utoipa::path(patch, path = "/api/v1/performances/{id}/kit/{kit_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("kit_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The line's version as an ETag")),
    request_body = UpdateKitLineRequest,
    responses((status = 200, body = KitLineView), (status = 403), (status = 404),
        (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_kit_line(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, kit_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateKitLineRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let quantity = body
        .quantity
        .and_then(|n| errors.take("quantity", bounded(n, 1, 100_000)));
    let section = match body.section {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(s) => errors.take("section", parse_section(&s)).map(Some),
    };
    let note = match body.note {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(n) => errors.take("note", optional_text(Some(&n), 2000)),
    };
    errors.finish()?;
    let scene = body.scene_id.into_option();
    let cast_member = body.cast_member_id.into_option();
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performance_kit_items
             WHERE theater_id = $1 AND performance_id = $2 AND id = $3 FOR UPDATE",
            &[&user.theater_id, &id, &kit_id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, id, kit_id).await?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    check_refs(
        &tx,
        user.theater_id,
        id,
        scene.flatten(),
        cast_member.flatten(),
    )
    .await?;
    tx.execute(
        "UPDATE performance_kit_items SET
            quantity = coalesce($3, quantity),
            section = CASE WHEN $4 THEN $5 ELSE section END,
            scene_id = CASE WHEN $6 THEN $7 ELSE scene_id END,
            cast_member_id = CASE WHEN $8 THEN $9 ELSE cast_member_id END,
            note = CASE WHEN $10 THEN $11 ELSE note END,
            version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &kit_id,
            &quantity,
            &section.is_some(),
            &section.clone().flatten(),
            &scene.is_some(),
            &scene.flatten(),
            &cast_member.is_some(),
            &cast_member.flatten(),
            &note.is_some(),
            &note.clone().flatten(),
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, kit_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_kit.update",
            "performance_kit_item",
            kit_id,
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Remove a kit line
#[utoipa::path(delete, path = "/api/v1/performances/{id}/kit/{kit_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("kit_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The line's version as an ETag")),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_kit_line(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, kit_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let before = load(&tx, user.theater_id, id, kit_id).await?;
    delete_versioned(tx, &user, SubResource::Kit, kit_id, expected, &before).await
}

/// One performance's use of an item.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct ItemUse {
    pub kit_id: Uuid,
    pub performance_id: Uuid,
    pub performance_title: String,
    pub performance_status: PerformanceStatus,
    pub quantity: i32,
    pub section: Option<String>,
    pub scene_id: Option<Uuid>,
    pub cast_member_id: Option<Uuid>,
}

/// Performances using an item
///
/// The kit lines of live performances that name this inventory item.
#[utoipa::path(get, path = "/api/v1/performances/kit/by-item/{item_id}", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("item_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<ItemUse>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn kit_by_item(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(item_id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ItemUse>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    let item = client
        .query_opt(
            "SELECT 1 FROM inventory_items WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&user.theater_id, &item_id],
        )
        .await?;
    if item.is_none() {
        return Err(ApiError::NotFound);
    }
    let rows = client
        .query(
            "SELECT k.id, k.performance_id, p.title, p.status, k.quantity, k.section, k.scene_id,
                    k.cast_member_id, k.created_at
             FROM performance_kit_items k
             JOIN performances p ON p.theater_id = k.theater_id AND p.id = k.performance_id
             WHERE k.theater_id = $1 AND k.item_id = $2 AND p.deleted_at IS NULL
               AND ($3::timestamptz IS NULL OR (k.created_at, k.id) > ($3, $4))
             ORDER BY k.created_at, k.id LIMIT $5",
            &[
                &user.theater_id,
                &item_id,
                &after_time,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let mut uses = Vec::with_capacity(rows.len());
    for r in &rows {
        uses.push((
            r.get::<_, DateTime<Utc>>("created_at"),
            ItemUse {
                kit_id: r.get("id"),
                performance_id: r.get("performance_id"),
                performance_title: r.get("title"),
                performance_status: PerformanceStatus::parse(r.get("status")).map_err(|e| {
                    ApiError::Unexpected(anyhow::anyhow!("stored performance status: {e}"))
                })?,
                quantity: r.get("quantity"),
                section: r.get("section"),
                scene_id: r.get("scene_id"),
                cast_member_id: r.get("cast_member_id"),
            },
        ));
    }
    let page = Page::from_rows(uses, limit, |(t, u)| (*t, u.kit_id));
    Ok(JsonResponse(Page {
        items: page.items.into_iter().map(|(_, u)| u).collect(),
        next_cursor: page.next_cursor,
    }))
}
