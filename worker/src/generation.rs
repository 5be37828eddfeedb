//! The `generate_document` job: fill a template's DOCX with the values the API resolved and
//! recorded, convert it to PDF when asked (LibreOffice headless, with a deadline), and store it
//! as the first version of the generation's new document.
//!
//! Idempotent: the generation row pre-assigns the version's id, so a retried job writes the
//! same object and the same version row (`ON CONFLICT DO NOTHING`), and the version then goes
//! through the same verification as an upload ([`crate::versioning::run`]: hash, sniffed type,
//! text for search, preview). A finished generation is left alone.

use anyhow::Context;
use serde_json::Value;
use shared::docx::Values;
use shared::jobs::{GenerateDocument, VersionDocument};
use uuid::Uuid;

use crate::Deps;
use crate::preview::{libreoffice, office_to_pdf};

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// What the row says about the work.
struct Claim {
    attempts: i32,
    format: String,
    values: Value,
    document_id: Uuid,
    version_id: Uuid,
    template_key: String,
    template_name: String,
    created_by: Option<Uuid>,
}

/// Why a PDF cannot be made on this machine (the generation's `error`).
pub const NO_LIBREOFFICE: &str = "PDF output needs LibreOffice, which is not installed on the worker; generate the document as DOCX, or install LibreOffice (libreoffice-writer-nogui) where the worker runs";

