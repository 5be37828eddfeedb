//! Kit reservations of an event, and an item's upcoming bookings. The rule itself is
//! `shared::reservations` (SQL under an item lock), shared with any function that shows items.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::extract::{Json, Path, Query};
use shared::pagination::Page;
use shared::permissions::Permission;
use shared::reservations::{self, ItemBooking, Line};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::events::{kit_lines, theatre_zone};

/// One reservation as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct ReservationView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub item_id: Uuid,
    pub item_name: String,
    pub inventory_number: String,
    pub quantity: i32,
    /// Reserved from the performance's kit list.
    pub from_kit: bool,
    pub created_at: DateTime<Utc>,
}

async fn list_for_event(
    client: &impl GenericClient,
    theater: Uuid,
    event: Uuid,
) -> ApiResult<Vec<ReservationView>> {
    let rows = client
        .query(
            "SELECT r.id, r.event_id, r.item_id, i.name, i.inventory_number, r.quantity,
                    r.from_kit, r.created_at
             FROM event_reservations r JOIN inventory_items i ON i.id = r.item_id
             WHERE r.theater_id = $1 AND r.event_id = $2 ORDER BY i.name, r.id",
            &[&theater, &event],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ReservationView {
            id: r.get(0),
            event_id: r.get(1),
            item_id: r.get(2),
            item_name: r.get(3),
            inventory_number: r.get(4),
            quantity: r.get(5),
            from_kit: r.get(6),
            created_at: r.get(7),
        })
        .collect())
}

