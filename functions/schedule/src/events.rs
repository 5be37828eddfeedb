//! Events: creation (single or a recurring series, with kit), the dry-run check, reading,
//! calendar queries, edits of one occurrence or of it and the following ones, deletion. The
//! venue rule is the database's exclusion constraint; this module only describes a refusal.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::reservations::{self, Line};
use shared::text::{optional_text, text};
use shared::{ApiError, ApiResult};
use tokio_postgres::types::ToSql;
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::clashes::{
    Conflict, ParticipantClash, Slot, is_venue_clash, lock_venue_bookings, participant_clashes,
    people_busy_error, venue_clash_error, venue_conflicts,
};
use crate::domain::{
    EventKind, EventStatus, Exdate, ParticipantRole, all_day_range, buffer, colour, expand,
    local_difference, shift_local, time_range, zone,
};
use crate::participants::{InviteRequest, StrictQuery};
use crate::venues::load_venue;

/// An event as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub kind: EventKind,
    pub title: String,
    pub description: Option<String>,
    pub performance_id: Option<Uuid>,
    pub venue_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    /// All-day events: the first and last local date in the theatre's time zone.
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub setup_minutes: i32,
    pub strike_minutes: i32,
    /// The venue is blocked from here (start minus set-up) ...
    pub blocked_from: DateTime<Utc>,
    /// ... to here (end plus strike).
    pub blocked_until: DateTime<Utc>,
    pub status: EventStatus,
    pub colour: Option<String>,
    pub notes: Option<String>,
    pub series_id: Option<Uuid>,
    /// The start the series' rule gave this occurrence.
    pub recurrence_id: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

pub const EVENT_COLUMNS: &str = "e.id, e.kind, e.title, e.description, e.performance_id,
    e.venue_id, e.starts_at, e.ends_at, e.all_day, e.setup_minutes, e.strike_minutes,
    lower(e.busy) AS blocked_from, upper(e.busy) AS blocked_until, e.status, e.colour, e.notes,
    e.series_id, e.recurrence_id, e.created_by, e.created_at, e.updated_at, e.version";

/// The event of a row selected with [`EVENT_COLUMNS`]; `tz` gives all-day events their dates.
pub fn from_row(row: &tokio_postgres::Row, tz: chrono_tz::Tz) -> EventView {
    let starts_at: DateTime<Utc> = row.get("starts_at");
    let ends_at: DateTime<Utc> = row.get("ends_at");
    let all_day: bool = row.get("all_day");
    let (start_date, end_date) = if all_day {
        (
            Some(starts_at.with_timezone(&tz).date_naive()),
            Some(
                (ends_at - Duration::seconds(1))
                    .with_timezone(&tz)
                    .date_naive(),
            ),
        )
    } else {
        (None, None)
    };
    EventView {
        id: row.get("id"),
        kind: EventKind::parse(row.get("kind")).unwrap_or(EventKind::Other),
        title: row.get("title"),
        description: row.get("description"),
        performance_id: row.get("performance_id"),
        venue_id: row.get("venue_id"),
        starts_at,
        ends_at,
        all_day,
        start_date,
        end_date,
        setup_minutes: row.get("setup_minutes"),
        strike_minutes: row.get("strike_minutes"),
        blocked_from: row.get("blocked_from"),
        blocked_until: row.get("blocked_until"),
        status: EventStatus::parse(row.get("status")).unwrap_or(EventStatus::Planned),
        colour: row.get("colour"),
        notes: row.get("notes"),
        series_id: row.get("series_id"),
        recurrence_id: row.get("recurrence_id"),
        created_by: row.get("created_by"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    }
}

/// The theatre's time zone.
pub async fn theatre_zone(client: &impl GenericClient, theater: Uuid) -> ApiResult<chrono_tz::Tz> {
    let row = client
        .query_one_cached("SELECT timezone FROM theaters WHERE id = $1", &[&theater])
        .await?;
    Ok(zone(row.get(0)))
}

/// Event `id` of `theater`.
pub async fn load_event(
    client: &impl GenericClient,
    theater: Uuid,
    id: Uuid,
    tz: chrono_tz::Tz,
    lock: bool,
) -> ApiResult<Option<EventView>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.theater_id = $1 AND e.id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    Ok(client
        .query_opt(&sql, &[&theater, &id])
        .await?
        .map(|r| from_row(&r, tz)))
}

/// One kit line of a request.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug)]
#[serde(deny_unknown_fields)]
pub struct ItemLine {
    pub item_id: Uuid,
    /// Pieces (default 1).
    #[serde(default = "one")]
    #[schema(default = 1)]
    pub quantity: i32,
}

fn one() -> i32 {
    1
}

