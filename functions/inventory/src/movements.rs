//! The movement ledger: every change of an item's status, place or holder is exactly one
//! append-only row, written in the same transaction as the item row. The item row is locked
//! first, so concurrent movements of one item serialise and the loser of a race sees the
//! winner's status (409 naming it).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::InventoryState;
use crate::domain::{self, Condition, ItemStatus, MovementKind};
use crate::items::{self, ItemView};
use crate::scope::Scope;
use crate::trees::{self, Tree};

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
pub async fn insert_movement_row(client: &impl GenericClient, m: &MovementRow) -> ApiResult<Uuid> {
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

fn from_row(row: &tokio_postgres::Row) -> MovementView {
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

/// A movement to record.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct MovementRequest {
    /// receipt, transfer, reserve, release, issue, return, repair_start, repair_end, write_off.
    pub kind: String,
    /// Part of a quantity item to move; the part becomes a new item. Default: all of it.
    pub quantity: Option<i64>,
    /// Required for transfer; optional for return (where it is put back).
    pub to_location_id: Option<Uuid>,
    pub holder_user_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    /// When an issued item is due back (or until when a reservation holds).
    pub due_at: Option<DateTime<Utc>>,
    /// The condition found on return or after repair.
    pub condition: Option<String>,
    pub comment: Option<String>,
}

/// A movement request, parsed.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub kind: MovementKind,
    pub quantity: Option<i32>,
    pub to_location_id: Option<Uuid>,
    pub holder_user_id: Option<Uuid>,
    pub holder_performance_id: Option<Uuid>,
    pub holder_event_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub condition: Option<Condition>,
    pub comment: Option<String>,
}

impl NewMovement {
    fn has_holder(&self) -> bool {
        self.holder_user_id.is_some()
            || self.holder_performance_id.is_some()
            || self.holder_event_id.is_some()
    }
}

impl MovementRequest {
    /// Parses the request; per-kind rules that need no database are checked here.
    pub fn parse(self) -> Result<NewMovement, ApiError> {
        let mut e = FieldErrors::new();
        let kind = e.take("kind", MovementKind::parse(&self.kind));
        let quantity = e.take("quantity", self.quantity.map(domain::quantity).transpose());
        let condition = e.take(
            "condition",
            self.condition.as_deref().map(Condition::parse).transpose(),
        );
        let comment = e.take(
            "comment",
            domain::optional_text(self.comment.as_deref(), 2000),
        );
        let (Some(kind), Some(quantity), Some(condition), Some(comment)) =
            (kind, quantity, condition, comment)
        else {
            return Err(e.into_error());
        };
        let m = NewMovement {
            kind,
            quantity,
            to_location_id: self.to_location_id,
            holder_user_id: self.holder_user_id,
            holder_performance_id: self.holder_performance_id,
            holder_event_id: self.holder_event_id,
            due_at: self.due_at,
            condition,
            comment,
        };
        use MovementKind as K;
        match kind {
            K::Receipt => e.add(
                "kind",
                "a receipt is recorded when the item is created; it cannot be repeated",
            ),
            K::Transfer if m.to_location_id.is_none() => {
                e.add("to_location_id", "a transfer needs a destination")
            }
            K::Issue | K::Reserve => {}
            _ if m.has_holder() => e.add("holder_user_id", "only reserve and issue take a holder"),
            _ => {}
        }
        if !matches!(kind, K::Transfer | K::Return) && m.to_location_id.is_some() {
            e.add(
                "to_location_id",
                "only transfer and return take a destination",
            );
        }
        if !matches!(kind, K::Issue | K::Reserve) && m.due_at.is_some() {
            e.add("due_at", "only issue and reserve take a due date");
        }
        if m.due_at.is_some_and(|d| d <= Utc::now()) {
            e.add("due_at", "must be in the future");
        }
        if !matches!(kind, K::Return | K::RepairEnd | K::WriteOff) && m.condition.is_some() {
            e.add(
                "condition",
                "the condition is recorded on return, repair end or write-off",
            );
        }
        e.finish()?;
        Ok(m)
    }
}

/// What a movement did.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct MovementOutcome {
    pub movement: MovementView,
    /// The item as it is now (the original when a quantity was split).
    pub item: ItemView,
    /// The new item carrying the moved part, when a quantity was split.
    pub split_item: Option<ItemView>,
}

fn refused(kind: MovementKind, status: ItemStatus) -> ApiError {
    ApiError::conflict_with(
        format!("cannot {kind} an item that is {status}"),
        serde_json::json!({ "current_status": status, "kind": kind }),
    )
}

