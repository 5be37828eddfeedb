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

pub use crate::telemetry::TraceParent;

/// Verify, number and index one uploaded document version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDocument {
    pub theater_id: Uuid,
    pub version_id: Uuid,
    /// The trace of the request that enqueued the job (W3C `traceparent`), so the job's span
    /// continues it. Filled in by [`JobQueue`] from the current span; absent with tracing off
    /// and in jobs enqueued before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<TraceParent>,
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
    /// As [`VersionDocument::traceparent`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<TraceParent>,
}

impl ProcessPoster {
    /// The queue's name without the prefix.
    pub const QUEUE: &'static str = "process_poster";
}

pub use crate::redis::queue_name;

/// Fill a document template for a performance and store the result as a new document
/// (`document_generations` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateDocument {
    pub theater_id: Uuid,
    pub generation_id: Uuid,
    /// As [`VersionDocument::traceparent`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<TraceParent>,
}

impl GenerateDocument {
    /// The queue's name without the prefix.
    pub const QUEUE: &'static str = "generate_document";
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
    pub async fn version_document(&self, mut job: VersionDocument) -> anyhow::Result<()> {
        job.traceparent = job.traceparent.or_else(TraceParent::current);
        self.push(VersionDocument::QUEUE, job).await
    }

    /// Enqueues a `ProcessPoster` job. Call only after the transaction that made the work
    /// visible has committed.
    pub async fn process_poster(&self, mut job: ProcessPoster) -> anyhow::Result<()> {
        job.traceparent = job.traceparent.or_else(TraceParent::current);
        self.push(ProcessPoster::QUEUE, job).await
    }

    /// Enqueues a `GenerateDocument` job. Call only after the transaction that made the work
    /// visible has committed.
    pub async fn generate_document(&self, mut job: GenerateDocument) -> anyhow::Result<()> {
        job.traceparent = job.traceparent.or_else(TraceParent::current);
        self.push(GenerateDocument::QUEUE, job).await
    }

    /// Pushes `job` onto `queue`. The first command after Redis came back can fail on the dead
    /// connection (broken pipe) while the connection manager reconnects: that one is retried.
    #[tracing::instrument(level = "info", name = "enqueue", skip_all, fields(queue = queue))]
    async fn push<T>(&self, queue: &'static str, job: T) -> anyhow::Result<()>
    where
        T: Serialize + for<'de> Deserialize<'de> + Clone + Send + Sync + Unpin + 'static,
    {
        let mut last = None;
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            let mut storage = match self.storage::<T>(queue).await {
                Ok(storage) => storage,
                Err(e) => {
                    crate::meters::redis_error("jobs");
                    return Err(e);
                }
            };
            match storage.push(job.clone()).await {
                Ok(_) => {
                    metrics::counter!(crate::meters::JOBS_ENQUEUED, "queue" => queue).increment(1);
                    return Ok(());
                }
                Err(e) => {
                    crate::meters::redis_error("jobs");
                    last = Some(e.to_string());
                }
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

    #[test]
    fn a_queue_polls_at_our_interval_not_the_upstream_thirty_seconds() {
        // apalis-redis moves pushed jobs to the active list on this tick: it bounds how long an
        // idle worker takes to start a job (the latency itself is measured in bench/).
        let config = queue_config("t:", VersionDocument::QUEUE, Duration::from_millis(200));
        assert_eq!(config.heartbeat_interval, Duration::from_millis(200));
        assert_ne!(
            Config::default().heartbeat_interval,
            Duration::from_millis(200)
        );
        assert!(!config.persist_results);
    }

    #[test]
    fn health_watches_the_queues_the_worker_consumes() {
        assert_eq!(
            crate::health::WORKER_QUEUES,
            [VersionDocument::QUEUE, ProcessPoster::QUEUE]
        );
    }

    #[test]
    fn a_job_without_a_traceparent_reads_as_before() {
        let id = Uuid::nil();
        let old = serde_json::json!({"theater_id": id, "version_id": id});
        let job: VersionDocument = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(job.traceparent, None);
        assert_eq!(serde_json::to_value(job).unwrap(), old);
        let traced = serde_json::json!({"theater_id": id, "image_id": id,
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"});
        let job: ProcessPoster = serde_json::from_value(traced.clone()).unwrap();
        assert!(job.traceparent.is_some());
        assert_eq!(serde_json::to_value(job).unwrap(), traced);
    }
}
