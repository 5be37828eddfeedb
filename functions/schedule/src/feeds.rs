//! iCalendar (RFC 5545) feeds per venue, per person and per performance, for calendar apps
//! that poll a URL: authenticated by a revocable per-user feed token in the query (never the
//! JWT; stored as SHA-256). An unknown, revoked or powerless token is a 404, like an unknown id.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use icalendar::{
    Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus as IcalStatus,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::extract::{Json, Path, Query};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::domain::EventStatus;
use crate::events::{EVENT_COLUMNS, EventView, from_row, theatre_zone};

/// A feed token as its owner sees it (the secret only once, at creation).
#[derive(Serialize, Clone, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token: the secret and the feed URLs it opens.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenView,
    /// Put it in feed URLs as `?token=`. Shown only now.
    pub token: String,
    /// The caller's own feed.
    pub me_url: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// A label, e.g. the calendar app.
    pub name: Option<String>,
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Create a calendar feed token
#[utoipa::path(post, path = "/api/v1/schedule/calendar/tokens", tag = "calendar", operation_id = "create_calendar_token",
    security(("bearer" = ["schedule:view"])), request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_token(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Json(body): Json<CreateTokenRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let name = shared::text::optional_text(body.name.as_deref(), 100)
        .map_err(|m| ApiError::invalid("name", m))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            "INSERT INTO calendar_tokens (id, theater_id, user_id, name, token_hash)
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, created_at, last_used_at, revoked_at",
            &[
                &Uuid::now_v7(),
                &user.theater_id,
                &user.user_id,
                &name,
                &hash(&token),
            ],
        )
        .await?;
    let info = token_row(&row);
    audit::record(
        &tx,
        AuditEntry::by(&user, "calendar_token.create", "calendar_token", info.id).after(&info),
    )
    .await?;
    tx.commit().await?;
    let me_url = format!("/api/v1/schedule/calendar/me.ics?token={token}");
    Ok((
        StatusCode::CREATED,
        JsonResponse(CreatedToken {
            info,
            token,
            me_url,
        }),
    )
        .into_response())
}

fn token_row(r: &tokio_postgres::Row) -> TokenView {
    TokenView {
        id: r.get(0),
        name: r.get(1),
        created_at: r.get(2),
        last_used_at: r.get(3),
        revoked_at: r.get(4),
    }
}

/// The caller's feed tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// List my calendar feed tokens
#[utoipa::path(get, path = "/api/v1/schedule/calendar/tokens", tag = "calendar", operation_id = "list_calendar_tokens",
    security(("bearer" = ["schedule:view"])),
    responses((status = 200, body = TokenList), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_tokens(
    State(state): State<ScheduleState>,
    user: AuthUser,
) -> ApiResult<JsonResponse<TokenList>> {
    user.require(Permission::ScheduleView)?;
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM calendar_tokens
             WHERE theater_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 200",
            &[&user.theater_id, &user.user_id],
        )
        .await?;
    Ok(JsonResponse(TokenList {
        items: rows.iter().map(token_row).collect(),
    }))
}

