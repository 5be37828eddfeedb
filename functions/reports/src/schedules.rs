//! Scheduled reports: definitions the worker runs on time (`worker::reports`), each result a
//! new version of one document per definition.
//!
//! Permissions: the results are documents, so listing needs `documents:view`, and creating,
//! changing or deleting a definition needs `documents:create` plus every permission of its
//! report (runs use the creator's permissions at run time).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ReportsState;
use crate::catalog::{self, Caller, Params, ReportCode, ReportGroupBy, ReportUsageOrder};
use crate::render::ReportFormat;
use crate::slots::{ReportCadence, Timing};

/// The parameters a scheduled report keeps (the period comes from each slot).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportScheduleParams {
    pub group_by: Option<ReportGroupBy>,
    pub order: Option<ReportUsageOrder>,
    pub limit: Option<i64>,
}

/// The last run of a definition.
#[derive(Serialize, ToSchema, Clone)]
pub struct ReportRunView {
    pub slot_start: DateTime<Utc>,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub error: Option<String>,
    /// The document version the run stored.
    pub version_id: Option<Uuid>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A scheduled report.
#[derive(Serialize, ToSchema, Clone)]
pub struct ReportScheduleView {
    pub id: Uuid,
    pub report: ReportCode,
    pub params: ReportScheduleParams,
    pub format: ReportFormat,
    pub cadence: ReportCadence,
    /// Weekly: ISO weekday 1 (Monday) … 7; monthly: day of month 1 … 28; daily: null.
    pub day: Option<i16>,
    /// Local time of the theatre's zone, `HH:MM`.
    pub time: String,
    pub timezone: String,
    pub title: String,
    /// Users of the theatre the result is for.
    pub recipients: Vec<Uuid>,
    pub is_active: bool,
    /// The document whose versions are the results (after the first run).
    pub document_id: Option<Uuid>,
    pub created_by: Uuid,
    /// The next slot (when active).
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run: Option<ReportRunView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const SELECT: &str = "SELECT s.id, s.report_code, s.params, s.format, s.cadence, s.day,
        s.local_time, s.title, s.recipients, s.is_active, s.document_id, s.created_by,
        s.created_at, s.updated_at, s.version, t.timezone,
        r.slot_start, r.status, r.error, r.version_id, r.finished_at
    FROM report_schedules s JOIN theaters t ON t.id = s.theater_id
    LEFT JOIN LATERAL (SELECT * FROM report_runs r WHERE r.schedule_id = s.id
                       ORDER BY r.slot_start DESC LIMIT 1) r ON true";

fn from_row(row: &tokio_postgres::Row, now: DateTime<Utc>) -> ReportScheduleView {
    let timezone: String = row.get("timezone");
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let cadence = ReportCadence::parse(row.get("cadence")).unwrap_or(ReportCadence::Daily);
    let time: NaiveTime = row.get("local_time");
    let day: Option<i16> = row.get("day");
    let is_active: bool = row.get("is_active");
    let timing = Timing {
        cadence,
        day,
        time,
        tz,
    };
    let params: serde_json::Value = row.get("params");
    ReportScheduleView {
        id: row.get("id"),
        report: ReportCode::parse(row.get("report_code")).unwrap_or(ReportCode::InventoryStock),
        params: serde_json::from_value(params).unwrap_or_default(),
        format: ReportFormat::parse(row.get("format")).unwrap_or(ReportFormat::Xlsx),
        cadence,
        day,
        time: time.format("%H:%M").to_string(),
        timezone,
        title: row.get("title"),
        recipients: row.get("recipients"),
        is_active,
        document_id: row.get("document_id"),
        created_by: row.get("created_by"),
        next_run_at: is_active.then(|| timing.next(now)),
        last_run: row
            .get::<_, Option<DateTime<Utc>>>("slot_start")
            .map(|slot_start| ReportRunView {
                slot_start,
                status: row.get("status"),
                error: row.get("error"),
                version_id: row.get("version_id"),
                finished_at: row.get("finished_at"),
            }),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    }
}

async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
    lock: bool,
) -> ApiResult<Option<ReportScheduleView>> {
    if lock {
        client
            .query_opt(
                "SELECT 1 FROM report_schedules WHERE theater_id = $1 AND id = $2 FOR UPDATE",
                &[&theater_id, &id],
            )
            .await?;
    }
    let sql = format!("{SELECT} WHERE s.theater_id = $1 AND s.id = $2");
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .map(|r| from_row(&r, Utc::now())))
}

