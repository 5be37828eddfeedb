//! Documents: metadata, status (draft / active / archived), restricted access, soft delete and
//! full-text search over title, tags, description and the current version's text.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tokio_postgres::types::ToSql;
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DocumentsState;
use crate::access::{VISIBLE, Viewer};
use crate::categories::usable_category;
use crate::domain::{
    DocumentStatus, MATCH_END, MATCH_START, marked_snippet, optional_text, tags, text,
};
use crate::tags::ensure_tags;

/// A document as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub category_id: Uuid,
    pub category_code: String,
    pub tags: Vec<String>,
    /// `draft`, `active` or `archived`.
    pub status: String,
    pub department_id: Option<Uuid>,
    pub performance_id: Option<Uuid>,
    /// Only holders of these roles (and administrators) see the document; null = everyone
    /// with `documents:view`.
    pub allowed_role_ids: Option<Vec<Uuid>>,
    pub current_version_id: Option<Uuid>,
    pub current_version_number: Option<i32>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// Search only: relevance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<f32>,
    /// Search only: the matching passage as HTML-escaped text with the words in `<b>…</b>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

const DOCUMENT_COLUMNS: &str = "
    d.id, d.title, d.description, d.category_id, c.code AS category_code, d.tags, d.status,
    d.department_id, d.performance_id, d.allowed_role_ids, d.current_version_id,
    cv.number AS current_version_number, d.created_by, d.created_at, d.updated_at, d.version";

const DOCUMENT_FROM: &str = "
    FROM documents d
    JOIN document_categories c ON c.id = d.category_id
    LEFT JOIN document_versions cv ON cv.id = d.current_version_id";

fn from_row(row: &tokio_postgres::Row) -> DocumentView {
    DocumentView {
        id: row.get("id"),
        title: row.get("title"),
        description: row.get("description"),
        category_id: row.get("category_id"),
        category_code: row.get("category_code"),
        tags: row.get("tags"),
        status: row.get("status"),
        department_id: row.get("department_id"),
        performance_id: row.get("performance_id"),
        allowed_role_ids: row.get("allowed_role_ids"),
        current_version_id: row.get("current_version_id"),
        current_version_number: row.get("current_version_number"),
        created_by: row.get("created_by"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
        rank: None,
        snippet: None,
    }
}

/// Document `id` as `viewer` sees it; `None` when it does not exist for them.
pub async fn load_document(
    client: &impl GenericClient,
    viewer: &Viewer,
    id: Uuid,
) -> ApiResult<Option<DocumentView>> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} {DOCUMENT_FROM} WHERE {VISIBLE} AND d.id = $5");
    let p = viewer.params();
    Ok(client
        .query_opt_cached(&sql, &[p[0], p[1], p[2], p[3], &id])
        .await?
        .as_ref()
        .map(from_row))
}

