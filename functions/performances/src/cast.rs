//! Cast and crew: users of the theatre or outside names, with a role (a character for the cast,
//! a job for the crew). Several performers of one role are a double cast, each with an order
//! (1 = first cast); understudies are marked.

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
use crate::access::{require_performance, require_user};
use crate::domain::{CastKind, bounded, optional_text, text};
use crate::removal::{SubResource, delete_versioned};

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_cast, create_cast_member))
        .routes(routes!(update_cast_member, delete_cast_member))
}

/// One person in one role.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct CastMemberView {
    pub id: Uuid,
    pub performance_id: Uuid,
    pub kind: CastKind,
    /// A user of the theatre, or null for an outside person (`person_name`).
    pub user_id: Option<Uuid>,
    /// The user's name, or the outside person's.
    pub display_name: String,
    pub person_name: Option<String>,
    /// The character (cast) or the job (crew).
    pub role_name: String,
    /// 1 = first cast; 2, 3 … for double casts.
    pub cast_order: i32,
    pub is_understudy: bool,
    pub note: Option<String>,
    pub sort_order: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT c.id, c.performance_id, c.kind, c.user_id, c.person_name,
        coalesce(nullif(btrim(concat_ws(' ', u.first_name, u.last_name)), ''), c.person_name, '')
            AS display_name,
        c.role_name, c.cast_order, c.is_understudy, c.note, c.sort_order, c.version,
        c.created_at, c.updated_at
    FROM performance_cast c
    LEFT JOIN users u ON u.id = c.user_id";

