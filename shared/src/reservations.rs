//! Kit reservations for events: the one clash rule for items, in SQL, used by the schedule
//! function (reserving) and readable by any function (an item's upcoming bookings).
//!
//! The rule: at no instant may the non-cancelled reservations of an item, over the events'
//! buffered time ranges (`events.busy`), add up to more than the item's quantity; an item in
//! repair, written off or deleted cannot be reserved at all. Every check runs under a row lock
//! on the items concerned (`FOR NO KEY UPDATE`, taken in id order so two bookings never
//! deadlock), so concurrent bookings of one item queue and each sees the others' commits: the
//! quantity can never be oversubscribed.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::error::ApiError;

/// Item statuses that cannot be booked for any time (DOMAIN.md: the item is away for repair
/// or gone). Every other status is a state of *now*; a booking is about a future range.
pub const UNRESERVABLE_STATUSES: &[&str] = &["in_repair", "written_off"];

/// Whether an item in `status` may be reserved.
pub fn reservable(status: &str) -> bool {
    !UNRESERVABLE_STATUSES.contains(&status)
}

/// One line to reserve for an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub item_id: Uuid,
    pub quantity: i32,
    /// Taken from the performance's kit list.
    pub from_kit: bool,
}

/// An event that already holds an item over an overlapping range.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemConflict {
    /// The other event.
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub item_id: Uuid,
    /// How many pieces that event holds.
    pub quantity: i32,
    /// The event whose booking did not fit (the one being booked or moved).
    pub for_event_id: Uuid,
}

/// A booking of an item, as the item's calendar shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemBooking {
    pub reservation_id: Uuid,
    pub event_id: Uuid,
    pub title: String,
    pub status: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The time the item is blocked: the event's range with its set-up and strike buffers.
    pub blocked_from: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
    pub quantity: i32,
    pub venue_id: Uuid,
    pub performance_id: Option<Uuid>,
}

/// Locks `items` (of `theater`, not deleted) in id order and answers their rows
/// `(id, name, quantity, status)`; an id missing from the answer does not exist there.
async fn lock_items(
    tx: &Transaction<'_>,
    theater: Uuid,
    items: &[Uuid],
) -> Result<Vec<(Uuid, String, i32, String)>, ApiError> {
    let rows = tx
        .query(
            "SELECT id, name, quantity, status FROM inventory_items
             WHERE theater_id = $1 AND id = ANY($2) AND deleted_at IS NULL
             ORDER BY id FOR NO KEY UPDATE",
            &[&theater, &items],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}

/// Reserves `lines` for event `event_id` (a line for an item the event already holds sets its
/// quantity) and checks the whole event. Errors: 422 for an unknown item, 409 for an item that
/// cannot be reserved (with `current_status`) or that does not fit (with `conflicts`). Call
/// inside the transaction that owns the event row.
pub async fn reserve(
    tx: &Transaction<'_>,
    theater: Uuid,
    actor: Option<Uuid>,
    event_id: Uuid,
    lines: &[Line],
) -> Result<(), ApiError> {
    reserve_for_events(tx, theater, actor, &[event_id], lines).await
}

/// [`reserve`] for several events at once (the occurrences of a series): every event gets every
/// line, then all are checked in one statement.
pub async fn reserve_for_events(
    tx: &Transaction<'_>,
    theater: Uuid,
    actor: Option<Uuid>,
    event_ids: &[Uuid],
    lines: &[Line],
) -> Result<(), ApiError> {
    if lines.is_empty() || event_ids.is_empty() {
        return Ok(());
    }
    let mut item_ids: Vec<Uuid> = lines.iter().map(|l| l.item_id).collect();
    item_ids.sort();
    item_ids.dedup();
    let locked = lock_items(tx, theater, &item_ids).await?;
    for (index, line) in lines.iter().enumerate() {
        let Some((_, name, _, status)) = locked.iter().find(|(id, ..)| *id == line.item_id) else {
            return Err(ApiError::invalid(
                format!("items.{index}.item_id"),
                "no such item in this theatre",
            ));
        };
        if !reservable(status) {
            return Err(ApiError::conflict_with(
                format!("the item {name:?} is {status} and cannot be reserved"),
                json!({ "item_id": line.item_id, "current_status": status }),
            ));
        }
    }
    let mut events = Vec::with_capacity(event_ids.len() * lines.len());
    let mut items = Vec::with_capacity(events.capacity());
    let mut quantities = Vec::with_capacity(events.capacity());
    let mut kit = Vec::with_capacity(events.capacity());
    let mut ids = Vec::with_capacity(events.capacity());
    for event in event_ids {
        for line in lines {
            ids.push(Uuid::now_v7());
            events.push(*event);
            items.push(line.item_id);
            quantities.push(line.quantity);
            kit.push(line.from_kit);
        }
    }
    tx.execute(
        "INSERT INTO event_reservations (id, theater_id, event_id, item_id, quantity, from_kit, created_by)
         SELECT l.id, $1, l.event_id, l.item_id, l.quantity, l.from_kit, $7
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::bool[])
              AS l (id, event_id, item_id, quantity, from_kit)
         JOIN events e ON e.theater_id = $1 AND e.id = l.event_id
         ON CONFLICT (event_id, item_id) DO UPDATE SET quantity = EXCLUDED.quantity",
        &[
            &theater, &ids, &events, &items, &quantities, &kit, &actor,
        ],
    )
    .await?;
    check_locked(tx, theater, event_ids).await
}

