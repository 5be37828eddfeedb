//! The `version_document` job: verify an uploaded version and make it the current one.
//!
//! 1. Claim an attempt on the row (only a `processing` version has work left: re-running a
//!    finished job changes nothing).
//! 2. Copy the upload to its verified key, which no client ever had a URL for (the presigned
//!    PUT stays usable until it expires: what is verified must be what is served). Everything
//!    below reads the copy.
//! 3. Stream the copy once, computing SHA-256 and size in constant memory and keeping the
//!    first bytes to sniff the type. Files that can have text or a preview are spooled to a
//!    temporary file on the way (up to a size cap) for the extractors.
//! 4. Refuse a size different from the declared one or a type not accepted: the version is
//!    marked failed with the reason and the object deleted.
//! 5. Extract text, make the preview.
//! 6. Under the document's row lock: if the content equals the current version's, report it
//!    and keep no second copy; otherwise give the next number and make it current.

use std::io::Write;

use anyhow::Context;
use sha2::{Digest, Sha256};
use shared::jobs::VersionDocument;
use uuid::Uuid;

use crate::extract::Failure;
use crate::preview::{OFFICE_TYPES, office_to_pdf};
use crate::sniff::classify;
use crate::{Deps, bounded};

/// Bytes kept for sniffing.
const SNIFF_BYTES: usize = 8192;
/// Files up to this size are spooled for text extraction and previews.
const MAX_SPOOL_BYTES: u64 = 100 * 1024 * 1024;

/// What the row says about the work.
struct Claim {
    document_id: Uuid,
    attempts: i32,
    storage_key: String,
    declared_size: i64,
    original_filename: String,
}

