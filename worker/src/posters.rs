//! The `process_poster` job: verify an uploaded poster or production photo, make its web
//! variants and mark it ready (a poster also becomes the performance's current one) or failed.
//!
//! 1. Claim an attempt on the row (only a `processing` image has work left: a job for a ready,
//!    failed or still pending image changes nothing).
//! 2. Copy the upload to a key no client ever had a URL for and read that copy, at most the
//!    declared size (itself bounded): what is verified is what the variants are made of, and
//!    the copy's ETag is pinned in `verified_etag`.
//! 3. Refuse a size other than declared, or bytes that are not the declared image type.
//! 4. Run [`crate::variants::render`] on a blocking thread: limits, orientation, sizes,
//!    WebP + JPEG, no metadata.
//! 5. Store the variants, then in one transaction mark the row ready with the variants and,
//!    for a poster, make it current (clearing the previous current poster).
//!
//! A refused image is marked failed at once with the reason (retrying cannot help); storage or
//! database errors are retried by the queue, and the last failed attempt marks it failed.

use anyhow::Context;
use serde_json::{Map, Value, json};
use shared::jobs::ProcessPoster;
use shared::keys::performance_image_variant;
use shared::uploads::{IMAGE_TYPES, sniff_image};
use uuid::Uuid;

use crate::Deps;
use crate::variants::{self, Rejection, Rendered, SIZES, VariantFormat};

/// What a performance image is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// At most one current poster per performance.
    Poster,
    /// Gallery photos: processed the same way, never current.
    Photo,
}

impl ImageKind {
    /// Parses the `kind` column.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw {
            "poster" => Ok(ImageKind::Poster),
            "photo" => Ok(ImageKind::Photo),
            other => anyhow::bail!("unknown performance image kind {other:?}"),
        }
    }
}

/// What the row says about the work.
struct Claim {
    performance_id: Uuid,
    kind: ImageKind,
    attempts: i32,
    storage_key: String,
    content_type: String,
    declared_size: i64,
}

