//! Venues: stages, rehearsal rooms, the warehouse and workshop (seeded per theatre), with the
//! set-up and strike buffers that events held there block by default.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::Page;
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::text::{optional_text, text};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::domain::{VenueKind, buffer, code};

/// A venue as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct VenueView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: VenueKind,
    pub capacity: Option<i32>,
    /// Minutes blocked before each event (default for events held here).
    pub setup_minutes: i32,
    /// Minutes blocked after each event.
    pub strike_minutes: i32,
    pub is_active: bool,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const COLUMNS: &str = "id, code, name, kind, capacity, setup_minutes, strike_minutes, is_active,
    description, created_at, updated_at, version";

fn from_row(row: &tokio_postgres::Row) -> VenueView {
    VenueView {
        id: row.get("id"),
        code: row.get("code"),
        name: row.get("name"),
        kind: VenueKind::parse(row.get("kind")).unwrap_or(VenueKind::Other),
        capacity: row.get("capacity"),
        setup_minutes: row.get("setup_minutes"),
        strike_minutes: row.get("strike_minutes"),
        is_active: row.get("is_active"),
        description: row.get("description"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    }
}

/// Venue `id` of `theater`, if it exists (and is not deleted).
pub async fn load_venue(
    client: &impl GenericClient,
    theater: Uuid,
    id: Uuid,
    lock: bool,
) -> ApiResult<Option<VenueView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM venues WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    Ok(client
        .query_opt(&sql, &[&theater, &id])
        .await?
        .as_ref()
        .map(from_row))
}

/// Filters of the venue list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct VenueQuery {
    pub kind: Option<VenueKind>,
    /// Only active (true) or inactive (false) venues.
    pub is_active: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List venues
