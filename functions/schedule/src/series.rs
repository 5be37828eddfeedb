//! Stored series: their change counter (the feeds' SEQUENCE) and the split that a "this and
//! following" edit makes — the original rule ends before the chosen occurrence and a new
//! series, carrying the edit, starts there.

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use serde_json::json;
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

use crate::domain::{expand, shift_local, split_rule, zone};
use crate::events::EventView;

/// Marks a change of `series` (an occurrence edited or deleted).
pub async fn touch(client: &impl GenericClient, theater: Uuid, series: &[Uuid]) -> ApiResult<()> {
    if series.is_empty() {
        return Ok(());
    }
    client
        .execute(
            "UPDATE event_series SET version = version + 1, updated_at = now()
             WHERE theater_id = $1 AND id = ANY($2)",
            &[&theater, &series],
        )
        .await?;
    Ok(())
}

/// A stored series' rule, zone and every instance its rule generates (exceptions aside).
struct Stored {
    rule: String,
    tz: chrono_tz::Tz,
    instances: Vec<DateTime<Utc>>,
}

async fn stored(tx: &Transaction<'_>, theater: Uuid, series: Uuid) -> ApiResult<Stored> {
    let row = tx
        .query_one(
            "SELECT rrule, timezone, dtstart FROM event_series
             WHERE theater_id = $1 AND id = $2 FOR UPDATE",
            &[&theater, &series],
        )
        .await?;
    let (rule, tz, dtstart): (String, String, DateTime<Utc>) = (row.get(0), row.get(1), row.get(2));
    let tz = zone(&tz);
    let instances = expand(&rule, &[], dtstart, tz)
        .map_err(|m| ApiError::Unexpected(anyhow::anyhow!("stored rule of {series}: {m}")))?;
    Ok(Stored {
        rule,
        tz,
        instances,
    })
}

/// Gives `series` its shortened rule, or removes it when nothing is left (`None`).
async fn cut_rule(
    tx: &Transaction<'_>,
    theater: Uuid,
    series: Uuid,
    before: Option<&str>,
) -> ApiResult<()> {
    match before {
        Some(before) => {
            tx.execute(
                "UPDATE event_series SET rrule = $3, version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2",
                &[&theater, &series, &before],
            )
            .await?;
        }
        None => {
            tx.execute(
                "DELETE FROM event_series WHERE theater_id = $1 AND id = $2",
                &[&theater, &series],
            )
            .await?;
        }
    }
    Ok(())
}

/// Ends `series` before the occurrence that the rule gave `cut` ("delete this and the
/// following"): the rule stops there instead of listing the rest as exceptions.
pub async fn end_before(
    tx: &Transaction<'_>,
    theater: Uuid,
    series: Uuid,
    cut: DateTime<Utc>,
) -> ApiResult<()> {
    let Stored {
        rule, instances, ..
    } = stored(tx, theater, series).await?;
    let kept = instances.iter().filter(|t| **t < cut).count();
    let last = instances.last().copied().unwrap_or(cut);
    let rules = split_rule(&rule, kept, cut, 0, last)
        .map_err(|m| ApiError::Unexpected(anyhow::anyhow!("stored rule of {series}: {m}")))?;
    cut_rule(tx, theater, series, rules.before.as_deref()).await
}

/// Splits `series` at `chosen` after its occurrences `moved` (`chosen` and the later ones,
/// already updated) were moved by `shift` on the local clock. Answers the new series.
///
/// A 422 when the moved occurrences no longer follow the rule (e.g. a monthly "first
/// Tuesday" moved by a day): such occurrences are moved one by one.
pub async fn split(
    tx: &Transaction<'_>,
    user: &AuthUser,
    series: Uuid,
    chosen: &EventView,
    moved: &[EventView],
    shift: Duration,
) -> ApiResult<Uuid> {
    let theater = user.theater_id;
    let Stored {
        rule,
        tz,
        instances,
    } = stored(tx, theater, series).await?;
    let cut = chosen.recurrence_id.unwrap_or(chosen.starts_at);
    let kept = instances.iter().filter(|t| **t < cut).count();
    let new_start = shift_local(cut, shift, tz);
    let last = instances.last().copied().unwrap_or(cut);
    let days_moved = (new_start.with_timezone(&tz).date_naive()
        - cut.with_timezone(&tz).date_naive())
    .num_days();
    let rules = split_rule(&rule, kept, cut, days_moved, shift_local(last, shift, tz))
        .map_err(|m| ApiError::Unexpected(anyhow::anyhow!("stored rule of {series}: {m}")))?;
    let ids: Vec<Uuid> = moved.iter().map(|m| m.id).collect();
    let rids: Vec<DateTime<Utc>> = moved
        .iter()
        .map(|m| shift_local(m.recurrence_id.unwrap_or(m.starts_at), shift, tz))
        .collect();
    let follows = expand(&rules.after, &[], new_start, tz)
        .is_ok_and(|generated| rids.iter().all(|r| generated.contains(r)));
    if !follows {
        return Err(ApiError::invalid(
            "starts_at",
            "moved this way the following occurrences no longer follow the series' rule; move them one by one",
        ));
    }
    let new_series = Uuid::now_v7();
    tx.execute(
        "INSERT INTO event_series (id, theater_id, rrule, timezone, dtstart, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &new_series,
            &theater,
            &rules.after,
            &tz.name(),
            &new_start,
            &user.user_id,
        ],
    )
    .await?;
    tx.execute(
        "UPDATE events e SET series_id = $2, recurrence_id = m.rid
         FROM unnest($3::uuid[], $4::timestamptz[]) AS m (id, rid)
         WHERE e.theater_id = $1 AND e.id = m.id",
        &[&theater, &new_series, &ids, &rids],
    )
    .await?;
    cut_rule(tx, theater, series, rules.before.as_deref()).await?;
    audit::record(
        tx,
        AuditEntry::by(user, "event_series.split", "event_series", series).after(json!({
            "rrule": rules.before,
            "new_series_id": new_series,
            "new_rrule": rules.after,
            "new_dtstart": new_start,
        })),
    )
    .await?;
    Ok(new_series)
}
