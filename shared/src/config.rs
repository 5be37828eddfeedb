//! Typed configuration read from environment variables. A missing or malformed variable fails
//! start-up with a message naming it.

use std::str::FromStr;
use std::time::Duration;

/// A configuration problem, always naming the variable concerned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A required variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// An optional variable (unset and empty are the same).
pub fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An optional variable parsed into `T`, falling back to `default` when unset.
pub fn parsed_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }),
    }
}

/// A boolean variable: `1/true/yes/on` or `0/false/no/off`.
pub fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match optional(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            name,
            reason: format!("expected true or false, got {v:?}"),
        }),
    }
}

/// Settings every function shares.
#[derive(Clone, Debug)]
pub struct CommonConfig {
    pub database_url: String,
    pub database_pool_size: usize,
    pub redis_url: String,
    /// Prefix of every Redis key this deployment writes (tests use one per test).
    pub redis_prefix: String,
    pub jwt: JwtConfig,
    /// Allowed CORS origins; empty means no cross-origin access.
    pub cors_origins: Vec<String>,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
}

/// What every function needs to verify access tokens.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    /// Ed25519 public key, PEM (SubjectPublicKeyInfo).
    pub public_key_pem: String,
    pub access_ttl: Duration,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/theatre";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
pub const DEFAULT_ISSUER: &str = "theatre-auth";
pub const DEFAULT_AUDIENCE: &str = "theatre-api";

impl CommonConfig {
    /// Reads the common settings. `JWT_PUBLIC_KEY` is required.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            database_url: optional("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            database_pool_size: parsed_or("DATABASE_POOL_SIZE", 10)?,
            redis_url: optional("REDIS_URL").unwrap_or_else(|| DEFAULT_REDIS_URL.into()),
            redis_prefix: optional("REDIS_PREFIX").unwrap_or_else(|| "theatre:".into()),
            jwt: JwtConfig::from_env()?,
            cors_origins: optional("CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            body_limit: parsed_or("BODY_LIMIT_BYTES", 6 * 1024 * 1024)?,
        })
    }
}

impl JwtConfig {
    /// Reads issuer, audience, lifetime and the public key (`JWT_PUBLIC_KEY`, PEM).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            issuer: optional("JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into()),
            audience: optional("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
            public_key_pem: pem_from_env("JWT_PUBLIC_KEY")?,
            access_ttl: Duration::from_secs(parsed_or("ACCESS_TOKEN_TTL_SECONDS", 900)?),
        })
    }
}

/// Reads a PEM from a variable, accepting literal `\n` escapes (as secret stores often hold them).
pub fn pem_from_env(name: &'static str) -> Result<String, ConfigError> {
    let raw = required(name)?;
    let pem = raw.replace("\\n", "\n");
    if !pem.contains("-----BEGIN") {
        return Err(ConfigError::Invalid {
            name,
            reason: "expected a PEM block (-----BEGIN ...-----)".into(),
        });
    }
    Ok(pem)
}
