//! The background worker: apalis over Redis. It verifies and versions uploaded documents
//! (`version_document`), turns posters and production photos into web variants
//! (`process_poster`), and fills document templates into new documents (`generate_document`).
//!
//! Nothing depends on the queue alone. The database row of a version or an image says what is
//! left to do (`processing`), every handler is idempotent, and a sweeper re-enqueues rows that
//! stay `processing` too long (a killed worker, a lost job: apalis-redis has had bugs
//! recovering in-flight jobs after a crash).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apalis::layers::retry::HasherRng;
use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::prelude::*;
use apalis_redis::RedisStorage;
use shared::config::{ConfigError, optional, parsed_or};
use shared::db::Pool;
use shared::jobs::{GenerateDocument, JobQueue, ProcessPoster, VersionDocument, queue_config};
use shared::storage::{Storage, StorageConfig};
use tokio::sync::watch;

pub mod bounded;
pub mod expiry;
pub mod extract;
pub mod generation;
pub mod liveness;
pub mod posters;
pub mod preview;
pub mod reports;
pub mod sniff;
pub mod variants;
pub mod versioning;

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
    /// Jobs processed at once by this process.
    pub concurrency: usize,
    /// Poster jobs processed at once (each holds a decoded original: ~100 MB for 24 MP).
    pub poster_concurrency: usize,
    /// What a poster or photo may be (file size, pixels, decoder memory); document thumbnails
    /// use the same pixel and decoder limits.
    pub image_limits: variants::ImageLimits,
    /// What reading one document may spend: inflated bytes, archive entries and ratio, memory
    /// (the per-job budget) and time.
    pub extract_limits: extract::ExtractLimits,
    /// The program run as the bounded extraction child (`None`: in-process, unbounded memory
    /// and time; see [`bounded`]).
    pub extractor: Option<std::path::PathBuf>,
    /// How often an idle worker checks the queue (bounds enqueue→start latency).
    pub poll_interval: Duration,
    /// Attempts per version before it is marked failed.
    pub max_attempts: i32,
    /// A version `processing` for longer than this is re-enqueued by the sweeper.
    pub stuck_after: Duration,
    pub sweep_interval: Duration,
    /// How often scheduled reports are checked for a due slot (0: never, e.g. in tests that
    /// drive `reports::run_due` with their own clock).
    pub reports_interval: Duration,
    /// Tests only: hold every job this long after it starts (to kill a worker mid-job).
    pub debug_pause: Duration,
}

