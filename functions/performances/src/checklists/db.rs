//! Checklist templates and runs in PostgreSQL. Every function takes the caller's theatre.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use shared::ApiResult;
use utoipa::ToSchema;
use uuid::Uuid;

use super::domain::{ChecklistKind, ChecklistStatus};

fn kind(raw: &str) -> ChecklistKind {
    ChecklistKind::parse(raw).unwrap_or(ChecklistKind::PreShow)
}

/// A checklist template.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub kind: ChecklistKind,
    /// The item texts in order.
    pub items: Vec<String>,
    /// Seeded with the theatre (still editable).
    pub is_system: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TEMPLATE_COLUMNS: &str = "id, name, kind, items, is_system, version, created_at, updated_at";

fn template_from_row(r: &tokio_postgres::Row) -> TemplateView {
    TemplateView {
        id: r.get("id"),
        name: r.get("name"),
        kind: kind(r.get("kind")),
        items: r.get("items"),
        is_system: r.get("is_system"),
        version: r.get("version"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// A page of the theatre's live templates, optionally of one kind, oldest first.
pub async fn list_templates(
    client: &impl GenericClient,
    theater_id: Uuid,
    kind: Option<ChecklistKind>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> ApiResult<Vec<TemplateView>> {
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} FROM checklist_templates
         WHERE theater_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR kind = $2)
           AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
         ORDER BY created_at, id LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[
                &theater_id,
                &kind.map(ChecklistKind::as_str),
                &after_time,
                &after_id,
                &limit,
            ],
        )
        .await?;
    Ok(rows.iter().map(template_from_row).collect())
}

/// Live template `id`, locked when asked.
pub async fn load_template(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    lock: bool,
) -> ApiResult<Option<TemplateView>> {
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} FROM checklist_templates
         WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL {}",
        if lock { "FOR UPDATE" } else { "" }
    );
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(template_from_row))
}

/// Stores a new template.
pub async fn insert_template(
    client: &impl GenericClient,
    theater_id: Uuid,
    name: &str,
    kind: ChecklistKind,
    items: &[String],
) -> ApiResult<TemplateView> {
    let sql = format!(
        "INSERT INTO checklist_templates (id, theater_id, name, kind, items)
         VALUES ($1, $2, $3, $4, $5) RETURNING {TEMPLATE_COLUMNS}"
    );
    let row = client
        .query_one(
            &sql,
            &[&Uuid::now_v7(), &theater_id, &name, &kind.as_str(), &items],
        )
        .await?;
    Ok(template_from_row(&row))
}

/// Changes what is given of a template and bumps its version.
pub async fn update_template(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    name: Option<&str>,
    kind: Option<ChecklistKind>,
    items: Option<&[String]>,
) -> ApiResult<TemplateView> {
    let sql = format!(
        "UPDATE checklist_templates SET name = COALESCE($3, name), kind = COALESCE($4, kind),
             items = COALESCE($5, items), version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2 RETURNING {TEMPLATE_COLUMNS}"
    );
    let items = items.map(<[String]>::to_vec);
    let row = client
        .query_one(
            &sql,
            &[
                &theater_id,
                &id,
                &name,
                &kind.map(ChecklistKind::as_str),
                &items,
            ],
        )
        .await?;
    Ok(template_from_row(&row))
}

/// Soft-deletes a template; checklists made from it keep their copies.
pub async fn delete_template(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<()> {
    client
        .execute(
            "UPDATE checklist_templates SET deleted_at = now(), version = version + 1,
                 updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[&theater_id, &id],
        )
        .await?;
    Ok(())
}

/// One item of a checklist run.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChecklistItemView {
    pub id: Uuid,
    pub position: i32,
    pub text: String,
    pub ticked: bool,
    pub ticked_by: Option<Uuid>,
    pub ticked_at: Option<DateTime<Utc>>,
}

fn item_from_row(r: &tokio_postgres::Row) -> ChecklistItemView {
    let ticked_at: Option<DateTime<Utc>> = r.get("ticked_at");
    ChecklistItemView {
        id: r.get("id"),
        position: r.get("position"),
        text: r.get("text"),
        ticked: ticked_at.is_some(),
        ticked_by: r.get("ticked_by"),
        ticked_at,
    }
}

/// A checklist run without its items.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChecklistSummary {
    pub id: Uuid,
    pub performance_id: Uuid,
    pub event_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub name: String,
    pub kind: ChecklistKind,
    /// Derived from the ticks.
    pub status: ChecklistStatus,
    pub ticked: i64,
    pub total: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const CHECKLIST_SELECT: &str = "
    SELECT c.id, c.performance_id, c.event_id, c.template_id, c.name, c.kind, c.created_by,
           c.created_at,
           (SELECT count(*) FROM performance_checklist_items i
            WHERE i.checklist_id = c.id AND i.ticked_at IS NOT NULL) AS ticked,
           (SELECT count(*) FROM performance_checklist_items i WHERE i.checklist_id = c.id) AS total
    FROM performance_checklists c";

