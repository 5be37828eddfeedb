//! Users of a theatre: list, create, read, update, deactivate, roles, departments, password
//! reset. Nobody can grant, remove or act on permissions they do not hold themselves, and the
//! last active administrator cannot be demoted or deactivated.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AuthState;
use crate::domain::{Email, Password, optional_text, patch_text, require_cover, text};
use crate::password;
use crate::repo::{
    USER_SELECT, UserView, bump_session_version, end_all_sessions, end_sessions_after_commit,
    load_user, lock_theater, other_active_admins, permissions_of_roles, user_from_row,
};

fn last_admin() -> ApiError {
    ApiError::conflict("this would leave the theatre without an active administrator")
}

/// Filters of the user list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Part of a name or email.
    pub q: Option<String>,
    pub is_active: Option<bool>,
    pub role_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
}

/// List users
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = ["users:view"])),
    params(UserFilter, PageQuery),
    responses((status = 200, body = inline(Page<UserView>)), (status = 401), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_users(
    State(state): State<AuthState>,
    user: AuthUser,
    Query(filter): Query<UserFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<UserView>>> {
    user.require(Permission::UsersView)?;
    let limit = page.limit()?;
    let after: Option<(String, String, Uuid)> = page.after()?;
    let (after_last, after_first, after_id) = match after {
        Some((l, f, id)) => (Some(l), Some(f), Some(id)),
        None => (None, None, None),
    };
    let pattern = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
    let sql = format!(
        "{USER_SELECT}
         WHERE u.theater_id = $1
           AND ($2::text IS NULL OR u.email ILIKE $2 OR u.first_name ILIKE $2 OR u.last_name ILIKE $2
                OR (u.first_name || ' ' || u.last_name) ILIKE $2 OR (u.last_name || ' ' || u.first_name) ILIKE $2)
           AND ($3::boolean IS NULL OR u.is_active = $3)
           AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM user_roles x WHERE x.user_id = u.id AND x.role_id = $4))
           AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM user_departments x WHERE x.user_id = u.id AND x.department_id = $5))
           AND ($6::text IS NULL OR (u.last_name, u.first_name, u.id) > ($6, $7, $8))
         ORDER BY u.last_name, u.first_name, u.id
         LIMIT $9"
    );
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &pattern,
                &filter.is_active,
                &filter.role_id,
                &filter.department_id,
                &after_last,
                &after_first,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let users: Vec<UserView> = rows.iter().map(|r| user_from_row(r).0).collect();
    Ok(JsonResponse(Page::from_rows(users, limit, |u| {
        (u.last_name.clone(), u.first_name.clone(), u.id)
    })))
}

/// `POST /users`: a new user of the caller's theatre.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CreateUserRequest {
    #[schema(required = true)]
    pub email: String,
    #[schema(required = true)]
    pub password: String,
    #[schema(required = true)]
    pub first_name: String,
    #[schema(required = true)]
    pub last_name: String,
    pub phone: Option<String>,
    pub position: Option<String>,
    #[serde(default)]
    pub role_ids: Vec<Uuid>,
    #[serde(default)]
    pub department_ids: Vec<Uuid>,
}

