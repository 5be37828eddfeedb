//! Participants of events (users of the theatre with a role; each answers for themselves) and
//! people's unavailability. A person busy elsewhere at the same time is reported as a warning,
//! or refused with 409 when the request asks for `strict=true`.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::text::optional_text;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ScheduleState;
use crate::clashes::{PersonClash, person_clashes};
use crate::domain::{Answer, ParticipantRole, answer_given};

/// A participant as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct ParticipantView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub role: ParticipantRole,
    pub answer: Answer,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const COLUMNS: &str = "p.id, p.event_id, p.user_id, u.first_name, u.last_name, p.role, p.answer,
    p.created_at, p.updated_at, p.version";

fn from_row(r: &tokio_postgres::Row) -> ParticipantView {
    ParticipantView {
        id: r.get(0),
        event_id: r.get(1),
        user_id: r.get(2),
        first_name: r.get(3),
        last_name: r.get(4),
        role: ParticipantRole::parse(r.get(5)).unwrap_or(ParticipantRole::Other),
        answer: Answer::parse(r.get(6)).unwrap_or(Answer::Invited),
        created_at: r.get(7),
        updated_at: r.get(8),
        version: r.get(9),
    }
}

async fn load(
    client: &impl GenericClient,
    theater: Uuid,
    event: Uuid,
    id: Uuid,
) -> ApiResult<Option<ParticipantView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM event_participants p JOIN users u ON u.id = p.user_id
         WHERE p.theater_id = $1 AND p.event_id = $2 AND p.id = $3"
    );
    Ok(client
        .query_opt(&sql, &[&theater, &event, &id])
        .await?
        .as_ref()
        .map(from_row))
}

async fn event_exists(client: &impl GenericClient, theater: Uuid, event: Uuid) -> ApiResult<()> {
    client
        .query_opt(
            "SELECT 1 FROM events WHERE theater_id = $1 AND id = $2",
            &[&theater, &event],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(())
}

/// The participants of an event with what keeps each busy meanwhile.
#[derive(Serialize, ToSchema)]
pub struct ParticipantList {
    pub items: Vec<ParticipantView>,
    /// Clashes of the participants who did not decline.
    pub warnings: Vec<PersonClash>,
}

/// List an event's participants
#[utoipa::path(get, path = "/api/v1/schedule/events/{id}/participants", tag = "schedule", operation_id = "list_event_participants",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantList), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_participants(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<JsonResponse<ParticipantList>> {
    user.require(Permission::ScheduleView)?;
    let client = state.ctx.db.get().await?;
    event_exists(&client, user.theater_id, id).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM event_participants p JOIN users u ON u.id = p.user_id
         WHERE p.theater_id = $1 AND p.event_id = $2 ORDER BY u.last_name, u.first_name, p.id"
    );
    let items: Vec<ParticipantView> = client
        .query(&sql, &[&user.theater_id, &id])
        .await?
        .iter()
        .map(from_row)
        .collect();
    let mut warnings = Vec::new();
    for p in items.iter().filter(|p| p.answer != Answer::Declined) {
        warnings.extend(person_clashes(&client, user.theater_id, p.user_id, id).await?);
    }
    Ok(JsonResponse(ParticipantList { items, warnings }))
}

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub user_id: Uuid,
    /// Default `other`.
    #[serde(default)]
    pub role: Option<ParticipantRole>,
}

/// `strict=true` turns a person's clash into a 409.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct StrictQuery {
    /// Refuse (409) instead of warning when the person is busy elsewhere.
    pub strict: Option<bool>,
}

/// An invitation with the clashes found.
#[derive(Serialize, ToSchema)]
pub struct InviteResult {
    #[serde(flatten)]
    pub participant: ParticipantView,
    pub warnings: Vec<PersonClash>,
}

