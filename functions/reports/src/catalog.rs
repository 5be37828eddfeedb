//! The reports: each is a code, a title, the permissions it needs, the parameters it reads,
//! and one tenant-scoped SQL query whose columns are the report's typed columns in order.
//! The SQL reads the other functions' tables directly (read-only); every query is bound to the
//! caller's theatre (`$1`), and document counts go through the documents function's visibility
//! predicate (`shared::document_access::VISIBLE`), so a report never shows what the caller
//! could not open.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::permissions::{Permission, PermissionSet};
use shared::{ApiError, ApiResult};
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::table::{Cell, Column, Kind, Table, col};

shared::vocabulary! {
    /// A report's code.
    ReportCode {
        InventoryStock => "inventory_stock",
        InventoryValue => "inventory_value",
        InventoryMovements => "inventory_movements",
        InventoryUsage => "inventory_usage",
        InventoryOverdue => "inventory_overdue",
        PerformancesByStatus => "performances_by_status",
        PassportReadiness => "passport_readiness",
        KitShortages => "kit_shortages",
        EventsByKind => "events_by_kind",
        VenueUtilisation => "venue_utilisation",
        ParticipantLoad => "participant_load",
        DocumentsByCategory => "documents_by_category",
        DocumentVersions => "document_versions",
    }
}

shared::vocabulary! {
    /// How stock reports group items.
    ReportGroupBy {
        Status => "status",
        Category => "category",
        Location => "location",
        Condition => "condition",
    }
}

shared::vocabulary! {
    /// Most used first, or least used first.
    ReportUsageOrder {
        Most => "most",
        Least => "least",
    }
}

/// The longest period a report covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// `limit` of the usage report: default and maximum.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 1000;

/// A parameter a report reads besides `format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReportParam)]
pub enum Param {
    From,
    To,
    GroupBy,
    Order,
    Limit,
}

/// What a report needs: the caller's theatre and permissions.
#[derive(Clone, Debug)]
pub struct Caller {
    pub theater_id: Uuid,
    pub user_id: Uuid,
    pub permissions: PermissionSet,
}

impl Caller {
    pub fn from_user(user: &shared::auth::AuthUser) -> Self {
        Self {
            theater_id: user.theater_id,
            user_id: user.user_id,
            permissions: user.permissions.clone(),
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.grants(p)
    }

    /// A 403 naming the first permission of `code` the caller lacks.
    pub fn require_report(&self, code: ReportCode) -> ApiResult<()> {
        match code.permissions().iter().find(|p| !self.can(**p)) {
            Some(p) => Err(ApiError::Forbidden(p.as_str().to_string())),
            None => Ok(()),
        }
    }
}

/// A report's parameters (the period is given for reports over a period).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = ReportParams)]
pub struct Params {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Option<ReportGroupBy>,
    pub order: Option<ReportUsageOrder>,
    pub limit: Option<i64>,
}

impl ReportCode {
    pub fn title(self) -> &'static str {
        match self {
            ReportCode::InventoryStock => "Инвентарь: остатки",
            ReportCode::InventoryValue => "Инвентарь: стоимость",
            ReportCode::InventoryMovements => "Инвентарь: движение за период",
            ReportCode::InventoryUsage => "Инвентарь: востребованность",
            ReportCode::InventoryOverdue => "Инвентарь: просроченные выдачи",
            ReportCode::PerformancesByStatus => "Спектакли по статусам",
            ReportCode::PassportReadiness => "Готовность паспортов спектаклей",
            ReportCode::KitShortages => "Нехватка оснащения спектаклей",
            ReportCode::EventsByKind => "События по видам и статусам",
            ReportCode::VenueUtilisation => "Загрузка площадок",
            ReportCode::ParticipantLoad => "Загрузка участников",
            ReportCode::DocumentsByCategory => "Документы по категориям и статусам",
            ReportCode::DocumentVersions => "Добавленные версии документов",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ReportCode::InventoryStock => {
                "Items (not deleted) and their units grouped by `group_by`: status, category (default), location or condition."
            }
            ReportCode::InventoryValue => {
                "Like inventory_stock, with the purchase and current value (per-unit price × quantity, roubles). Needs documents:view_financial."
            }
            ReportCode::InventoryMovements => {
                "Every ledger movement made in the period (local days), oldest first: time, item, kind, quantity, locations, holder, actor."
            }
            ReportCode::InventoryUsage => {
                "Items (not written off) by how often they were issued or reserved in the period; `order` most (default) or least, `limit` rows (default 20, at most 1000)."
            }
            ReportCode::InventoryOverdue => {
                "Items issued (in_use) whose due time has passed, most overdue first."
            }
            ReportCode::PerformancesByStatus => {
                "Performances (not deleted) per status, every status listed."
            }
            ReportCode::PassportReadiness => {
                "Per performance: required passport categories holding a current document, of 24, least ready first."
            }
            ReportCode::KitShortages => {
                "Kit lines of performances (not archived) whose item cannot cover the quantity: written off, in repair, deleted or fewer units."
            }
            ReportCode::EventsByKind => {
                "Events starting in the period per kind, with a column per status."
            }
            ReportCode::VenueUtilisation => {
                "Per venue: hours booked by non-cancelled events (buffers included, clipped to the period) against the period's hours."
            }
            ReportCode::ParticipantLoad => {
                "Per person: non-cancelled events starting in the period they take part in (declined invitations excluded), and their hours."
            }
            ReportCode::DocumentsByCategory => {
                "Documents the caller may see per category, with a column per status."
            }
            ReportCode::DocumentVersions => {
                "Versions that became ready in the period, per category of the documents the caller may see."
            }
        }
    }

