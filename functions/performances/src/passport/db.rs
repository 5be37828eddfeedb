//! The passport's queries over the documents tables. Every function takes the caller's theatre
//! (directly or inside the [`Viewer`]); what the caller may see is the documents function's own
//! predicate ([`VISIBLE`]), shared through `shared::document_access`.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use shared::ApiResult;
use shared::document_access::{VISIBLE, Viewer};
use utoipa::ToSchema;
use uuid::Uuid;

use super::categories::Category;

/// Where a document version stands in the documents function's pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Pending,
    Processing,
    Ready,
    Failed,
}

impl VersionStatus {
    fn from_db(raw: &str) -> Self {
        match raw {
            "processing" => Self::Processing,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// The current version of a filed document: the last one the worker verified (`ready`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CurrentVersion {
    pub id: Uuid,
    pub number: i32,
    pub original_filename: String,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A document filed in a passport.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PassportDocument {
    pub document_id: Uuid,
    pub title: String,
    /// The document's own status (`draft`, `active`, `archived`); archived ones do not count.
    pub status: String,
    pub category: Category,
    /// How sure auto-filing was; null when a person chose the category.
    pub confidence: Option<f32>,
    pub filed_at: Option<DateTime<Utc>>,
    /// Null until a version is verified.
    pub current_version: Option<CurrentVersion>,
    /// The newest upload's status (a new version may be on its way).
    pub latest_version_status: Option<VersionStatus>,
    /// The document's row version (its `ETag` in the documents API).
    pub version: i32,
}

const FILED_COLUMNS: &str = "
    d.id, d.title, d.status, d.passport_category, d.passport_confidence, d.passport_filed_at,
    d.version, d.performance_id,
    cv.id AS cv_id, cv.number AS cv_number, cv.original_filename AS cv_filename,
    cv.size AS cv_size, cv.content_type AS cv_content_type, cv.completed_at AS cv_completed_at,
    lv.status AS latest_status, lv.original_filename AS latest_filename";

const FILED_FROM: &str = "
    FROM documents d
    JOIN document_categories c ON c.id = d.category_id
    LEFT JOIN document_versions cv ON cv.id = d.current_version_id AND cv.status = 'ready'
    LEFT JOIN LATERAL (SELECT v.status, v.original_filename FROM document_versions v
                       WHERE v.document_id = d.id ORDER BY v.created_at DESC, v.id DESC
                       LIMIT 1) lv ON true";

/// A document row as filing reads it (filed or not).
pub struct DocumentRow {
    pub performance_id: Option<Uuid>,
    pub title: String,
    pub current_filename: Option<String>,
    pub latest_filename: Option<String>,
    /// Set when the document is filed.
    pub filed: Option<PassportDocument>,
}

fn filed_from_row(row: &tokio_postgres::Row) -> Option<PassportDocument> {
    let category: Option<String> = row.get("passport_category");
    let category = Category::parse(category.as_deref()?).ok()?;
    let current_version = row
        .get::<_, Option<Uuid>>("cv_id")
        .map(|id| CurrentVersion {
            id,
            number: row.get("cv_number"),
            original_filename: row.get("cv_filename"),
            size: row.get("cv_size"),
            content_type: row.get("cv_content_type"),
            completed_at: row.get("cv_completed_at"),
        });
    Some(PassportDocument {
        document_id: row.get("id"),
        title: row.get("title"),
        status: row.get("status"),
        category,
        confidence: row.get("passport_confidence"),
        filed_at: row.get("passport_filed_at"),
        current_version,
        latest_version_status: row
            .get::<_, Option<&str>>("latest_status")
            .map(VersionStatus::from_db),
        version: row.get("version"),
    })
}

/// The documents filed under `performance_id` that `viewer` may see, in filing order.
pub async fn filed_documents(
    client: &impl GenericClient,
    viewer: &Viewer,
    performance_id: Uuid,
) -> ApiResult<Vec<PassportDocument>> {
    let sql = format!(
        "SELECT {FILED_COLUMNS} {FILED_FROM}
         WHERE {VISIBLE} AND d.performance_id = $5 AND d.passport_category IS NOT NULL
         ORDER BY d.passport_filed_at, d.id"
    );
    let p = viewer.params();
    let rows = client
        .query(&sql, &[p[0], p[1], p[2], p[3], &performance_id])
        .await?;
    Ok(rows.iter().filter_map(filed_from_row).collect())
}

/// Document `id` as `viewer` sees it, locked for a filing change; `None` when it does not exist
/// for them.
pub async fn document_for_filing(
    client: &impl GenericClient,
    viewer: &Viewer,
    id: Uuid,
) -> ApiResult<Option<DocumentRow>> {
    let sql = format!(
        "SELECT {FILED_COLUMNS} {FILED_FROM} WHERE {VISIBLE} AND d.id = $5 FOR UPDATE OF d"
    );
    let p = viewer.params();
    let row = client
        .query_opt(&sql, &[p[0], p[1], p[2], p[3], &id])
        .await?;
    Ok(row.map(|row| DocumentRow {
        performance_id: row.get("performance_id"),
        title: row.get("title"),
        current_filename: row.get("cv_filename"),
        latest_filename: row.get("latest_filename"),
        filed: filed_from_row(&row),
    }))
}

/// The categories of `performance_id` holding at least one document with a current (ready)
/// version that is not archived or deleted. Counts every filed document, restricted or not:
/// readiness is a fact about the passport, not about the viewer.
pub async fn filled_categories(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
) -> ApiResult<BTreeSet<Category>> {
    let rows = client
        .query(
            "SELECT DISTINCT d.passport_category
             FROM documents d
             JOIN document_versions cv ON cv.id = d.current_version_id AND cv.status = 'ready'
             WHERE d.theater_id = $1 AND d.performance_id = $2
               AND d.passport_category IS NOT NULL
               AND d.deleted_at IS NULL AND d.status <> 'archived'",
            &[&theater_id, &performance_id],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Category::parse(r.get::<_, &str>(0)).ok())
        .collect())
}

/// Files document `id` under `performance_id` and `category`.
pub async fn file(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    performance_id: Uuid,
    category: Category,
    confidence: Option<f32>,
) -> ApiResult<()> {
    client
        .execute(
            "UPDATE documents SET performance_id = $3, passport_category = $4,
                 passport_confidence = $5, passport_filed_at = now(),
                 version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[
                &theater_id,
                &id,
                &performance_id,
                &category.code(),
                &confidence,
            ],
        )
        .await?;
    Ok(())
}

/// Takes document `id` out of its passport; it stays the performance's document.
pub async fn unfile(client: &impl GenericClient, theater_id: Uuid, id: Uuid) -> ApiResult<()> {
    client
        .execute(
            "UPDATE documents SET passport_category = NULL, passport_confidence = NULL,
                 passport_filed_at = NULL, version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[&theater_id, &id],
        )
        .await?;
    Ok(())
}

/// Of `ids`, the documents `viewer` may see now, plus the ones deleted since (a comparison
/// still reports those as removed). A restricted document stays hidden in snapshots too.
pub async fn shown_documents(
    client: &impl GenericClient,
    viewer: &Viewer,
    ids: &[Uuid],
) -> ApiResult<HashSet<Uuid>> {
    let sql = format!(
        "SELECT d.id FROM documents d JOIN document_categories c ON c.id = d.category_id
         WHERE {VISIBLE} AND d.id = ANY($5)
         UNION
         SELECT d.id FROM documents d
         WHERE d.theater_id = $1 AND d.id = ANY($5) AND d.deleted_at IS NOT NULL"
    );
    let p = viewer.params();
    let ids = ids.to_vec();
    let rows = client.query(&sql, &[p[0], p[1], p[2], p[3], &ids]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
