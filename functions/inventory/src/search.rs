//! Item lists: text search (trigram index), filters over the trees (with descendants), status,
//! condition, department, performance, tag, holder, overdue; sorting; cursor pagination; and
//! the stats the heads look at.

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::extract::Query;
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tokio_postgres::types::ToSql;
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::InventoryState;
use crate::domain::{Condition, ItemStatus};
use crate::items::{self, ITEM_COLUMNS, ItemView};
use crate::trees::{Tree, descendants_sql};

/// Filters of the item list (also used by CSV export and bulk selection).
#[derive(Deserialize, IntoParams, Default, Clone, Debug)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    /// Text in name, number, description or tags (case-insensitive substring).
    pub q: Option<String>,
    /// The category and its descendants.
    pub category_id: Option<Uuid>,
    /// The location and its descendants.
    pub location_id: Option<Uuid>,
    /// One status or several separated by commas.
    pub status: Option<String>,
    /// One condition or several separated by commas.
    pub condition: Option<String>,
    /// Items of categories assigned to this department (directly or through a parent category).
    pub department_id: Option<Uuid>,
    /// Items linked to, reserved for or issued to this performance.
    pub performance_id: Option<Uuid>,
    pub tag: Option<String>,
    pub holder_user_id: Option<Uuid>,
    /// Only items that can be reserved or issued now.
    pub available: Option<bool>,
    /// Only issued items past their due date.
    pub overdue: Option<bool>,
    /// `name`, `-name`, `inventory_number`, `-inventory_number`, `created_at`, `-created_at`
    /// (default `name`).
    pub sort: Option<String>,
}

/// The WHERE clause of a filter and its parameters; `$1` is the theatre.
pub struct Where {
    pub sql: String,
    pub params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Where {
    fn push<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len() + 1)
    }

    /// All parameters, the theatre first.
    pub fn bind<'a>(&'a self, theater_id: &'a Uuid) -> Vec<&'a (dyn ToSql + Sync)> {
        let mut all: Vec<&(dyn ToSql + Sync)> = vec![theater_id];
        all.extend(
            self.params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync)),
        );
        all
    }
}

fn list_of<T>(
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> ApiResult<Option<Vec<T>>> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            r.split(',')
                .map(|s| parse(s).map_err(|m| ApiError::invalid(field, m)))
                .collect()
        })
        .transpose()
}

impl ItemFilter {
    /// Builds the WHERE clause over `inventory_items i`.
    pub fn to_where(&self) -> ApiResult<Where> {
        let mut w = Where {
            sql: "i.theater_id = $1 AND i.deleted_at IS NULL".into(),
            params: Vec::new(),
        };
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > 200 {
                return Err(ApiError::invalid("q", "must be at most 200 characters"));
            }
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = w.push(format!("%{escaped}%"));
            // The stored `search_text` column (V11) under a trigram index.
            w.sql += &format!(" AND i.search_text LIKE {p}");
        }
        if let Some(c) = self.category_id {
            let p = w.push(c);
            w.sql += &format!(
                " AND i.category_id IN {}",
                descendants_sql(Tree::Categories, "$1", &p)
            );
        }
        if let Some(l) = self.location_id {
            let p = w.push(l);
            w.sql += &format!(
                " AND i.location_id IN {}",
                descendants_sql(Tree::Locations, "$1", &p)
            );
        }
        if let Some(statuses) = list_of("status", self.status.as_deref(), ItemStatus::parse)? {
            let s: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
            let p = w.push(s);
            w.sql += &format!(" AND i.status = ANY({p})");
        }
        if let Some(conditions) = list_of("condition", self.condition.as_deref(), Condition::parse)?
        {
            let c: Vec<String> = conditions.iter().map(|c| c.as_str().to_string()).collect();
            let p = w.push(c);
            w.sql += &format!(" AND i.condition = ANY({p})");
        }
        if let Some(d) = self.department_id {
            let p = w.push(d);
            w.sql += &format!(
                " AND i.category_id IN (SELECT c.id FROM inventory_categories c WHERE c.theater_id = $1
                                        AND inventory_category_department(c.theater_id, c.id) = {p})"
            );
        }
        if let Some(perf) = self.performance_id {
            let p = w.push(perf);
            w.sql += &format!(
                " AND (i.holder_performance_id = {p} OR EXISTS (SELECT 1 FROM inventory_item_performances ip
                       WHERE ip.item_id = i.id AND ip.performance_id = {p}))"
            );
        }
        if let Some(tag) = self.tag.as_deref().filter(|t| !t.trim().is_empty()) {
            let p = w.push(vec![tag.trim().to_lowercase()]);
            w.sql += &format!(" AND i.tags @> {p}");
        }
        if let Some(h) = self.holder_user_id {
            let p = w.push(h);
            w.sql += &format!(" AND i.holder_user_id = {p}");
        }
        if let Some(available) = self.available {
            let p = w.push(
                ItemStatus::available_statuses()
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>(),
            );
            let not = if available { "" } else { "NOT " };
            w.sql += &format!(" AND {not}(i.status = ANY({p}))");
        }
        if self.overdue == Some(true) {
            w.sql += " AND i.status = 'in_use' AND i.due_at < now()";
        }
        Ok(w)
    }

    /// Whether the filter has a text query.
    fn has_text(&self) -> bool {
        self.q.as_deref().is_some_and(|q| !q.trim().is_empty())
    }

    fn sort(&self) -> ApiResult<Sort> {
        Sort::parse(self.sort.as_deref().unwrap_or("name"))
    }
}

