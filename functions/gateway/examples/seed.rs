//! Adds generated inventory (items with their movement histories, as the demo theatre has)
//! to a theatre of a migrated database: the benchmark seeder.
//!
//! ```sh
//! cargo run -p theatre-gateway --example seed -- --items 10000 \
//!   [--database-url postgres://postgres@127.0.0.1:5432/theatre] [--theater Демо-театр] [--seed 1]
//! ```

use anyhow::Context;

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage: seed --items N [--database-url URL] [--theater NAME] [--seed N]\n\
         (DATABASE_URL is the default database; the theatre defaults to Демо-театр)"
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut items = None;
    let mut database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| shared::config::DEFAULT_DATABASE_URL.into());
    let mut theater = "Демо-театр".to_string();
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(usage);
        match flag.as_str() {
            "--items" => items = Some(value()?.parse::<usize>().context("--items")?),
            "--database-url" => database_url = value()?,
            "--theater" => theater = value()?,
            "--seed" => seed = value()?.parse().context("--seed")?,
            _ => return Err(usage()),
        }
    }
    let items = items.ok_or_else(usage)?;

    let pool = deadpool_postgres::Config {
        url: Some(database_url.clone()),
        ..Default::default()
    }
    .create_pool(None, tokio_postgres::NoTls)?;
    let mut client = pool
        .get()
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let started = std::time::Instant::now();
    let tx = client.transaction().await?;
    let theater_id: uuid::Uuid = tx
        .query_opt(
            "SELECT id FROM theaters WHERE name = $1 ORDER BY created_at LIMIT 1",
            &[&theater],
        )
        .await?
        .with_context(|| format!("no theatre named {theater} in {database_url}"))?
        .get(0);
    let seeded = shared::seed::inventory(&tx, theater_id, items, seed).await?;
    tx.commit().await?;
    client
        .batch_execute("ANALYZE inventory_items; ANALYZE inventory_movements")
        .await?;
    println!(
        "seeded {} items and {} movements into {theater} in {:.1} s",
        seeded.items.len(),
        seeded.movements,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
