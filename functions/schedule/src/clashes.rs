//! Clashes: the venue's (decided by the `events_no_double_booking` exclusion constraint and
//! then described by reading the overlapping events) and a person's (other invitations and
//! recorded unavailability, reported as warnings or, when asked, refused).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use serde_json::json;
use shared::{ApiError, ApiResult};
use utoipa::ToSchema;
use uuid::Uuid;

/// The constraint that keeps a venue to one event at a time.
pub const VENUE_CONSTRAINT: &str = "events_no_double_booking";

/// An event a booking collides with.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Conflict {
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Whether `e` is the venue exclusion constraint refusing a row.
pub fn is_venue_clash(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == tokio_postgres::error::SqlState::EXCLUSION_VIOLATION
            && db.constraint() == Some(VENUE_CONSTRAINT)
    })
}

/// Serialises the bookings of one venue for the rest of the transaction (the venue row,
/// `FOR NO KEY UPDATE`: foreign-key checks of other tables still pass). Without it, concurrent
/// requests for one slot each insert a tuple that the exclusion constraint of the others must
/// wait for: they deadlock, and PostgreSQL breaks the cycle only after `deadlock_timeout` (1 s),
/// answering a 40P01 that carried no `conflicts`. With it, the constraint meets committed rows
/// only and refuses at once.
pub async fn lock_venue_bookings(
    client: &impl GenericClient,
    theater: Uuid,
    venue: Uuid,
) -> ApiResult<()> {
    client
        .query_opt(
            "SELECT 1 FROM venues WHERE theater_id = $1 AND id = $2 FOR NO KEY UPDATE",
            &[&theater, &venue],
        )
        .await?;
    Ok(())
}

/// A time slot wanted in a venue (buffers included through the same SQL function the
/// constraint uses).
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub venue_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub setup_minutes: i32,
    pub strike_minutes: i32,
}

/// The non-cancelled events of the venue overlapping `slot`, except `except`.
pub async fn venue_conflicts(
    client: &impl GenericClient,
    theater: Uuid,
    slot: &Slot,
    except: &[Uuid],
) -> ApiResult<Vec<Conflict>> {
    let rows = client
        .query(
            "SELECT id, title, starts_at, ends_at FROM events
             WHERE theater_id = $1 AND venue_id = $2 AND status <> 'cancelled'
               AND busy && schedule_busy_range($3, $4, $5, $6) AND NOT (id = ANY($7))
             ORDER BY starts_at, id LIMIT 50",
            &[
                &theater,
                &slot.venue_id,
                &slot.starts_at,
                &slot.ends_at,
                &slot.setup_minutes,
                &slot.strike_minutes,
                &except,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Conflict {
            id: r.get(0),
            title: r.get(1),
            starts_at: r.get(2),
            ends_at: r.get(3),
        })
        .collect())
}

/// The 409 of a venue clash; `occurrence` names the occurrence of a series that clashed.
pub fn venue_clash_error(conflicts: Vec<Conflict>, occurrence: Option<(usize, &Slot)>) -> ApiError {
    let mut extra = json!({ "reason": "venue_booked", "conflicts": conflicts });
    let detail = match occurrence {
        Some((index, slot)) => {
            extra["occurrence"] = json!({
                "index": index,
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
            });
            format!(
                "occurrence {} (starting {}) clashes with another event in this venue",
                index + 1,
                slot.starts_at.to_rfc3339()
            )
        }
        None => "the venue is already booked for an overlapping time (buffers included)".into(),
    };
    ApiError::conflict_with(detail, extra)
}

