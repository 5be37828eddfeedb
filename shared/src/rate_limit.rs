//! Fixed-window rate limits kept in Redis, answering 429 with `Retry-After`.

use std::time::Duration;

use crate::error::ApiError;
use crate::redis::Redis;

/// How many hits a window allows.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }
}

const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

/// Counts one hit on `bucket` (e.g. `login:ip:1.2.3.4`); a 429 once the window is full.
pub async fn hit(redis: &Redis, bucket: &str, limit: Limit) -> Result<(), ApiError> {
    let mut conn = redis.conn().await?;
    let key = redis.key(format_args!("rl:{bucket}"));
    let (count, ttl_ms): (u64, i64) = redis::Script::new(HIT)
        .key(key)
        .arg(limit.window.as_millis() as u64)
        .invoke_async(&mut conn)
        .await?;
    if count > u64::from(limit.max) {
        let retry_after_secs = (ttl_ms.max(0) as u64).div_ceil(1000).max(1);
        crate::meters::rate_limited(bucket);
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    Ok(())
}

/// A 429 if `bucket` is already full, without counting a hit (for limits that count only
/// failures, such as wrong passwords).
pub async fn check(redis: &Redis, bucket: &str, limit: Limit) -> Result<(), ApiError> {
    let mut conn = redis.conn().await?;
    let key = redis.key(format_args!("rl:{bucket}"));
    let (count, ttl_ms): (Option<u64>, i64) = redis::pipe()
        .cmd("GET")
        .arg(&key)
        .cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await?;
    if count.unwrap_or(0) >= u64::from(limit.max) {
        let retry_after_secs = (ttl_ms.max(0) as u64).div_ceil(1000).max(1);
        crate::meters::rate_limited(bucket);
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    Ok(())
}
