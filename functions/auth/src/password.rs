//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane), always on a
//! blocking thread so a login storm never stalls the async runtime.

use std::sync::OnceLock;

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

/// Runs `f` on the blocking pool, keeping the caller's tracing span.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
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