/// The event `id` of `theater`, locked, with its performance.
async fn event_for_update(
    client: &impl GenericClient,
    theater: Uuid,
    id: Uuid,
) -> ApiResult<Option<Uuid>> {
    let row = client
        .query_opt(
            "SELECT performance_id FROM events WHERE theater_id = $1 AND id = $2 FOR UPDATE",
            &[&theater, &id],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(row.get(0))
}

/// The reservations of an event.
#[derive(Serialize, ToSchema)]
pub struct ReservationList {
    pub items: Vec<ReservationView>,
}

/// List an event's kit reservations
#[utoipa::path(get, path = "/api/v1/schedule/events/{id}/reservations", tag = "schedule", operation_id = "list_event_reservations",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReservationList), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_reservations(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<JsonResponse<ReservationList>> {
    user.require(Permission::ScheduleView)?;
    let client = state.ctx.db.get().await?;
    let tz = theatre_zone(&client, user.theater_id).await?;
    crate::events::load_event(&client, user.theater_id, id, tz, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(JsonResponse(ReservationList {
        items: list_for_event(&client, user.theater_id, id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReservationRequest {
    pub item_id: Uuid,
    /// Pieces (default 1); an item the event already holds gets this quantity.
    #[serde(default)]
    pub quantity: Option<i32>,
}

async fn reserve_lines(
    state: &ScheduleState,
    user: &AuthUser,
    id: Uuid,
    lines: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>, Option<Uuid>) -> ApiResult<Vec<Line>>,
) -> ApiResult<Response> {
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let performance = event_for_update(&tx, user.theater_id, id).await?;
    let before = list_for_event(&tx, user.theater_id, id).await?;
    let lines = lines(&tx, performance).await?;
    reservations::reserve(&tx, user.theater_id, Some(user.user_id), id, &lines).await?;
    let after = list_for_event(&tx, user.theater_id, id).await?;
    audit::record(
        &tx,
        AuditEntry::by(user, "event.reserve", "event", id)
            .before(serde_json::json!({ "reservations": before }))
            .after(serde_json::json!({ "reservations": after })),
    )
    .await?;
    tx.commit().await?;
    Ok((
        axum::http::StatusCode::CREATED,
        JsonResponse(ReservationList { items: after }),
    )
        .into_response())
}

use axum::response::IntoResponse;

/// Reserve an item for an event
///
/// For the event's buffered time range. 409 when the item is in repair or written off
/// (`current_status`) or when overlapping reservations would need more pieces than exist
/// (`conflicts`: the events holding it).
#[utoipa::path(post, path = "/api/v1/schedule/events/{id}/reservations", tag = "schedule", operation_id = "create_event_reservation",
    security(("bearer" = ["schedule:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateReservationRequest,
    responses((status = 201, body = ReservationList), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_reservation(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateReservationRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let quantity = body.quantity.unwrap_or(1);
    if !(1..=1_000_000).contains(&quantity) {
        return Err(ApiError::invalid(
            "quantity",
            "must be between 1 and 1000000",
        ));
    }
    let line = Line {
        item_id: body.item_id,
        quantity,
        from_kit: false,
    };
    reserve_lines(&state, &user, id, async |_, _| Ok(vec![line]))
        .await
        .map_err(|e| match e {
            // The one line is the body's item.
            ApiError::Validation(_) => ApiError::invalid("item_id", "no such item in this theatre"),
            other => other,
        })
}

/// Reserve the performance's kit list for an event
#[utoipa::path(post, path = "/api/v1/schedule/events/{id}/reservations/kit", tag = "schedule", operation_id = "reserve_event_kit",
    security(("bearer" = ["schedule:edit"])), params(("id" = Uuid, Path)),
    responses((status = 201, body = ReservationList), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn reserve_kit(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let theater = user.theater_id;
    reserve_lines(&state, &user, id, async |tx, performance| {
        let Some(performance) = performance else {
            return Err(ApiError::invalid(
                "performance_id",
                "the event belongs to no performance",
            ));
        };
        kit_lines(tx, theater, Some(performance), true, &[]).await
    })
    .await
}

/// Release a reservation
#[utoipa::path(delete, path = "/api/v1/schedule/events/{id}/reservations/{reservation_id}", tag = "schedule", operation_id = "delete_event_reservation",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("reservation_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn delete_reservation(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path((id, reservation_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    event_for_update(&tx, user.theater_id, id).await?;
    let row = tx
        .query_opt(
            "DELETE FROM event_reservations WHERE theater_id = $1 AND event_id = $2 AND id = $3
             RETURNING item_id, quantity",
            &[&user.theater_id, &id, &reservation_id],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let item: Uuid = row.get(0);
    let quantity: i32 = row.get(1);
    audit::record(
        &tx,
        AuditEntry::by(&user, "event.release", "event", id)
            .before(serde_json::json!({ "reservation_id": reservation_id, "item_id": item, "quantity": quantity })),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// Paging of an item's bookings.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    /// Bookings not ended by this instant (default now).
    pub from: Option<DateTime<Utc>>,
    /// At most this many (default 50, max 200).
    pub limit: Option<i64>,
}

/// An item's upcoming bookings
#[utoipa::path(get, path = "/api/v1/schedule/items/{item_id}/reservations", tag = "schedule", operation_id = "list_item_bookings",
    security(("bearer" = ["schedule:view"])), params(("item_id" = Uuid, Path), BookingQuery),
    responses((status = 200, body = inline(Page<ItemBooking>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn item_bookings(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(item_id): Path<Uuid>,
    Query(query): Query<BookingQuery>,
) -> ApiResult<JsonResponse<Page<ItemBooking>>> {
    user.require(Permission::ScheduleView)?;
    let limit = shared::pagination::PageQuery {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let client = state.ctx.db.get().await?;
    let exists = client
        .query_opt(
            "SELECT 1 FROM inventory_items WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&user.theater_id, &item_id],
        )
        .await?;
    if exists.is_none() {
        return Err(ApiError::NotFound);
    }
    let items = reservations::upcoming_for_item(
        &client,
        user.theater_id,
        item_id,
        query.from.unwrap_or_else(Utc::now),
        limit,
    )
    .await?;
    Ok(JsonResponse(Page {
        items,
        next_cursor: None,
    }))
}