/// Runs the job. `Err` means "try again"; after the last attempt the version is marked failed
/// and `Ok` is returned so the queue stops retrying.
pub async fn run(deps: &Deps, job: VersionDocument) -> anyhow::Result<()> {
    let Some(claim) = claim(deps, job).await? else {
        tracing::debug!(version_id = %job.version_id, "nothing to do");
        return Ok(());
    };
    let max = deps.config.max_attempts;
    if claim.attempts > max {
        fail(
            deps,
            job,
            &claim,
            &format!("processing did not finish after {max} attempts"),
        )
        .await?;
        return Ok(());
    }
    if !deps.config.debug_pause.is_zero() {
        tokio::time::sleep(deps.config.debug_pause).await;
    }
    match process(deps, job, &claim).await {
        Ok(()) => Ok(()),
        Err(e) if claim.attempts >= max => {
            tracing::error!(error = ?e, version_id = %job.version_id, "last attempt failed");
            fail(deps, job, &claim, &final_failure_reason(max)).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What the version's `error` says after the last failed attempt. The error chain (storage
/// keys, connection errors) goes to the log only: clients read this text.
pub fn final_failure_reason(max_attempts: i32) -> String {
    format!(
        "the file could not be processed after {max_attempts} attempts because of an internal error; upload it again or contact support"
    )
}

/// Counts an attempt on a `processing` version; `None` when there is nothing to do.
async fn claim(deps: &Deps, job: VersionDocument) -> anyhow::Result<Option<Claim>> {
    let client = deps.db.get().await?;
    let row = client
        .query_opt(
            "UPDATE document_versions
             SET attempts = attempts + 1, processing_started_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'processing'
             RETURNING document_id, attempts, storage_key, declared_size, original_filename",
            &[&job.theater_id, &job.version_id],
        )
        .await?;
    Ok(row.map(|r| Claim {
        document_id: r.get(0),
        attempts: r.get(1),
        storage_key: r.get(2),
        declared_size: r.get(3),
        original_filename: r.get(4),
    }))
}

/// Where a version's bytes live once verified: next to the upload key, under a name no
/// presigned PUT was ever made for.
pub fn verified_key(upload_key: &str) -> String {
    match upload_key.strip_suffix("/original") {
        Some(stem) => format!("{stem}/verified"),
        None => format!("{upload_key}.verified"),
    }
}

/// Marks the version failed with `reason` and removes its bytes.
async fn fail(
    deps: &Deps,
    job: VersionDocument,
    claim: &Claim,
    reason: &str,
) -> anyhow::Result<()> {
    let client = deps.db.get().await?;
    let changed = client
        .execute(
            "UPDATE document_versions SET status = 'failed', error = $3, completed_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'processing'",
            &[&job.theater_id, &job.version_id, &reason],
        )
        .await?;
    if changed == 1 {
        tracing::info!(version_id = %job.version_id, reason, "version failed");
        deps.storage.delete(&claim.storage_key).await?;
        deps.storage
            .delete(&verified_key(&claim.storage_key))
            .await?;
        let preview =
            shared::keys::document_preview(job.theater_id, claim.document_id, job.version_id);
        deps.storage.delete(&preview).await?;
    }
    Ok(())
}

/// What streaming the object found out.
struct Measured {
    size: u64,
    sha256: String,
    head: Vec<u8>,
    spool: Option<tempfile::NamedTempFile>,
    /// The ETag of the verified copy that was hashed.
    etag: Option<String>,
}

/// Whether the file's declared extension promises text or a preview (then it is spooled).
fn wants_spool(file_name: &str, size: i64) -> bool {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let useful = shared::uploads::EXTRACTABLE_EXTENSIONS.contains(&ext.as_str());
    useful && size > 0 && (size as u64) <= MAX_SPOOL_BYTES
}

/// Streams the object: SHA-256, size and the first bytes, in constant memory. Stops reading
/// as soon as more bytes than declared arrive. `Ok(None)` when the object is missing.
async fn measure(deps: &Deps, claim: &Claim, key: &str) -> anyhow::Result<Option<Measured>> {
    let Some(info) = deps.storage.head(key).await? else {
        return Ok(None);
    };
    let Some(mut object) = deps.storage.get(key).await? else {
        return Ok(None);
    };
    let declared = claim.declared_size.max(0) as u64;
    let mut spool = if wants_spool(&claim.original_filename, claim.declared_size) {
        Some(
            tempfile::NamedTempFile::new_in(crate::expiry::spool_dir()?)
                .context("creating a spool file")?,
        )
    } else {
        None
    };
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while let Some(chunk) = object.body.next().await {
        let chunk = chunk.context("reading the object")?;
        size += chunk.len() as u64;
        if size > declared {
            break;
        }
        hasher.update(&chunk);
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        if let Some(file) = spool.as_mut() {
            file.write_all(&chunk).context("writing the spool file")?;
        }
    }
    if let Some(file) = spool.as_mut() {
        file.flush()?;
    }
    Ok(Some(Measured {
        size,
        sha256: format!("{:x}", hasher.finalize()),
        head,
        spool,
        etag: info.etag,
    }))
}

async fn process(deps: &Deps, job: VersionDocument, claim: &Claim) -> anyhow::Result<()> {
    let verified = verified_key(&claim.storage_key);
    if deps.storage.head(&claim.storage_key).await?.is_some() {
        deps.storage.copy(&claim.storage_key, &verified).await?;
    }
    let Some(measured) = measure(deps, claim, &verified).await? else {
        fail(
            deps,
            job,
            claim,
            "the uploaded file is missing from storage",
        )
        .await?;
        return Ok(());
    };
    let declared = claim.declared_size.max(0) as u64;
    if measured.size != declared {
        let reason = if measured.size > declared {
            format!("the file is larger than the declared {declared} bytes")
        } else {
            format!(
                "the file has {} bytes, but {declared} were declared",
                measured.size
            )
        };
        fail(deps, job, claim, &reason).await?;
        return Ok(());
    }
    let mime = match classify(&measured.head, &claim.original_filename) {
        Ok(m) => m,
        Err(reason) => {
            fail(deps, job, claim, &reason).await?;
            return Ok(());
        }
    };

    let mut text = None;
    let mut preview: Option<(String, String)> = None;
    if let Some(spool) = &measured.spool {
        let task = bounded::Task::Text { mime: mime.clone() };
        text = match read_bounded(deps, task, spool.path()).await {
            Ok(text) => text,
            Err(reason) => {
                fail(deps, job, claim, &reason).await?;
                return Ok(());
            }
        };
        preview = match make_preview(deps, job, claim, spool.path(), &mime).await? {
            Ok(preview) => preview,
            Err(reason) => {
                fail(deps, job, claim, &reason).await?;
                return Ok(());
            }
        };
    } else if mime == "application/pdf" {
        preview = Some((verified.clone(), mime.clone()));
    }

    finish(deps, job, claim, &measured, &mime, text, preview).await
}

/// Runs `task` on the spooled file within the configured limits. `Err`: the reason the file
/// is refused (over a limit); an unreadable file just has no result.
async fn read_bounded(
    deps: &Deps,
    task: bounded::Task,
    path: &std::path::Path,
) -> Result<Option<String>, String> {
    let config = &deps.config;
    match bounded::run(
        config.extractor.as_deref(),
        task,
        path,
        &config.extract_limits,
        &config.image_limits,
    )
    .await
    {
        Ok(text) => Ok(text),
        Err(Failure::Refused(reason)) => Err(reason),
        Err(Failure::Unreadable(why)) => {
            tracing::info!(error = %why, "nothing could be read from the file");
            Ok(None)
        }
    }
}

/// Stores the preview, returning its key and type; `Err` is the reason the file is refused.
async fn make_preview(
    deps: &Deps,
    job: VersionDocument,
    claim: &Claim,
    path: &std::path::Path,
    mime: &str,
) -> anyhow::Result<Result<Option<(String, String)>, String>> {
    let key = shared::keys::document_preview(job.theater_id, claim.document_id, job.version_id);
    if mime == "application/pdf" {
        // A PDF is its own preview: no copy.
        return Ok(Ok(Some((
            verified_key(&claim.storage_key),
            mime.to_string(),
        ))));
    }
    if mime.starts_with("image/") && mime != "image/svg+xml" {
        let out = tempfile::NamedTempFile::new_in(crate::expiry::spool_dir()?)
            .context("creating a thumbnail file")?;
        let task = bounded::Task::Thumbnail {
            out: out.path().to_path_buf(),
        };
        if let Err(reason) = read_bounded(deps, task, path).await {
            return Ok(Err(reason));
        }
        let png = tokio::fs::read(out.path()).await?;
        if png.is_empty() {
            return Ok(Ok(None));
        }
        deps.storage.put(&key, png, "image/png").await?;
        return Ok(Ok(Some((key, "image/png".into()))));
    }
    if OFFICE_TYPES.contains(&mime) {
        let ext = claim
            .original_filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_else(|| "bin".into());
        match office_to_pdf(path, &ext).await {
            Ok(Some(pdf)) => {
                deps.storage.put(&key, pdf, "application/pdf").await?;
                return Ok(Ok(Some((key, "application/pdf".into()))));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "office conversion failed; no preview"),
        }
    }
    Ok(Ok(None))
}

/// The final transaction under the document's row lock.
async fn finish(
    deps: &Deps,
    job: VersionDocument,
    claim: &Claim,
    measured: &Measured,
    mime: &str,
    text: Option<String>,
    preview: Option<(String, String)>,
) -> anyhow::Result<()> {
    let mut client = deps.db.get().await?;
    let tx = client.transaction().await?;
    // Serialises numbering per document (and against restores in the API).
    let current: Option<Uuid> = tx
        .query_one(
            "SELECT current_version_id FROM documents WHERE theater_id = $1 AND id = $2 FOR UPDATE",
            &[&job.theater_id, &claim.document_id],
        )
        .await?
        .get(0);
    let still_processing = tx
        .query_opt(
            "SELECT 1 FROM document_versions WHERE id = $1 AND status = 'processing' FOR UPDATE",
            &[&job.version_id],
        )
        .await?
        .is_some();
    if !still_processing {
        // Another run finished it meanwhile (a re-enqueued duplicate): nothing to do.
        return Ok(());
    }
    let identical: Option<(Uuid, Option<i32>)> = match current {
        Some(current_id) => tx
            .query_opt(
                "SELECT id, number FROM document_versions WHERE id = $1 AND sha256 = $2",
                &[&current_id, &measured.sha256],
            )
            .await?
            .map(|r| (r.get(0), r.get(1))),
        None => None,
    };
    let size = measured.size as i64;
    if let Some((same_id, same_number)) = identical {
        tx.execute(
            "UPDATE document_versions SET status = 'failed', identical_to_id = $2, size = $3,
                 sha256 = $4, content_type = $5, completed_at = now(),
                 error = $6
             WHERE id = $1",
            &[
                &job.version_id,
                &same_id,
                &size,
                &measured.sha256,
                &mime,
                &format!(
                    "identical to the current version {}: nothing new was stored",
                    same_number.unwrap_or_default()
                ),
            ],
        )
        .await?;
        tx.commit().await?;
        // Keep no second copy of the same bytes.
        let verified = verified_key(&claim.storage_key);
        deps.storage.delete(&claim.storage_key).await?;
        deps.storage.delete(&verified).await?;
        if let Some((key, _)) = &preview
            && key != &verified
        {
            deps.storage.delete(key).await?;
        }
        tracing::info!(version_id = %job.version_id, "upload identical to the current version");
        return Ok(());
    }
    let (preview_key, preview_type) = preview.unzip();
    let number: i32 = tx
        .query_one(
            "UPDATE document_versions v SET status = 'ready', error = NULL,
                 number = d.last_version_number + 1, size = $2, sha256 = $3, content_type = $4,
                 extracted_text = $5, preview_key = $6, preview_content_type = $7,
                 storage_key = $8, verified_etag = $9, completed_at = now()
             FROM documents d
             WHERE v.id = $1 AND d.id = v.document_id
             RETURNING v.number",
            &[
                &job.version_id,
                &size,
                &measured.sha256,
                &mime,
                &text,
                &preview_key,
                &preview_type,
                &verified_key(&claim.storage_key),
                &measured.etag,
            ],
        )
        .await?
        .get(0);
    tx.execute(
        "UPDATE documents SET last_version_number = $3, current_version_id = $2,
             updated_at = now()
         WHERE id = $1",
        &[&claim.document_id, &job.version_id, &number],
    )
    .await?;
    shared::audit::record(
        &tx,
        shared::audit::AuditEntry {
            theater_id: job.theater_id,
            actor_id: None,
            action: "document_version.ready",
            entity_type: "document_version",
            entity_id: Some(job.version_id),
            before: None,
            after: Some(serde_json::json!({
                "number": number, "size": size, "sha256": measured.sha256, "content_type": mime,
            })),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("audit: {e}"))?;
    tx.commit().await?;
    // The upload key is never read again (its presigned PUT may still work for a few minutes;
    // whatever lands there later is never served).
    if let Err(e) = deps.storage.delete(&claim.storage_key).await {
        tracing::warn!(error = ?e, "could not delete the upload object");
    }
    tracing::info!(version_id = %job.version_id, number, "version ready");
    Ok(())
}
