//! Access tokens: verification (EdDSA only, issuer and audience checked), revocation through
//! Redis, and the `AuthUser` extractor with permission checks.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtConfig;
use crate::context::AppContext;
use crate::error::ApiError;
use crate::permissions::{Permission, PermissionSet};
use crate::redis::Redis;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: Uuid,
    /// The user's theatre.
    pub tid: Uuid,
    /// Token id, for the logout blacklist.
    pub jti: Uuid,
    /// The session (refresh-token family) this token belongs to.
    pub sid: Uuid,
    /// The user's session version when issued; a higher version in Redis revokes the token.
    pub sv: i32,
    pub iat: i64,
    pub exp: i64,
    /// Effective permissions when issued.
    pub perms: Vec<String>,
}

/// Verifies access tokens with the Ed25519 public key.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    /// Access-token lifetime: how long revocation markers must live.
    pub access_ttl: std::time::Duration,
}

impl TokenVerifier {
    pub fn new(config: &JwtConfig) -> anyhow::Result<Self> {
        let key = DecodingKey::from_ed_pem(config.public_key_pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY is not an Ed25519 public key PEM: {e}"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            key,
            validation,
            access_ttl: config.access_ttl,
        })
    }

    /// Checks signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    _ => "the access token is invalid",
                };
                ApiError::Unauthorized(why.into())
            })
    }
}

fn blacklist_key(redis: &Redis, jti: Uuid) -> String {
    redis.key(format_args!("auth:revoked_jti:{jti}"))
}

fn session_version_key(redis: &Redis, user_id: Uuid) -> String {
    redis.key(format_args!("auth:session_version:{user_id}"))
}

/// Puts an access token on the blacklist until it would have expired anyway.
pub async fn revoke_access_token(redis: &Redis, claims: &Claims) -> Result<(), ApiError> {
    let ttl = (claims.exp - chrono::Utc::now().timestamp()).max(1) as u64;
    let mut conn = redis.conn().await?;
    redis::cmd("SET")
        .arg(blacklist_key(redis, claims.jti))
        .arg(1)
        .arg("EX")
        .arg(ttl + 5)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// Publishes a user's new session version: every access token issued under an older version
/// stops working at once. Kept for one access-token lifetime, after which those tokens have
/// expired anyway.
pub async fn publish_session_version(
    redis: &Redis,
    user_id: Uuid,
    version: i32,
    access_ttl: std::time::Duration,
) -> Result<(), ApiError> {
    let mut conn = redis.conn().await?;
    redis::cmd("SET")
        .arg(session_version_key(redis, user_id))
        .arg(version)
        .arg("EX")
        .arg(access_ttl.as_secs() + 60)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// An authenticated caller. A missing, malformed, expired or revoked token is a 401; there is
/// no anonymous fallback.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub theater_id: Uuid,
    pub session_id: Uuid,
    pub permissions: PermissionSet,
    pub claims: Claims,
}

impl AuthUser {
    /// A 403 unless the caller holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.permissions.grants(p) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(p.as_str().to_string()))
        }
    }

    /// Whether the caller holds `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.grants(p)
    }
}

/// Reads the bearer token of a request.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Verifies a raw token and checks it against the revocation state in Redis.
pub async fn authenticate(ctx: &AppContext, token: &str) -> Result<AuthUser, ApiError> {
    let claims = ctx.tokens.verify(token)?;
    let mut conn = ctx.redis.conn().await?;
    let (revoked, version): (Option<String>, Option<i32>) = redis::cmd("MGET")
        .arg(blacklist_key(&ctx.redis, claims.jti))
        .arg(session_version_key(&ctx.redis, claims.sub))
        .query_async(&mut conn)
        .await?;
    if revoked.is_some() {
        return Err(ApiError::Unauthorized(
            "the access token has been revoked".into(),
        ));
    }
    if version.is_some_and(|v| v > claims.sv) {
        return Err(ApiError::Unauthorized(
            "the session has ended; sign in again".into(),
        ));
    }
    let span = tracing::Span::current();
    span.record("theater_id", tracing::field::display(claims.tid));
    span.record("user_id", tracing::field::display(claims.sub));
    Ok(AuthUser {
        user_id: claims.sub,
        theater_id: claims.tid,
        session_id: claims.sid,
        permissions: PermissionSet::from_strings(&claims.perms),
        claims,
    })
}

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AppContext: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = AppContext::from_ref(state);
        let token = bearer_token(parts)
            .ok_or_else(|| ApiError::Unauthorized("a bearer access token is required".into()))?;
        authenticate(&ctx, token).await
    }
}
