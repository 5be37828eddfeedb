//! Ledger rows and the item writes of a movement: insert and read ledger rows, split a part
//! off a quantity item, and put the item where a [`MovementPlan`] says.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::ApiResult;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::movement::MovementPlan;
use crate::domain::{ItemStatus, MovementKind};

/// One ledger row, ready to insert.
#[derive(Debug, Clone)]
pub struct MovementRow {
    pub theater_id: Uuid,
    pub item_id: Uuid,
    pub kind: MovementKind,
    pub quantity: i32,
    pub from_status: Option<ItemStatus>,
    pub to_status: ItemStatus,
    pub from_location_id: Option<Uuid>,
    pub to_location_id: Option<Uuid>,
    pub holder_user_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub split_item_id: Option<Uuid>,
    pub actor_id: Uuid,
}

/// Appends a row to the ledger.
pub async fn insert(client: &impl GenericClient, m: &MovementRow) -> ApiResult<Uuid> {
    let id = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO inventory_movements (id, theater_id, item_id, kind, quantity, from_status,
                 to_status, from_location_id, to_location_id, holder_user_id, holder_performance_id,
                 holder_event_id, due_at, comment, split_item_id, actor_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            &[
                &id,
                &m.theater_id,
                &m.item_id,
                &m.kind.as_str(),
                &m.quantity,
                &m.from_status.map(ItemStatus::as_str),
                &m.to_status.as_str(),
                &m.from_location_id,
                &m.to_location_id,
                &m.holder_user_id,
                &m.holder_performance_id,
                &m.holder_event_id,
                &m.due_at,
                &m.comment,
                &m.split_item_id,
                &m.actor_id,
            ],
        )
        .await?;
    Ok(id)
}

/// A ledger row as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub item_id: Uuid,
    pub inventory_number: String,
    pub kind: MovementKind,
    pub quantity: i32,
    pub from_status: Option<ItemStatus>,
    pub to_status: ItemStatus,
    pub from_location_id: Option<Uuid>,
    pub to_location_id: Option<Uuid>,
    pub holder_user_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    /// The new item that carries the moved part of a quantity.
    pub split_item_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const MOVEMENT_SELECT: &str = "
    SELECT m.id, m.item_id, i.inventory_number, m.kind, m.quantity, m.from_status, m.to_status,
           m.from_location_id, m.to_location_id, m.holder_user_id, m.holder_performance_id,
           m.holder_event_id, m.due_at, m.comment, m.split_item_id, m.actor_id, m.created_at
    FROM inventory_movements m JOIN inventory_items i ON i.id = m.item_id";

pub fn from_row(row: &tokio_postgres::Row) -> MovementView {
    let from_status: Option<&str> = row.get("from_status");
    MovementView {
        id: row.get("id"),
        item_id: row.get("item_id"),
        inventory_number: row.get("inventory_number"),
        kind: MovementKind::parse(row.get("kind")).unwrap_or(MovementKind::Transfer),
        quantity: row.get("quantity"),
        from_status: from_status.and_then(|s| ItemStatus::parse(s).ok()),
        to_status: ItemStatus::parse(row.get("to_status")).unwrap_or(ItemStatus::InStock),
        from_location_id: row.get("from_location_id"),
        to_location_id: row.get("to_location_id"),
        holder_user_id: row.get("holder_user_id"),
        holder_performance_id: row.get("holder_performance_id"),
        holder_event_id: row.get("holder_event_id"),
        due_at: row.get("due_at"),
        comment: row.get("comment"),
        split_item_id: row.get("split_item_id"),
        actor_id: row.get("actor_id"),
        created_at: row.get("created_at"),
    }
}

/// A ledger row of the theatre.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<MovementView>> {
    let sql = format!("{MOVEMENT_SELECT} WHERE m.theater_id = $1 AND m.id = $2");
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(from_row))
}