/// A recurrence: an RFC 5545 RRULE value and exceptions.
#[derive(Deserialize, Serialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// E.g. `FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20` or `FREQ=MONTHLY;INTERVAL=2;UNTIL=20271231T000000Z`.
    /// Expanded in the theatre's time zone; at most 500 occurrences within two years.
    pub rrule: String,
    /// Occurrences left out: an occurrence's start (RFC 3339) or a local date (`2026-11-03`).
    #[serde(default)]
    pub exdates: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct CreateEventRequest {
    #[schema(required = true)]
    pub kind: Option<EventKind>,
    #[schema(required = true)]
    pub title: String,
    pub description: Option<String>,
    pub performance_id: Option<Uuid>,
    #[schema(required = true)]
    pub venue_id: Option<Uuid>,
    /// Required unless `all_day`.
    pub starts_at: Option<DateTime<Utc>>,
    /// Required unless `all_day`.
    pub ends_at: Option<DateTime<Utc>>,
    /// With `start_date` and `end_date` (local dates, inclusive) instead of times.
    pub all_day: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Default: the venue's.
    pub setup_minutes: Option<i32>,
    /// Default: the venue's.
    pub strike_minutes: Option<i32>,
    /// `planned` (default) or `confirmed`.
    pub status: Option<EventStatus>,
    pub colour: Option<String>,
    pub notes: Option<String>,
    /// Extra kit to reserve for the event's (buffered) time.
    pub items: Vec<ItemLine>,
    /// Also reserve the performance's kit list.
    pub reserve_kit: bool,
    pub recurrence: Option<Recurrence>,
    /// People invited to the event (every occurrence of a series); their clashes at any
    /// occurrence come back in `warnings`, or as a 409 with `strict=true`.
    pub participants: Vec<InviteRequest>,
}

/// A request parsed into what will be stored.
struct NewEvent {
    kind: EventKind,
    title: String,
    description: Option<String>,
    performance_id: Option<Uuid>,
    venue_id: Uuid,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    all_day: Option<(NaiveDate, NaiveDate)>,
    setup: Option<i32>,
    strike: Option<i32>,
    status: EventStatus,
    colour: Option<String>,
    notes: Option<String>,
    items: Vec<ItemLine>,
    reserve_kit: bool,
    recurrence: Option<(String, Vec<Exdate>)>,
    participants: Vec<(Uuid, ParticipantRole)>,
}

fn parse_new(body: CreateEventRequest) -> ApiResult<NewEvent> {
    let mut errors = FieldErrors::new();
    let title = errors.take("title", text(&body.title, 300));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 10000),
    );
    let notes = errors.take("notes", optional_text(body.notes.as_deref(), 10000));
    let colour = errors.take("colour", body.colour.as_deref().map(colour).transpose());
    let setup = errors.take("setup_minutes", body.setup_minutes.map(buffer).transpose());
    let strike = errors.take(
        "strike_minutes",
        body.strike_minutes.map(buffer).transpose(),
    );
    if body.kind.is_none() {
        errors.add("kind", "is required");
    }
    if body.venue_id.is_none() {
        errors.add("venue_id", "is required");
    }
    let status = body.status.unwrap_or(EventStatus::Planned);
    if !matches!(status, EventStatus::Planned | EventStatus::Confirmed) {
        errors.add("status", "a new event is planned or confirmed");
    }
    let all_day = if body.all_day {
        match (body.start_date, body.end_date.or(body.start_date)) {
            (Some(first), Some(last)) if last >= first => Some((first, last)),
            (Some(_), Some(_)) => {
                errors.add("end_date", "must not be before start_date");
                None
            }
            _ => {
                errors.add("start_date", "is required for an all-day event");
                None
            }
        }
    } else {
        match (body.starts_at, body.ends_at) {
            (Some(s), Some(e)) => {
                if let Err(m) = time_range(s, e) {
                    errors.add("ends_at", m);
                }
            }
            (None, _) => errors.add("starts_at", "is required"),
            (_, None) => errors.add("ends_at", "is required"),
        }
        None
    };
    for (i, line) in body.items.iter().enumerate() {
        if !(1..=1_000_000).contains(&line.quantity) {
            errors.add(
                format!("items.{i}.quantity"),
                "must be between 1 and 1000000",
            );
        }
    }
    if body.items.len() > 500 {
        errors.add("items", "at most 500 lines");
    }
    if body.participants.len() > 200 {
        errors.add("participants", "at most 200 people");
    }
    let mut participants: Vec<(Uuid, ParticipantRole)> = Vec::new();
    for p in &body.participants {
        if !participants.iter().any(|(u, _)| *u == p.user_id) {
            participants.push((p.user_id, p.role.unwrap_or(ParticipantRole::Other)));
        }
    }
    if body.reserve_kit && body.performance_id.is_none() {
        errors.add("reserve_kit", "needs a performance_id");
    }
    let recurrence = match body.recurrence {
        None => None,
        Some(r) => {
            let mut exdates = Vec::new();
            for (i, raw) in r.exdates.iter().enumerate() {
                match Exdate::parse(raw) {
                    Ok(x) => exdates.push(x),
                    Err(m) => errors.add(format!("recurrence.exdates.{i}"), m),
                }
            }
            Some((r.rrule, exdates))
        }
    };
    let (Some(title), Some(description), Some(notes), Some(colour), Some(setup), Some(strike)) =
        (title, description, notes, colour, setup, strike)
    else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    Ok(NewEvent {
        kind: body.kind.unwrap_or(EventKind::Other),
        title,
        description,
        performance_id: body.performance_id,
        venue_id: body.venue_id.unwrap_or_default(),
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        all_day,
        setup,
        strike,
        status,
        colour,
        notes,
        items: body.items,
        reserve_kit: body.reserve_kit,
        recurrence,
        participants,
    })
}

