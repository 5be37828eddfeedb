//! Bulk actions over a list of item ids: movements (transfer, reserve, issue, ...), tags,
//! category, delete. All-or-nothing by default; with `per_item` each item succeeds or fails on
//! its own. One bad id is a per-item 404, never a 500.

use axum::Json as JsonResponse;
use axum::extract::State;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::Json;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::InventoryState;
use crate::domain;
use crate::items;
use crate::movements::{self, MovementRequest, NewMovement};
use crate::scope::Scope;

/// The most ids one bulk request may name.
pub const MAX_BULK: usize = 500;

/// A bulk action.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BulkRequest {
    pub ids: Vec<Uuid>,
    /// `movement`, `add_tags`, `remove_tags`, `set_category` or `delete`.
    pub action: String,
    /// For `movement`: the movement applied to every item (e.g. `{"kind": "transfer", ...}`).
    pub movement: Option<MovementRequest>,
    /// For `add_tags` and `remove_tags`.
    pub tags: Option<Vec<String>>,
    /// For `set_category`.
    pub category_id: Option<Uuid>,
    /// Apply to each item on its own and report per item (default: all or nothing).
    pub per_item: bool,
}

enum Action {
    Movement(NewMovement),
    AddTags(Vec<String>),
    RemoveTags(Vec<String>),
    SetCategory(Uuid),
    Delete,
}

impl Action {
    fn permission(&self) -> Permission {
        match self {
            Action::Movement(m) => m.kind.permission(),
            Action::Delete => Permission::InventoryDelete,
            _ => Permission::InventoryEdit,
        }
    }
}

impl BulkRequest {
    fn parse(self) -> ApiResult<(Vec<Uuid>, Action, bool)> {
        let mut e = FieldErrors::new();
        if self.ids.is_empty() {
            e.add("ids", "name at least one item");
        }
        if self.ids.len() > MAX_BULK {
            e.add("ids", format!("at most {MAX_BULK} items at once"));
        }
        let mut ids = Vec::with_capacity(self.ids.len());
        for id in self.ids {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let tags = |e: &mut FieldErrors, tags: Option<Vec<String>>| match tags {
            None => {
                e.add("tags", "is required for this action");
                None
            }
            Some(t) => e.take("tags", domain::tags(&t)),
        };
        let action = match self.action.as_str() {
            "movement" => match self.movement {
                None => {
                    e.add("movement", "is required for this action");
                    None
                }
                Some(m) => match m.parse() {
                    Ok(m) => Some(Action::Movement(m)),
                    Err(ApiError::Validation(errors)) => {
                        for f in errors {
                            e.add(format!("movement.{}", f.field), f.message);
                        }
                        None
                    }
                    Err(other) => return Err(other),
                },
            },
            "add_tags" => tags(&mut e, self.tags).map(Action::AddTags),
            "remove_tags" => tags(&mut e, self.tags).map(Action::RemoveTags),
            "set_category" => match self.category_id {
                Some(c) => Some(Action::SetCategory(c)),
                None => {
                    e.add("category_id", "is required for this action");
                    None
                }
            },
            "delete" => Some(Action::Delete),
            _ => {
                e.add(
                    "action",
                    "one of movement, add_tags, remove_tags, set_category, delete",
                );
                None
            }
        };
        e.finish()?;
        let action = action.ok_or_else(|| ApiError::invalid("action", "invalid"))?;
        Ok((ids, action, self.per_item))
    }
}

/// What happened to one item.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct BulkItemResult {
    pub id: Uuid,
    pub ok: bool,
    /// The HTTP status this item alone would have had.
    pub status: u16,
    pub detail: Option<String>,
    /// For refused movements: the item's status.
    pub current_status: Option<String>,
}

/// The outcome of a bulk action.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct BulkResponse {
    /// Whether the changes were kept.
    pub committed: bool,
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<BulkItemResult>,
}

