//! Roles of a theatre and their permission strings. Permissions outside the fixed vocabulary
//! are a 422; nobody can define a role with permissions they do not hold.

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
use shared::permissions::{Permission, PermissionSet};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AuthState;
use crate::domain::require_cover;
use crate::domain::{code, optional_text, patch_text, text};
use crate::repo::{end_sessions_after_commit, lock_theater, other_active_admins};

/// A role as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct RoleView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// Seeded with the theatre.
    pub is_system: bool,
    /// Holders are limited to their own departments' inventory (свой цех) unless another,
    /// unscoped role of theirs grants the same changes.
    pub department_scoped: bool,
    /// How many users hold it.
    pub user_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const ROLE_SELECT: &str = "
    SELECT r.id, r.code, r.name, r.description, r.permissions, r.is_system,
           r.department_scoped, r.created_at,
           r.updated_at, r.version,
           (SELECT count(*) FROM user_roles ur WHERE ur.role_id = r.id) AS user_count
    FROM roles r";

fn role_from_row(row: &tokio_postgres::Row) -> RoleView {
    RoleView {
        id: row.get("id"),
        code: row.get("code"),
        name: row.get("name"),
        description: row.get("description"),
        permissions: row.get("permissions"),
        is_system: row.get("is_system"),
        department_scoped: row.get("department_scoped"),
        user_count: row.get("user_count"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    }
}

async fn load_role(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<RoleView>> {
    let sql = format!("{ROLE_SELECT} WHERE r.theater_id = $1 AND r.id = $2");
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(role_from_row))
}

/// Parses permission strings; every unknown one is reported.
fn parse_permissions(raw: &[String], errors: &mut FieldErrors) -> Option<PermissionSet> {
    let mut ok = true;
    let mut set = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match s.parse::<Permission>() {
            Ok(p) => set.push(p),
            Err(e) => {
                ok = false;
                errors.add(format!("permissions[{i}]"), e.to_string());
            }
        }
    }
    ok.then(|| set.into_iter().collect())
}

fn as_json(view: &RoleView) -> serde_json::Value {
    let mut v = serde_json::to_value(view).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("user_count");
    }
    v
}