impl WorkerConfig {
    /// `DATABASE_URL`, `REDIS_URL`, `REDIS_PREFIX`, `WORKER_CONCURRENCY` (4),
    /// `WORKER_POSTER_CONCURRENCY` (2), `WORKER_POLL_INTERVAL_MS` (500), `WORKER_MAX_ATTEMPTS`
    /// (5), `WORKER_STUCK_AFTER_SECONDS` (900), `WORKER_SWEEP_INTERVAL_SECONDS` (60),
    /// `WORKER_REPORTS_INTERVAL_SECONDS` (30),
    /// `WORKER_DEBUG_PAUSE_MS` (0), `POSTER_MAX_MEGAPIXELS` (50), `POSTER_MAX_MB` (50),
    /// `WORKER_MAX_INFLATED_MB` (128), `WORKER_MAX_ARCHIVE_ENTRIES` (10000),
    /// `WORKER_MAX_COMPRESSION_RATIO` (100), `WORKER_JOB_MEMORY_MB` (512),
    /// `WORKER_EXTRACT_SECONDS` (30), `WORKER_EXTRACTOR` (see [`bounded::discover`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = variants::ImageLimits::default();
        let extract = extract::ExtractLimits::default();
        const MIB: u64 = 1024 * 1024;
        Ok(Self {
            database_url: optional("DATABASE_URL")
                .unwrap_or_else(|| shared::config::DEFAULT_DATABASE_URL.into()),
            redis_url: optional("REDIS_URL")
                .unwrap_or_else(|| shared::config::DEFAULT_REDIS_URL.into()),
            redis_prefix: optional("REDIS_PREFIX").unwrap_or_else(|| "theatre:".into()),
            concurrency: parsed_or("WORKER_CONCURRENCY", 4)?,
            poster_concurrency: parsed_or("WORKER_POSTER_CONCURRENCY", 2)?,
            image_limits: variants::ImageLimits {
                max_pixels: parsed_or::<u64>("POSTER_MAX_MEGAPIXELS", 50)? * 1_000_000,
                max_bytes: parsed_or::<u64>("POSTER_MAX_MB", 50)? * 1024 * 1024,
                ..defaults
            },
            extract_limits: extract::ExtractLimits {
                max_inflated_bytes: parsed_or(
                    "WORKER_MAX_INFLATED_MB",
                    extract.max_inflated_bytes / MIB,
                )? * MIB,
                max_entries: parsed_or("WORKER_MAX_ARCHIVE_ENTRIES", extract.max_entries)?,
                max_ratio: parsed_or("WORKER_MAX_COMPRESSION_RATIO", extract.max_ratio)?,
                memory_bytes: parsed_or("WORKER_JOB_MEMORY_MB", extract.memory_bytes / MIB)? * MIB,
                deadline: Duration::from_secs(parsed_or(
                    "WORKER_EXTRACT_SECONDS",
                    extract.deadline.as_secs(),
                )?),
            },
            extractor: bounded::discover(),
            poll_interval: Duration::from_millis(parsed_or("WORKER_POLL_INTERVAL_MS", 500)?),
            max_attempts: parsed_or("WORKER_MAX_ATTEMPTS", 5)?,
            stuck_after: Duration::from_secs(parsed_or("WORKER_STUCK_AFTER_SECONDS", 900)?),
            sweep_interval: Duration::from_secs(parsed_or("WORKER_SWEEP_INTERVAL_SECONDS", 60)?),
            reports_interval: Duration::from_secs(parsed_or(
                "WORKER_REPORTS_INTERVAL_SECONDS",
                30,
            )?),
            debug_pause: Duration::from_millis(parsed_or("WORKER_DEBUG_PAUSE_MS", 0)?),
        })
    }

    /// What the jobs of this process may hold at once, beyond the process itself: each document
    /// job runs at most one bounded child ([`bounded`]), each poster job one capped decoder.
    pub fn memory_bound(&self) -> u64 {
        self.concurrency as u64 * self.extract_limits.memory_bytes
            + self.poster_concurrency as u64 * self.image_limits.max_alloc
    }

    /// Defaults for a given database, Redis and prefix (gateway, tests).
    pub fn new(database_url: &str, redis_url: &str, redis_prefix: &str) -> Self {
        Self {
            database_url: database_url.into(),
            redis_url: redis_url.into(),
            redis_prefix: redis_prefix.into(),
            concurrency: 4,
            poster_concurrency: 2,
            image_limits: variants::ImageLimits::default(),
            extract_limits: extract::ExtractLimits::default(),
            extractor: bounded::discover(),
            poll_interval: Duration::from_millis(500),
            max_attempts: 5,
            stuck_after: Duration::from_secs(900),
            sweep_interval: Duration::from_secs(60),
            reports_interval: Duration::from_secs(30),
            debug_pause: Duration::ZERO,
        }
    }
}

/// What a job needs: the database, the bucket, the queue (for the sweeper), the settings.
#[derive(Clone)]
pub struct Deps {
    pub db: Pool,
    pub storage: Storage,
    pub jobs: JobQueue,
    pub config: Arc<WorkerConfig>,
    /// What the supervisor reports (the gateway shares it with `/health`).
    pub status: shared::health::WorkerStatus,
}

