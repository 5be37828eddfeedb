//! Document templates' rules (DOMAIN.md → Documents → Templates): variable types, Russian
//! formats, and where a variable's value comes from (what the user typed → a field of the
//! chosen performance → the variable's default). Pure: the API resolves values with these
//! before it enqueues generation, so a missing required variable is a 422 at once and the
//! worker only writes text it was given.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::docx::Values;

crate::vocabulary! {
    /// A template variable's type.
    TemplateVariableType {
        Text => "text",
        Number => "number",
        Date => "date",
        Choice => "choice",
        PerformanceField => "performance_field",
        UserField => "user_field",
        ActorList => "actor_list",
        StaffList => "staff_list",
    }
}

crate::vocabulary! {
    /// What generation produces.
    TemplateOutputFormat { Docx => "docx", Pdf => "pdf" }
}

/// Fields of a performance a variable can take its value from.
pub const PERFORMANCE_FIELDS: &[&str] = &[
    "title",
    "subtitle",
    "author",
    "director",
    "genre",
    "age_rating",
    "duration_minutes",
    "intermissions",
    "premiere_date",
    "status",
];

/// Fields of a user a `user_field` variable shows.
pub const USER_FIELDS: &[&str] = &["full_name", "first_name", "last_name", "email"];

/// A variable's definition as stored.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TemplateVariable {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: TemplateVariableType,
    /// Shown on the generation form.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Used when nothing was typed and the performance has no value. Lists: one item a line.
    #[serde(default)]
    pub default: Option<String>,
    /// The allowed values of a `choice`.
    #[serde(default)]
    pub options: Vec<String>,
    /// The performance field (`performance_field`, or any scalar variable that should fall
    /// back to one) or the user field (`user_field`).
    #[serde(default)]
    pub field: Option<String>,
}

/// What the performance offers to variables, already formatted.
#[derive(Clone, Debug, Default)]
pub struct PerformanceFacts {
    pub fields: HashMap<String, String>,
    /// "Role — Person" lines of the cast and of the crew.
    pub cast: Vec<String>,
    pub crew: Vec<String>,
}

/// A user a `user_field` value names.
#[derive(Clone, Debug, Default)]
pub struct UserFacts {
    pub fields: HashMap<String, String>,
}

/// Dates as Russian documents write them: `dd.mm.yyyy`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// Numbers as Russian documents write them: thousands grouped by a space, a decimal comma,
/// two decimals when there is a fraction (`1 234,50`, `1 234`, `-7,25`).
pub fn format_number(value: f64) -> String {
    let negative = value < 0.0;
    let cents = (value.abs() * 100.0).round() as u128;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    let sign = if negative && cents > 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac:02}")
    }
}

/// A typed value that does not fit its variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub name: String,
    pub message: String,
}

/// The outcome of resolving: the values to fill, and what is wrong.
#[derive(Debug, Default)]
pub struct Resolution {
    pub values: Values,
    /// Required variables that ended up without a value (the 422 lists them).
    pub missing: Vec<String>,
    pub invalid: Vec<Invalid>,
}

impl Resolution {
    /// The values used, as recorded with the generated document.
    pub fn recorded(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.values.scalars {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        for (k, v) in &self.values.lists {
            map.insert(k.clone(), serde_json::json!(v));
        }
        Value::Object(map)
    }
}

fn typed_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn typed_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .replace([' ', '\u{a0}'], "")
            .replace(',', ".")
            .parse()
            .ok(),
        _ => None,
    }
}