/// Revoke a calendar feed token
///
/// One's own token; its feed URLs answer 404 from now on.
#[utoipa::path(delete, path = "/api/v1/schedule/calendar/tokens/{id}", tag = "calendar", operation_id = "revoke_calendar_token",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn revoke_token(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE calendar_tokens SET revoked_at = coalesce(revoked_at, now())
             WHERE theater_id = $1 AND user_id = $2 AND id = $3
             RETURNING id, name, created_at, last_used_at, revoked_at",
            &[&user.theater_id, &user.user_id, &id],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "calendar_token.revoke", "calendar_token", id).after(token_row(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// The feed token.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// A feed token from `POST /calendar/tokens`.
    pub token: Option<String>,
}

/// Whom a feed token belongs to.
struct FeedOwner {
    theater_id: Uuid,
    user_id: Uuid,
}

/// The owner of a live token who may still see the schedule; anything else is a 404.
async fn owner(state: &ScheduleState, query: &FeedQuery) -> ApiResult<FeedOwner> {
    let token = query.token.as_deref().ok_or(ApiError::NotFound)?;
    if token.len() > 200 {
        return Err(ApiError::NotFound);
    }
    let client = state.ctx.db.get().await?;
    let row = client
        .query_opt_cached(
            "UPDATE calendar_tokens t SET last_used_at = now()
             FROM users u
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.is_active
               AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = t.user_id
                             AND r.permissions && ARRAY['schedule:view', 'admin:full'])
             RETURNING t.theater_id, t.user_id",
            &[&hash(token)],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(FeedOwner {
        theater_id: row.get(0),
        user_id: row.get(1),
    })
}

/// `<uuid>.ics` → the uuid.
fn feed_id(file: &str) -> ApiResult<Uuid> {
    file.strip_suffix(".ics")
        .and_then(|id| id.parse().ok())
        .ok_or(ApiError::NotFound)
}

/// What a feed covers: from 90 days back to 400 days ahead, at most this many events.
pub const FEED_LIMIT: i64 = 5000;

/// Which events a feed shows.
enum Scope {
    Venue(Uuid),
    Person(Uuid),
    Performance(Uuid),
}

async fn feed(state: &ScheduleState, owner: FeedOwner, scope: Scope) -> ApiResult<Response> {
    let client = state.ctx.db.get().await?;
    let theater = owner.theater_id;
    let (name, filter, id): (String, &str, Uuid) = match scope {
        Scope::Venue(id) => {
            let row = client
                .query_opt_cached(
                    "SELECT name FROM venues WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
                    &[&theater, &id],
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            (row.get(0), "e.venue_id = $2", id)
        }
        Scope::Performance(id) => {
            let row = client
                .query_opt_cached(
                    "SELECT title FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
                    &[&theater, &id],
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            (row.get(0), "e.performance_id = $2", id)
        }
        Scope::Person(id) => (
            "Моё расписание".to_string(),
            "EXISTS (SELECT 1 FROM event_participants p WHERE p.event_id = e.id
                     AND p.user_id = $2 AND p.answer <> 'declined')",
            id,
        ),
    };
    let tz = theatre_zone(&client, theater).await?;
    let now = Utc::now();
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, v.name AS venue_name FROM events e
         JOIN venues v ON v.id = e.venue_id
         WHERE e.theater_id = $1 AND {filter} AND e.ends_at > $3 AND e.starts_at < $4
         ORDER BY e.starts_at, e.id LIMIT $5"
    );
    let rows = client
        .query_cached(
            &sql,
            &[
                &theater,
                &id,
                &(now - Duration::days(90)),
                &(now + Duration::days(400)),
                &FEED_LIMIT,
            ],
        )
        .await?;
    let mut events: Vec<(EventView, String)> = rows
        .iter()
        .map(|r| (from_row(r, tz), r.get("venue_name")))
        .collect();
    // A series is folded into one VEVENT: all of its occurrences this feed shows are needed,
    // not only those in the window, so that EXDATE lists only what is really missing.
    let mut series_ids: Vec<Uuid> = events.iter().filter_map(|(e, _)| e.series_id).collect();
    series_ids.sort();
    series_ids.dedup();
    let mut series = Vec::new();
    if !series_ids.is_empty() {
        events.retain(|(e, _)| e.series_id.is_none());
        let sql = format!(
            "SELECT {EVENT_COLUMNS}, v.name AS venue_name FROM events e
             JOIN venues v ON v.id = e.venue_id
             WHERE e.theater_id = $1 AND {filter} AND e.series_id = ANY($3)
             ORDER BY e.starts_at, e.id"
        );
        let occurrences = client.query(&sql, &[&theater, &id, &series_ids]).await?;
        let rows = client
            .query(
                "SELECT id, rrule, timezone, dtstart, version, updated_at FROM event_series
                 WHERE theater_id = $1 AND id = ANY($2) ORDER BY dtstart, id",
                &[&theater, &series_ids],
            )
            .await?;
        for r in rows {
            let info = Series {
                id: r.get(0),
                rrule: r.get(1),
                tz: crate::domain::zone(r.get(2)),
                dtstart: r.get(3),
                version: r.get(4),
                updated_at: r.get(5),
            };
            let members = occurrences
                .iter()
                .filter(|o| o.get::<_, Option<Uuid>>("series_id") == Some(info.id))
                .map(|o| (from_row(o, tz), o.get("venue_name")))
                .collect();
            series.push((info, members));
        }
    }
    let body = render(&name, tz, &events, &series);
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}

/// A stored series as a feed needs it.
pub struct Series {
    pub id: Uuid,
    pub rrule: String,
    /// The zone the rule is expanded in.
    pub tz: chrono_tz::Tz,
    pub dtstart: DateTime<Utc>,
    /// Bumped by every change of the series or one of its occurrences: the SEQUENCE.
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

fn uid(id: Uuid) -> String {
    format!("{id}@theatre-management-system")
}

/// A local time in `tz` with its TZID (RFC 5545 FORM #3).
fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: t.with_timezone(&tz).naive_local(),
        tzid: tz.name().to_string(),
    }
}