/// A sort order of the list.
#[derive(Clone, Copy, Debug)]
struct Sort {
    column: &'static str,
    descending: bool,
}

impl Sort {
    fn parse(raw: &str) -> ApiResult<Self> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, raw),
        };
        let column = match name {
            "name" => "name",
            "inventory_number" => "inventory_number",
            "created_at" => "created_at",
            "due_at" => "due_at",
            _ => {
                return Err(ApiError::invalid(
                    "sort",
                    "one of name, inventory_number, created_at, due_at (prefix - for descending)",
                ));
            }
        };
        Ok(Self { column, descending })
    }

    /// The sort key as text, comparable in the "C" collation in the same order as the column.
    ///
    /// With a text query the key is an expression no index provides, so PostgreSQL always
    /// takes the matches from the trigram index and sorts them. Otherwise it may walk the name
    /// index filtering every row, betting that matches are spread evenly; they cluster (items
    /// named alike sort together), and at 100,000 items that walk read 20,000 rows for a page
    /// of a word with 783 matches: 85 ms against 2 ms (BENCHMARKS.md, "Inventory text search").
    fn key_expr(self, text_query: bool) -> String {
        let key = self.column_key();
        if text_query {
            format!("({key} || '')")
        } else {
            key
        }
    }

    fn column_key(self) -> String {
        match self.column {
            "created_at" | "due_at" => format!(
                "coalesce(to_char(i.{} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '9999')",
                self.column
            ),
            c => format!("i.{c}"),
        }
    }
}

/// The list cursor: the last row's sort key and id.
#[derive(Serialize, Deserialize)]
struct Cursor(String, Uuid);

/// List items
#[utoipa::path(get, path = "/api/v1/inventory/items", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(ItemFilter, PageQuery),
    responses((status = 200, body = inline(Page<ItemView>)), (status = 400), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn list_items(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<ItemFilter>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ItemView>>> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    list(&client, &user, &filter, &page).await.map(JsonResponse)
}

/// Items that are issued and past their due date, the longest overdue first.
#[utoipa::path(get, path = "/api/v1/inventory/items/overdue", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(PageQuery), responses((status = 200, body = inline(Page<ItemView>)), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_overdue(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<ItemView>>> {
    user.require(Permission::InventoryView)?;
    let filter = ItemFilter {
        overdue: Some(true),
        sort: Some("due_at".into()),
        ..ItemFilter::default()
    };
    let client = state.ctx.db.get().await?;
    list(&client, &user, &filter, &page).await.map(JsonResponse)
}