/// Records one movement of one item inside the caller's transaction: locks the item, checks
/// the transition, the quantity and the caller's department scope, updates the item (or splits
/// it) and appends the ledger row and an audit row.
pub async fn record(
    client: &impl GenericClient,
    user: &AuthUser,
    scope: &Scope,
    item_id: Uuid,
    m: &NewMovement,
) -> ApiResult<MovementOutcome> {
    let item = items::lock(client, user.theater_id, item_id).await?;
    scope
        .check_category(client, user.theater_id, item.category_id)
        .await?;
    let Some(to_status) = m.kind.transition(item.status) else {
        return Err(refused(m.kind, item.status));
    };
    let quantity = m.quantity.unwrap_or(item.quantity);
    if quantity > item.quantity {
        return Err(ApiError::invalid(
            "quantity",
            format!("only {} in this item", item.quantity),
        ));
    }
    let split = quantity < item.quantity;
    if split && !m.kind.can_split() {
        return Err(ApiError::invalid(
            "quantity",
            format!("{} moves the whole item", m.kind),
        ));
    }

    use MovementKind as K;
    if let Some(to) = m.to_location_id {
        if trees::load(client, Tree::Locations, user.theater_id, to)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(
                "to_location_id",
                "no such location in this theatre",
            ));
        }
        if m.kind == K::Transfer && Some(to) == item.location_id && !split {
            return Err(ApiError::invalid(
                "to_location_id",
                "the item is already there",
            ));
        }
    }
    // The holder after the movement.
    let reservation_holder = (
        item.holder_user_id,
        item.holder_performance_id,
        item.holder_event_id,
    );
    let given_holder = (m.holder_user_id, m.holder_performance_id, m.holder_event_id);
    let holder = match m.kind {
        K::Reserve => given_holder,
        K::Issue if item.status == ItemStatus::Reserved => {
            let reserved_for_someone = reservation_holder != (None, None, None);
            if m.has_holder() && reserved_for_someone && given_holder != reservation_holder {
                return Err(ApiError::conflict_with(
                    "the item is reserved for someone else; release the reservation first",
                    serde_json::json!({ "current_status": item.status }),
                ));
            }
            if m.has_holder() {
                given_holder
            } else {
                reservation_holder
            }
        }
        K::Issue => given_holder,
        K::Transfer | K::RepairStart | K::RepairEnd => reservation_holder,
        _ => (None, None, None),
    };
    if m.kind == K::Issue && holder == (None, None, None) {
        return Err(ApiError::invalid(
            "holder_user_id",
            "an issue needs a holder: holder_user_id, holder_performance_id or holder_event_id",
        ));
    }
    let due_at = match m.kind {
        K::Reserve | K::Issue => m.due_at,
        K::Transfer | K::RepairStart | K::RepairEnd => item.due_at,
        _ => None,
    };
    let to_location = match m.kind {
        K::Transfer => m.to_location_id,
        K::Return => m.to_location_id.or(item.location_id),
        K::WriteOff => None,
        _ => item.location_id,
    };
    let condition = m.condition.unwrap_or(item.condition);

    let target_id = if split {
        // The moved part becomes a new item numbered after its origin (`/1`, `/2`, ...).
        let row = client
            .query_one(
                "UPDATE inventory_items SET quantity = quantity - $3, split_count = split_count + 1,
                        version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2 RETURNING split_count",
                &[&user.theater_id, &item.id, &quantity],
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
                &[
                    &user.theater_id,
                    &item.id,
                    &child,
                    &n,
                    &quantity,
                    &user.user_id,
                ],
            )
            .await?;
        client
            .execute(
                "INSERT INTO inventory_item_performances (theater_id, item_id, performance_id)
                 SELECT theater_id, $2, performance_id FROM inventory_item_performances WHERE item_id = $1",
                &[&item.id, &child],
            )
            .await?;
        child
    } else {
        item.id
    };
    client
        .execute(
            "UPDATE inventory_items SET status = $3, location_id = $4, condition = $5,
                    holder_user_id = $6, holder_performance_id = $7, holder_event_id = $8,
                    due_at = $9, version = version + CASE WHEN $10 THEN 0 ELSE 1 END,
                    updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[
                &user.theater_id,
                &target_id,
                &to_status.as_str(),
                &to_location,
                &condition.as_str(),
                &holder.0,
                &holder.1,
                &holder.2,
                &due_at,
                &split,
            ],
        )
        .await?;
    let movement_id = insert_movement_row(
        client,
        &MovementRow {
            theater_id: user.theater_id,
            item_id: item.id,
            kind: m.kind,
            quantity,
            from_status: Some(item.status),
            to_status,
            from_location_id: item.location_id,
            to_location_id: to_location,
            holder_user_id: holder.0,
            holder_performance_id: holder.1,
            holder_event_id: holder.2,
            due_at,
            comment: m.comment.clone(),
            split_item_id: split.then_some(target_id),
            actor_id: user.user_id,
        },
    )
    .await?;
    let after = items::load(client, user.theater_id, item.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let split_item = if split {
        items::load(client, user.theater_id, target_id).await?
    } else {
        None
    };
    audit::record(
        client,
        AuditEntry {
            theater_id: user.theater_id,
            actor_id: Some(user.user_id),
            action: &format!("inventory_item.{}", m.kind),
            entity_type: "inventory_item",
            entity_id: Some(item.id),
            before: Some(items::as_json(&item)),
            after: Some(items::as_json(&after)),
        },
    )
    .await?;
    let movement = load(client, user.theater_id, movement_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(MovementOutcome {
        movement,
        item: after,
        split_item,
    })
}

async fn load(
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

/// Moves every live item of location `from` to `to` with a transfer movement each (used when a
/// location is deleted). Items that cannot be transferred (issued ones) make it a 409.
pub async fn relocate_all(
    client: &impl GenericClient,
    user: &AuthUser,
    from: Uuid,
    to: Uuid,
) -> ApiResult<()> {
    let ids: Vec<Uuid> = client
        .query(
            "SELECT id FROM inventory_items
             WHERE theater_id = $1 AND location_id = $2 AND deleted_at IS NULL ORDER BY id FOR UPDATE",
            &[&user.theater_id, &from],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let movement = NewMovement {
        kind: MovementKind::Transfer,
        quantity: None,
        to_location_id: Some(to),
        holder_user_id: None,
        holder_performance_id: None,
        holder_event_id: None,
        due_at: None,
        condition: None,
        comment: Some("location deleted".into()),
    };
    for id in ids {
        record(client, user, &Scope::Everything, id, &movement).await?;
    }
    Ok(())
}

/// Create movement
#[utoipa::path(post, path = "/api/v1/inventory/items/{id}/movements", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)), request_body = MovementRequest,
    responses((status = 201, body = MovementOutcome), (status = 403), (status = 404),
              (status = 409, description = "not allowed from the current status (named in `current_status`)"),
              (status = 422)))]
#[instrument(skip_all)]
pub async fn create_movement(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<MovementRequest>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryView)?;
    let movement = body.parse()?;
    user.require(movement.kind.permission())?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let scope = Scope::of(&tx, &user).await?;
    let outcome = record(&tx, &user, &scope, id, &movement).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(outcome)).into_response())
}

