//! Scheduled reports: every tick, each active definition's latest slot (at or before "now", in
//! the theatre's zone) is run once and its file stored as the next version of the definition's
//! document.
//!
//! - One run per slot, whatever the number of workers: a run is claimed by inserting its
//!   `report_runs` row (UNIQUE (schedule_id, slot_start)); the loser of the race sees the
//!   conflict and moves on. A claim left `running` for [`STALE_RUN`] (a worker killed mid-run)
//!   may be taken over.
//! - Catching up: only the *latest* slot is considered, so after an outage that spanned several
//!   slots the worker runs the missed one once, not each of them. Slots before the definition
//!   was created are never run.
//! - "Now" is a parameter ([`run_due`]) so tests drive the clock.
//! - A run uses the creator's permissions at the time of the run; a report they may no longer
//!   run (or any other error) marks the run `failed` with the reason, and the slot is not
//!   retried.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use reports::catalog::{self, Caller, Params, ReportCode};
use reports::render::ReportFormat;
use reports::schedules::ReportScheduleParams;
use reports::slots::{ReportCadence, Timing};
use sha2::{Digest, Sha256};
use shared::permissions::{Permission, PermissionSet};
use uuid::Uuid;

use crate::Deps;

/// A claim older than this whose run never finished is taken over.
pub const STALE_RUN: Duration = Duration::from_secs(15 * 60);

/// What one tick did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Runs that stored a version.
    pub done: usize,
    /// Runs that failed (reason in `report_runs.error`).
    pub failed: usize,
}

struct Definition {
    id: Uuid,
    theater_id: Uuid,
    code: String,
    params: serde_json::Value,
    format: String,
    title: String,
    created_by: Uuid,
    timing: Timing,
}

/// Runs every definition whose latest slot at `now` has not been claimed yet.
pub async fn run_due(deps: &Deps, now: DateTime<Utc>) -> anyhow::Result<Ticked> {
    let client = deps.db.get().await?;
    let rows = client
        .query(
            "SELECT s.id, s.theater_id, s.report_code, s.params, s.format, s.cadence, s.day,
                    s.local_time, s.title, s.created_by, s.created_at, t.timezone
             FROM report_schedules s JOIN theaters t ON t.id = s.theater_id
             WHERE s.is_active",
            &[],
        )
        .await?;
    drop(client);
    let mut ticked = Ticked::default();
    for row in rows {
        let timezone: String = row.get("timezone");
        let timing = Timing {
            cadence: ReportCadence::parse(row.get("cadence")).unwrap_or(ReportCadence::Daily),
            day: row.get("day"),
            time: row.get::<_, NaiveTime>("local_time"),
            tz: timezone.parse().unwrap_or(chrono_tz::Europe::Moscow),
        };
        let slot = timing.latest(now);
        let created_at: DateTime<Utc> = row.get("created_at");
        if slot < created_at || slot > now {
            continue;
        }
        let definition = Definition {
            id: row.get("id"),
            theater_id: row.get("theater_id"),
            code: row.get("report_code"),
            params: row.get("params"),
            format: row.get("format"),
            title: row.get("title"),
            created_by: row.get("created_by"),
            timing,
        };
        let Some(run_id) = claim(deps, &definition, slot).await? else {
            continue;
        };
        match run_one(deps, &definition, slot, now).await {
            Ok(version_id) => {
                finish(deps, run_id, "done", None, Some(version_id)).await?;
                ticked.done += 1;
            }
            Err(e) => {
                tracing::warn!(schedule_id = %definition.id, error = %e, "a scheduled report failed");
                finish(deps, run_id, "failed", Some(&e), None).await?;
                ticked.failed += 1;
            }
        }
    }
    Ok(ticked)
}

