//! The PostgreSQL pool (deadpool-postgres over tokio-postgres).

use std::future::Future;
use std::time::Duration;

pub use deadpool_postgres::{Client, Pool, Transaction};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, NoTls, Row};
use tracing::Instrument;

/// Builds a pool; no connection is opened until the first query.
pub fn pool(database_url: &str, max_size: usize) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(5));
    }
    if pg.get_application_name().is_none() {
        pg.application_name("theatre");
    }
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()?)
}

/// Running a statement through the connection's prepared-statement cache (deadpool-postgres'
/// `prepare_cached`): PostgreSQL parses and plans it once per pooled connection, later calls only
/// bind and execute. `client.query(sql, ..)` with a string prepares an unnamed statement on every
/// call, a round trip and a parse/plan that cost more than the execution of a short lookup
/// (BENCHMARKS.md). The one way to run the statements of hot endpoints, on a client or a
/// transaction alike.
///
/// The cache is keyed by the SQL text, so statements assembled from filters must keep values in
/// parameters (each combination of filters is then one cached statement).
pub trait Cached: GenericClient {
    /// Like `query`, prepared once per connection.
    fn query_cached<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [&'a (dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Vec<Row>, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query(&statement, params).await
        }
        .instrument(statement_span(sql))
    }

    /// Like `query_one`, prepared once per connection.
    fn query_one_cached<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [&'a (dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Row, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_one(&statement, params).await
        }
        .instrument(statement_span(sql))
    }

    /// Like `query_opt`, prepared once per connection.
    fn query_opt_cached<'a>(
        &'a self,
        sql: &'a str,
        params: &'a [&'a (dyn ToSql + Sync)],
    ) -> impl Future<Output = Result<Option<Row>, Error>> + Send + 'a {
        async move {
            let statement = self.prepare_cached(sql).await?;
            self.query_opt(&statement, params).await
        }
        .instrument(statement_span(sql))
    }
}

impl<C: GenericClient> Cached for C {}

/// A trace span per statement: the SQL text with its placeholders (never the values). DEBUG, so
/// log lines leave it out and it costs nothing while tracing is off.
fn statement_span(sql: &str) -> tracing::Span {
    tracing::debug_span!(
        "db.query",
        "otel.kind" = "client",
        "db.system.name" = "postgresql",
        "db.query.text" = sql,
    )
}

/// Parses an `If-Match` value (`"3"`, `W/"3"` or `3`) into a row version.
pub fn parse_version_tag(value: &str) -> Option<i32> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"').parse().ok()
}