impl Deps {
    pub fn new(config: WorkerConfig, storage: Storage) -> anyhow::Result<Self> {
        let db = shared::db::pool(
            &config.database_url,
            config.concurrency + config.poster_concurrency + 2,
        )?;
        let jobs = JobQueue::new(&config.redis_url, &config.redis_prefix);
        Ok(Self {
            db,
            storage,
            jobs,
            config: Arc::new(config),
            status: shared::health::WorkerStatus::default(),
        })
    }

    /// Builds everything from the environment (the worker binary).
    pub async fn from_env() -> anyhow::Result<Self> {
        let config = WorkerConfig::from_env()?;
        let storage = Storage::new(&StorageConfig::from_env()?).await;
        Self::new(config, storage)
    }
}

/// The apalis handler: errors are retried with backoff; the last failure marks the version
/// failed (see [`versioning::run`]).
async fn version_document_job(
    job: VersionDocument,
    deps: Data<Deps>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let span = job_span(VersionDocument::QUEUE, job.theater_id, job.traceparent);
    span.record("version_id", tracing::field::display(job.version_id));
    observed(
        VersionDocument::QUEUE,
        span,
        &attempt,
        versioning::run(&deps, job),
    )
    .await
}

/// The apalis handler of `process_poster`: like [`version_document_job`] (see
/// [`posters::run`]).
async fn process_poster_job(
    job: ProcessPoster,
    deps: Data<Deps>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let span = job_span(ProcessPoster::QUEUE, job.theater_id, job.traceparent);
    span.record("image_id", tracing::field::display(job.image_id));
    observed(
        ProcessPoster::QUEUE,
        span,
        &attempt,
        posters::run(&deps, job),
    )
    .await
}

/// The span of one job attempt, a child of the request that enqueued the job when its payload
/// carries a `traceparent` (so one trace holds the upload, the `complete` call and the job).
fn job_span(
    queue: &'static str,
    theater_id: uuid::Uuid,
    traceparent: Option<shared::jobs::TraceParent>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "job",
        "otel.name" = format!("job {queue}"),
        "otel.kind" = "consumer",
        "otel.status_code" = tracing::field::Empty,
        queue,
        theater_id = %theater_id,
        version_id = tracing::field::Empty,
        image_id = tracing::field::Empty,
        attempt = tracing::field::Empty,
    );
    if let Some(parent) = traceparent {
        parent.adopt(&span);
    }
    span
}