/// Invite a person to an event
///
/// Another event the person is invited to at the same time, or their unavailability, comes
/// back in `warnings`; with `strict=true` it is a 409 listing them in `conflicts`.
#[utoipa::path(post, path = "/api/v1/schedule/events/{id}/participants", tag = "schedule", operation_id = "invite_event_participant",
    security(("bearer" = ["schedule:edit"])), params(("id" = Uuid, Path), StrictQuery),
    request_body = InviteRequest,
    responses((status = 201, body = InviteResult), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn invite_participant(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(strict): Query<StrictQuery>,
    Json(body): Json<InviteRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    tx.query_opt(
        "SELECT 1 FROM events WHERE theater_id = $1 AND id = $2 FOR UPDATE",
        &[&user.theater_id, &id],
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let person = tx
        .query_opt(
            "SELECT 1 FROM users WHERE theater_id = $1 AND id = $2 AND is_active",
            &[&user.theater_id, &body.user_id],
        )
        .await?;
    if person.is_none() {
        return Err(ApiError::invalid("user_id", "no such user in this theatre"));
    }
    let already = tx
        .query_opt(
            "SELECT 1 FROM event_participants WHERE event_id = $1 AND user_id = $2",
            &[&id, &body.user_id],
        )
        .await?;
    if already.is_some() {
        return Err(ApiError::conflict_with(
            "this person is already invited to the event",
            serde_json::json!({ "user_id": body.user_id }),
        ));
    }
    let pid = Uuid::now_v7();
    tx.execute(
        "INSERT INTO event_participants (id, theater_id, event_id, user_id, role)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &pid,
            &user.theater_id,
            &id,
            &body.user_id,
            &body.role.unwrap_or(ParticipantRole::Other).as_str(),
        ],
    )
    .await?;
    let warnings = person_clashes(&tx, user.theater_id, body.user_id, id).await?;
    if strict.strict.unwrap_or(false) && !warnings.is_empty() {
        return Err(ApiError::conflict_with(
            "the person is busy at that time",
            serde_json::json!({ "reason": "person_busy", "conflicts": warnings }),
        ));
    }
    let view = load(&tx, user.theater_id, id, pid)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "event_participant.create", "event_participant", pid).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        shared::http::etag(view.version),
        JsonResponse(InviteResult {
            participant: view,
            warnings,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateParticipantRequest {
    /// Only the invited person may answer: `confirmed`, `declined` or `tentative`.
    pub answer: Option<Answer>,
    /// Needs `schedule:edit`.
    pub role: Option<ParticipantRole>,
}

/// Answer an invitation or change a participant's role
///
/// The answer is the invited person's alone (403 for anyone else, administrators included);
/// the role needs `schedule:edit`.
#[utoipa::path(patch, path = "/api/v1/schedule/events/{id}/participants/{participant_id}", tag = "schedule", operation_id = "update_event_participant",
    security(("bearer" = ["schedule:view"])),
    params(("id" = Uuid, Path), ("participant_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateParticipantRequest,
    responses((status = 200, body = ParticipantView), (status = 403), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_participant(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path((id, participant_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateParticipantRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let answer = body
        .answer
        .map(answer_given)
        .transpose()
        .map_err(|m| ApiError::invalid("answer", m))?;
    if body.role.is_some() {
        user.require(Permission::ScheduleEdit)?;
    }
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id, participant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if answer.is_some() && before.user_id != user.user_id {
        return Err(ApiError::Forbidden(
            "being the invited person (only they answer)".into(),
        ));
    }
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    tx.execute(
        "UPDATE event_participants SET answer = COALESCE($3, answer), role = COALESCE($4, role),
                version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &participant_id,
            &answer.map(Answer::as_str),
            &body.role.map(ParticipantRole::as_str),
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, participant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "event_participant.update",
            "event_participant",
            participant_id,
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Remove a participant
#[utoipa::path(delete, path = "/api/v1/schedule/events/{id}/participants/{participant_id}", tag = "schedule", operation_id = "remove_event_participant",
    security(("bearer" = ["schedule:edit"])),
    params(("id" = Uuid, Path), ("participant_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn remove_participant(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path((id, participant_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id, participant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.execute(
        "DELETE FROM event_participants WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &participant_id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "event_participant.delete",
            "event_participant",
            participant_id,
        )
        .before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// A period in which a person cannot be scheduled.
#[derive(Serialize, Clone, ToSchema)]
pub struct UnavailabilityView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

fn unavailability_row(r: &tokio_postgres::Row) -> UnavailabilityView {
    UnavailabilityView {
        id: r.get(0),
        user_id: r.get(1),
        starts_at: r.get(2),
        ends_at: r.get(3),
        reason: r.get(4),
        created_by: r.get(5),
        created_at: r.get(6),
    }
}

/// Filters of the unavailability list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct UnavailabilityQuery {
    /// Default: everyone.
    pub user_id: Option<Uuid>,
    /// Periods ending after this instant (default now).
    pub from: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List unavailability
#[utoipa::path(get, path = "/api/v1/schedule/unavailability", tag = "schedule", operation_id = "list_unavailability",
    security(("bearer" = ["schedule:view"])), params(UnavailabilityQuery),
    responses((status = 200, body = inline(Page<UnavailabilityView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_unavailability(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Query(query): Query<UnavailabilityQuery>,
) -> ApiResult<JsonResponse<Page<UnavailabilityView>>> {
    user.require(Permission::ScheduleView)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT id, user_id, starts_at, ends_at, reason, created_by, created_at
             FROM unavailability
             WHERE theater_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ends_at > $3
               AND ($4::timestamptz IS NULL OR (starts_at, id) > ($4, $5))
             ORDER BY starts_at, id LIMIT $6",
            &[
                &user.theater_id,
                &query.user_id,
                &query.from.unwrap_or_else(Utc::now),
                &after_time,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let items = rows.iter().map(unavailability_row).collect();
    Ok(JsonResponse(Page::from_rows(items, limit, |u| {
        (u.starts_at, u.id)
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnavailabilityRequest {
    /// Default: the caller. Someone else's needs `schedule:edit`.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Record unavailability
///
/// A day off or an outside engagement; events the person is invited to meanwhile report it.
#[utoipa::path(post, path = "/api/v1/schedule/unavailability", tag = "schedule", operation_id = "create_unavailability",
    security(("bearer" = ["schedule:view"])), request_body = CreateUnavailabilityRequest,
    responses((status = 201, body = UnavailabilityView), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_unavailability(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Json(body): Json<CreateUnavailabilityRequest>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let person = body.user_id.unwrap_or(user.user_id);
    if person != user.user_id {
        user.require(Permission::ScheduleEdit)?;
    }
    crate::domain::time_range(body.starts_at, body.ends_at)
        .map_err(|m| ApiError::invalid("ends_at", m))?;
    let reason =
        optional_text(body.reason.as_deref(), 500).map_err(|m| ApiError::invalid("reason", m))?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let known = tx
        .query_opt(
            "SELECT 1 FROM users WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &person],
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::invalid("user_id", "no such user in this theatre"));
    }
    let row = tx
        .query_one(
            "INSERT INTO unavailability (id, theater_id, user_id, starts_at, ends_at, reason, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, user_id, starts_at, ends_at, reason, created_by, created_at",
            &[
                &Uuid::now_v7(),
                &user.theater_id,
                &person,
                &body.starts_at,
                &body.ends_at,
                &reason,
                &user.user_id,
            ],
        )
        .await?;
    let view = unavailability_row(&row);
    audit::record(
        &tx,
        AuditEntry::by(&user, "unavailability.create", "unavailability", view.id).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(view)).into_response())
}

/// Delete unavailability
///
/// One's own, or anyone's with `schedule:edit`.
#[utoipa::path(delete, path = "/api/v1/schedule/unavailability/{id}", tag = "schedule", operation_id = "delete_unavailability",
    security(("bearer" = ["schedule:view"])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn delete_unavailability(
    State(state): State<ScheduleState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::ScheduleView)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT id, user_id, starts_at, ends_at, reason, created_by, created_at
             FROM unavailability WHERE theater_id = $1 AND id = $2 FOR UPDATE",
            &[&user.theater_id, &id],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let before = unavailability_row(&row);
    if before.user_id != user.user_id {
        user.require(Permission::ScheduleEdit)?;
    }
    tx.execute(
        "DELETE FROM unavailability WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "unavailability.delete", "unavailability", id).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
