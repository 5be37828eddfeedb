//! Checklists (DOMAIN.md): templates per theatre with a type and ordered items (five seeded
//! with every theatre), and runs per performance (and later per event) whose items are ticked
//! and unticked by a person at a time. The run's status is derived from the ticks.

pub mod db;
pub mod domain;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
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
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use self::db::{ChecklistItemView, ChecklistSummary, TemplateView};
use self::domain::{ChecklistKind, ChecklistStatus, item_texts};
use crate::PerformancesState;
use crate::access::require_performance;

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(ChecklistKind, ChecklistStatus)),
    tags((name = "checklists", description = "Checklist templates and their runs per performance")),
)]
struct ChecklistsDoc;

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::with_openapi(<ChecklistsDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(list_templates, create_template))
        .routes(routes!(update_template, delete_template))
        .routes(routes!(list_checklists, create_checklist))
        .routes(routes!(get_checklist))
        .routes(routes!(tick_item, untick_item))
}

/// Template filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// Only templates of this type.
    pub kind: Option<ChecklistKind>,
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List checklist templates
#[utoipa::path(get, path = "/api/v1/performances/checklists/templates", tag = "checklists",
    security(("bearer" = ["performance:view"])), params(TemplateQuery),
    responses((status = 200, body = inline(Page<TemplateView>), description = "The theatre's templates, oldest first"),
        (status = 400, description = "A bad cursor, limit or kind"), (status = 403, description = "Lacks performance:view")))]
#[instrument(skip_all)]
pub async fn list_templates(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Query(query): Query<TemplateQuery>,
) -> ApiResult<JsonResponse<Page<TemplateView>>> {
    user.require(Permission::PerformanceView)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let client = state.ctx.db.get().await?;
    let rows = db::list_templates(
        &client,
        user.theater_id,
        query.kind,
        page.after()?,
        limit + 1,
    )
    .await?;
    Ok(JsonResponse(Page::from_rows(rows, limit, |t| {
        (t.created_at, t.id)
    })))
}

/// A new template.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplateRequest {
    pub name: String,
    pub kind: ChecklistKind,
    /// The item texts in order (1-200, each up to 500 characters).
    pub items: Vec<String>,
}

/// Create a checklist template
#[utoipa::path(post, path = "/api/v1/performances/checklists/templates", tag = "checklists",
    security(("bearer" = ["performance:edit"])), request_body = CreateTemplateRequest,
    responses((status = 201, body = TemplateView, description = "Created; `ETag` carries its version"),
        (status = 403, description = "Lacks performance:edit"), (status = 422, description = "Invalid name or items")))]
#[instrument(skip_all)]
pub async fn create_template(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Json(body): Json<CreateTemplateRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let name = errors.take("name", shared::text::text(&body.name, 200));
    let items = errors.take("items", item_texts(&body.items));
    let (Some(name), Some(items)) = (name, items) else {
        return Err(errors.into_error());
    };
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let view = db::insert_template(&tx, user.theater_id, &name, body.kind, &items).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "checklist_template.create",
            "checklist_template",
            view.id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Changes a template; omitted fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplateRequest {
    pub name: Option<String>,
    pub kind: Option<ChecklistKind>,
    /// Replaces every item (runs already made keep their copies).
    pub items: Option<Vec<String>>,
}

/// Update a checklist template
#[utoipa::path(patch, path = "/api/v1/performances/checklists/templates/{id}", tag = "checklists",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the last read")),
    request_body = UpdateTemplateRequest,
    responses((status = 200, body = TemplateView, description = "Updated"),
        (status = 403, description = "Lacks performance:edit"), (status = 404, description = "No such template"),
        (status = 412, description = "Stale If-Match"), (status = 422, description = "Invalid name or items")))]
#[instrument(skip_all)]
pub async fn update_template(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateTemplateRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = db::load_template(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let mut errors = FieldErrors::new();
    let name = errors.take(
        "name",
        body.name
            .as_deref()
            .map(|n| shared::text::text(n, 200))
            .transpose(),
    );
    let items = errors.take("items", body.items.as_deref().map(item_texts).transpose());
    let (Some(name), Some(items)) = (name, items) else {
        return Err(errors.into_error());
    };
    let after = db::update_template(
        &tx,
        user.theater_id,
        id,
        name.as_deref(),
        body.kind,
        items.as_deref(),
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "checklist_template.update", "checklist_template", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete a checklist template
#[utoipa::path(delete, path = "/api/v1/performances/checklists/templates/{id}", tag = "checklists",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the last read")),
    responses((status = 204, description = "Deleted; checklists made from it keep their items"),
        (status = 403, description = "Lacks performance:edit"), (status = 404, description = "No such template"),
        (status = 412, description = "Stale If-Match")))]
#[instrument(skip_all)]
pub async fn delete_template(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = db::load_template(&tx, user.theater_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    db::delete_template(&tx, user.theater_id, id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "checklist_template.delete", "checklist_template", id)
            .before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// A checklist run with its items.
#[derive(Serialize, ToSchema)]
pub struct ChecklistView {
    #[serde(flatten)]
    pub summary: ChecklistSummary,
    pub items: Vec<ChecklistItemView>,
}

async fn checklist_view(
    client: &impl deadpool_postgres::GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
    id: Uuid,
) -> ApiResult<ChecklistView> {
    let summary = db::load_checklist(client, theater_id, performance_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = db::items(client, theater_id, id).await?;
    Ok(ChecklistView { summary, items })
}

/// List a performance's checklists
#[utoipa::path(get, path = "/api/v1/performances/{id}/checklists", tag = "checklists",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<ChecklistSummary>), description = "Newest first, with derived status"),
        (status = 400, description = "A bad cursor or limit"),
        (status = 403, description = "Lacks performance:view"), (status = 404, description = "No such performance")))]
#[instrument(skip_all)]
pub async fn list_checklists(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ChecklistSummary>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let rows = db::list_checklists(&client, user.theater_id, id, page.after()?, limit + 1).await?;
    Ok(JsonResponse(Page::from_rows(rows, limit, |c| {
        (c.created_at, c.id)
    })))
}

/// Starts a checklist from a template.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChecklistRequest {
    pub template_id: Uuid,
    /// Default: the template's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The schedule's event this run is for, if any.
    #[serde(default)]
    pub event_id: Option<Uuid>,
}

