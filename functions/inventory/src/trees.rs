//! Categories and locations: two trees of the same shape. Each node has a code, a name, a
//! colour and icon, a sort order and a parent; categories may be assigned to a department.
//! Cycles are refused by the database (trigger `inventory_tree_no_cycle`). Deletion is soft and
//! refuses while live items remain, unless the caller names where to move them.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::InventoryState;
use crate::domain;
use crate::repo::trees::{from_row, select_sql};
use crate::scope::Scope;

pub use crate::repo::trees::{NodeView, Tree, descendants_sql, id_by_code, load};

fn as_json(view: &NodeView) -> serde_json::Value {
    let mut v = serde_json::to_value(view).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("item_count");
    }
    v
}

/// Filters of a tree listing.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct NodeFilter {
    /// Only the children of this node.
    pub parent_id: Option<Uuid>,
    /// Only root nodes.
    pub roots: Option<bool>,
}

async fn list(
    state: &InventoryState,
    tree: Tree,
    user: &AuthUser,
    filter: NodeFilter,
    page: PageQuery,
) -> ApiResult<Page<NodeView>> {
    user.require(Permission::InventoryView)?;
    let limit = page.limit()?;
    let after: Option<(i32, String, Uuid)> = page.after()?;
    let (a_sort, a_code, a_id) = match after {
        Some((s, c, i)) => (Some(s), Some(c), Some(i)),
        None => (None, None, None),
    };
    let sql = format!(
        "{} WHERE n.theater_id = $1 AND n.deleted_at IS NULL
           AND ($2::uuid IS NULL OR n.parent_id = $2)
           AND (NOT $3 OR n.parent_id IS NULL)
           AND ($4::int IS NULL OR (n.sort_order, n.code, n.id) > ($4, $5::text COLLATE \"C\", $6))
         ORDER BY n.sort_order, n.code COLLATE \"C\", n.id LIMIT $7",
        select_sql(tree)
    );
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &filter.parent_id,
                &filter.roots.unwrap_or(false),
                &a_sort,
                &a_code,
                &a_id,
                &(limit + 1),
            ],
        )
        .await?;
    let nodes: Vec<NodeView> = rows.iter().map(from_row).collect();
    Ok(Page::from_rows(nodes, limit, |n| {
        (n.sort_order, n.code.clone(), n.id)
    }))
}

/// A new category or location.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreateNodeRequest {
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub color: Option<String>,
    pub icon: Option<String>,
    pub sort_order: Option<i32>,
    /// Categories only.
    pub department_id: Option<Uuid>,
    /// Locations only.
    pub description: Option<String>,
}

async fn parent_must_live(
    client: &impl GenericClient,
    tree: Tree,
    theater_id: Uuid,
    parent_id: Option<Uuid>,
) -> ApiResult<()> {
    if let Some(p) = parent_id
        && load(client, tree, theater_id, p).await?.is_none()
    {
        return Err(ApiError::invalid(
            "parent_id",
            "no such parent in this theatre",
        ));
    }
    Ok(())
}

