//! Redis: one multiplexed connection manager per process, opened on first use, and the key
//! prefix that keeps deployments (and tests) apart.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use crate::error::ApiError;

/// A lazily connected Redis with a key prefix. Cheap to clone.
#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    manager: Arc<OnceCell<ConnectionManager>>,
    prefix: Arc<str>,
}

impl Redis {
    /// Parses the URL; connects on first use.
    pub fn new(url: &str, prefix: String) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not a valid Redis URL: {e}"))?;
        Ok(Self {
            client,
            manager: Arc::new(OnceCell::new()),
            prefix: prefix.into(),
        })
    }

    /// A handle to the shared connection (reconnects by itself after failures).
    pub async fn conn(&self) -> Result<ConnectionManager, ApiError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_secs(3)))
            .set_response_timeout(Some(std::time::Duration::from_secs(3)))
            .set_number_of_retries(2);
        let manager = self
            .manager
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await?;
        Ok(manager.clone())
    }

    /// The full key for `name` under this deployment's prefix.
    pub fn key(&self, name: impl std::fmt::Display) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// The prefix itself (queue names are derived from it).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The underlying client, for libraries that open their own connections.
    pub fn client(&self) -> &redis::Client {
        &self.client
    }
}

/// The queue name for `job` under a Redis key prefix: `theatre:` → `theatre_version_document`
/// (apalis-redis splits pub/sub channel names on `:`, so the name carries none). Here rather
/// than in `jobs` so `/health` can find the workers' heartbeats without the queue client.
pub fn queue_name(redis_prefix: &str, job: &str) -> String {
    let prefix: String = redis_prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}{job}")
}
