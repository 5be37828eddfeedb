//! Departments (цеха), each with a head. Seeded per DOMAIN.md for every new theatre.

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
use uuid::Uuid;

use crate::AuthState;
use crate::domain::{code, text};

/// A department as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub head_id: Option<Uuid>,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const DEPARTMENT_SELECT: &str = "
    SELECT d.id, d.code, d.name, d.head_id, d.created_at, d.updated_at, d.version,
           (SELECT count(*) FROM user_departments ud WHERE ud.department_id = d.id) AS member_count
    FROM departments d";

fn from_row(row: &tokio_postgres::Row) -> DepartmentView {
    DepartmentView {
        id: row.get("id"),
        code: row.get("code"),
        name: row.get("name"),
        head_id: row.get("head_id"),
        member_count: row.get("member_count"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    }
}

async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<DepartmentView>> {
    let sql = format!(
        "{DEPARTMENT_SELECT} WHERE d.theater_id = $1 AND d.id = $2 AND d.deleted_at IS NULL"
    );
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(from_row))
}

fn as_json(view: &DepartmentView) -> serde_json::Value {
    let mut v = serde_json::to_value(view).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("member_count");
    }
    v
}

/// Any signed-in user may see the departments (forms need them).
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = inline(Page<DepartmentView>))))]
#[instrument(skip_all)]
pub async fn list_departments(
    State(state): State<AuthState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<DepartmentView>>> {
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.after()?;
    let (after_code, after_id) = after.map_or((None, None), |(c, i)| (Some(c), Some(i)));
    let sql = format!(
        "{DEPARTMENT_SELECT} WHERE d.theater_id = $1 AND d.deleted_at IS NULL
           AND ($2::text IS NULL OR (d.code, d.id) > ($2, $3))
         ORDER BY d.code, d.id LIMIT $4"
    );
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &after_code, &after_id, &(limit + 1)],
        )
        .await?;
    let items: Vec<DepartmentView> = rows.iter().map(from_row).collect();
    Ok(JsonResponse(Page::from_rows(items, limit, |d| {
        (d.code.clone(), d.id)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CreateDepartmentRequest {
    #[schema(required = true)]
    pub code: String,
    #[schema(required = true)]
    pub name: String,
    pub head_id: Option<Uuid>,
}

/// Create department
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", security(("bearer" = ["system:settings"])),
    request_body = CreateDepartmentRequest,
    responses((status = 201, body = DepartmentView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_department(
    State(state): State<AuthState>,
    user: AuthUser,
    Json(body): Json<CreateDepartmentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::SystemSettings)?;
    let mut errors = FieldErrors::new();
    let dep_code = errors.take("code", code(&body.code, true));
    let name = errors.take("name", text(&body.name, 100));
    let (Some(dep_code), Some(name)) = (dep_code, name) else {
        return Err(errors.into_error());
    };
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO departments (id, theater_id, code, name, head_id) VALUES ($1, $2, $3, $4, $5)",
        &[&id, &user.theater_id, &dep_code, &name, &body.head_id],
    )
    .await?;
    let view = load(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "department.create", "department", id).after(as_json(&view)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get department
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = DepartmentView), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_department(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let client = state.ctx.db.get().await?;
    let view = load(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDepartmentRequest {
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub head_id: Patch<Uuid>,
}

/// Update department
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = ["system:settings"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateDepartmentRequest,
    responses((status = 200, body = DepartmentView), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_department(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateDepartmentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::SystemSettings)?;
    let name = body
        .name
        .as_deref()
        .map(|n| text(n, 100))
        .transpose()
        .map_err(|m| ApiError::invalid("name", m))?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let (set_head, head) = match body.head_id.into_option() {
        None => (false, None),
        Some(v) => (true, v),
    };
    let updated = tx
        .execute(
            "UPDATE departments SET name = COALESCE($3, name),
                                    head_id = CASE WHEN $4 THEN $5 ELSE head_id END,
                                    version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND version = $6",
            &[
                &user.theater_id,
                &id,
                &name,
                &set_head,
                &head,
                &before.version,
            ],
        )
        .await?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let after = load(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "department.update", "department", id)
            .before(as_json(&before))
            .after(as_json(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Soft delete: the row stays for history (categories may still point at it).
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = ["system:settings"])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
#[instrument(skip_all)]
pub async fn delete_department(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::SystemSettings)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Free the code so a new department may take it; memberships end with the department.
    tx.execute(
        "UPDATE departments SET deleted_at = now(), code = code || '-deleted-' || substr(id::text, 1, 8),
                                version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    tx.execute(
        "DELETE FROM user_departments WHERE department_id = $1",
        &[&id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "department.delete", "department", id).before(as_json(&before)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
