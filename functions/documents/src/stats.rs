//! `GET /documents/stats`: counts over the documents the caller can see, like inventory's stats.

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::ApiResult;
use shared::auth::AuthUser;
use shared::permissions::Permission;
use tracing::instrument;
use utoipa::ToSchema;

use crate::DocumentsState;
use crate::access::{VISIBLE, Viewer};

/// A count in a breakdown.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct DocumentBucket {
    /// The status, or the category id.
    pub key: String,
    /// The category's code (category breakdown only).
    pub code: Option<String>,
    pub documents: i64,
}

/// Document statistics over what the caller can see.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct DocumentStats {
    pub documents: i64,
    pub by_status: Vec<DocumentBucket>,
    pub by_category: Vec<DocumentBucket>,
    /// Versions of those documents, by processing status (`pending`, `processing`, `ready`,
    /// `failed`).
    pub versions_by_status: Vec<DocumentBucket>,
    /// Bytes of the versions measured so far.
    pub total_bytes: i64,
    pub generated_at: DateTime<Utc>,
}

/// Document statistics
///
/// Counts by status and category, versions by processing status and the bytes stored, over the
/// documents the caller can see.
#[utoipa::path(get, path = "/api/v1/documents/stats", tag = "documents",
    security(("bearer" = ["documents:view"])),
    responses((status = 200, body = DocumentStats), (status = 403)))]
#[instrument(skip_all)]
pub async fn document_stats(
    State(state): State<DocumentsState>,
    user: AuthUser,
) -> ApiResult<JsonResponse<DocumentStats>> {
    user.require(Permission::DocumentsView)?;
    let viewer = Viewer::from(&user);
    let p = viewer.params();
    let client = state.ctx.db.get().await?;
    let from = format!(
        "FROM documents d JOIN document_categories c ON c.id = d.category_id WHERE {VISIBLE}"
    );
    let bucket = |r: &tokio_postgres::Row| DocumentBucket {
        key: r.get("key"),
        code: r.get("code"),
        documents: r.get("documents"),
    };
    let by_status = client
        .query(
            &format!(
                "SELECT d.status AS key, NULL::text AS code, count(*) AS documents {from}
                 GROUP BY 1 ORDER BY 3 DESC, 1"
            ),
            &p,
        )
        .await?;
    let by_category = client
        .query(
            &format!(
                "SELECT c.id::text AS key, c.code AS code, count(*) AS documents {from}
                 GROUP BY 1, 2 ORDER BY 3 DESC, 2"
            ),
            &p,
        )
        .await?;
    let versions = client
        .query(
            &format!(
                "SELECT v.status AS key, NULL::text AS code, count(*) AS documents
                 FROM document_versions v
                 WHERE v.document_id IN (SELECT d.id {from})
                 GROUP BY 1 ORDER BY 3 DESC, 1"
            ),
            &p,
        )
        .await?;
    let totals = client
        .query_one(
            &format!(
                "SELECT (SELECT count(*) {from}) AS documents,
                        (SELECT coalesce(sum(v.size), 0)::bigint FROM document_versions v
                         WHERE v.document_id IN (SELECT d.id {from})) AS total_bytes"
            ),
            &p,
        )
        .await?;
    Ok(JsonResponse(DocumentStats {
        documents: totals.get("documents"),
        by_status: by_status.iter().map(bucket).collect(),
        by_category: by_category.iter().map(bucket).collect(),
        versions_by_status: versions.iter().map(bucket).collect(),
        total_bytes: totals.get("total_bytes"),
        generated_at: Utc::now(),
    }))
}
