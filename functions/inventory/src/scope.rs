//! Resource-level permission (свой цех): a department head may create, edit and move only items
//! whose category is assigned to one of their departments. Everyone else with the inventory
//! permissions works on the whole theatre.

use deadpool_postgres::GenericClient;
use shared::auth::AuthUser;
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
    /// Works out the caller's scope (the rule: `shared::department_scope`).
    pub async fn of(client: &impl GenericClient, user: &AuthUser) -> ApiResult<Scope> {
        Ok(
            match shared::department_scope::inventory_departments(client, user).await? {
                None => Scope::Everything,
                Some(departments) => Scope::Departments(departments),
            },
        )
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