/// A reference to one stored occurrence.
#[derive(Serialize, Clone, ToSchema)]
pub struct OccurrenceRef {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// What a creation answers: the (first) event, every occurrence of a series, the reservations
/// made for each event.
#[derive(Serialize, ToSchema)]
pub struct CreatedEvent {
    #[serde(flatten)]
    pub event: EventView,
    /// All occurrences, the first included (one for a single event).
    pub occurrences: Vec<OccurrenceRef>,
    /// Kit lines reserved for every occurrence.
    pub reserved_items: Vec<ItemLine>,
    /// Participants busy elsewhere at an occurrence (other invitations, unavailability).
    pub warnings: Vec<ParticipantClash>,
}

/// The kit lines of a request: the extra items plus the performance's kit list, summed per item.
pub async fn kit_lines(
    client: &impl GenericClient,
    theater: Uuid,
    performance: Option<Uuid>,
    reserve_kit: bool,
    extra: &[ItemLine],
) -> ApiResult<Vec<Line>> {
    let mut lines: Vec<Line> = Vec::new();
    let mut add = |item_id: Uuid, quantity: i32, from_kit: bool| match lines
        .iter_mut()
        .find(|l| l.item_id == item_id)
    {
        Some(l) => l.quantity = l.quantity.saturating_add(quantity),
        None => lines.push(Line {
            item_id,
            quantity,
            from_kit,
        }),
    };
    if reserve_kit && let Some(performance) = performance {
        let rows = client
            .query(
                "SELECT item_id, sum(quantity)::int FROM performance_kit_items
                 WHERE theater_id = $1 AND performance_id = $2 GROUP BY item_id ORDER BY item_id",
                &[&theater, &performance],
            )
            .await?;
        for r in rows {
            add(r.get(0), r.get(1), true);
        }
    }
    for l in extra {
        add(l.item_id, l.quantity, false);
    }
    Ok(lines)
}

/// Checks that `performance` is one of `theater`'s.
pub async fn check_performance(
    client: &impl GenericClient,
    theater: Uuid,
    performance: Option<Uuid>,
) -> ApiResult<()> {
    if let Some(p) = performance {
        let found = client
            .query_opt(
                "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
                &[&theater, &p],
            )
            .await?;
        if found.is_none() {
            return Err(ApiError::invalid(
                "performance_id",
                "no such performance in this theatre",
            ));
        }
    }
    Ok(())
}

const INSERT_EVENT: &str = "
    INSERT INTO events (id, theater_id, kind, title, description, performance_id, venue_id,
                        starts_at, ends_at, all_day, setup_minutes, strike_minutes, status,
                        colour, notes, series_id, recurrence_id, created_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

/// How a failed creation ended: a venue clash to be described after the rollback, or any other
/// error.
enum Failure {
    Venue(usize, Slot),
    Other(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Other(e)
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Other(e.into())
    }
}

/// Writes the event (every occurrence of a series) and its kit inside `tx`.
async fn insert_event(
    tx: &Transaction<'_>,
    user: &AuthUser,
    new: &NewEvent,
    tz: chrono_tz::Tz,
) -> Result<(Vec<EventView>, Vec<Line>), Failure> {
    let venue = load_venue(tx, user.theater_id, new.venue_id, false)
        .await?
        .ok_or_else(|| ApiError::invalid("venue_id", "no such venue in this theatre"))?;
    if !venue.is_active {
        return Err(ApiError::invalid("venue_id", "the venue is not active").into());
    }
    lock_venue_bookings(tx, user.theater_id, venue.id).await?;
    check_performance(tx, user.theater_id, new.performance_id).await?;
    let (first_start, first_end) = match new.all_day {
        Some((first, last)) => {
            all_day_range(tz, first, last).map_err(|m| ApiError::invalid("end_date", m))?
        }
        None => (
            new.starts_at.unwrap_or_default(),
            new.ends_at.unwrap_or_default(),
        ),
    };
    let length = first_end - first_start;
    let setup = new.setup.unwrap_or(venue.setup_minutes);
    let strike = new.strike.unwrap_or(venue.strike_minutes);
    let (starts, series_id) = match &new.recurrence {
        None => (vec![first_start], None),
        Some((rule, exdates)) => {
            let starts = expand(rule, exdates, first_start, tz)
                .map_err(|m| ApiError::invalid("recurrence.rrule", m))?;
            let series = Uuid::now_v7();
            let at: Vec<DateTime<Utc>> = exdates
                .iter()
                .map(|x| match x {
                    Exdate::At(t) => *t,
                    Exdate::On(d) => crate::domain::local_midnight(tz, *d),
                })
                .collect();
            tx.execute(
                "INSERT INTO event_series (id, theater_id, rrule, exdates, timezone, dtstart, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &series,
                    &user.theater_id,
                    &rule.trim().trim_start_matches("RRULE:"),
                    &at,
                    &tz.name(),
                    &first_start,
                    &user.user_id,
                ],
            )
            .await?;
            (starts, Some(series))
        }
    };
    let statement = tx.prepare_cached(INSERT_EVENT).await?;
    let mut ids = Vec::with_capacity(starts.len());
    for (index, start) in starts.iter().enumerate() {
        // All-day occurrences run from local midnight to local midnight whatever the offset.
        let (s, e) = match new.all_day {
            Some((first, last)) if index > 0 => {
                let day = start.with_timezone(&tz).date_naive();
                all_day_range(tz, day, day + (last - first))
                    .map_err(|m| ApiError::invalid("recurrence.rrule", m))?
            }
            _ => (*start, *start + length),
        };
        let id = Uuid::now_v7();
        let result = tx
            .execute(
                &statement,
                &[
                    &id,
                    &user.theater_id,
                    &new.kind.as_str(),
                    &new.title,
                    &new.description,
                    &new.performance_id,
                    &new.venue_id,
                    &s,
                    &e,
                    &new.all_day.is_some(),
                    &setup,
                    &strike,
                    &new.status.as_str(),
                    &new.colour,
                    &new.notes,
                    &series_id,
                    &series_id.map(|_| *start),
                    &user.user_id,
                ],
            )
            .await;
        match result {
            Ok(_) => ids.push(id),
            Err(err) if is_venue_clash(&err) => {
                let slot = Slot {
                    venue_id: new.venue_id,
                    starts_at: s,
                    ends_at: e,
                    setup_minutes: setup,
                    strike_minutes: strike,
                };
                return Err(Failure::Venue(index, slot));
            }
            Err(err) => return Err(err.into()),
        }
    }
    let lines = kit_lines(
        tx,
        user.theater_id,
        new.performance_id,
        new.reserve_kit,
        &new.items,
    )
    .await?;
    reservations::reserve_for_events(tx, user.theater_id, Some(user.user_id), &ids, &lines).await?;
    invite_to_all(tx, user.theater_id, &ids, &new.participants).await?;
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.theater_id = $1 AND e.id = ANY($2)
         ORDER BY e.starts_at"
    );
    let rows = tx.query(&sql, &[&user.theater_id, &ids]).await?;
    let views: Vec<EventView> = rows.iter().map(|r| from_row(r, tz)).collect();
    for view in &views {
        audit::record(
            tx,
            AuditEntry::by(user, "event.create", "event", view.id).after(view),
        )
        .await?;
    }
    Ok((views, lines))
}

