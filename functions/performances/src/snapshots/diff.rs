//! The frozen state of a passport and the comparison of two states: what a technical director
//! checks before a revival or a tour ("what changed since the premiere?").

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::passport::categories::Category;

/// A passport at one moment: stored as the snapshot's jsonb, built live for a comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PassportState {
    pub sections: Vec<SectionState>,
    pub documents: Vec<DocumentState>,
    pub kit: Vec<KitLine>,
    pub cast: Vec<CastEntry>,
}

/// One passport section: its content and who answers for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SectionState {
    /// `lighting`, `sound`, … (DOMAIN.md's nine sections).
    pub code: String,
    pub title: String,
    /// The section's content (Markdown) as stored.
    pub content: String,
    pub responsible_user_id: Option<Uuid>,
}

/// The version of a document that was current (ready) at the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionRef {
    pub id: Uuid,
    pub number: i32,
}

/// A document filed in the passport, with its current version (none while nothing is ready).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentState {
    pub document_id: Uuid,
    pub title: String,
    pub category: Category,
    pub version: Option<VersionRef>,
}

/// A kit list line: an inventory item and how many the production needs, optionally for one
/// section or scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KitLine {
    pub item_id: Uuid,
    pub item_name: String,
    pub inventory_number: Option<String>,
    pub section: Option<String>,
    pub scene_id: Option<Uuid>,
    /// The cast member who wears or uses it (costumes).
    pub cast_member_id: Option<Uuid>,
    pub quantity: i32,
}

/// A member of the cast or crew and the role they take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CastEntry {
    /// The person's name as shown.
    pub name: String,
    pub user_id: Option<Uuid>,
    /// The character (cast) or job (crew).
    pub role: String,
    /// `cast` or `crew`.
    pub kind: String,
}

/// One section compared.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SectionChange {
    pub code: String,
    pub title: String,
    pub changed: bool,
    /// The section as frozen (null: it did not exist then).
    pub old: Option<SectionState>,
    /// The section now (null: it no longer exists).
    pub new: Option<SectionState>,
}

/// A document whose current version is not the frozen one.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct VersionChange {
    pub document_id: Uuid,
    pub title: String,
    pub category: Category,
    pub old_version: Option<VersionRef>,
    pub new_version: Option<VersionRef>,
}

/// A document filed under another category than when frozen.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CategoryChange {
    pub document_id: Uuid,
    pub title: String,
    pub old_category: Category,
    pub new_category: Category,
}

/// The documents compared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct DocumentChanges {
    /// Documents with another current version than the frozen one (usually newer).
    pub newer_versions: Vec<VersionChange>,
    pub added: Vec<DocumentState>,
    pub removed: Vec<DocumentState>,
    pub recategorized: Vec<CategoryChange>,
}

/// A kit line (item, section, scene) needed in another quantity.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct QuantityChange {
    pub item_id: Uuid,
    pub item_name: String,
    pub section: Option<String>,
    pub scene_id: Option<Uuid>,
    pub cast_member_id: Option<Uuid>,
    pub old_quantity: i32,
    pub new_quantity: i32,
}

/// The kit list compared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct KitChanges {
    pub added: Vec<KitLine>,
    pub removed: Vec<KitLine>,
    pub quantity_changed: Vec<QuantityChange>,
}

/// The cast compared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct CastChanges {
    pub added: Vec<CastEntry>,
    pub removed: Vec<CastEntry>,
}

/// Everything that differs between a frozen passport and another state of it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct PassportDiff {
    /// Whether anything at all differs.
    pub changed: bool,
    /// Every section of either state, changed or not, in the order of the newer state.
    pub sections: Vec<SectionChange>,
    pub documents: DocumentChanges,
    pub kit: KitChanges,
    pub cast: CastChanges,
}

type KitKey = (Uuid, Option<String>, Option<Uuid>, Option<Uuid>);

