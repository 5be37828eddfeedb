//! Calendar aggregates: event counts per day, week or month by kind and status (the month and
//! week views), and venue utilisation — the hours each venue is booked, buffers included,
//! against the hours of the range. Days are local days of the theatre's time zone.

use std::collections::BTreeMap;

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use shared::auth::AuthUser;
use shared::extract::Query;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::events::{MAX_SPAN_DAYS, theatre_zone};
use crate::venues::load_venue;

/// How counts are grouped.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One bucket per local day.
    #[default]
    Day,
    /// ISO weeks, named by their Monday.
    Week,
    /// Calendar months, named by their first day.
    Month,
}

impl Period {
    fn sql(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// A range of local dates, both inclusive.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First local date (theatre time zone).
    #[param(required = true)]
    pub from: Option<NaiveDate>,
    /// Last local date, inclusive; at most 366 days after `from`.
    #[param(required = true)]
    pub to: Option<NaiveDate>,
    /// Only this venue.
    pub venue_id: Option<Uuid>,
    /// `day` (default), `week` or `month` (counts only).
    pub period: Option<Period>,
}

fn range(query: &RangeQuery) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = query
        .from
        .ok_or_else(|| ApiError::invalid("from", "is required"))?;
    let to = query
        .to
        .ok_or_else(|| ApiError::invalid("to", "is required"))?;
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_SPAN_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("a range spans at most {MAX_SPAN_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// What both aggregates start from: the checked range, a connection and the theatre's zone.
struct Scope {
    from: NaiveDate,
    to: NaiveDate,
    client: deadpool_postgres::Object,
    tz: chrono_tz::Tz,
}

/// Authorises, parses the range and checks that a venue filter names one of the caller's
/// venues (another theatre's is a 404).
async fn scope(state: &ScheduleState, user: &AuthUser, query: &RangeQuery) -> ApiResult<Scope> {
    user.require(Permission::ScheduleView)?;
    let (from, to) = range(query)?;
    let client = state.ctx.db.get().await?;
    if let Some(v) = query.venue_id {
        load_venue(&client, user.theater_id, v, false)
            .await?
            .ok_or(ApiError::NotFound)?;
    }
    let tz = theatre_zone(&client, user.theater_id).await?;
    Ok(Scope {
        from,
        to,
        client,
        tz,
    })
}

/// The events of one bucket.
#[derive(Serialize, ToSchema, Debug, Default)]
pub struct EventBucket {
    /// The local day, or the first day of the week or month.
    pub date: NaiveDate,
    /// Events overlapping the bucket (each once, cancelled ones included).
    pub total: i64,
    /// By event kind (only kinds present).
    pub by_kind: BTreeMap<String, i64>,
    /// By status (only statuses present).
    pub by_status: BTreeMap<String, i64>,
}

/// Counts per bucket over a range.
#[derive(Serialize, ToSchema)]
pub struct EventCounts {
    /// The theatre's zone the days are local to.
    pub timezone: String,
    pub period: Period,
    /// Every bucket of the range, empty ones included.
    pub buckets: Vec<EventBucket>,
}

/// Event counts per day, week or month
///
/// For month and week views: every bucket of the range with the number of events that overlap
/// it (an event over three days counts on each), by kind and by status.
#[utoipa::path(get, path = "/api/v1/schedule/aggregates/events", tag = "schedule", operation_id = "event_counts",
    security(("bearer" = ["schedule:view"])), params(RangeQuery),
    responses((status = 200, body = EventCounts), (status = 403), (status = 404, description = "The venue is not one of this theatre's."), (status = 422)))]
