//! The technical passport's nine standard sections (DOMAIN.md), shared by the performances
//! function (every new performance gets them) and the seeder (which writes performances the way
//! the API does).

use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// One of the nine sections every performance's technical passport starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StandardSection {
    pub code: &'static str,
    pub title: &'static str,
    /// The code of the department (цех) that owns the section, as V1 seeds departments.
    pub department: Option<&'static str>,
}

/// The nine sections, in DOMAIN.md's order. Special effects belong to the stage machinery
/// department (pyrotechnics, smoke and snow are rigged by the machinists); "other" to nobody.
pub const STANDARD_SECTIONS: [StandardSection; 9] = [
    StandardSection {
        code: "lighting",
        title: "Световая партитура",
        department: Some("light"),
    },
    StandardSection {
        code: "sound",
        title: "Звуковая партитура",
        department: Some("sound"),
    },
    StandardSection {
        code: "scenery",
        title: "Декорации",
        department: Some("stage"),
    },
    StandardSection {
        code: "props",
        title: "Реквизит",
        department: Some("props"),
    },
    StandardSection {
        code: "costumes",
        title: "Костюмы",
        department: Some("costume"),
    },
    StandardSection {
        code: "makeup",
        title: "Грим и причёски",
        department: Some("makeup"),
    },
    StandardSection {
        code: "video",
        title: "Видеопроекции",
        department: Some("video"),
    },
    StandardSection {
        code: "effects",
        title: "Спецэффекты",
        department: Some("stage"),
    },
    StandardSection {
        code: "other",
        title: "Прочее",
        department: None,
    },
];

/// The standard section with this code.
pub fn standard_section(code: &str) -> Option<&'static StandardSection> {
    STANDARD_SECTIONS.iter().find(|s| s.code == code)
}

/// Creates the nine sections of a new performance, each with the department of its trade
/// (resolved by the department's code in this theatre; a department the admins deleted leaves it
/// unassigned).
pub async fn create_standard_sections(
    client: &impl GenericClient,
    theater_id: Uuid,
    performance_id: Uuid,
) -> Result<(), tokio_postgres::Error> {
    let codes: Vec<&str> = STANDARD_SECTIONS.iter().map(|s| s.code).collect();
    let titles: Vec<&str> = STANDARD_SECTIONS.iter().map(|s| s.title).collect();
    let departments: Vec<Option<&str>> = STANDARD_SECTIONS.iter().map(|s| s.department).collect();
    client
        .execute(
            "INSERT INTO performance_sections (id, theater_id, performance_id, code, title,
                 sort_order, department_id)
             SELECT gen_random_uuid(), $1, $2, s.code, s.title, s.n * 10,
                    (SELECT d.id FROM departments d
                     WHERE d.theater_id = $1 AND d.code = s.department AND d.deleted_at IS NULL)
             FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                  AS s (code, title, department, n)",
            &[&theater_id, &performance_id, &codes, &titles, &departments],
        )
        .await?;
    Ok(())
}