async fn list(
    client: &impl GenericClient,
    user: &AuthUser,
    filter: &ItemFilter,
    page: &PageQuery,
) -> ApiResult<Page<ItemView>> {
    let limit = page.limit()?;
    let sort = filter.sort()?;
    let mut w = filter.to_where()?;
    let key = sort.key_expr(filter.has_text());
    let after: Option<Cursor> = page.after()?;
    if let Some(Cursor(k, id)) = after {
        let pk = w.push(k);
        let pi = w.push(id);
        let op = if sort.descending { "<" } else { ">" };
        w.sql += &format!(" AND ({key} COLLATE \"C\", i.id) {op} ({pk} COLLATE \"C\", {pi})");
    }
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let fetch = PageQuery::fetch_limit(limit);
    let sql = format!(
        "SELECT {ITEM_COLUMNS}, {key} AS sort_key FROM inventory_items i WHERE {}
         ORDER BY {key} COLLATE \"C\" {dir}, i.id {dir} LIMIT {fetch}",
        w.sql
    );
    let rows = client.query_cached(&sql, &w.bind(&user.theater_id)).await?;
    let keyed: Vec<(String, ItemView)> = rows
        .iter()
        .map(|r| (r.get::<_, String>("sort_key"), items::from_row(r)))
        .collect();
    let page = Page::from_rows(keyed, limit, |(k, v)| Cursor(k.clone(), v.id));
    Ok(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The query of every item `filter` selects, in its order (no limit), and its parameters.
pub fn selection(filter: &ItemFilter) -> ApiResult<(String, Where)> {
    let sort = filter.sort()?;
    let w = filter.to_where()?;
    let key = sort.key_expr(filter.has_text());
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items i WHERE {}
         ORDER BY {key} COLLATE \"C\" {dir}, i.id {dir}",
        w.sql
    );
    Ok((sql, w))
}

/// A count in a breakdown.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct Bucket {
    /// The status or condition, or the category/location id (`null`: no location).
    pub key: Option<String>,
    pub code: Option<String>,
    pub items: i64,
    pub pieces: i64,
}

/// Inventory statistics over what the filter selects.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct Stats {
    pub items: i64,
    pub pieces: i64,
    pub by_status: Vec<Bucket>,
    pub by_condition: Vec<Bucket>,
    pub by_category: Vec<Bucket>,
    pub by_location: Vec<Bucket>,
    /// Sum of current value (or purchase price) × quantity over items not written off.
    pub total_value: String,
    pub overdue: i64,
    pub generated_at: DateTime<Utc>,
}

/// Inventory statistics
#[utoipa::path(get, path = "/api/v1/inventory/stats", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(ItemFilter), responses((status = 200, body = Stats), (status = 403)))]
#[instrument(skip_all)]
pub async fn stats(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<ItemFilter>,
) -> ApiResult<JsonResponse<Stats>> {
    user.require(Permission::InventoryView)?;
    let w = filter.to_where()?;
    let client = state.ctx.db.get().await?;
    let params = w.bind(&user.theater_id);
    let breakdown = |group: &str, code: &str| {
        format!(
            "SELECT {group}::text AS key, {code} AS code, count(*) AS items,
                    coalesce(sum(i.quantity), 0)::bigint AS pieces
             FROM inventory_items i WHERE {} GROUP BY 1, 2 ORDER BY 3 DESC, 1",
            w.sql
        )
    };
    let bucket = |r: &tokio_postgres::Row| Bucket {
        key: r.get("key"),
        code: r.get("code"),
        items: r.get("items"),
        pieces: r.get("pieces"),
    };
    let by_status = client
        .query(&breakdown("i.status", "NULL::text"), &params)
        .await?;
    let by_condition = client
        .query(&breakdown("i.condition", "NULL::text"), &params)
        .await?;
    let by_category = client
        .query(
            &breakdown(
                "i.category_id",
                "(SELECT c.code FROM inventory_categories c WHERE c.id = i.category_id)",
            ),
            &params,
        )
        .await?;
    let by_location = client
        .query(
            &breakdown(
                "i.location_id",
                "(SELECT l.code FROM inventory_locations l WHERE l.id = i.location_id)",
            ),
            &params,
        )
        .await?;
    let totals = client
        .query_one(
            &format!(
                "SELECT count(*) AS items, coalesce(sum(i.quantity), 0)::bigint AS pieces,
                        coalesce(sum(coalesce(i.current_value, i.purchase_price, 0) * i.quantity)
                                 FILTER (WHERE i.status <> 'written_off'), 0)::numeric(16, 2)::text AS total_value,
                        count(*) FILTER (WHERE i.status = 'in_use' AND i.due_at < now()) AS overdue
                 FROM inventory_items i WHERE {}",
                w.sql
            ),
            &params,
        )
        .await?;
    Ok(JsonResponse(Stats {
        items: totals.get("items"),
        pieces: totals.get("pieces"),
        by_status: by_status.iter().map(bucket).collect(),
        by_condition: by_condition.iter().map(bucket).collect(),
        by_category: by_category.iter().map(bucket).collect(),
        by_location: by_location.iter().map(bucket).collect(),
        total_value: totals.get("total_value"),
        overdue: totals.get("overdue"),
        generated_at: Utc::now(),
    }))
}