/// A new scheduled report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReportScheduleRequest {
    pub report: ReportCode,
    #[serde(default)]
    pub params: ReportScheduleParams,
    pub format: ReportFormat,
    pub cadence: ReportCadence,
    /// Weekly: ISO weekday 1 (Monday) … 7; monthly: 1 … 28; omitted for daily.
    pub day: Option<i16>,
    /// Local time `HH:MM` in the theatre's zone.
    pub time: String,
    /// The result document's title (default: the report's title).
    pub title: Option<String>,
    /// User ids of this theatre.
    #[serde(default)]
    pub recipients: Vec<Uuid>,
    pub is_active: Option<bool>,
}

/// Changes to a scheduled report (absent fields stay).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReportScheduleRequest {
    pub params: Option<ReportScheduleParams>,
    pub format: Option<ReportFormat>,
    pub cadence: Option<ReportCadence>,
    /// Required when `cadence` changes to weekly or monthly.
    pub day: Option<i16>,
    pub time: Option<String>,
    pub title: Option<String>,
    pub recipients: Option<Vec<Uuid>>,
    pub is_active: Option<bool>,
}

fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| "must be HH:MM".to_string())
}

fn check_day(cadence: ReportCadence, day: Option<i16>) -> Result<Option<i16>, String> {
    match (cadence, day) {
        (ReportCadence::Daily, None) => Ok(None),
        (ReportCadence::Daily, Some(_)) => Err("is not used by a daily schedule".into()),
        (ReportCadence::Weekly, Some(d)) if (1..=7).contains(&d) => Ok(Some(d)),
        (ReportCadence::Weekly, _) => Err("must be an ISO weekday 1 (Monday) … 7".into()),
        (ReportCadence::Monthly, Some(d)) if (1..=28).contains(&d) => Ok(Some(d)),
        (ReportCadence::Monthly, _) => Err("must be a day of the month 1 … 28".into()),
    }
}

/// The report parameters of a schedule, checked against its report (period excluded).
fn check_params(code: ReportCode, params: &ReportScheduleParams) -> ApiResult<()> {
    let probe = Params {
        from: None,
        to: None,
        group_by: params.group_by,
        order: params.order,
        limit: params.limit,
    };
    match catalog::check(code, &probe) {
        Ok(()) => Ok(()),
        // The period is the slot's: only the other fields are the caller's.
        Err(ApiError::Validation(errors)) => {
            let rest: Vec<_> = errors
                .into_iter()
                .filter(|e| e.field != "from" && e.field != "to")
                .map(|e| shared::error::FieldError {
                    field: format!("params.{}", e.field),
                    message: e.message,
                })
                .collect();
            if rest.is_empty() {
                Ok(())
            } else {
                Err(ApiError::Validation(rest))
            }
        }
        Err(e) => Err(e),
    }
}

async fn check_recipients(
    client: &impl GenericClient,
    theater_id: Uuid,
    recipients: &[Uuid],
) -> ApiResult<()> {
    if recipients.len() > 100 {
        return Err(ApiError::invalid("recipients", "at most 100"));
    }
    let known: i64 = client
        .query_one(
            "SELECT count(*) FROM users WHERE theater_id = $1 AND id = ANY($2)",
            &[&theater_id, &recipients],
        )
        .await?
        .get(0);
    let distinct: std::collections::BTreeSet<_> = recipients.iter().collect();
    if known != distinct.len() as i64 {
        return Err(ApiError::invalid(
            "recipients",
            "every recipient must be a user of this theatre",
        ));
    }
    Ok(())
}

