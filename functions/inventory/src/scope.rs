//! Resource-level permission (свой цех): a department head may create, edit and move only items
//! whose category is assigned to one of their departments. Everyone else with the inventory
//! permissions works on the whole theatre.

use deadpool_postgres::GenericClient;
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// What part of the inventory a caller may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole theatre.
    Everything,
    /// Only items of categories assigned to these departments (headed or joined).
    Departments(Vec<Uuid>),
}

impl Scope {
    /// Works out the caller's scope. A user is limited to their departments when every role of
    /// theirs that grants inventory changes is department-scoped (`roles.department_scoped`,
    /// set on the seeded `department_head`, kept when it is renamed); a second, unscoped role
    /// such as `tech_director` lifts the limit.
    pub async fn of(client: &impl GenericClient, user: &AuthUser) -> ApiResult<Scope> {
        if user.can(Permission::AdminFull) {
            return Ok(Scope::Everything);
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
            return Ok(Scope::Everything);
        }
        let rows = client
            .query_cached(
                "SELECT d.id FROM departments d
                 WHERE d.theater_id = $1 AND d.deleted_at IS NULL
                   AND (d.head_id = $2 OR EXISTS (SELECT 1 FROM user_departments ud
                                                  WHERE ud.department_id = d.id AND ud.user_id = $2))",
                &[&user.theater_id, &user.user_id],
            )
            .await?;
        Ok(Scope::Departments(rows.iter().map(|r| r.get(0)).collect()))
    }

    /// Whether this scope covers the whole theatre.
    pub fn is_everything(&self) -> bool {
        matches!(self, Scope::Everything)
    }

    /// A 403 unless items of `category_id` are within the scope: the category's department
    /// (its own or the nearest ancestor's) must be one of the caller's. The category must belong
    /// to the caller's theatre (callers load it first; an unknown one is a 403 here too).
    pub async fn check_category(
        &self,
        client: &impl GenericClient,
        theater_id: Uuid,
        category_id: Uuid,
    ) -> ApiResult<()> {
        let Scope::Departments(departments) = self else {
            return Ok(());
        };
        let department: Option<Option<Uuid>> = client
            .query_opt(
                "SELECT inventory_category_department(theater_id, id) FROM inventory_categories
                 WHERE theater_id = $1 AND id = $2",
                &[&theater_id, &category_id],
            )
            .await?
            .map(|r| r.get(0));
        match department.flatten() {
            Some(d) if departments.contains(&d) => Ok(()),
            _ => Err(outside_scope()),
        }
    }

    /// A 403 unless the caller may change the tree structure (categories, locations): only
    /// callers with the whole theatre in scope may, or a head could assign any category to
    /// their own department.
    pub fn require_everything(&self) -> ApiResult<()> {
        if self.is_everything() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "inventory:edit beyond your own departments".into(),
            ))
        }
    }
}

/// The 403 for an item outside the caller's departments.
pub fn outside_scope() -> ApiError {
    ApiError::Forbidden("inventory:edit on items of other departments' categories".into())
}