/// Invites `people` to every event of `ids` (the occurrences of a series).
async fn invite_to_all(
    tx: &Transaction<'_>,
    theater: Uuid,
    ids: &[Uuid],
    people: &[(Uuid, ParticipantRole)],
) -> ApiResult<()> {
    if people.is_empty() {
        return Ok(());
    }
    let users: Vec<Uuid> = people.iter().map(|(u, _)| *u).collect();
    let roles: Vec<&str> = people.iter().map(|(_, r)| r.as_str()).collect();
    let found: i64 = tx
        .query_one(
            "SELECT count(*) FROM users WHERE theater_id = $1 AND id = ANY($2) AND is_active",
            &[&theater, &users],
        )
        .await?
        .get(0);
    if found != users.len() as i64 {
        return Err(ApiError::invalid(
            "participants",
            "every participant must be an active user of this theatre",
        ));
    }
    tx.execute(
        "INSERT INTO event_participants (id, theater_id, event_id, user_id, role)
         SELECT gen_random_uuid(), $1, e.id, p.user_id, p.role
         FROM unnest($2::uuid[]) AS e (id), unnest($3::uuid[], $4::text[]) AS p (user_id, role)",
        &[&theater, &ids, &users, &roles],
    )
    .await?;
    Ok(())
}

/// Runs a creation; `commit = false` is the dry run. A venue clash is described after the
/// rollback (the failed statement aborted the transaction).
async fn run_create(
    state: &ScheduleState,
    user: &AuthUser,
    new: NewEvent,
    commit: bool,
    strict: bool,
) -> ApiResult<CreatedEvent> {
    let mut client = state.ctx.db.get().await?;
    let tz = theatre_zone(&client, user.theater_id).await?;
    let tx = client.transaction().await?;
    let outcome = insert_event(&tx, user, &new, tz).await;
    match outcome {
        Ok((views, lines)) => {
            let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
            let warnings = participant_clashes(&tx, user.theater_id, &ids).await?;
            if strict && !warnings.is_empty() {
                tx.rollback().await?;
                return Err(people_busy_error(warnings));
            }
            if commit {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            let occurrences = views
                .iter()
                .map(|v| OccurrenceRef {
                    id: v.id,
                    starts_at: v.starts_at,
                    ends_at: v.ends_at,
                })
                .collect();
            let first = views
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no occurrence stored")))?;
            Ok(CreatedEvent {
                event: first,
                occurrences,
                reserved_items: lines
                    .iter()
                    .map(|l| ItemLine {
                        item_id: l.item_id,
                        quantity: l.quantity,
                    })
                    .collect(),
                warnings,
            })
        }
        Err(Failure::Other(e)) => Err(e),
        Err(Failure::Venue(index, slot)) => {
            tx.rollback().await?;
            let conflicts = venue_conflicts(&client, user.theater_id, &slot, &[]).await?;
            let occurrence = new.recurrence.as_ref().map(|_| (index, &slot));
            Err(venue_clash_error(conflicts, occurrence))
        }
    }
}

/// Create an event (or a recurring series)
///
/// The venue is booked for the event's time plus its set-up and strike buffers; PostgreSQL's
/// exclusion constraint refuses an overlap with a 409 listing the `conflicts` (for a series,
/// `occurrence` names the one that clashed and nothing is written). `items` and, with
/// `reserve_kit`, the performance's kit list are reserved for every occurrence (409 with the
/// events already holding an item).
#[utoipa::path(post, path = "/api/v1/schedule/events", tag = "schedule", operation_id = "create_event",
    security(("bearer" = ["schedule:edit"])), request_body = CreateEventRequest, params(StrictQuery),
    responses((status = 201, body = CreatedEvent), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_event(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(strict): Query<StrictQuery>,
    Json(body): Json<CreateEventRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let new = parse_new(body)?;
    let created = run_create(&state, &user, new, true, strict.strict.unwrap_or(false)).await?;
    Ok(shared::http::created(created.event.version, created))
}

/// The answer of a dry run.
#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the event could be created as sent.
    pub ok: bool,
    /// The problem `detail` when not.
    pub detail: Option<String>,
    /// `venue_booked` or `item_reserved`, when not ok.
    pub reason: Option<String>,
    /// The conflicting events (venue or kit).
    pub conflicts: Vec<serde_json::Value>,
    /// For a series: the occurrence that clashed.
    pub occurrence: Option<serde_json::Value>,
    /// How many occurrences the event would have.
    pub occurrences: usize,
    /// Participants busy elsewhere (a refusal with `strict=true`).
    pub warnings: Vec<ParticipantClash>,
}

/// Check an event without booking it
///
/// Runs the very creation (constraint, kit rule) inside a transaction that is always rolled
/// back, so the answer is the one a creation would get at this moment.
#[utoipa::path(post, path = "/api/v1/schedule/events/check", tag = "schedule", operation_id = "check_event",
    security(("bearer" = ["schedule:view"])), request_body = CreateEventRequest, params(StrictQuery),
    responses((status = 200, body = CheckResult), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn check_event(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(strict): Query<StrictQuery>,
    Json(body): Json<CreateEventRequest>,
) -> ApiResult<JsonResponse<CheckResult>> {
    user.require(Permission::ScheduleView)?;
    let new = parse_new(body)?;
    match run_create(&state, &user, new, false, strict.strict.unwrap_or(false)).await {
        Ok(created) => Ok(JsonResponse(CheckResult {
            ok: true,
            detail: None,
            reason: None,
            conflicts: vec![],
            occurrence: None,
            occurrences: created.occurrences.len(),
            warnings: created.warnings,
        })),
        Err(ApiError::Conflict { detail, extra }) => {
            let extra = extra.unwrap_or_default();
            Ok(JsonResponse(CheckResult {
                ok: false,
                detail: Some(detail),
                reason: extra
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .map(str::to_owned)
                    .or_else(|| Some("unavailable".into())),
                conflicts: extra
                    .get("conflicts")
                    .and_then(|c| c.as_array())
                    .cloned()
                    .unwrap_or_default(),
                occurrence: extra.get("occurrence").cloned(),
                occurrences: 0,
                warnings: vec![],
            }))
        }
        Err(e) => Err(e),
    }
}

/// Get an event
#[utoipa::path(get, path = "/api/v1/schedule/events/{id}", tag = "schedule", operation_id = "get_event",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = EventView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_event(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let client = state.ctx.db.get().await?;
    let tz = theatre_zone(&client, user.theater_id).await?;
    let view = load_event(&client, user.theater_id, id, tz, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

/// The longest range one calendar query may span.
pub const MAX_SPAN_DAYS: i64 = 366;

/// Filters of the calendar queries.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events ending after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this instant (default: `from` + 31 days; at most 366 days after
    /// `from`, else 422).
    pub to: Option<DateTime<Utc>>,
    pub venue_id: Option<Uuid>,
    pub performance_id: Option<Uuid>,
    /// Events this user is invited to (and did not decline).
    pub participant_id: Option<Uuid>,
    pub kind: Option<EventKind>,
    pub status: Option<EventStatus>,
    pub series_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn window(query: &EventQuery) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let from = query.from.unwrap_or_else(Utc::now);
    let to = query.to.unwrap_or(from + Duration::days(31));
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to - from > Duration::days(MAX_SPAN_DAYS) {
        return Err(ApiError::invalid(
            "to",
            format!("a query spans at most {MAX_SPAN_DAYS} days"),
        ));
    }
    Ok((from, to))
}

async fn query_events(
    state: &ScheduleState,
    user: &AuthUser,
    query: EventQuery,
    participant: Option<Uuid>,
) -> ApiResult<Page<EventView>> {
    let (from, to) = window(&query)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    // The theatre's zone (for all-day events' dates) comes with the rows, an InitPlan run once
    // per statement: a second statement for it cost a round trip on every list.
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, (SELECT timezone FROM theaters WHERE id = $1) AS theatre_timezone
         FROM events e
         WHERE e.theater_id = $1 AND e.ends_at > $2 AND e.starts_at < $3
           AND ($4::uuid IS NULL OR e.venue_id = $4)
           AND ($5::uuid IS NULL OR e.performance_id = $5)
           AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM event_participants p
                WHERE p.event_id = e.id AND p.user_id = $6 AND p.answer <> 'declined'))
           AND ($7::text IS NULL OR e.kind = $7)
           AND ($8::text IS NULL OR e.status = $8)
           AND ($9::uuid IS NULL OR e.series_id = $9)
           AND ($10::timestamptz IS NULL OR (e.starts_at, e.id) > ($10, $11))
         ORDER BY e.starts_at, e.id LIMIT {}",
        PageQuery::fetch_limit(limit)
    );
    let participant = participant.or(query.participant_id);
    let params: [&(dyn ToSql + Sync); 11] = [
        &user.theater_id,
        &from,
        &to,
        &query.venue_id,
        &query.performance_id,
        &participant,
        &query.kind.map(EventKind::as_str),
        &query.status.map(EventStatus::as_str),
        &query.series_id,
        &after_time,
        &after_id,
    ];
    let rows = client.query_cached(&sql, &params).await?;
    let tz = rows
        .first()
        .map_or(chrono_tz::Tz::UTC, |r| zone(r.get("theatre_timezone")));
    let events = rows.iter().map(|r| from_row(r, tz)).collect();
    Ok(Page::from_rows(events, limit, |e| (e.starts_at, e.id)))
}