/// Kit lines merged by (item, section, scene, cast member): two lines of one item for one
/// scene are one need.
fn kit_by_key(lines: &[KitLine]) -> BTreeMap<KitKey, KitLine> {
    let mut out: BTreeMap<KitKey, KitLine> = BTreeMap::new();
    for line in lines {
        let key = (
            line.item_id,
            line.section.clone(),
            line.scene_id,
            line.cast_member_id,
        );
        out.entry(key)
            .and_modify(|l| l.quantity += line.quantity)
            .or_insert_with(|| line.clone());
    }
    out
}

type CastKey = (String, String, String);

fn cast_key(c: &CastEntry) -> CastKey {
    let person = c
        .user_id
        .map_or_else(|| c.name.trim().to_lowercase(), |u| u.to_string());
    (person, c.role.trim().to_lowercase(), c.kind.clone())
}

fn compare_sections(old: &[SectionState], new: &[SectionState]) -> Vec<SectionChange> {
    let old_by_code: BTreeMap<&str, &SectionState> =
        old.iter().map(|s| (s.code.as_str(), s)).collect();
    let new_codes: BTreeSet<&str> = new.iter().map(|s| s.code.as_str()).collect();
    let mut out: Vec<SectionChange> = new
        .iter()
        .map(|n| {
            let o = old_by_code.get(n.code.as_str()).copied();
            SectionChange {
                code: n.code.clone(),
                title: n.title.clone(),
                changed: o.is_none_or(|o| {
                    o.content != n.content || o.responsible_user_id != n.responsible_user_id
                }),
                old: o.cloned(),
                new: Some(n.clone()),
            }
        })
        .collect();
    out.extend(
        old.iter()
            .filter(|o| !new_codes.contains(o.code.as_str()))
            .map(|o| SectionChange {
                code: o.code.clone(),
                title: o.title.clone(),
                changed: true,
                old: Some(o.clone()),
                new: None,
            }),
    );
    out
}

fn compare_documents(old: &[DocumentState], new: &[DocumentState]) -> DocumentChanges {
    let old_by_id: BTreeMap<Uuid, &DocumentState> =
        old.iter().map(|d| (d.document_id, d)).collect();
    let new_by_id: BTreeMap<Uuid, &DocumentState> =
        new.iter().map(|d| (d.document_id, d)).collect();
    let mut changes = DocumentChanges::default();
    for (id, n) in &new_by_id {
        match old_by_id.get(id) {
            None => changes.added.push((*n).clone()),
            Some(o) => {
                if o.version.map(|v| v.id) != n.version.map(|v| v.id) {
                    changes.newer_versions.push(VersionChange {
                        document_id: *id,
                        title: n.title.clone(),
                        category: n.category,
                        old_version: o.version,
                        new_version: n.version,
                    });
                }
                if o.category != n.category {
                    changes.recategorized.push(CategoryChange {
                        document_id: *id,
                        title: n.title.clone(),
                        old_category: o.category,
                        new_category: n.category,
                    });
                }
            }
        }
    }
    changes.removed = old_by_id
        .iter()
        .filter(|(id, _)| !new_by_id.contains_key(id))
        .map(|(_, o)| (*o).clone())
        .collect();
    changes
}

fn compare_kit(old: &[KitLine], new: &[KitLine]) -> KitChanges {
    let old = kit_by_key(old);
    let new = kit_by_key(new);
    let mut changes = KitChanges::default();
    for (key, n) in &new {
        match old.get(key) {
            None => changes.added.push(n.clone()),
            Some(o) if o.quantity != n.quantity => changes.quantity_changed.push(QuantityChange {
                item_id: n.item_id,
                item_name: n.item_name.clone(),
                section: n.section.clone(),
                scene_id: n.scene_id,
                cast_member_id: n.cast_member_id,
                old_quantity: o.quantity,
                new_quantity: n.quantity,
            }),
            Some(_) => {}
        }
    }
    changes.removed = old
        .iter()
        .filter(|(key, _)| !new.contains_key(key))
        .map(|(_, o)| o.clone())
        .collect();
    changes
}