/// An instant of an all-day (`DATE`) or timed (`TZID` local time) series.
fn series_time(t: DateTime<Utc>, tz: chrono_tz::Tz, all_day: bool) -> DatePerhapsTime {
    if all_day {
        DatePerhapsTime::Date(t.with_timezone(&tz).date_naive())
    } else {
        local(t, tz).into()
    }
}

/// The properties an occurrence shares with its series or shows on its own.
fn describe(event: &mut icalendar::Event, e: &EventView, venue: &str) {
    event
        .summary(&e.title)
        .location(venue)
        .status(match e.status {
            EventStatus::Cancelled => IcalStatus::Cancelled,
            EventStatus::Planned => IcalStatus::Tentative,
            _ => IcalStatus::Confirmed,
        })
        .add_property("CATEGORIES", e.kind.as_str());
    if let Some(d) = &e.description {
        event.description(d);
    }
    if let Some(c) = &e.colour {
        event.add_property("COLOR", c);
    }
}

/// A single event: UTC times (all-day events as dates), SEQUENCE from its version.
fn single(e: &EventView, venue: &str) -> icalendar::Event {
    let mut event = icalendar::Event::new();
    event
        .uid(&uid(e.id))
        .sequence(u32::try_from(e.version).unwrap_or(0))
        .timestamp(e.updated_at)
        .last_modified(e.updated_at);
    describe(&mut event, e, venue);
    match (e.start_date, e.end_date) {
        (Some(first), Some(last)) if e.all_day => {
            // DTEND of a date is exclusive (RFC 5545 §3.6.1).
            event.starts(first).ends(last.succ_opt().unwrap_or(last));
        }
        _ => {
            event.starts(e.starts_at).ends(e.ends_at);
        }
    }
    event.done()
}

/// What makes occurrences alike: those that share the most common signature are the series'
/// master, the others are written as RECURRENCE-ID overrides.
fn signature(e: &EventView, venue: &str) -> String {
    let moved = e.recurrence_id != Some(e.starts_at);
    format!(
        "{}|{}|{:?}|{}|{}|{:?}|{}|{}|{}",
        e.kind,
        e.title,
        e.description,
        e.status,
        venue,
        e.colour,
        (e.ends_at - e.starts_at).num_seconds(),
        e.all_day,
        moved
    )
}

/// One series: a master VEVENT with RRULE and EXDATE (every instance of the rule this feed
/// does not show), plus a RECURRENCE-ID VEVENT per occurrence edited on its own. Occurrences
/// the rule does not generate (should a stored rule not match its rows) stay single events.
fn fold(series: &Series, members: &[(EventView, String)]) -> Vec<icalendar::Event> {
    let singles = || members.iter().map(|(e, v)| single(e, v)).collect();
    let Ok(instances) = crate::domain::expand(&series.rrule, &[], series.dtstart, series.tz) else {
        return singles();
    };
    let Some(last) = instances.last() else {
        return singles();
    };
    let Ok(rule) = crate::domain::bounded_rule(&series.rrule, *last) else {
        return singles();
    };
    let (folded, mut out): (Vec<_>, Vec<_>) = members
        .iter()
        .partition(|(e, _)| e.recurrence_id.is_some_and(|r| instances.contains(&r)));
    let mut out: Vec<icalendar::Event> = out.drain(..).map(|(e, v)| single(e, v)).collect();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (e, v) in &folded {
        let sig = signature(e, v);
        match counts.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, n)) => *n += 1,
            None => counts.push((sig, 1)),
        }
    }
    let Some(master_sig) = counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s.clone())
    else {
        return out;
    };
    let Some((template, venue)) = folded.iter().find(|(e, v)| signature(e, v) == master_sig) else {
        return out;
    };
    let tz = series.tz;
    let all_day = template.all_day;
    let rule = if all_day {
        crate::domain::date_until(&rule, tz)
    } else {
        rule
    };
    let sequence = u32::try_from(series.version).unwrap_or(0);
    let stamp = folded
        .iter()
        .map(|(e, _)| e.updated_at)
        .chain([series.updated_at])
        .max()
        .unwrap_or(series.updated_at);
    let length = template.ends_at - template.starts_at;
    let mut master = icalendar::Event::new();
    master
        .uid(&uid(series.id))
        .sequence(sequence)
        .timestamp(stamp)
        .last_modified(stamp)
        .starts(series_time(series.dtstart, tz, all_day))
        .ends(series_time(series.dtstart + length, tz, all_day))
        .add_property("RRULE", rule);
    describe(&mut master, template, venue);
    for instance in &instances {
        if !folded
            .iter()
            .any(|(e, _)| e.recurrence_id == Some(*instance))
        {
            master.exdate(series_time(*instance, tz, all_day));
        }
    }
    out.insert(0, master.done());
    for (e, v) in folded.iter().filter(|(e, v)| signature(e, v) != master_sig) {
        let mut event = icalendar::Event::new();
        event
            .uid(&uid(series.id))
            .sequence(sequence)
            .timestamp(e.updated_at)
            .last_modified(e.updated_at)
            .recurrence_id(series_time(
                e.recurrence_id.unwrap_or(e.starts_at),
                tz,
                all_day,
            ))
            .starts(series_time(e.starts_at, tz, all_day))
            .ends(series_time(e.ends_at, tz, all_day));
        describe(&mut event, e, v);
        out.push(event.done());
    }
    out
}