///
/// In code order, a cursor page like every list.
#[utoipa::path(get, path = "/api/v1/schedule/venues", tag = "schedule", operation_id = "list_venues",
    security(("bearer" = ["schedule:view"])), params(VenueQuery),
    responses((status = 200, body = inline(Page<VenueView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_venues(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<VenueQuery>,
) -> ApiResult<JsonResponse<Page<VenueView>>> {
    user.require(Permission::ScheduleView)?;
    let page = shared::pagination::PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after: Option<String> = page.after()?;
    let client = state.ctx.db.get().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM venues
         WHERE theater_id = $1 AND deleted_at IS NULL
           AND ($2::text IS NULL OR kind = $2) AND ($3::bool IS NULL OR is_active = $3)
           AND ($4::text IS NULL OR code COLLATE \"C\" > $4)
         ORDER BY code COLLATE \"C\" LIMIT $5"
    );
    let kind = query.kind.map(VenueKind::as_str);
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &kind,
                &query.is_active,
                &after,
                &(limit + 1),
            ],
        )
        .await?;
    let venues = rows.iter().map(from_row).collect();
    Ok(JsonResponse(Page::from_rows(venues, limit, |v| {
        v.code.clone()
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateVenueRequest {
    #[schema(required = true)]
    pub code: String,
    #[schema(required = true)]
    pub name: String,
    #[schema(required = true)]
    pub kind: Option<VenueKind>,
    pub capacity: Option<i32>,
    pub setup_minutes: Option<i32>,
    pub strike_minutes: Option<i32>,
    pub is_active: Option<bool>,
    pub description: Option<String>,
}

/// Create a venue
#[utoipa::path(post, path = "/api/v1/schedule/venues", tag = "schedule", operation_id = "create_venue",
    security(("bearer" = ["schedule:edit"])), request_body = CreateVenueRequest,
    responses((status = 201, body = VenueView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_venue(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Json(body): Json<CreateVenueRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut errors = FieldErrors::new();
    let venue_code = errors.take("code", code(&body.code));
    let name = errors.take("name", text(&body.name, 200));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 5000),
    );
    let setup = errors.take("setup_minutes", buffer(body.setup_minutes.unwrap_or(0)));
    let strike = errors.take("strike_minutes", buffer(body.strike_minutes.unwrap_or(0)));
    if body.kind.is_none() {
        errors.add("kind", "is required");
    }
    if body.capacity.is_some_and(|c| !(0..=100_000).contains(&c)) {
        errors.add("capacity", "must be between 0 and 100000");
    }
    let (Some(venue_code), Some(name), Some(description), Some(setup), Some(strike), Some(kind)) =
        (venue_code, name, description, setup, strike, body.kind)
    else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let taken = tx
        .query_opt(
            "SELECT 1 FROM venues WHERE theater_id = $1 AND code = $2 AND deleted_at IS NULL",
            &[&user.theater_id, &venue_code],
        )
        .await?;
    if taken.is_some() {
        return Err(ApiError::conflict_with(
            "a venue with this code already exists in this theatre",
            serde_json::json!({"field": "code"}),
        ));
    }
    let sql = format!(
        "INSERT INTO venues (id, theater_id, code, name, kind, capacity, setup_minutes,
                             strike_minutes, is_active, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    );
    let row = tx
        .query_one(
            &sql,
            &[
                &Uuid::now_v7(),
                &user.theater_id,
                &venue_code,
                &name,
                &kind.as_str(),
                &body.capacity,
                &setup,
                &strike,
                &body.is_active.unwrap_or(true),
                &description,
            ],
        )
        .await?;
    let view = from_row(&row);
    audit::record(
        &tx,
        AuditEntry::by(&user, "venue.create", "venue", view.id).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get a venue
#[utoipa::path(get, path = "/api/v1/schedule/venues/{id}", tag = "schedule", operation_id = "get_venue",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = VenueView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_venue(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let client = state.ctx.db.get().await?;
    let view = load_venue(&client, user.theater_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVenueRequest {
    pub name: Option<String>,
    pub kind: Option<VenueKind>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub capacity: Patch<i32>,
    pub setup_minutes: Option<i32>,
    pub strike_minutes: Option<i32>,
    pub is_active: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
}

/// Update a venue
///
/// New buffers apply to events created afterwards; existing events keep theirs.
#[utoipa::path(patch, path = "/api/v1/schedule/venues/{id}", tag = "schedule", operation_id = "update_venue",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateVenueRequest,
    responses((status = 200, body = VenueView), (status = 403), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_venue(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateVenueRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut errors = FieldErrors::new();
    let name = errors.take(
        "name",
        body.name.as_deref().map(|n| text(n, 200)).transpose(),
    );
    let setup = errors.take("setup_minutes", body.setup_minutes.map(buffer).transpose());
    let strike = errors.take(
        "strike_minutes",
        body.strike_minutes.map(buffer).transpose(),
    );
    let description = errors.take(
        "description",
        match &body.description {
            Patch::Missing => Ok(None),
            Patch::Null => Ok(Some(None)),
            Patch::Value(d) => optional_text(Some(d), 5000).map(Some),
        },
    );
    if matches!(body.capacity, Patch::Value(c) if !(0..=100_000).contains(&c)) {
        errors.add("capacity", "must be between 0 and 100000");
    }
    let (Some(name), Some(setup), Some(strike), Some(description)) =
        (name, setup, strike, description)
    else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let capacity = body.capacity.into_option();
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load_venue(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let sql = format!(
        "UPDATE venues SET
            name = COALESCE($3, name), kind = COALESCE($4, kind),
            capacity = CASE WHEN $5 THEN $6 ELSE capacity END,
            setup_minutes = COALESCE($7, setup_minutes), strike_minutes = COALESCE($8, strike_minutes),
            is_active = COALESCE($9, is_active),
            description = CASE WHEN $10 THEN $11 ELSE description END,
            version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let row = tx
        .query_one(
            &sql,
            &[
                &user.theater_id,
                &id,
                &name,
                &body.kind.map(VenueKind::as_str),
                &capacity.is_some(),
                &capacity.flatten(),
                &setup,
                &strike,
                &body.is_active,
                &description.is_some(),
                &description.flatten(),
            ],
        )
        .await?;
    let after = from_row(&row);
    audit::record(
        &tx,
        AuditEntry::by(&user, "venue.update", "venue", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete a venue
///
/// Refused (409) while non-cancelled events that have not ended are booked there; past events
/// keep pointing at the (soft-deleted) venue.
#[utoipa::path(delete, path = "/api/v1/schedule/venues/{id}", tag = "schedule", operation_id = "delete_venue",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_venue(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load_venue(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let booked: i64 = tx
        .query_one(
            "SELECT count(*) FROM events WHERE theater_id = $1 AND venue_id = $2
               AND status <> 'cancelled' AND ends_at > now()",
            &[&user.theater_id, &id],
        )
        .await?
        .get(0);
    if booked > 0 {
        return Err(ApiError::conflict_with(
            format!("{booked} upcoming events are booked in this venue; move or cancel them first"),
            serde_json::json!({"upcoming_events": booked}),
        ));
    }
    tx.execute(
        "UPDATE venues SET deleted_at = now(), version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "venue.delete", "venue", id).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
