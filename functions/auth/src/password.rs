//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane) on a small
//! fixed pool of threads, so a login storm neither stalls the async runtime nor grows memory
//! without bound.
//!
//! Each hash allocates 19 MiB. Run on tokio's blocking pool, sixteen concurrent logins ran on
//! sixteen threads and the allocator kept a 19 MiB arena per thread (6 GB resident seen). Here
//! at most `PASSWORD_HASH_THREADS` (default: the number of cores) hashes run at once, always on
//! the same threads, so the memory ceiling is about that many × 19 MiB. A caller waits for a
//! free thread at most `PASSWORD_HASH_QUEUE_MS` (default 10 s), then gets a 503 with
//! `Retry-After`.

use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use shared::ApiError;
use tracing::Instrument;

use crate::domain::Password;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the permits that bound them.
struct HashPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    permits: Arc<tokio::sync::Semaphore>,
    queue_timeout: Duration,
}

/// How many hashes run at once in this process.
pub fn hash_threads() -> usize {
    shared::config::parsed_or(
        "PASSWORD_HASH_THREADS",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    )
    .unwrap_or(2)
    .max(1)
}

fn pool() -> &'static HashPool {
    static POOL: OnceLock<HashPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = hash_threads();
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = {
                            let guard = rx.lock().unwrap_or_else(|p| p.into_inner());
                            guard.recv()
                        };
                        match job {
                            // A panicking hash must not take the thread with it.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawning a password hashing thread");
        }
        HashPool {
            jobs: Mutex::new(tx),
            permits: Arc::new(tokio::sync::Semaphore::new(threads)),
            queue_timeout: Duration::from_millis(
                shared::config::parsed_or("PASSWORD_HASH_QUEUE_MS", 10_000).unwrap_or(10_000),
            ),
        }
    })
}

/// Runs `f` on the hashing pool, keeping the caller's tracing span. A 503 when no hashing
/// thread frees up within the queue timeout.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let pool = pool();
    let permit = tokio::time::timeout(pool.queue_timeout, pool.permits.clone().acquire_owned())
        .await
        .map_err(|_| {
            tracing::warn!("password hashing queue full");
            ApiError::ServiceUnavailable("password checking")
        })?
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("hashing pool closed: {e}")))?;
    let span = tracing::Span::current();
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let value = span.in_scope(f);
        drop(permit);
        let _ = done.send(value);
    });
    pool.jobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("hashing pool stopped")))?;
    result
        .in_current_span()
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("hashing task failed: {e}")))
}

/// Hashes a new password into a PHC string.
pub async fn hash(password: Password) -> Result<String, ApiError> {
    blocking(move || {
        hasher()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
    .map_err(ApiError::Unexpected)
}

/// Whether `candidate` matches `phc`. With no stored hash (unknown email) a dummy hash is
/// checked instead, so both failures take the same time.
pub async fn verify(candidate: String, phc: Option<String>) -> Result<bool, ApiError> {
    blocking(move || {
        let stored = phc.as_deref().unwrap_or_else(|| dummy_hash());
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let matches = hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        matches && phc.is_some()
    })
    .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hasher()
            .hash_password(b"no account has this password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}
