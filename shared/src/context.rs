//! The process-wide clients every handler needs, built once in `main`.

use std::sync::Arc;

use crate::auth::TokenVerifier;
use crate::config::CommonConfig;
use crate::db::Pool;
use crate::redis::Redis;

/// Shared clients: PostgreSQL pool, Redis, token verifier. Cheap to clone.
#[derive(Clone)]
pub struct AppContext {
    pub db: Pool,
    pub redis: Redis,
    pub tokens: Arc<TokenVerifier>,
    pub config: Arc<CommonConfig>,
    /// The in-process worker's state, when this process runs one (the gateway); `/health`
    /// reports it.
    pub worker: crate::health::WorkerStatus,
}

impl AppContext {
    /// Builds the clients without touching the network: connections open on first use.
    pub fn new(config: CommonConfig) -> anyhow::Result<Self> {
        let db = crate::db::pool(&config.database_url, config.database_pool_size)?;
        let redis = Redis::new(&config.redis_url, config.redis_prefix.clone())?;
        let tokens = Arc::new(TokenVerifier::new(&config.jwt)?);
        Ok(Self {
            db,
            redis,
            tokens,
            config: Arc::new(config),
            worker: crate::health::WorkerStatus::default(),
        })
    }
}
