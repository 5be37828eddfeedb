//! Items: create (with a generated number and its receipt movement), read, update (never status
//! or location: only movements change those), soft delete (the number stays taken).

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use serde_json::Value;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tokio_postgres::types::ToSql;
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::InventoryState;
use crate::domain::{self, Condition, InventoryNumber, ItemStatus, MovementKind};
use crate::repo::movements::{self as ledger, MovementRow};
use crate::repo::trees::{self, Tree};
use crate::scope::Scope;

pub use crate::repo::items::{ITEM_COLUMNS, ItemView, as_json, from_row, load, lock};

/// A new item.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct CreateItemRequest {
    /// Generated as `{CATEGORY_CODE}-{YYYY}-{NNNNN}` when absent.
    pub inventory_number: Option<String>,
    #[schema(required = true)]
    pub name: String,
    pub description: Option<String>,
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    /// Where the item arrives (the receipt movement).
    pub location_id: Option<Uuid>,
    #[schema(value_type = Option<String>, example = "good")]
    pub condition: Option<String>,
    pub quantity: Option<i64>,
    pub width_cm: Option<f64>,
    pub height_cm: Option<f64>,
    pub depth_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub purchase_price: Option<String>,
    pub current_value: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub warranty_until: Option<NaiveDate>,
    pub supplier: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    pub performance_ids: Vec<Uuid>,
    /// Comment of the receipt movement.
    pub comment: Option<String>,
}

/// A new item, parsed.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub inventory_number: Option<InventoryNumber>,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Uuid,
    pub location_id: Option<Uuid>,
    pub condition: Condition,
    pub quantity: i32,
    pub width_cm: Option<f64>,
    pub height_cm: Option<f64>,
    pub depth_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub purchase_price: Option<String>,
    pub current_value: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub warranty_until: Option<NaiveDate>,
    pub supplier: Option<String>,
    pub tags: Vec<String>,
    pub attributes: Value,
    pub performance_ids: Vec<Uuid>,
    pub comment: Option<String>,
}

impl CreateItemRequest {
    /// Parses every field, reporting all problems at once.
    pub fn parse(self) -> Result<NewItem, FieldErrors> {
        let mut e = FieldErrors::new();
        let number = e.take(
            "inventory_number",
            self.inventory_number
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(InventoryNumber::parse)
                .transpose(),
        );
        let name = e.take("name", domain::text(&self.name, 300));
        let description = e.take(
            "description",
            domain::optional_text(self.description.as_deref(), 10_000),
        );
        if self.category_id.is_none() {
            e.add("category_id", "is required");
        }
        let condition = e.take(
            "condition",
            self.condition
                .as_deref()
                .map(Condition::parse)
                .transpose()
                .map(|c| c.unwrap_or(Condition::Good)),
        );
        let quantity = e.take("quantity", domain::quantity(self.quantity.unwrap_or(1)));
        let mut measure =
            |field: &str, v: Option<f64>| e.take(field, v.map(domain::measure).transpose());
        let width = measure("width_cm", self.width_cm);
        let height = measure("height_cm", self.height_cm);
        let depth = measure("depth_cm", self.depth_cm);
        let weight = measure("weight_kg", self.weight_kg);
        let price = e.take(
            "purchase_price",
            self.purchase_price
                .as_deref()
                .map(domain::money)
                .transpose(),
        );
        let value = e.take(
            "current_value",
            self.current_value.as_deref().map(domain::money).transpose(),
        );
        if let (Some(p), Some(w)) = (self.purchase_date, self.warranty_until)
            && w < p
        {
            e.add("warranty_until", "must not be before purchase_date");
        }
        let supplier = e.take(
            "supplier",
            domain::optional_text(self.supplier.as_deref(), 300),
        );
        let tags = e.take("tags", domain::tags(&self.tags));
        let attributes = match self.attributes {
            None | Some(Value::Null) => Some(Value::Object(Default::default())),
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => {
                e.add("attributes", "must be a JSON object");
                None
            }
        };
        let comment = e.take(
            "comment",
            domain::optional_text(self.comment.as_deref(), 2000),
        );
        match (
            number,
            name,
            description,
            self.category_id,
            condition,
            quantity,
            (width, height, depth, weight),
            (price, value, supplier, tags, attributes, comment),
        ) {
            (
                Some(inventory_number),
                Some(name),
                Some(description),
                Some(category_id),
                Some(condition),
                Some(quantity),
                (Some(width_cm), Some(height_cm), Some(depth_cm), Some(weight_kg)),
                (
                    Some(purchase_price),
                    Some(current_value),
                    Some(supplier),
                    Some(tags),
                    Some(attributes),
                    Some(comment),
                ),
            ) if e.is_empty() => Ok(NewItem {
                inventory_number,
                name,
                description,
                category_id,
                location_id: self.location_id,
                condition,
                quantity,
                width_cm,
                height_cm,
                depth_cm,
                weight_kg,
                purchase_price,
                current_value,
                purchase_date: self.purchase_date,
                warranty_until: self.warranty_until,
                supplier,
                tags,
                attributes,
                performance_ids: self.performance_ids,
                comment,
            }),
            _ => Err(e),
        }
    }
}