/// Takes `quantity` pieces off item `item_id` into a new item numbered after its origin (`/1`,
/// `/2`, ...) with the same attributes and performances; returns the new item's id.
pub async fn split_off(
    client: &impl GenericClient,
    theater_id: Uuid,
    item_id: Uuid,
    quantity: i32,
    actor_id: Uuid,
) -> ApiResult<Uuid> {
    let row = client
        .query_one(
            "UPDATE inventory_items SET quantity = quantity - $3, split_count = split_count + 1,
                    version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 RETURNING split_count",
            &[&theater_id, &item_id, &quantity],
        )
        .await?;
    let n: i32 = row.get(0);
    let child = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO inventory_items (id, theater_id, inventory_number, name, description,
                 category_id, location_id, status, condition, quantity, width_cm, height_cm,
                 depth_cm, weight_kg, purchase_price, current_value, purchase_date,
                 warranty_until, supplier, tags, attributes, split_from_id, created_by)
             SELECT $3, theater_id, inventory_number || '/' || $4::int::text, name, description,
                    category_id, location_id, status, condition, $5, width_cm, height_cm,
                    depth_cm, weight_kg, purchase_price, current_value, purchase_date,
                    warranty_until, supplier, tags, attributes, id, $6
             FROM inventory_items WHERE theater_id = $1 AND id = $2",
            &[&theater_id, &item_id, &child, &n, &quantity, &actor_id],
        )
        .await?;
    client
        .execute(
            "INSERT INTO inventory_item_performances (theater_id, item_id, performance_id)
             SELECT theater_id, $2, performance_id FROM inventory_item_performances WHERE item_id = $1",
            &[&item_id, &child],
        )
        .await?;
    Ok(child)
}

/// Writes the planned status, place, holder, due date and condition onto item `target_id`. A
/// freshly split-off item keeps its first version.
pub async fn apply(
    client: &impl GenericClient,
    theater_id: Uuid,
    target_id: Uuid,
    plan: &MovementPlan,
) -> ApiResult<()> {
    client
        .execute(
            "UPDATE inventory_items SET status = $3, location_id = $4, condition = $5,
                    holder_user_id = $6, holder_performance_id = $7, holder_event_id = $8,
                    due_at = $9, version = version + CASE WHEN $10 THEN 0 ELSE 1 END,
                    updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[
                &theater_id,
                &target_id,
                &plan.to_status.as_str(),
                &plan.to_location_id,
                &plan.condition.as_str(),
                &plan.holder.user_id,
                &plan.holder.performance_id,
                &plan.holder.event_id,
                &plan.due_at,
                &plan.split,
            ],
        )
        .await?;
    Ok(())
}

/// Filters of the movement journal.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct JournalFilter {
    /// Movements of this item (including the ones that split a part off into it).
    pub item_id: Option<Uuid>,
    pub kind: Option<String>,
    /// Who recorded the movement.
    pub actor_id: Option<Uuid>,
    /// Who received or reserved the item.
    pub holder_user_id: Option<Uuid>,
    /// Either the actor or the holder.
    pub person_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    /// From this time (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Up to `limit` ledger rows of the theatre matching `q` (its `kind` parsed by the caller),
/// newest first, strictly before `after` (`created_at`, `id`) when given.
pub async fn journal(
    client: &impl GenericClient,
    theater_id: Uuid,
    q: &JournalFilter,
    kind: Option<MovementKind>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> ApiResult<Vec<MovementView>> {
    let (a_time, a_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let sql = format!(
        "{MOVEMENT_SELECT}
         WHERE m.theater_id = $1
           AND ($2::uuid IS NULL OR m.item_id = $2 OR m.split_item_id = $2)
           AND ($3::text IS NULL OR m.kind = $3)
           AND ($4::uuid IS NULL OR m.actor_id = $4)
           AND ($5::uuid IS NULL OR m.holder_user_id = $5)
           AND ($6::uuid IS NULL OR m.actor_id = $6 OR m.holder_user_id = $6)
           AND ($7::uuid IS NULL OR m.holder_performance_id = $7)
           AND ($8::uuid IS NULL OR m.holder_event_id = $8)
           AND ($9::timestamptz IS NULL OR m.created_at >= $9)
           AND ($10::timestamptz IS NULL OR m.created_at < $10)
           AND ($11::timestamptz IS NULL OR (m.created_at, m.id) < ($11, $12))
         ORDER BY m.created_at DESC, m.id DESC LIMIT $13"
    );
    let rows = client
        .query(
            &sql,
            &[
                &theater_id,
                &q.item_id,
                &kind.map(MovementKind::as_str),
                &q.actor_id,
                &q.holder_user_id,
                &q.person_id,
                &q.holder_performance_id,
                &q.holder_event_id,
                &q.from,
                &q.to,
                &a_time,
                &a_id,
                &limit,
            ],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}