/// Start a checklist
#[utoipa::path(post, path = "/api/v1/performances/{id}/checklists", tag = "checklists",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateChecklistRequest,
    responses((status = 201, body = ChecklistView, description = "The run with a copy of the template's items"),
        (status = 403, description = "Lacks performance:edit"), (status = 404, description = "No such performance"),
        (status = 422, description = "No such template, or an invalid name")))]
#[instrument(skip_all)]
pub async fn create_checklist(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateChecklistRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let name = shared::text::optional_text(body.name.as_deref(), 200)
        .map_err(|e| ApiError::invalid("name", e))?;
    let template = db::load_template(&tx, user.theater_id, body.template_id, false)
        .await?
        .ok_or_else(|| ApiError::invalid("template_id", "no such template in this theatre"))?;
    let name = name.unwrap_or_else(|| template.name.clone());
    let checklist_id = db::insert_checklist(
        &tx,
        user.theater_id,
        id,
        &template,
        &name,
        body.event_id,
        user.user_id,
    )
    .await?;
    let view = checklist_view(&tx, user.theater_id, id, checklist_id).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            &user,
            "checklist.create",
            "performance_checklist",
            checklist_id,
        )
        .after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(1, view))
}

/// A checklist
#[utoipa::path(get, path = "/api/v1/performances/{id}/checklists/{checklist_id}", tag = "checklists",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), ("checklist_id" = Uuid, Path)),
    responses((status = 200, body = ChecklistView, description = "The run, its items and who ticked them"),
        (status = 403, description = "Lacks performance:view"),
        (status = 404, description = "No such performance or checklist")))]
#[instrument(skip_all)]
pub async fn get_checklist(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, checklist_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<JsonResponse<ChecklistView>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    Ok(JsonResponse(
        checklist_view(&client, user.theater_id, id, checklist_id).await?,
    ))
}

/// An item after a tick or an untick, with the checklist's status.
#[derive(Serialize, ToSchema)]
pub struct TickResult {
    pub item: ChecklistItemView,
    /// Whether this call changed the item (false: it already was so).
    pub changed: bool,
    pub status: ChecklistStatus,
    pub ticked: i64,
    pub total: i64,
}

async fn set_tick(
    state: &PerformancesState,
    user: &AuthUser,
    (id, checklist_id, item_id): (Uuid, Uuid, Uuid),
    tick: bool,
) -> ApiResult<JsonResponse<TickResult>> {
    // Anyone who may see the production may tick: checklists are run by the crew on duty.
    user.require(Permission::PerformanceView)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let by = tick.then_some(user.user_id);
    let (item, changed) = db::set_tick(&tx, user.theater_id, id, checklist_id, item_id, by)
        .await?
        .ok_or(ApiError::NotFound)?;
    if changed {
        let action = if tick {
            "checklist_item.tick"
        } else {
            "checklist_item.untick"
        };
        audit::record(
            &tx,
            AuditEntry::by(user, action, "performance_checklist_item", item_id)
                .after(serde_json::json!({
                    "checklist_id": checklist_id, "ticked": item.ticked, "ticked_by": item.ticked_by,
                })),
        )
        .await?;
    }
    let summary = db::load_checklist(&tx, user.theater_id, id, checklist_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(JsonResponse(TickResult {
        item,
        changed,
        status: summary.status,
        ticked: summary.ticked,
        total: summary.total,
    }))
}

/// Tick an item
#[utoipa::path(put, path = "/api/v1/performances/{id}/checklists/{checklist_id}/items/{item_id}/tick",
    tag = "checklists", security(("bearer" = ["performance:view"])),
    params(("id" = Uuid, Path), ("checklist_id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, body = TickResult, description = "Ticked by the caller now, or already ticked (kept as it was)"),
        (status = 403, description = "Lacks performance:view"),
        (status = 404, description = "No such performance, checklist or item")))]
#[instrument(skip_all)]
pub async fn tick_item(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<JsonResponse<TickResult>> {
    set_tick(&state, &user, ids, true).await
}

/// Untick an item
#[utoipa::path(delete, path = "/api/v1/performances/{id}/checklists/{checklist_id}/items/{item_id}/tick",
    tag = "checklists", security(("bearer" = ["performance:view"])),
    params(("id" = Uuid, Path), ("checklist_id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, body = TickResult, description = "Unticked, or was not ticked"),
        (status = 403, description = "Lacks performance:view"),
        (status = 404, description = "No such performance, checklist or item")))]
#[instrument(skip_all)]
pub async fn untick_item(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<JsonResponse<TickResult>> {
    set_tick(&state, &user, ids, false).await
}