/// The iCalendar text of single `events` (UTC times, all-day events as dates) and of folded
/// `series` (local times with TZID and a VTIMEZONE per zone used).
pub fn render(
    name: &str,
    tz: chrono_tz::Tz,
    events: &[(EventView, String)],
    series: &[(Series, Vec<(EventView, String)>)],
) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).timezone(tz.name());
    let mut zones: Vec<chrono_tz::Tz> = Vec::new();
    for (s, _) in series {
        if !zones.contains(&s.tz) {
            zones.push(s.tz);
        }
    }
    if !zones.is_empty() {
        let times = series
            .iter()
            .flat_map(|(s, m)| m.iter().map(|(e, _)| e.starts_at).chain([s.dtstart]));
        let from = times.clone().min().unwrap_or_else(Utc::now);
        let to = series
            .iter()
            .flat_map(|(_, m)| m.iter().map(|(e, _)| e.ends_at))
            .chain(times)
            .max()
            .unwrap_or(from);
        for zone in zones {
            calendar.push(crate::vtimezone::vtimezone(zone, from, to));
        }
    }
    for (s, members) in series {
        for event in fold(s, members) {
            calendar.push(event);
        }
    }
    for (e, venue) in events {
        calendar.push(single(e, venue));
    }
    calendar.done().to_string()
}

/// A venue's feed
#[utoipa::path(get, path = "/api/v1/schedule/calendar/venues/{id}.ics", tag = "calendar", operation_id = "venue_calendar_feed",
    params(("id" = Uuid, Path), FeedQuery),
    responses((status = 200, description = "The venue's events as iCalendar.", content_type = "text/calendar", body = String),
        (status = 404, description = "No such venue, or the token is unknown or revoked.")))]
#[instrument(skip_all)]
pub async fn venue_feed(
    State(state): State<ScheduleState>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    let id = feed_id(&file)?;
    let owner = owner(&state, &query).await?;
    feed(&state, owner, Scope::Venue(id)).await
}

/// A performance's feed
#[utoipa::path(get, path = "/api/v1/schedule/calendar/performances/{id}.ics", tag = "calendar", operation_id = "performance_calendar_feed",
    params(("id" = Uuid, Path), FeedQuery),
    responses((status = 200, description = "The performance's events as iCalendar.", content_type = "text/calendar", body = String),
        (status = 404, description = "No such performance, or the token is unknown or revoked.")))]
#[instrument(skip_all)]
pub async fn performance_feed(
    State(state): State<ScheduleState>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    let id = feed_id(&file)?;
    let owner = owner(&state, &query).await?;
    feed(&state, owner, Scope::Performance(id)).await
}

/// The token owner's own feed
#[utoipa::path(get, path = "/api/v1/schedule/calendar/me.ics", tag = "calendar", operation_id = "my_calendar_feed",
    params(FeedQuery),
    responses((status = 200, description = "The events the token's owner is invited to, as iCalendar.", content_type = "text/calendar", body = String),
        (status = 404, description = "The token is unknown or revoked.")))]
#[instrument(skip_all)]
pub async fn my_feed(
    State(state): State<ScheduleState>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    let owner = owner(&state, &query).await?;
    let me = owner.user_id;
    feed(&state, owner, Scope::Person(me)).await
}
