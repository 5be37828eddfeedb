//! Tenancy and the "свой цех" rule: every sub-resource hangs off a live performance of the
//! caller's theatre; a section may be edited by anyone with `performance:edit`, or by a member
//! (or the head) of the section's own department.

use deadpool_postgres::GenericClient;
use shared::auth::AuthUser;
use shared::department_scope::own_departments;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// A 404 unless performance `id` exists, is not deleted and belongs to `theater_id`. With
/// `lock`, holds a share lock until the transaction ends, so the performance cannot be
/// deleted under a change to one of its parts.
pub async fn require_performance(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    lock: bool,
) -> ApiResult<()> {
    let sql = if lock {
        "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
         FOR SHARE"
    } else {
        "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL"
    };
    match client.query_opt(sql, &[&theater_id, &id]).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound),
    }
}

/// How far the caller may edit a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionEdit {
    /// `performance:edit`: every field of every section.
    Full,
    /// A member of the section's department without `performance:edit`: its content and
    /// responsible person only.
    OwnDepartment,
}

/// Decides the caller's right to edit a section of `department_id`; a 403 when they have none.
/// Keys on the department (user_departments / departments.head_id), never on a role's code.
pub async fn section_edit(
    client: &impl GenericClient,
    user: &AuthUser,
    department_id: Option<Uuid>,
) -> ApiResult<SectionEdit> {
    if user.can(Permission::PerformanceEdit) {
        return Ok(SectionEdit::Full);
    }
    if user.can(Permission::PerformanceView)
        && let Some(department) = department_id
        && own_departments(client, user).await?.contains(&department)
    {
        return Ok(SectionEdit::OwnDepartment);
    }
    Err(ApiError::Forbidden(
        "performance:edit (or membership of the section's department)".into(),
    ))
}

/// A 422 on `field` unless `user_id` is a user of `theater_id`.
pub async fn require_user(
    client: &impl GenericClient,
    theater_id: Uuid,
    user_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    let found = client
        .query_opt(
            "SELECT 1 FROM users WHERE theater_id = $1 AND id = $2",
            &[&theater_id, &user_id],
        )
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(field, "no such user in this theatre")),
    }
}

/// A 422 on `field` unless `department_id` is a live department of `theater_id`.
pub async fn require_department(
    client: &impl GenericClient,
    theater_id: Uuid,
    department_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    let found = client
        .query_opt(
            "SELECT 1 FROM departments WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&theater_id, &department_id],
        )
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(
            field,
            "no such department in this theatre",
        )),
    }
}
