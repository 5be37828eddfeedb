//! `GET /health`: 200 when PostgreSQL and Redis answer, 503 otherwise.

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
}

/// Probes the database and Redis, each with a short timeout.
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
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Health {
        status: if db_ok && redis_ok { "ok" } else { "degraded" },
        database: word(db_ok),
        redis: word(redis_ok),
    };
    let status = if db_ok && redis_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
