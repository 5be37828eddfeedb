//! Document templates: a DOCX with `{{variable}}` placeholders, typed variables, and generation
//! of a filled document for a performance (DOMAIN.md → Documents → Templates).
//!
//! A template is a row pointing at a document of its own whose current version is the DOCX, so
//! the file goes through the documents' versioned upload (presigned PUT → complete → worker
//! verification) and every version of it is kept. Placeholders are read from that version (and
//! cached on the template row per version). Generation resolves every value here, so a missing
//! required variable is a 422 at once, records the values, and leaves filling and conversion to
//! the worker (`generate_document` job), whose result is a new document.

use std::collections::HashMap;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::{FieldError, FieldErrors};
use shared::extract::{IfMatch, Json, Path, Query};
use shared::jobs::GenerateDocument;
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::templates::{
    PERFORMANCE_FIELDS, PerformanceFacts, TemplateOutputFormat, TemplateVariable,
    TemplateVariableType, USER_FIELDS, UserFacts, discovered, format_date, resolve,
};
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DocumentsState;
use crate::access::{VISIBLE, Viewer, visible_document};
use crate::categories::usable_category;
use crate::domain::{optional_text, text};

/// The largest template file read by the API to find its placeholders.
const MAX_TEMPLATE_BYTES: u64 = 20 * 1024 * 1024;

/// A template as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct DocumentTemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The document holding the DOCX: upload the file (and new versions of it) through
    /// `POST /api/v1/documents/{document_id}/versions`.
    pub document_id: Uuid,
    /// The document's current version (the file generation reads); null until one is ready.
    pub current_version_id: Option<Uuid>,
    /// The placeholders found in the current version (as of its last reading).
    pub placeholders: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const TEMPLATE_COLUMNS: &str = "
    t.id, t.name, t.description, t.document_id, d.current_version_id, t.placeholders,
    t.placeholders_version_id, t.created_by, t.created_at, t.updated_at, t.version,
    d.category_id, d.allowed_role_ids";

const TEMPLATE_FROM: &str = "
    FROM document_templates t
    JOIN documents d ON d.id = t.document_id
    JOIN document_categories c ON c.id = d.category_id";

/// A template with what the API does not show.
struct TemplateRow {
    view: DocumentTemplateView,
    placeholders_version_id: Option<Uuid>,
    category_id: Uuid,
    allowed_role_ids: Option<Vec<Uuid>>,
}

fn from_row(row: &tokio_postgres::Row) -> TemplateRow {
    TemplateRow {
        view: DocumentTemplateView {
            id: row.get("id"),
            name: row.get("name"),
            description: row.get("description"),
            document_id: row.get("document_id"),
            current_version_id: row.get("current_version_id"),
            placeholders: row.get("placeholders"),
            created_by: row.get("created_by"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            version: row.get("version"),
        },
        placeholders_version_id: row.get("placeholders_version_id"),
        category_id: row.get("category_id"),
        allowed_role_ids: row.get("allowed_role_ids"),
    }
}

/// The template `id` if the caller can see it (its document is visible to them).
async fn load_template(
    client: &impl GenericClient,
    viewer: &Viewer,
    id: Uuid,
    lock: bool,
) -> ApiResult<TemplateRow> {
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} {TEMPLATE_FROM}
         WHERE {VISIBLE} AND t.theater_id = $1 AND t.deleted_at IS NULL AND t.id = $5 {}",
        if lock { "FOR UPDATE OF t" } else { "" }
    );
    let p = viewer.params();
    client
        .query_opt(&sql, &[p[0], p[1], p[2], p[3], &id])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(ApiError::NotFound)
}

async fn audit_template(
    client: &impl GenericClient,
    user: &AuthUser,
    action: &str,
    id: Uuid,
    before: Option<&DocumentTemplateView>,
    after: Option<&DocumentTemplateView>,
) -> ApiResult<()> {
    audit::record(
        client,
        AuditEntry {
            theater_id: user.theater_id,
            actor_id: Some(user.user_id),
            action,
            entity_type: "document_template",
            entity_id: Some(id),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: after.and_then(|a| serde_json::to_value(a).ok()),
        },
    )
    .await
}

