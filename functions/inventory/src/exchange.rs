//! CSV export of what a filter selects, and CSV import: a dry run reports every row's problems,
//! a real import creates all rows or none. UTF-8 throughout (Russian text round-trips), with an
//! optional byte-order mark for spreadsheet programs; `;`-separated files (what a Russian-locale
//! spreadsheet writes) are read as well.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::auth::AuthUser;
use shared::error::FieldError;
use shared::extract::Query;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::InventoryState;
use crate::domain::{InventoryNumber, ItemStatus};
use crate::items::{self, CreateItemRequest, ItemView, NewItem};
use crate::scope::Scope;
use crate::search::{self, ItemFilter};

/// The columns of the CSV, in order.
pub const COLUMNS: [&str; 19] = [
    "inventory_number",
    "name",
    "description",
    "category_code",
    "location_code",
    "status",
    "condition",
    "quantity",
    "width_cm",
    "height_cm",
    "depth_cm",
    "weight_kg",
    "purchase_price",
    "current_value",
    "purchase_date",
    "warranty_until",
    "supplier",
    "tags",
    "attributes",
];

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Export options.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Start the file with a UTF-8 byte-order mark (Excel needs it to read UTF-8).
    pub bom: Option<bool>,
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

// The rule lives in `shared::text` (the reports' CSV uses it too).
pub use shared::text::{neutralise_formula, restore_formula};

fn row_of(item: &ItemView) -> Vec<String> {
    raw_row_of(item)
        .into_iter()
        .map(neutralise_formula)
        .collect()
}

fn raw_row_of(item: &ItemView) -> Vec<String> {
    vec![
        item.inventory_number.clone(),
        item.name.clone(),
        opt(&item.description),
        item.category_code.clone(),
        opt(&item.location_code),
        item.status.to_string(),
        item.condition.to_string(),
        item.quantity.to_string(),
        opt(&item.width_cm),
        opt(&item.height_cm),
        opt(&item.depth_cm),
        opt(&item.weight_kg),
        opt(&item.purchase_price),
        opt(&item.current_value),
        opt(&item.purchase_date),
        opt(&item.warranty_until),
        opt(&item.supplier),
        item.tags.join(", "),
        if item.attributes.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            item.attributes.to_string()
        },
    ]
}

/// Rows fetched from the database per round trip of an export.
const EXPORT_BATCH: i32 = 500;
/// CSV chunks buffered between the database and the client (memory stays constant).
const EXPORT_CHUNKS_IN_FLIGHT: usize = 4;
/// How long the presigned URL of an export written to storage works (the worker deletes the
/// file after that).
const EXPORT_URL_TTL: std::time::Duration = shared::keys::INVENTORY_EXPORT_TTL;

/// Items as CSV lines, formulas neutralised.
fn csv_lines<'a>(items: impl IntoIterator<Item = &'a ItemView>) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for item in items {
        writer.write_record(row_of(item))?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The first bytes of an export: the byte-order mark if asked for, and the header line.
fn csv_head(bom: bool) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(BOM);
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The CSV of every item `filter` selects, as a stream of chunks: a task holds one connection
/// and a read-only transaction, and pulls rows from a portal [`EXPORT_BATCH`] at a time; the
/// bounded channel makes it wait for the reader, so memory stays constant at any row count.
/// There is no cap. A database error mid-way ends the stream with an error (the client sees a
/// broken transfer, never a silently short file).
fn csv_stream(
    state: &InventoryState,
    user: &AuthUser,
    filter: &ItemFilter,
    bom: bool,
) -> ApiResult<tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>> {
    let (sql, selection) = search::selection(filter)?;
    let head = csv_head(bom)?;
    let db = state.ctx.db.clone();
    let theater_id = user.theater_id;
    let (sender, receiver) = tokio::sync::mpsc::channel(EXPORT_CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let produce = async {
            if sender.send(Ok(Bytes::from(head))).await.is_err() {
                return Ok(());
            }
            let mut client = db.get().await?;
            let tx = client.build_transaction().read_only(true).start().await?;
            let statement = tx.prepare(&sql).await?;
            let portal = tx.bind(&statement, &selection.bind(&theater_id)).await?;
            loop {
                let rows = tx.query_portal(&portal, EXPORT_BATCH).await?;
                if rows.is_empty() {
                    break;
                }
                let items: Vec<ItemView> = rows.iter().map(items::from_row).collect();
                if sender
                    .send(Ok(Bytes::from(csv_lines(&items)?)))
                    .await
                    .is_err()
                {
                    // The client went away: stop reading.
                    return Ok(());
                }
            }
            tx.commit().await?;
            anyhow::Ok(())
        };
        if let Err(e) = produce.await {
            tracing::error!(error = ?e, "the CSV export failed mid-way");
            let _ = sender
                .send(Err(std::io::Error::other("the export failed")))
                .await;
        }
    });
    Ok(receiver)
}