/// Re-checks every reservation of `event_ids` after their times or status changed (reschedule,
/// un-cancel). Locks the items concerned first.
pub async fn recheck(
    tx: &Transaction<'_>,
    theater: Uuid,
    event_ids: &[Uuid],
) -> Result<(), ApiError> {
    let rows = tx
        .query(
            "SELECT DISTINCT item_id FROM event_reservations
             WHERE theater_id = $1 AND event_id = ANY($2)",
            &[&theater, &event_ids],
        )
        .await?;
    let mut items: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    if items.is_empty() {
        return Ok(());
    }
    items.sort();
    lock_items(tx, theater, &items).await?;
    check_locked(tx, theater, event_ids).await
}

/// The peak load of every item reserved by `event_ids` over each event's range, compared with
/// the item's quantity. The peak of a sum of intervals is reached at one of their starts, so
/// only those instants are looked at.
const OVERSUBSCRIBED: &str = "
    SELECT m.event_id, m.item_id, i.quantity AS stock, peak.total
    FROM event_reservations m
    JOIN events me ON me.id = m.event_id
    JOIN inventory_items i ON i.id = m.item_id
    CROSS JOIN LATERAL (
        SELECT max(load.total) AS total
        FROM (
            SELECT lower(me.busy) AS instant
            UNION
            SELECT lower(e.busy)
            FROM event_reservations r JOIN events e ON e.id = r.event_id
            WHERE r.item_id = m.item_id AND e.status <> 'cancelled'
              AND e.busy && me.busy AND lower(e.busy) > lower(me.busy)
        ) instants
        CROSS JOIN LATERAL (
            SELECT sum(r.quantity) AS total
            FROM event_reservations r JOIN events e ON e.id = r.event_id
            WHERE r.item_id = m.item_id AND e.status <> 'cancelled' AND e.busy @> instants.instant
        ) load
    ) peak
    WHERE m.theater_id = $1 AND m.event_id = ANY($2) AND me.status <> 'cancelled'
      AND peak.total > i.quantity
    ORDER BY me.starts_at, m.item_id
    LIMIT 20";

/// The other events holding `item` over `event`'s range.
const HOLDERS: &str = "
    SELECT e.id, e.title, e.starts_at, e.ends_at, r.quantity
    FROM event_reservations r
    JOIN events e ON e.id = r.event_id
    JOIN events me ON me.id = $3
    WHERE r.theater_id = $1 AND r.item_id = $2 AND e.id <> $3 AND e.status <> 'cancelled'
      AND e.busy && me.busy
    ORDER BY e.starts_at, e.id
    LIMIT 50";

async fn check_locked(
    tx: &Transaction<'_>,
    theater: Uuid,
    event_ids: &[Uuid],
) -> Result<(), ApiError> {
    let over = tx.query(OVERSUBSCRIBED, &[&theater, &event_ids]).await?;
    if over.is_empty() {
        return Ok(());
    }
    let mut conflicts = Vec::new();
    let mut detail = String::new();
    for row in &over {
        let event_id: Uuid = row.get("event_id");
        let item_id: Uuid = row.get("item_id");
        let stock: i32 = row.get("stock");
        let total: i64 = row.get("total");
        if detail.is_empty() {
            detail = format!(
                "the item is already reserved for an overlapping event: {total} pieces would be \
                 needed at once, {stock} exist"
            );
        }
        for holder in tx.query(HOLDERS, &[&theater, &item_id, &event_id]).await? {
            if event_ids.contains(&holder.get::<_, Uuid>(0)) {
                continue;
            }
            conflicts.push(ItemConflict {
                id: holder.get(0),
                title: holder.get(1),
                starts_at: holder.get(2),
                ends_at: holder.get(3),
                item_id,
                quantity: holder.get(4),
                for_event_id: event_id,
            });
        }
    }
    Err(ApiError::conflict_with(
        detail,
        json!({ "reason": "item_reserved", "conflicts": conflicts }),
    ))
}

/// The bookings of `item` that have not ended by `from`, soonest first (at most `limit`).
pub async fn upcoming_for_item(
    client: &impl GenericClient,
    theater: Uuid,
    item: Uuid,
    from: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ItemBooking>, ApiError> {
    let rows = client
        .query(
            "SELECT r.id, e.id AS event_id, e.title, e.status, e.starts_at, e.ends_at,
                    lower(e.busy) AS blocked_from, upper(e.busy) AS blocked_until, r.quantity,
                    e.venue_id, e.performance_id
             FROM event_reservations r JOIN events e ON e.id = r.event_id
             WHERE r.theater_id = $1 AND r.item_id = $2 AND e.status <> 'cancelled'
               AND upper(e.busy) > $3
             ORDER BY e.starts_at, e.id LIMIT $4",
            &[&theater, &item, &from, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ItemBooking {
            reservation_id: r.get(0),
            event_id: r.get(1),
            title: r.get(2),
            status: r.get(3),
            starts_at: r.get(4),
            ends_at: r.get(5),
            blocked_from: r.get(6),
            blocked_until: r.get(7),
            quantity: r.get(8),
            venue_id: r.get(9),
            performance_id: r.get(10),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_and_write_offs_cannot_be_reserved_and_the_rest_can() {
        for status in ["in_stock", "reserved", "in_use", "on_tour"] {
            assert!(reservable(status), "{status}");
        }
        for status in ["in_repair", "written_off"] {
            assert!(!reservable(status), "{status}");
        }
    }
}