/// Checks the references of a new or changed item: category and location must be live nodes
/// of the theatre (the composite foreign keys keep them in the theatre; this also refuses
/// deleted ones).
pub async fn check_references(
    client: &impl GenericClient,
    theater_id: Uuid,
    category_id: Option<Uuid>,
    location_id: Option<Uuid>,
) -> ApiResult<Option<trees::NodeView>> {
    let mut category = None;
    if let Some(c) = category_id {
        category = Some(
            trees::load(client, Tree::Categories, theater_id, c)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("category_id", "no such category in this theatre")
                })?,
        );
    }
    if let Some(l) = location_id
        && trees::load(client, Tree::Locations, theater_id, l)
            .await?
            .is_none()
    {
        return Err(ApiError::invalid(
            "location_id",
            "no such location in this theatre",
        ));
    }
    Ok(category)
}

/// Inserts an item with its receipt movement and audit row (the caller's transaction).
pub async fn insert_item(
    client: &impl GenericClient,
    user: &AuthUser,
    scope: &Scope,
    item: &NewItem,
) -> ApiResult<ItemView> {
    let category = check_references(
        client,
        user.theater_id,
        Some(item.category_id),
        item.location_id,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    scope
        .check_category(client, user.theater_id, item.category_id)
        .await?;
    let number = match &item.inventory_number {
        Some(n) => n.clone(),
        None => crate::numbers::next_number(client, user.theater_id, &category.code).await?,
    };
    let id = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO inventory_items (id, theater_id, inventory_number, name, description,
                 category_id, location_id, status, condition, quantity, width_cm, height_cm,
                 depth_cm, weight_kg, purchase_price, current_value, purchase_date, warranty_until,
                 supplier, tags, attributes, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_stock', $8, $9, $10, $11, $12, $13,
                     $14::text::numeric, $15::text::numeric, $16, $17, $18, $19, $20, $21)",
            &[
                &id,
                &user.theater_id,
                &number.as_str(),
                &item.name,
                &item.description,
                &item.category_id,
                &item.location_id,
                &item.condition.as_str(),
                &item.quantity,
                &item.width_cm,
                &item.height_cm,
                &item.depth_cm,
                &item.weight_kg,
                &item.purchase_price,
                &item.current_value,
                &item.purchase_date,
                &item.warranty_until,
                &item.supplier,
                &item.tags,
                &item.attributes,
                &user.user_id,
            ],
        )
        .await?;
    replace_performances(client, user.theater_id, id, &item.performance_ids).await?;
    ledger::insert(
        client,
        &MovementRow {
            theater_id: user.theater_id,
            item_id: id,
            kind: MovementKind::Receipt,
            quantity: item.quantity,
            from_status: None,
            to_status: ItemStatus::InStock,
            from_location_id: None,
            to_location_id: item.location_id,
            holder_user_id: None,
            holder_performance_id: None,
            holder_event_id: None,
            due_at: None,
            comment: item.comment.clone(),
            split_item_id: None,
            actor_id: user.user_id,
        },
    )
    .await?;
    let view = load(client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        client,
        AuditEntry::by(user, "inventory_item.create", "inventory_item", id).after(as_json(&view)),
    )
    .await?;
    Ok(view)
}

async fn replace_performances(
    client: &impl GenericClient,
    theater_id: Uuid,
    item_id: Uuid,
    performance_ids: &[Uuid],
) -> ApiResult<()> {
    client
        .execute(
            "DELETE FROM inventory_item_performances WHERE item_id = $1",
            &[&item_id],
        )
        .await?;
    client
        .execute(
            "INSERT INTO inventory_item_performances (theater_id, item_id, performance_id)
             SELECT $1, $2, p FROM unnest($3::uuid[]) AS p ON CONFLICT DO NOTHING",
            &[&theater_id, &item_id, &performance_ids],
        )
        .await?;
    Ok(())
}

