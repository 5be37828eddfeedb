//! Checklists (DOMAIN.md): template types, item texts, and the status derived from the ticks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// When a checklist is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistKind {
    PreShow,
    DayOf,
    PostShow,
    Montage,
    Rehearsal,
}

impl ChecklistKind {
    pub const ALL: [ChecklistKind; 5] = [
        ChecklistKind::PreShow,
        ChecklistKind::DayOf,
        ChecklistKind::PostShow,
        ChecklistKind::Montage,
        ChecklistKind::Rehearsal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChecklistKind::PreShow => "pre_show",
            ChecklistKind::DayOf => "day_of",
            ChecklistKind::PostShow => "post_show",
            ChecklistKind::Montage => "montage",
            ChecklistKind::Rehearsal => "rehearsal",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        ChecklistKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| "must be one of pre_show, day_of, post_show, montage, rehearsal".into())
    }
}

/// Where a checklist instance stands, derived from its ticks (never stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistStatus {
    /// Nothing ticked yet.
    Pending,
    /// Some items ticked.
    InProgress,
    /// Every item ticked.
    Completed,
}

impl ChecklistStatus {
    /// The status of a checklist with `ticked` of `total` items ticked.
    pub fn of(ticked: usize, total: usize) -> Self {
        if ticked == 0 {
            ChecklistStatus::Pending
        } else if ticked >= total {
            ChecklistStatus::Completed
        } else {
            ChecklistStatus::InProgress
        }
    }
}

/// Most items on one checklist.
pub const MAX_ITEMS: usize = 200;

/// The items of a template: each trimmed, non-empty, at most 500 characters; 1 to 200 of them.
pub fn item_texts(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.is_empty() {
        return Err("list at least one item".into());
    }
    if raw.len() > MAX_ITEMS {
        return Err(format!("at most {MAX_ITEMS} items"));
    }
    raw.iter()
        .enumerate()
        .map(|(i, t)| shared::text::text(t, 500).map_err(|e| format!("item {i} {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_ticks() {
        assert_eq!(ChecklistStatus::of(0, 5), ChecklistStatus::Pending);
        assert_eq!(ChecklistStatus::of(1, 5), ChecklistStatus::InProgress);
        assert_eq!(ChecklistStatus::of(4, 5), ChecklistStatus::InProgress);
        assert_eq!(ChecklistStatus::of(5, 5), ChecklistStatus::Completed);
    }

    #[test]
    fn kinds_round_trip() {
        for k in ChecklistKind::ALL {
            assert_eq!(ChecklistKind::parse(k.as_str()), Ok(k));
        }
        assert!(ChecklistKind::parse("preshow").is_err());
    }

    #[test]
    fn items_are_trimmed_and_bounded() {
        assert_eq!(
            item_texts(&[" Проверить занавес ".into()]).unwrap(),
            ["Проверить занавес"]
        );
        assert!(item_texts(&[]).is_err());
        assert!(
            item_texts(&["ok".into(), "  ".into()])
                .unwrap_err()
                .starts_with("item 1")
        );
        assert!(item_texts(&vec!["x".to_string(); 201]).is_err());
    }
}
