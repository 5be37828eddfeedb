//! Background jobs: payload types (ids only, never data) and the queue client the API uses to
//! enqueue them. The worker crate consumes the same queues.
//!
//! Queue names are explicit and derived from the deployment's Redis prefix, so the producer in a
//! function and the consumer in `worker/` always agree (apalis's default is the Rust type path)
//! and tests with their own prefix never see each other's jobs. apalis-redis splits pub/sub
//! channel names on `:`, so the names carry no `:`.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Verify, number and index one uploaded document version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDocument {
    pub theater_id: Uuid,
    pub version_id: Uuid,
}

impl VersionDocument {
    /// The queue's name without the prefix.
    pub const QUEUE: &'static str = "version_document";
}

/// Verify one uploaded poster or production photo and write its variants
/// (`performance_images` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPoster {
    pub theater_id: Uuid,
    pub image_id: Uuid,
}

impl ProcessPoster {
    /// The queue's name without the prefix.
    pub const QUEUE: &'static str = "process_poster";
}

/// Fill a document template for a performance and store the result as a new document
/// (`document_generations` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateDocument {
    pub theater_id: Uuid,
    pub generation_id: Uuid,
}

impl GenerateDocument {
    /// The queue's name without the prefix.
    pub const QUEUE: &'static str = "generate_document";
}

/// The queue name for `job` under a Redis key prefix: `theatre:` → `theatre_version_document`.
pub fn queue_name(redis_prefix: &str, job: &str) -> String {
    let prefix: String = redis_prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}{job}")
}

/// How often an idle worker looks for scheduled jobs. apalis-redis only moves pushed jobs to
/// the active list on this tick, so it bounds enqueue→start latency (default 30 s upstream).
pub fn default_poll_interval() -> Duration {
    Duration::from_millis(crate::config::parsed_or("WORKER_POLL_INTERVAL_MS", 500).unwrap_or(500))
}

/// The apalis-redis configuration of a queue: explicit name, our poll interval, no unbounded
/// result hash (apalis-redis #10).
pub fn queue_config(redis_prefix: &str, job: &str, poll: Duration) -> Config {
    Config::default()
        .queue(queue_name(redis_prefix, job))
        .heartbeat_interval(poll)
        .persist_results(false)
}

/// Enqueues jobs. Connects on first use (cold starts do no network work). Cheap to clone.
#[derive(Clone)]
pub struct JobQueue {
    redis_url: String,
    redis_prefix: String,
    conn: std::sync::Arc<OnceCell<ConnectionManager>>,
}

impl JobQueue {
    pub fn new(redis_url: &str, redis_prefix: &str) -> Self {
        Self {
            redis_url: redis_url.to_string(),
            redis_prefix: redis_prefix.to_string(),
            conn: std::sync::Arc::new(OnceCell::new()),
        }
    }

    async fn storage<T>(&self, job: &str) -> anyhow::Result<RedisStorage<T>> {
        let conn = self
            .conn
            .get_or_try_init(|| apalis_redis::connect(self.redis_url.as_str()))
            .await?
            .clone();
        Ok(RedisStorage::new(conn).with_config(queue_config(
            &self.redis_prefix,
            job,
            default_poll_interval(),
        )))
    }

    /// Enqueues a `VersionDocument` job. Call only after the transaction that made the work
    /// visible has committed.
    pub async fn version_document(&self, job: VersionDocument) -> anyhow::Result<()> {
        self.push(VersionDocument::QUEUE, job).await
    }

    /// Enqueues a `ProcessPoster` job. Call only after the transaction that made the work
    /// visible has committed.
    pub async fn process_poster(&self, job: ProcessPoster) -> anyhow::Result<()> {
        self.push(ProcessPoster::QUEUE, job).await
    }

    /// Enqueues a `GenerateDocument` job. Call only after the transaction that made the work
    /// visible has committed.
    pub async fn generate_document(&self, job: GenerateDocument) -> anyhow::Result<()> {
        self.push(GenerateDocument::QUEUE, job).await
    }

    /// Pushes `job` onto `queue`. The first command after Redis came back can fail on the dead
    /// connection (broken pipe) while the connection manager reconnects: that one is retried.
    async fn push<T>(&self, queue: &str, job: T) -> anyhow::Result<()>
    where
        T: Serialize + for<'de> Deserialize<'de> + Clone + Send + Sync + Unpin + 'static,
    {
        let mut last = None;
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            let mut storage = self.storage::<T>(queue).await?;
            match storage.push(job.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(e.to_string()),
            }
        }
        Err(anyhow::anyhow!(
            "enqueueing {queue}: {}",
            last.unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_carry_the_prefix_and_no_colon() {
        assert_eq!(
            queue_name("theatre:", VersionDocument::QUEUE),
            "theatre_version_document"
        );
        assert!(!queue_name("test:ab12:", "x").contains(':'));
    }
}
