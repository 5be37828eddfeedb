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
use crate::db::Cached;
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
    /// The user's session version when issued; a higher current version revokes the token.
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

    /// Checks signature, algorithm, issuer, audience, expiry, and that the token was not issued
    /// in the future (beyond the clock-skew leeway).
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        "the access token has expired; get a new one with POST /api/v1/auth/refresh"
                    }
                    _ => "the access token is invalid",
                };
                ApiError::Unauthorized(why.into())
            })?;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + self.validation.leeway as i64 {
            return Err(ApiError::Unauthorized("the access token is invalid".into()));
        }
        Ok(claims)
    }
}

fn blacklist_key(redis: &Redis, jti: Uuid) -> String {
    redis.key(format_args!("auth:revoked_jti:{jti}"))
}

fn session_state_key(redis: &Redis, user_id: Uuid) -> String {
    redis.key(format_args!("auth:session_state:{user_id}"))
}

/// Puts an access token on the blacklist until it would have expired anyway (a fast path; the
/// durable record is the revoked session in PostgreSQL, see [`publish_session_state`]).
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

/// What revokes a user's access tokens: their session version (tokens issued under an older
/// one are refused) and the sessions (refresh-token families) revoked within the last
/// access-token lifetime (older revocations only concern tokens that have expired anyway).
///
/// The truth lives in PostgreSQL (`users.session_version`, `refresh_tokens.revoked_at`);
/// Redis holds a copy per user, rebuilt from the database when it is missing (after a Redis
/// restart, on the first request of a user). A request whose user's copy is in Redis makes no
/// database round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// `None`: the user no longer exists.
    pub version: Option<i32>,
    pub revoked_sessions: Vec<Uuid>,
}

impl SessionState {
    fn encode(&self) -> String {
        let sessions: Vec<String> = self
            .revoked_sessions
            .iter()
            .map(|s| s.simple().to_string())
            .collect();
        match self.version {
            Some(v) => format!("{v};{}", sessions.join(",")),
            None => "gone;".into(),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let (version, sessions) = text.split_once(';')?;
        let version = match version {
            "gone" => None,
            v => Some(v.parse().ok()?),
        };
        let revoked_sessions = sessions
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect::<Option<Vec<Uuid>>>()?;
        Some(Self {
            version,
            revoked_sessions,
        })
    }

    /// Why `claims` are no longer valid, if they are not.
    pub fn refuses(&self, claims: &Claims) -> Option<&'static str> {
        match self.version {
            None => Some("the account no longer exists"),
            Some(v) if v > claims.sv => Some("the session has ended; sign in again"),
            _ if self.revoked_sessions.contains(&claims.sid) => {
                Some("the session has ended; sign in again")
            }
            _ => None,
        }
    }
}

/// Reads a user's revocation state from PostgreSQL.
pub async fn load_session_state(
    db: &crate::db::Pool,
    user_id: Uuid,
    access_ttl: std::time::Duration,
) -> Result<SessionState, ApiError> {
    let client = db.get().await?;
    let row = client
        .query_opt_cached(
            "SELECT u.session_version,
                    coalesce(array_agg(DISTINCT t.family_id)
                             FILTER (WHERE t.family_id IS NOT NULL), '{}') AS revoked
             FROM users u
             LEFT JOIN refresh_tokens t ON t.user_id = u.id AND t.revoked_at IS NOT NULL
                  AND t.revoked_at > now() - make_interval(secs => $2)
             WHERE u.id = $1
             GROUP BY u.session_version",
            &[&user_id, &(access_ttl.as_secs_f64() + 60.0)],
        )
        .await?;
    Ok(match row {
        Some(row) => SessionState {
            version: Some(row.get(0)),
            revoked_sessions: row.get(1),
        },
        None => SessionState {
            version: None,
            revoked_sessions: Vec::new(),
        },
    })
}

fn state_ttl_secs(access_ttl: std::time::Duration) -> u64 {
    access_ttl.as_secs().max(60)
}

/// Rewrites a user's revocation state in Redis from PostgreSQL. Call after committing a
/// change of the session version or a revoked session: every access token that change
/// revokes is refused from then on, also after a Redis restart (the copy is rebuilt from the
/// database).
pub async fn publish_session_state(
    ctx: &AppContext,
    user_id: Uuid,
) -> Result<SessionState, ApiError> {
    let state = load_session_state(&ctx.db, user_id, ctx.tokens.access_ttl).await?;
    let mut conn = ctx.redis.conn().await?;
    redis::cmd("SET")
        .arg(session_state_key(&ctx.redis, user_id))
        .arg(state.encode())
        .arg("EX")
        .arg(state_ttl_secs(ctx.tokens.access_ttl))
        .query_async::<()>(&mut conn)
        .await?;
    Ok(state)
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

/// Verifies a raw token and checks it against the revocation state: one Redis round trip when
/// the user's state is cached, plus one database query when it is not (then it is cached).
pub async fn authenticate(ctx: &AppContext, token: &str) -> Result<AuthUser, ApiError> {
    let claims = ctx.tokens.verify(token)?;
    let mut conn = ctx.redis.conn().await?;
    let state_key = session_state_key(&ctx.redis, claims.sub);
    let (revoked, cached): (Option<String>, Option<String>) = redis::cmd("MGET")
        .arg(blacklist_key(&ctx.redis, claims.jti))
        .arg(&state_key)
        .query_async(&mut conn)
        .await?;
    if revoked.is_some() {
        return Err(ApiError::Unauthorized(
            "the access token has been revoked".into(),
        ));
    }
    let state = match cached.as_deref().and_then(SessionState::decode) {
        Some(state) => state,
        None => {
            let state = load_session_state(&ctx.db, claims.sub, ctx.tokens.access_ttl).await?;
            // NX: never overwrite what a revocation published meanwhile.
            redis::cmd("SET")
                .arg(&state_key)
                .arg(state.encode())
                .arg("NX")
                .arg("EX")
                .arg(state_ttl_secs(ctx.tokens.access_ttl))
                .query_async::<()>(&mut conn)
                .await?;
            state
        }
    };
    if let Some(why) = state.refuses(&claims) {
        return Err(ApiError::Unauthorized(why.into()));
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
            .ok_or_else(|| ApiError::Unauthorized(crate::error::NO_CREDENTIALS.into()))?;
        authenticate(&ctx, token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_state_round_trips_through_its_redis_text() {
        let state = SessionState {
            version: Some(3),
            revoked_sessions: vec![Uuid::new_v4(), Uuid::new_v4()],
        };
        assert_eq!(SessionState::decode(&state.encode()), Some(state));
        let gone = SessionState {
            version: None,
            revoked_sessions: vec![],
        };
        assert_eq!(SessionState::decode(&gone.encode()), Some(gone));
        assert_eq!(SessionState::decode("garbage"), None);
    }
}
