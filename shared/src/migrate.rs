//! Applies `migrations/*.sql` (embedded at build time) in order, exactly once, under a
//! PostgreSQL advisory lock so that many processes starting together apply each one once.

use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// Advisory-lock key held while migrating ("theatre" in ASCII).
const LOCK_KEY: i64 = 0x0074_6865_6174_7265;

/// What a run applied.
#[derive(Debug)]
pub struct MigrationReport {
    pub applied: Vec<String>,
}

/// Connects with `database_url` and applies every pending migration.
pub async fn run(database_url: &str) -> anyhow::Result<MigrationReport> {
    let (mut client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "migration connection closed with an error");
        }
    });
    let result = run_locked(&mut client).await;
    drop(client);
    let _ = driver.await;
    result
}

async fn run_locked(client: &mut tokio_postgres::Client) -> anyhow::Result<MigrationReport> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let outcome = embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async(client)
        .await;
    // Release even when a migration failed, so another process can retry.
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await?;
    let report = outcome?;
    let applied: Vec<String> = report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect();
    if !applied.is_empty() {
        tracing::info!(applied = ?applied, "migrations applied");
    }
    Ok(MigrationReport { applied })
}
