//! Who may see which document. A document the caller may not see does not exist for them: the
//! same predicate filters get, list, search and every sub-resource, so it is a 404 everywhere.
//! Shared because documents are also shown where they are filed (a performance's passport).

use crate::auth::AuthUser;
use crate::permissions::Permission;
use uuid::Uuid;

/// The caller as document visibility sees them.
#[derive(Clone, Copy, Debug)]
pub struct Viewer {
    pub theater_id: Uuid,
    pub user_id: Uuid,
    /// `admin:full` sees restricted documents too.
    pub is_admin: bool,
    /// `documents:view_financial` sees the finance category.
    pub can_view_financial: bool,
}

impl From<&AuthUser> for Viewer {
    fn from(user: &AuthUser) -> Self {
        Self {
            theater_id: user.theater_id,
            user_id: user.user_id,
            is_admin: user.can(Permission::AdminFull),
            can_view_financial: user.can(Permission::DocumentsViewFinancial),
        }
    }
}

/// The visibility predicate over `documents d JOIN document_categories c`. It uses parameters
/// `$1` theatre, `$2` user, `$3` is-admin, `$4` can-view-financial: every query built on it
/// passes [`Viewer::params`] first.
pub const VISIBLE: &str = "
    d.theater_id = $1::uuid AND d.deleted_at IS NULL
    AND ($4::boolean OR c.required_permission IS NULL)
    AND (d.allowed_role_ids IS NULL OR $3::boolean OR d.created_by = $2::uuid
         OR d.allowed_role_ids && ARRAY(SELECT ur.role_id FROM user_roles ur
                                        WHERE ur.user_id = $2::uuid))";

impl Viewer {
    /// The four leading parameters of [`VISIBLE`].
    pub fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 4] {
        [
            &self.theater_id,
            &self.user_id,
            &self.is_admin,
            &self.can_view_financial,
        ]
    }
}

/// Whether the caller can see document `id` (locking its row `FOR UPDATE` when asked).
pub async fn visible_document(
    client: &impl deadpool_postgres::GenericClient,
    viewer: &Viewer,
    id: Uuid,
    lock: bool,
) -> Result<bool, tokio_postgres::Error> {
    let sql = format!(
        "SELECT d.id FROM documents d JOIN document_categories c ON c.id = d.category_id
         WHERE {VISIBLE} AND d.id = $5 {}",
        if lock { "FOR UPDATE OF d" } else { "" }
    );
    let p = viewer.params();
    Ok(client
        .query_opt(&sql, &[p[0], p[1], p[2], p[3], &id])
        .await?
        .is_some())
}
