//! Category and location rows: the one SELECT of a node, loading by id or code, and the
//! recursive descendants query.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use shared::ApiResult;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain;

/// Which tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Categories,
    Locations,
}

impl Tree {
    pub fn table(self) -> &'static str {
        match self {
            Tree::Categories => "inventory_categories",
            Tree::Locations => "inventory_locations",
        }
    }

    pub fn entity(self) -> &'static str {
        match self {
            Tree::Categories => "inventory_category",
            Tree::Locations => "inventory_location",
        }
    }

    pub fn item_column(self) -> &'static str {
        match self {
            Tree::Categories => "category_id",
            Tree::Locations => "location_id",
        }
    }

    pub fn parse_code(self, raw: &str) -> Result<String, String> {
        match self {
            Tree::Categories => domain::category_code(raw),
            Tree::Locations => domain::location_code(raw),
        }
    }
}

/// A category or location as the API shows it.
#[derive(Serialize, Clone, ToSchema)]
pub struct NodeView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub color: Option<String>,
    pub icon: Option<String>,
    pub sort_order: i32,
    /// Categories only: the department the category belongs to.
    pub department_id: Option<Uuid>,
    /// Locations only: a free description (address, shelf details).
    pub description: Option<String>,
    /// Live items directly in this node.
    pub item_count: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn select_sql(tree: Tree) -> String {
    let (department, description) = match tree {
        Tree::Categories => ("n.department_id", "NULL::text"),
        Tree::Locations => ("NULL::uuid", "n.description"),
    };
    format!(
        "SELECT n.id, n.parent_id, n.code, n.name, n.color, n.icon, n.sort_order,
                {department} AS department_id, {description} AS description, n.version,
                n.created_at, n.updated_at,
                (SELECT count(*) FROM inventory_items i WHERE i.theater_id = n.theater_id
                   AND i.{col} = n.id AND i.deleted_at IS NULL) AS item_count
         FROM {table} n",
        col = tree.item_column(),
        table = tree.table()
    )
}

pub fn from_row(row: &tokio_postgres::Row) -> NodeView {
    NodeView {
        id: row.get("id"),
        parent_id: row.get("parent_id"),
        code: row.get("code"),
        name: row.get("name"),
        color: row.get("color"),
        icon: row.get("icon"),
        sort_order: row.get("sort_order"),
        department_id: row.get("department_id"),
        description: row.get("description"),
        item_count: row.get("item_count"),
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// A live node of `tree` in the theatre.
pub async fn load(
    client: &impl GenericClient,
    tree: Tree,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<NodeView>> {
    let sql = format!(
        "{} WHERE n.theater_id = $1 AND n.id = $2 AND n.deleted_at IS NULL",
        select_sql(tree)
    );
    Ok(client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(from_row))
}

/// A live node's id by code, for CSV import.
pub async fn id_by_code(
    client: &impl GenericClient,
    tree: Tree,
    theater_id: Uuid,
    code: &str,
) -> ApiResult<Option<Uuid>> {
    let sql = format!(
        "SELECT id FROM {} WHERE theater_id = $1 AND code = $2 AND deleted_at IS NULL",
        tree.table()
    );
    Ok(client
        .query_opt(&sql, &[&theater_id, &code])
        .await?
        .map(|r| r.get(0)))
}

/// The node and all its live descendants.
pub fn descendants_sql(tree: Tree, theater_param: &str, root_param: &str) -> String {
    format!(
        "(WITH RECURSIVE sub (id) AS (
             SELECT id FROM {t} WHERE theater_id = {theater_param} AND id = {root_param}
             UNION
             SELECT c.id FROM {t} c JOIN sub ON c.parent_id = sub.id
             WHERE c.theater_id = {theater_param} AND c.deleted_at IS NULL
         ) SELECT id FROM sub)",
        t = tree.table()
    )
}