/// Runs one job attempt inside `span`, counting and timing it (`jobs_*`, `job_duration_seconds`).
async fn observed(
    queue: &'static str,
    span: tracing::Span,
    attempt: &Attempt,
    work: impl std::future::Future<Output = anyhow::Result<()>>,
) -> Result<(), BoxDynError> {
    use shared::meters::{JOB_DURATION, JOBS_FAILED, JOBS_RETRIED, JOBS_STARTED, JOBS_SUCCEEDED};
    use tracing::Instrument;
    metrics::counter!(JOBS_STARTED, "queue" => queue).increment(1);
    let started = std::time::Instant::now();
    let result = work.instrument(span.clone()).await;
    // apalis counts the attempt once the job's future first runs: read it afterwards.
    let attempt = attempt.current();
    span.record("attempt", attempt);
    if attempt > 1 {
        metrics::counter!(JOBS_RETRIED, "queue" => queue).increment(1);
    }
    let outcome = if result.is_ok() {
        "succeeded"
    } else {
        "failed"
    };
    metrics::counter!(if result.is_ok() { JOBS_SUCCEEDED } else { JOBS_FAILED }, "queue" => queue)
        .increment(1);
    metrics::histogram!(JOB_DURATION, "queue" => queue, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    result.map_err(|e| -> BoxDynError {
        span.record("otel.status_code", "ERROR");
        format!("{e:#}").into()
    })
}

/// Samples the queues every `every`: jobs waiting in Redis (`jobs_queue_depth`), the age of
/// the oldest work still `processing` in PostgreSQL (`jobs_oldest_age_seconds`, also counting
/// work whose job was lost) and the worker's connection pool.
async fn sample_queues_forever(deps: Deps, every: Duration) {
    loop {
        if let Err(e) = sample_queues(&deps).await {
            tracing::warn!(error = %format!("{e:#}"), "sampling the queues failed");
        }
        shared::meters::record_pool(&deps.db, "worker");
        tokio::time::sleep(every).await;
    }
}

/// One sample of [`sample_queues_forever`].
pub async fn sample_queues(deps: &Deps) -> anyhow::Result<()> {
    use shared::meters::{QUEUE_DEPTH, QUEUE_OLDEST_AGE};
    let config = &deps.config;
    let client = deps.db.get().await?;
    let row = client
        .query_one(
            "SELECT
               (SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8
                  FROM document_versions WHERE status = 'processing'),
               (SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8
                  FROM performance_images WHERE status = 'processing')",
            &[],
        )
        .await?;
    drop(client);
    let ages: [Option<f64>; 2] = [row.get(0), row.get(1)];
    let mut redis = redis::Client::open(config.redis_url.as_str())?
        .get_multiplexed_async_connection()
        .await
        .inspect_err(|_| shared::meters::redis_error("worker"))?;
    for (queue, age) in [VersionDocument::QUEUE, ProcessPoster::QUEUE]
        .into_iter()
        .zip(ages)
    {
        let keys = queue_config(&config.redis_prefix, queue, config.poll_interval);
        let (ready, scheduled): (u64, u64) = redis::pipe()
            .cmd("LLEN")
            .arg(keys.active_jobs_list())
            .cmd("ZCARD")
            .arg(keys.scheduled_jobs_set())
            .query_async(&mut redis)
            .await
            .inspect_err(|_| shared::meters::redis_error("worker"))?;
        metrics::gauge!(QUEUE_DEPTH, "queue" => queue).set((ready + scheduled) as f64);
        metrics::gauge!(QUEUE_OLDEST_AGE, "queue" => queue).set(age.unwrap_or(0.0).max(0.0));
    }
    Ok(())
}

/// The apalis handler of `generate_document`: like [`version_document_job`] (see
/// [`generation::run`]).
async fn generate_document_job(
    job: GenerateDocument,
    deps: Data<Deps>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let span = job_span(GenerateDocument::QUEUE, job.theater_id, job.traceparent);
    observed(
        GenerateDocument::QUEUE,
        span,
        &attempt,
        generation::run(&deps, job),
    )
    .await
}

/// A running worker (in-process); stops gracefully on [`WorkerHandle::shutdown`].
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl WorkerHandle {
    /// Asks the worker to stop taking jobs, waits for the running ones (up to 30 s).
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("worker task panicked")?
    }
}

/// Starts the apalis worker and the sweeper on the current runtime.
pub async fn start(deps: Deps) -> anyhow::Result<WorkerHandle> {
    let (stop, mut stopped) = watch::channel(false);
    let signal = async move {
        let _ = stopped.wait_for(|s| *s).await;
        Ok(())
    };
    let task = tokio::spawn(run(deps, signal));
    Ok(WorkerHandle { stop, task })
}