fn compare_cast(old: &[CastEntry], new: &[CastEntry]) -> CastChanges {
    let old_keys: BTreeSet<CastKey> = old.iter().map(cast_key).collect();
    let new_keys: BTreeSet<CastKey> = new.iter().map(cast_key).collect();
    CastChanges {
        added: new
            .iter()
            .filter(|c| !old_keys.contains(&cast_key(c)))
            .cloned()
            .collect(),
        removed: old
            .iter()
            .filter(|c| !new_keys.contains(&cast_key(c)))
            .cloned()
            .collect(),
    }
}

/// What changed from `old` (the snapshot) to `new` (usually the live passport).
pub fn compare(old: &PassportState, new: &PassportState) -> PassportDiff {
    let sections = compare_sections(&old.sections, &new.sections);
    let documents = compare_documents(&old.documents, &new.documents);
    let kit = compare_kit(&old.kit, &new.kit);
    let cast = compare_cast(&old.cast, &new.cast);
    let changed = sections.iter().any(|s| s.changed)
        || documents != DocumentChanges::default()
        || kit != KitChanges::default()
        || cast != CastChanges::default();
    PassportDiff {
        changed,
        sections,
        documents,
        kit,
        cast,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn section(code: &str, content: &str) -> SectionState {
        SectionState {
            code: code.into(),
            title: code.to_uppercase(),
            content: content.into(),
            responsible_user_id: None,
        }
    }

    fn document(n: u128, category: Category, version: Option<(u128, i32)>) -> DocumentState {
        DocumentState {
            document_id: id(n),
            title: format!("doc {n}"),
            category,
            version: version.map(|(v, number)| VersionRef { id: id(v), number }),
        }
    }

    fn kit(item: u128, quantity: i32, section: Option<&str>) -> KitLine {
        KitLine {
            item_id: id(item),
            item_name: format!("item {item}"),
            inventory_number: None,
            section: section.map(str::to_string),
            scene_id: None,
            cast_member_id: None,
            quantity,
        }
    }

    fn cast(name: &str, role: &str) -> CastEntry {
        CastEntry {
            name: name.into(),
            user_id: None,
            role: role.into(),
            kind: "cast".into(),
        }
    }

    fn premiere() -> PassportState {
        PassportState {
            sections: vec![section("lighting", "12 приборов"), section("sound", "")],
            documents: vec![
                document(1, Category::TechSpecLight, Some((11, 1))),
                document(2, Category::Drawings, Some((21, 3))),
                document(3, Category::Rider, None),
            ],
            kit: vec![kit(100, 2, Some("props")), kit(101, 1, None)],
            cast: vec![
                cast("Анна Петрова", "Нина"),
                cast("Иван Сидоров", "Треплев"),
            ],
        }
    }

    #[test]
    fn a_state_compared_with_itself_has_no_changes() {
        let d = compare(&premiere(), &premiere());
        assert!(!d.changed);
        assert_eq!(d.sections.len(), 2);
        assert!(d.sections.iter().all(|s| !s.changed && s.old == s.new));
        assert_eq!(d.documents, DocumentChanges::default());
        assert_eq!(d.kit, KitChanges::default());
        assert_eq!(d.cast, CastChanges::default());
    }

    #[test]
    fn exactly_the_changes_made_are_reported() {
        let old = premiere();
        let mut new = premiere();
        new.sections[0].content = "14 приборов".into();
        new.documents[0].version = Some(VersionRef {
            id: id(12),
            number: 2,
        });
        new.documents[2].version = Some(VersionRef {
            id: id(31),
            number: 1,
        });
        new.documents.remove(1);
        new.documents
            .push(document(4, Category::Sketches, Some((41, 1))));
        new.kit[0].quantity = 3;
        new.kit.remove(1);
        new.kit.push(kit(102, 5, Some("costumes")));
        new.cast.remove(1);
        new.cast.push(cast("Пётр Иванов", "Треплев"));

        let d = compare(&old, &new);
        assert!(d.changed);
        let changed: Vec<&str> = d
            .sections
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(changed, ["lighting"]);
        assert_eq!(d.sections[0].old.as_ref().unwrap().content, "12 приборов");
        assert_eq!(d.sections[0].new.as_ref().unwrap().content, "14 приборов");

        let newer: Vec<(Uuid, Option<i32>, Option<i32>)> = d
            .documents
            .newer_versions
            .iter()
            .map(|v| {
                (
                    v.document_id,
                    v.old_version.map(|v| v.number),
                    v.new_version.map(|v| v.number),
                )
            })
            .collect();
        assert_eq!(newer, [(id(1), Some(1), Some(2)), (id(3), None, Some(1))]);
        assert_eq!(
            d.documents
                .added
                .iter()
                .map(|d| d.document_id)
                .collect::<Vec<_>>(),
            [id(4)]
        );
        assert_eq!(
            d.documents
                .removed
                .iter()
                .map(|d| d.document_id)
                .collect::<Vec<_>>(),
            [id(2)]
        );
        assert!(d.documents.recategorized.is_empty());

        assert_eq!(
            d.kit.added.iter().map(|k| k.item_id).collect::<Vec<_>>(),
            [id(102)]
        );
        assert_eq!(
            d.kit.removed.iter().map(|k| k.item_id).collect::<Vec<_>>(),
            [id(101)]
        );
        assert_eq!(d.kit.quantity_changed.len(), 1);
        assert_eq!(
            (
                d.kit.quantity_changed[0].old_quantity,
                d.kit.quantity_changed[0].new_quantity
            ),
            (2, 3)
        );

        assert_eq!(d.cast.added, [cast("Пётр Иванов", "Треплев")]);
        assert_eq!(d.cast.removed, [cast("Иван Сидоров", "Треплев")]);
    }

    #[test]
    fn a_recategorized_document_is_reported_as_such() {
        let mut new = premiere();
        new.documents[1].category = Category::Layouts;
        let d = compare(&premiere(), &new);
        assert!(d.changed);
        assert_eq!(d.documents.recategorized.len(), 1);
        assert_eq!(
            d.documents.recategorized[0].old_category,
            Category::Drawings
        );
        assert!(d.documents.newer_versions.is_empty());
    }

    #[test]
    fn kit_lines_of_one_item_and_place_add_up_and_the_place_matters() {
        let old = PassportState {
            kit: vec![kit(100, 1, None), kit(100, 1, None)],
            ..Default::default()
        };
        let same = PassportState {
            kit: vec![kit(100, 2, None)],
            ..Default::default()
        };
        assert!(!compare(&old, &same).changed);
        let moved = PassportState {
            kit: vec![kit(100, 2, Some("props"))],
            ..Default::default()
        };
        let d = compare(&old, &moved);
        assert_eq!((d.kit.added.len(), d.kit.removed.len()), (1, 1));
        assert_eq!(d.kit.removed[0].quantity, 2);
    }

    #[test]
    fn sections_that_appear_or_vanish_are_changes() {
        let old = PassportState {
            sections: vec![section("video", "x")],
            ..Default::default()
        };
        let new = PassportState {
            sections: vec![section("effects", "y")],
            ..Default::default()
        };
        let d = compare(&old, &new);
        let shape: Vec<(&str, bool, bool)> = d
            .sections
            .iter()
            .map(|s| (s.code.as_str(), s.old.is_some(), s.new.is_some()))
            .collect();
        assert_eq!(shape, [("effects", false, true), ("video", true, false)]);
        assert!(d.sections.iter().all(|s| s.changed));
    }

    #[test]
    fn a_change_of_responsible_person_changes_the_section() {
        let mut new = premiere();
        new.sections[1].responsible_user_id = Some(id(9));
        let d = compare(&premiere(), &new);
        assert!(d.sections[1].changed && !d.sections[0].changed);
    }

    #[test]
    fn the_cast_is_matched_by_person_and_role_ignoring_case() {
        let mut new = premiere();
        new.cast[0].name = "анна петрова".into();
        assert!(!compare(&premiere(), &new).changed);
    }

    #[test]
    fn a_frozen_state_survives_its_json_form() {
        let s = premiere();
        let back: PassportState =
            serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
