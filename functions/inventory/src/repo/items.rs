//! Item rows: the one SELECT of an item, loading, locking and the audit snapshot.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::db::Cached;
use shared::{ApiError, ApiResult};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Condition, ItemStatus};

/// An item as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub inventory_number: String,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Uuid,
    pub category_code: String,
    pub location_id: Option<Uuid>,
    pub location_code: Option<String>,
    pub status: ItemStatus,
    /// Whether the item can be reserved or issued now (a property of its status).
    pub available: bool,
    pub condition: Condition,
    pub quantity: i32,
    pub width_cm: Option<f64>,
    pub height_cm: Option<f64>,
    pub depth_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    /// Per unit, roubles, as a decimal string.
    pub purchase_price: Option<String>,
    /// Per unit, roubles, as a decimal string.
    pub current_value: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub warranty_until: Option<NaiveDate>,
    pub supplier: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub performance_ids: Vec<Uuid>,
    pub holder_user_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    /// Issued and past its due date.
    pub overdue: bool,
    pub split_from_id: Option<Uuid>,
    pub primary_photo_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of [`ItemView`], from `inventory_items i`.
pub const ITEM_COLUMNS: &str = "
    i.id, i.inventory_number, i.name, i.description, i.category_id,
    (SELECT c.code FROM inventory_categories c WHERE c.id = i.category_id) AS category_code,
    i.location_id,
    (SELECT l.code FROM inventory_locations l WHERE l.id = i.location_id) AS location_code,
    i.status, i.condition, i.quantity, i.width_cm, i.height_cm, i.depth_cm, i.weight_kg,
    i.purchase_price::text AS purchase_price, i.current_value::text AS current_value,
    i.purchase_date, i.warranty_until, i.supplier, i.tags, i.attributes,
    ARRAY(SELECT p.performance_id FROM inventory_item_performances p
          WHERE p.item_id = i.id ORDER BY p.performance_id) AS performance_ids,
    i.holder_user_id, i.holder_performance_id, i.holder_event_id, i.due_at,
    coalesce(i.status = 'in_use' AND i.due_at < now(), false) AS overdue, i.split_from_id,
    (SELECT ph.id FROM inventory_item_photos ph WHERE ph.item_id = i.id AND ph.is_primary) AS primary_photo_id,
    i.version, i.created_at, i.updated_at";

/// Builds the view from a row selected with [`ITEM_COLUMNS`].
pub fn from_row(row: &tokio_postgres::Row) -> ItemView {
    let status = ItemStatus::parse(row.get("status")).unwrap_or(ItemStatus::InStock);
    ItemView {
        id: row.get("id"),
        inventory_number: row.get("inventory_number"),
        name: row.get("name"),
        description: row.get("description"),
        category_id: row.get("category_id"),
        category_code: row.get("category_code"),
        location_id: row.get("location_id"),
        location_code: row.get("location_code"),
        status,
        available: status.is_available(),
        condition: Condition::parse(row.get("condition")).unwrap_or(Condition::Good),
        quantity: row.get("quantity"),
        width_cm: row.get("width_cm"),
        height_cm: row.get("height_cm"),
        depth_cm: row.get("depth_cm"),
        weight_kg: row.get("weight_kg"),
        purchase_price: row.get("purchase_price"),
        current_value: row.get("current_value"),
        purchase_date: row.get("purchase_date"),
        warranty_until: row.get("warranty_until"),
        supplier: row.get("supplier"),
        tags: row.get("tags"),
        attributes: row.get("attributes"),
        performance_ids: row.get("performance_ids"),
        holder_user_id: row.get("holder_user_id"),
        holder_performance_id: row.get("holder_performance_id"),
        holder_event_id: row.get("holder_event_id"),
        due_at: row.get("due_at"),
        overdue: row.get("overdue"),
        split_from_id: row.get("split_from_id"),
        primary_photo_id: row.get("primary_photo_id"),
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// A live item of the theatre.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<ItemView>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items i
         WHERE i.theater_id = $1 AND i.id = $2 AND i.deleted_at IS NULL"
    );
    Ok(client
        .query_opt_cached(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(from_row))
}

/// Locks a live item row for the rest of the transaction and returns it: concurrent movements
/// and edits of one item queue here.
pub async fn lock(client: &impl GenericClient, theater_id: Uuid, id: Uuid) -> ApiResult<ItemView> {
    let locked = client
        .query_opt(
            "SELECT id FROM inventory_items
             WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
            &[&theater_id, &id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    load(client, theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The item as an audit snapshot.
pub fn as_json(view: &ItemView) -> Value {
    let mut v = serde_json::to_value(view).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for derived in [
            "available",
            "overdue",
            "category_code",
            "location_code",
            "primary_photo_id",
        ] {
            o.remove(derived);
        }
    }
    v
}