/// Runs until `signal` resolves: the queue consumers plus the sweeper.
///
/// The consumer is supervised: apalis's worker ends when its Redis connection fails (a 2 s
/// Redis restart is enough) and does not come back by itself, so whenever it ends it is
/// rebuilt on a fresh connection, with backoff (0.2 s doubling to 5 s) while Redis is
/// unreachable. [`Deps::status`] says whether it is consuming.
pub async fn run(
    deps: Deps,
    signal: impl std::future::Future<Output = std::io::Result<()>> + Send + 'static,
) -> anyhow::Result<()> {
    let config = deps.config.clone();
    let stale = expiry::clean_stale_spools();
    if stale > 0 {
        tracing::info!(count = stale, "removed spool files left by stopped workers");
    }
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        let _ = signal.await;
        let _ = stop_tx.send(true);
    });
    let sweeper = tokio::spawn(sweep_forever(deps.clone()));
    let scheduled_reports = (!config.reports_interval.is_zero())
        .then(|| tokio::spawn(reports::run_forever(deps.clone(), config.reports_interval)));
    let sampler = tokio::spawn(sample_queues_forever(
        deps.clone(),
        Duration::from_secs(parsed_or("WORKER_METRICS_SAMPLE_SECONDS", 15).unwrap_or(15)),
    ));
    tracing::info!(
        queue = %shared::jobs::queue_name(&config.redis_prefix, VersionDocument::QUEUE),
        poster_queue = %shared::jobs::queue_name(&config.redis_prefix, ProcessPoster::QUEUE),
        concurrency = config.concurrency,
        poster_concurrency = config.poster_concurrency,
        poll_ms = config.poll_interval.as_millis() as u64,
        memory_bound_mb = config.memory_bound() / (1024 * 1024),
        "worker started"
    );
    if config.extractor.is_none() {
        tracing::warn!(
            "no worker binary found for bounded extraction (set WORKER_EXTRACTOR): files are read in-process, without the memory cap and the deadline"
        );
    }
    let min_delay = Duration::from_millis(200);
    let max_delay = Duration::from_secs(5);
    let mut delay = min_delay;
    let result = loop {
        if *stop.borrow() {
            break Ok(());
        }
        let started = std::time::Instant::now();
        match consume(&deps, stop.clone()).await {
            Ok(Ended::Stopped) => break Ok(()),
            Ok(Ended::Failed(why)) | Err(why) => {
                shared::meters::redis_error("worker");
                tracing::error!(error = %why, "worker stopped consuming; restarting");
                deps.status.failed(&why);
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            delay = min_delay;
        }
        let mut stop_wait = stop.clone();
        let stopped = tokio::select! {
            _ = tokio::time::sleep(delay) => false,
            _ = stop_wait.wait_for(|s| *s) => true,
        };
        if stopped {
            break Ok(());
        }
        delay = (delay * 2).min(max_delay);
    };
    sweeper.abort();
    if let Some(task) = scheduled_reports {
        task.abort();
    }
    sampler.abort();
    deps.status.detached();
    result
}

/// How one consumer run ended.
enum Ended {
    /// Asked to stop.
    Stopped,
    /// Its worker ended by itself (lost its Redis connection).
    Failed(String),
}

