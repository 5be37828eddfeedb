//! Before anything else: are PostgreSQL and Redis there? One clear line if not.

use std::time::Duration;

/// Connects to both with a short timeout; the error says what is down and how to start it.
pub async fn check(database_url: &str, redis_url: &str) -> anyhow::Result<()> {
    let pg = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_postgres::connect(database_url, tokio_postgres::NoTls),
    )
    .await;
    match pg {
        Ok(Ok((client, connection))) => {
            let driver = tokio::spawn(connection);
            drop(client);
            let _ = driver.await;
        }
        Ok(Err(e)) if is_missing_database(&e) => {
            create_database(database_url).await?;
        }
        Ok(Err(e)) => anyhow::bail!(
            "PostgreSQL is not reachable at {} ({}). Start it (e.g. `pg_ctlcluster $(ls /etc/postgresql) main start`) or set DATABASE_URL.",
            redact(database_url),
            root_cause(&e)
        ),
        Err(_) => anyhow::bail!(
            "PostgreSQL did not answer at {} within 5 s. Start it (e.g. `pg_ctlcluster $(ls /etc/postgresql) main start`) or set DATABASE_URL.",
            redact(database_url)
        ),
    }
    let redis_ok = async {
        let client = redis::Client::open(redis_url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(5), redis_ok).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => anyhow::bail!(
            "Redis is not reachable at {redis_url} ({e}). Start it (e.g. `redis-server --daemonize yes`) or set REDIS_URL."
        ),
        Err(_) => anyhow::bail!(
            "Redis did not answer at {redis_url} within 5 s. Start it (e.g. `redis-server --daemonize yes`) or set REDIS_URL."
        ),
    }
}

fn is_missing_database(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| *db.code() == tokio_postgres::error::SqlState::INVALID_CATALOG_NAME)
}

/// Creates the database named in the URL through the `postgres` maintenance database, so a
/// fresh machine needs no manual `createdb`.
async fn create_database(database_url: &str) -> anyhow::Result<()> {
    let config: tokio_postgres::Config = database_url.parse()?;
    let name = config
        .get_dbname()
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL names no database"))?
        .to_string();
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    let result = client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await;
    drop(client);
    let _ = driver.await;
    match result {
        Ok(()) => {
            tracing::info!(database = %name, "created database");
            Ok(())
        }
        Err(e)
            if e.as_db_error().is_some_and(|d| {
                *d.code() == tokio_postgres::error::SqlState::DUPLICATE_DATABASE
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("could not create database {name}: {e}")),
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