fn from_row(row: &tokio_postgres::Row) -> ApiResult<CastMemberView> {
    Ok(CastMemberView {
        id: row.get("id"),
        performance_id: row.get("performance_id"),
        kind: CastKind::parse(row.get("kind"))
            .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("stored cast kind: {e}")))?,
        user_id: row.get("user_id"),
        display_name: row.get("display_name"),
        person_name: row.get("person_name"),
        role_name: row.get("role_name"),
        cast_order: row.get("cast_order"),
        is_understudy: row.get("is_understudy"),
        note: row.get("note"),
        sort_order: row.get("sort_order"),
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

/// Cast entry `cast_id` of this performance.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    cast_id: Uuid,
) -> ApiResult<CastMemberView> {
    let sql = format!("{SELECT} WHERE c.theater_id = $1 AND c.performance_id = $2 AND c.id = $3");
    client
        .query_opt(&sql, &[&theater_id, &performance_id, &cast_id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(ApiError::NotFound)
}

/// A 422 on `field` unless `cast_id` is a cast entry of this performance.
pub async fn require_cast_member(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    cast_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    match load(client, theater_id, performance_id, cast_id).await {
        Ok(_) => Ok(()),
        Err(ApiError::NotFound) => Err(ApiError::invalid(
            field,
            "no such cast member in this performance",
        )),
        Err(e) => Err(e),
    }
}

/// Filters of the cast list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CastQuery {
    pub kind: Option<CastKind>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List cast and crew
///
/// Cast first, then crew; within each by role, then by cast order.
#[utoipa::path(get, path = "/api/v1/performances/{id}/cast", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), CastQuery),
    responses((status = 200, body = inline(Page<CastMemberView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_cast(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(query): Query<CastQuery>,
) -> ApiResult<JsonResponse<Page<CastMemberView>>> {
    user.require(Permission::PerformanceView)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    // (kind, sort_order, role, order, id): a stable total order.
    let after: Option<(String, i32, String, i32, Uuid)> = page.after()?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let (a_kind, a_sort, a_role, a_order, a_id) = match after {
        Some((k, s, r, o, i)) => (Some(k), Some(s), Some(r), Some(o), Some(i)),
        None => (None, None, None, None, None),
    };
    let sql = format!(
        "{SELECT} WHERE c.theater_id = $1 AND c.performance_id = $2
           AND ($3::text IS NULL OR c.kind = $3)
           AND ($4::text IS NULL OR (c.kind, c.sort_order, c.role_name, c.cast_order, c.id)
                                    > ($4, $5, $6, $7, $8))
         ORDER BY c.kind, c.sort_order, c.role_name, c.cast_order, c.id LIMIT $9"
    );
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &id,
                &query.kind.map(CastKind::as_str),
                &a_kind,
                &a_sort,
                &a_role,
                &a_order,
                &a_id,
                &(limit + 1),
            ],
        )
        .await?;
    let members = rows.iter().map(from_row).collect::<ApiResult<Vec<_>>>()?;
    Ok(JsonResponse(Page::from_rows(members, limit, |m| {
        (
            m.kind.as_str().to_string(),
            m.sort_order,
            m.role_name.clone(),
            m.cast_order,
            m.id,
        )
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateCastMemberRequest {
    /// `cast` (default) or `crew`.
    pub kind: Option<CastKind>,
    /// A user of this theatre; or give `person_name` for someone without an account.
    pub user_id: Option<Uuid>,
    pub person_name: Option<String>,
    /// The character (cast) or the job (crew).
    #[schema(required = true)]
    pub role_name: String,
    /// 1 (default) = first cast.
    pub cast_order: Option<i32>,
    pub is_understudy: bool,
    pub note: Option<String>,
    pub sort_order: Option<i32>,
}

/// Add a person to the cast or crew
#[utoipa::path(post, path = "/api/v1/performances/{id}/cast", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateCastMemberRequest,
    responses((status = 201, body = CastMemberView), (status = 403), (status = 404), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_cast_member(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateCastMemberRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let role = errors.take("role_name", text(&body.role_name, 200));
    let person = errors.take(
        "person_name",
        optional_text(body.person_name.as_deref(), 200),
    );
    let note = errors.take("note", optional_text(body.note.as_deref(), 2000));
    let order = errors.take("cast_order", bounded(body.cast_order.unwrap_or(1), 1, 20));
    let sort = errors.take(
        "sort_order",
        bounded(body.sort_order.unwrap_or(0), 0, 100_000),
    );
    if body.user_id.is_none() && person.as_ref().is_some_and(Option::is_none) {
        errors.add("user_id", "give a user of the theatre or a person_name");
    }
    let (Some(role), Some(person), Some(note), Some(order), Some(sort)) =
        (role, person, note, order, sort)
    else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    if let Some(u) = body.user_id {
        require_user(&tx, user.theater_id, u, "user_id").await?;
    }
    let cast_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO performance_cast (id, theater_id, performance_id, kind, user_id, person_name,
             role_name, cast_order, is_understudy, note, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &cast_id,
            &user.theater_id,
            &id,
            &body.kind.unwrap_or(CastKind::Cast).as_str(),
            &body.user_id,
            &person,
            &role,
            &order,
            &body.is_understudy,
            &note,
            &sort,
        ],
    )
    .await?;
    let view = load(&tx, user.theater_id, id, cast_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_cast.create",
            "performance_cast",
            cast_id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCastMemberRequest {
    pub kind: Option<CastKind>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub person_name: Patch<String>,
    pub role_name: Option<String>,
    pub cast_order: Option<i32>,
    pub is_understudy: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Patch<String>,
    pub sort_order: Option<i32>,
}

/// Update a cast or crew entry
#[utoipa::path(patch, path = "/api/v1/performances/{id}/cast/{cast_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("cast_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The entry's version as an ETag")),
    request_body = UpdateCastMemberRequest,
    responses((status = 200, body = CastMemberView), (status = 403), (status = 404),
        (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_cast_member(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, cast_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateCastMemberRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let role = body
        .role_name
        .and_then(|r| errors.take("role_name", text(&r, 200)));
    let order = body
        .cast_order
        .and_then(|n| errors.take("cast_order", bounded(n, 1, 20)));
    let sort = body
        .sort_order
        .and_then(|n| errors.take("sort_order", bounded(n, 0, 100_000)));
    let person = match body.person_name {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(p) => errors.take("person_name", optional_text(Some(&p), 200)),
    };
    let note = match body.note {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(n) => errors.take("note", optional_text(Some(&n), 2000)),
    };
    errors.finish()?;
    let user_id = body.user_id.into_option();
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performance_cast
             WHERE theater_id = $1 AND performance_id = $2 AND id = $3 FOR UPDATE",
            &[&user.theater_id, &id, &cast_id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, id, cast_id).await?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(Some(u)) = user_id {
        require_user(&tx, user.theater_id, u, "user_id").await?;
    }
    let new_user = user_id.unwrap_or(before.user_id);
    let new_person = person.clone().unwrap_or(before.person_name.clone());
    if new_user.is_none() && new_person.is_none() {
        return Err(ApiError::invalid(
            "user_id",
            "give a user of the theatre or a person_name",
        ));
    }
    tx.execute(
        "UPDATE performance_cast SET
            kind = coalesce($3, kind), user_id = $4, person_name = $5,
            role_name = coalesce($6, role_name), cast_order = coalesce($7, cast_order),
            is_understudy = coalesce($8, is_understudy),
            note = CASE WHEN $9 THEN $10 ELSE note END,
            sort_order = coalesce($11, sort_order),
            version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &cast_id,
            &body.kind.map(CastKind::as_str),
            &new_user,
            &new_person,
            &role,
            &order,
            &body.is_understudy,
            &note.is_some(),
            &note.flatten(),
            &sort,
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, cast_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_cast.update",
            "performance_cast",
            cast_id,
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Remove a cast or crew entry
///
/// Kit lines that pointed at the person stay, for nobody in particular.
#[utoipa::path(delete, path = "/api/v1/performances/{id}/cast/{cast_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("cast_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The entry's version as an ETag")),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_cast_member(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, cast_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let before = load(&tx, user.theater_id, id, cast_id).await?;
    delete_versioned(tx, &user, SubResource::Cast, cast_id, expected, &before).await
}
