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
//!
//! The hashing threads run at a lower scheduling priority (`PASSWORD_HASH_NICE`, default 10):
//! a login storm keeps both cores busy hashing, and every other request (`GET /me`, the
//! inventory list) would otherwise wait behind it for a core. Niced, they still take every
//! idle cycle, so logins run as fast as before on an otherwise idle machine.

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
        let nice = shared::config::parsed_or("PASSWORD_HASH_NICE", 10).unwrap_or(10);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority(nice);
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

/// Lowers the calling thread's scheduling priority to `nice` (0 leaves it). On Linux the nice
/// value belongs to the thread, not the process, so the request threads keep theirs. Raising
/// one's nice value needs no privilege; where it fails the thread hashes at normal priority.
fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority reads only its integer arguments; `who` 0 is the calling thread.
        let tid = 0;
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) } != 0 {
            tracing::warn!(
                error = %std::io::Error::last_os_error(),
                "could not lower the password hashing threads' priority"
            );
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_round_trip() {
        let phc = hash(Password::parse("correct horse battery").expect("valid password"))
            .await
            .expect("hashed");
        assert!(
            verify("correct horse battery".into(), Some(phc.clone()))
                .await
                .expect("checked")
        );
        assert!(
            !verify("wrong horse".into(), Some(phc))
                .await
                .expect("checked")
        );
        assert!(!verify("anything".into(), None).await.expect("checked"));
    }

    /// The hashing threads run niced (10 by default), the caller's thread does not.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_lower_priority() {
        verify("warm the pool".into(), None).await.expect("checked");
        let nice_of = |stat: &str| -> i64 {
            // Field 19 of /proc/<pid>/task/<tid>/stat, counted after the ")" ending the name.
            let rest = &stat[stat.rfind(')').expect("stat has a name") + 2..];
            rest.split(' ')
                .nth(16)
                .expect("nice field")
                .parse()
                .expect("a number")
        };
        let mut hashing = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").expect("tasks") {
            let dir = task.expect("task").path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if name.starts_with("argon2-") {
                hashing.push(nice_of(
                    &std::fs::read_to_string(dir.join("stat")).expect("stat"),
                ));
            }
        }
        let own = nice_of(&std::fs::read_to_string("/proc/thread-self/stat").expect("stat"));
        assert_eq!(
            hashing.len(),
            hash_threads(),
            "one entry per hashing thread"
        );
        assert!(
            own < 10,
            "run the tests at a nice value below 10 (the caller's is {own})"
        );
        assert!(
            hashing.iter().all(|&n| n == 10),
            "hashing threads' nice: {hashing:?}, the caller's {own}"
        );
    }
}
