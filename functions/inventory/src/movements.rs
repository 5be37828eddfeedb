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
use utoipa::ToSchema;
use uuid::Uuid;

use crate::InventoryState;
use crate::domain::movement::{Holder, ItemState, Refusal};
use crate::domain::{self, Condition, MovementKind};
use crate::repo::items::{self, ItemView};
use crate::repo::movements::{self as ledger, MovementRow};
use crate::repo::trees::{self, Tree};
use crate::scope::Scope;

pub use crate::domain::movement::NewMovement;
pub use crate::repo::movements::{JournalFilter, MovementView};

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
            holder: Holder {
                user_id: self.holder_user_id,
                performance_id: self.holder_performance_id,
                event_id: self.holder_event_id,
            },
            due_at: self.due_at,
            condition,
            comment,
        };
        for (field, message) in m.field_problems(Utc::now()) {
            e.add(field, message);
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

/// The API's answer to a refused movement.
fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::NotFromStatus { kind, status } => ApiError::conflict_with(
            format!("cannot {kind} an item that is {status}"),
            serde_json::json!({ "current_status": status, "kind": kind }),
        ),
        Refusal::TooMany { available } => {
            ApiError::invalid("quantity", format!("only {available} in this item"))
        }
        Refusal::WholeItemOnly(kind) => {
            ApiError::invalid("quantity", format!("{kind} moves the whole item"))
        }
        Refusal::UnknownLocation => {
            ApiError::invalid("to_location_id", "no such location in this theatre")
        }
        Refusal::AlreadyThere => ApiError::invalid("to_location_id", "the item is already there"),
        Refusal::ReservedForSomeoneElse { status } => ApiError::conflict_with(
            "the item is reserved for someone else; release the reservation first",
            serde_json::json!({ "current_status": status }),
        ),
        Refusal::NoHolder => ApiError::invalid(
            "holder_user_id",
            "an issue needs a holder: holder_user_id, holder_performance_id or holder_event_id",
        ),
    }
}

/// The facts about an item that a movement plan reads.
fn state_of(item: &ItemView) -> ItemState {
    ItemState {
        status: item.status,
        quantity: item.quantity,
        location_id: item.location_id,
        holder: Holder {
            user_id: item.holder_user_id,
            performance_id: item.holder_performance_id,
            event_id: item.holder_event_id,
        },
        due_at: item.due_at,
        condition: item.condition,
    }
}

/// Records one movement of one item inside the caller's transaction: locks the item, checks
/// the caller's department scope, lets the domain decide, then writes the item (or splits it),
/// the ledger row and an audit row.
pub async fn record(
    client: &impl GenericClient,
    user: &AuthUser,
    scope: &Scope,
    item_id: Uuid,
    m: &NewMovement,
) -> ApiResult<MovementOutcome> {
    let theater_id = user.theater_id;
    let item = items::lock(client, theater_id, item_id).await?;
    scope
        .check_category(client, theater_id, item.category_id)
        .await?;
    let destination_exists = match m.to_location_id {
        Some(to) => trees::load(client, Tree::Locations, theater_id, to)
            .await?
            .is_some(),
        None => true,
    };
    let plan = domain::movement::plan(&state_of(&item), m, destination_exists).map_err(refusal)?;

    let target_id = if plan.split {
        ledger::split_off(client, theater_id, item.id, plan.quantity, user.user_id).await?
    } else {
        item.id
    };
    ledger::apply(client, theater_id, target_id, &plan).await?;
    let movement_id = ledger::insert(
        client,
        &MovementRow {
            theater_id,
            item_id: item.id,
            kind: m.kind,
            quantity: plan.quantity,
            from_status: Some(plan.from_status),
            to_status: plan.to_status,
            from_location_id: item.location_id,
            to_location_id: plan.to_location_id,
            holder_user_id: plan.holder.user_id,
            holder_performance_id: plan.holder.performance_id,
            holder_event_id: plan.holder.event_id,
            due_at: plan.due_at,
            comment: m.comment.clone(),
            split_item_id: plan.split.then_some(target_id),
            actor_id: user.user_id,
        },
    )
    .await?;
    let after = items::load(client, theater_id, item.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let split_item = if plan.split {
        items::load(client, theater_id, target_id).await?
    } else {
        None
    };
    let action = format!("inventory_item.{}", m.kind);
    audit::record(
        client,
        AuditEntry::by(user, &action, "inventory_item", item.id)
            .before(items::as_json(&item))
            .after(items::as_json(&after)),
    )
    .await?;
    let movement = ledger::load(client, theater_id, movement_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(MovementOutcome {
        movement,
        item: after,
        split_item,
    })
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
        to_location_id: Some(to),
        comment: Some("location deleted".into()),
        ..NewMovement::of(MovementKind::Transfer)
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
        .map_err(|m| ApiError::invalid("kind", m))?;
    if let (Some(f), Some(t)) = (filter.from, filter.to)
        && t <= f
    {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let after = page.after()?;
    let movements =
        ledger::journal(client, user.theater_id, &filter, kind, after, limit + 1).await?;
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