/// Create item
#[utoipa::path(post, path = "/api/v1/inventory/items", tag = "inventory", security(("bearer" = ["inventory:create"])),
    request_body = CreateItemRequest,
    responses((status = 201, body = ItemView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_item(
    State(state): State<InventoryState>,
    user: AuthUser,
    Json(body): Json<CreateItemRequest>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryCreate)?;
    let item = body.parse().map_err(FieldErrors::into_error)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let scope = Scope::of(&tx, &user).await?;
    let view = insert_item(&tx, &user, &scope, &item).await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get item
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ItemView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_item(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    let view = load(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

/// Changes to an item; absent fields stay, `null` clears. Status and location change only
/// through movements.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateItemRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub description: Patch<String>,
    pub category_id: Option<Uuid>,
    pub condition: Option<String>,
    /// A stock-taking correction of the count.
    pub quantity: Option<i64>,
    #[schema(value_type = Option<f64>)]
    #[serde(default)]
    pub width_cm: Patch<f64>,
    #[schema(value_type = Option<f64>)]
    #[serde(default)]
    pub height_cm: Patch<f64>,
    #[schema(value_type = Option<f64>)]
    #[serde(default)]
    pub depth_cm: Patch<f64>,
    #[schema(value_type = Option<f64>)]
    #[serde(default)]
    pub weight_kg: Patch<f64>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub purchase_price: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub current_value: Patch<String>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default)]
    pub purchase_date: Patch<NaiveDate>,
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default)]
    pub warranty_until: Patch<NaiveDate>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub supplier: Patch<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    pub performance_ids: Option<Vec<Uuid>>,
    /// Refused: the status changes only through a movement.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub status: Patch<Value>,
    /// Refused: the location changes only through a transfer movement.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default)]
    pub location_id: Patch<Value>,
}

/// SET clauses of an UPDATE built from the fields a PATCH carries.
#[derive(Default)]
struct SetList {
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl SetList {
    /// `first_param` is the number of parameters bound before these.
    fn set<T: ToSql + Sync + Send + 'static>(&mut self, column: &str, cast: &str, value: T) {
        self.params.push(Box::new(value));
        self.clauses
            .push(format!("{column} = ${}{cast}", self.params.len() + 3));
    }
}

fn patch_into<T: ToSql + Sync + Send + 'static>(
    sets: &mut SetList,
    errors: &mut FieldErrors,
    column: &str,
    cast: &str,
    value: Patch<T>,
    check: impl Fn(T) -> Result<T, String>,
) {
    match value {
        Patch::Missing => {}
        Patch::Null => sets.set::<Option<T>>(column, cast, None),
        Patch::Value(v) => match check(v) {
            Ok(v) => sets.set(column, cast, Some(v)),
            Err(m) => errors.add(column, m),
        },
    }
}

/// An item PATCH, parsed: the SET clauses of the columns it changes, and what is written apart.
struct ItemChanges {
    sets: SetList,
    category_id: Option<Uuid>,
    performance_ids: Option<Vec<Uuid>>,
}

impl UpdateItemRequest {
    /// Checks every field (all problems in one 422) and builds the changes.
    fn parse(self) -> ApiResult<ItemChanges> {
        let body = self;
        let mut errors = FieldErrors::new();
        if !body.status.is_missing() {
            errors.add(
                "status",
                "the status changes only through a movement (POST /items/{id}/movements)",
            );
        }
        if !body.location_id.is_missing() {
            errors.add(
                "location_id",
                "the location changes only through a transfer movement",
            );
        }
        let mut sets = SetList::default();
        if let Some(name) = &body.name {
            match domain::text(name, 300) {
                Ok(n) => sets.set("name", "", n),
                Err(m) => errors.add("name", m),
            }
        }
        patch_into(
            &mut sets,
            &mut errors,
            "description",
            "",
            body.description,
            |d| domain::text(&d, 10_000),
        );
        if let Some(c) = &body.condition {
            match Condition::parse(c) {
                Ok(c) => sets.set("condition", "", c.as_str().to_string()),
                Err(m) => errors.add("condition", m),
            }
        }
        if let Some(q) = body.quantity {
            match domain::quantity(q) {
                Ok(q) => sets.set("quantity", "", q),
                Err(m) => errors.add("quantity", m),
            }
        }
        patch_into(
            &mut sets,
            &mut errors,
            "width_cm",
            "",
            body.width_cm,
            domain::measure,
        );
        patch_into(
            &mut sets,
            &mut errors,
            "height_cm",
            "",
            body.height_cm,
            domain::measure,
        );
        patch_into(
            &mut sets,
            &mut errors,
            "depth_cm",
            "",
            body.depth_cm,
            domain::measure,
        );
        patch_into(
            &mut sets,
            &mut errors,
            "weight_kg",
            "",
            body.weight_kg,
            domain::measure,
        );
        patch_into(
            &mut sets,
            &mut errors,
            "purchase_price",
            "::text::numeric",
            body.purchase_price,
            |m| domain::money(&m),
        );
        patch_into(
            &mut sets,
            &mut errors,
            "current_value",
            "::text::numeric",
            body.current_value,
            |m| domain::money(&m),
        );
        patch_into(
            &mut sets,
            &mut errors,
            "purchase_date",
            "",
            body.purchase_date,
            Ok,
        );
        patch_into(
            &mut sets,
            &mut errors,
            "warranty_until",
            "",
            body.warranty_until,
            Ok,
        );
        patch_into(&mut sets, &mut errors, "supplier", "", body.supplier, |s| {
            domain::text(&s, 300)
        });
        if let Some(tags) = &body.tags {
            match domain::tags(tags) {
                Ok(t) => sets.set("tags", "", t),
                Err(m) => errors.add("tags", m),
            }
        }
        match body.attributes {
            None => {}
            Some(v @ Value::Object(_)) => sets.set("attributes", "", v),
            Some(_) => errors.add("attributes", "must be a JSON object"),
        }
        if let Some(c) = body.category_id {
            sets.set("category_id", "", c);
        }
        errors.finish()?;
        Ok(ItemChanges {
            sets,
            category_id: body.category_id,
            performance_ids: body.performance_ids,
        })
    }
}