/// Where exports go: streamed in the response, or (on Lambda, whose responses stop at 6 MB)
/// written to the bucket and answered with a redirect to a presigned URL.
/// `INVENTORY_EXPORT_TO_STORAGE=true` chooses the latter anywhere (tests).
fn export_to_storage() -> bool {
    static TO_STORAGE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TO_STORAGE.get_or_init(|| {
        std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
            || shared::config::optional("INVENTORY_EXPORT_TO_STORAGE").as_deref() == Some("true")
    })
}

/// Writes the stream to a temporary file, stores it under the theatre's export key, and
/// answers 303 to a presigned GET of it.
async fn stored_export(
    state: &InventoryState,
    user: &AuthUser,
    mut chunks: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
) -> ApiResult<Response> {
    use tokio::io::AsyncWriteExt;
    let file = tempfile::NamedTempFile::new().map_err(anyhow::Error::from)?;
    let mut out = tokio::fs::File::from_std(file.reopen().map_err(anyhow::Error::from)?);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.map_err(anyhow::Error::from)?;
        out.write_all(&chunk).await.map_err(anyhow::Error::from)?;
    }
    out.flush().await.map_err(anyhow::Error::from)?;
    let key = shared::keys::inventory_export(user.theater_id, Uuid::now_v7());
    state
        .storage
        .put_temporary_file(&key, file.path(), CSV_TYPE)
        .await?;
    let url = state
        .storage
        .presign_get_as(&key, "inventory.csv", Some(CSV_TYPE), EXPORT_URL_TTL)
        .await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response())
}

const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Export items as CSV
///
/// Every item the filter selects, streamed. On Lambda the file is written to storage and the
/// answer is a 303 to a download URL valid for 15 minutes.
#[utoipa::path(get, path = "/api/v1/inventory/items/export.csv", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(ItemFilter, ExportQuery),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 303, description = "The CSV was written to storage (on Lambda): download it from `Location`",
            headers(("Location" = String, description = "A presigned URL of the file"))),
        (status = 403)))]
#[instrument(skip_all)]
pub async fn export_csv(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(filter): Query<ItemFilter>,
    Query(options): Query<ExportQuery>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryView)?;
    let chunks = csv_stream(&state, &user, &filter, options.bom.unwrap_or(false))?;
    if export_to_storage() {
        return stored_export(&state, &user, chunks).await;
    }
    let body =
        axum::body::Body::from_stream(futures::stream::unfold(chunks, |mut chunks| async move {
            chunks.recv().await.map(|c| (c, chunks))
        }));
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CSV_TYPE));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"inventory.csv\""),
    );
    Ok((headers, body).into_response())
}

/// Import options.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and report, change nothing.
    pub dry_run: Option<bool>,
}

/// One problem of one row.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct RowError {
    /// The line of the file (the header is line 1).
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// The outcome of an import or a dry run.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub valid_rows: usize,
    pub errors: Vec<RowError>,
    /// Created items (a real import only), in file order.
    pub created: Vec<ImportedItem>,
}

/// One created item.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct ImportedItem {
    pub line: usize,
    pub id: Uuid,
    pub inventory_number: String,
}

/// The most rows one import may carry.
pub const MAX_ROWS: usize = 10_000;

fn number(raw: &str) -> Result<Option<f64>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.replace(',', ".")
        .replace([' ', '\u{a0}'], "")
        .parse::<f64>()
        .map(Some)
        .map_err(|_| "must be a number".to_string())
}

fn date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .map(Some)
        .map_err(|_| "must be a date like 2024-03-01 or 01.03.2024".to_string())
}

