//! Reading the audit log (`audit:view`).

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::ApiResult;
use shared::auth::AuthUser;
use shared::extract::Query;
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AuthState;

/// One recorded change.
#[derive(Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// `{field: {from, to}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    /// Only changes at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only changes before this time.
    pub to: Option<DateTime<Utc>>,
}

/// List the audit log
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = ["audit:view"])),
    params(AuditFilter, PageQuery),
    responses((status = 200, body = inline(Page<AuditRecord>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_audit(
    State(state): State<AuthState>,
    user: AuthUser,
    Query(filter): Query<AuditFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<AuditRecord>>> {
    user.require(Permission::AuditView)?;
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT id, actor_id, action, entity_type, entity_id, changes, request_id, created_at
             FROM audit_log
             WHERE theater_id = $1
               AND ($2::text IS NULL OR entity_type = $2)
               AND ($3::uuid IS NULL OR entity_id = $3)
               AND ($4::uuid IS NULL OR actor_id = $4)
               AND ($5::text IS NULL OR action = $5)
               AND ($6::timestamptz IS NULL OR created_at >= $6)
               AND ($7::timestamptz IS NULL OR created_at < $7)
               AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9))
             ORDER BY created_at DESC, id DESC
             LIMIT $10",
            &[
                &user.theater_id,
                &filter.entity_type,
                &filter.entity_id,
                &filter.actor_id,
                &filter.action,
                &filter.from,
                &filter.to,
                &after_time,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let records: Vec<AuditRecord> = rows
        .iter()
        .map(|r| AuditRecord {
            id: r.get("id"),
            actor_id: r.get("actor_id"),
            action: r.get("action"),
            entity_type: r.get("entity_type"),
            entity_id: r.get("entity_id"),
            changes: r.get("changes"),
            request_id: r.get("request_id"),
            created_at: r.get("created_at"),
        })
        .collect();
    Ok(JsonResponse(Page::from_rows(records, limit, |r| {
        (r.created_at, r.id)
    })))
}
