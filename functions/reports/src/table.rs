//! What every report produces: a titled table of typed columns. The renderers (JSON, CSV, XLSX,
//! PDF) only ever see this, so a report is its SQL and its columns.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The type of a column: how a cell is written in each format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReportColumnKind)]
pub enum Kind {
    Text,
    /// Whole numbers (counts, quantities).
    Integer,
    /// Roubles with kopecks.
    Money,
    /// Hours with a fraction.
    Hours,
    /// A share 0..1 (shown as a percentage in XLSX and PDF).
    Percent,
    /// A local date.
    Date,
    /// A local date and time (the theatre's zone).
    DateTime,
}

/// One cell. `Empty` is a missing value (NULL).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Num(f64),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}

impl From<NaiveDate> for Cell {
    fn from(v: NaiveDate) -> Self {
        Cell::Date(v)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(v: NaiveDateTime) -> Self {
        Cell::DateTime(v)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

impl Cell {
    /// The machine-readable text of the cell (CSV): ISO dates, `.` as the decimal point.
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(v) => v.to_string(),
            Cell::Num(v) => format!("{v:.2}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// The value in JSON.
    pub fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Empty => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(v) => Value::from(*v),
            Cell::Num(v) => serde_json::Number::from_f64((*v * 10_000.0).round() / 10_000.0)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Cell::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            Cell::DateTime(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        }
    }
}

/// A column: its key (JSON), its title (CSV, XLSX, PDF headers) and its type.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = ReportColumn)]
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
    pub kind: Kind,
}

pub const fn col(key: &'static str, title: &'static str, kind: Kind) -> Column {
    Column { key, title, kind }
}

/// A finished report.
#[derive(Clone, Debug)]
pub struct Table {
    pub code: &'static str,
    pub title: &'static str,
    pub theatre: String,
    /// The theatre's IANA zone: dates and times are local to it.
    pub timezone: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub generated_at: DateTime<Utc>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The generation time in the theatre's zone.
    pub fn generated_local(&self) -> NaiveDateTime {
        let tz: chrono_tz::Tz = self.timezone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        self.generated_at.with_timezone(&tz).naive_local()
    }

    /// "за период 01.12.2026 — 07.12.2026", or empty for a report of the current state.
    pub fn period_text(&self) -> String {
        match (self.from, self.to) {
            (Some(from), Some(to)) => format!(
                "Период: {} — {}",
                from.format("%d.%m.%Y"),
                to.format("%d.%m.%Y")
            ),
            _ => "На дату формирования".to_string(),
        }
    }
}