/// Create user
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = ["users:create"])),
    request_body = CreateUserRequest,
    responses((status = 201, body = UserView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_user(
    State(state): State<AuthState>,
    user: AuthUser,
    Json(body): Json<CreateUserRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersCreate)?;
    let mut errors = FieldErrors::new();
    let email = errors.take("email", Email::parse(&body.email));
    let password = errors.take("password", Password::parse(&body.password));
    let first_name = errors.take("first_name", text(&body.first_name, 100));
    let last_name = errors.take("last_name", text(&body.last_name, 100));
    let phone = errors.take("phone", optional_text(body.phone.as_deref(), 50));
    let position = errors.take("position", optional_text(body.position.as_deref(), 200));
    let (
        Some(email),
        Some(password),
        Some(first_name),
        Some(last_name),
        Some(phone),
        Some(position),
    ) = (email, password, first_name, last_name, phone, position)
    else {
        return Err(errors.into_error());
    };
    let client = state.ctx.db.get().await?;
    let granted =
        permissions_of_roles(&client, user.theater_id, &body.role_ids, "role_ids").await?;
    require_cover(&user, &granted)?;
    // No pooled connection is held while hashing (sessions::login says why).
    drop(client);
    let hash = password::hash(password).await?;

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO users (id, theater_id, email, password_hash, first_name, last_name, phone, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&id, &user.theater_id, &email.as_str(), &hash, &first_name, &last_name, &phone, &position],
    )
    .await?;
    replace_roles(&tx, user.theater_id, id, &body.role_ids).await?;
    replace_departments(&tx, user.theater_id, id, &body.department_ids).await?;
    let (view, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.create", "user", id).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

async fn replace_roles(
    client: &impl GenericClient,
    theater_id: Uuid,
    user_id: Uuid,
    role_ids: &[Uuid],
) -> ApiResult<()> {
    client
        .execute("DELETE FROM user_roles WHERE user_id = $1", &[&user_id])
        .await?;
    client
        .execute(
            "INSERT INTO user_roles (theater_id, user_id, role_id)
             SELECT $1, $2, r FROM unnest($3::uuid[]) AS r ON CONFLICT DO NOTHING",
            &[&theater_id, &user_id, &role_ids],
        )
        .await?;
    Ok(())
}

async fn replace_departments(
    client: &impl GenericClient,
    theater_id: Uuid,
    user_id: Uuid,
    department_ids: &[Uuid],
) -> ApiResult<()> {
    let live: i64 = client
        .query_one(
            "SELECT count(DISTINCT id) FROM departments
             WHERE theater_id = $1 AND id = ANY($2) AND deleted_at IS NULL",
            &[&theater_id, &department_ids],
        )
        .await?
        .get(0);
    let mut unique = department_ids.to_vec();
    unique.sort();
    unique.dedup();
    if live != unique.len() as i64 {
        return Err(ApiError::invalid(
            "department_ids",
            "contains a department that does not exist in this theatre",
        ));
    }
    client
        .execute(
            "DELETE FROM user_departments WHERE user_id = $1",
            &[&user_id],
        )
        .await?;
    client
        .execute(
            "INSERT INTO user_departments (theater_id, user_id, department_id)
             SELECT $1, $2, d FROM unnest($3::uuid[]) AS d ON CONFLICT DO NOTHING",
            &[&theater_id, &user_id, &unique],
        )
        .await?;
    Ok(())
}

/// Get user
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = ["users:view"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_user(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    if id != user.user_id {
        user.require(Permission::UsersView)?;
    }
    let client = state.ctx.db.get().await?;
    let (view, _, _) = load_user(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

/// `PATCH /users/{id}`: profile fields; `is_active: true` reactivates (deactivate with DELETE).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub position: Patch<String>,
    pub is_active: Option<bool>,
}

/// Update user
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "the ETag of the version you edited")),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_user(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateUserRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut errors = FieldErrors::new();
    let email = body.email.as_deref().map(Email::parse).transpose();
    let email = errors.take("email", email).flatten();
    let first_name = errors
        .take(
            "first_name",
            body.first_name.as_deref().map(|v| text(v, 100)).transpose(),
        )
        .flatten();
    let last_name = errors
        .take(
            "last_name",
            body.last_name.as_deref().map(|v| text(v, 100)).transpose(),
        )
        .flatten();
    let phone = errors.take("phone", patch_text(body.phone, 50));
    let position = errors.take("position", patch_text(body.position, 200));
    if body.is_active == Some(false) {
        errors.add(
            "is_active",
            "deactivate a user with DELETE /api/v1/users/{id}",
        );
    }
    let (Some(phone), Some(position)) = (phone, position) else {
        return Err(errors.into_error());
    };
    errors.finish()?;

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let (before, target_permissions, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if id != user.user_id {
        require_cover(&user, &target_permissions)?;
    }
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let (set_phone, phone) = match phone.into_option() {
        None => (false, None),
        Some(v) => (true, v),
    };
    let (set_position, position) = match position.into_option() {
        None => (false, None),
        Some(v) => (true, v),
    };
    let updated = tx
        .execute(
            "UPDATE users SET
                email = COALESCE($3, email),
                first_name = COALESCE($4, first_name),
                last_name = COALESCE($5, last_name),
                phone = CASE WHEN $6 THEN $7 ELSE phone END,
                position = CASE WHEN $8 THEN $9 ELSE position END,
                is_active = COALESCE($10, is_active),
                version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND version = $11",
            &[
                &user.theater_id,
                &id,
                &email.as_ref().map(Email::as_str),
                &first_name,
                &last_name,
                &set_phone,
                &phone,
                &set_position,
                &position,
                &body.is_active,
                &before.version,
            ],
        )
        .await?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let (after, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.update", "user", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Deactivate a user
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = ["users:delete"])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "deactivated; sessions ended"), (status = 404), (status = 409)))]
#[instrument(skip_all)]
pub async fn deactivate_user(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::UsersDelete)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    lock_theater(&tx, user.theater_id).await?;
    let (before, target_permissions, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if id == user.user_id {
        return Err(ApiError::conflict("you cannot deactivate yourself"));
    }
    require_cover(&user, &target_permissions)?;
    if !before.is_active {
        return Ok(shared::http::no_content());
    }
    if target_permissions.grants(Permission::AdminFull)
        && other_active_admins(&tx, user.theater_id, &[id]).await? == 0
    {
        return Err(last_admin());
    }
    tx.execute(
        "UPDATE users SET is_active = false, version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    let session_version = end_all_sessions(&tx, id).await?;
    let (after, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.deactivate", "user", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    end_sessions_after_commit(&state, id, session_version).await;
    Ok(shared::http::no_content())
}

#[derive(Deserialize, ToSchema)]
pub struct SetRolesRequest {
    pub role_ids: Vec<Uuid>,
}

/// Replace a user's roles
#[utoipa::path(put, path = "/api/v1/users/{id}/roles", tag = "users", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path)), request_body = SetRolesRequest,
    responses((status = 200, body = UserView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn set_roles(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<SetRolesRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    lock_theater(&tx, user.theater_id).await?;
    let (before, old_permissions, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new_permissions =
        permissions_of_roles(&tx, user.theater_id, &body.role_ids, "role_ids").await?;
    // Adding or removing a role is acting on its permissions: the caller must hold them all.
    let old_ids: Vec<Uuid> = before.roles.iter().map(|r| r.id).collect();
    let changed: Vec<Uuid> = old_ids
        .iter()
        .filter(|r| !body.role_ids.contains(r))
        .chain(body.role_ids.iter().filter(|r| !old_ids.contains(r)))
        .copied()
        .collect();
    let changed_permissions =
        permissions_of_roles(&tx, user.theater_id, &changed, "role_ids").await?;
    require_cover(&user, &changed_permissions)?;
    if before.is_active
        && old_permissions.grants(Permission::AdminFull)
        && !new_permissions.grants(Permission::AdminFull)
        && other_active_admins(&tx, user.theater_id, &[id]).await? == 0
    {
        return Err(last_admin());
    }
    replace_roles(&tx, user.theater_id, id, &body.role_ids).await?;
    tx.execute(
        "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1",
        &[&id],
    )
    .await?;
    let session_version = bump_session_version(&tx, id).await?;
    let (after, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.set_roles", "user", id)
            .before(serde_json::json!({ "roles": before.roles }))
            .after(serde_json::json!({ "roles": after.roles })),
    )
    .await?;
    tx.commit().await?;
    // Tokens carry permissions: make the user's current ones stale so the next refresh
    // picks up the new set.
    end_sessions_after_commit(&state, id, session_version).await;
    Ok(shared::http::with_etag(after.version, after))
}

#[derive(Deserialize, ToSchema)]
pub struct SetDepartmentsRequest {
    pub department_ids: Vec<Uuid>,
}

/// Replace a user's departments
#[utoipa::path(put, path = "/api/v1/users/{id}/departments", tag = "users", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path)), request_body = SetDepartmentsRequest,
    responses((status = 200, body = UserView), (status = 404), (status = 422)))]
#[instrument(skip_all)]
pub async fn set_departments(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<SetDepartmentsRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let (before, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    replace_departments(&tx, user.theater_id, id, &body.department_ids).await?;
    tx.execute(
        "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1",
        &[&id],
    )
    .await?;
    let (after, _, _) = load_user(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.set_departments", "user", id)
            .before(serde_json::json!({ "departments": before.departments }))
            .after(serde_json::json!({ "departments": after.departments })),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    pub new_password: String,
}

/// Reset a user's password
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = ["users:edit"])),
    params(("id" = Uuid, Path)), request_body = ResetPasswordRequest,
    responses((status = 204, description = "password set; the user's sessions ended"), (status = 403), (status = 404), (status = 422)))]
#[instrument(skip_all)]
pub async fn reset_password(
    State(state): State<AuthState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ResetPasswordRequest>,
) -> ApiResult<Response> {
    user.require(Permission::UsersEdit)?;
    let new_password =
        Password::parse(&body.new_password).map_err(|m| ApiError::invalid("new_password", m))?;
    let client = state.ctx.db.get().await?;
    let (_, target_permissions, _) = load_user(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    require_cover(&user, &target_permissions)?;
    drop(client);
    let hash = password::hash(new_password).await?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "UPDATE users SET password_hash = $3, version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id, &hash],
    )
    .await?;
    let session_version = end_all_sessions(&tx, id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.reset_password", "user", id)
            .after(serde_json::json!({ "password": "reset" })),
    )
    .await?;
    tx.commit().await?;
    end_sessions_after_commit(&state, id, session_version).await;
    Ok(shared::http::no_content())
}