/// Connects, runs one apalis monitor (both queues on one connection) until it ends or `stop`
/// is set.
async fn consume(deps: &Deps, mut stop: watch::Receiver<bool>) -> Result<Ended, String> {
    let config = deps.config.clone();
    let conn = tokio::time::timeout(
        Duration::from_secs(5),
        apalis_redis::connect(config.redis_url.as_str()),
    )
    .await
    .map_err(|_| "connecting the worker to Redis timed out".to_string())?
    .map_err(|e| format!("connecting the worker to Redis: {e}"))?;
    let queue = queue_config(
        &config.redis_prefix,
        VersionDocument::QUEUE,
        config.poll_interval,
    );
    let poster_queue = queue_config(
        &config.redis_prefix,
        ProcessPoster::QUEUE,
        config.poll_interval,
    );
    let generation_queue = queue_config(
        &config.redis_prefix,
        GenerateDocument::QUEUE,
        config.poll_interval,
    );
    let instance = uuid::Uuid::new_v4().simple();
    let generation_worker_name = format!("generate-document-{instance}");
    let worker_name = format!("version-document-{instance}");
    let poster_worker_name = format!("process-poster-{instance}");
    let factory_deps = deps.clone();
    let poster_deps = deps.clone();
    let mut backoff = ExponentialBackoffMaker::new(
        Duration::from_millis(500),
        Duration::from_secs(30),
        0.5,
        HasherRng::default(),
    )
    .map_err(|e| format!("retry backoff: {e}"))?;
    let policy = RetryPolicy::retries(config.max_attempts.max(1) as usize)
        .with_backoff(backoff.make_backoff());
    let watched = conn.clone();
    let poster_conn = conn.clone();
    let generation_conn = conn.clone();
    let generation_deps = deps.clone();
    let generation_policy = policy.clone();
    let poster_policy = policy.clone();
    let (documents_alive, posters_alive, generations_alive) = (
        liveness::Liveness::default(),
        liveness::Liveness::default(),
        liveness::Liveness::default(),
    );
    let (documents_seen, posters_seen, generations_seen) = (
        documents_alive.clone(),
        posters_alive.clone(),
        generations_alive.clone(),
    );
    let monitor = Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(worker_name.clone())
                .backend(
                    RedisStorage::<VersionDocument>::new(conn.clone()).with_config(queue.clone()),
                )
                .data(factory_deps.clone())
                .on_event({
                    let seen = documents_seen.clone();
                    move |ctx, ev| seen.observe(ctx, ev)
                })
                .concurrency(factory_deps.config.concurrency.max(1))
                .retry(policy.clone())
                .catch_panic()
                .build(version_document_job)
        })
        .register(move |_restarts| {
            WorkerBuilder::new(poster_worker_name.clone())
                .backend(
                    RedisStorage::<ProcessPoster>::new(poster_conn.clone())
                        .with_config(poster_queue.clone()),
                )
                .data(poster_deps.clone())
                .on_event({
                    let seen = posters_seen.clone();
                    move |ctx, ev| seen.observe(ctx, ev)
                })
                .concurrency(poster_deps.config.poster_concurrency.max(1))
                .retry(poster_policy.clone())
                .catch_panic()
                .build(process_poster_job)
        })
        .register(move |_restarts| {
            WorkerBuilder::new(generation_worker_name.clone())
                .backend(
                    RedisStorage::<GenerateDocument>::new(generation_conn.clone())
                        .with_config(generation_queue.clone()),
                )
                .data(generation_deps.clone())
                .on_event({
                    let seen = generations_seen.clone();
                    move |ctx, ev| seen.observe(ctx, ev)
                })
                // Each job may run LibreOffice (a few hundred MB): as few at once as posters.
                .concurrency(generation_deps.config.poster_concurrency.max(1))
                .retry(generation_policy.clone())
                .catch_panic()
                .build(generate_document_job)
        })
        .shutdown_timeout(Duration::from_secs(30));
    let context = monitor.context();
    // A healthy worker heartbeats every poll interval; five silent ones while idle is a stall.
    let quiet = (config.poll_interval * 5).max(Duration::from_secs(2));
    let watchers = [
        tokio::spawn(documents_alive.watch("version_document", config.poll_interval, quiet)),
        tokio::spawn(posters_alive.watch("process_poster", config.poll_interval, quiet)),
        tokio::spawn(generations_alive.watch("generate_document", config.poll_interval, quiet)),
    ];
    let running = monitor.run();
    tokio::pin!(running);
    deps.status.running();
    /// Why the select below returned.
    enum Outcome {
        /// The monitor future completed: it must not be polled again.
        MonitorEnded(String),
        /// The watchdog lost Redis while the monitor still runs.
        Lost(String),
    }
    let ended = tokio::select! {
        ended = &mut running => Some(Outcome::MonitorEnded(match ended {
            Ok(()) => "the worker ended".into(),
            Err(e) => format!("the worker stopped: {e}"),
        })),
        lost = redis_watchdog(watched) => Some(Outcome::Lost(lost)),
        _ = stop.wait_for(|s| *s) => None,
    };
    for watcher in &watchers {
        watcher.abort();
    }
    match ended {
        Some(Outcome::MonitorEnded(why)) => Ok(Ended::Failed(why)),
        Some(Outcome::Lost(why)) => {
            // apalis keeps polling a dead connection instead of ending: stop it ourselves so
            // that the supervisor reconnects once Redis is back.
            let _ = context.shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), running).await;
            Ok(Ended::Failed(format!("the worker stopped: {why}")))
        }
        None => {
            let _ = context.shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(30), running).await;
            Ok(Ended::Stopped)
        }
    }
}