fn as_json(view: &DocumentView) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Filters of the document list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// Full-text query (Russian and English stemming; `"phrases"`, `or`, `-word`).
    pub q: Option<String>,
    pub category_id: Option<Uuid>,
    pub tag: Option<String>,
    pub performance_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// `draft`, `active` or `archived`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List documents
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = ["documents:view"])),
    params(DocumentQuery),
    responses((status = 200, body = inline(Page<DocumentView>)), (status = 400), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_documents(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Query(query): Query<DocumentQuery>,
) -> ApiResult<JsonResponse<Page<DocumentView>>> {
    user.require(Permission::DocumentsView)?;
    let viewer = Viewer::from(&user);
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let status = query
        .status
        .as_deref()
        .map(DocumentStatus::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("status", e))?
        .map(DocumentStatus::as_str);
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let client = state.ctx.db.get().await?;
    let filters = "
        AND ($5::uuid IS NULL OR d.category_id = $5)
        AND ($6::text IS NULL OR d.tags @> ARRAY[$6::text])
        AND ($7::uuid IS NULL OR d.performance_id = $7)
        AND ($8::uuid IS NULL OR d.department_id = $8)
        AND ($9::text IS NULL OR d.status = $9)";
    let p = viewer.params();
    match q {
        None => {
            let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
            let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
            let sql = format!(
                "SELECT {DOCUMENT_COLUMNS} {DOCUMENT_FROM} WHERE {VISIBLE} {filters}
                   AND ($10::timestamptz IS NULL OR (d.updated_at, d.id) < ($10, $11))
                 ORDER BY d.updated_at DESC, d.id DESC LIMIT {}",
                PageQuery::fetch_limit(limit)
            );
            let params: [&(dyn ToSql + Sync); 11] = [
                p[0],
                p[1],
                p[2],
                p[3],
                &query.category_id,
                &query.tag,
                &query.performance_id,
                &query.department_id,
                &status,
                &after_time,
                &after_id,
            ];
            let rows = client.query_cached(&sql, &params).await?;
            let docs: Vec<DocumentView> = rows.iter().map(from_row).collect();
            Ok(JsonResponse(Page::from_rows(docs, limit, |d| {
                (d.updated_at, d.id)
            })))
        }
        Some(q) => {
            if q.chars().count() > 500 {
                return Err(ApiError::invalid("q", "must be at most 500 characters"));
            }
            let after: Option<(f32, Uuid)> = page.after()?;
            let (after_rank, after_id) = after.map_or((None, None), |(r, i)| (Some(r), Some(i)));
            // Both stemmers: a Russian word matches its other forms, an English one too. The
            // query is parsed once (MATERIALIZED: inlined, a generic plan parsed it twice per
            // matching row), the page is chosen by rank, and only its rows are joined to their
            // text for a snippet. At 100k documents with 4,981 matches PostgreSQL took 24.5 ms for the
            // old statement (62 ms on a generic plan), 9.9 ms for this one.
            //
            // Unlike the other lists the page size stays a parameter: PostgreSQL then never
            // prefers the generic plan, which cannot see the search words and guesses how many
            // documents match (at 2,022 documents it read every search vector; at 100k it took
            // 17 ms against 9.9 ms for the plan made for the words, EXPLAIN ANALYZE). Planning
            // for each search costs a fraction of a millisecond beside ranking.
            let sql = format!(
                "WITH query AS MATERIALIZED (
                     SELECT websearch_to_tsquery('russian', $10) || websearch_to_tsquery('english', $10) AS tsq
                 ), ranked AS (
                     SELECT d.id, ts_rank(d.search_vector, query.tsq) AS rank
                     FROM documents d JOIN document_categories c ON c.id = d.category_id, query
                     WHERE {VISIBLE} {filters} AND d.search_vector @@ query.tsq
                 ), page AS (
                     SELECT id, rank FROM ranked
                     WHERE ($11::real IS NULL OR (rank, id) < ($11, $12))
                     ORDER BY rank DESC, id DESC LIMIT $15
                 )
                 SELECT {DOCUMENT_COLUMNS}, page.rank,
                        ts_headline('russian',
                            translate(left(coalesce(cv.extracted_text, '') || ' ' || coalesce(d.description, '') || ' ' || d.title, 50000), $13, ''),
                            query.tsq,
                            $14) AS snippet
                 {DOCUMENT_FROM} JOIN page ON page.id = d.id CROSS JOIN query
                 ORDER BY page.rank DESC, d.id DESC"
            );
            let markers = format!("{MATCH_START}{MATCH_END}");
            let headline_options = format!(
                "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=25, MinWords=8, MaxFragments=2"
            );
            let params: [&(dyn ToSql + Sync); 15] = [
                p[0],
                p[1],
                p[2],
                p[3],
                &query.category_id,
                &query.tag,
                &query.performance_id,
                &query.department_id,
                &status,
                &q,
                &after_rank,
                &after_id,
                &markers,
                &headline_options,
                &(limit + 1),
            ];
            let rows = client.query_cached(&sql, &params).await?;
            let docs: Vec<DocumentView> = rows
                .iter()
                .map(|r| DocumentView {
                    rank: Some(r.get("rank")),
                    snippet: Some(marked_snippet(r.get("snippet"))),
                    ..from_row(r)
                })
                .collect();
            Ok(JsonResponse(Page::from_rows(docs, limit, |d| {
                (d.rank.unwrap_or_default(), d.id)
            })))
        }
    }
}