/// List roles
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", security(("bearer" = ["users:view"])),
    params(PageQuery), responses((status = 200, body = inline(Page<RoleView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_roles(
    State(state): State<AuthState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<RoleView>>> {
    user.require(Permission::UsersView)?;
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.after()?;
    let (after_code, after_id) = after.map_or((None, None), |(c, i)| (Some(c), Some(i)));
    let sql = format!(
        "{ROLE_SELECT} WHERE r.theater_id = $1 AND ($2::text IS NULL OR (r.code, r.id) > ($2, $3))
         ORDER BY r.code, r.id LIMIT $4"
    );
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &after_code, &after_id, &(limit + 1)],
        )
        .await?;
    let roles: Vec<RoleView> = rows.iter().map(role_from_row).collect();
    Ok(JsonResponse(Page::from_rows(roles, limit, |r| {
        (r.code.clone(), r.id)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CreateRoleRequest {
    #[schema(required = true)]
    pub code: String,
    #[schema(required = true)]
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// Limit holders to their own departments (as the seeded `department_head`); default false.
    pub department_scoped: bool,
}

/// Create role
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", security(("bearer" = ["users:edit"])),
    request_body = CreateRoleRequest,
    responses((status = 201, body = RoleView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_role(
    State(state): State<AuthState>,
    user: AuthUser,
    Json(body): Json<CreateRoleRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut errors = FieldErrors::new();
    let role_code = errors.take("code", code(&body.code, false));
    let name = errors.take("name", text(&body.name, 100));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 1000),
    );
    let permissions = parse_permissions(&body.permissions, &mut errors);
    let (Some(role_code), Some(name), Some(description), Some(permissions)) =
        (role_code, name, description, permissions)
    else {
        return Err(errors.into_error());
    };
    require_cover(&user, &permissions)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO roles (id, theater_id, code, name, description, permissions, department_scoped)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &id,
            &user.theater_id,
            &role_code,
            &name,
            &description,
            &permissions.to_strings(),
            &body.department_scoped,
        ],
    )
    .await?;
    let view = load_role(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "role.create", "role", id).after(as_json(&view)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get role
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = ["users:view"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = RoleView), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_role(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::UsersView)?;
    let client = state.ctx.db.get().await?;
    let view = load_role(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    pub permissions: Option<Vec<String>>,
    /// Limit holders to their own departments, or lift the limit.
    pub department_scoped: Option<bool>,
}

/// Update role
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateRoleRequest,
    responses((status = 200, body = RoleView), (status = 403), (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_role(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateRoleRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut errors = FieldErrors::new();
    let name = errors.take(
        "name",
        body.name.as_deref().map(|n| text(n, 100)).transpose(),
    );
    let description = errors.take("description", patch_text(body.description, 1000));
    let permissions = match &body.permissions {
        Some(raw) => parse_permissions(raw, &mut errors).map(Some),
        None => Some(None),
    };
    let (Some(name), Some(description), Some(permissions)) = (name, description, permissions)
    else {
        return Err(errors.into_error());
    };

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    lock_theater(&tx, user.theater_id).await?;
    let before = load_role(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let old = PermissionSet::from_strings(&before.permissions);
    require_cover(&user, &old)?;
    if let Some(new) = &permissions {
        require_cover(&user, new)?;
        if before.code == "admin" && !new.grants(Permission::AdminFull) {
            return Err(ApiError::conflict("the admin role always keeps admin:full"));
        }
        if old.grants(Permission::AdminFull) && !new.grants(Permission::AdminFull) {
            let holders: Vec<Uuid> = tx
                .query("SELECT user_id FROM user_roles WHERE role_id = $1", &[&id])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !holders.is_empty()
                && other_active_admins(&tx, user.theater_id, &holders).await? == 0
            {
                return Err(ApiError::conflict(
                    "this would leave the theatre without an active administrator",
                ));
            }
        }
    }
    let (set_description, description) = match description.into_option() {
        None => (false, None),
        Some(v) => (true, v),
    };
    tx.execute(
        "UPDATE roles SET name = COALESCE($3, name),
                          description = CASE WHEN $4 THEN $5 ELSE description END,
                          permissions = COALESCE($6, permissions),
                          department_scoped = COALESCE($7, department_scoped),
                          version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &id,
            &name,
            &set_description,
            &description,
            &permissions.as_ref().map(PermissionSet::to_strings),
            &body.department_scoped,
        ],
    )
    .await?;
    // Holders' tokens carry the old permissions: end them so a refresh picks up the new set.
    let bumped: Vec<(Uuid, i32)> = if permissions.is_some() {
        tx.query(
            "UPDATE users SET session_version = session_version + 1
             WHERE id IN (SELECT user_id FROM user_roles WHERE role_id = $1)
             RETURNING id, session_version",
            &[&id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    } else {
        Vec::new()
    };
    let after = load_role(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "role.update", "role", id)
            .before(as_json(&before))
            .after(as_json(&after)),
    )
    .await?;
    tx.commit().await?;
    for (user_id, version) in bumped {
        end_sessions_after_commit(&state, user_id, version).await;
    }
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete role
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "the admin role, or a role still held by users")))]
#[instrument(skip_all)]
pub async fn delete_role(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    lock_theater(&tx, user.theater_id).await?;
    let before = load_role(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    require_cover(&user, &PermissionSet::from_strings(&before.permissions))?;
    if before.code == "admin" {
        return Err(ApiError::conflict("the admin role cannot be deleted"));
    }
    if before.user_count > 0 {
        return Err(ApiError::conflict_with(
            format!(
                "the role is held by {} user(s); take it from them first",
                before.user_count
            ),
            serde_json::json!({ "user_count": before.user_count }),
        ));
    }
    tx.execute(
        "DELETE FROM roles WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "role.delete", "role", id).before(as_json(&before)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