#[instrument(skip_all)]
pub async fn event_counts(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<RangeQuery>,
) -> ApiResult<JsonResponse<EventCounts>> {
    let Scope {
        from,
        to,
        client,
        tz,
    } = scope(&state, &user, &query).await?;
    let period = query.period.unwrap_or_default();
    let rows = client
        .query(
            "WITH days AS (
                 SELECT date_trunc($6, d)::date AS bucket,
                        d AT TIME ZONE $2 AS lo, (d + interval '1 day') AT TIME ZONE $2 AS hi
                 FROM generate_series($3::date::timestamp, $4::date::timestamp, interval '1 day') AS d)
             SELECT days.bucket, e.kind, e.status, count(DISTINCT e.id)
             FROM days JOIN events e ON e.theater_id = $1 AND e.starts_at < days.hi
                  AND e.ends_at > days.lo AND ($5::uuid IS NULL OR e.venue_id = $5)
             GROUP BY GROUPING SETS ((days.bucket, e.kind), (days.bucket, e.status), (days.bucket))
             ORDER BY 1",
            &[
                &user.theater_id,
                &tz.name(),
                &from,
                &to,
                &query.venue_id,
                &period.sql(),
            ],
        )
        .await?;
    let mut buckets: BTreeMap<NaiveDate, EventBucket> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        let date = match period {
            Period::Day => day,
            Period::Week => {
                day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
            }
            Period::Month => day.with_day(1).unwrap_or(day),
        };
        buckets.entry(date).or_insert_with(|| EventBucket {
            date,
            ..EventBucket::default()
        });
        day = day.succ_opt().unwrap_or(to + chrono::Duration::days(1));
    }
    for r in rows {
        let date: NaiveDate = r.get(0);
        let count: i64 = r.get(3);
        let Some(b) = buckets.get_mut(&date) else {
            continue;
        };
        match (r.get::<_, Option<String>>(1), r.get::<_, Option<String>>(2)) {
            (Some(kind), None) => {
                b.by_kind.insert(kind, count);
            }
            (None, Some(status)) => {
                b.by_status.insert(status, count);
            }
            _ => b.total = count,
        }
    }
    Ok(JsonResponse(EventCounts {
        timezone: tz.name().to_string(),
        period,
        buckets: buckets.into_values().collect(),
    }))
}

/// One venue's use of a range.
#[derive(Serialize, ToSchema)]
pub struct VenueUse {
    pub venue_id: Uuid,
    pub code: String,
    pub name: String,
    pub is_active: bool,
    /// Non-cancelled events overlapping the range.
    pub events: i64,
    /// Hours blocked by them inside the range, set-up and strike buffers included.
    pub booked_hours: f64,
    /// The hours of the range: every hour of every local day (23 or 25 on a DST change day).
    /// The venue is taken to be bookable around the clock, as the booking rule does.
    pub available_hours: f64,
    /// `booked_hours / available_hours`, 0..1.
    pub utilisation: f64,
}

/// Venue utilisation over a range.
#[derive(Serialize, ToSchema)]
pub struct Utilisation {
    pub timezone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub venues: Vec<VenueUse>,
}

/// Venue utilisation
///
/// Per venue: the hours its non-cancelled events block (buffers included, clipped to the
/// range) against the hours of the range (local days of the theatre, around the clock).
#[utoipa::path(get, path = "/api/v1/schedule/aggregates/venues", tag = "schedule", operation_id = "venue_utilisation",
    security(("bearer" = ["schedule:view"])), params(RangeQuery),
    responses((status = 200, body = Utilisation), (status = 403), (status = 404, description = "The venue is not one of this theatre's."), (status = 422)))]
#[instrument(skip_all)]
pub async fn venue_utilisation(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<RangeQuery>,
) -> ApiResult<JsonResponse<Utilisation>> {
    let Scope {
        from,
        to,
        client,
        tz,
    } = scope(&state, &user, &query).await?;
    // A venue's events never overlap (the exclusion constraint), so their clipped busy
    // ranges add up.
    let rows = client
        .query(
            "WITH r AS (SELECT tstzrange($3::date::timestamp AT TIME ZONE $2,
                                         ($4::date + 1)::timestamp AT TIME ZONE $2, '[)') AS span)
             SELECT v.id, v.code, v.name, v.is_active, count(e.id),
                    coalesce(sum(extract(epoch FROM upper(e.busy * r.span) - lower(e.busy * r.span))), 0)::float8 / 3600,
                    extract(epoch FROM upper(r.span) - lower(r.span))::float8 / 3600
             FROM venues v CROSS JOIN r
             LEFT JOIN events e ON e.theater_id = v.theater_id AND e.venue_id = v.id
                  AND e.status <> 'cancelled' AND e.busy && r.span
             WHERE v.theater_id = $1 AND v.deleted_at IS NULL AND ($5::uuid IS NULL OR v.id = $5)
             GROUP BY v.id, v.code, v.name, v.is_active, r.span
             ORDER BY v.name, v.id",
            &[&user.theater_id, &tz.name(), &from, &to, &query.venue_id],
        )
        .await?;
    let venues = rows
        .iter()
        .map(|r| {
            let booked: f64 = r.get(5);
            let available: f64 = r.get(6);
            VenueUse {
                venue_id: r.get(0),
                code: r.get(1),
                name: r.get(2),
                is_active: r.get(3),
                events: r.get(4),
                booked_hours: booked,
                available_hours: available,
                utilisation: if available > 0.0 {
                    booked / available
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(JsonResponse(Utilisation {
        timezone: tz.name().to_string(),
        from,
        to,
        venues,
    }))
}