/// Checks that every role id belongs to the caller's theatre.
async fn parse_roles(
    client: &impl GenericClient,
    theater_id: Uuid,
    ids: Option<Vec<Uuid>>,
) -> ApiResult<Option<Vec<Uuid>>> {
    let Some(mut ids) = ids else {
        return Ok(None);
    };
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(ApiError::invalid(
            "allowed_role_ids",
            "list at least one role, or send null for no restriction",
        ));
    }
    let known: i64 = client
        .query_one(
            "SELECT count(*) FROM roles WHERE theater_id = $1 AND id = ANY($2)",
            &[&theater_id, &ids],
        )
        .await?
        .get(0);
    if known != ids.len() as i64 {
        return Err(ApiError::invalid(
            "allowed_role_ids",
            "no such role in this theatre",
        ));
    }
    Ok(Some(ids))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateDocumentRequest {
    #[schema(required = true)]
    pub title: String,
    pub description: Option<String>,
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    /// `draft` (default), `active` or `archived`.
    pub status: Option<String>,
    pub department_id: Option<Uuid>,
    pub performance_id: Option<Uuid>,
    pub allowed_role_ids: Option<Vec<Uuid>>,
}

/// Create document
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", security(("bearer" = ["documents:create"])),
    request_body = CreateDocumentRequest,
    responses((status = 201, body = DocumentView), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Json(body): Json<CreateDocumentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut errors = FieldErrors::new();
    let title = errors.take("title", text(&body.title, 300));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 10000),
    );
    let tag_list = errors.take("tags", tags(&body.tags));
    let status = errors.take(
        "status",
        DocumentStatus::parse(body.status.as_deref().unwrap_or("draft")),
    );
    if body.category_id.is_none() {
        errors.add("category_id", "is required");
    }
    let (Some(title), Some(description), Some(tag_list), Some(status), Some(category_id)) =
        (title, description, tag_list, status, body.category_id)
    else {
        return Err(errors.into_error());
    };
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    usable_category(&tx, &user, category_id).await?;
    let roles = parse_roles(&tx, user.theater_id, body.allowed_role_ids).await?;
    ensure_tags(&tx, user.theater_id, &tag_list).await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO documents (id, theater_id, category_id, title, description, tags, status,
                                department_id, performance_id, allowed_role_ids, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &id,
            &user.theater_id,
            &category_id,
            &title,
            &description,
            &tag_list,
            &status.as_str(),
            &body.department_id,
            &body.performance_id,
            &roles,
            &user.user_id,
        ],
    )
    .await?;
    let view = load_document(&tx, &Viewer::from(&user), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry {
            after: as_json(&view),
            ..AuditEntry::by(&user, "document.create", "document", id)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get document
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = ["documents:view"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let view = load_document(&client, &Viewer::from(&user), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDocumentRequest {
    pub title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    pub category_id: Option<Uuid>,
    pub tags: Option<Vec<String>>,
    pub status: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub performance_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub allowed_role_ids: Patch<Vec<Uuid>>,
}

/// Applies a change under the row lock with the `If-Match` check and an audit row.
async fn change_document(
    state: &DocumentsState,
    user: &AuthUser,
    id: Uuid,
    expected: Option<i32>,
    action: &str,
    apply: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>, &DocumentView) -> ApiResult<()>,
) -> ApiResult<Option<DocumentView>> {
    let viewer = Viewer::from(user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    if !crate::access::visible_document(&tx, &viewer, id, true).await? {
        return Err(ApiError::NotFound);
    }
    let before = load_document(&tx, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    apply(&tx, &before).await?;
    // The editor may have restricted the document away from themselves: read it back as an
    // administrator would, so the response and the audit row show what was stored. `None`
    // after a deletion.
    let after = load_document(
        &tx,
        &Viewer {
            is_admin: true,
            can_view_financial: true,
            ..viewer
        },
        id,
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry {
            before: as_json(&before),
            after: after.as_ref().and_then(as_json),
            ..AuditEntry::by(user, action, "document", id)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Update document
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = ["documents:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateDocumentRequest,
    responses((status = 200, body = DocumentView), (status = 403), (status = 404), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateDocumentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    let mut errors = FieldErrors::new();
    let title = errors.take(
        "title",
        body.title.as_deref().map(|t| text(t, 300)).transpose(),
    );
    let description = errors.take(
        "description",
        match body.description {
            Patch::Missing => Ok(None),
            Patch::Null => Ok(Some(None)),
            Patch::Value(d) => optional_text(Some(&d), 10000).map(Some),
        },
    );
    let tag_list = errors.take("tags", body.tags.as_deref().map(tags).transpose());
    let status = errors.take(
        "status",
        body.status
            .as_deref()
            .map(DocumentStatus::parse)
            .transpose(),
    );
    let (Some(title), Some(description), Some(tag_list), Some(status)) =
        (title, description, tag_list, status)
    else {
        return Err(errors.into_error());
    };
    let department = body.department_id.into_option();
    let performance = body.performance_id.into_option();
    let roles = body.allowed_role_ids.into_option();
    let category_id = body.category_id;
    let after = change_document(
        &state,
        &user,
        id,
        expected,
        "document.update",
        async |tx, _before| {
            if let Some(category_id) = category_id {
                usable_category(tx, &user, category_id).await?;
            }
            let roles = match roles {
                None => None,
                Some(r) => Some(parse_roles(tx, user.theater_id, r).await?),
            };
            if let Some(t) = &tag_list {
                ensure_tags(tx, user.theater_id, t).await?;
            }
            tx.execute(
                "UPDATE documents SET
                    title = COALESCE($3, title),
                    description = CASE WHEN $4 THEN $5 ELSE description END,
                    category_id = COALESCE($6, category_id),
                    tags = COALESCE($7, tags),
                    status = COALESCE($8, status),
                    department_id = CASE WHEN $9 THEN $10 ELSE department_id END,
                    performance_id = CASE WHEN $11 THEN $12 ELSE performance_id END,
                    allowed_role_ids = CASE WHEN $13 THEN $14 ELSE allowed_role_ids END,
                    version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2",
                &[
                    &user.theater_id,
                    &id,
                    &title,
                    &description.is_some(),
                    &description.clone().flatten(),
                    &category_id,
                    &tag_list,
                    &status.map(DocumentStatus::as_str),
                    &department.is_some(),
                    &department.flatten(),
                    &performance.is_some(),
                    &performance.flatten(),
                    &roles.is_some(),
                    &roles.flatten(),
                ],
            )
            .await?;
            Ok(())
        },
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(after.version, after))
}

async fn set_status(
    state: &DocumentsState,
    user: &AuthUser,
    id: Uuid,
    expected: Option<i32>,
    status: DocumentStatus,
    action: &str,
) -> ApiResult<Response> {
    let after = change_document(state, user, id, expected, action, async |tx, _before| {
        tx.execute(
            "UPDATE documents SET status = $3, version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &id, &status.as_str()],
        )
        .await?;
        Ok(())
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Archive document
#[utoipa::path(post, path = "/api/v1/documents/{id}/archive", tag = "documents",
    security(("bearer" = ["documents:edit"])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = DocumentView), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn archive_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    set_status(
        &state,
        &user,
        id,
        expected,
        DocumentStatus::Archived,
        "document.archive",
    )
    .await
}

/// Brings an archived document back as active.
#[utoipa::path(post, path = "/api/v1/documents/{id}/restore", tag = "documents",
    security(("bearer" = ["documents:edit"])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = DocumentView), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn restore_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    set_status(
        &state,
        &user,
        id,
        expected,
        DocumentStatus::Active,
        "document.restore",
    )
    .await
}

/// Soft delete: the document disappears from every view; its versions and files are kept.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents",
    security(("bearer" = ["documents:delete"])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_document(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsDelete)?;
    change_document(
        &state,
        &user,
        id,
        expected,
        "document.delete",
        async |tx, _| {
            tx.execute(
                "UPDATE documents SET deleted_at = now(), version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
                &[&user.theater_id, &id],
            )
            .await?;
            Ok(())
        },
    )
    .await?;
    Ok(shared::http::no_content())
}