/// List item movements
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}/movements", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<MovementView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_item_movements(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<MovementView>>> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    if items::load(&client, user.theater_id, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let filter = JournalFilter {
        item_id: Some(id),
        ..JournalFilter::default()
    };
    journal(&client, &user, filter, page)
        .await
        .map(JsonResponse)
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

async fn journal(
    client: &impl GenericClient,
    user: &AuthUser,
    filter: JournalFilter,
    page: PageQuery,
) -> ApiResult<Page<MovementView>> {
    let limit = page.limit()?;
    let kind = filter
        .kind
        .as_deref()
        .map(MovementKind::parse)
        .transpose()
        .map_err(|m| ApiError::invalid("kind", m))?
        .map(MovementKind::as_str);
    if let (Some(f), Some(t)) = (filter.from, filter.to)
        && t <= f
    {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
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
                &user.theater_id,
                &filter.item_id,
                &kind,
                &filter.actor_id,
                &filter.holder_user_id,
                &filter.person_id,
                &filter.holder_performance_id,
                &filter.holder_event_id,
                &filter.from,
                &filter.to,
                &a_time,
                &a_id,
                &(limit + 1),
            ],
        )
        .await?;
    let movements: Vec<MovementView> = rows.iter().map(from_row).collect();
    Ok(Page::from_rows(movements, limit, |m| (m.created_at, m.id)))
}

/// The theatre-wide movement journal, newest first.
#[utoipa::path(get, path = "/api/v1/inventory/movements", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(JournalFilter, PageQuery),
    responses((status = 200, body = inline(Page<MovementView>)), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn list_movements(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<JournalFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<MovementView>>> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    journal(&client, &user, filter, page)
        .await
        .map(JsonResponse)
}