/// Pings Redis every second over the worker's connection; returns once two pings in a row
/// failed (or timed out), which is when the consumer has to be rebuilt on a new connection.
async fn redis_watchdog(mut conn: apalis_redis::ConnectionManager) -> String {
    const EVERY: Duration = Duration::from_secs(1);
    let mut failures = 0;
    loop {
        tokio::time::sleep(EVERY).await;
        let ping = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        match ping {
            Ok(Ok(_)) => failures = 0,
            Ok(Err(e)) if failures > 0 => return format!("lost Redis: {e}"),
            Err(_) if failures > 0 => return "lost Redis: PING timed out".into(),
            _ => failures += 1,
        }
    }
}

/// Re-enqueues versions and images stuck in `processing`, now and every `sweep_interval`.
async fn sweep_forever(deps: Deps) {
    loop {
        match sweep(&deps, deps.config.stuck_after).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "re-enqueued versions stuck in processing"),
            Err(e) => tracing::error!(error = ?e, "sweeping stuck versions failed"),
        }
        match sweep_images(&deps, deps.config.stuck_after).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "re-enqueued images stuck in processing"),
            Err(e) => tracing::error!(error = ?e, "sweeping stuck images failed"),
        }
        match sweep_generations(&deps, deps.config.stuck_after).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "re-enqueued generations stuck in processing"),
            Err(e) => tracing::error!(error = ?e, "sweeping stuck generations failed"),
        }
        match expiry::expire_pending(&deps, expiry::PENDING_GRACE).await {
            Ok(expired) if expired != expiry::Expired::default() => {
                tracing::info!(?expired, "expired unconfirmed uploads")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "expiring unconfirmed uploads failed"),
        }
        match expiry::expire_exports(&deps, shared::keys::INVENTORY_EXPORT_TTL).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "deleted expired inventory exports"),
            Err(e) => tracing::error!(error = ?e, "deleting expired inventory exports failed"),
        }
        tokio::time::sleep(deps.config.sweep_interval).await;
    }
}

/// One sweep: versions `processing` since before `stuck_after` get a fresh job. Their clock is
/// reset so the next sweep does not enqueue them again while the job waits.
pub async fn sweep(deps: &Deps, stuck_after: Duration) -> anyhow::Result<usize> {
    let client = deps.db.get().await?;
    let rows = client
        .query(
            "UPDATE document_versions SET processing_started_at = now()
             WHERE status = 'processing'
               AND (processing_started_at IS NULL
                    OR processing_started_at < now() - make_interval(secs => $1))
             RETURNING theater_id, id",
            &[&stuck_after.as_secs_f64()],
        )
        .await?;
    for row in &rows {
        deps.jobs
            .version_document(VersionDocument {
                theater_id: row.get(0),
                version_id: row.get(1),
                traceparent: None,
            })
            .await?;
        metrics::counter!(shared::meters::SWEEPER_REENQUEUED, "queue" => VersionDocument::QUEUE)
            .increment(1);
    }
    Ok(rows.len())
}

/// One sweep of posters and photos: images `processing` (last touched, i.e. claimed) before
/// `stuck_after` get a fresh `process_poster` job; their clock is reset likewise.
pub async fn sweep_images(deps: &Deps, stuck_after: Duration) -> anyhow::Result<usize> {
    let client = deps.db.get().await?;
    let rows = client
        .query(
            "UPDATE performance_images SET updated_at = now()
             WHERE status = 'processing'
               AND updated_at < now() - make_interval(secs => $1)
             RETURNING theater_id, id",
            &[&stuck_after.as_secs_f64()],
        )
        .await?;
    for row in &rows {
        deps.jobs
            .process_poster(ProcessPoster {
                theater_id: row.get(0),
                image_id: row.get(1),
                traceparent: None,
            })
            .await?;
        metrics::counter!(shared::meters::SWEEPER_REENQUEUED, "queue" => ProcessPoster::QUEUE)
            .increment(1);
    }
    Ok(rows.len())
}