/// Runs the job. `Err` means "try again"; after the last attempt the image is marked failed
/// and `Ok` is returned so the queue stops retrying.
pub async fn run(deps: &Deps, job: ProcessPoster) -> anyhow::Result<()> {
    let Some(claim) = claim(deps, job).await? else {
        tracing::debug!(image_id = %job.image_id, "nothing to do");
        return Ok(());
    };
    tracing::debug!(image_id = %job.image_id, attempt = claim.attempts, "processing");
    let max = deps.config.max_attempts;
    if claim.attempts > max {
        let reason = format!("processing did not finish after {max} attempts");
        fail(deps, job, &claim, &reason).await?;
        return Ok(());
    }
    if !deps.config.debug_pause.is_zero() {
        tokio::time::sleep(deps.config.debug_pause).await;
    }
    match process(deps, job, &claim).await {
        Ok(()) => Ok(()),
        Err(e) if claim.attempts >= max => {
            tracing::error!(error = ?e, image_id = %job.image_id, "last attempt failed");
            let reason = crate::versioning::final_failure_reason(max);
            fail(deps, job, &claim, &reason).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Counts an attempt on a `processing` image; `None` when there is nothing to do.
async fn claim(deps: &Deps, job: ProcessPoster) -> anyhow::Result<Option<Claim>> {
    let client = deps.db.get().await?;
    let statement = client
        .prepare_cached(
            "UPDATE performance_images SET attempts = attempts + 1, updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'processing'
             RETURNING performance_id, kind, attempts, storage_key, content_type, size_bytes",
        )
        .await?;
    let Some(row) = client
        .query_opt(&statement, &[&job.theater_id, &job.image_id])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Claim {
        performance_id: row.get(0),
        kind: ImageKind::parse(row.get(1))?,
        attempts: row.get(2),
        storage_key: row.get(3),
        content_type: row.get(4),
        declared_size: row.get(5),
    }))
}

/// The key of the verified copy of the original: no upload URL is ever made for it.
pub fn verified_key(theater_id: Uuid, performance_id: Uuid, image_id: Uuid, ext: &str) -> String {
    performance_image_variant(theater_id, performance_id, image_id, "verified", ext)
}

/// Every key a variant of this image can have.
fn variant_keys(job: ProcessPoster, performance_id: Uuid) -> Vec<String> {
    SIZES
        .iter()
        .flat_map(|(size, _)| {
            [VariantFormat::Webp, VariantFormat::Jpeg].map(|format| {
                performance_image_variant(
                    job.theater_id,
                    performance_id,
                    job.image_id,
                    &format!("{size}_{}", format.as_str()),
                    format.extension(),
                )
            })
        })
        .collect()
}

/// Marks the image failed with `reason` (shown to clients) and removes its objects. A failed
/// poster stays the performance's current one (confirming made it so), so the card shows the
/// failure and its reason until a new poster is confirmed.
async fn fail(deps: &Deps, job: ProcessPoster, claim: &Claim, reason: &str) -> anyhow::Result<()> {
    let client = deps.db.get().await?;
    let changed = client
        .execute(
            "UPDATE performance_images
             SET status = 'failed', failure_reason = $3, updated_at = now()
             WHERE theater_id = $1 AND id = $2 AND status = 'processing'",
            &[&job.theater_id, &job.image_id, &reason],
        )
        .await?;
    if changed == 1 {
        tracing::info!(image_id = %job.image_id, reason, "performance image failed");
        let mut keys = variant_keys(job, claim.performance_id);
        keys.push(claim.storage_key.clone());
        for (_, ext) in IMAGE_TYPES {
            keys.push(verified_key(
                job.theater_id,
                claim.performance_id,
                job.image_id,
                ext,
            ));
        }
        for key in keys {
            deps.storage.delete(&key).await?;
        }
    }
    Ok(())
}

/// The verified copy, read whole.
struct Original {
    bytes: Vec<u8>,
    /// More bytes than declared were there (reading stopped).
    longer: bool,
    etag: Option<String>,
}

/// Reads `key` up to `limit` bytes (one more tells that it is longer). `None` when missing.
async fn read_limited(deps: &Deps, key: &str, limit: u64) -> anyhow::Result<Option<Original>> {
    let Some(info) = deps.storage.head(key).await? else {
        return Ok(None);
    };
    let Some(mut object) = deps.storage.get(key).await? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(info.size.min(limit) as usize);
    let mut longer = false;
    while let Some(chunk) = object.body.next().await {
        let chunk = chunk.context("reading the original")?;
        let room = (limit as usize).saturating_sub(bytes.len());
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            longer = true;
            break;
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(Original {
        bytes,
        longer,
        etag: info.etag,
    }))
}

/// Why the upload itself is refused before decoding, if it is.
fn check_upload(claim: &Claim, original: &Original) -> Result<(), String> {
    let declared = claim.declared_size.max(0) as u64;
    if original.longer {
        return Err(format!(
            "the file is larger than the declared {declared} bytes"
        ));
    }
    if original.bytes.len() as u64 != declared {
        return Err(format!(
            "the file has {} bytes, but {declared} were declared",
            original.bytes.len()
        ));
    }
    match sniff_image(&original.bytes) {
        None => Err(Rejection::NotAnImage.to_string()),
        Some(sniffed) if sniffed != claim.content_type => Err(format!(
            "the file is {}, but {} was declared",
            sniffed, claim.content_type
        )),
        Some(_) => Ok(()),
    }
}

async fn process(deps: &Deps, job: ProcessPoster, claim: &Claim) -> anyhow::Result<()> {
    let limits = deps.config.image_limits;
    let Some((_, ext)) = IMAGE_TYPES.iter().find(|(t, _)| *t == claim.content_type) else {
        let reason = format!("images of type {} are not accepted", claim.content_type);
        return fail(deps, job, claim, &reason).await;
    };
    let declared = claim.declared_size.max(0) as u64;
    if declared > limits.max_bytes {
        let reason = Rejection::TooLarge {
            bytes: declared,
            max_bytes: limits.max_bytes,
        }
        .to_string();
        return fail(deps, job, claim, &reason).await;
    }
    let verified = verified_key(job.theater_id, claim.performance_id, job.image_id, ext);
    if deps.storage.head(&claim.storage_key).await?.is_some() {
        deps.storage.copy(&claim.storage_key, &verified).await?;
    }
    let Some(original) = read_limited(deps, &verified, declared).await? else {
        let reason = "the uploaded file is missing from storage";
        return fail(deps, job, claim, reason).await;
    };
    if let Err(reason) = check_upload(claim, &original) {
        return fail(deps, job, claim, &reason).await;
    }
    let etag = original.etag.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| variants::render(&original.bytes, &limits))
    })
    .await
    .context("the image task was cancelled")?;
    let rendered = match rendered {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(rejection)) => return fail(deps, job, claim, &rejection.to_string()).await,
        Err(_) => {
            // A decoder panicking on crafted input does so every time: no retry.
            tracing::error!(image_id = %job.image_id, "the image pipeline panicked");
            let reason = "the image data is damaged or unsupported";
            return fail(deps, job, claim, reason).await;
        }
    };
    let stored = store_variants(deps, job, claim, &rendered).await?;
    finish(deps, job, claim, &rendered, stored, &verified, etag).await
}

