//! `GET /health`: 200 when PostgreSQL and Redis answer and the worker is alive, 503 otherwise,
//! with a body that says which of them failed. `GET /health/live`: 200 as long as the process
//! serves requests, touching no dependency (for load balancers and restarts).
//!
//! The worker is judged two ways: a process that runs it in-process (the gateway) knows its
//! supervisor's state; any other process (a Lambda function) reads the consumers' heartbeats
//! that apalis keeps in Redis (`<queue>:workers`, a sorted set of worker name → last beat, in
//! seconds), so a deployed worker that stopped beating shows as `dead` everywhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::context::AppContext;

/// The queues a deployed worker consumes (the `QUEUE` names of `jobs::VersionDocument` and
/// `jobs::ProcessPoster`), whose heartbeats `/health` reads.
pub const WORKER_QUEUES: [&str; 2] = ["version_document", "process_poster"];

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `ok` or `unavailable` (PostgreSQL did not answer `SELECT 1` within 2 s).
    pub database: &'static str,
    /// `ok` or `unavailable` (Redis did not answer `PING` within 2 s).
    pub redis: &'static str,
    /// The background worker: `ok` (consuming; in another process: a consumer heartbeated
    /// recently), `restarting` (the in-process worker lost its queue connection and reconnects
    /// with backoff), `dead` (no consumer heartbeated for longer than
    /// `WORKER_STALE_AFTER_SECONDS`, default 60), `unknown` (Redis, where heartbeats are kept,
    /// is unreachable). Absent when no worker ever served this deployment's queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<&'static str>,
    /// How many times the in-process worker was restarted after a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_restarts: Option<u64>,
    /// Seconds since a worker's last heartbeat (read from Redis; absent for an in-process
    /// worker and when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_last_seen_seconds: Option<u64>,
}

/// `GET /health/live`'s body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// Always `ok`: the process answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// What a supervised worker reports about itself. Cheap to clone; every clone shares the state.
/// A process without a worker never attaches one and `/health` leaves it out.
#[derive(Clone, Default)]
pub struct WorkerStatus(Arc<Mutex<WorkerState>>);

#[derive(Default, Clone, Debug)]
struct WorkerState {
    attached: bool,
    running: bool,
    restarts: u64,
    last_error: Option<String>,
}

impl WorkerStatus {
    fn with<T>(&self, f: impl FnOnce(&mut WorkerState) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The worker is consuming its queue.
    pub fn running(&self) {
        self.with(|s| {
            s.attached = true;
            s.running = true;
        });
    }

    /// The worker stopped consuming because of `error`; it will be restarted.
    pub fn failed(&self, error: impl std::fmt::Display) {
        let error = error.to_string();
        self.with(|s| {
            s.attached = true;
            if s.running {
                s.restarts += 1;
            }
            s.running = false;
            s.last_error = Some(error);
        });
    }

    /// The worker was stopped on purpose (shutdown): no longer reported.
    pub fn detached(&self) {
        self.with(|s| {
            s.attached = false;
            s.running = false;
        });
    }

    /// `None` without a worker, else whether it is consuming.
    pub fn is_running(&self) -> Option<bool> {
        self.with(|s| s.attached.then_some(s.running))
    }

    /// Restarts after failures so far.
    pub fn restarts(&self) -> u64 {
        self.with(|s| s.restarts)
    }

    /// The last failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.with(|s| s.last_error.clone())
    }
}

/// The cheap liveness probe: answers while the process serves, whatever its dependencies.
#[utoipa::path(get, path = "/health/live", tag = "health",
    summary = "Liveness: the process answers (no dependency is touched)",
    responses((status = 200, description = "The process serves requests", body = Liveness)))]
pub async fn live() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// Probes the database and Redis, each with a short timeout, and reports the worker.
#[utoipa::path(get, path = "/health", tag = "health",
    summary = "Readiness: PostgreSQL, Redis and the worker",
    responses(
        (status = 200, description = "Every dependency answers", body = Health),
        (status = 503, description = "A dependency is down: the body says which", body = Health)))]
pub async fn health(State(ctx): State<AppContext>) -> Response {
    let timeout = Duration::from_secs(2);
    let db = tokio::time::timeout(timeout, async {
        let client = ctx.db.get().await.ok()?;
        client.simple_query("SELECT 1").await.ok()
    });
    let redis = tokio::time::timeout(timeout, async {
        let mut conn = ctx.redis.conn().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()?;
        Some(last_worker_beat(&ctx, &mut conn).await)
    });
    let (db, redis) = tokio::join!(db, redis);
    let db_ok = matches!(db, Ok(Some(_)));
    let (redis_ok, last_beat) = match redis {
        Ok(Some(beat)) => (true, beat),
        _ => (false, None),
    };
    let (worker, worker_restarts, worker_last_seen_seconds) = match ctx.worker.is_running() {
        Some(running) => (
            Some(if running { "ok" } else { "restarting" }),
            Some(ctx.worker.restarts()),
            None,
        ),
        None if !redis_ok => (Some("unknown"), None, None),
        None => match last_beat {
            Some(age) if age <= stale_after().as_secs() => (Some("ok"), None, Some(age)),
            Some(age) => (Some("dead"), None, Some(age)),
            None => (None, None, None),
        },
    };
    let worker_ok = !matches!(worker, Some("restarting" | "dead"));
    let all_ok = db_ok && redis_ok && worker_ok;
    for (dependency, up) in [
        ("database", db_ok),
        ("redis", redis_ok),
        ("worker", worker_ok),
    ] {
        metrics::gauge!(crate::meters::HEALTH_UP, "dependency" => dependency).set(if up {
            1.0
        } else {
            0.0
        });
    }
    if !redis_ok {
        crate::meters::redis_error("health");
    }
    crate::meters::record_pool(&ctx.db, "api");
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Health {
        status: if all_ok { "ok" } else { "degraded" },
        database: word(db_ok),
        redis: word(redis_ok),
        worker,
        worker_restarts,
        worker_last_seen_seconds,
    };
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// How long without a heartbeat before a worker counts as dead (`WORKER_STALE_AFTER_SECONDS`).
fn stale_after() -> Duration {
    Duration::from_secs(crate::config::parsed_or("WORKER_STALE_AFTER_SECONDS", 60).unwrap_or(60))
}

/// Seconds since the newest heartbeat of any consumer of this deployment's queues; `None` when
/// none ever registered.
async fn last_worker_beat(
    ctx: &AppContext,
    conn: &mut redis::aio::ConnectionManager,
) -> Option<u64> {
    let mut newest: Option<u64> = None;
    for queue in WORKER_QUEUES {
        let key = format!(
            "{}:workers",
            crate::redis::queue_name(ctx.redis.prefix(), queue)
        );
        let beat: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(&key)
            .arg(-1)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(conn)
            .await
            .ok()?;
        if let Some((_, at)) = beat.first() {
            newest = Some(newest.map_or(*at as u64, |n| n.max(*at as u64)));
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    newest.map(|at| now.saturating_sub(at))
}