/// Reads the file into rows of (line, column → value). A file that cannot be read as CSV at
/// all is a 422 on `file`.
fn read_rows(bytes: &[u8]) -> ApiResult<Vec<(usize, HashMap<String, String>)>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid("file", "the file must be UTF-8 text"))?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::invalid("file", format!("unreadable header: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut problems = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(FieldError {
                field: "header".into(),
                message: format!("unknown column {h:?}"),
            });
        }
    }
    for required in ["name", "category_code"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(FieldError {
                field: "header".into(),
                message: format!("the column {required} is required"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| ApiError::invalid("file", format!("line {}: {e}", i + 2)))?;
        let line = record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(i + 2);
        let map = headers
            .iter()
            .cloned()
            .zip(record.iter().map(|v| restore_formula(v).trim().to_string()))
            .collect();
        rows.push((line, map));
        if rows.len() > MAX_ROWS {
            return Err(ApiError::PayloadTooLarge(format!(
                "at most {MAX_ROWS} rows per import"
            )));
        }
    }
    Ok(rows)
}

/// Everything a row refers to, loaded once.
struct Lookups {
    categories: HashMap<String, (Uuid, Option<Uuid>)>,
    locations: HashMap<String, Uuid>,
}

async fn lookups(client: &impl GenericClient, theater_id: Uuid) -> ApiResult<Lookups> {
    let categories = client
        .query(
            "SELECT code, id, inventory_category_department(theater_id, id) FROM inventory_categories
             WHERE theater_id = $1 AND deleted_at IS NULL",
            &[&theater_id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let locations = client
        .query(
            "SELECT code, id FROM inventory_locations WHERE theater_id = $1 AND deleted_at IS NULL",
            &[&theater_id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(Lookups {
        categories,
        locations,
    })
}

/// Parses one row into a new item, or lists its problems.
fn parse_row(
    line: usize,
    row: &HashMap<String, String>,
    lookups: &Lookups,
    scope: &Scope,
) -> Result<NewItem, Vec<RowError>> {
    let get = |c: &str| row.get(c).map(String::as_str).unwrap_or_default();
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(RowError {
            line,
            field: field.into(),
            message,
        })
    };
    let category = get("category_code").to_lowercase();
    let category_id = match lookups.categories.get(&category) {
        None => {
            err("category_code", format!("no category {category:?}"));
            None
        }
        Some((id, department)) => {
            if let Scope::Departments(own) = scope
                && !department.is_some_and(|d| own.contains(&d))
            {
                err(
                    "category_code",
                    "outside your departments' categories".into(),
                );
            }
            Some(*id)
        }
    };
    let location = get("location_code").to_lowercase();
    let location_id = if location.is_empty() {
        None
    } else {
        match lookups.locations.get(&location) {
            None => {
                err("location_code", format!("no location {location:?}"));
                None
            }
            Some(id) => Some(*id),
        }
    };
    let status = get("status");
    if !status.is_empty() && ItemStatus::parse(status) != Ok(ItemStatus::InStock) {
        err(
            "status",
            "imported items arrive in stock; leave the status empty or in_stock".into(),
        );
    }
    let mut measure = |field: &str| match number(get(field)) {
        Ok(v) => v,
        Err(m) => {
            err(field, m);
            None
        }
    };
    let (width_cm, height_cm, depth_cm, weight_kg) = (
        measure("width_cm"),
        measure("height_cm"),
        measure("depth_cm"),
        measure("weight_kg"),
    );
    let quantity = match get("quantity") {
        "" => None,
        q => match q.parse::<i64>() {
            Ok(q) => Some(q),
            Err(_) => {
                err("quantity", "must be a whole number".into());
                None
            }
        },
    };
    let mut day = |field: &str| match date(get(field)) {
        Ok(v) => v,
        Err(m) => {
            err(field, m);
            None
        }
    };
    let (purchase_date, warranty_until) = (day("purchase_date"), day("warranty_until"));
    let attributes = match get("attributes") {
        "" => None,
        raw => match serde_json::from_str(raw) {
            Ok(v) => Some(v),
            Err(_) => {
                err("attributes", "must be a JSON object".into());
                None
            }
        },
    };
    let text = |c: &str| Some(get(c).to_string()).filter(|s| !s.is_empty());
    let request = CreateItemRequest {
        inventory_number: text("inventory_number"),
        name: get("name").to_string(),
        description: text("description"),
        category_id,
        location_id,
        condition: text("condition"),
        quantity,
        width_cm,
        height_cm,
        depth_cm,
        weight_kg,
        purchase_price: text("purchase_price"),
        current_value: text("current_value"),
        purchase_date,
        warranty_until,
        supplier: text("supplier"),
        tags: get("tags")
            .split([',', ';'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        attributes,
        performance_ids: Vec::new(),
        comment: Some("CSV import".into()),
    };
    let parsed = request.parse();
    match parsed {
        Ok(item) if errors.is_empty() => Ok(item),
        Ok(_) => Err(errors),
        Err(field_errors) => {
            if let ApiError::Validation(list) = field_errors.into_error() {
                for f in list {
                    // category_id is reported through category_code above.
                    if f.field != "category_id" {
                        errors.push(RowError {
                            line,
                            field: f.field,
                            message: f.message,
                        });
                    }
                }
            }
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralise_formula, restore_formula};

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "=cmd|' /C calc'!A0",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let exported = neutralise_formula(cell.into());
            assert_eq!(exported, format!("'{cell}"));
            assert_eq!(
                restore_formula(&exported),
                cell,
                "import gives back the text"
            );
        }
        // An apostrophe someone typed stays.
        assert_eq!(restore_formula("'Гамлет'"), "'Гамлет'");
        assert_eq!(neutralise_formula("Канделябр".into()), "Канделябр");
        assert_eq!(neutralise_formula("12.50".into()), "12.50");
    }
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "text/csv" || m == "application/csv" || m == "text/plain"
        })
        .unwrap_or(false)
}

/// Import items from CSV
#[utoipa::path(post, path = "/api/v1/inventory/items/import", tag = "inventory", security(("bearer" = ["inventory:create"])),
    params(ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport, description = "dry run"),
              (status = 201, body = ImportReport, description = "every row created"),
              (status = 403), (status = 415),
              (status = 422, description = "a row is invalid: nothing was created; `errors` names line and field")))]