    /// Everything the caller must hold to run the report.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            ReportCode::InventoryStock
            | ReportCode::InventoryMovements
            | ReportCode::InventoryUsage
            | ReportCode::InventoryOverdue => &[InventoryView],
            ReportCode::InventoryValue => &[InventoryView, DocumentsViewFinancial],
            ReportCode::PerformancesByStatus | ReportCode::PassportReadiness => &[PerformanceView],
            ReportCode::KitShortages => &[PerformanceView, InventoryView],
            ReportCode::EventsByKind
            | ReportCode::VenueUtilisation
            | ReportCode::ParticipantLoad => &[ScheduleView],
            ReportCode::DocumentsByCategory | ReportCode::DocumentVersions => &[DocumentsView],
        }
    }

    /// The parameters the report reads (besides `format`).
    pub fn params(self) -> &'static [Param] {
        match self {
            ReportCode::InventoryStock | ReportCode::InventoryValue => &[Param::GroupBy],
            ReportCode::InventoryUsage => &[Param::From, Param::To, Param::Order, Param::Limit],
            ReportCode::InventoryMovements
            | ReportCode::EventsByKind
            | ReportCode::VenueUtilisation
            | ReportCode::ParticipantLoad
            | ReportCode::DocumentVersions => &[Param::From, Param::To],
            _ => &[],
        }
    }

    /// Whether the report covers a period (`from` and `to` required).
    pub fn over_period(self) -> bool {
        self.params().contains(&Param::From)
    }
}

