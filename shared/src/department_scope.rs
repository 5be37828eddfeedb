//! Resource-level permission (свой цех): a department head may create, edit and move only
//! inventory items whose category is assigned to one of their departments, and may not change
//! the category and location trees. The inventory function enforces it; `/auth/me` tells the
//! front end, so it offers only what the API will accept.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::ApiResult;
use crate::auth::AuthUser;
use crate::db::Cached;
use crate::permissions::Permission;

/// The departments the caller's inventory changes are limited to, or `None` for the whole
/// theatre. A user is limited when every role of theirs that grants inventory changes is
/// department-scoped (`roles.department_scoped`, set on the seeded `department_head`, kept when
/// it is renamed) and they hold at least one such role; a second, unscoped role such as
/// `tech_director` lifts the limit. The departments are those they head or belong to.
pub async fn inventory_departments(
    client: &impl GenericClient,
    user: &AuthUser,
) -> ApiResult<Option<Vec<Uuid>>> {
    if user.can(Permission::AdminFull) {
        return Ok(None);
    }
    let row = client
        .query_one_cached(
            "SELECT coalesce(bool_or(NOT r.department_scoped AND r.permissions && ARRAY[
                        'admin:full', 'inventory:create', 'inventory:edit', 'inventory:delete',
                        'inventory:write_off', 'inventory:reserve']::text[]), false) AS unrestricted,
                    coalesce(bool_or(r.department_scoped), false) AS head
             FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.theater_id = $1 AND ur.user_id = $2",
            &[&user.theater_id, &user.user_id],
        )
        .await?;
    let unrestricted: bool = row.get("unrestricted");
    let head: bool = row.get("head");
    if unrestricted || !head {
        return Ok(None);
    }
    Ok(Some(own_departments(client, user).await?))
}

/// The departments the caller heads or belongs to (live ones of their theatre).
pub async fn own_departments(client: &impl GenericClient, user: &AuthUser) -> ApiResult<Vec<Uuid>> {
    let rows = client
        .query_cached(
            "SELECT d.id FROM departments d
             WHERE d.theater_id = $1 AND d.deleted_at IS NULL
               AND (d.head_id = $2 OR EXISTS (SELECT 1 FROM user_departments ud
                                              WHERE ud.department_id = d.id AND ud.user_id = $2))",
            &[&user.theater_id, &user.user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