/// Resolves every variable; placeholders with no definition are plain text variables that
/// are not required (they fill from a typed value or stay empty).
pub fn resolve(
    variables: &[TemplateVariable],
    typed: &serde_json::Map<String, Value>,
    performance: &PerformanceFacts,
    users: &HashMap<String, UserFacts>,
) -> Resolution {
    let mut r = Resolution::default();
    let known: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
    for name in typed.keys() {
        if !known.contains(&name.as_str()) {
            r.invalid.push(Invalid {
                name: name.clone(),
                message: "the template has no such variable".into(),
            });
        }
    }
    for var in variables {
        let given = typed.get(&var.name).filter(|v| !v.is_null());
        let invalid = |message: &str| Invalid {
            name: var.name.clone(),
            message: message.to_string(),
        };
        match var.kind {
            TemplateVariableType::ActorList | TemplateVariableType::StaffList => {
                let items: Vec<String> = match given {
                    Some(Value::Array(items)) => items.iter().filter_map(typed_text).collect(),
                    Some(_) => {
                        r.invalid.push(invalid("must be a list of texts"));
                        continue;
                    }
                    None => {
                        let from_performance = if var.kind == TemplateVariableType::ActorList {
                            &performance.cast
                        } else {
                            &performance.crew
                        };
                        if from_performance.is_empty() {
                            lines(var.default.as_deref())
                        } else {
                            from_performance.clone()
                        }
                    }
                };
                if var.required && items.is_empty() {
                    r.missing.push(var.name.clone());
                }
                r.values.lists.insert(var.name.clone(), items);
                continue;
            }
            _ => {}
        }
        let from_typed: Result<Option<String>, &str> = match (var.kind, given) {
            (_, None) => Ok(None),
            (TemplateVariableType::Number, Some(v)) => typed_number(v)
                .map(|n| Some(format_number(n)))
                .ok_or("must be a number"),
            (TemplateVariableType::Date, Some(v)) => v
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                .map(|d| Some(format_date(d)))
                .ok_or("must be a date (YYYY-MM-DD)"),
            (TemplateVariableType::Choice, Some(v)) => match typed_text(v) {
                Some(s) if var.options.contains(&s) => Ok(Some(s)),
                _ => Err("must be one of the variable's options"),
            },
            (TemplateVariableType::UserField, Some(v)) => {
                match v.as_str().and_then(|id| users.get(id)) {
                    Some(user) => Ok(user
                        .fields
                        .get(var.field.as_deref().unwrap_or("full_name"))
                        .cloned()),
                    None => Err("must be the id of a user of the theatre"),
                }
            }
            (_, Some(v)) => typed_text(v).map(Some).ok_or("must be a text"),
        };
        let value = match from_typed {
            Ok(v) => v,
            Err(message) => {
                r.invalid.push(invalid(message));
                continue;
            }
        };
        let from_performance = || {
            if var.kind == TemplateVariableType::UserField {
                return None;
            }
            var.field
                .as_deref()
                .and_then(|f| performance.fields.get(f))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let value = value
            .or_else(from_performance)
            .or_else(|| var.default.clone().filter(|d| !d.is_empty()));
        if var.required && value.is_none() {
            r.missing.push(var.name.clone());
        }
        r.values
            .scalars
            .insert(var.name.clone(), value.unwrap_or_default());
    }
    r
}

fn lines(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The definition a newly discovered placeholder gets: a text, not required.
pub fn discovered(name: &str) -> TemplateVariable {
    TemplateVariable {
        name: name.to_string(),
        kind: TemplateVariableType::Text,
        label: None,
        required: false,
        default: None,
        options: vec![],
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, kind: TemplateVariableType, required: bool) -> TemplateVariable {
        TemplateVariable {
            kind,
            required,
            ..discovered(name)
        }
    }

    #[test]
    fn numbers_use_a_space_between_thousands_and_a_decimal_comma() {
        assert_eq!(format_number(1234.5), "1 234,50");
        assert_eq!(format_number(1234.0), "1 234");
        assert_eq!(format_number(1_000_000.0), "1 000 000");
        assert_eq!(format_number(-7.25), "-7,25");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(999.999), "1 000");
    }

    #[test]
    fn dates_are_day_month_year_with_dots() {
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()),
            "07.03.2026"
        );
    }

    #[test]
    fn typed_beats_performance_beats_default() {
        let mut v = var("title", TemplateVariableType::PerformanceField, true);
        v.field = Some("title".into());
        v.default = Some("Без названия".into());
        let mut perf = PerformanceFacts::default();
        perf.fields.insert("title".into(), "Чайка".into());
        let typed: serde_json::Map<_, _> =
            serde_json::from_value(serde_json::json!({"title": "Вишнёвый сад"})).unwrap();
        let users = HashMap::new();
        let vars = [v];
        let r = resolve(&vars, &typed, &perf, &users);
        assert_eq!(r.values.scalars["title"], "Вишнёвый сад");
        let r = resolve(&vars, &Default::default(), &perf, &users);
        assert_eq!(r.values.scalars["title"], "Чайка");
        let r = resolve(
            &vars,
            &Default::default(),
            &PerformanceFacts::default(),
            &users,
        );
        assert_eq!(r.values.scalars["title"], "Без названия");
        assert!(r.missing.is_empty());
    }

    #[test]
    fn missing_required_variables_are_named_and_bad_values_refused() {
        let mut choice = var("kind", TemplateVariableType::Choice, false);
        choice.options = vec!["костюмы".into(), "реквизит".into()];
        let vars = [
            var("act_number", TemplateVariableType::Text, true),
            var("cast", TemplateVariableType::ActorList, true),
            var("amount", TemplateVariableType::Number, false),
            var("day", TemplateVariableType::Date, false),
            choice,
        ];
        let typed: serde_json::Map<_, _> = serde_json::from_value(serde_json::json!({
            "amount": "12 345,5", "day": "2026-12-07", "kind": "мебель", "nope": 1
        }))
        .unwrap();
        let r = resolve(&vars, &typed, &PerformanceFacts::default(), &HashMap::new());
        assert_eq!(r.missing, vec!["act_number", "cast"]);
        assert_eq!(r.values.scalars["amount"], "12 345,50");
        assert_eq!(r.values.scalars["day"], "07.12.2026");
        let bad: Vec<&str> = r.invalid.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(bad, vec!["nope", "kind"]);
    }

    #[test]
    fn lists_come_from_the_cast_when_nothing_is_typed() {
        let perf = PerformanceFacts {
            cast: vec!["Нина — Иванова".into()],
            ..Default::default()
        };
        let vars = [var("cast", TemplateVariableType::ActorList, true)];
        let r = resolve(&vars, &Default::default(), &perf, &HashMap::new());
        assert_eq!(r.values.lists["cast"], vec!["Нина — Иванова"]);
        assert!(r.missing.is_empty());
    }
}
