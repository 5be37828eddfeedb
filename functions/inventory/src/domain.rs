//! The inventory vocabulary (DOMAIN.md): statuses, conditions, movement kinds and the allowed
//! transitions, plus values parsed once at the handler boundary.

use shared::vocabulary;

pub mod movement;

vocabulary! {
    /// Where an item is in its life.
    ItemStatus {
        InStock => "in_stock",
        Reserved => "reserved",
        InUse => "in_use",
        InRepair => "in_repair",
        OnTour => "on_tour",
        WrittenOff => "written_off",
    }
}

vocabulary! {
    /// The physical state of an item.
    Condition {
        New => "new",
        Good => "good",
        Fair => "fair",
        Poor => "poor",
        Broken => "broken",
    }
}

vocabulary! {
    /// One kind of row in the movement ledger.
    MovementKind {
        Receipt => "receipt",
        Transfer => "transfer",
        Reserve => "reserve",
        Release => "release",
        Issue => "issue",
        Return => "return",
        RepairStart => "repair_start",
        RepairEnd => "repair_end",
        WriteOff => "write_off",
    }
}

impl ItemStatus {
    /// Whether an item in this status can be reserved or issued right now. The one place that
    /// says what "available" means.
    pub fn is_available(self) -> bool {
        matches!(self, ItemStatus::InStock)
    }

    /// The statuses that count as available (for SQL filters).
    pub fn available_statuses() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|s| s.is_available())
            .map(|s| s.as_str())
            .collect()
    }

    /// Whether the item is out of the store with someone (issued).
    pub fn is_with_holder(self) -> bool {
        matches!(self, ItemStatus::InUse)
    }
}

impl MovementKind {
    /// The status an item ends in after this movement from `from`, or `None` when the
    /// movement is not allowed from there (DOMAIN.md "Allowed transitions").
    pub fn transition(self, from: ItemStatus) -> Option<ItemStatus> {
        use ItemStatus as S;
        use MovementKind as K;
        match (self, from) {
            // Only the first arrival, recorded when the item is created.
            (K::Receipt, _) => None,
            (K::Reserve, s) if s.is_available() => Some(S::Reserved),
            (K::Release, S::Reserved) => Some(S::InStock),
            (K::Issue, s) if s.is_available() => Some(S::InUse),
            (K::Issue, S::Reserved) => Some(S::InUse),
            (K::Return, S::InUse) => Some(S::InStock),
            (K::RepairStart, S::InStock) => Some(S::InRepair),
            (K::RepairEnd, S::InRepair) => Some(S::InStock),
            (K::Transfer, S::WrittenOff | S::InUse) => None,
            (K::Transfer, s) => Some(s),
            (K::WriteOff, S::WrittenOff) => None,
            (K::WriteOff, _) => Some(S::WrittenOff),
            _ => None,
        }
    }

    /// The permission a caller needs for this kind of movement.
    pub fn permission(self) -> shared::permissions::Permission {
        use shared::permissions::Permission as P;
        match self {
            MovementKind::Reserve | MovementKind::Release => P::InventoryReserve,
            MovementKind::WriteOff => P::InventoryWriteOff,
            MovementKind::Receipt => P::InventoryCreate,
            _ => P::InventoryEdit,
        }
    }

    /// Whether the movement can take part of a quantity item (splitting it).
    pub fn can_split(self) -> bool {
        matches!(
            self,
            MovementKind::Transfer
                | MovementKind::Reserve
                | MovementKind::Issue
                | MovementKind::RepairStart
                | MovementKind::WriteOff
        )
    }
}

/// A category code: lower-case letters, digits and `_`, starting with a letter (it becomes the
/// upper-case prefix of inventory numbers).
pub fn category_code(raw: &str) -> Result<String, String> {
    let c = raw.trim();
    let ok = (1..=30).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if ok {
        Ok(c.to_string())
    } else {
        Err("must be 1-30 lower-case latin letters, digits or _, starting with a letter".into())
    }
}

/// A location code: like a category code, dashes allowed (`main-warehouse`).
pub fn location_code(raw: &str) -> Result<String, String> {
    let c = raw.trim();
    let ok = (1..=50).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-');
    if ok {
        Ok(c.to_string())
    } else {
        Err("must be 1-50 lower-case latin letters, digits, _ or -, starting with a letter".into())
    }
}

