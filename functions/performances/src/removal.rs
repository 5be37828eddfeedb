//! Deleting a row of a production's sub-resource (cast, kit, scenes, sections): one way for
//! all four, so the If-Match check, the audit entry and the answer cannot drift apart.

use axum::response::Response;
use deadpool_postgres::Transaction;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// A sub-resource whose rows carry a `version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubResource {
    Cast,
    Kit,
    Scene,
    Section,
}

impl SubResource {
    /// The rows' table.
    fn table(self) -> &'static str {
        match self {
            SubResource::Cast => "performance_cast",
            SubResource::Kit => "performance_kit_items",
            SubResource::Scene => "performance_scenes",
            SubResource::Section => "performance_sections",
        }
    }

    /// The audit action and entity type of a deletion.
    fn audit(self) -> (&'static str, &'static str) {
        match self {
            SubResource::Cast => ("performance_cast.delete", "performance_cast"),
            SubResource::Kit => ("performance_kit.delete", "performance_kit_item"),
            SubResource::Scene => ("performance_scene.delete", "performance_scene"),
            SubResource::Section => ("performance_section.delete", "performance_section"),
        }
    }
}

/// The tail of every sub-resource DELETE, once the caller checked access and loaded `before`:
/// deletes row `id` of the theatre if its version is `expected` (any version without
/// If-Match; 412 when it changed meanwhile), audits it with `before`, commits, answers 204.
pub async fn delete_versioned(
    tx: Transaction<'_>,
    user: &AuthUser,
    what: SubResource,
    id: Uuid,
    expected: Option<i32>,
    before: impl serde::Serialize,
) -> ApiResult<Response> {
    let sql = format!(
        "DELETE FROM {} WHERE theater_id = $1 AND id = $2 AND ($3::int IS NULL OR version = $3)",
        what.table()
    );
    let deleted = tx
        .execute(&sql, &[&user.theater_id, &id, &expected])
        .await?;
    if deleted == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let (action, entity) = what.audit();
    audit::record(&tx, AuditEntry::by(user, action, entity, id).before(before)).await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
