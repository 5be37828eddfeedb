//! Tags: free words attached to documents. Listed for pickers; created explicitly or on first
//! use by a document.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::ApiResult;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{Json, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DocumentsState;
use crate::domain::tag;

/// A tag as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct TagView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct TagQuery {
    /// Tags starting with this text (case-insensitive).
    pub prefix: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List tags
#[utoipa::path(get, path = "/api/v1/documents/tags", tag = "document-tags",
    security(("bearer" = ["documents:view"])), params(TagQuery),
    responses((status = 200, body = inline(Page<TagView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_tags(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Query(q): Query<TagQuery>,
) -> ApiResult<JsonResponse<Page<TagView>>> {
    user.require(Permission::DocumentsView)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.after()?;
    let (after_name, after_id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
    let prefix = q.prefix.map(|p| {
        format!(
            "{}%",
            p.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT id, name, created_at FROM document_tags
             WHERE theater_id = $1 AND ($2::text IS NULL OR name ILIKE $2)
               AND ($3::text IS NULL OR (name, id) > ($3, $4))
             ORDER BY name, id LIMIT $5",
            &[
                &user.theater_id,
                &prefix,
                &after_name,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let tags: Vec<TagView> = rows
        .iter()
        .map(|r| TagView {
            id: r.get(0),
            name: r.get(1),
            created_at: r.get(2),
        })
        .collect();
    Ok(JsonResponse(Page::from_rows(tags, limit, |t| {
        (t.name.clone(), t.id)
    })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateTagRequest {
    pub name: String,
}

/// Create tag
#[utoipa::path(post, path = "/api/v1/documents/tags", tag = "document-tags",
    security(("bearer" = ["documents:create"])), request_body = CreateTagRequest,
    responses((status = 201, body = TagView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_tag(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Json(body): Json<CreateTagRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut errors = FieldErrors::new();
    let Some(name) = errors.take("name", tag(&body.name)) else {
        return Err(errors.into_error());
    };
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            "INSERT INTO document_tags (id, theater_id, name) VALUES ($1, $2, $3)
             RETURNING id, name, created_at",
            &[&Uuid::now_v7(), &user.theater_id, &name],
        )
        .await?;
    let view = TagView {
        id: row.get(0),
        name: row.get(1),
        created_at: row.get(2),
    };
    audit::record(
        &tx,
        AuditEntry {
            after: serde_json::to_value(&view).ok(),
            ..AuditEntry::by(&user, "document_tag.create", "document_tag", view.id)
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(view)).into_response())
}

/// Makes sure every tag in `names` exists in the theatre (documents create tags on first use).
pub async fn ensure_tags(
    client: &impl GenericClient,
    theater_id: Uuid,
    names: &[String],
) -> Result<(), tokio_postgres::Error> {
    if names.is_empty() {
        return Ok(());
    }
    client
        .execute(
            "INSERT INTO document_tags (id, theater_id, name)
             SELECT gen_random_uuid(), $1, n FROM unnest($2::text[]) AS n
             ON CONFLICT (theater_id, name) DO NOTHING",
            &[&theater_id, &names],
        )
        .await?;
    Ok(())
}
