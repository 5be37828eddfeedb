//! The auth function's own settings: the signing key, token lifetimes and rate limits.

use std::time::Duration;

use shared::config::{CommonConfig, ConfigError, parsed_or, pem_from_env};
use shared::rate_limit::Limit;

/// Everything the auth function reads at start.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub common: CommonConfig,
    /// Ed25519 private key, PKCS#8 PEM. Only this function holds it.
    pub private_key_pem: String,
    pub refresh_ttl: Duration,
    pub limits: RateLimits,
}

/// Per-IP and per-account limits on the endpoints that guess passwords or mint tokens.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub login_per_ip: Limit,
    pub login_per_account: Limit,
    pub register_per_ip: Limit,
    pub register_per_account: Limit,
    pub refresh_per_ip: Limit,
    pub refresh_per_account: Limit,
    /// Wrong current passwords on `POST /auth/password`, per user.
    pub password_per_account: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            login_per_ip: Limit::new(30, minute),
            login_per_account: Limit::new(10, Duration::from_secs(15 * 60)),
            register_per_ip: Limit::new(10, Duration::from_secs(3600)),
            register_per_account: Limit::new(5, Duration::from_secs(3600)),
            refresh_per_ip: Limit::new(120, minute),
            refresh_per_account: Limit::new(30, minute),
            password_per_account: Limit::new(5, Duration::from_secs(15 * 60)),
        }
    }
}

impl RateLimits {
    /// The defaults with the `RATE_LIMIT_*` overrides (hits per window), e.g. lifted for a
    /// benchmark (`bench/run`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = RateLimits::default();
        let limit = |name: &'static str, default: Limit| -> Result<Limit, ConfigError> {
            Ok(Limit::new(parsed_or(name, default.max)?, default.window))
        };
        Ok(RateLimits {
            login_per_ip: limit("RATE_LIMIT_LOGIN_PER_IP", d.login_per_ip)?,
            login_per_account: limit("RATE_LIMIT_LOGIN_PER_ACCOUNT", d.login_per_account)?,
            register_per_ip: limit("RATE_LIMIT_REGISTER_PER_IP", d.register_per_ip)?,
            register_per_account: limit("RATE_LIMIT_REGISTER_PER_ACCOUNT", d.register_per_account)?,
            refresh_per_ip: limit("RATE_LIMIT_REFRESH_PER_IP", d.refresh_per_ip)?,
            refresh_per_account: limit("RATE_LIMIT_REFRESH_PER_ACCOUNT", d.refresh_per_account)?,
            password_per_account: limit("RATE_LIMIT_PASSWORD_PER_ACCOUNT", d.password_per_account)?,
        })
    }
}

impl AuthConfig {
    /// Reads the common settings plus `JWT_PRIVATE_KEY`, `REFRESH_TOKEN_TTL_SECONDS` and the
    /// `RATE_LIMIT_*` overrides (hits per window).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env()?,
            private_key_pem: pem_from_env("JWT_PRIVATE_KEY")?,
            refresh_ttl: Duration::from_secs(parsed_or(
                "REFRESH_TOKEN_TTL_SECONDS",
                30 * 24 * 3600,
            )?),
            limits: RateLimits::from_env()?,
        })
    }
}