async fn create(
    state: &InventoryState,
    tree: Tree,
    user: &AuthUser,
    body: CreateNodeRequest,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut errors = FieldErrors::new();
    let code = errors.take("code", tree.parse_code(&body.code));
    let name = errors.take("name", domain::text(&body.name, 200));
    let color = errors.take(
        "color",
        body.color.as_deref().map(domain::color).transpose(),
    );
    let icon = errors.take("icon", domain::optional_text(body.icon.as_deref(), 50));
    let description = errors.take(
        "description",
        domain::optional_text(body.description.as_deref(), 2000),
    );
    if tree == Tree::Locations && body.department_id.is_some() {
        errors.add("department_id", "only categories belong to departments");
    }
    if tree == Tree::Categories && description.as_ref().is_some_and(|d| d.is_some()) {
        errors.add("description", "only locations have a description");
    }
    let (Some(code), Some(name), Some(color), Some(icon), Some(description)) =
        (code, name, color, icon, description)
    else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    Scope::of(&tx, user).await?.require_everything()?;
    parent_must_live(&tx, tree, user.theater_id, body.parent_id).await?;
    let id = Uuid::now_v7();
    let sort_order = body.sort_order.unwrap_or(0);
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &id,
        &user.theater_id,
        &code,
        &name,
        &body.parent_id,
        &color,
        &icon,
        &sort_order,
    ];
    let (extra_column, extra): (&str, &(dyn tokio_postgres::types::ToSql + Sync)) = match tree {
        Tree::Categories => ("department_id", &body.department_id),
        Tree::Locations => ("description", &description),
    };
    params.push(extra);
    let sql = format!(
        "INSERT INTO {} (id, theater_id, code, name, parent_id, color, icon, sort_order, {extra_column})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tree.table()
    );
    tx.execute(&sql, &params).await?;
    let view = load(&tx, tree, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(
            user,
            &format!("{}.create", tree.entity()),
            tree.entity(),
            id,
        )
        .after(as_json(&view)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Changes to a category or location; absent fields stay as they are.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateNodeRequest {
    pub code: Option<String>,
    pub name: Option<String>,
    /// `null` makes the node a root.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default)]
    pub parent_id: Patch<Uuid>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub color: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub icon: Patch<String>,
    pub sort_order: Option<i32>,
    /// Categories only; `null` unassigns.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default)]
    pub department_id: Patch<Uuid>,
    /// Locations only.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub description: Patch<String>,
}

fn patch_parsed<T>(
    errors: &mut FieldErrors,
    field: &str,
    value: Patch<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match value {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(v) if v.trim().is_empty() => Some(None),
        Patch::Value(v) => match parse(&v) {
            Ok(p) => Some(Some(p)),
            Err(m) => {
                errors.add(field, m);
                None
            }
        },
    }
}

async fn update(
    state: &InventoryState,
    tree: Tree,
    user: &AuthUser,
    id: Uuid,
    expected: Option<i32>,
    body: UpdateNodeRequest,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut errors = FieldErrors::new();
    let code = errors.take(
        "code",
        body.code.as_deref().map(|c| tree.parse_code(c)).transpose(),
    );
    let name = errors.take(
        "name",
        body.name
            .as_deref()
            .map(|n| domain::text(n, 200))
            .transpose(),
    );
    let color = patch_parsed(&mut errors, "color", body.color, domain::color);
    let icon = patch_parsed(&mut errors, "icon", body.icon, |v| domain::text(v, 50));
    let description = patch_parsed(&mut errors, "description", body.description, |v| {
        domain::text(v, 2000)
    });
    if tree == Tree::Locations && !body.department_id.is_missing() {
        errors.add("department_id", "only categories belong to departments");
    }
    if tree == Tree::Categories && description.is_some() {
        errors.add("description", "only locations have a description");
    }
    errors.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        return Err(ApiError::invalid("body", "invalid fields"));
    };
    let parent = body.parent_id.into_option();
    let department = body.department_id.into_option();

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let before = load(&tx, tree, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Scope::of(&tx, user).await?.require_everything()?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(Some(p)) = parent {
        if p == id {
            return Err(ApiError::invalid(
                "parent_id",
                "a node cannot be its own parent",
            ));
        }
        parent_must_live(&tx, tree, user.theater_id, Some(p)).await?;
    }
    let (set_parent, parent) = (parent.is_some(), parent.flatten());
    let (set_color, color) = (color.is_some(), color.flatten());
    let (set_icon, icon) = (icon.is_some(), icon.flatten());
    let (set_department, department) = (department.is_some(), department.flatten());
    let (set_description, description) = (description.is_some(), description.flatten());
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &user.theater_id,
        &id,
        &code,
        &name,
        &set_parent,
        &parent,
        &set_color,
        &color,
        &set_icon,
        &icon,
        &body.sort_order,
        &before.version,
    ];
    let extra_column = match tree {
        Tree::Categories => {
            params.push(&set_department);
            params.push(&department);
            "department_id = CASE WHEN $13 THEN $14 ELSE department_id END"
        }
        Tree::Locations => {
            params.push(&set_description);
            params.push(&description);
            "description = CASE WHEN $13 THEN $14 ELSE description END"
        }
    };
    let sql = format!(
        "UPDATE {table} SET code = COALESCE($3, code), name = COALESCE($4, name),
                parent_id = CASE WHEN $5 THEN $6 ELSE parent_id END,
                color = CASE WHEN $7 THEN $8 ELSE color END,
                icon = CASE WHEN $9 THEN $10 ELSE icon END,
                sort_order = COALESCE($11, sort_order),
                {extra_column},
                version = version + 1, updated_at = now()
         WHERE theater_id = $1 AND id = $2 AND version = $12",
        table = tree.table()
    );
    let updated = tx.execute(&sql, &params).await?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    let after = load(&tx, tree, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit::record(
        &tx,
        AuditEntry::by(
            user,
            &format!("{}.update", tree.entity()),
            tree.entity(),
            id,
        )
        .before(as_json(&before))
        .after(as_json(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Options of a deletion.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct DeleteNodeQuery {
    /// Move the node's live items here first (for locations this records a transfer movement
    /// per item). Without it, a node that still holds items is not deleted (409).
    pub move_items_to: Option<Uuid>,
}

async fn delete(
    state: &InventoryState,
    tree: Tree,
    user: &AuthUser,
    id: Uuid,
    query: DeleteNodeQuery,
) -> ApiResult<Response> {
    user.require(Permission::InventoryEdit)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    // Lock the node so no item is added to it while we decide.
    let locked = tx
        .query_opt(
            &format!(
                "SELECT id FROM {} WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
                tree.table()
            ),
            &[&user.theater_id, &id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, tree, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Scope::of(&tx, user).await?.require_everything()?;
    if before.item_count > 0 {
        let Some(target) = query.move_items_to else {
            return Err(ApiError::conflict_with(
                format!(
                    "{} live items are still here; move them first or pass move_items_to",
                    before.item_count
                ),
                serde_json::json!({ "item_count": before.item_count }),
            ));
        };
        if target == id || load(&tx, tree, user.theater_id, target).await?.is_none() {
            return Err(ApiError::invalid(
                "move_items_to",
                "no such other node in this theatre",
            ));
        }
        match tree {
            Tree::Categories => {
                tx.execute(
                    "UPDATE inventory_items SET category_id = $3, version = version + 1, updated_at = now()
                     WHERE theater_id = $1 AND category_id = $2 AND deleted_at IS NULL",
                    &[&user.theater_id, &id, &target],
                )
                .await?;
            }
            Tree::Locations => {
                crate::movements::relocate_all(&tx, user, id, target).await?;
            }
        }
    }
    // Children move up to the deleted node's parent, so the tree stays connected.
    tx.execute(
        &format!(
            "UPDATE {} SET parent_id = $3, version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND parent_id = $2 AND deleted_at IS NULL",
            tree.table()
        ),
        &[&user.theater_id, &id, &before.parent_id],
    )
    .await?;
    tx.execute(
        &format!(
            "UPDATE {} SET deleted_at = now(), version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2",
            tree.table()
        ),
        &[&user.theater_id, &id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry {
            after: query
                .move_items_to
                .map(|t| serde_json::json!({ "items_moved_to": t })),
            ..AuditEntry::by(
                user,
                &format!("{}.delete", tree.entity()),
                tree.entity(),
                id,
            )
            .before(as_json(&before))
        },
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::no_content())
}

async fn get_one(
    state: &InventoryState,
    tree: Tree,
    user: &AuthUser,
    id: Uuid,
) -> ApiResult<Response> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    let view = load(&client, tree, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(view.version, view))
}

// ---- categories ----

/// List inventory categories
#[utoipa::path(get, path = "/api/v1/inventory/categories", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(NodeFilter, PageQuery), responses((status = 200, body = inline(Page<NodeView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_categories(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<NodeFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<NodeView>>> {
    list(&state, Tree::Categories, &user, filter, page)
        .await
        .map(JsonResponse)
}

/// Create an inventory category
#[utoipa::path(post, path = "/api/v1/inventory/categories", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    request_body = CreateNodeRequest,
    responses((status = 201, body = NodeView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_category(
    State(state): State<InventoryState>,
    user: AuthUser,
    Json(body): Json<CreateNodeRequest>,
) -> ApiResult<Response> {
    create(&state, Tree::Categories, &user, body).await
}

/// Get an inventory category
#[utoipa::path(get, path = "/api/v1/inventory/categories/{id}", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = NodeView), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_category(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    get_one(&state, Tree::Categories, &user, id).await
}

/// Update an inventory category
#[utoipa::path(patch, path = "/api/v1/inventory/categories/{id}", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)), request_body = UpdateNodeRequest,
    responses((status = 200, body = NodeView), (status = 403), (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_category(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateNodeRequest>,
) -> ApiResult<Response> {
    update(&state, Tree::Categories, &user, id, expected, body).await
}

/// Delete an inventory category
#[utoipa::path(delete, path = "/api/v1/inventory/categories/{id}", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path), DeleteNodeQuery),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
#[instrument(skip_all)]
pub async fn delete_category(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(query): Query<DeleteNodeQuery>,
) -> ApiResult<Response> {
    delete(&state, Tree::Categories, &user, id, query).await
}

// ---- locations ----

/// List locations
#[utoipa::path(get, path = "/api/v1/inventory/locations", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(NodeFilter, PageQuery), responses((status = 200, body = inline(Page<NodeView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_locations(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<NodeFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<NodeView>>> {
    list(&state, Tree::Locations, &user, filter, page)
        .await
        .map(JsonResponse)
}

/// Create location
#[utoipa::path(post, path = "/api/v1/inventory/locations", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    request_body = CreateNodeRequest,
    responses((status = 201, body = NodeView), (status = 403), (status = 409), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_location(
    State(state): State<InventoryState>,
    user: AuthUser,
    Json(body): Json<CreateNodeRequest>,
) -> ApiResult<Response> {
    create(&state, Tree::Locations, &user, body).await
}

/// Get location
#[utoipa::path(get, path = "/api/v1/inventory/locations/{id}", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)), responses((status = 200, body = NodeView), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_location(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    get_one(&state, Tree::Locations, &user, id).await
}

/// Update location
#[utoipa::path(patch, path = "/api/v1/inventory/locations/{id}", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)), request_body = UpdateNodeRequest,
    responses((status = 200, body = NodeView), (status = 403), (status = 404), (status = 409), (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_location(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdateNodeRequest>,
) -> ApiResult<Response> {
    update(&state, Tree::Locations, &user, id, expected, body).await
}

/// Delete location
#[utoipa::path(delete, path = "/api/v1/inventory/locations/{id}", tag = "inventory", security(("bearer" = ["inventory:edit"])),
    params(("id" = Uuid, Path), DeleteNodeQuery),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
#[instrument(skip_all)]
pub async fn delete_location(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(query): Query<DeleteNodeQuery>,
) -> ApiResult<Response> {
    delete(&state, Tree::Locations, &user, id, query).await
}
