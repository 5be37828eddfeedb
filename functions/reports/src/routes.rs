//! `GET /api/v1/reports` (the reports the caller may run) and `GET /api/v1/reports/{code}`.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::AuthUser;
use shared::extract::{Path, Query};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ReportsState;
use crate::catalog::{self, Caller, Param, Params, ReportCode, ReportGroupBy, ReportUsageOrder};
use crate::render::{self, ReportFormat, ReportResult};
use crate::table::Table;

/// One report the caller may run.
#[derive(Serialize, ToSchema)]
pub struct ReportInfo {
    pub code: ReportCode,
    pub title: &'static str,
    pub description: &'static str,
    /// Every permission it needs (the caller holds them all).
    pub permissions: Vec<&'static str>,
    /// The query parameters it reads besides `format`.
    pub params: Vec<Param>,
    /// Whether `from` and `to` are required.
    pub over_period: bool,
    pub formats: Vec<ReportFormat>,
}

/// The reports the caller may run.
#[derive(Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportInfo>,
}

/// List the reports the caller may run
///
/// Every report whose permissions the caller holds, with the parameters it reads.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", operation_id = "list_reports",
    security(("bearer" = [])),
    responses((status = 200, body = ReportList)))]
#[instrument(skip_all)]
pub async fn list_reports(user: AuthUser) -> ApiResult<JsonResponse<ReportList>> {
    let caller = Caller::from_user(&user);
    let items = ReportCode::ALL
        .iter()
        .filter(|code| caller.require_report(**code).is_ok())
        .map(|&code| ReportInfo {
            code,
            title: code.title(),
            description: code.description(),
            permissions: code.permissions().iter().map(|p| p.as_str()).collect(),
            params: code.params().to_vec(),
            over_period: code.over_period(),
            formats: ReportFormat::ALL.to_vec(),
        })
        .collect();
    Ok(JsonResponse(ReportList { items }))
}

/// The query of `GET /api/v1/reports/{code}`. Which report reads which parameter:
/// `from`/`to` — inventory_movements, inventory_usage, events_by_kind, venue_utilisation,
/// participant_load, document_versions (required there, refused elsewhere);
/// `group_by` — inventory_stock, inventory_value; `order`, `limit` — inventory_usage.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default), `csv`, `xlsx` or `pdf`.
    pub format: Option<ReportFormat>,
    /// First local date of the period (theatre time zone). Required by inventory_movements,
    /// inventory_usage, events_by_kind, venue_utilisation, participant_load, document_versions.
    pub from: Option<NaiveDate>,
    /// Last local date of the period, inclusive; at most 366 days after `from`. Required with
    /// `from`.
    pub to: Option<NaiveDate>,
    /// inventory_stock, inventory_value: `status`, `category` (default), `location` or
    /// `condition`.
    pub group_by: Option<ReportGroupBy>,
    /// inventory_usage: `most` (default) or `least` used first.
    pub order: Option<ReportUsageOrder>,
    /// inventory_usage: rows, 1..1000 (default 20).
    pub limit: Option<i64>,
}

impl ReportQuery {
    fn params(&self) -> Params {
        Params {
            from: self.from,
            to: self.to,
            group_by: self.group_by,
            order: self.order,
            limit: self.limit,
        }
    }
}

/// How long a stored report's download link works.
const DOWNLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The file name of a report: `inventory_stock-2026-12-07.xlsx`.
pub fn file_name(table: &Table, format: ReportFormat) -> String {
    format!(
        "{}-{}.{}",
        table.code,
        table.generated_local().format("%Y-%m-%d"),
        format.extension()
    )
}

/// Renders `table` as `format` (off the async runtime: XLSX and PDF are CPU-bound).
pub async fn render_file(table: Table, format: ReportFormat) -> ApiResult<(Table, Vec<u8>)> {
    if format == ReportFormat::Pdf && table.rows.len() > render::PDF_MAX_ROWS {
        return Err(ApiError::invalid(
            "format",
            format!(
                "the report has {} rows; a PDF holds at most {}: choose csv or xlsx",
                table.rows.len(),
                render::PDF_MAX_ROWS
            ),
        ));
    }
    tokio::task::spawn_blocking(move || {
        let bytes = match format {
            ReportFormat::Json => {
                serde_json::to_vec(&render::json(&table)).map_err(anyhow::Error::from)
            }
            ReportFormat::Csv => render::csv(&table),
            ReportFormat::Xlsx => render::xlsx(&table),
            ReportFormat::Pdf => render::pdf(&table),
        }?;
        anyhow::Ok((table, bytes))
    })
    .await
    .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("rendering stopped: {e}")))?
    .map_err(ApiError::Unexpected)
}

/// Run a report
///
/// The report as JSON (default) or a CSV, XLSX or PDF attachment. Which parameters each report
/// reads is in `GET /api/v1/reports` and on each parameter below; a parameter the report does
/// not read is a 422. A file larger than the inline limit (4 MB by default: Lambda answers
/// at most 6 MB, base64 included) is written to storage and answered with 303 to a download
/// link valid for 15 minutes.
#[utoipa::path(get, path = "/api/v1/reports/{code}", tag = "reports", operation_id = "run_report",
    security(("bearer" = ["inventory:view", "documents:view_financial", "performance:view", "schedule:view", "documents:view"])),
    params(("code" = ReportCode, Path, description = "The report: inventory_stock (group_by), inventory_value (group_by; needs documents:view_financial), inventory_movements (from, to), inventory_usage (from, to, order, limit), inventory_overdue, performances_by_status, passport_readiness, kit_shortages, events_by_kind (from, to), venue_utilisation (from, to), participant_load (from, to), documents_by_category, document_versions (from, to)."), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (ReportResult = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/pdf"))),
        (status = 303, description = "The file was written to storage: download it from `Location`",
            headers(("Location" = String, description = "A presigned URL of the file, valid 15 minutes"))),
        (status = 403, description = "The caller lacks a permission the report needs"),
        (status = 404, description = "No report has this code"),
        (status = 422, description = "A parameter is missing, invalid or not read by this report")))]
#[instrument(skip_all, fields(code = %code))]
pub async fn run_report(
    State(state): State<ReportsState>,
    user: AuthUser,
    Path(code): Path<String>,
    Query(query): Query<ReportQuery>,
) -> ApiResult<Response> {
    let code = ReportCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let caller = Caller::from_user(&user);
    caller.require_report(code)?;
    let params = query.params();
    catalog::check(code, &params)?;
    let format = query.format.unwrap_or(ReportFormat::Json);
    let client = state.ctx.db.get().await?;
    let table = catalog::run(&client, &caller, code, &params, Utc::now()).await?;
    drop(client);
    let (table, bytes) = render_file(table, format).await?;
    let name = file_name(&table, format);
    if bytes.len() > state.inline_limit {
        let key = shared::keys::report_output(user.theater_id, Uuid::now_v7(), format.as_str());
        // Deleted by the worker's sweeper once the link expired (the lifecycle rule on the tag
        // is the backstop).
        state
            .storage
            .put_temporary(&key, bytes, format.media_type())
            .await?;
        let url = state
            .storage
            .presign_get_as(&key, &name, Some(format.content_type()), DOWNLOAD_TTL)
            .await?;
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response());
    }
    if format == ReportFormat::Json {
        return Ok(([(header::CONTENT_TYPE, format.content_type())], bytes).into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                shared::storage::content_disposition(&name),
            ),
        ],
        bytes,
    )
        .into_response())
}
