//! Acts and scenes: an optional structure of the production. A scene carries its act number
//! and its number within the act; kit lines may point at a scene.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
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
use crate::domain::{bounded, optional_text, text};
use crate::removal::{SubResource, delete_versioned};

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_scenes, create_scene))
        .routes(routes!(update_scene, delete_scene))
}

/// A scene as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct SceneView {
    pub id: Uuid,
    pub performance_id: Uuid,
    /// 1-20.
    pub act_number: i32,
    /// Order within the act, 1-200.
    pub scene_number: i32,
    pub title: String,
    pub description: Option<String>,
    pub duration_minutes: Option<i32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, performance_id, act_number, scene_number, title, description,
    duration_minutes, version, created_at, updated_at FROM performance_scenes";

fn from_row(row: &tokio_postgres::Row) -> SceneView {
    SceneView {
        id: row.get("id"),
        performance_id: row.get("performance_id"),
        act_number: row.get("act_number"),
        scene_number: row.get("scene_number"),
        title: row.get("title"),
        description: row.get("description"),
        duration_minutes: row.get("duration_minutes"),
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    scene_id: Uuid,
) -> ApiResult<SceneView> {
    let sql = format!("{SELECT} WHERE theater_id = $1 AND performance_id = $2 AND id = $3");
    client
        .query_opt(&sql, &[&theater_id, &performance_id, &scene_id])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(ApiError::NotFound)
}

/// A 422 on `field` unless `scene_id` is a scene of this performance.
pub async fn require_scene(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    scene_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    match load(client, theater_id, performance_id, scene_id).await {
        Ok(_) => Ok(()),
        Err(ApiError::NotFound) => Err(ApiError::invalid(
            field,
            "no such scene in this performance",
        )),
        Err(e) => Err(e),
    }
}

/// A 409 naming the taken place.
fn place_taken(act: i32, scene: i32) -> ApiError {
    ApiError::conflict_with(
        format!("act {act} already has a scene {scene}"),
        serde_json::json!({ "field": "scene_number" }),
    )
}

async fn place_free(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    act: i32,
    scene: i32,
    except: Option<Uuid>,
) -> ApiResult<()> {
    let taken = client
        .query_opt(
            "SELECT 1 FROM performance_scenes
             WHERE theater_id = $1 AND performance_id = $2 AND act_number = $3
               AND scene_number = $4 AND id IS DISTINCT FROM $5",
            &[&theater_id, &performance_id, &act, &scene, &except],
        )
        .await?;
    match taken {
        Some(_) => Err(place_taken(act, scene)),
        None => Ok(()),
    }
}

/// List acts and scenes
///
/// The scenes by act, then by number.
#[utoipa::path(get, path = "/api/v1/performances/{id}/scenes", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<SceneView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_scenes(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<SceneView>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after: Option<(i32, i32)> = page.after()?;
    let (after_act, after_scene) = after.map_or((None, None), |(a, s)| (Some(a), Some(s)));
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let sql = format!(
        "{SELECT} WHERE theater_id = $1 AND performance_id = $2
           AND ($3::int IS NULL OR (act_number, scene_number) > ($3, $4))
         ORDER BY act_number, scene_number LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &id,
                &after_act,
                &after_scene,
                &(limit + 1),
            ],
        )
        .await?;
    let scenes = rows.iter().map(from_row).collect();
    Ok(JsonResponse(Page::from_rows(scenes, limit, |s| {
        (s.act_number, s.scene_number)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateSceneRequest {
    /// 1-20.
    #[schema(required = true)]
    pub act_number: i32,
    /// Defaults to after the act's last scene.
    pub scene_number: Option<i32>,
    #[schema(required = true)]
    pub title: String,
    pub description: Option<String>,
    pub duration_minutes: Option<i32>,
}

/// Add a scene
#[utoipa::path(post, path = "/api/v1/performances/{id}/scenes", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateSceneRequest,
    responses((status = 201, body = SceneView), (status = 403), (status = 404),
        (status = 409, description = "the act already has a scene with this number"),
        (status = 422)))]
#[instrument(skip_all)]
pub async fn create_scene(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateSceneRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let act = errors.take("act_number", bounded(body.act_number, 1, 20));
    let number = body
        .scene_number
        .and_then(|n| errors.take("scene_number", bounded(n, 1, 200)));
    let title = errors.take("title", text(&body.title, 300));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 10000),
    );
    let duration = body
        .duration_minutes
        .and_then(|n| errors.take("duration_minutes", bounded(n, 1, 600)));
    let (Some(act), Some(title), Some(description)) = (act, title, description) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    // The performance's row lock serialises numbering within it.
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
             FOR UPDATE",
            &[&user.theater_id, &id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let number = match number {
        Some(n) => n,
        None => tx
            .query_one(
                "SELECT coalesce(max(scene_number), 0) + 1 FROM performance_scenes
                 WHERE theater_id = $1 AND performance_id = $2 AND act_number = $3",
                &[&user.theater_id, &id, &act],
            )
            .await?
            .get(0),
    };
    if number > 200 {
        return Err(ApiError::invalid(
            "scene_number",
            "an act has at most 200 scenes",
        ));
    }
    place_free(&tx, user.theater_id, id, act, number, None).await?;
    let scene_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO performance_scenes (id, theater_id, performance_id, act_number,
             scene_number, title, description, duration_minutes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &scene_id,
            &user.theater_id,
            &id,
            &act,
            &number,
            &title,
            &description,
            &duration,
        ],
    )
    .await?;
    let view = load(&tx, user.theater_id, id, scene_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_scene.create",
            "performance_scene",
            scene_id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSceneRequest {
    pub act_number: Option<i32>,
    pub scene_number: Option<i32>,
    pub title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub duration_minutes: Patch<i32>,
}

/// Update a scene
#[utoipa::path(patch, path = "/api/v1/performances/{id}/scenes/{scene_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("scene_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The scene's version as an ETag")),
    request_body = UpdateSceneRequest,
    responses((status = 200, body = SceneView), (status = 403), (status = 404),
        (status = 409, description = "the act already has a scene with this number"),
        (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_scene(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, scene_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateSceneRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let act = body
        .act_number
        .and_then(|n| errors.take("act_number", bounded(n, 1, 20)));
    let number = body
        .scene_number
        .and_then(|n| errors.take("scene_number", bounded(n, 1, 200)));
    let title = body.title.and_then(|t| errors.take("title", text(&t, 300)));
    let description = match body.description {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(d) => errors
            .take("description", optional_text(Some(&d), 10000))
            .map(Some),
    };
    let duration = match body.duration_minutes {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(n) => errors
            .take("duration_minutes", bounded(n, 1, 600))
            .map(Some),
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
             FOR UPDATE",
            &[&user.theater_id, &id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, id, scene_id).await?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let new_act = act.unwrap_or(before.act_number);
    let new_number = number.unwrap_or(before.scene_number);
    place_free(
        &tx,
        user.theater_id,
        id,
        new_act,
        new_number,
        Some(scene_id),
    )
    .await?;
    tx.execute(
        "UPDATE performance_scenes SET act_number = $3, scene_number = $4,
            title = coalesce($5, title),
            description = CASE WHEN $6 THEN $7 ELSE description END,
            duration_minutes = CASE WHEN $8 THEN $9 ELSE duration_minutes END,
            version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &scene_id,
            &new_act,
            &new_number,
            &title,
            &description.is_some(),
            &description.flatten(),
            &duration.is_some(),
            &duration.flatten(),
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, scene_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_scene.update",
            "performance_scene",
            scene_id,
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete a scene
///
/// Kit lines that pointed at the scene stay, for the whole performance.
#[utoipa::path(delete, path = "/api/v1/performances/{id}/scenes/{scene_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("scene_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The scene's version as an ETag")),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_scene(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, scene_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let before = load(&tx, user.theater_id, id, scene_id).await?;
    delete_versioned(tx, &user, SubResource::Scene, scene_id, expected, &before).await
}