/// Claims `slot` of `definition`: `Some(run id)` for the caller that may run it.
async fn claim(
    deps: &Deps,
    definition: &Definition,
    slot: DateTime<Utc>,
) -> anyhow::Result<Option<Uuid>> {
    let client = deps.db.get().await?;
    let stale_secs = STALE_RUN.as_secs_f64();
    let row = client
        .query_opt(
            "INSERT INTO report_runs (id, theater_id, schedule_id, slot_start)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (schedule_id, slot_start) DO UPDATE
                 SET attempts = report_runs.attempts + 1, started_at = now()
                 WHERE report_runs.status = 'running'
                   AND report_runs.started_at < now() - make_interval(secs => $5)
             RETURNING id",
            &[
                &Uuid::now_v7(),
                &definition.theater_id,
                &definition.id,
                &slot,
                &stale_secs,
            ],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

async fn finish(
    deps: &Deps,
    run_id: Uuid,
    status: &str,
    error: Option<&str>,
    version_id: Option<Uuid>,
) -> anyhow::Result<()> {
    deps.db
        .get()
        .await?
        .execute(
            "UPDATE report_runs SET status = $2, error = $3, version_id = $4, finished_at = now()
             WHERE id = $1",
            &[&run_id, &status, &error, &version_id],
        )
        .await?;
    Ok(())
}

/// The creator's current permissions (nothing when deactivated).
async fn permissions_of(
    client: &deadpool_postgres::Object,
    theater_id: Uuid,
    user_id: Uuid,
) -> anyhow::Result<PermissionSet> {
    let rows = client
        .query(
            "SELECT DISTINCT p FROM users u
             JOIN user_roles ur ON ur.theater_id = u.theater_id AND ur.user_id = u.id
             JOIN roles r ON r.theater_id = ur.theater_id AND r.id = ur.role_id,
                  unnest(r.permissions) AS p
             WHERE u.theater_id = $1 AND u.id = $2 AND u.is_active",
            &[&theater_id, &user_id],
        )
        .await?;
    Ok(PermissionSet::from_strings(
        rows.iter().map(|r| r.get::<_, String>(0)),
    ))
}

/// Runs the report for `slot` and stores it; the new version's id. Errors are a readable
/// reason.
async fn run_one(
    deps: &Deps,
    definition: &Definition,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Uuid, String> {
    let code = ReportCode::parse(&definition.code)?;
    let format = ReportFormat::parse(&definition.format)?;
    let stored: ReportScheduleParams =
        serde_json::from_value(definition.params.clone()).map_err(|e| e.to_string())?;
    let (from, to) = definition.timing.period(slot);
    let params = Params {
        from: code.over_period().then_some(from),
        to: code.over_period().then_some(to),
        group_by: stored.group_by,
        order: stored.order,
        limit: stored.limit,
    };
    let client = deps.db.get().await.map_err(|e| e.to_string())?;
    let caller = Caller {
        theater_id: definition.theater_id,
        user_id: definition.created_by,
        permissions: permissions_of(&client, definition.theater_id, definition.created_by)
            .await
            .map_err(|e| format!("{e:#}"))?,
    };
    let table = catalog::run(&client, &caller, code, &params, now)
        .await
        .map_err(|e| describe(&e))?;
    drop(client);
    let (table, bytes) = reports::routes::render_file(table, format)
        .await
        .map_err(|e| describe(&e))?;
    let name = reports::routes::file_name(&table, format);
    let comment = format!("{} — {}", definition.title, table.period_text());
    store(deps, definition, code, format, &name, &comment, bytes)
        .await
        .map_err(|e| format!("{e:#}"))
}

fn describe(e: &shared::ApiError) -> String {
    match e {
        shared::ApiError::Forbidden(p) => {
            format!("the schedule's creator no longer holds {p}")
        }
        shared::ApiError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The storage key of a ready version's bytes: the one the versioning worker gives verified
/// uploads (`versioning::verified_key`).
fn version_key(theater_id: Uuid, document_id: Uuid, version_id: Uuid) -> String {
    crate::versioning::verified_key(&shared::keys::document_original(
        theater_id,
        document_id,
        version_id,
    ))
}

/// Stores `bytes` as the next ready version of the definition's document (made on the first
/// run), numbered under the document row's lock like every other version.
async fn store(
    deps: &Deps,
    definition: &Definition,
    code: ReportCode,
    format: ReportFormat,
    name: &str,
    comment: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<Uuid> {
    let mut client = deps.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            "SELECT document_id FROM report_schedules WHERE id = $1 FOR UPDATE",
            &[&definition.id],
        )
        .await?;
    let existing: Option<Uuid> = row.get(0);
    let live = match existing {
        Some(id) => tx
            .query_opt(
                "SELECT id FROM documents WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
                 FOR UPDATE",
                &[&definition.theater_id, &id],
            )
            .await?
            .map(|_| id),
        None => None,
    };
    let document_id = match live {
        Some(id) => id,
        None => {
            let category = if code
                .permissions()
                .contains(&Permission::DocumentsViewFinancial)
            {
                "finance"
            } else {
                "other"
            };
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO documents (id, theater_id, category_id, title, description, tags,
                     status, created_by)
                 SELECT $1, $2, c.id, $3, $4, ARRAY['отчёт', $5], 'active', $6
                 FROM document_categories c WHERE c.theater_id = $2 AND c.code = $7",
                &[
                    &id,
                    &definition.theater_id,
                    &definition.title,
                    &format!("Регулярный отчёт «{}»", code.title()),
                    &code.as_str(),
                    &definition.created_by,
                    &category,
                ],
            )
            .await
            .context("creating the report's document")?;
            tx.execute(
                "UPDATE report_schedules SET document_id = $2 WHERE id = $1",
                &[&definition.id, &id],
            )
            .await?;
            id
        }
    };
    let version_id = Uuid::now_v7();
    let key = version_key(definition.theater_id, document_id, version_id);
    let size = bytes.len() as i64;
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let text = matches!(format, ReportFormat::Csv | ReportFormat::Json)
        .then(|| String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]).into_owned());
    deps.storage.put(&key, bytes, format.media_type()).await?;
    let etag = deps.storage.head(&key).await?.and_then(|o| o.etag);
    let number: i32 = tx
        .query_one(
            "UPDATE documents SET last_version_number = last_version_number + 1
             WHERE id = $1 RETURNING last_version_number",
            &[&document_id],
        )
        .await?
        .get(0);
    tx.execute(
        "INSERT INTO document_versions (id, theater_id, document_id, number, status,
             original_filename, declared_size, declared_content_type, size, sha256, content_type,
             storage_key, extracted_text, comment, uploaded_by, verified_etag, attempts,
             processing_started_at, completed_at)
         VALUES ($1, $2, $3, $4, 'ready', $5, $6, $7, $6, $8, $7, $9, $10, $11, $12, $13, 1,
                 now(), now())",
        &[
            &version_id,
            &definition.theater_id,
            &document_id,
            &number,
            &name,
            &size,
            &format.media_type(),
            &sha256,
            &key,
            &text,
            &comment,
            &definition.created_by,
            &etag,
        ],
    )
    .await?;
    tx.execute(
        "UPDATE documents SET current_version_id = $2, updated_at = now() WHERE id = $1",
        &[&document_id, &version_id],
    )
    .await?;
    tx.commit().await?;
    Ok(version_id)
}

/// The worker's loop: a tick every `interval`, errors logged.
pub async fn run_forever(deps: Deps, interval: Duration) {
    loop {
        match run_due(&deps, Utc::now()).await {
            Ok(t) if t == Ticked::default() => {}
            Ok(t) => tracing::info!(done = t.done, failed = t.failed, "scheduled reports ran"),
            Err(e) => tracing::error!(error = ?e, "running scheduled reports failed"),
        }
        tokio::time::sleep(interval).await;
    }
}