/// Checks `params` against what `code` reads: a period report needs `from` ≤ `to` within
/// [`MAX_PERIOD_DAYS`]; a parameter the report does not read is a 422 naming it.
pub fn check(code: ReportCode, params: &Params) -> ApiResult<()> {
    let mut errors = shared::error::FieldErrors::new();
    let reads = code.params();
    let given = [
        (Param::From, "from", params.from.is_some()),
        (Param::To, "to", params.to.is_some()),
        (Param::GroupBy, "group_by", params.group_by.is_some()),
        (Param::Order, "order", params.order.is_some()),
        (Param::Limit, "limit", params.limit.is_some()),
    ];
    for (param, name, present) in given {
        if present && !reads.contains(&param) {
            errors.add(name, format!("is not a parameter of {code}"));
        }
    }
    if code.over_period() {
        match (params.from, params.to) {
            (Some(from), Some(to)) => {
                if to < from {
                    errors.add("to", "must not be before from");
                } else if (to - from).num_days() >= MAX_PERIOD_DAYS {
                    errors.add(
                        "to",
                        format!("a period spans at most {MAX_PERIOD_DAYS} days"),
                    );
                }
            }
            (from, to) => {
                if from.is_none() {
                    errors.add("from", "is required");
                }
                if to.is_none() {
                    errors.add("to", "is required");
                }
            }
        }
    }
    if let Some(limit) = params.limit
        && !(1..=MAX_LIMIT).contains(&limit)
    {
        errors.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
    }
    errors.finish()
}

fn label(code: &str) -> &str {
    match code {
        // Item status
        "in_stock" => "На складе",
        "reserved" => "Зарезервирован",
        "in_use" => "Выдан",
        "in_repair" => "В ремонте",
        "on_tour" => "На гастролях",
        "written_off" => "Списан",
        // Condition
        "new" => "Новый",
        "good" => "Хорошее",
        "fair" => "Удовлетворительное",
        "poor" => "Плохое",
        "broken" => "Сломан",
        // Movement kinds
        "receipt" => "Поступление",
        "transfer" => "Перемещение",
        "reserve" => "Резерв",
        "release" => "Снятие резерва",
        "issue" => "Выдача",
        "return" => "Возврат",
        "repair_start" => "В ремонт",
        "repair_end" => "Из ремонта",
        "write_off" => "Списание",
        // Performance status
        "preparation" => "Подготовка",
        "in_repertoire" => "В репертуаре",
        "paused" => "Приостановлен",
        "archived" => "Архив",
        // Event kinds
        "performance" => "Спектакль",
        "rehearsal" => "Репетиция",
        "tech_rehearsal" => "Техническая репетиция",
        "dress_rehearsal" => "Генеральная репетиция",
        "meeting" => "Совещание",
        "maintenance" => "Обслуживание",
        "other" => "Другое",
        other => other,
    }
}

/// Reads a row's columns by the report's column kinds (the SQL returns text, int8, float8,
/// date and timestamp in column order).
fn cells(row: &tokio_postgres::Row, columns: &[Column]) -> Vec<Cell> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Text => row.get::<_, Option<String>>(i).into(),
            Kind::Integer => row.get::<_, Option<i64>>(i).into(),
            Kind::Money | Kind::Hours | Kind::Percent => row.get::<_, Option<f64>>(i).into(),
            Kind::Date => row.get::<_, Option<NaiveDate>>(i).into(),
            Kind::DateTime => row.get::<_, Option<NaiveDateTime>>(i).into(),
        })
        .collect()
}

/// The label column of a vocabulary code column (`status` → `На складе`).
fn labelled(rows: &mut [Vec<Cell>], from: usize, into: usize) {
    for row in rows {
        if let Cell::Text(code) = &row[from] {
            row[into] = Cell::Text(label(code).to_string());
        }
    }
}