/// List scheduled reports
#[utoipa::path(get, path = "/api/v1/reports/schedules", tag = "reports", operation_id = "list_report_schedules",
    security(("bearer" = ["documents:view"])), params(PageQuery),
    responses((status = 200, body = inline(Page<ReportScheduleView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_schedules(
    State(state): State<ReportsState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ReportScheduleView>>> {
    user.require(Permission::DocumentsView)?;
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_at, after_id) = after.unzip();
    let client = state.ctx.db.get().await?;
    let sql = format!(
        "{SELECT} WHERE s.theater_id = $1
           AND ($2::timestamptz IS NULL OR (s.created_at, s.id) > ($2, $3))
         ORDER BY s.created_at, s.id LIMIT $4"
    );
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &after_at, &after_id, &(limit + 1)],
        )
        .await?;
    let now = Utc::now();
    let items = rows.iter().map(|r| from_row(r, now)).collect();
    Ok(JsonResponse(Page::from_rows(items, limit, |s| {
        (s.created_at, s.id)
    })))
}

/// Schedule a report
///
/// Needs `documents:create` and every permission of the report. The first slot is the first
/// one after now; results become versions of one document (category finance for reports with
/// financial figures, other otherwise).
#[utoipa::path(post, path = "/api/v1/reports/schedules", tag = "reports", operation_id = "create_report_schedule",
    security(("bearer" = ["documents:create"])), request_body = CreateReportScheduleRequest,
    responses((status = 201, body = ReportScheduleView), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_schedule(
    State(state): State<ReportsState>,
    user: AuthUser,
    Json(body): Json<CreateReportScheduleRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    Caller::from_user(&user).require_report(body.report)?;
    let mut errors = FieldErrors::new();
    let time = errors.take("time", parse_time(&body.time));
    let day = errors.take("day", check_day(body.cadence, body.day));
    let title = errors.take(
        "title",
        shared::text::text(body.title.as_deref().unwrap_or(body.report.title()), 300),
    );
    let (Some(time), Some(day), Some(title)) = (time, day, title) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    check_params(body.report, &body.params)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    check_recipients(&tx, user.theater_id, &body.recipients).await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO report_schedules (id, theater_id, report_code, params, format, cadence, day,
             local_time, title, recipients, is_active, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &id,
            &user.theater_id,
            &body.report.as_str(),
            &serde_json::to_value(&body.params).map_err(anyhow::Error::from)?,
            &body.format.as_str(),
            &body.cadence.as_str(),
            &day,
            &time,
            &title,
            &body.recipients,
            &body.is_active.unwrap_or(true),
            &user.user_id,
        ],
    )
    .await?;
    let view = load(&tx, user.theater_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "report_schedule.create", "report_schedule", id).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Change a scheduled report
#[utoipa::path(patch, path = "/api/v1/reports/schedules/{id}", tag = "reports", operation_id = "update_report_schedule",
    security(("bearer" = ["documents:create"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateReportScheduleRequest,
    responses((status = 200, body = ReportScheduleView), (status = 403), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_schedule(
    State(state): State<ReportsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateReportScheduleRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    Caller::from_user(&user).require_report(before.report)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let mut errors = FieldErrors::new();
    let cadence = body.cadence.unwrap_or(before.cadence);
    let day = if body.cadence.is_some() || body.day.is_some() {
        errors.take("day", check_day(cadence, body.day.or(before.day)))
    } else {
        Some(before.day)
    };
    let time = match &body.time {
        Some(t) => errors.take("time", parse_time(t)),
        None => NaiveTime::parse_from_str(&before.time, "%H:%M").ok(),
    };
    let title = match &body.title {
        Some(t) => errors.take("title", shared::text::text(t, 300)),
        None => Some(before.title.clone()),
    };
    let (Some(day), Some(time), Some(title)) = (day, time, title) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let params = body.params.clone().unwrap_or(before.params.clone());
    check_params(before.report, &params)?;
    let recipients = body.recipients.clone().unwrap_or(before.recipients.clone());
    check_recipients(&tx, user.theater_id, &recipients).await?;
    tx.execute(
        "UPDATE report_schedules SET params = $3, format = $4, cadence = $5, day = $6,
             local_time = $7, title = $8, recipients = $9, is_active = $10,
             version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &id,
            &serde_json::to_value(&params).map_err(anyhow::Error::from)?,
            &body.format.unwrap_or(before.format).as_str(),
            &cadence.as_str(),
            &day,
            &time,
            &title,
            &recipients,
            &body.is_active.unwrap_or(before.is_active),
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "report_schedule.update", "report_schedule", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete a scheduled report
///
/// The result document and its versions stay.
#[utoipa::path(delete, path = "/api/v1/reports/schedules/{id}", tag = "reports", operation_id = "delete_report_schedule",
    security(("bearer" = ["documents:create"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_schedule(
    State(state): State<ReportsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    Caller::from_user(&user).require_report(before.report)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    tx.execute(
        "DELETE FROM report_schedules WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "report_schedule.delete", "report_schedule", id).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}