/// Writes `changes` to the locked item `id` read at `version` (a 412 if it moved on since);
/// the version goes up once, also when only the performances change.
async fn apply_changes(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    version: i32,
    changes: &ItemChanges,
) -> ApiResult<()> {
    let sets = &changes.sets;
    if !sets.clauses.is_empty() {
        let sql = format!(
            "UPDATE inventory_items SET {}, version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND version = $3",
            sets.clauses.join(", ")
        );
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&theater_id, &id, &version];
        for p in &sets.params {
            params.push(p.as_ref() as &(dyn ToSql + Sync));
        }
        if client.execute(&sql, &params).await? == 0 {
            return Err(ApiError::PreconditionFailed);
        }
    }
    if let Some(performances) = &changes.performance_ids {
        replace_performances(client, theater_id, id, performances).await?;
        if sets.clauses.is_empty() {
            client
                .execute(
                    "UPDATE inventory_items SET version = version + 1, updated_at = now() WHERE id = $1",
                    &[&id],
                )
                .await?;
        }
    }
    Ok(())
}

/// Update item
#[utoipa::path(patch, path = "/api/v1/inventory/items/{id}", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)), request_body = UpdateItemRequest,
    responses((status = 200, body = ItemView), (status = 403), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_item(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateItemRequest>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let changes = body.parse()?;

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = lock(&tx, user.theater_id, id).await?;
    let scope = Scope::of(&tx, &user).await?;
    scope
        .check_category(&tx, user.theater_id, before.category_id)
        .await?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(c) = changes.category_id {
        check_references(&tx, user.theater_id, Some(c), None).await?;
        scope.check_category(&tx, user.theater_id, c).await?;
    }
    apply_changes(&tx, user.theater_id, id, before.version, &changes).await?;
    let after = load(&tx, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "inventory_item.update", "inventory_item", id)
            .before(as_json(&before))
            .after(as_json(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Soft-deletes an item in the caller's transaction; its number stays taken for ever.
pub async fn delete_in(
    client: &impl GenericClient,
    user: &AuthUser,
    scope: &Scope,
    id: Uuid,
) -> ApiResult<()> {
    let before = lock(client, user.theater_id, id).await?;
    scope
        .check_category(client, user.theater_id, before.category_id)
        .await?;
    if matches!(before.status, ItemStatus::InUse | ItemStatus::Reserved) {
        return Err(ApiError::conflict_with(
            format!(
                "the item is {}; return or release it before deleting",
                before.status
            ),
            serde_json::json!({ "current_status": before.status }),
        ));
    }
    client
        .execute(
            "UPDATE inventory_items SET deleted_at = now(), version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &id],
        )
        .await?;
    audit::record(
        client,
        AuditEntry::by(user, "inventory_item.delete", "inventory_item", id)
            .before(as_json(&before)),
    )
    .await
}

/// Delete item
#[utoipa::path(delete, path = "/api/v1/inventory/items/{id}", tag = "inventory", security(("bearer" = ["inventory:delete"])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
#[instrument(skip_all)]
pub async fn delete_item(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryDelete)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let scope = Scope::of(&tx, &user).await?;
    delete_in(&tx, &user, &scope, id).await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