/// List templates
#[utoipa::path(get, path = "/api/v1/documents/templates", tag = "document-templates",
    security(("bearer" = ["documents:view"])), params(PageQuery),
    responses((status = 200, body = inline(Page<DocumentTemplateView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_document_templates(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<DocumentTemplateView>>> {
    user.require(Permission::DocumentsView)?;
    let viewer = Viewer::from(&user);
    let limit = page.limit()?;
    let after: Option<(String, Uuid)> = page.after()?;
    let (after_name, after_id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
    let client = state.ctx.db.get().await?;
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} {TEMPLATE_FROM}
         WHERE {VISIBLE} AND t.theater_id = $1 AND t.deleted_at IS NULL
           AND ($5::text IS NULL OR (t.name, t.id) > ($5, $6))
         ORDER BY t.name, t.id LIMIT $7"
    );
    let p = viewer.params();
    let rows = client
        .query(
            &sql,
            &[p[0], p[1], p[2], p[3], &after_name, &after_id, &(limit + 1)],
        )
        .await?;
    let items: Vec<DocumentTemplateView> = rows.iter().map(|r| from_row(r).view).collect();
    Ok(JsonResponse(Page::from_rows(items, limit, |t| {
        (t.name.clone(), t.id)
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDocumentTemplateRequest {
    pub name: String,
    pub description: Option<String>,
    /// An existing document whose current version is the DOCX. Without it a new document is
    /// made for the template (in `category_id`, or the category `other`).
    pub document_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
}

/// Create a template (then upload its DOCX as a version of its document)
#[utoipa::path(post, path = "/api/v1/documents/templates", tag = "document-templates",
    security(("bearer" = ["documents:create"])), request_body = CreateDocumentTemplateRequest,
    responses((status = 201, body = DocumentTemplateView), (status = 403), (status = 409),
        (status = 422)))]
#[instrument(skip_all)]
pub async fn create_document_template(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Json(body): Json<CreateDocumentTemplateRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    let mut errors = FieldErrors::new();
    let name = errors.take("name", text(&body.name, 200));
    let description = errors.take(
        "description",
        optional_text(body.description.as_deref(), 2000),
    );
    if body.document_id.is_some() && body.category_id.is_some() {
        errors.add("category_id", "give either document_id or category_id");
    }
    let (Some(name), Some(description)) = (name, description) else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let document_id = match body.document_id {
        Some(id) => {
            if !visible_document(&tx, &viewer, id, false).await? {
                return Err(ApiError::invalid("document_id", "no such document"));
            }
            id
        }
        None => {
            let category_id = match body.category_id {
                Some(id) => {
                    usable_category(&tx, &user, id).await?;
                    id
                }
                None => tx
                    .query_opt(
                        "SELECT id FROM document_categories WHERE theater_id = $1 AND code = 'other'",
                        &[&user.theater_id],
                    )
                    .await?
                    .map(|r| r.get(0))
                    .ok_or_else(|| ApiError::invalid("category_id", "is required"))?,
            };
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO documents (id, theater_id, category_id, title, description, tags,
                     status, created_by)
                 VALUES ($1, $2, $3, $4, $5, ARRAY['шаблон'], 'active', $6)",
                &[
                    &id,
                    &user.theater_id,
                    &category_id,
                    &format!("Шаблон: {name}"),
                    &description,
                    &user.user_id,
                ],
            )
            .await?;
            id
        }
    };
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO document_templates (id, theater_id, document_id, name, description, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id,
            &user.theater_id,
            &document_id,
            &name,
            &description,
            &user.user_id,
        ],
    )
    .await?;
    let row = load_template(&tx, &viewer, id, false).await?;
    audit_template(
        &tx,
        &user,
        "document_template.create",
        id,
        None,
        Some(&row.view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(row.view.version, row.view))
}

/// Get a template
#[utoipa::path(get, path = "/api/v1/documents/templates/{id}", tag = "document-templates",
    security(("bearer" = ["documents:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentTemplateView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_document_template(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let row = load_template(&client, &Viewer::from(&user), id, false).await?;
    Ok(shared::http::with_etag(row.view.version, row.view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDocumentTemplateRequest {
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
}

/// Update a template
#[utoipa::path(patch, path = "/api/v1/documents/templates/{id}", tag = "document-templates",
    security(("bearer" = ["documents:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateDocumentTemplateRequest,
    responses((status = 200, body = DocumentTemplateView), (status = 403), (status = 404),
        (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_document_template(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateDocumentTemplateRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    let mut errors = FieldErrors::new();
    let name = errors.take(
        "name",
        body.name.as_deref().map(|n| text(n, 200)).transpose(),
    );
    let description = errors.take(
        "description",
        match body.description {
            Patch::Missing => Ok(None),
            Patch::Null => Ok(Some(None)),
            Patch::Value(d) => optional_text(Some(&d), 2000).map(Some),
        },
    );
    let (Some(name), Some(description)) = (name, description) else {
        return Err(errors.into_error());
    };
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load_template(&tx, &viewer, id, true).await?;
    if expected.is_some_and(|v| v != before.view.version) {
        return Err(ApiError::PreconditionFailed);
    }
    tx.execute(
        "UPDATE document_templates SET name = COALESCE($3, name),
             description = CASE WHEN $4 THEN $5 ELSE description END,
             version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &user.theater_id,
            &id,
            &name,
            &description.is_some(),
            &description.clone().flatten(),
        ],
    )
    .await?;
    let after = load_template(&tx, &viewer, id, false).await?;
    audit_template(
        &tx,
        &user,
        "document_template.update",
        id,
        Some(&before.view),
        Some(&after.view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.view.version, after.view))
}

/// Delete a template (its document and the documents made from it stay)
#[utoipa::path(delete, path = "/api/v1/documents/templates/{id}", tag = "document-templates",
    security(("bearer" = ["documents:delete"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_document_template(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsDelete)?;
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load_template(&tx, &viewer, id, true).await?;
    if expected.is_some_and(|v| v != before.view.version) {
        return Err(ApiError::PreconditionFailed);
    }
    tx.execute(
        "UPDATE document_templates SET deleted_at = now(), updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    audit_template(
        &tx,
        &user,
        "document_template.delete",
        id,
        Some(&before.view),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

/// The template's file: the current version's id and storage key, when one is ready.
async fn current_file(
    client: &impl GenericClient,
    theater_id: Uuid,
    row: &TemplateRow,
) -> ApiResult<Option<(Uuid, String)>> {
    let Some(version_id) = row.view.current_version_id else {
        return Ok(None);
    };
    Ok(client
        .query_opt(
            "SELECT id, storage_key FROM document_versions
             WHERE theater_id = $1 AND id = $2 AND status = 'ready'",
            &[&theater_id, &version_id],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

async fn read_object(state: &DocumentsState, key: &str) -> ApiResult<Vec<u8>> {
    let Some(object) = state.storage.get(key).await? else {
        return Err(ApiError::conflict(
            "the template's file is missing from storage; upload it again",
        ));
    };
    if object.size > MAX_TEMPLATE_BYTES {
        return Err(ApiError::conflict(format!(
            "the template's file is larger than {} MB",
            MAX_TEMPLATE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("reading the template: {e}")))?;
    Ok(bytes.into_bytes().to_vec())
}

/// The placeholders of the template's current file: cached per version on the row, read from
/// the DOCX when the version changed. `Err` says why the file cannot be used.
async fn placeholders(
    state: &DocumentsState,
    client: &impl GenericClient,
    user: &AuthUser,
    row: &TemplateRow,
) -> ApiResult<Result<(Uuid, Vec<String>), String>> {
    let Some((version_id, key)) = current_file(client, user.theater_id, row).await? else {
        return Ok(Err(
            "the template has no file yet: upload a DOCX as a version of its document".into(),
        ));
    };
    if row.placeholders_version_id == Some(version_id) {
        return Ok(Ok((version_id, row.view.placeholders.clone())));
    }
    let bytes = read_object(state, &key).await?;
    let found = tokio::task::spawn_blocking(move || shared::docx::placeholders(&bytes))
        .await
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    match found {
        Ok(names) => {
            client
                .execute(
                    "UPDATE document_templates SET placeholders = $3, placeholders_version_id = $4
                     WHERE theater_id = $1 AND id = $2",
                    &[&user.theater_id, &row.view.id, &names, &version_id],
                )
                .await?;
            Ok(Ok((version_id, names)))
        }
        Err(e) => Ok(Err(format!(
            "the template's current file cannot be used: {e}"
        ))),
    }
}

async fn stored_variables(
    client: &impl GenericClient,
    theater_id: Uuid,
    template_id: Uuid,
) -> ApiResult<Vec<TemplateVariable>> {
    let rows = client
        .query(
            "SELECT name, type, label, required, default_value, options, field
             FROM document_template_variables
             WHERE theater_id = $1 AND template_id = $2 ORDER BY position",
            &[&theater_id, &template_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.get(1);
            Ok(TemplateVariable {
                name: r.get(0),
                kind: TemplateVariableType::parse(&kind)
                    .map_err(|e| ApiError::Unexpected(anyhow::anyhow!(e)))?,
                label: r.get(2),
                required: r.get(3),
                default: r.get(4),
                options: r.get(5),
                field: r.get(6),
            })
        })
        .collect()
}

/// A template's variables: the stored definitions, and the placeholders of the file.
#[derive(Serialize, ToSchema)]
pub struct DocumentTemplateVariablesView {
    pub template_id: Uuid,
    /// The document version the placeholders were read from.
    pub file_version_id: Option<Uuid>,
    /// Why the current file cannot be used (none yet, not a DOCX); null when it can.
    pub file_error: Option<String>,
    /// Placeholders found in the file, in order.
    pub placeholders: Vec<String>,
    /// Every variable generation uses: the stored definitions, then placeholders without one
    /// (as optional text).
    pub variables: Vec<TemplateVariable>,
    /// Placeholders of the file that have no stored definition.
    pub undefined: Vec<String>,
    /// Stored definitions whose placeholder is not in the file.
    pub unused: Vec<String>,
}

async fn variables_view(
    state: &DocumentsState,
    client: &impl GenericClient,
    user: &AuthUser,
    row: &TemplateRow,
) -> ApiResult<DocumentTemplateVariablesView> {
    let stored = stored_variables(client, user.theater_id, row.view.id).await?;
    let (file_version_id, names, file_error) = match placeholders(state, client, user, row).await? {
        Ok((v, names)) => (Some(v), names, None),
        Err(why) => (None, vec![], Some(why)),
    };
    let undefined: Vec<String> = names
        .iter()
        .filter(|n| !stored.iter().any(|v| &v.name == *n))
        .cloned()
        .collect();
    let unused = stored
        .iter()
        .filter(|v| file_error.is_none() && !names.contains(&v.name))
        .map(|v| v.name.clone())
        .collect();
    let mut variables = stored;
    variables.extend(undefined.iter().map(|n| discovered(n)));
    Ok(DocumentTemplateVariablesView {
        template_id: row.view.id,
        file_version_id,
        file_error,
        placeholders: names,
        variables,
        undefined,
        unused,
    })
}

/// A template's variables, with the placeholders discovered in its DOCX
#[utoipa::path(get, path = "/api/v1/documents/templates/{id}/variables", tag = "document-templates",
    security(("bearer" = ["documents:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentTemplateVariablesView), (status = 403),
        (status = 404), (status = 409, description = "the file is missing or too large")))]
#[instrument(skip_all)]
pub async fn get_document_template_variables(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<JsonResponse<DocumentTemplateVariablesView>> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    let row = load_template(&client, &Viewer::from(&user), id, false).await?;
    Ok(JsonResponse(
        variables_view(&state, &client, &user, &row).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutDocumentTemplateVariablesRequest {
    /// The complete list, in the order of the generation form; replaces what was stored.
    pub variables: Vec<TemplateVariable>,
}

/// Checks one definition; the messages name what is wrong.
fn check_variable(var: &TemplateVariable, errors: &mut FieldErrors, at: usize) {
    let field = |f: &str| format!("variables[{at}].{f}");
    let name_ok = !var.name.is_empty()
        && var.name.chars().count() <= 100
        && var
            .name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !name_ok {
        errors.add(
            field("name"),
            "1–100 letters, digits, '_', '.' or '-' (as written between {{ }})",
        );
    }
    if let Some(label) = &var.label
        && let Err(m) = text(label, 200)
    {
        errors.add(field("label"), m);
    }
    if var
        .default
        .as_deref()
        .is_some_and(|d| d.chars().count() > 10000)
    {
        errors.add(field("default"), "at most 10000 characters");
    }
    if [&var.label, &var.default, &var.field]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| s.contains('\0')))
        || var.options.iter().any(|o| o.contains('\0'))
    {
        errors.add(field("name"), "texts must not contain NUL characters");
    }
    match var.kind {
        TemplateVariableType::Choice if var.options.is_empty() => {
            errors.add(field("options"), "a choice needs at least one option")
        }
        TemplateVariableType::PerformanceField => match var.field.as_deref() {
            Some(f) if PERFORMANCE_FIELDS.contains(&f) => {}
            _ => errors.add(
                field("field"),
                format!("one of: {}", PERFORMANCE_FIELDS.join(", ")),
            ),
        },
        TemplateVariableType::UserField => match var.field.as_deref() {
            None => {}
            Some(f) if USER_FIELDS.contains(&f) => {}
            _ => errors.add(
                field("field"),
                format!("one of: {}", USER_FIELDS.join(", ")),
            ),
        },
        _ => {
            if let Some(f) = var.field.as_deref()
                && !PERFORMANCE_FIELDS.contains(&f)
            {
                errors.add(
                    field("field"),
                    format!("one of: {}", PERFORMANCE_FIELDS.join(", ")),
                );
            }
        }
    }
    if let Some(default) = var.default.as_deref().filter(|d| !d.is_empty()) {
        let fits = match var.kind {
            TemplateVariableType::Number => default
                .replace([' ', '\u{a0}'], "")
                .replace(',', ".")
                .parse::<f64>()
                .is_ok(),
            TemplateVariableType::Date => NaiveDate::parse_from_str(default, "%d.%m.%Y").is_ok(),
            TemplateVariableType::Choice => var.options.iter().any(|o| o == default),
            _ => true,
        };
        if !fits {
            errors.add(
                field("default"),
                "does not fit the type (numbers like 1 234,50; dates dd.mm.yyyy; a choice's option)",
            );
        }
    }
}

/// Replace a template's variable definitions
#[utoipa::path(put, path = "/api/v1/documents/templates/{id}/variables", tag = "document-templates",
    security(("bearer" = ["documents:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = PutDocumentTemplateVariablesRequest,
    responses((status = 200, body = DocumentTemplateVariablesView), (status = 403),
        (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn put_document_template_variables(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<PutDocumentTemplateVariablesRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsEdit)?;
    let mut errors = FieldErrors::new();
    if body.variables.len() > 200 {
        errors.add("variables", "at most 200 variables");
    }
    for (i, var) in body.variables.iter().enumerate() {
        check_variable(var, &mut errors, i);
        if body.variables[..i].iter().any(|v| v.name == var.name) {
            errors.add(format!("variables[{i}].name"), "appears twice");
        }
    }
    errors.finish()?;
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let row = load_template(&tx, &viewer, id, true).await?;
    if expected.is_some_and(|v| v != row.view.version) {
        return Err(ApiError::PreconditionFailed);
    }
    let before = stored_variables(&tx, user.theater_id, id).await?;
    tx.execute(
        "DELETE FROM document_template_variables WHERE theater_id = $1 AND template_id = $2",
        &[&user.theater_id, &id],
    )
    .await?;
    for (position, var) in body.variables.iter().enumerate() {
        tx.execute(
            "INSERT INTO document_template_variables (theater_id, template_id, name, type, label,
                 required, default_value, options, field, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &user.theater_id,
                &id,
                &var.name,
                &var.kind.as_str(),
                &var.label,
                &var.required,
                &var.default,
                &var.options,
                &var.field,
                &(position as i32),
            ],
        )
        .await?;
    }
    let version: i32 = tx
        .query_one(
            "UPDATE document_templates SET version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 RETURNING version",
            &[&user.theater_id, &id],
        )
        .await?
        .get(0);
    audit::record(
        &tx,
        AuditEntry {
            theater_id: user.theater_id,
            actor_id: Some(user.user_id),
            action: "document_template.put_variables",
            entity_type: "document_template",
            entity_id: Some(id),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&body.variables).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    let row = load_template(&client, &viewer, id, false).await?;
    let view = variables_view(&state, &client, &user, &row).await?;
    Ok(shared::http::with_etag(version, view))
}

/// One generation of a document from a template.
#[derive(Serialize, Clone, ToSchema)]
pub struct DocumentGenerationView {
    pub id: Uuid,
    pub template_id: Uuid,
    pub performance_id: Option<Uuid>,
    /// `docx` or `pdf`.
    pub format: String,
    /// `processing` → `ready` | `failed` (with `error`).
    pub status: String,
    pub error: Option<String>,
    /// The new document; its version appears when the generation is ready.
    pub document_id: Uuid,
    pub version_id: Uuid,
    /// The values filled in, by variable name (texts as written into the document; lists as
    /// arrays).
    #[schema(value_type = Object)]
    pub values: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

fn generation_from_row(row: &tokio_postgres::Row) -> DocumentGenerationView {
    DocumentGenerationView {
        id: row.get("id"),
        template_id: row.get("template_id"),
        performance_id: row.get("performance_id"),
        format: row.get("format"),
        status: row.get("status"),
        error: row.get("error"),
        document_id: row.get("document_id"),
        version_id: row.get("version_id"),
        values: row.get("values"),
        created_at: row.get("created_at"),
        completed_at: row.get("completed_at"),
    }
}

async fn load_generation(
    client: &impl GenericClient,
    theater_id: Uuid,
    template_id: Uuid,
    id: Uuid,
) -> ApiResult<DocumentGenerationView> {
    client
        .query_opt(
            "SELECT id, template_id, performance_id, format, status, error, document_id,
                 version_id, \"values\", created_at, completed_at
             FROM document_generations WHERE theater_id = $1 AND template_id = $2 AND id = $3",
            &[&theater_id, &template_id, &id],
        )
        .await?
        .as_ref()
        .map(generation_from_row)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateDocumentRequest {
    /// The performance whose fields, cast and crew fill the variables that were not typed.
    pub performance_id: Option<Uuid>,
    /// Typed values by variable name: texts, numbers, dates as `YYYY-MM-DD`, a user's id for
    /// `user_field`, arrays of texts for lists.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
    pub format: TemplateOutputFormat,
}

fn performance_status_label(status: &str) -> &str {
    match status {
        "preparation" => "в подготовке",
        "in_repertoire" => "в репертуаре",
        "paused" => "приостановлен",
        "archived" => "в архиве",
        other => other,
    }
}

/// The performance's fields (formatted the Russian way), cast and crew; `None` when the
/// theatre has no such performance.
async fn performance_facts(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<PerformanceFacts>> {
    let Some(row) = client
        .query_opt(
            "SELECT title, subtitle, author, director, genre, age_rating, duration_minutes,
                 intermissions, premiere_date, status
             FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&theater_id, &id],
        )
        .await?
    else {
        return Ok(None);
    };
    let mut facts = PerformanceFacts::default();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            facts.fields.insert(k.to_string(), v);
        }
    };
    for (i, name) in [
        "title",
        "subtitle",
        "author",
        "director",
        "genre",
        "age_rating",
    ]
    .iter()
    .enumerate()
    {
        put(name, row.get(i));
    }
    put(
        "duration_minutes",
        row.get::<_, Option<i32>>(6).map(|m| m.to_string()),
    );
    put("intermissions", Some(row.get::<_, i32>(7).to_string()));
    put(
        "premiere_date",
        row.get::<_, Option<NaiveDate>>(8).map(format_date),
    );
    put(
        "status",
        Some(performance_status_label(row.get(9)).to_string()),
    );
    let people = client
        .query(
            "SELECT pc.kind, pc.role_name,
                 COALESCE(u.first_name || ' ' || u.last_name, pc.person_name), pc.is_understudy
             FROM performance_cast pc LEFT JOIN users u ON u.id = pc.user_id
             WHERE pc.theater_id = $1 AND pc.performance_id = $2
             ORDER BY pc.sort_order, pc.role_name, pc.cast_order",
            &[&theater_id, &id],
        )
        .await?;
    for p in &people {
        let kind: String = p.get(0);
        let role: String = p.get(1);
        let person: String = p.get::<_, Option<String>>(2).unwrap_or_default();
        let understudy = if p.get::<_, bool>(3) {
            " (дублёр)"
        } else {
            ""
        };
        let line = format!("{role} — {person}{understudy}");
        if kind == "cast" {
            facts.cast.push(line);
        } else {
            facts.crew.push(line);
        }
    }
    Ok(Some(facts))
}

/// The users named by `user_field` values (theatre-scoped; others simply are not found).
async fn user_facts(
    client: &impl GenericClient,
    theater_id: Uuid,
    variables: &[TemplateVariable],
    typed: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<HashMap<String, UserFacts>> {
    let ids: Vec<Uuid> = variables
        .iter()
        .filter(|v| v.kind == TemplateVariableType::UserField)
        .filter_map(|v| typed.get(&v.name)?.as_str()?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT id, first_name, last_name, email FROM users
             WHERE theater_id = $1 AND id = ANY($2)",
            &[&theater_id, &ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (first, last): (String, String) = (r.get(1), r.get(2));
            let fields = HashMap::from([
                ("full_name".to_string(), format!("{first} {last}")),
                ("first_name".to_string(), first),
                ("last_name".to_string(), last),
                ("email".to_string(), r.get(3)),
            ]);
            (r.get::<_, Uuid>(0).to_string(), UserFacts { fields })
        })
        .collect())
}

/// 422 listing every typed value that does not fit and every required variable left empty.
fn refuse_unresolved(resolution: &shared::templates::Resolution) -> ApiResult<()> {
    let mut problems: Vec<FieldError> = resolution
        .invalid
        .iter()
        .map(|i| FieldError {
            field: format!("values.{}", i.name),
            message: i.message.clone(),
        })
        .collect();
    problems.extend(resolution.missing.iter().map(|name| FieldError {
        field: format!("values.{name}"),
        message: "is required: type a value (the performance and the default have none)".into(),
    }));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// What a generation is made of.
struct NewGeneration<'a> {
    file_version_id: Uuid,
    performance_id: Option<Uuid>,
    performance_title: Option<&'a str>,
    format: TemplateOutputFormat,
    values: serde_json::Value,
}

/// Writes the new (still empty) document and the generation row with its audit entry. The
/// document inherits the template document's category and access list.
async fn record_generation(
    tx: &deadpool_postgres::Transaction<'_>,
    user: &AuthUser,
    template: &TemplateRow,
    new: NewGeneration<'_>,
) -> ApiResult<DocumentGenerationView> {
    let document_id = Uuid::now_v7();
    let generation_id = Uuid::now_v7();
    let version_id = Uuid::now_v7();
    let today = format_date(Utc::now().date_naive());
    let name = &template.view.name;
    let title: String = match new.performance_title {
        Some(p) => format!("{name} — {p} — {today}"),
        None => format!("{name} — {today}"),
    }
    .chars()
    .take(300)
    .collect();
    tx.execute(
        "INSERT INTO documents (id, theater_id, category_id, title, description, tags, status,
             performance_id, allowed_role_ids, created_by)
         VALUES ($1, $2, $3, $4, $5, ARRAY['сформировано по шаблону'], 'active', $6, $7, $8)",
        &[
            &document_id,
            &user.theater_id,
            &template.category_id,
            &title,
            &format!("Сформирован по шаблону «{name}»."),
            &new.performance_id,
            &template.allowed_role_ids,
            &user.user_id,
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO document_generations (id, theater_id, template_id, template_version_id,
             performance_id, format, \"values\", document_id, version_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &generation_id,
            &user.theater_id,
            &template.view.id,
            &new.file_version_id,
            &new.performance_id,
            &new.format.as_str(),
            &new.values,
            &document_id,
            &version_id,
            &user.user_id,
        ],
    )
    .await?;
    let view = load_generation(tx, user.theater_id, template.view.id, generation_id).await?;
    audit::record(
        tx,
        AuditEntry {
            theater_id: user.theater_id,
            actor_id: Some(user.user_id),
            action: "document_template.generate",
            entity_type: "document_generation",
            entity_id: Some(generation_id),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Generate a document from the template (202; the worker fills it and stores a new document)
#[utoipa::path(post, path = "/api/v1/documents/templates/{id}/generate", tag = "document-templates",
    security(("bearer" = ["documents:create"])), params(("id" = Uuid, Path)),
    request_body = GenerateDocumentRequest,
    responses((status = 202, body = DocumentGenerationView), (status = 403), (status = 404),
        (status = 409, description = "the template has no usable DOCX"),
        (status = 422, description = "missing required variables (each listed as `values.<name>`) or values that do not fit")))]
#[instrument(skip_all)]
pub async fn generate_from_template(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<GenerateDocumentRequest>,
) -> ApiResult<Response> {
    user.require(Permission::DocumentsCreate)?;
    if serde_json::to_string(&body.values).is_ok_and(|s| s.contains("\\u0000")) {
        return Err(ApiError::invalid(
            "values",
            "must not contain NUL characters",
        ));
    }
    let viewer = Viewer::from(&user);
    let mut client = state.ctx.db.get().await?;
    let row = load_template(&client, &viewer, id, false).await?;
    let (file_version_id, names) = placeholders(&state, &client, &user, &row)
        .await?
        .map_err(ApiError::conflict)?;
    let mut variables = stored_variables(&client, user.theater_id, id).await?;
    for name in &names {
        if !variables.iter().any(|v| &v.name == name) {
            variables.push(discovered(name));
        }
    }
    let (facts, performance_title) = match body.performance_id {
        Some(pid) => {
            let facts = performance_facts(&client, user.theater_id, pid)
                .await?
                .ok_or_else(|| ApiError::invalid("performance_id", "no such performance"))?;
            let title = facts.fields.get("title").cloned();
            (facts, title)
        }
        None => (PerformanceFacts::default(), None),
    };
    let users = user_facts(&client, user.theater_id, &variables, &body.values).await?;
    let resolution = resolve(&variables, &body.values, &facts, &users);
    refuse_unresolved(&resolution)?;
    let tx = client.transaction().await?;
    let view = record_generation(
        &tx,
        &user,
        &row,
        NewGeneration {
            file_version_id,
            performance_id: body.performance_id,
            performance_title: performance_title.as_deref(),
            format: body.format,
            values: resolution.recorded(),
        },
    )
    .await?;
    tx.commit().await?;
    let generation_id = view.id;
    let job = GenerateDocument {
        theater_id: user.theater_id,
        generation_id,
        traceparent: None,
    };
    if let Err(e) = state.jobs.generate_document(job).await {
        // The row stays `processing`; the worker's sweeper enqueues it again.
        tracing::error!(error = ?e, %generation_id, "enqueueing generate_document failed");
    }
    Ok((StatusCode::ACCEPTED, JsonResponse(view)).into_response())
}

/// A generation's progress and result
#[utoipa::path(get, path = "/api/v1/documents/templates/{id}/generations/{generation_id}",
    tag = "document-templates", security(("bearer" = ["documents:view"])),
    params(("id" = Uuid, Path), ("generation_id" = Uuid, Path)),
    responses((status = 200, body = DocumentGenerationView), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_document_generation(
    State(state): State<DocumentsState>,
    user: AuthUser,
    Path((id, generation_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<JsonResponse<DocumentGenerationView>> {
    user.require(Permission::DocumentsView)?;
    let client = state.ctx.db.get().await?;
    load_template(&client, &Viewer::from(&user), id, false).await?;
    Ok(JsonResponse(
        load_generation(&client, user.theater_id, id, generation_id).await?,
    ))
}
