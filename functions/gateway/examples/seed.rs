//! Fills a theatre of a migrated database with generated data, the way the API and the worker
//! would have written it: the benchmark seeder (and the demo's generator at any size).
//!
//! ```sh
//! cargo run -p theatre-gateway --example seed -- --items 10000 \
//!   [--cycles 8] [--users 50] [--performances 200] [--documents 2000 --data-dir DATA_DIR] \
//!   [--events 5000] \
//!   [--database-url postgres://postgres@127.0.0.1:5432/theatre] [--theater Демо-театр] [--seed 1]
//! ```
//!
//! Order: staff, productions (with the passport's sections), items with their movement
//! histories (`--cycles`: up to N issue/return, reserve/release or repair cycles an item,
//! default 2, about four movements an item; 8 gives about ten), the new productions' kit lists,
//! documents with versions and extracted text (their bytes go to the gateway's store:
//! `--data-dir` is the gateway's `DATA_DIR`, whose embedded S3 folder this command serves for
//! itself, or `--s3-endpoint` with `S3_*` credentials), then a season of events from 60 days ago
//! with participants and kit reservations. Generated staff share one password, printed at the
//! end.

use std::path::PathBuf;

use anyhow::Context;

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage: seed [--items N [--cycles N]] [--users N] [--performances N] [--documents N] [--events N]\n\
         \x20           [--data-dir DIR | --s3-endpoint URL] [--database-url URL] [--theater NAME] [--seed N]\n\
         (DATABASE_URL is the default database; the theatre defaults to Демо-театр; documents need\n\
         the gateway's DATA_DIR or S3 endpoint for their bytes)"
    )
}

#[derive(Default)]
struct Args {
    items: usize,
    users: usize,
    performances: usize,
    documents: usize,
    events: usize,
    cycles: i64,
    data_dir: Option<PathBuf>,
    s3_endpoint: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut a = Args {
        cycles: 2,
        ..Args::default()
    };
    let mut database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| shared::config::DEFAULT_DATABASE_URL.into());
    let mut theater = "Демо-театр".to_string();
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(usage);
        let mut count = |name: &str| -> anyhow::Result<usize> {
            value()?.parse::<usize>().with_context(|| name.to_string())
        };
        match flag.as_str() {
            "--items" => a.items = count("--items")?,
            "--users" => a.users = count("--users")?,
            "--performances" => a.performances = count("--performances")?,
            "--documents" => a.documents = count("--documents")?,
            "--events" => a.events = count("--events")?,
            "--cycles" => a.cycles = count("--cycles")? as i64,
            "--data-dir" => a.data_dir = Some(value()?.into()),
            "--s3-endpoint" => a.s3_endpoint = Some(value()?),
            "--database-url" => database_url = value()?,
            "--theater" => theater = value()?,
            "--seed" => seed = value()?.parse().context("--seed")?,
            _ => return Err(usage()),
        }
    }
    if a.items + a.users + a.performances + a.documents + a.events == 0 {
        return Err(usage());
    }

    // The store the documents' bytes go to, checked before anything is written.
    let mut _embedded = None;
    let storage = if a.documents == 0 {
        None
    } else {
        let bucket = std::env::var("S3_BUCKET").unwrap_or_else(|_| "theatre".into());
        let config = match (&a.data_dir, &a.s3_endpoint) {
            (Some(dir), None) => {
                let s3 = shared::embedded_s3::EmbeddedS3::start(
                    &dir.join("s3"),
                    std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                )
                .await?;
                let config = s3.storage_config(&bucket);
                _embedded = Some(s3);
                config
            }
            (None, Some(endpoint)) => shared::storage::StorageConfig {
                endpoint: Some(endpoint.clone()),
                bucket,
                ..shared::storage::StorageConfig::from_env()?
            },
            _ => return Err(usage()),
        };
        let storage = shared::storage::Storage::new(&config).await;
        storage.ensure_bucket().await?;
        Some(storage)
    };

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
    let mut report = Vec::new();

    let password = shared::dev_keys::random_token(12);
    if a.users > 0 {
        let parsed = auth::domain::Password::parse(&password)
            .map_err(|e| anyhow::anyhow!("the staff password {e}"))?;
        let hash = auth::password::hash(parsed)
            .await
            .map_err(|e| anyhow::anyhow!("hashing the staff password: {e}"))?;
        let n = shared::seed::staff(&tx, theater_id, a.users, &hash, seed).await?;
        report.push(format!("{n} users (password {password})"));
    }
    let productions = shared::seed::productions(&tx, theater_id, a.performances, seed).await?;
    if !productions.is_empty() {
        report.push(format!("{} performances", productions.len()));
    }
    if a.items > 0 {
        let seeded =
            shared::seed::inventory_with_history(&tx, theater_id, a.items, a.cycles, seed).await?;
        let kit =
            shared::seed::insert_kit_lists(&tx, theater_id, &seeded.items, &productions, seed)
                .await?;
        report.push(format!(
            "{} items, {} movements, {kit} kit lines",
            seeded.items.len(),
            seeded.movements
        ));
    }
    if let Some(storage) = &storage {
        let (documents, versions) =
            shared::seed::documents(&tx, storage, theater_id, a.documents, seed).await?;
        report.push(format!("{documents} documents with {versions} versions"));
    }
    if a.events > 0 {
        let from = chrono::Utc::now().date_naive() - chrono::Duration::days(60);
        let seeded = shared::seed::schedule(&tx, theater_id, from, 300, a.events, seed).await?;
        report.push(format!(
            "{} events, {} participants, {} reservations",
            seeded.events, seeded.participants, seeded.reservations
        ));
    }
    tx.commit().await?;
    client.batch_execute("ANALYZE").await?;
    println!(
        "seeded {} into {theater} in {:.1} s",
        report.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
