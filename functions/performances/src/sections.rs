//! The technical passport's sections: the nine of DOMAIN.md made with every performance, plus
//! any the production adds. Content is Markdown. The "свой цех" rule: `performance:edit` edits
//! any section; a member or head of a section's department edits that section's content and
//! responsible person only.

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
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::PerformancesState;
use crate::access::{
    SectionEdit, require_department, require_performance, require_user, section_edit,
};
use crate::domain::{bounded, markdown, section_code, standard_section, text};
use crate::removal::{SubResource, delete_versioned};

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_sections, create_section))
        .routes(routes!(update_section, delete_section))
}

/// A passport section as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct SectionView {
    pub id: Uuid,
    pub performance_id: Uuid,
    /// `lighting`, `sound`, `scenery`, `props`, `costumes`, `makeup`, `video`, `effects`,
    /// `other`, or a code the production added.
    pub code: String,
    pub title: String,
    pub sort_order: i32,
    /// Markdown.
    pub content: String,
    pub responsible_user_id: Option<Uuid>,
    /// The department (цех) that owns the section; its members may edit it.
    pub department_id: Option<Uuid>,
    pub department_code: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT s.id, s.performance_id, s.code, s.title, s.sort_order, s.content,
        s.responsible_user_id, s.department_id, d.code AS department_code, s.version,
        s.created_at, s.updated_at
    FROM performance_sections s
    LEFT JOIN departments d ON d.id = s.department_id";