/// Runs the job. `Err` means "try again"; after the last attempt the generation is marked
/// failed and `Ok` is returned.
pub async fn run(deps: &Deps, job: GenerateDocument) -> anyhow::Result<()> {
    let Some(claim) = claim(deps, job).await? else {
        return Ok(());
    };
    let max = deps.config.max_attempts;
    if claim.attempts > max {
        fail(
            deps,
            job,
            &claim,
            &format!("generation did not finish after {max} attempts"),
        )
        .await?;
        return Ok(());
    }
    match process(deps, job, &claim).await {
        Ok(()) => Ok(()),
        Err(e) if claim.attempts >= max => {
            tracing::error!(error = ?e, generation_id = %job.generation_id, "last attempt failed");
            fail(
                deps,
                job,
                &claim,
                "the document could not be generated because of an internal error; try again or contact support",
            )
            .await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn claim(deps: &Deps, job: GenerateDocument) -> anyhow::Result<Option<Claim>> {
    let client = deps.db.get().await?;
    let row = client
        .query_opt(
            "UPDATE document_generations g
             SET attempts = g.attempts + 1, processing_started_at = now()
             FROM document_versions v, document_templates t
             WHERE g.theater_id = $1 AND g.id = $2 AND g.status = 'processing'
               AND v.id = g.template_version_id AND t.id = g.template_id
             RETURNING g.attempts, g.format, g.\"values\", g.document_id, g.version_id,
                 v.storage_key, t.name, g.created_by",
            &[&job.theater_id, &job.generation_id],
        )
        .await?;
    Ok(row.map(|r| Claim {
        attempts: r.get(0),
        format: r.get(1),
        values: r.get(2),
        document_id: r.get(3),
        version_id: r.get(4),
        template_key: r.get(5),
        template_name: r.get(6),
        created_by: r.get(7),
    }))
}

/// Marks the generation failed with `reason`; its empty document goes away (soft delete).
async fn fail(
    deps: &Deps,
    job: GenerateDocument,
    claim: &Claim,
    reason: &str,
) -> anyhow::Result<()> {
    let mut client = deps.db.get().await?;
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE document_generations SET status = 'failed', error = $3, completed_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'processing'",
            &[&job.theater_id, &job.generation_id, &reason],
        )
        .await?;
    if changed == 1 {
        tx.execute(
            "UPDATE documents SET deleted_at = now(), updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND current_version_id IS NULL",
            &[&job.theater_id, &claim.document_id],
        )
        .await?;
        tracing::info!(generation_id = %job.generation_id, reason, "generation failed");
    }
    tx.commit().await?;
    Ok(())
}

/// The recorded values as the filler takes them: texts, and arrays for lists.
pub fn values_from_record(record: &Value) -> Values {
    let mut values = Values::default();
    if let Value::Object(map) = record {
        for (name, value) in map {
            match value {
                Value::Array(items) => {
                    values.lists.insert(
                        name.clone(),
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                    );
                }
                Value::String(s) => {
                    values.scalars.insert(name.clone(), s.clone());
                }
                other => {
                    values.scalars.insert(name.clone(), other.to_string());
                }
            }
        }
    }
    values
}

async fn read_all(deps: &Deps, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(object) = deps.storage.get(key).await? else {
        return Ok(None);
    };
    let bytes = object
        .body
        .collect()
        .await
        .context("reading the template")?;
    Ok(Some(bytes.into_bytes().to_vec()))
}

/// The file name of the result: the template's name, made safe for file systems.
fn file_name(template: &str, ext: &str) -> String {
    let stem: String = template
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let stem = stem.trim();
    format!("{}.{ext}", if stem.is_empty() { "document" } else { stem })
}

async fn process(deps: &Deps, job: GenerateDocument, claim: &Claim) -> anyhow::Result<()> {
    let client = deps.db.get().await?;
    let existing: Option<String> = client
        .query_opt(
            "SELECT status FROM document_versions WHERE theater_id = $1 AND id = $2",
            &[&job.theater_id, &claim.version_id],
        )
        .await?
        .map(|r| r.get(0));
    drop(client);
    if existing.is_none() {
        let Some(template) = read_all(deps, &claim.template_key).await? else {
            fail(
                deps,
                job,
                claim,
                "the template's file is missing from storage",
            )
            .await?;
            return Ok(());
        };
        let values = values_from_record(&claim.values);
        let filled = tokio::task::spawn_blocking(move || shared::docx::fill(&template, &values))
            .await
            .context("the filler panicked")?;
        let docx = match filled {
            Ok(bytes) => bytes,
            Err(e) => {
                fail(
                    deps,
                    job,
                    claim,
                    &format!("the template cannot be filled: {e}"),
                )
                .await?;
                return Ok(());
            }
        };
        let (bytes, content_type, name) = if claim.format == "pdf" {
            if libreoffice().is_none() {
                fail(deps, job, claim, NO_LIBREOFFICE).await?;
                return Ok(());
            }
            let spool = tempfile::NamedTempFile::new_in(crate::expiry::spool_dir()?)
                .context("creating a spool file")?;
            tokio::fs::write(spool.path(), &docx).await?;
            let pdf = office_to_pdf(spool.path(), "docx")
                .await?
                .context("LibreOffice vanished")?;
            (
                pdf,
                "application/pdf",
                file_name(&claim.template_name, "pdf"),
            )
        } else {
            (docx, DOCX_TYPE, file_name(&claim.template_name, "docx"))
        };
        let key =
            shared::keys::document_original(job.theater_id, claim.document_id, claim.version_id);
        let size = bytes.len() as i64;
        deps.storage.put(&key, bytes, content_type).await?;
        let client = deps.db.get().await?;
        client
            .execute(
                "INSERT INTO document_versions (id, theater_id, document_id, status,
                     original_filename, declared_size, declared_content_type, storage_key, comment,
                     uploaded_by, processing_started_at)
                 VALUES ($1, $2, $3, 'processing', $4, $5, $6, $7, $8, $9, now())
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &claim.version_id,
                    &job.theater_id,
                    &claim.document_id,
                    &name,
                    &size,
                    &content_type,
                    &key,
                    &format!("сформирован по шаблону «{}»", claim.template_name),
                    &claim.created_by,
                ],
            )
            .await?;
    }
    // The same verification and numbering as an upload (a no-op when already done).
    crate::versioning::run(
        deps,
        VersionDocument {
            theater_id: job.theater_id,
            version_id: claim.version_id,
            traceparent: job.traceparent,
        },
    )
    .await?;
    let client = deps.db.get().await?;
    let (status, error): (String, Option<String>) = client
        .query_one(
            "SELECT status, error FROM document_versions WHERE id = $1",
            &[&claim.version_id],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))?;
    match status.as_str() {
        "ready" => {
            client
                .execute(
                    "UPDATE document_generations SET status = 'ready', error = NULL,
                         completed_at = now()
                     WHERE theater_id = $1 AND id = $2 AND status = 'processing'",
                    &[&job.theater_id, &job.generation_id],
                )
                .await?;
            tracing::info!(generation_id = %job.generation_id, "document generated");
            Ok(())
        }
        "failed" => {
            drop(client);
            let reason = error.unwrap_or_else(|| "the generated file was refused".into());
            fail(deps, job, claim, &reason).await
        }
        other => anyhow::bail!("the generated version is still {other}"),
    }
}