/// Runs the report for `caller` at `now` (checked parameters).
pub async fn run(
    client: &impl GenericClient,
    caller: &Caller,
    code: ReportCode,
    params: &Params,
    now: DateTime<Utc>,
) -> ApiResult<Table> {
    caller.require_report(code)?;
    check(code, params)?;
    let theatre = client
        .query_opt(
            "SELECT name, timezone FROM theaters WHERE id = $1",
            &[&caller.theater_id],
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let timezone: String = theatre.get(1);
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let tz_name = tz.name();
    let t = &caller.theater_id;
    let (from, to) = (params.from, params.to);
    let (columns, sql, binds): (Vec<Column>, String, Vec<&(dyn ToSql + Sync)>);
    // A period as the bounds of a half-open instant range of the theatre's local days.
    const PERIOD: &str = "$3::date::timestamp AT TIME ZONE $2, \
                          ($4::date + 1)::timestamp AT TIME ZONE $2";
    let group = params.group_by.unwrap_or(ReportGroupBy::Category);
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    let viewer = shared::document_access::Viewer {
        theater_id: caller.theater_id,
        user_id: caller.user_id,
        is_admin: caller.can(Permission::AdminFull),
        can_view_financial: caller.can(Permission::DocumentsViewFinancial),
    };
    let mut label_of: Option<(usize, usize)> = None;
    match code {
        ReportCode::InventoryStock | ReportCode::InventoryValue => {
            let (key, name) = match group {
                ReportGroupBy::Status => ("i.status", "i.status"),
                ReportGroupBy::Condition => ("i.condition", "i.condition"),
                ReportGroupBy::Category => ("c.code", "c.name"),
                ReportGroupBy::Location => {
                    ("coalesce(l.code, '-')", "coalesce(l.name, 'Без места')")
                }
            };
            if matches!(group, ReportGroupBy::Status | ReportGroupBy::Condition) {
                label_of = Some((0, 1));
            }
            let mut cols = vec![
                col("group", "Группа", Kind::Text),
                col("name", "Наименование", Kind::Text),
                col("items", "Позиций", Kind::Integer),
                col("units", "Единиц", Kind::Integer),
            ];
            if code == ReportCode::InventoryValue {
                cols.push(col("purchase_value", "Закупочная стоимость", Kind::Money));
                cols.push(col("current_value", "Текущая стоимость", Kind::Money));
            }
            columns = cols;
            sql = format!(
                "SELECT {key}, {name}, count(*)::int8, sum(i.quantity)::int8,
                        coalesce(sum(i.purchase_price * i.quantity), 0)::float8,
                        coalesce(sum(i.current_value * i.quantity), 0)::float8
                 FROM inventory_items i
                 JOIN inventory_categories c ON c.theater_id = i.theater_id AND c.id = i.category_id
                 LEFT JOIN inventory_locations l ON l.theater_id = i.theater_id AND l.id = i.location_id
                 WHERE i.theater_id = $1 AND i.deleted_at IS NULL
                 GROUP BY 1, 2 ORDER BY 3 DESC, 1"
            );
            binds = vec![t];
        }
        ReportCode::InventoryMovements => {
            columns = vec![
                col("at", "Время", Kind::DateTime),
                col("inventory_number", "Инв. номер", Kind::Text),
                col("item", "Предмет", Kind::Text),
                col("kind", "Операция", Kind::Text),
                col("quantity", "Количество", Kind::Integer),
                col("from_location", "Откуда", Kind::Text),
                col("to_location", "Куда", Kind::Text),
                col("holder", "Получатель", Kind::Text),
                col("actor", "Исполнитель", Kind::Text),
                col("comment", "Комментарий", Kind::Text),
            ];
            sql = format!(
                "SELECT (m.created_at AT TIME ZONE $2)::timestamp(0), i.inventory_number, i.name,
                        m.kind, m.quantity::int8, fl.name, tl.name,
                        nullif(btrim(hu.last_name || ' ' || hu.first_name), ''),
                        nullif(btrim(au.last_name || ' ' || au.first_name), ''), m.comment
                 FROM inventory_movements m
                 JOIN inventory_items i ON i.theater_id = m.theater_id AND i.id = m.item_id
                 LEFT JOIN inventory_locations fl ON fl.theater_id = m.theater_id AND fl.id = m.from_location_id
                 LEFT JOIN inventory_locations tl ON tl.theater_id = m.theater_id AND tl.id = m.to_location_id
                 LEFT JOIN users hu ON hu.theater_id = m.theater_id AND hu.id = m.holder_user_id
                 LEFT JOIN users au ON au.theater_id = m.theater_id AND au.id = m.actor_id
                 WHERE m.theater_id = $1 AND m.created_at >= {PERIOD_LO} AND m.created_at < {PERIOD_HI}
                 ORDER BY m.created_at, m.id",
                PERIOD_LO = "$3::date::timestamp AT TIME ZONE $2",
                PERIOD_HI = "($4::date + 1)::timestamp AT TIME ZONE $2",
            );
            binds = vec![t, &tz_name, &from, &to];
        }
        ReportCode::InventoryUsage => {
            columns = vec![
                col("inventory_number", "Инв. номер", Kind::Text),
                col("item", "Предмет", Kind::Text),
                col("category", "Категория", Kind::Text),
                col("uses", "Использований", Kind::Integer),
                col("issues", "Выдач", Kind::Integer),
                col("reservations", "Резервов", Kind::Integer),
                col("last_used_at", "Последнее использование", Kind::DateTime),
            ];
            let order = match params.order.unwrap_or(ReportUsageOrder::Most) {
                ReportUsageOrder::Most => "DESC",
                ReportUsageOrder::Least => "ASC",
            };
            sql = format!(
                "SELECT i.inventory_number, i.name, c.name,
                        count(m.id)::int8,
                        count(m.id) FILTER (WHERE m.kind = 'issue')::int8,
                        count(m.id) FILTER (WHERE m.kind = 'reserve')::int8,
                        (max(m.created_at) AT TIME ZONE $2)::timestamp(0)
                 FROM inventory_items i
                 JOIN inventory_categories c ON c.theater_id = i.theater_id AND c.id = i.category_id
                 LEFT JOIN inventory_movements m ON m.theater_id = i.theater_id AND m.item_id = i.id
                      AND m.kind IN ('issue', 'reserve')
                      AND m.created_at >= $3::date::timestamp AT TIME ZONE $2
                      AND m.created_at < ($4::date + 1)::timestamp AT TIME ZONE $2
                 WHERE i.theater_id = $1 AND i.deleted_at IS NULL AND i.status <> 'written_off'
                 GROUP BY i.id, i.inventory_number, i.name, c.name
                 ORDER BY 4 {order}, i.name, i.inventory_number
                 LIMIT $5"
            );
            binds = vec![t, &tz_name, &from, &to, &limit];
        }
        ReportCode::InventoryOverdue => {
            columns = vec![
                col("inventory_number", "Инв. номер", Kind::Text),
                col("item", "Предмет", Kind::Text),
                col("holder", "У кого", Kind::Text),
                col("performance", "Спектакль", Kind::Text),
                col("event", "Событие", Kind::Text),
                col("due_at", "Срок возврата", Kind::DateTime),
                col("days_overdue", "Дней просрочки", Kind::Integer),
            ];
            sql = "SELECT i.inventory_number, i.name,
                        nullif(btrim(u.last_name || ' ' || u.first_name), ''), p.title, e.title,
                        (i.due_at AT TIME ZONE $2)::timestamp(0),
                        floor(extract(epoch FROM $3::timestamptz - i.due_at) / 86400)::int8
                 FROM inventory_items i
                 LEFT JOIN users u ON u.theater_id = i.theater_id AND u.id = i.holder_user_id
                 LEFT JOIN performances p ON p.theater_id = i.theater_id AND p.id = i.holder_performance_id
                 LEFT JOIN events e ON e.theater_id = i.theater_id AND e.id = i.holder_event_id
                 WHERE i.theater_id = $1 AND i.deleted_at IS NULL AND i.status = 'in_use'
                   AND i.due_at < $3::timestamptz
                 ORDER BY i.due_at, i.inventory_number"
                .into();
            binds = vec![t, &tz_name, &now];
        }
        ReportCode::PerformancesByStatus => {
            columns = vec![
                col("status", "Статус", Kind::Text),
                col("name", "Наименование", Kind::Text),
                col("performances", "Спектаклей", Kind::Integer),
            ];
            label_of = Some((0, 1));
            sql = "SELECT s.status, s.status, count(p.id)::int8
                 FROM unnest(ARRAY['preparation', 'in_repertoire', 'paused', 'archived'])
                      WITH ORDINALITY AS s (status, n)
                 LEFT JOIN performances p ON p.theater_id = $1 AND p.status = s.status
                      AND p.deleted_at IS NULL
                 GROUP BY s.status, s.n ORDER BY s.n"
                .into();
            binds = vec![t];
        }
        ReportCode::PassportReadiness => {
            columns = vec![
                col("performance", "Спектакль", Kind::Text),
                col("status", "Статус", Kind::Text),
                col("filled", "Заполнено категорий", Kind::Integer),
                col("required", "Обязательных", Kind::Integer),
                col("readiness", "Готовность", Kind::Percent),
            ];
            label_of = Some((1, 1));
            // 24 required categories: all of the passport's but the video partition
            // (performances' passport::categories).
            sql = "SELECT p.title, p.status, count(DISTINCT d.passport_category)::int8, 24::int8,
                        count(DISTINCT d.passport_category)::float8 / 24
                 FROM performances p
                 LEFT JOIN documents d ON d.theater_id = p.theater_id AND d.performance_id = p.id
                      AND d.passport_category IS NOT NULL AND d.passport_category <> 'video_partition'
                      AND d.deleted_at IS NULL AND d.status <> 'archived'
                      AND EXISTS (SELECT 1 FROM document_versions cv
                                  WHERE cv.id = d.current_version_id AND cv.status = 'ready')
                 WHERE p.theater_id = $1 AND p.deleted_at IS NULL
                 GROUP BY p.id, p.title, p.status
                 ORDER BY 5, p.title"
                .into();
            binds = vec![t];
        }
        ReportCode::KitShortages => {
            columns = vec![
                col("performance", "Спектакль", Kind::Text),
                col("inventory_number", "Инв. номер", Kind::Text),
                col("item", "Предмет", Kind::Text),
                col("item_status", "Состояние предмета", Kind::Text),
                col("needed", "Нужно", Kind::Integer),
                col("available", "Доступно", Kind::Integer),
                col("shortage", "Не хватает", Kind::Integer),
            ];
            sql = "WITH lines AS (
                     SELECT p.title, i.inventory_number, i.name,
                            CASE WHEN i.deleted_at IS NOT NULL THEN 'deleted' ELSE i.status END AS status,
                            k.quantity::int8 AS needed,
                            CASE WHEN i.deleted_at IS NOT NULL OR i.status IN ('in_repair', 'written_off')
                                 THEN 0 ELSE i.quantity END::int8 AS available
                     FROM performance_kit_items k
                     JOIN performances p ON p.theater_id = k.theater_id AND p.id = k.performance_id
                     JOIN inventory_items i ON i.theater_id = k.theater_id AND i.id = k.item_id
                     WHERE k.theater_id = $1 AND p.deleted_at IS NULL AND p.status <> 'archived')
                 SELECT title, inventory_number, name, status, needed, available, needed - available
                 FROM lines WHERE available < needed
                 ORDER BY title, inventory_number"
                .into();
            binds = vec![t];
            label_of = Some((3, 3));
        }
        ReportCode::EventsByKind => {
            columns = vec![
                col("kind", "Вид", Kind::Text),
                col("name", "Наименование", Kind::Text),
                col("total", "Всего", Kind::Integer),
                col("planned", "Запланировано", Kind::Integer),
                col("confirmed", "Подтверждено", Kind::Integer),
                col("in_progress", "Идёт", Kind::Integer),
                col("completed", "Завершено", Kind::Integer),
                col("cancelled", "Отменено", Kind::Integer),
            ];
            label_of = Some((0, 1));
            sql = format!(
                "SELECT k.kind, k.kind, count(e.id)::int8,
                        count(e.id) FILTER (WHERE e.status = 'planned')::int8,
                        count(e.id) FILTER (WHERE e.status = 'confirmed')::int8,
                        count(e.id) FILTER (WHERE e.status = 'in_progress')::int8,
                        count(e.id) FILTER (WHERE e.status = 'completed')::int8,
                        count(e.id) FILTER (WHERE e.status = 'cancelled')::int8
                 FROM unnest(ARRAY['performance', 'rehearsal', 'tech_rehearsal', 'dress_rehearsal',
                                   'meeting', 'maintenance', 'other']) WITH ORDINALITY AS k (kind, n)
                 LEFT JOIN events e ON e.theater_id = $1 AND e.kind = k.kind
                      AND e.starts_at >= {PERIOD_LO} AND e.starts_at < {PERIOD_HI}
                 GROUP BY k.kind, k.n ORDER BY k.n",
                PERIOD_LO = "$3::date::timestamp AT TIME ZONE $2",
                PERIOD_HI = "($4::date + 1)::timestamp AT TIME ZONE $2",
            );
            binds = vec![t, &tz_name, &from, &to];
        }
        ReportCode::VenueUtilisation => {
            columns = vec![
                col("venue", "Площадка", Kind::Text),
                col("events", "Событий", Kind::Integer),
                col("booked_hours", "Занято, ч", Kind::Hours),
                col("available_hours", "Всего, ч", Kind::Hours),
                col("utilisation", "Загрузка", Kind::Percent),
            ];
            // A venue's non-cancelled events never overlap (the exclusion constraint), so
            // their clipped busy ranges add up.
            sql = format!(
                "WITH r AS (SELECT tstzrange({PERIOD}, '[)') AS span),
                 u AS (
                     SELECT v.name, v.id, count(e.id)::int8 AS events,
                            coalesce(sum(extract(epoch FROM upper(e.busy * r.span)
                                                 - lower(e.busy * r.span))), 0)::float8 / 3600 AS booked,
                            extract(epoch FROM upper(r.span) - lower(r.span))::float8 / 3600 AS total
                     FROM venues v CROSS JOIN r
                     LEFT JOIN events e ON e.theater_id = v.theater_id AND e.venue_id = v.id
                          AND e.status <> 'cancelled' AND e.busy && r.span
                     WHERE v.theater_id = $1 AND v.deleted_at IS NULL
                     GROUP BY v.id, v.name, r.span)
                 SELECT name, events, booked, total, CASE WHEN total > 0 THEN booked / total ELSE 0 END
                 FROM u ORDER BY name, id"
            );
            binds = vec![t, &tz_name, &from, &to];
        }
        ReportCode::ParticipantLoad => {
            columns = vec![
                col("person", "Участник", Kind::Text),
                col("events", "Событий", Kind::Integer),
                col("performances", "Спектаклей", Kind::Integer),
                col("rehearsals", "Репетиций", Kind::Integer),
                col("hours", "Часов", Kind::Hours),
            ];
            sql = format!(
                "SELECT btrim(u.last_name || ' ' || u.first_name), count(e.id)::int8,
                        count(e.id) FILTER (WHERE e.kind = 'performance')::int8,
                        count(e.id) FILTER (WHERE e.kind IN ('rehearsal', 'tech_rehearsal', 'dress_rehearsal'))::int8,
                        coalesce(sum(extract(epoch FROM e.ends_at - e.starts_at)), 0)::float8 / 3600
                 FROM event_participants ep
                 JOIN events e ON e.theater_id = ep.theater_id AND e.id = ep.event_id
                 JOIN users u ON u.theater_id = ep.theater_id AND u.id = ep.user_id
                 WHERE ep.theater_id = $1 AND ep.answer <> 'declined' AND e.status <> 'cancelled'
                   AND e.starts_at >= {PERIOD_LO} AND e.starts_at < {PERIOD_HI}
                 GROUP BY u.id, u.last_name, u.first_name
                 ORDER BY 5 DESC, 1, u.id",
                PERIOD_LO = "$3::date::timestamp AT TIME ZONE $2",
                PERIOD_HI = "($4::date + 1)::timestamp AT TIME ZONE $2",
            );
            binds = vec![t, &tz_name, &from, &to];
        }
        ReportCode::DocumentsByCategory => {
            columns = vec![
                col("category", "Категория", Kind::Text),
                col("name", "Наименование", Kind::Text),
                col("total", "Всего", Kind::Integer),
                col("draft", "Черновики", Kind::Integer),
                col("active", "Действующие", Kind::Integer),
                col("archived", "Архив", Kind::Integer),
            ];
            sql = format!(
                "SELECT c.code, c.name, count(d.id)::int8,
                        count(d.id) FILTER (WHERE d.status = 'draft')::int8,
                        count(d.id) FILTER (WHERE d.status = 'active')::int8,
                        count(d.id) FILTER (WHERE d.status = 'archived')::int8
                 FROM documents d JOIN document_categories c ON c.id = d.category_id
                 WHERE {VISIBLE}
                 GROUP BY c.id, c.code, c.name ORDER BY c.name, c.code",
                VISIBLE = shared::document_access::VISIBLE
            );
            let p = viewer.params();
            return finish(
                client,
                caller,
                code,
                &theatre,
                params,
                now,
                columns,
                &sql,
                &[p[0], p[1], p[2], p[3]],
                None,
            )
            .await;
        }
        ReportCode::DocumentVersions => {
            columns = vec![
                col("category", "Категория", Kind::Text),
                col("name", "Наименование", Kind::Text),
                col("versions", "Версий", Kind::Integer),
                col("documents", "Документов", Kind::Integer),
                col("megabytes", "Объём, МБ", Kind::Hours),
            ];
            sql = format!(
                "SELECT c.code, c.name, count(v.id)::int8, count(DISTINCT d.id)::int8,
                        coalesce(sum(v.size), 0)::float8 / 1048576
                 FROM documents d JOIN document_categories c ON c.id = d.category_id
                 JOIN document_versions v ON v.theater_id = d.theater_id AND v.document_id = d.id
                      AND v.status = 'ready' AND v.identical_to_id IS NULL
                      AND v.completed_at >= $6::date::timestamp AT TIME ZONE $5
                      AND v.completed_at < ($7::date + 1)::timestamp AT TIME ZONE $5
                 WHERE {VISIBLE}
                 GROUP BY c.id, c.code, c.name ORDER BY 3 DESC, c.name",
                VISIBLE = shared::document_access::VISIBLE
            );
            let p = viewer.params();
            return finish(
                client,
                caller,
                code,
                &theatre,
                params,
                now,
                columns,
                &sql,
                &[p[0], p[1], p[2], p[3], &tz_name, &from, &to],
                None,
            )
            .await;
        }
    }
    finish(
        client, caller, code, &theatre, params, now, columns, &sql, &binds, label_of,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    client: &impl GenericClient,
    _caller: &Caller,
    code: ReportCode,
    theatre: &tokio_postgres::Row,
    params: &Params,
    now: DateTime<Utc>,
    columns: Vec<Column>,
    sql: &str,
    binds: &[&(dyn ToSql + Sync)],
    label_of: Option<(usize, usize)>,
) -> ApiResult<Table> {
    let rows = client.query(sql, binds).await?;
    let mut rows: Vec<Vec<Cell>> = rows.iter().map(|r| cells(r, &columns)).collect();
    if let Some((from, into)) = label_of {
        labelled(&mut rows, from, into);
    }
    let (from, to) = if code.over_period() {
        (params.from, params.to)
    } else {
        (None, None)
    };
    Ok(Table {
        code: code.as_str(),
        title: code.title(),
        theatre: theatre.get(0),
        timezone: theatre.get(1),
        from,
        to,
        generated_at: now,
        columns,
        rows,
    })
}
