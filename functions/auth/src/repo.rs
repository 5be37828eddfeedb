//! The SQL of users and their sessions: the one SELECT of a user with roles, departments and
//! effective permissions, the administrator count, and ending sessions (database first, then
//! the published Redis view). Handlers in `users`, `roles` and `sessions` call these; this
//! module calls none of them.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::db::Cached;
use shared::permissions::PermissionSet;
use shared::{ApiError, ApiResult};
use tokio_postgres::types::Json as SqlJson;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AuthState;

/// A role as shown on a user.
#[derive(Serialize, Deserialize, Clone, ToSchema)]
pub struct RoleRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// A department as shown on a user.
#[derive(Serialize, Deserialize, Clone, ToSchema)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// A user as the API shows it (never the password hash).
#[derive(Serialize, Clone, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub theater_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub position: Option<String>,
    pub is_active: bool,
    pub roles: Vec<RoleRef>,
    pub departments: Vec<DepartmentRef>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

pub const USER_SELECT: &str = "
    SELECT u.id, u.theater_id, u.email, u.first_name, u.last_name, u.phone, u.position,
           u.is_active, u.last_login_at, u.created_at, u.updated_at, u.version, u.session_version,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'code', r.code, 'name', r.name)
                                      ORDER BY r.code)
                     FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                     WHERE ur.user_id = u.id), '[]'::jsonb) AS roles,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'code', d.code, 'name', d.name)
                                      ORDER BY d.code)
                     FROM user_departments ud JOIN departments d ON d.id = ud.department_id
                     WHERE ud.user_id = u.id AND d.deleted_at IS NULL), '[]'::jsonb) AS departments,
           COALESCE((SELECT array_agg(DISTINCT p ORDER BY p)
                     FROM user_roles ur JOIN roles r ON r.id = ur.role_id,
                          unnest(r.permissions) AS p
                     WHERE ur.user_id = u.id), '{}'::text[]) AS permissions
    FROM users u";

pub fn user_from_row(row: &tokio_postgres::Row) -> (UserView, PermissionSet, i32) {
    let SqlJson(roles): SqlJson<Vec<RoleRef>> = row.get("roles");
    let SqlJson(departments): SqlJson<Vec<DepartmentRef>> = row.get("departments");
    let permissions: Vec<String> = row.get("permissions");
    (
        UserView {
            id: row.get("id"),
            theater_id: row.get("theater_id"),
            email: row.get("email"),
            first_name: row.get("first_name"),
            last_name: row.get("last_name"),
            phone: row.get("phone"),
            position: row.get("position"),
            is_active: row.get("is_active"),
            roles,
            departments,
            last_login_at: row.get("last_login_at"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            version: row.get("version"),
        },
        PermissionSet::from_strings(permissions),
        row.get("session_version"),
    )
}

/// A user of `theater_id` with effective permissions and session version.
pub async fn load_user(
    client: &impl GenericClient,
    theater_id: Uuid,
    user_id: Uuid,
) -> Result<Option<(UserView, PermissionSet, i32)>, ApiError> {
    let sql = format!("{USER_SELECT} WHERE u.theater_id = $1 AND u.id = $2");
    Ok(client
        .query_opt_cached(&sql, &[&theater_id, &user_id])
        .await?
        .as_ref()
        .map(user_from_row))
}

/// The union of the permissions of a user's roles.
pub async fn effective_permissions(
    client: &impl GenericClient,
    user_id: Uuid,
) -> Result<PermissionSet, ApiError> {
    let rows = client
        .query_cached(
            "SELECT DISTINCT p FROM user_roles ur JOIN roles r ON r.id = ur.role_id,
                    unnest(r.permissions) AS p
             WHERE ur.user_id = $1",
            &[&user_id],
        )
        .await?;
    Ok(PermissionSet::from_strings(
        rows.iter().map(|r| r.get::<_, String>(0)),
    ))
}

/// The union of the permissions of `role_ids` inside the theatre; a 422 naming `field` if any
/// id is not a role of this theatre.
pub async fn permissions_of_roles(
    client: &impl GenericClient,
    theater_id: Uuid,
    role_ids: &[Uuid],
    field: &str,
) -> Result<PermissionSet, ApiError> {
    let rows = client
        .query(
            "SELECT id, permissions FROM roles WHERE theater_id = $1 AND id = ANY($2)",
            &[&theater_id, &role_ids],
        )
        .await?;
    let mut unique = role_ids.to_vec();
    unique.sort();
    unique.dedup();
    if rows.len() != unique.len() {
        return Err(ApiError::invalid(
            field,
            "contains a role that does not exist in this theatre",
        ));
    }
    Ok(PermissionSet::from_strings(
        rows.iter()
            .flat_map(|r| r.get::<_, Vec<String>>("permissions")),
    ))
}

/// Serializes changes that could remove the last administrator.
pub async fn lock_theater(client: &impl GenericClient, theater_id: Uuid) -> ApiResult<()> {
    client
        .execute(
            "SELECT 1 FROM theaters WHERE id = $1 FOR UPDATE",
            &[&theater_id],
        )
        .await?;
    Ok(())
}

/// Active users of the theatre other than `except` who hold `admin:full`.
pub async fn other_active_admins(
    client: &impl GenericClient,
    theater_id: Uuid,
    except: &[Uuid],
) -> ApiResult<i64> {
    Ok(client
        .query_one(
            "SELECT count(DISTINCT u.id) FROM users u
             JOIN user_roles ur ON ur.user_id = u.id
             JOIN roles r ON r.id = ur.role_id
             WHERE u.theater_id = $1 AND u.is_active AND NOT (u.id = ANY($2))
               AND 'admin:full' = ANY(r.permissions)",
            &[&theater_id, &except],
        )
        .await?
        .get(0))
}

/// Revokes every refresh token of `user_id` and bumps the session version; returns it for
/// publishing after the commit.
pub async fn end_all_sessions(client: &impl GenericClient, user_id: Uuid) -> ApiResult<i32> {
    client
        .execute(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user_id],
        )
        .await?;
    bump_session_version(client, user_id).await
}

pub async fn bump_session_version(client: &impl GenericClient, user_id: Uuid) -> ApiResult<i32> {
    Ok(client
        .query_one(
            "UPDATE users SET session_version = session_version + 1 WHERE id = $1 RETURNING session_version",
            &[&user_id],
        )
        .await?
        .get(0))
}

/// Ends every session of `user_id` after its session version was bumped in the database.
/// (`_version` is what the caller committed; the published state is re-read from the database.)
pub async fn end_sessions_after_commit(state: &AuthState, user_id: Uuid, _version: i32) {
    if let Err(e) = shared::auth::publish_session_state(&state.ctx, user_id).await {
        // The refresh tokens are revoked in the database already; access tokens then lapse
        // within one lifetime.
        tracing::error!(error = ?e, %user_id, "could not publish the session version");
    }
}
