//! Readiness of the passport (DOMAIN.md): a part is as ready as the share of its required
//! categories that hold at least one current document; the whole passport over all 24 required
//! categories. Optional categories (the video partition) never count, either way.

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;

use super::categories::{Category, Part};

/// Done of required, and the whole percent (rounded down: 100 only when complete).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Progress {
    pub done: u32,
    pub required: u32,
    pub percent: u32,
}

impl Progress {
    fn of(done: u32, required: u32) -> Self {
        let percent = (done * 100).checked_div(required).unwrap_or(100);
        Self {
            done,
            required,
            percent,
        }
    }
}

/// A category that still lacks a current document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MissingCategory {
    pub code: Category,
    pub title: &'static str,
}

/// One part's readiness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartReadiness {
    /// `1.0` … `4.0`.
    pub code: &'static str,
    pub title: &'static str,
    pub done: u32,
    pub required: u32,
    pub percent: u32,
    /// Required categories without a current document, in passport order.
    pub missing: Vec<MissingCategory>,
}

/// The passport's readiness, overall and per part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Readiness {
    pub overall: Progress,
    pub parts: Vec<PartReadiness>,
}

/// Readiness given the categories that hold at least one current document.
pub fn readiness(filled: &BTreeSet<Category>) -> Readiness {
    let parts: Vec<PartReadiness> = Part::ALL
        .into_iter()
        .map(|part| {
            let required: Vec<Category> = part.categories().filter(|c| c.required()).collect();
            let missing: Vec<MissingCategory> = required
                .iter()
                .filter(|c| !filled.contains(c))
                .map(|&c| MissingCategory {
                    code: c,
                    title: c.title(),
                })
                .collect();
            let total = required.len() as u32;
            let progress = Progress::of(total - missing.len() as u32, total);
            PartReadiness {
                code: part.code(),
                title: part.title(),
                done: progress.done,
                required: progress.required,
                percent: progress.percent,
                missing,
            }
        })
        .collect();
    let done = parts.iter().map(|p| p.done).sum();
    let required = parts.iter().map(|p| p.required).sum();
    Readiness {
        overall: Progress::of(done, required),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(categories: &[Category]) -> Readiness {
        readiness(&categories.iter().copied().collect())
    }

    #[test]
    fn an_empty_passport_is_zero_of_twenty_four() {
        let r = of(&[]);
        assert_eq!(r.overall, Progress::of(0, 24));
        assert_eq!(r.overall.percent, 0);
        let required: Vec<u32> = r.parts.iter().map(|p| p.required).collect();
        assert_eq!(required, [6, 6, 9, 3]);
        assert_eq!(r.parts[3].missing.len(), 3);
        assert_eq!(r.parts[0].code, "1.0");
    }

    #[test]
    fn required_categories_count_per_part_and_overall() {
        let r = of(&[
            Category::Passport,
            Category::ReceptionAct,
            Category::FireProtection,
            Category::TechSpecLight,
            Category::Drawings,
        ]);
        assert_eq!(
            r.overall,
            Progress {
                done: 5,
                required: 24,
                percent: 20
            }
        );
        assert_eq!((r.parts[0].done, r.parts[0].percent), (3, 50));
        assert_eq!((r.parts[1].done, r.parts[1].percent), (1, 16));
        assert_eq!((r.parts[2].done, r.parts[2].percent), (0, 0));
        assert_eq!((r.parts[3].done, r.parts[3].percent), (1, 33));
        let missing: Vec<Category> = r.parts[0].missing.iter().map(|m| m.code).collect();
        assert_eq!(
            missing,
            [
                Category::WeldingActs,
                Category::MaterialCerts,
                Category::Calculations
            ]
        );
    }

    #[test]
    fn the_optional_video_partition_counts_for_nothing() {
        let r = of(&[Category::VideoPartition]);
        assert_eq!(r.overall.done, 0);
        assert_eq!(r.parts[2].done, 0);
        assert!(
            r.parts[2]
                .missing
                .iter()
                .all(|m| m.code != Category::VideoPartition)
        );
        assert_eq!(r.parts[2].missing.len(), 9);
    }

    #[test]
    fn every_required_category_makes_a_complete_passport() {
        let all: Vec<Category> = Category::required_ones().collect();
        let r = of(&all);
        assert_eq!(
            r.overall,
            Progress {
                done: 24,
                required: 24,
                percent: 100
            }
        );
        assert!(
            r.parts
                .iter()
                .all(|p| p.percent == 100 && p.missing.is_empty())
        );
        // One short is not rounded up to 100.
        let r = of(&all[1..]);
        assert_eq!(r.overall.percent, 95);
        assert_eq!(r.parts[0].percent, 83);
    }
}