/// One sweep of document generations: those `processing` (last claimed) before `stuck_after`
/// get a fresh `generate_document` job; their clock is reset likewise.
pub async fn sweep_generations(deps: &Deps, stuck_after: Duration) -> anyhow::Result<usize> {
    let client = deps.db.get().await?;
    let rows = client
        .query(
            "UPDATE document_generations SET processing_started_at = now()
             WHERE status = 'processing'
               AND processing_started_at < now() - make_interval(secs => $1)
             RETURNING theater_id, id",
            &[&stuck_after.as_secs_f64()],
        )
        .await?;
    for row in &rows {
        deps.jobs
            .generate_document(GenerateDocument {
                theater_id: row.get(0),
                generation_id: row.get(1),
                traceparent: None,
            })
            .await?;
    }
    Ok(rows.len())
}

/// One unit of work found in the database by [`drain_once`].
#[derive(Clone, Copy, Debug)]
enum Waiting {
    Version(VersionDocument),
    Image(ProcessPoster),
    Generation(GenerateDocument),
}

impl Waiting {
    async fn run(self, deps: &Deps) -> anyhow::Result<()> {
        match self {
            Waiting::Version(job) => versioning::run(deps, job).await,
            Waiting::Image(job) => posters::run(deps, job).await,
            Waiting::Generation(job) => generation::run(deps, job).await,
        }
    }
}

/// Drain mode (`worker --once`): processes every version and image waiting in `processing`
/// directly, without the queue, then returns how many were handled. Jobs for them still in
/// Redis become no-ops (the handlers are idempotent).
pub async fn drain_once(deps: &Deps) -> anyhow::Result<usize> {
    let client = deps.db.get().await?;
    let versions = client
        .query(
            "SELECT theater_id, id FROM document_versions WHERE status = 'processing'
             ORDER BY created_at",
            &[],
        )
        .await?;
    let images = client
        .query(
            "SELECT theater_id, id FROM performance_images WHERE status = 'processing'
             ORDER BY created_at",
            &[],
        )
        .await?;
    let generations = client
        .query(
            "SELECT theater_id, id FROM document_generations WHERE status = 'processing'
             ORDER BY created_at",
            &[],
        )
        .await?;
    drop(client);
    let jobs: Vec<Waiting> = versions
        .iter()
        .map(|r| {
            Waiting::Version(VersionDocument {
                theater_id: r.get(0),
                version_id: r.get(1),
                traceparent: None,
            })
        })
        .chain(images.iter().map(|r| {
            Waiting::Image(ProcessPoster {
                theater_id: r.get(0),
                image_id: r.get(1),
                traceparent: None,
            })
        }))
        .chain(generations.iter().map(|r| {
            Waiting::Generation(GenerateDocument {
                theater_id: r.get(0),
                generation_id: r.get(1),
                traceparent: None,
            })
        }))
        .collect();
    let count = jobs.len();
    let concurrency = deps.config.concurrency.max(1);
    use futures::StreamExt;
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(jobs)
        .map(|job| async move {
            // Retry in place; the attempt accounting in the row marks the version or image
            // failed after the last attempt, so this loop ends.
            let mut tries = 0;
            loop {
                tries += 1;
                match job.run(deps).await {
                    Ok(()) => return Ok(()),
                    Err(e) if tries > deps.config.max_attempts => return Err(e),
                    Err(e) => {
                        tracing::warn!(error = ?e, ?job, "retrying");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok(count)
}