#[instrument(skip_all)]
pub async fn import_csv(
    State(state): State<InventoryState>,
    user: AuthUser,
    Query(options): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    user.require(Permission::InventoryCreate)?;
    if !is_csv(&headers) {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as text/csv".into(),
        ));
    }
    let dry_run = options.dry_run.unwrap_or(false);
    let rows = read_rows(&body)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let scope = Scope::of(&tx, &user).await?;
    let lookups = lookups(&tx, user.theater_id).await?;

    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    let mut seen_numbers: HashSet<String> = HashSet::new();
    for (line, row) in &rows {
        match parse_row(*line, row, &lookups, &scope) {
            Ok(item) => {
                if let Some(n) = &item.inventory_number
                    && !seen_numbers.insert(n.as_str().to_string())
                {
                    errors.push(RowError {
                        line: *line,
                        field: "inventory_number".into(),
                        message: "appears twice in the file".into(),
                    });
                    continue;
                }
                parsed.push((*line, item));
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    // Numbers already taken in the theatre (by live or deleted items).
    let given: Vec<String> = parsed
        .iter()
        .filter_map(|(_, i)| i.inventory_number.as_ref().map(|n| n.as_str().to_string()))
        .collect();
    let taken: HashSet<String> = tx
        .query(
            "SELECT inventory_number FROM inventory_items
             WHERE theater_id = $1 AND inventory_number = ANY($2)",
            &[&user.theater_id, &given],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    parsed.retain(|(line, item)| {
        let clash = item
            .inventory_number
            .as_ref()
            .is_some_and(|n: &InventoryNumber| taken.contains(n.as_str()));
        if clash {
            errors.push(RowError {
                line: *line,
                field: "inventory_number".into(),
                message: "this number is (or was) already used in this theatre".into(),
            });
        }
        !clash
    });
    errors.sort_by_key(|e| e.line);
    let valid_rows = parsed.len();

    if dry_run {
        return Ok((
            StatusCode::OK,
            axum::Json(ImportReport {
                dry_run: true,
                rows: rows.len(),
                valid_rows,
                errors,
                created: Vec::new(),
            }),
        )
            .into_response());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: format!("line {}: {}", e.line, e.field),
                    message: e.message,
                })
                .collect(),
        ));
    }
    if rows.is_empty() {
        return Err(ApiError::invalid("file", "the file has no rows"));
    }
    let mut created = Vec::new();
    for (line, item) in &parsed {
        let view = items::insert_item(&tx, &user, &scope, item).await?;
        created.push(ImportedItem {
            line: *line,
            id: view.id,
            inventory_number: view.inventory_number,
        });
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportReport {
            dry_run: false,
            rows: rows.len(),
            valid_rows,
            errors: Vec::new(),
            created,
        }),
    )
        .into_response())
}
