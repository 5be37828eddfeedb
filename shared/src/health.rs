//! `GET /health`: 200 when PostgreSQL and Redis answer (and the in-process worker, where there
//! is one, is consuming), 503 otherwise.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::context::AppContext;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    pub database: &'static str,
    pub redis: &'static str,
    /// The in-process background worker: `ok` (consuming), `restarting` (its queue connection
    /// failed; it reconnects with backoff); absent when this process runs no worker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<&'static str>,
    /// How many times the worker was restarted after a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_restarts: Option<u64>,
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

/// Probes the database and Redis, each with a short timeout, and reports the worker.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
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
            .ok()
    });
    let (db, redis) = tokio::join!(db, redis);
    let db_ok = matches!(db, Ok(Some(_)));
    let redis_ok = matches!(redis, Ok(Some(_)));
    let worker = ctx.worker.is_running();
    let worker_ok = worker.unwrap_or(true);
    let all_ok = db_ok && redis_ok && worker_ok;
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Health {
        status: if all_ok { "ok" } else { "degraded" },
        database: word(db_ok),
        redis: word(redis_ok),
        worker: worker.map(|running| if running { "ok" } else { "restarting" }),
        worker_restarts: worker.map(|_| ctx.worker.restarts()),
    };
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
