//! The caller's theatre and its settings.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AuthState;
use crate::domain::text;

/// A theatre (tenant) and its settings.
#[derive(Serialize, Clone, ToSchema)]
pub struct TheaterView {
    pub id: Uuid,
    pub name: String,
    /// IANA time zone used for schedules and reports.
    pub timezone: String,
    pub locale: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// The theatre `id`.
pub async fn load_theater(client: &impl GenericClient, id: Uuid) -> ApiResult<Option<TheaterView>> {
    Ok(client
        .query_opt(
            "SELECT id, name, timezone, locale, settings, created_at, updated_at, version
             FROM theaters WHERE id = $1",
            &[&id],
        )
        .await?
        .map(|r| TheaterView {
            id: r.get("id"),
            name: r.get("name"),
            timezone: r.get("timezone"),
            locale: r.get("locale"),
            settings: r.get("settings"),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
            version: r.get("version"),
        }))
}

/// Get theater
#[utoipa::path(get, path = "/api/v1/theater", tag = "theater", security(("bearer" = [])),
    responses((status = 200, body = TheaterView)))]
#[instrument(skip_all)]
pub async fn get_theater(State(state): State<AuthState>, user: AuthUser) -> ApiResult<Response> {
    let client = state.ctx.db.get().await?;
    let view = load_theater(&client, user.theater_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTheaterRequest {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    /// Replaces the free-form settings object.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

const LOCALES: &[&str] = &["ru", "en"];

fn valid_timezone(tz: &str) -> bool {
    // IANA names: Area/Location (letters, digits, _ - + /), or UTC.
    tz == "UTC"
        || (tz.contains('/')
            && tz.len() <= 64
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+/".contains(c)))
}

/// Update theater
#[utoipa::path(patch, path = "/api/v1/theater", tag = "theater", security(("bearer" = ["system:settings"])),
    params(("If-Match" = Option<String>, Header)),
    request_body = UpdateTheaterRequest,
    responses((status = 200, body = TheaterView), (status = 403), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_theater(
    State(state): State<AuthState>,
    user: AuthUser,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateTheaterRequest>,
) -> ApiResult<Response> {
    user.require(Permission::SystemSettings)?;
    let mut errors = FieldErrors::new();
    let name = errors
        .take(
            "name",
            body.name.as_deref().map(|n| text(n, 200)).transpose(),
        )
        .flatten();
    if let Some(tz) = &body.timezone
        && !valid_timezone(tz)
    {
        errors.add(
            "timezone",
            "must be an IANA time zone such as Europe/Moscow",
        );
    }
    if let Some(locale) = &body.locale
        && !LOCALES.contains(&locale.as_str())
    {
        errors.add("locale", "must be one of: ru, en");
    }
    if let Some(settings) = &body.settings
        && !settings.is_object()
    {
        errors.add("settings", "must be a JSON object");
    }
    errors.finish()?;

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load_theater(&tx, user.theater_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let updated = tx
        .execute(
            "UPDATE theaters SET name = COALESCE($2, name), timezone = COALESCE($3, timezone),
                                 locale = COALESCE($4, locale), settings = COALESCE($5, settings),
                                 version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $6",
            &[
                &user.theater_id,
                &name,
                &body.timezone,
                &body.locale,
                &body.settings,
                &before.version,
            ],
        )
        .await?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let after = load_theater(&tx, user.theater_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "theater.update", "theater", user.theater_id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}