/// Something that keeps a person busy at the same time as an event.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonClash {
    pub user_id: Uuid,
    /// `event` (another invitation) or `unavailable` (recorded unavailability).
    pub kind: String,
    /// The other event or the unavailability record.
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// What keeps `user` busy during `event`'s time: other non-cancelled events they are invited
/// to (and did not decline) and their unavailability.
pub async fn person_clashes(
    client: &impl GenericClient,
    theater: Uuid,
    user: Uuid,
    event: Uuid,
) -> ApiResult<Vec<PersonClash>> {
    let rows = client
        .query(
            "WITH me AS (SELECT tstzrange(starts_at, ends_at, '[)') AS span FROM events
                         WHERE theater_id = $1 AND id = $3)
             SELECT 'event' AS kind, e.id, e.title, e.starts_at, e.ends_at
             FROM event_participants p JOIN events e ON e.id = p.event_id, me
             WHERE p.theater_id = $1 AND p.user_id = $2 AND e.id <> $3
               AND e.status <> 'cancelled' AND p.answer <> 'declined'
               AND tstzrange(e.starts_at, e.ends_at, '[)') && me.span
             UNION ALL
             SELECT 'unavailable', u.id, coalesce(u.reason, 'unavailable'), u.starts_at, u.ends_at
             FROM unavailability u, me
             WHERE u.theater_id = $1 AND u.user_id = $2
               AND tstzrange(u.starts_at, u.ends_at, '[)') && me.span
             ORDER BY 4, 2 LIMIT 50",
            &[&theater, &user, &event],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| PersonClash {
            user_id: user,
            kind: r.get(0),
            id: r.get(1),
            title: r.get(2),
            starts_at: r.get(3),
            ends_at: r.get(4),
        })
        .collect())
}

/// A participant's clash at one occurrence of an event or series.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ParticipantClash {
    /// The occurrence (event) the person is invited to.
    pub event_id: Uuid,
    /// Its start, naming the occurrence of a series.
    pub occurrence_starts_at: DateTime<Utc>,
    #[serde(flatten)]
    pub clash: PersonClash,
}

/// Every clash of the (not declining) participants of the non-cancelled `events`: other
/// non-cancelled events they are invited to at the same time and their unavailability.
pub async fn participant_clashes(
    client: &impl GenericClient,
    theater: Uuid,
    events: &[Uuid],
) -> ApiResult<Vec<ParticipantClash>> {
    let rows = client
        .query(
            "WITH mine AS (
                 SELECT t.id, t.starts_at, p.user_id, tstzrange(t.starts_at, t.ends_at, '[)') AS span
                 FROM events t JOIN event_participants p ON p.event_id = t.id
                 WHERE t.theater_id = $1 AND t.id = ANY($2) AND t.status <> 'cancelled'
                   AND p.answer <> 'declined')
             SELECT m.id, m.starts_at, m.user_id, 'event' AS kind, o.id, o.title, o.starts_at, o.ends_at
             FROM mine m
             JOIN event_participants op ON op.theater_id = $1 AND op.user_id = m.user_id
                  AND op.answer <> 'declined' AND op.event_id <> m.id
             JOIN events o ON o.id = op.event_id AND o.status <> 'cancelled'
             WHERE tstzrange(o.starts_at, o.ends_at, '[)') && m.span
             UNION ALL
             SELECT m.id, m.starts_at, m.user_id, 'unavailable', u.id,
                    coalesce(u.reason, 'unavailable'), u.starts_at, u.ends_at
             FROM mine m
             JOIN unavailability u ON u.theater_id = $1 AND u.user_id = m.user_id
                  AND tstzrange(u.starts_at, u.ends_at, '[)') && m.span
             ORDER BY 2, 3, 7, 5 LIMIT 200",
            &[&theater, &events],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ParticipantClash {
            event_id: r.get(0),
            occurrence_starts_at: r.get(1),
            clash: PersonClash {
                user_id: r.get(2),
                kind: r.get(3),
                id: r.get(4),
                title: r.get(5),
                starts_at: r.get(6),
                ends_at: r.get(7),
            },
        })
        .collect())
}

/// The 409 of `strict=true` when participants are busy: names the first occurrence concerned
/// and lists every clash in `conflicts`.
pub fn people_busy_error(clashes: Vec<ParticipantClash>) -> ApiError {
    let detail = match clashes.first() {
        Some(c) => format!(
            "a participant is busy elsewhere at the occurrence starting {} ({} clash(es) in all)",
            c.occurrence_starts_at.to_rfc3339(),
            clashes.len()
        ),
        None => "a participant is busy elsewhere".into(),
    };
    ApiError::conflict_with(
        detail,
        json!({ "reason": "person_busy", "conflicts": clashes }),
    )
}
