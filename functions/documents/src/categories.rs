//! Document categories: seeded per theatre (DOMAIN.md), more may be added. A category may
//! require a permission beyond `documents:view` (finance → `documents:view_financial`).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{Json, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DocumentsState;
use crate::domain::{code, text};

/// A category as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// A permission needed on top of `documents:view` to see its documents.
    pub required_permission: Option<String>,
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

fn from_row(row: &tokio_postgres::Row) -> CategoryView {
    CategoryView {
        id: row.get("id"),
        code: row.get("code"),
        name: row.get("name"),
        required_permission: row.get("required_permission"),
        is_system: row.get("is_system"),
        created_at: row.get("created_at"),
        version: row.get("version"),
    }
}

/// List document categories
///
/// A cursor page in code order, like every list.
#[utoipa::path(get, path = "/api/v1/documents/categories", tag = "document-categories", operation_id = "list_document_categories",
    security(("bearer" = ["documents:view"])), params(PageQuery),
    responses((status = 200, body = inline(Page<CategoryView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_categories(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<CategoryView>>> {
    user.require(Permission::DocumentsView)?;
    let limit = page.limit()?;
    let after: Option<String> = page.after()?;
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT id, code, name, required_permission, is_system, created_at, version
             FROM document_categories
             WHERE theater_id = $1 AND ($2::text IS NULL OR code > $2)
             ORDER BY code LIMIT $3",
            &[&user.theater_id, &after, &(limit + 1)],
        )
        .await?;
    let categories = rows.iter().map(from_row).collect();
    Ok(JsonResponse(Page::from_rows(categories, limit, |c| {
        c.code.clone()
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateCategoryRequest {
    pub code: String,
    pub name: String,
    /// `documents:view_financial` or null.
    pub required_permission: Option<String>,
}

/// Create a document category
#[utoipa::path(post, path = "/api/v1/documents/categories", tag = "document-categories", operation_id = "create_document_category",
    security(("bearer" = ["documents:edit"])), request_body = CreateCategoryRequest,
    responses((status = 201, body = CategoryView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_category(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Json(body): Json<CreateCategoryRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    let mut errors = FieldErrors::new();
    let category_code = errors.take("code", code(&body.code));
    let name = errors.take("name", text(&body.name, 100));
    let required = errors.take(
        "required_permission",
        match body.required_permission.as_deref() {
            None => Ok(None),
            Some("documents:view_financial") => Ok(Some("documents:view_financial".to_string())),
            Some(_) => Err("must be documents:view_financial or null".to_string()),
        },
    );
    let (Some(category_code), Some(name), Some(required)) = (category_code, name, required) else {
        return Err(errors.into_error());
    };
    if required.is_some() {
        // Nobody creates a category whose documents they could not see.
        user.require(Permission::DocumentsViewFinancial)?;
    }
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            "INSERT INTO document_categories (id, theater_id, code, name, required_permission)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, code, name, required_permission, is_system, created_at, version",
            &[
                &Uuid::now_v7(),
                &user.theater_id,
                &category_code,
                &name,
                &required,
            ],
        )
        .await?;
    let view = from_row(&row);
    audit::record(
        &tx,
        AuditEntry {
            after: serde_json::to_value(&view).ok(),
            ..AuditEntry::by(
                &user,
                "document_category.create",
                "document_category",
                view.id,
            )
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(view)).into_response())
}

/// The category `id` of the caller's theatre, checking the caller may file documents there.
pub async fn usable_category(
    client: &impl deadpool_postgres::GenericClient,
    user: &AuthUser,
    id: Uuid,
) -> ApiResult<()> {
    let row = client
        .query_opt(
            "SELECT required_permission FROM document_categories WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &id],
        )
        .await?
        .ok_or_else(|| ApiError::invalid("category_id", "no such category in this theatre"))?;
    let required: Option<String> = row.get(0);
    if required.is_some() {
        user.require(Permission::DocumentsViewFinancial)?;
    }
    Ok(())
}
