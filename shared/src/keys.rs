//! The bucket's key layout, in one place. Every object of a theatre lives under
//! `theaters/{theater_id}/{area}/…`; each function reads and writes only its areas, and the SAM
//! template grants each function exactly the areas [`AREAS`] gives it (checked in CI by
//! `infra/check-keys.py`). Keys are chosen by the server, never from a user's file name.

use uuid::Uuid;

/// A top-level area of a theatre's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Document versions and their previews (documents function, worker).
    Documents,
    /// Inventory item photos (inventory function).
    Inventory,
    /// Posters and production photos with their variants (performances function, worker).
    Performances,
    /// Report files too large for a response (reports function).
    Reports,
}

impl Area {
    pub const ALL: [Area; 4] = [
        Area::Documents,
        Area::Inventory,
        Area::Performances,
        Area::Reports,
    ];

    /// The path segment after `theaters/{theater_id}/`.
    pub fn segment(self) -> &'static str {
        match self {
            Area::Documents => "documents",
            Area::Inventory => "inventory",
            Area::Performances => "performances",
            Area::Reports => "reports",
        }
    }

    /// The IAM resource pattern of the area, relative to the bucket: `theaters/*/documents/*`.
    pub fn iam_pattern(self) -> String {
        format!("theaters/*/{}/*", self.segment())
    }
}

/// Which areas each deployed component touches (its directory under `functions/`, or `worker`).
/// `infra/check-keys.py` derives the same from the `keys::` calls in each component's code and
/// checks both against the template's grants.
pub const AREAS: &[(&str, &[Area])] = &[
    ("auth", &[]),
    ("migrate", &[]),
    ("inventory", &[Area::Inventory]),
    ("documents", &[Area::Documents]),
    ("performances", &[Area::Performances]),
    ("schedule", &[]),
    ("reports", &[Area::Reports]),
    (
        "worker",
        &[
            Area::Documents,
            Area::Inventory,
            Area::Performances,
            Area::Reports,
        ],
    ),
];

fn area(theater_id: Uuid, area: Area) -> String {
    format!("theaters/{theater_id}/{}", area.segment())
}

/// The bytes of a document version.
pub fn document_original(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    format!(
        "{}/{document_id}/versions/{version_id}/original",
        area(theater_id, Area::Documents)
    )
}

/// A document version's preview (a PDF or a PNG thumbnail).
pub fn document_preview(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    format!(
        "{}/{document_id}/versions/{version_id}/preview",
        area(theater_id, Area::Documents)
    )
}

/// An inventory CSV export written for a client to download (on Lambda, where a response
/// cannot carry it).
pub fn inventory_export(theater_id: Uuid, export_id: Uuid) -> String {
    format!(
        "{}/exports/{export_id}.csv",
        area(theater_id, Area::Inventory)
    )
}

/// A report file written for a client to download (too large for a response).
pub fn report_output(theater_id: Uuid, output_id: Uuid, ext: &str) -> String {
    format!(
        "{}/outputs/{output_id}.{ext}",
        area(theater_id, Area::Reports)
    )
}

/// The folder of a theatre's stored report files (the sweeper lists it).
pub fn report_outputs(theater_id: Uuid) -> String {
    format!("{}/outputs/", area(theater_id, Area::Reports))
}

/// The folder of a theatre's inventory exports (the sweeper lists it).
pub fn inventory_exports(theater_id: Uuid) -> String {
    format!("{}/exports/", area(theater_id, Area::Inventory))
}

/// How long a stored export's download link works; the sweeper deletes the file after that.
pub const INVENTORY_EXPORT_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Where an item photo is uploaded (the presigned PUT).
pub fn item_photo_upload(theater_id: Uuid, item_id: Uuid, photo_id: Uuid, ext: &str) -> String {
    format!(
        "{}/items/{item_id}/photos/{photo_id}.{ext}",
        area(theater_id, Area::Inventory)
    )
}

/// Where an item photo's bytes live once checked: a key no upload URL was ever made for.
pub fn item_photo_verified(theater_id: Uuid, item_id: Uuid, photo_id: Uuid, ext: &str) -> String {
    format!(
        "{}/items/{item_id}/photos/{photo_id}/verified.{ext}",
        area(theater_id, Area::Inventory)
    )
}

/// Where a poster or production photo is uploaded (the presigned PUT).
pub fn performance_image_original(
    theater_id: Uuid,
    performance_id: Uuid,
    image_id: Uuid,
) -> String {
    format!(
        "{}/{performance_id}/images/{image_id}/original",
        area(theater_id, Area::Performances)
    )
}

/// One variant of a poster or photo: `name` is e.g. `card_webp`, `ext` `webp`.
pub fn performance_image_variant(
    theater_id: Uuid,
    performance_id: Uuid,
    image_id: Uuid,
    name: &str,
    ext: &str,
) -> String {
    format!(
        "{}/{performance_id}/images/{image_id}/{name}.{ext}",
        area(theater_id, Area::Performances)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_lies_in_an_area_its_pattern_covers() {
        let t = Uuid::new_v4();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let cases = [
            (document_original(t, a, b), Area::Documents),
            (document_preview(t, a, b), Area::Documents),
            (item_photo_upload(t, a, b, "jpg"), Area::Inventory),
            (item_photo_verified(t, a, b, "jpg"), Area::Inventory),
            (performance_image_original(t, a, b), Area::Performances),
            (
                performance_image_variant(t, a, b, "card_webp", "webp"),
                Area::Performances,
            ),
        ];
        for (key, area) in cases {
            let prefix = format!("theaters/{t}/{}/", area.segment());
            assert!(key.starts_with(&prefix), "{key} outside {prefix}");
            assert!(!key.contains("//"));
        }
    }
}