/// List events in a time range
///
/// Events overlapping `[from, to)`, in start order, filtered by venue, performance,
/// participant, kind, status or series.
#[utoipa::path(get, path = "/api/v1/schedule/events", tag = "schedule", operation_id = "list_events",
    security(("bearer" = ["schedule:view"])), params(EventQuery),
    responses((status = 200, body = inline(Page<EventView>)), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn list_events(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<EventQuery>,
) -> ApiResult<JsonResponse<Page<EventView>>> {
    user.require(Permission::ScheduleView)?;
    Ok(JsonResponse(
        query_events(&state, &user, query, None).await?,
    ))
}

/// My schedule
///
/// The events the caller is invited to (and did not decline), same filters as the list.
#[utoipa::path(get, path = "/api/v1/schedule/events/me", tag = "schedule", operation_id = "my_events",
    security(("bearer" = ["schedule:view"])), params(EventQuery),
    responses((status = 200, body = inline(Page<EventView>)), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn my_events(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<EventQuery>,
) -> ApiResult<JsonResponse<Page<EventView>>> {
    user.require(Permission::ScheduleView)?;
    let me = user.user_id;
    Ok(JsonResponse(
        query_events(&state, &user, query, Some(me)).await?,
    ))
}

/// Paging of the upcoming list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct UpcomingQuery {
    pub venue_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Upcoming events
///
/// Non-cancelled events that have not ended, soonest first (within a year).
#[utoipa::path(get, path = "/api/v1/schedule/events/upcoming", tag = "schedule", operation_id = "upcoming_events",
    security(("bearer" = ["schedule:view"])), params(UpcomingQuery),
    responses((status = 200, body = inline(Page<EventView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn upcoming_events(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<UpcomingQuery>,
) -> ApiResult<JsonResponse<Page<EventView>>> {
    user.require(Permission::ScheduleView)?;
    let now = Utc::now();
    let mut page = query_events(
        &state,
        &user,
        EventQuery {
            from: Some(now),
            to: Some(now + Duration::days(MAX_SPAN_DAYS)),
            venue_id: query.venue_id,
            limit: query.limit,
            cursor: query.cursor,
            ..EventQuery::default()
        },
        None,
    )
    .await?;
    page.items.retain(|e| e.status.blocks());
    Ok(JsonResponse(page))
}

/// Which occurrences of a series an edit or deletion applies to.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only this event.
    #[default]
    This,
    /// This occurrence and every later one of its series.
    Following,
}

/// The scope of a deletion.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `this` (default) or `following` (this and the later occurrences of the series).
    pub scope: Option<Scope>,
}

/// The scope of an edit and how to treat busy participants.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EditQuery {
    /// `this` (default) or `following`: this and the later occurrences, split off into a new
    /// series that carries the edit (the original rule ends before this occurrence).
    pub scope: Option<Scope>,
    /// Refuse (409) instead of warning when a participant is busy elsewhere at a new time.
    pub strict: Option<bool>,
}

/// An updated event with what keeps its participants busy meanwhile.
#[derive(Serialize, ToSchema)]
pub struct UpdatedEvent {
    #[serde(flatten)]
    pub event: EventView,
    /// Participants' clashes at the edited occurrences (other invitations, unavailability).
    pub warnings: Vec<ParticipantClash>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateEventRequest {
    pub kind: Option<EventKind>,
    pub title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: shared::patch::Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub performance_id: shared::patch::Patch<Uuid>,
    pub venue_id: Option<Uuid>,
    /// With `scope=following` the later occurrences move by the same amount.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub setup_minutes: Option<i32>,
    pub strike_minutes: Option<i32>,
    /// A move of the status machine (DOMAIN.md); others are a 409.
    pub status: Option<EventStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub colour: shared::patch::Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub notes: shared::patch::Patch<String>,
}

fn patch_text(
    errors: &mut FieldErrors,
    field: &str,
    value: shared::patch::Patch<String>,
    parse: impl Fn(&str) -> Result<Option<String>, String>,
) -> Option<Option<Option<String>>> {
    use shared::patch::Patch;
    errors.take(
        field,
        match value {
            Patch::Missing => Ok(None),
            Patch::Null => Ok(Some(None)),
            Patch::Value(v) => parse(&v).map(Some),
        },
    )
}

/// Update an event (or it and the following occurrences)
///
/// Times, venue, buffers and status changes are checked again: a clash (including an
/// un-cancel into a taken slot) is a 409 with `conflicts`, a kit that no longer fits a 409 with
/// the item's other holders, a move outside the status machine a 409 naming the current status.
#[utoipa::path(patch, path = "/api/v1/schedule/events/{id}", tag = "schedule", operation_id = "update_event",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header), EditQuery),
    request_body = UpdateEventRequest,
    responses((status = 200, body = UpdatedEvent), (status = 403), (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_event(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Query(query): Query<EditQuery>,
    Json(body): Json<UpdateEventRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(
        "title",
        body.title.as_deref().map(|t| text(t, 300)).transpose(),
    );
    let description = patch_text(&mut errors, "description", body.description, |d| {
        optional_text(Some(d), 10000)
    });
    let notes = patch_text(&mut errors, "notes", body.notes, |d| {
        optional_text(Some(d), 10000)
    });
    let colour_change = patch_text(&mut errors, "colour", body.colour, |c| colour(c).map(Some));
    let setup = errors.take("setup_minutes", body.setup_minutes.map(buffer).transpose());
    let strike = errors.take(
        "strike_minutes",
        body.strike_minutes.map(buffer).transpose(),
    );
    let (
        Some(title),
        Some(description),
        Some(notes),
        Some(colour_change),
        Some(setup),
        Some(strike),
    ) = (title, description, notes, colour_change, setup, strike)
    else {
        return Err(errors.into_error());
    };
    let performance = body.performance_id.into_option();
    let scope = query.scope.unwrap_or_default();

    let mut client = state.ctx.db.get().await?;
    let tz = theatre_zone(&client, user.theater_id).await?;
    let tx = client.transaction().await?;
    let before = load_event(&tx, user.theater_id, id, tz, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let new_start = body.starts_at.unwrap_or(before.starts_at);
    let new_end = body.ends_at.unwrap_or(if body.starts_at.is_some() {
        new_start + (before.ends_at - before.starts_at)
    } else {
        before.ends_at
    });
    time_range(new_start, new_end).map_err(|m| ApiError::invalid("ends_at", m))?;
    // Later occurrences move by the same amount on the local clock (19:00 stays 19:00 + shift
    // across a DST change).
    let local_shift = local_difference(before.starts_at, new_start, tz);
    let length = new_end - new_start;
    if let Some(venue) = body.venue_id {
        let v = load_venue(&tx, user.theater_id, venue, false)
            .await?
            .ok_or_else(|| ApiError::invalid("venue_id", "no such venue in this theatre"))?;
        if !v.is_active {
            return Err(ApiError::invalid("venue_id", "the venue is not active"));
        }
    }
    lock_venue_bookings(
        &tx,
        user.theater_id,
        body.venue_id.unwrap_or(before.venue_id),
    )
    .await?;
    if let Some(Some(p)) = performance {
        check_performance(&tx, user.theater_id, Some(p)).await?;
    }
    // The rows concerned: this one, or it and the later occurrences of its series.
    let targets: Vec<EventView> = match (scope, before.series_id) {
        (Scope::Following, Some(series)) => {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events e
                 WHERE e.theater_id = $1 AND e.series_id = $2 AND e.starts_at >= $3
                 ORDER BY e.starts_at FOR UPDATE"
            );
            tx.query(&sql, &[&user.theater_id, &series, &before.starts_at])
                .await?
                .iter()
                .map(|r| from_row(r, tz))
                .collect()
        }
        _ => vec![before.clone()],
    };
    for target in &targets {
        if let Some(to) = body.status
            && to != target.status
            && !target.status.can_move_to(to)
        {
            return Err(ApiError::conflict_with(
                format!("an event that is {} cannot become {to}", target.status),
                serde_json::json!({ "current_status": target.status, "event_id": target.id }),
            ));
        }
    }
    let statement = tx
        .prepare_cached(
            "UPDATE events SET
                kind = COALESCE($3, kind), title = COALESCE($4, title),
                description = CASE WHEN $5 THEN $6 ELSE description END,
                performance_id = CASE WHEN $7 THEN $8 ELSE performance_id END,
                venue_id = COALESCE($9, venue_id), starts_at = $10, ends_at = $11,
                setup_minutes = COALESCE($12, setup_minutes),
                strike_minutes = COALESCE($13, strike_minutes),
                status = COALESCE($14, status),
                colour = CASE WHEN $15 THEN $16 ELSE colour END,
                notes = CASE WHEN $17 THEN $18 ELSE notes END,
                version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
        )
        .await?;
    let mut failed = None;
    for (index, target) in targets.iter().enumerate() {
        let (s, e) = if target.id == id {
            (new_start, new_end)
        } else {
            let s = shift_local(target.starts_at, local_shift, tz);
            (s, s + length)
        };
        let result = tx
            .execute(
                &statement,
                &[
                    &user.theater_id,
                    &target.id,
                    &body.kind.map(EventKind::as_str),
                    &title,
                    &description.is_some(),
                    &description.clone().flatten(),
                    &performance.is_some(),
                    &performance.flatten(),
                    &body.venue_id,
                    &s,
                    &e,
                    &setup,
                    &strike,
                    &body.status.map(EventStatus::as_str),
                    &colour_change.is_some(),
                    &colour_change.clone().flatten(),
                    &notes.is_some(),
                    &notes.clone().flatten(),
                ],
            )
            .await;
        match result {
            Ok(_) => {}
            Err(err) if is_venue_clash(&err) => {
                failed = Some((
                    index,
                    Slot {
                        venue_id: body.venue_id.unwrap_or(target.venue_id),
                        starts_at: s,
                        ends_at: e,
                        setup_minutes: setup.unwrap_or(target.setup_minutes),
                        strike_minutes: strike.unwrap_or(target.strike_minutes),
                    },
                ));
                break;
            }
            Err(err) => return Err(err.into()),
        }
    }
    if let Some((index, slot)) = failed {
        tx.rollback().await?;
        let except: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
        let conflicts: Vec<Conflict> =
            venue_conflicts(&client, user.theater_id, &slot, &except).await?;
        let occurrence = (targets.len() > 1).then_some((index, &slot));
        return Err(venue_clash_error(conflicts, occurrence));
    }
    let ids: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
    reservations::recheck(&tx, user.theater_id, &ids).await?;
    match (scope, before.series_id) {
        (Scope::Following, Some(series)) => {
            crate::series::split(&tx, &user, series, &before, &targets, local_shift).await?;
        }
        // One occurrence edited on its own: an override in the feed, the series' SEQUENCE grows.
        (_, series) => {
            let series: Vec<Uuid> = series.into_iter().collect();
            crate::series::touch(&tx, user.theater_id, &series).await?
        }
    }
    let warnings = participant_clashes(&tx, user.theater_id, &ids).await?;
    if query.strict.unwrap_or(false) && !warnings.is_empty() {
        return Err(people_busy_error(warnings));
    }
    let mut first = None;
    for target in &targets {
        let after = load_event(&tx, user.theater_id, target.id, tz, false)
            .await?
            .ok_or(ApiError::NotFound)?;
        audit::record(
            &tx,
            AuditEntry::by(&user, "event.update", "event", target.id)
                .before(target)
                .after(&after),
        )
        .await?;
        if target.id == id {
            first = Some(after);
        }
    }
    tx.commit().await?;
    let event = first.ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(
        event.version,
        UpdatedEvent { event, warnings },
    ))
}

/// Delete an event (or it and the following occurrences)
///
/// Its reservations and invitations go with it; the audit log keeps the event. Prefer
/// cancelling an event people already know about: feeds then show it as cancelled.
#[utoipa::path(delete, path = "/api/v1/schedule/events/{id}", tag = "schedule", operation_id = "delete_event",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header), ScopeQuery),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_event(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Query(scope): Query<ScopeQuery>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tz = theatre_zone(&client, user.theater_id).await?;
    let tx = client.transaction().await?;
    let before = load_event(&tx, user.theater_id, id, tz, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let scope = scope.scope.unwrap_or_default();
    let cut = before.recurrence_id.unwrap_or(before.starts_at);
    let series = before.series_id;
    let targets: Vec<EventView> = match (scope, series) {
        (Scope::Following, Some(series)) => {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events e
                 WHERE e.theater_id = $1 AND e.series_id = $2 AND e.starts_at >= $3
                 ORDER BY e.starts_at FOR UPDATE"
            );
            tx.query(&sql, &[&user.theater_id, &series, &before.starts_at])
                .await?
                .iter()
                .map(|r| from_row(r, tz))
                .collect()
        }
        _ => vec![before],
    };
    for target in &targets {
        tx.execute(
            "DELETE FROM events WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &target.id],
        )
        .await?;
        audit::record(
            &tx,
            AuditEntry::by(&user, "event.delete", "event", target.id).before(target),
        )
        .await?;
    }
    match (scope, series) {
        // The rule ends before the first deleted occurrence.
        (Scope::Following, Some(series)) => {
            crate::series::end_before(&tx, user.theater_id, series, cut).await?;
        }
        // One exception more (an EXDATE in the feed): the series' SEQUENCE grows.
        (_, series) => {
            let series: Vec<Uuid> = series.into_iter().collect();
            crate::series::touch(&tx, user.theater_id, &series).await?;
        }
    }
    tx.commit().await?;
    Ok(shared::http::no_content())
}
