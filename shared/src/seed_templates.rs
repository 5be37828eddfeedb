//! The demo theatre's two document templates (issue 13): a performance passport's title page
//! and an act of acceptance of props or costumes. Their DOCX files are written here by code
//! ([`crate::docx::build`]) and stored the way a verified upload is, so they are ordinary
//! documents with a ready version; the template rows and typed variables point at them.

use anyhow::Context;
use deadpool_postgres::GenericClient;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::docx::{Block, Run, build};
use crate::storage::Storage;
use crate::templates::{TemplateVariable, TemplateVariableType as T};

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn para(runs: Vec<Run>) -> Block {
    Block::Paragraph {
        runs,
        centered: false,
    }
}

fn centered(runs: Vec<Run>) -> Block {
    Block::Paragraph {
        runs,
        centered: true,
    }
}

fn var(name: &str, kind: T, label: &str, required: bool) -> TemplateVariable {
    TemplateVariable {
        name: name.into(),
        kind,
        label: Some(label.into()),
        required,
        default: None,
        options: vec![],
        field: None,
    }
}

fn field(mut v: TemplateVariable, field: &str) -> TemplateVariable {
    v.field = Some(field.into());
    v
}

fn default(mut v: TemplateVariable, value: &str) -> TemplateVariable {
    v.default = Some(value.into());
    v
}

/// The passport's title page: the production's card, cast and crew.
pub fn passport_title_page(theater_name: &str) -> (Vec<u8>, Vec<TemplateVariable>) {
    let docx = build(&[
        centered(vec![Run::plain("{{theater_name}}").sized(12)]),
        centered(vec![]),
        centered(vec![Run::bold("ПАСПОРТ СПЕКТАКЛЯ").sized(20)]),
        centered(vec![Run::bold("«{{title}}»").sized(16)]),
        centered(vec![Run::plain("{{subtitle}}")]),
        para(vec![Run::bold("Автор: "), Run::plain("{{author}}")]),
        para(vec![
            Run::bold("Режиссёр-постановщик: "),
            Run::plain("{{director}}"),
        ]),
        para(vec![Run::bold("Жанр: "), Run::plain("{{genre}}")]),
        para(vec![
            Run::bold("Возрастное ограничение: "),
            Run::plain("{{age_rating}}"),
        ]),
        para(vec![
            Run::bold("Продолжительность: "),
            Run::plain("{{duration}} мин., антрактов: {{intermissions}}"),
        ]),
        para(vec![
            Run::bold("Дата премьеры: "),
            Run::plain("{{premiere_date}}"),
        ]),
        para(vec![Run::bold("Действующие лица и исполнители")]),
        Block::Table(vec![
            vec![vec![Run::bold("Роль — исполнитель")]],
            vec![vec![Run::plain("{{cast}}")]],
        ]),
        para(vec![Run::bold("Постановочная группа")]),
        para(vec![Run::plain("{{crew}}")]),
        para(vec![]),
        para(vec![
            Run::plain("Паспорт составил: {{compiled_by}}"),
            Run::plain("    Дата составления: {{compiled_on}}"),
        ]),
    ]);
    let variables = vec![
        default(var("theater_name", T::Text, "Театр", true), theater_name),
        field(
            var("title", T::PerformanceField, "Название спектакля", true),
            "title",
        ),
        field(
            var("subtitle", T::PerformanceField, "Подзаголовок", false),
            "subtitle",
        ),
        field(var("author", T::PerformanceField, "Автор", false), "author"),
        field(
            var(
                "director",
                T::PerformanceField,
                "Режиссёр-постановщик",
                true,
            ),
            "director",
        ),
        field(var("genre", T::PerformanceField, "Жанр", false), "genre"),
        field(
            var(
                "age_rating",
                T::PerformanceField,
                "Возрастное ограничение",
                false,
            ),
            "age_rating",
        ),
        field(
            var(
                "duration",
                T::PerformanceField,
                "Продолжительность, мин",
                false,
            ),
            "duration_minutes",
        ),
        field(
            var("intermissions", T::PerformanceField, "Антракты", false),
            "intermissions",
        ),
        field(
            var("premiere_date", T::Date, "Дата премьеры", false),
            "premiere_date",
        ),
        var(
            "cast",
            T::ActorList,
            "Действующие лица и исполнители",
            false,
        ),
        var("crew", T::StaffList, "Постановочная группа", false),
        field(
            var("compiled_by", T::UserField, "Паспорт составил", false),
            "full_name",
        ),
        var("compiled_on", T::Date, "Дата составления", true),
    ];
    (docx, variables)
}