fn from_row(row: &tokio_postgres::Row) -> SectionView {
    SectionView {
        id: row.get("id"),
        performance_id: row.get("performance_id"),
        code: row.get("code"),
        title: row.get("title"),
        sort_order: row.get("sort_order"),
        content: row.get("content"),
        responsible_user_id: row.get("responsible_user_id"),
        department_id: row.get("department_id"),
        department_code: row.get("department_code"),
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// Section `section_id` of performance `performance_id` in `theater_id`.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    section_id: Uuid,
) -> ApiResult<SectionView> {
    let sql = format!("{SELECT} WHERE s.theater_id = $1 AND s.performance_id = $2 AND s.id = $3");
    client
        .query_opt(&sql, &[&theater_id, &performance_id, &section_id])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(ApiError::NotFound)
}

/// Every section of a performance, in order (for the passport's other parts).
pub async fn all(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
) -> ApiResult<Vec<SectionView>> {
    let sql = format!(
        "{SELECT} WHERE s.theater_id = $1 AND s.performance_id = $2 ORDER BY s.sort_order, s.id"
    );
    let rows = client.query(&sql, &[&theater_id, &performance_id]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// List passport sections
///
/// The performance's sections in order: the nine of DOMAIN.md first, then any added.
#[utoipa::path(get, path = "/api/v1/performances/{id}/sections", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<SectionView>)), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn list_sections(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<SectionView>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after: Option<(i32, Uuid)> = page.after()?;
    let (after_order, after_id) = after.map_or((None, None), |(o, i)| (Some(o), Some(i)));
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let sql = format!(
        "{SELECT} WHERE s.theater_id = $1 AND s.performance_id = $2
           AND ($3::int IS NULL OR (s.sort_order, s.id) > ($3, $4))
         ORDER BY s.sort_order, s.id LIMIT $5"
    );
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &id, &after_order, &after_id, &(limit + 1)],
        )
        .await?;
    let sections = rows.iter().map(from_row).collect();
    Ok(JsonResponse(Page::from_rows(sections, limit, |s| {
        (s.sort_order, s.id)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateSectionRequest {
    /// A standard code (re-creating a deleted one) or a new one: lower-case latin, digits, `_`.
    #[schema(required = true)]
    pub code: String,
    /// Required for a new code; a standard code has its Russian title.
    pub title: Option<String>,
    /// Markdown.
    pub content: Option<String>,
    pub responsible_user_id: Option<Uuid>,
    /// Defaults to the standard section's department.
    pub department_id: Option<Uuid>,
    /// Defaults to after the last section.
    pub sort_order: Option<i32>,
}

/// Add a passport section
#[utoipa::path(post, path = "/api/v1/performances/{id}/sections", tag = "performances",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateSectionRequest,
    responses((status = 201, body = SectionView), (status = 403), (status = 404),
        (status = 409, description = "the performance already has a section with this code"),
        (status = 422)))]
#[instrument(skip_all)]
pub async fn create_section(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateSectionRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let code = errors.take("code", section_code(&body.code));
    let standard = code.as_deref().and_then(standard_section);
    let title = match (body.title.as_deref(), standard) {
        (Some(t), _) => errors.take("title", text(t, 200)),
        (None, Some(s)) => Some(s.title.to_string()),
        (None, None) => {
            errors.add("title", "is required for a section that is not standard");
            None
        }
    };
    let content = errors.take("content", markdown(body.content.as_deref().unwrap_or("")));
    let sort_order = body
        .sort_order
        .and_then(|n| errors.take("sort_order", bounded(n, 0, 100_000)));
    let (Some(code), Some(title), Some(content)) = (code, title, content) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    if let Some(u) = body.responsible_user_id {
        require_user(&tx, user.theater_id, u, "responsible_user_id").await?;
    }
    if let Some(d) = body.department_id {
        require_department(&tx, user.theater_id, d, "department_id").await?;
    }
    let taken = tx
        .query_opt(
            "SELECT 1 FROM performance_sections
             WHERE theater_id = $1 AND performance_id = $2 AND code = $3",
            &[&user.theater_id, &id, &code],
        )
        .await?;
    if taken.is_some() {
        return Err(ApiError::conflict_with(
            format!("the performance already has a section {code}"),
            serde_json::json!({ "field": "code" }),
        ));
    }
    let section_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO performance_sections (id, theater_id, performance_id, code, title,
             sort_order, content, responsible_user_id, department_id)
         VALUES ($1, $2, $3, $4, $5,
                 coalesce($6, (SELECT coalesce(max(sort_order), 0) + 10 FROM performance_sections
                               WHERE theater_id = $2 AND performance_id = $3)),
                 $7, $8,
                 coalesce($9, (SELECT d.id FROM departments d
                               WHERE d.theater_id = $2 AND d.code = $10 AND d.deleted_at IS NULL)))",
        &[
            &section_id,
            &user.theater_id,
            &id,
            &code,
            &title,
            &sort_order,
            &content,
            &body.responsible_user_id,
            &body.department_id,
            &standard.and_then(|s| s.department),
        ],
    )
    .await?;
    let view = load(&tx, user.theater_id, id, section_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_section.create",
            "performance_section",
            section_id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// A change to a section; absent fields stay, `null` clears. A department member without
/// `performance:edit` may change `content` and `responsible_user_id` only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSectionRequest {
    pub title: Option<String>,
    /// Markdown.
    pub content: Option<String>,
    pub sort_order: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub responsible_user_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Patch<Uuid>,
}

/// Update a passport section
///
/// Anyone with `performance:edit` edits any section; a member or head of the section's
/// department (свой цех) edits its content and responsible person. `If-Match` makes a stale
/// change a 412.
#[utoipa::path(patch, path = "/api/v1/performances/{id}/sections/{section_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("section_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The section's version as an ETag")),
    request_body = UpdateSectionRequest,
    responses((status = 200, body = SectionView), (status = 403, description = "Neither performance:edit nor a member of the section's department"),
        (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_section(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateSectionRequest>,
) -> ApiResult<Response> {
    let mut errors = FieldErrors::new();
    let title = body.title.and_then(|t| errors.take("title", text(&t, 200)));
    let content = body
        .content
        .and_then(|c| errors.take("content", markdown(&c)));
    let sort_order = body
        .sort_order
        .and_then(|n| errors.take("sort_order", bounded(n, 0, 100_000)));
    errors.finish()?;
    let responsible = body.responsible_user_id.into_option();
    let department = body.department_id.into_option();
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performance_sections
             WHERE theater_id = $1 AND performance_id = $2 AND id = $3 FOR UPDATE",
            &[&user.theater_id, &id, &section_id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, id, section_id).await?;
    let right = section_edit(&tx, &user, before.department_id).await?;
    if right == SectionEdit::OwnDepartment
        && (title.is_some() || sort_order.is_some() || department.is_some())
    {
        return Err(ApiError::Forbidden(
            "performance:edit (a department may change only its section's content and responsible person)"
                .into(),
        ));
    }
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(Some(u)) = responsible {
        require_user(&tx, user.theater_id, u, "responsible_user_id").await?;
    }
    if let Some(Some(d)) = department {
        require_department(&tx, user.theater_id, d, "department_id").await?;
    }
    tx.execute(
        "UPDATE performance_sections SET
            title = coalesce($3, title),
            content = coalesce($4, content),
            sort_order = coalesce($5, sort_order),
            responsible_user_id = CASE WHEN $6 THEN $7 ELSE responsible_user_id END,
            department_id = CASE WHEN $8 THEN $9 ELSE department_id END,
            version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &section_id,
            &title,
            &content,
            &sort_order,
            &responsible.is_some(),
            &responsible.flatten(),
            &department.is_some(),
            &department.flatten(),
        ],
    )
    .await?;
    let after = load(&tx, user.theater_id, id, section_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "performance_section.update",
            "performance_section",
            section_id,
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete a passport section
#[utoipa::path(delete, path = "/api/v1/performances/{id}/sections/{section_id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("section_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The section's version as an ETag")),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_section(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let before = load(&tx, user.theater_id, id, section_id).await?;
    delete_versioned(
        tx,
        &user,
        SubResource::Section,
        section_id,
        expected,
        &before,
    )
    .await
}