/// A colour as `#rrggbb` (lower-cased).
pub fn color(raw: &str) -> Result<String, String> {
    let c = raw.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c)
    } else {
        Err("must be a colour like #a1b2c3".into())
    }
}

/// An inventory number: upper-case latin letters, digits and `. _ / -`, so that it prints on
/// any label and reads the same in a QR code. Lower case is folded up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryNumber(String);

impl InventoryNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let n = raw.trim().to_ascii_uppercase();
        let ok = (1..=60).contains(&n.len())
            && n.starts_with(|c: char| c.is_ascii_alphanumeric())
            && n.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "._/-".contains(c));
        if ok {
            Ok(Self(n))
        } else {
            Err("must be 1-60 latin letters, digits, '.', '_', '/' or '-'".into())
        }
    }

    /// The generated form `{CATEGORY_CODE}-{YYYY}-{NNNNN}`.
    pub fn generated(category_code: &str, year: i32, counter: i64) -> Self {
        Self(format!(
            "{}-{year}-{counter:05}",
            category_code.to_ascii_uppercase()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A money amount per unit in roubles with at most two decimals, kept as text so that no
/// floating point touches it (stored as `numeric(14,2)`).
pub fn money(raw: &str) -> Result<String, String> {
    let m = raw.trim().replace(',', ".");
    let (whole, frac) = m.split_once('.').unwrap_or((&m, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 12
        && whole.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 2
        && frac.chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(m)
    } else {
        Err("must be a non-negative amount like 1234.50".into())
    }
}

pub use shared::text::{optional_text, tag, tags, text};

/// A positive physical measure (cm, kg).
pub fn measure(v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 && v < 1.0e7 {
        Ok(v)
    } else {
        Err("must be a positive number".into())
    }
}

/// A quantity of pieces.
pub fn quantity(v: i64) -> Result<i32, String> {
    if (1..=1_000_000).contains(&v) {
        Ok(v as i32)
    } else {
        Err("must be between 1 and 1000000".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_transition_of_the_domain_and_nothing_else() {
        use ItemStatus as S;
        use MovementKind as K;
        let allowed: &[(K, S, S)] = &[
            (K::Reserve, S::InStock, S::Reserved),
            (K::Release, S::Reserved, S::InStock),
            (K::Issue, S::InStock, S::InUse),
            (K::Issue, S::Reserved, S::InUse),
            (K::Return, S::InUse, S::InStock),
            (K::RepairStart, S::InStock, S::InRepair),
            (K::RepairEnd, S::InRepair, S::InStock),
            (K::Transfer, S::InStock, S::InStock),
            (K::Transfer, S::Reserved, S::Reserved),
            (K::Transfer, S::InRepair, S::InRepair),
            (K::Transfer, S::OnTour, S::OnTour),
            (K::WriteOff, S::InStock, S::WrittenOff),
            (K::WriteOff, S::Reserved, S::WrittenOff),
            (K::WriteOff, S::InUse, S::WrittenOff),
            (K::WriteOff, S::InRepair, S::WrittenOff),
            (K::WriteOff, S::OnTour, S::WrittenOff),
        ];
        for kind in K::ALL {
            for from in S::ALL {
                let expected = allowed
                    .iter()
                    .find(|(k, f, _)| k == kind && f == from)
                    .map(|(_, _, to)| *to);
                assert_eq!(kind.transition(*from), expected, "{kind} from {from}");
            }
        }
    }

    #[test]
    fn only_in_stock_counts_as_available() {
        assert_eq!(ItemStatus::available_statuses(), vec!["in_stock"]);
    }

    #[test]
    fn generated_numbers_follow_the_pattern() {
        assert_eq!(
            InventoryNumber::generated("props", 2026, 7).as_str(),
            "PROPS-2026-00007"
        );
        assert_eq!(
            InventoryNumber::parse(" inv-12/a ").unwrap().as_str(),
            "INV-12/A"
        );
        assert!(InventoryNumber::parse("ИНВ-1").is_err());
        assert!(InventoryNumber::parse("").is_err());
    }

    #[test]
    fn money_keeps_two_decimals_at_most() {
        assert_eq!(money("1234,5").unwrap(), "1234.5");
        assert!(money("-1").is_err());
        assert!(money("1.234").is_err());
        assert!(money("abc").is_err());
    }
}
