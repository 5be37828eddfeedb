//! The performances vocabulary (DOMAIN.md): statuses and their moves, the nine passport
//! sections with their departments, cast kinds, image kinds, and values parsed once at the
//! handler boundary. No I/O here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use shared::text::{optional_text, text};

use shared::vocabulary;

vocabulary! {
    /// Where a production is in its life.
    PerformanceStatus {
        Preparation => "preparation",
        InRepertoire => "in_repertoire",
        Paused => "paused",
        Archived => "archived",
    }
}

impl PerformanceStatus {
    /// DOMAIN.md: preparation → in_repertoire | archived; in_repertoire ↔ paused; either →
    /// archived; archived → preparation (a revival). Nothing else, and no move to itself.
    pub fn can_move_to(self, to: PerformanceStatus) -> bool {
        use PerformanceStatus as S;
        matches!(
            (self, to),
            (S::Preparation, S::InRepertoire)
                | (S::Preparation, S::Archived)
                | (S::InRepertoire, S::Paused)
                | (S::Paused, S::InRepertoire)
                | (S::InRepertoire, S::Archived)
                | (S::Paused, S::Archived)
                | (S::Archived, S::Preparation)
        )
    }

    /// The statuses reachable from this one.
    pub fn next(self) -> Vec<PerformanceStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|to| self.can_move_to(*to))
            .collect()
    }

    /// Whether the production keeps a place in the repertoire list (paused shows come back to
    /// where they were).
    pub fn keeps_repertoire_place(self) -> bool {
        matches!(
            self,
            PerformanceStatus::InRepertoire | PerformanceStatus::Paused
        )
    }
}

/// The age rating shown on a poster (Russian law: 0+, 6+, 12+, 16+, 18+). Written out, not
/// through `vocabulary!`: its wire forms are not the variants' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum AgeRating {
    #[serde(rename = "0+")]
    Zero,
    #[serde(rename = "6+")]
    Six,
    #[serde(rename = "12+")]
    Twelve,
    #[serde(rename = "16+")]
    Sixteen,
    #[serde(rename = "18+")]
    Eighteen,
}

impl AgeRating {
    const TEXTS: [(AgeRating, &'static str); 5] = [
        (AgeRating::Zero, "0+"),
        (AgeRating::Six, "6+"),
        (AgeRating::Twelve, "12+"),
        (AgeRating::Sixteen, "16+"),
        (AgeRating::Eighteen, "18+"),
    ];

    /// The wire and database form.
    pub fn as_str(self) -> &'static str {
        Self::TEXTS
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("0+", |(_, t)| t)
    }

    /// Parses the wire (or database) form.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::TEXTS
            .iter()
            .find(|(_, t)| *t == s.trim())
            .map(|(a, _)| *a)
            .ok_or_else(|| format!("unknown value {s:?}; expected one of: 0+, 6+, 12+, 16+, 18+"))
    }
}

vocabulary! {
    /// Whether a person performs or works behind the scenes.
    CastKind {
        Cast => "cast",
        Crew => "crew",
    }
}

vocabulary! {
    /// A poster (one current per performance) or a production photo.
    ImageKind {
        Poster => "poster",
        Photo => "photo",
    }
}

vocabulary! {
    /// Processing state of a poster or photo: `pending` (waiting for the upload) →
    /// `processing` → `ready` | `failed`.
    ImageStatus {
        Pending => "pending",
        Processing => "processing",
        Ready => "ready",
        Failed => "failed",
    }
}

pub use shared::passport::{STANDARD_SECTIONS, StandardSection, standard_section};

/// A section code: lower-case latin letters, digits and `_`, 2-50 characters.
pub fn section_code(raw: &str) -> Result<String, String> {
    let c = raw.trim();
    let ok = (2..=50).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if ok {
        Ok(c.to_string())
    } else {
        Err("must be 2-50 characters: lower-case latin letters, digits and _".into())
    }
}

/// Markdown content of a section (at most 100 000 characters, no control characters except
/// line breaks and tabs).
pub fn markdown(raw: &str) -> Result<String, String> {
    if raw.chars().count() > 100_000 {
        return Err("must be at most 100000 characters".into());
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(raw.to_string())
}

/// An integer within bounds, named in the message.
pub fn bounded(value: i32, min: i32, max: i32) -> Result<i32, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between {min} and {max}"))
    }
}

/// A `q` search term as an ILIKE pattern matching it anywhere (`%` and `_` taken literally).
pub fn contains_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// What a kit line's item can give right now: whether the item counts as available (its
/// status, per inventory's one rule) and how many are missing for the required quantity.
pub fn kit_shortage(item_available: bool, item_quantity: i32, required: i32) -> (bool, i32) {
    let have = if item_available { item_quantity } else { 0 };
    let shortage = (required - have).max(0);
    (shortage == 0, shortage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PerformanceStatus as S;

    #[test]
    fn exactly_the_moves_of_domain_md_are_allowed() {
        let allowed = [
            (S::Preparation, S::InRepertoire),
            (S::Preparation, S::Archived),
            (S::InRepertoire, S::Paused),
            (S::Paused, S::InRepertoire),
            (S::InRepertoire, S::Archived),
            (S::Paused, S::Archived),
            (S::Archived, S::Preparation),
        ];
        for from in S::ALL {
            for to in S::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    allowed.contains(&(*from, *to)),
                    "{from} → {to}"
                );
            }
        }
        assert_eq!(S::Archived.next(), vec![S::Preparation]);
    }

    #[test]
    fn the_nine_sections_come_in_domain_order_with_their_departments() {
        let codes: Vec<&str> = STANDARD_SECTIONS.iter().map(|s| s.code).collect();
        assert_eq!(
            codes,
            [
                "lighting", "sound", "scenery", "props", "costumes", "makeup", "video", "effects",
                "other"
            ]
        );
        assert_eq!(
            standard_section("costumes").unwrap().department,
            Some("costume")
        );
        assert_eq!(standard_section("other").unwrap().department, None);
    }

    #[test]
    fn wire_forms_are_the_vocabulary_texts() {
        assert_eq!(
            serde_json::to_value(S::InRepertoire).unwrap(),
            "in_repertoire"
        );
        assert_eq!(serde_json::to_value(AgeRating::Twelve).unwrap(), "12+");
        assert_eq!(AgeRating::parse("16+").unwrap(), AgeRating::Sixteen);
        let schema =
            serde_json::to_value(<PerformanceStatus as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["preparation", "in_repertoire", "paused", "archived"])
        );
        let schema = serde_json::to_value(<AgeRating as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["0+", "6+", "12+", "16+", "18+"])
        );
    }

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("50%_a"), "%50\\%\\_a%");
    }

    #[test]
    fn shortage_counts_what_is_missing() {
        assert_eq!(kit_shortage(true, 40, 30), (true, 0));
        assert_eq!(kit_shortage(true, 2, 5), (false, 3));
        assert_eq!(kit_shortage(false, 40, 1), (false, 1));
    }

    #[test]
    fn markdown_keeps_line_breaks_and_refuses_other_controls() {
        assert!(markdown("# Свет\n\n- пушка 1\t200 Вт").is_ok());
        assert!(markdown("a\u{0}b").is_err());
    }
}