/// The client-facing status and text of an error (5xx are not handled here: they abort).
fn describe(e: &ApiError) -> (u16, String, Option<String>) {
    let status = e.status().as_u16();
    match e {
        ApiError::Conflict { detail, extra } => (
            status,
            detail.clone(),
            extra
                .as_ref()
                .and_then(|x| x.get("current_status"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        ),
        ApiError::Validation(errors) => (
            status,
            errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            None,
        ),
        ApiError::NotFound => (status, "no such item in this theatre".into(), None),
        ApiError::Forbidden(p) => (status, format!("needs {p}"), None),
        other => (status, other.to_string(), None),
    }
}

async fn apply(
    client: &impl GenericClient,
    user: &AuthUser,
    scope: &Scope,
    id: Uuid,
    action: &Action,
) -> ApiResult<()> {
    match action {
        Action::Movement(m) => movements::record(client, user, scope, id, m)
            .await
            .map(|_| ()),
        Action::Delete => items::delete_in(client, user, scope, id).await,
        Action::AddTags(_) | Action::RemoveTags(_) | Action::SetCategory(_) => {
            let before = items::lock(client, user.theater_id, id).await?;
            scope
                .check_category(client, user.theater_id, before.category_id)
                .await?;
            match action {
                Action::AddTags(tags) => {
                    client
                        .execute(
                            "UPDATE inventory_items SET tags = ARRAY(
                                 SELECT DISTINCT t FROM unnest(tags || $3::text[]) AS t ORDER BY t),
                                 version = version + 1, updated_at = now()
                             WHERE theater_id = $1 AND id = $2",
                            &[&user.theater_id, &id, tags],
                        )
                        .await?;
                }
                Action::RemoveTags(tags) => {
                    client
                        .execute(
                            "UPDATE inventory_items SET tags = ARRAY(
                                 SELECT t FROM unnest(tags) AS t WHERE NOT t = ANY($3::text[])),
                                 version = version + 1, updated_at = now()
                             WHERE theater_id = $1 AND id = $2",
                            &[&user.theater_id, &id, tags],
                        )
                        .await?;
                }
                Action::SetCategory(category) => {
                    items::check_references(client, user.theater_id, Some(*category), None).await?;
                    scope
                        .check_category(client, user.theater_id, *category)
                        .await?;
                    client
                        .execute(
                            "UPDATE inventory_items SET category_id = $3, version = version + 1,
                                    updated_at = now()
                             WHERE theater_id = $1 AND id = $2",
                            &[&user.theater_id, &id, category],
                        )
                        .await?;
                }
                _ => {}
            }
            let after = items::load(client, user.theater_id, id)
                .await?
                .ok_or(ApiError::NotFound)?;
            audit::record(
                client,
                AuditEntry::by(user, "inventory_item.update", "inventory_item", id)
                    .before(items::as_json(&before))
                    .after(items::as_json(&after)),
            )
            .await
        }
    }
}

/// Apply one action to many items
#[utoipa::path(post, path = "/api/v1/inventory/items/bulk", tag = "inventory", security(("bearer" = ["inventory:view"])),
    request_body = BulkRequest,
    responses((status = 200, body = BulkResponse),
              (status = 409, description = "all-or-nothing and some item failed: nothing changed; `results` says why"),
              (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn bulk(
    State(state): State<InventoryState>,
    user: AuthUser,
    Json(body): Json<BulkRequest>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    user.require(Permission::InventoryView)?;
    let (ids, action, per_item) = body.parse()?;
    user.require(action.permission())?;
    let mut client = state.ctx.db.get().await?;
    let mut tx = client.transaction().await?;
    let scope = Scope::of(&tx, &user).await?;
    // Lock in id order so two bulk actions over overlapping sets cannot deadlock.
    let mut order = ids.clone();
    order.sort();
    let mut results = std::collections::HashMap::new();
    for id in order {
        let savepoint = tx.transaction().await?;
        let outcome = apply(&savepoint, &user, &scope, id, &action).await;
        let result = match outcome {
            Ok(()) => {
                savepoint.commit().await?;
                BulkItemResult {
                    id,
                    ok: true,
                    status: 200,
                    detail: None,
                    current_status: None,
                }
            }
            Err(e) if e.status().is_server_error() => return Err(e),
            Err(e) => {
                savepoint.rollback().await?;
                let (status, detail, current_status) = describe(&e);
                BulkItemResult {
                    id,
                    ok: false,
                    status,
                    detail: Some(detail),
                    current_status,
                }
            }
        };
        results.insert(id, result);
    }
    let results: Vec<BulkItemResult> = ids.iter().filter_map(|id| results.remove(id)).collect();
    let failed = results.iter().filter(|r| !r.ok).count();
    if failed > 0 && !per_item {
        tx.rollback().await?;
        return Err(ApiError::conflict_with(
            format!(
                "{failed} of {} items could not be changed; nothing was changed",
                results.len()
            ),
            serde_json::json!({ "results": results }),
        ));
    }
    tx.commit().await?;
    Ok(JsonResponse(BulkResponse {
        committed: true,
        succeeded: results.len() - failed,
        failed,
        results,
    })
    .into_response())
}
