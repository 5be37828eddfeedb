//! Reading the live passport of a performance into a [`PassportState`], and storing and loading
//! snapshots. Every function takes the caller's theatre.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use shared::ApiResult;
use uuid::Uuid;

use super::diff::{CastEntry, DocumentState, KitLine, PassportState, SectionState, VersionRef};
use crate::passport::categories::Category;

/// The passport of `performance_id` as it is now: sections, every filed document with its
/// current (ready) version, kit lines, cast and crew.
pub async fn live_state(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
) -> ApiResult<PassportState> {
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&theater_id, &performance_id];
    let sections = client
        .query(
            "SELECT code, title, content, responsible_user_id FROM performance_sections
             WHERE theater_id = $1 AND performance_id = $2 ORDER BY sort_order, code",
            &params,
        )
        .await?
        .iter()
        .map(|r| SectionState {
            code: r.get("code"),
            title: r.get("title"),
            content: r.get("content"),
            responsible_user_id: r.get("responsible_user_id"),
        })
        .collect();
    let documents = client
        .query(
            "SELECT d.id, d.title, d.passport_category, cv.id AS version_id, cv.number
             FROM documents d
             LEFT JOIN document_versions cv ON cv.id = d.current_version_id AND cv.status = 'ready'
             WHERE d.theater_id = $1 AND d.performance_id = $2
               AND d.passport_category IS NOT NULL AND d.deleted_at IS NULL
             ORDER BY d.passport_category, d.title, d.id",
            &params,
        )
        .await?
        .iter()
        .filter_map(|r| {
            Some(DocumentState {
                document_id: r.get("id"),
                title: r.get("title"),
                category: Category::parse(r.get("passport_category")).ok()?,
                version: r.get::<_, Option<Uuid>>("version_id").map(|id| VersionRef {
                    id,
                    number: r.get("number"),
                }),
            })
        })
        .collect();
    let kit = client
        .query(
            "SELECT k.item_id, i.name, i.inventory_number, k.section, k.scene_id,
                    k.cast_member_id, k.quantity
             FROM performance_kit_items k
             JOIN inventory_items i ON i.theater_id = k.theater_id AND i.id = k.item_id
             WHERE k.theater_id = $1 AND k.performance_id = $2
             ORDER BY i.name, k.item_id, k.id",
            &params,
        )
        .await?
        .iter()
        .map(|r| KitLine {
            item_id: r.get("item_id"),
            item_name: r.get("name"),
            inventory_number: r.get("inventory_number"),
            section: r.get("section"),
            scene_id: r.get("scene_id"),
            cast_member_id: r.get("cast_member_id"),
            quantity: r.get("quantity"),
        })
        .collect();
    let cast = client
        .query(
            "SELECT coalesce(c.person_name, btrim(u.first_name || ' ' || u.last_name)) AS name,
                    c.user_id, c.role_name, c.kind
             FROM performance_cast c
             LEFT JOIN users u ON u.theater_id = c.theater_id AND u.id = c.user_id
             WHERE c.theater_id = $1 AND c.performance_id = $2
             ORDER BY c.kind, c.sort_order, c.role_name, c.cast_order, c.id",
            &params,
        )
        .await?
        .iter()
        .map(|r| CastEntry {
            name: r.get::<_, Option<String>>("name").unwrap_or_default(),
            user_id: r.get("user_id"),
            role: r.get("role_name"),
            kind: r.get("kind"),
        })
        .collect();
    Ok(PassportState {
        sections,
        documents,
        kit,
        cast,
    })
}

/// A stored snapshot.
pub struct SnapshotRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub state: serde_json::Value,
}

fn from_row(r: &tokio_postgres::Row) -> SnapshotRow {
    SnapshotRow {
        id: r.get("id"),
        name: r.get("name"),
        kind: r.get("kind"),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        state: r.get("state"),
    }
}

/// Stores a snapshot and returns it as stored.
pub async fn insert(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    name: &str,
    kind: &str,
    state: &serde_json::Value,
    created_by: Uuid,
) -> ApiResult<SnapshotRow> {
    let row = client
        .query_one(
            "INSERT INTO performance_snapshots (id, theater_id, performance_id, name, kind, state,
                                                created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, name, kind, created_by, created_at, state",
            &[
                &Uuid::now_v7(),
                &theater_id,
                &performance_id,
                &name,
                &kind,
                state,
                &created_by,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Snapshot `id` of `performance_id`, or `None`.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<SnapshotRow>> {
    Ok(client
        .query_opt(
            "SELECT id, name, kind, created_by, created_at, state FROM performance_snapshots
             WHERE theater_id = $1 AND performance_id = $2 AND id = $3",
            &[&theater_id, &performance_id, &id],
        )
        .await?
        .as_ref()
        .map(from_row))
}

/// A page of the performance's snapshots, newest first (without their states).
pub async fn list(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> ApiResult<Vec<SnapshotRow>> {
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let rows = client
        .query(
            "SELECT id, name, kind, created_by, created_at, 'null'::jsonb AS state
             FROM performance_snapshots
             WHERE theater_id = $1 AND performance_id = $2
               AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
             ORDER BY created_at DESC, id DESC LIMIT $5",
            &[&theater_id, &performance_id, &after_time, &after_id, &limit],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}