fn checklist_from_row(r: &tokio_postgres::Row) -> ChecklistSummary {
    let ticked: i64 = r.get("ticked");
    let total: i64 = r.get("total");
    ChecklistSummary {
        id: r.get("id"),
        performance_id: r.get("performance_id"),
        event_id: r.get("event_id"),
        template_id: r.get("template_id"),
        name: r.get("name"),
        kind: kind(r.get("kind")),
        status: ChecklistStatus::of(ticked as usize, total as usize),
        ticked,
        total,
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
    }
}

/// Checklist `id` of `performance_id`, or `None`.
pub async fn load_checklist(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<ChecklistSummary>> {
    let sql = format!(
        "{CHECKLIST_SELECT} WHERE c.theater_id = $1 AND c.performance_id = $2 AND c.id = $3"
    );
    Ok(client
        .query_opt(&sql, &[&theater_id, &performance_id, &id])
        .await?
        .as_ref()
        .map(checklist_from_row))
}

/// A page of the performance's checklists, newest first.
pub async fn list_checklists(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> ApiResult<Vec<ChecklistSummary>> {
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let sql = format!(
        "{CHECKLIST_SELECT} WHERE c.theater_id = $1 AND c.performance_id = $2
           AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3, $4))
         ORDER BY c.created_at DESC, c.id DESC LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[&theater_id, &performance_id, &after_time, &after_id, &limit],
        )
        .await?;
    Ok(rows.iter().map(checklist_from_row).collect())
}

/// The items of checklist `id`, in order.
pub async fn items(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Vec<ChecklistItemView>> {
    let rows = client
        .query(
            "SELECT id, position, text, ticked_by, ticked_at FROM performance_checklist_items
             WHERE theater_id = $1 AND checklist_id = $2 ORDER BY position",
            &[&theater_id, &id],
        )
        .await?;
    Ok(rows.iter().map(item_from_row).collect())
}

/// Starts a checklist for a performance as a copy of `template`'s items.
pub async fn insert_checklist(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    template: &TemplateView,
    name: &str,
    event_id: Option<Uuid>,
    created_by: Uuid,
) -> ApiResult<Uuid> {
    let id = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO performance_checklists (id, theater_id, performance_id, event_id,
                 template_id, name, kind, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &id,
                &theater_id,
                &performance_id,
                &event_id,
                &template.id,
                &name,
                &template.kind.as_str(),
                &created_by,
            ],
        )
        .await?;
    client
        .execute(
            "INSERT INTO performance_checklist_items (id, theater_id, checklist_id, position, text)
             SELECT gen_random_uuid(), $1, $2, t.position, t.text
             FROM unnest($3::text[]) WITH ORDINALITY AS t (text, position)",
            &[&theater_id, &id, &template.items],
        )
        .await?;
    Ok(id)
}

/// Ticks (`Some(user)`) or unticks (`None`) one item of a checklist of `performance_id`. Only
/// that item's row is written, and only when its state changes: ticking a ticked item keeps who
/// ticked it first. Returns the item and whether it changed; `None` when there is no such item.
pub async fn set_tick(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    checklist_id: Uuid,
    item_id: Uuid,
    by: Option<Uuid>,
) -> ApiResult<Option<(ChecklistItemView, bool)>> {
    let changed = client
        .query_opt(
            "UPDATE performance_checklist_items i
             SET ticked_by = $5, ticked_at = CASE WHEN $5::uuid IS NULL THEN NULL ELSE now() END
             FROM performance_checklists c
             WHERE c.theater_id = $1 AND c.performance_id = $2 AND c.id = $3
               AND i.theater_id = $1 AND i.checklist_id = c.id AND i.id = $4
               AND (i.ticked_at IS NULL) = ($5::uuid IS NOT NULL)
             RETURNING i.id, i.position, i.text, i.ticked_by, i.ticked_at",
            &[&theater_id, &performance_id, &checklist_id, &item_id, &by],
        )
        .await?;
    if let Some(row) = changed {
        return Ok(Some((item_from_row(&row), true)));
    }
    let current = client
        .query_opt(
            "SELECT i.id, i.position, i.text, i.ticked_by, i.ticked_at
             FROM performance_checklist_items i
             JOIN performance_checklists c ON c.id = i.checklist_id
             WHERE c.theater_id = $1 AND c.performance_id = $2 AND c.id = $3 AND i.id = $4",
            &[&theater_id, &performance_id, &checklist_id, &item_id],
        )
        .await?;
    Ok(current.map(|r| (item_from_row(&r), false)))
}
