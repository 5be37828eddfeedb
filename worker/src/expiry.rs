//! Housekeeping of what a crash or a client leaves behind: spool files of a killed worker,
//! uploads (document versions, item photos, posters and production photos) whose client never
//! confirmed them, and stored CSV exports whose download link has expired.

use std::path::PathBuf;
use std::time::Duration;

use crate::Deps;

/// How long after its upload URL expired a pending upload is kept (a confirmation may still be
/// on its way).
pub const PENDING_GRACE: Duration = Duration::from_secs(10 * 60);

fn spool_root() -> PathBuf {
    std::env::temp_dir().join("theatre-worker-spool")
}

/// This process's spool directory, created on first use: `…/theatre-worker-spool/<pid>`.
pub fn spool_dir() -> std::io::Result<PathBuf> {
    let dir = spool_root().join(std::process::id().to_string());
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Removes the spool directories of processes that no longer run (a crashed or killed worker
/// leaves its files there). Returns how many were removed.
pub fn clean_stale_spools() -> usize {
    let Ok(entries) = std::fs::read_dir(spool_root()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let alive = name
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|pid| {
                pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists()
            });
        if !alive && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// What one expiry pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub versions: usize,
    pub photos: usize,
    /// Posters and production photos (`performance_images`).
    pub images: usize,
}

/// Expires uploads still pending `grace` after their upload URL expired: a document version or
/// a poster is marked failed, an item photo row is removed; their objects are deleted either way.
pub async fn expire_pending(deps: &Deps, grace: Duration) -> anyhow::Result<Expired> {
    let client = deps.db.get().await?;
    let versions = client
        .query(
            "UPDATE document_versions SET status = 'failed', completed_at = now(),
                 error = 'the upload was never confirmed before its link expired; upload the file again'
             WHERE status = 'pending'
               AND upload_expires_at < now() - make_interval(secs => $1)
             RETURNING storage_key",
            &[&grace.as_secs_f64()],
        )
        .await?;
    let photos = client
        .query(
            "DELETE FROM inventory_item_photos
             WHERE status = 'pending'
               AND upload_expires_at < now() - make_interval(secs => $1)
             RETURNING storage_key",
            &[&grace.as_secs_f64()],
        )
        .await?;
    let images = client
        .query(
            "UPDATE performance_images SET status = 'failed', updated_at = now(),
                 failure_reason = 'the upload was never confirmed before its link expired; upload the image again'
             WHERE status = 'pending'
               AND upload_expires_at < now() - make_interval(secs => $1)
             RETURNING storage_key",
            &[&grace.as_secs_f64()],
        )
        .await?;
    for row in versions.iter().chain(photos.iter()).chain(images.iter()) {
        let key: String = row.get(0);
        if let Err(e) = deps.storage.delete(&key).await {
            tracing::warn!(error = ?e, "could not delete an expired upload object");
        }
    }
    Ok(Expired {
        versions: versions.len(),
        photos: photos.len(),
        images: images.len(),
    })
}

/// Deletes the stored inventory exports and report files of every theatre written more than
/// `max_age` ago (pass [`shared::keys::INVENTORY_EXPORT_TTL`]: the file outlives its download
/// link by nothing).
/// In the cloud the bucket's lifecycle rule is the backstop (objects tagged
/// [`shared::storage::TEMPORARY_TAG`] expire after a day). Returns how many were deleted.
pub async fn expire_exports(deps: &Deps, max_age: Duration) -> anyhow::Result<usize> {
    let theaters: Vec<uuid::Uuid> = deps
        .db
        .get()
        .await?
        .query("SELECT id FROM theaters ORDER BY id", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let cutoff = std::time::SystemTime::now() - max_age;
    let mut deleted = 0;
    for theater_id in theaters {
        // Files written only to be downloaded once through a link of INVENTORY_EXPORT_TTL.
        let folders = [
            shared::keys::inventory_exports(theater_id),
            shared::keys::report_outputs(theater_id),
        ];
        for prefix in folders {
            for key in deps.storage.keys_modified_before(&prefix, cutoff).await? {
                deps.storage.delete(&key).await?;
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}