/// An act of acceptance of props or costumes handed over for a production.
pub fn act_of_acceptance(theater_name: &str) -> (Vec<u8>, Vec<TemplateVariable>) {
    let docx = build(&[
        centered(vec![Run::plain("{{theater_name}}")]),
        centered(vec![Run::bold("АКТ № {{act_number}}").sized(16)]),
        centered(vec![Run::bold("приёма-передачи {{subject}}")]),
        para(vec![Run::plain("Дата: {{act_date}}")]),
        para(vec![
            Run::plain("Для спектакля «"),
            Run::bold("{{title}}"),
            Run::plain("» передано следующее имущество:"),
        ]),
        para(vec![Run::plain("{{items}}")]),
        para(vec![
            Run::plain("Общая оценочная стоимость: "),
            Run::bold("{{total_value}}"),
            Run::plain(" руб."),
        ]),
        para(vec![Run::plain(
            "Имущество передано в исправном состоянии, претензий стороны не имеют.",
        )]),
        para(vec![Run::bold("Ответственные службы спектакля")]),
        Block::Table(vec![
            vec![vec![Run::bold("Должность — сотрудник")]],
            vec![vec![Run::plain("{{crew}}")]],
        ]),
        para(vec![]),
        para(vec![Run::plain("Передал: ____________ {{handed_over_by}}")]),
        para(vec![Run::plain("Принял: ____________ {{received_by}}")]),
    ]);
    let mut subject = var("subject", T::Choice, "Что передаётся", true);
    subject.options = vec![
        "реквизита".into(),
        "костюмов".into(),
        "реквизита и костюмов".into(),
    ];
    subject.default = Some("реквизита".into());
    let variables = vec![
        default(var("theater_name", T::Text, "Театр", true), theater_name),
        var("act_number", T::Text, "Номер акта", true),
        subject,
        var("act_date", T::Date, "Дата акта", true),
        field(
            var("title", T::PerformanceField, "Спектакль", true),
            "title",
        ),
        var(
            "items",
            T::Text,
            "Перечень имущества (по строке на предмет)",
            true,
        ),
        var("total_value", T::Number, "Оценочная стоимость, руб.", false),
        var("crew", T::StaffList, "Ответственные службы", false),
        field(
            var("handed_over_by", T::UserField, "Передал (сотрудник)", true),
            "full_name",
        ),
        var("received_by", T::Text, "Принял (ФИО)", true),
    ];
    (docx, variables)
}

/// Seeds both templates into the theatre: a document with one ready version each, the
/// template rows and their variables. Returns how many templates were made.
pub async fn insert_templates(
    client: &impl GenericClient,
    storage: &Storage,
    theater_id: Uuid,
    admin_id: Uuid,
) -> anyhow::Result<usize> {
    let theater_name: String = client
        .query_one("SELECT name FROM theaters WHERE id = $1", &[&theater_id])
        .await?
        .get(0);
    let category: Uuid = client
        .query_one(
            "SELECT id FROM document_categories WHERE theater_id = $1 AND code = 'other'",
            &[&theater_id],
        )
        .await
        .context("no document category other")?
        .get(0);
    let specs = [
        (
            "Титульный лист паспорта спектакля",
            "Первая страница паспорта: название, автор, режиссёр, премьера, исполнители и постановочная группа.",
            "passport-title-page.docx",
            passport_title_page(&theater_name),
        ),
        (
            "Акт приёма-передачи реквизита и костюмов",
            "Акт передачи реквизита или костюмов на спектакль с перечнем, стоимостью и подписями сторон.",
            "act-of-acceptance.docx",
            act_of_acceptance(&theater_name),
        ),
    ];
    for (name, description, filename, (bytes, variables)) in &specs {
        let document_id = Uuid::now_v7();
        let version_id = Uuid::now_v7();
        client
            .execute(
                "INSERT INTO documents (id, theater_id, category_id, title, description, tags,
                     status, created_by)
                 VALUES ($1, $2, $3, $4, $5, ARRAY['шаблон'], 'active', $6)",
                &[
                    &document_id,
                    &theater_id,
                    &category,
                    &format!("Шаблон: {name}"),
                    description,
                    &admin_id,
                ],
            )
            .await?;
        let original = crate::keys::document_original(theater_id, document_id, version_id);
        let key = match original.strip_suffix("/original") {
            Some(stem) => format!("{stem}/verified"),
            None => format!("{original}.verified"),
        };
        let size = bytes.len() as i64;
        let sha256: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        storage.put(&key, bytes.clone(), DOCX_TYPE).await?;
        let etag = storage
            .head(&key)
            .await?
            .and_then(|o| o.etag)
            .with_context(|| format!("no ETag for the seeded template {key}"))?;
        let text = crate::docx::text(bytes).ok();
        client
            .execute(
                "INSERT INTO document_versions (id, theater_id, document_id, number, status,
                     original_filename, declared_size, declared_content_type, size, sha256,
                     content_type, storage_key, extracted_text, uploaded_by, verified_etag,
                     attempts, processing_started_at, completed_at)
                 VALUES ($1, $2, $3, 1, 'ready', $4, $5, $6, $5, $7, $6, $8, $9, $10, $11, 1,
                         now(), now())",
                &[
                    &version_id,
                    &theater_id,
                    &document_id,
                    filename,
                    &size,
                    &DOCX_TYPE,
                    &sha256,
                    &key,
                    &text,
                    &admin_id,
                    &etag,
                ],
            )
            .await?;
        client
            .execute(
                "UPDATE documents SET current_version_id = $2, last_version_number = 1 WHERE id = $1",
                &[&document_id, &version_id],
            )
            .await?;
        let template_id = Uuid::now_v7();
        let placeholders = crate::docx::placeholders(bytes)?;
        client
            .execute(
                "INSERT INTO document_templates (id, theater_id, document_id, name, description,
                     placeholders, placeholders_version_id, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &template_id,
                    &theater_id,
                    &document_id,
                    name,
                    description,
                    &placeholders,
                    &version_id,
                    &admin_id,
                ],
            )
            .await?;
        for (position, v) in variables.iter().enumerate() {
            client
                .execute(
                    "INSERT INTO document_template_variables (theater_id, template_id, name, type,
                         label, required, default_value, options, field, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &theater_id,
                        &template_id,
                        &v.name,
                        &v.kind.as_str(),
                        &v.label,
                        &v.required,
                        &v.default,
                        &v.options,
                        &v.field,
                        &(position as i32),
                    ],
                )
                .await?;
        }
    }
    Ok(specs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_the_seeded_templates_has_a_variable_and_back() {
        for (docx, variables) in [passport_title_page("Т"), act_of_acceptance("Т")] {
            let mut found = crate::docx::placeholders(&docx).unwrap();
            let mut defined: Vec<String> = variables.iter().map(|v| v.name.clone()).collect();
            found.sort();
            defined.sort();
            assert_eq!(found, defined);
        }
    }
}