/// Puts every variant into the bucket; returns the `variants` JSON.
async fn store_variants(
    deps: &Deps,
    job: ProcessPoster,
    claim: &Claim,
    rendered: &Rendered,
) -> anyhow::Result<Value> {
    let mut described = Map::new();
    let mut puts = Vec::with_capacity(rendered.variants.len());
    for v in &rendered.variants {
        let key = performance_image_variant(
            job.theater_id,
            claim.performance_id,
            job.image_id,
            &v.name,
            v.format.extension(),
        );
        described.insert(
            v.name.clone(),
            json!({
                "key": key, "width": v.width, "height": v.height,
                "format": v.format.as_str(), "bytes": v.bytes.len(),
            }),
        );
        let storage = deps.storage.clone();
        let bytes = v.bytes.clone();
        let content_type = v.format.content_type();
        puts.push(async move { storage.put(&key, bytes, content_type).await });
    }
    futures::future::try_join_all(puts).await?;
    Ok(Value::Object(described))
}

/// The final transaction: ready, and current for a poster.
async fn finish(
    deps: &Deps,
    job: ProcessPoster,
    claim: &Claim,
    rendered: &Rendered,
    variants: Value,
    verified: &str,
    etag: Option<String>,
) -> anyhow::Result<()> {
    let mut client = deps.db.get().await?;
    let tx = client.transaction().await?;
    // Serialises the choice of the current poster per performance (the performance row first,
    // then the image: the same order everywhere).
    tx.query_opt(
        "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 FOR UPDATE",
        &[&job.theater_id, &claim.performance_id],
    )
    .await?;
    let Some(row) = tx
        .query_opt(
            "SELECT created_at FROM performance_images
             WHERE theater_id = $1 AND id = $2 AND status = 'processing' FOR UPDATE",
            &[&job.theater_id, &job.image_id],
        )
        .await?
    else {
        // Another run finished it meanwhile (a re-enqueued duplicate): nothing to do.
        return Ok(());
    };
    let created_at: chrono::DateTime<chrono::Utc> = row.get(0);
    let current = claim.kind == ImageKind::Poster
        && become_current(&tx, job, claim.performance_id, created_at).await?;
    let (width, height) = (rendered.width as i32, rendered.height as i32);
    tx.execute(
        "UPDATE performance_images
         SET status = 'ready', variants = $3, width = $4, height = $5, storage_key = $6,
             verified_etag = $7, failure_reason = NULL, is_current = $8, updated_at = now()
         WHERE theater_id = $1 AND id = $2",
        &[
            &job.theater_id,
            &job.image_id,
            &variants,
            &width,
            &height,
            &verified,
            &etag,
            &current,
        ],
    )
    .await?;
    shared::audit::record(
        &tx,
        shared::audit::AuditEntry {
            theater_id: job.theater_id,
            actor_id: None,
            action: "performance_image.ready",
            entity_type: "performance_image",
            entity_id: Some(job.image_id),
            before: None,
            after: Some(json!({
                "performance_id": claim.performance_id, "width": width, "height": height,
                "is_current": current, "variants": rendered.variants.len(),
            })),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("audit: {e}"))?;
    tx.commit().await?;
    // The upload key is never read again (its presigned PUT may work a few minutes more;
    // whatever lands there later is never served).
    if let Err(e) = deps.storage.delete(&claim.storage_key).await {
        tracing::warn!(error = ?e, "could not delete the upload object");
    }
    tracing::info!(image_id = %job.image_id, current, "performance image ready");
    Ok(())
}

/// Makes room for this poster as the current one, unless a poster uploaded after it is
/// already current (an old job finishing late must not replace a newer poster).
async fn become_current(
    tx: &tokio_postgres::Transaction<'_>,
    job: ProcessPoster,
    performance_id: Uuid,
    created_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<bool> {
    let newer = tx
        .query_opt(
            "SELECT 1 FROM performance_images
             WHERE theater_id = $1 AND performance_id = $2 AND kind = 'poster' AND is_current
               AND id <> $3 AND created_at > $4",
            &[&job.theater_id, &performance_id, &job.image_id, &created_at],
        )
        .await?;
    if newer.is_some() {
        return Ok(false);
    }
    tx.execute(
        "UPDATE performance_images SET is_current = false, updated_at = now()
         WHERE theater_id = $1 AND performance_id = $2 AND kind = 'poster' AND is_current
           AND id <> $3",
        &[&job.theater_id, &performance_id, &job.image_id],
    )
    .await?;
    Ok(true)
}
