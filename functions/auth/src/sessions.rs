//! Registration, login, refresh with rotation and reuse detection, logout, the current user and
//! password change.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::db::Cached;
use shared::error::FieldErrors;
use shared::extract::{ClientIp, Json};
use shared::{ApiError, ApiResult, rate_limit};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AuthState;
use crate::domain::{Email, Password, text};
use crate::password;
use crate::repo::{UserView, effective_permissions, load_user};
use crate::theater::{TheaterView, load_theater};
use crate::tokens::{Subject, new_refresh_token, refresh_token_hash};

/// `POST /auth/register`: a new theatre and its first admin.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct RegisterRequest {
    #[schema(required = true)]
    pub theater_name: String,
    #[schema(required = true)]
    pub email: String,
    #[schema(required = true)]
    pub password: String,
    #[schema(required = true)]
    pub first_name: String,
    #[schema(required = true)]
    pub last_name: String,
}

/// Both fields are required: a body without them is a 422 naming the missing field.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(required = true)]
    pub email: String,
    #[schema(required = true)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct LogoutRequest {
    /// The session's refresh token; its whole session is ended.
    pub refresh_token: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ChangePasswordRequest {
    #[schema(required = true)]
    pub current_password: String,
    #[schema(required = true)]
    pub new_password: String,
}

/// A session: tokens plus who they are for.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserView,
    pub theater: TheaterView,
}

/// The caller, with effective permissions.
#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub user: UserView,
    pub permissions: Vec<String>,
    /// The departments the caller's inventory changes are limited to (a department head: only
    /// items of these departments' categories, and no changes to the category and location
    /// trees); `null` for the whole theatre.
    #[schema(required = true)]
    pub inventory_departments: Option<Vec<Uuid>>,
}

/// A fresh access token for the current session.
#[derive(Serialize, ToSchema)]
pub struct AccessTokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

fn ip_bucket(ip: &ClientIp) -> String {
    ip.0.map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

/// Starts a session (a new refresh-token family) inside `tx`; returns the raw refresh token.
async fn start_session(
    tx: &impl deadpool_postgres::GenericClient,
    state: &AuthState,
    theater_id: Uuid,
    user_id: Uuid,
    family_id: Uuid,
    headers: &HeaderMap,
    ip: &ClientIp,
) -> ApiResult<String> {
    let token = new_refresh_token()?;
    let expires = chrono::Utc::now() + state.refresh_ttl;
    tx.execute(
        "INSERT INTO refresh_tokens (id, theater_id, user_id, family_id, token_hash, expires_at, user_agent, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &Uuid::now_v7(),
            &theater_id,
            &user_id,
            &family_id,
            &refresh_token_hash(&token),
            &expires,
            &user_agent(headers),
            &ip.0.map(|i| i.to_string()),
        ],
    )
    .await?;
    Ok(token)
}

async fn token_response(
    state: &AuthState,
    client: &impl deadpool_postgres::GenericClient,
    theater_id: Uuid,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> ApiResult<TokenResponse> {
    let (user, permissions, session_version) = load_user(client, theater_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let theater = load_theater(client, theater_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let access_token = state.signer.access_token(&Subject {
        user_id,
        theater_id,
        session_id,
        session_version,
        permissions,
    })?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.signer.access_ttl.as_secs(),
        user,
        theater,
    })
}

/// Register a theatre and its administrator
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 409, description = "email already registered"),
        (status = 422, description = "invalid fields"),
        (status = 429, description = "rate limited"),
    ))]
#[instrument(skip_all)]
pub async fn register(
    State(state): State<AuthState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<RegisterRequest>,
) -> ApiResult<Response> {
    rate_limit::hit(
        &state.ctx.redis,
        &format!("register:ip:{}", ip_bucket(&ip)),
        state.limits.register_per_ip,
    )
    .await?;
    // An invalid address names no account (and gets its 422 below).
    if let Ok(email) = Email::parse(&body.email) {
        rate_limit::hit(
            &state.ctx.redis,
            &format!("register:account:{}", account_key(&email)),
            state.limits.register_per_account,
        )
        .await?;
    }
    let mut errors = FieldErrors::new();
    let theater_name = errors.take("theater_name", text(&body.theater_name, 200));
    let email = errors.take("email", Email::parse(&body.email));
    let password = errors.take("password", Password::parse(&body.password));
    let first_name = errors.take("first_name", text(&body.first_name, 100));
    let last_name = errors.take("last_name", text(&body.last_name, 100));
    let (Some(theater_name), Some(email), Some(password), Some(first_name), Some(last_name)) =
        (theater_name, email, password, first_name, last_name)
    else {
        return Err(errors.into_error());
    };
    let password_hash = password::hash(password).await?;

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let (theater_id, user_id) = insert_theater_with_admin(
        &tx,
        &theater_name,
        &email,
        &password_hash,
        &first_name,
        &last_name,
    )
    .await?;
    let family_id = Uuid::now_v7();
    let refresh_token =
        start_session(&tx, &state, theater_id, user_id, family_id, &headers, &ip).await?;
    let response =
        token_response(&state, &tx, theater_id, user_id, family_id, refresh_token).await?;
    tx.commit().await?;
    tracing::info!(%theater_id, %user_id, "theatre registered");
    Ok((StatusCode::CREATED, JsonResponse(response)).into_response())
}

/// Creates a theatre (the database seeds its roles and departments) with `email` as its first
/// administrator, and audits both. Returns (theater id, user id).
pub async fn insert_theater_with_admin(
    tx: &impl deadpool_postgres::GenericClient,
    theater_name: &str,
    email: &Email,
    password_hash: &str,
    first_name: &str,
    last_name: &str,
) -> ApiResult<(Uuid, Uuid)> {
    let theater_id = Uuid::now_v7();
    let user_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO theaters (id, name) VALUES ($1, $2)",
        &[&theater_id, &theater_name],
    )
    .await?;
    tx.execute(
        "INSERT INTO users (id, theater_id, email, password_hash, first_name, last_name)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &user_id,
            &theater_id,
            &email.as_str(),
            &password_hash,
            &first_name,
            &last_name,
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO user_roles (theater_id, user_id, role_id)
         SELECT $1, $2, id FROM roles WHERE theater_id = $1 AND code = 'admin'",
        &[&theater_id, &user_id],
    )
    .await?;
    let theater = load_theater(tx, theater_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (user, _, _) = load_user(tx, theater_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    for (action, entity_type, entity_id, after) in [
        (
            "theater.register",
            "theater",
            theater_id,
            serde_json::to_value(&theater),
        ),
        ("user.create", "user", user_id, serde_json::to_value(&user)),
    ] {
        audit::record(
            tx,
            AuditEntry {
                theater_id,
                actor_id: Some(user_id),
                action,
                entity_type,
                entity_id: Some(entity_id),
                before: None,
                after: Some(after.unwrap_or_default()),
            },
        )
        .await?;
    }
    Ok((theater_id, user_id))
}

/// Sign in
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "wrong email or password"),
        (status = 422, description = "email or password missing"),
        (status = 429, description = "rate limited"),
        (status = 503, description = "too many logins at once or a dependency is down"),
    ))]
#[instrument(skip_all)]
pub async fn login(
    State(state): State<AuthState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginRequest>,
) -> ApiResult<JsonResponse<TokenResponse>> {
    let redis = &state.ctx.redis;
    let limit = state.limits.login_per_account;
    rate_limit::hit(
        redis,
        &format!("login:ip:{}", ip_bucket(&ip)),
        state.limits.login_per_ip,
    )
    .await?;
    // Only a valid address can name an account; the per-account keys are built from its
    // normalised, hashed form, so their size is fixed whatever the client sends.
    let email = Email::parse(&body.email).ok();
    let account = email.as_ref().map(account_key);
    let failures = account.as_ref().map(|a| format!("login:account:{a}"));
    let locked = match &failures {
        Some(bucket) => rate_limit::check(redis, bucket, limit).await.err(),
        None => None,
    };

    let client = state.ctx.db.get().await?;
    let row =
        match &email {
            Some(email) => client
                .query_opt_cached(
                    "SELECT id, theater_id, password_hash, is_active FROM users WHERE email = $1",
                    &[&email.as_str()],
                )
                .await?,
            None => None,
        };
    if let Some(locked) = locked {
        // Too many wrong passwords for this account, from anywhere. The owner signing in from
        // a known context (an address this account already had a session from) still gets
        // through, with a limit of its own; everyone else waits.
        let known = match &row {
            Some(row) => known_context(&client, row.get("id"), &ip).await?,
            None => false,
        };
        if !known {
            return Err(locked);
        }
        if let Some(a) = &account {
            rate_limit::hit(redis, &format!("login:known:{a}:{}", ip_bucket(&ip)), limit).await?;
        }
    }
    let stored = row.as_ref().map(|r| r.get::<_, String>("password_hash"));
    // The connection goes back to the pool while the password is checked: a login storm
    // waits for the hashing threads, and holding a connection meanwhile left every other
    // request waiting for one (`GET /me` 10× slower during a storm, BENCHMARKS.md).
    drop(client);
    let matches = password::verify(body.password, stored).await?;
    let Some(row) = row.filter(|r| matches && r.get::<_, bool>("is_active")) else {
        // Count failures only: correct passwords never lock an account.
        if let Some(bucket) = &failures
            && let Err(e @ ApiError::ServiceUnavailable(_)) =
                rate_limit::hit(redis, bucket, limit).await
        {
            return Err(e);
        }
        return Err(ApiError::Unauthorized("invalid email or password".into()));
    };
    let user_id: Uuid = row.get("id");
    let theater_id: Uuid = row.get("theater_id");

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        &[&user_id],
    )
    .await?;
    let family_id = Uuid::now_v7();
    let refresh_token =
        start_session(&tx, &state, theater_id, user_id, family_id, &headers, &ip).await?;
    let response =
        token_response(&state, &tx, theater_id, user_id, family_id, refresh_token).await?;
    tx.commit().await?;
    Ok(JsonResponse(response))
}

/// The rate-limit key of an account: a hash of its normalised email (fixed size, and the
/// address itself is not kept in Redis).
fn account_key(email: &Email) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(email.as_str().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether this account already had a session from the caller's address.
async fn known_context(
    client: &impl deadpool_postgres::GenericClient,
    user_id: Uuid,
    ip: &ClientIp,
) -> ApiResult<bool> {
    let Some(ip) = ip.0 else {
        return Ok(false);
    };
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND ip = $2)",
            &[&user_id, &ip.to_string()],
        )
        .await?
        .get(0))
}

/// Exchange a refresh token for new tokens
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "unknown, expired, revoked or reused refresh token"),
        (status = 429, description = "rate limited"),
    ))]
#[instrument(skip_all)]
pub async fn refresh(
    State(state): State<AuthState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<RefreshRequest>,
) -> ApiResult<JsonResponse<TokenResponse>> {
    let redis = &state.ctx.redis;
    rate_limit::hit(
        redis,
        &format!("refresh:ip:{}", ip_bucket(&ip)),
        state.limits.refresh_per_ip,
    )
    .await?;
    let invalid = || ApiError::Unauthorized("the refresh token is invalid or expired".into());

    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    // Row lock: two refreshes with one token serialize, and the second sees it used.
    let Some(row) = tx
        .query_opt(
            "SELECT t.id, t.theater_id, t.user_id, t.family_id, t.expires_at < now() AS expired,
                    t.used_at IS NOT NULL OR t.revoked_at IS NOT NULL AS spent, u.is_active
             FROM refresh_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1
             FOR UPDATE OF t",
            &[&refresh_token_hash(&body.refresh_token)],
        )
        .await?
    else {
        return Err(invalid());
    };
    let user_id: Uuid = row.get("user_id");
    rate_limit::hit(
        redis,
        &format!("refresh:account:{user_id}"),
        state.limits.refresh_per_account,
    )
    .await?;
    let family_id: Uuid = row.get("family_id");
    if row.get::<_, bool>("spent") {
        // Reuse of a rotated token: someone holds a copy. End the whole session, and bump the
        // session version so that the access tokens already issued stop working at once.
        let revoked = tx
            .execute(
                "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
                &[&family_id],
            )
            .await?;
        tx.execute(
            "UPDATE users SET session_version = session_version + 1 WHERE id = $1",
            &[&user_id],
        )
        .await?;
        tx.commit().await?;
        shared::auth::publish_session_state(&state.ctx, user_id).await?;
        tracing::warn!(%user_id, %family_id, revoked, "refresh token reuse detected; session revoked");
        return Err(ApiError::Unauthorized(
            "this refresh token was already used; the session has been ended for safety".into(),
        ));
    }
    if row.get::<_, bool>("expired") || !row.get::<_, bool>("is_active") {
        return Err(invalid());
    }
    let token_id: Uuid = row.get("id");
    let theater_id: Uuid = row.get("theater_id");
    tx.execute(
        "UPDATE refresh_tokens SET used_at = now() WHERE id = $1",
        &[&token_id],
    )
    .await?;
    let refresh_token =
        start_session(&tx, &state, theater_id, user_id, family_id, &headers, &ip).await?;
    let response =
        token_response(&state, &tx, theater_id, user_id, family_id, refresh_token).await?;
    tx.commit().await?;
    Ok(JsonResponse(response))
}

/// Sign out
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = LogoutRequest, security(("bearer" = [])),
    responses((status = 204, description = "session ended"), (status = 401)))]
#[instrument(skip_all)]
pub async fn logout(
    State(state): State<AuthState>,
    user: AuthUser,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The body is optional: an access token alone ends its own session.
    let body: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        shared::extract::parse_json(&body)?
    };
    let client = state.ctx.db.get().await?;
    // End the session the access token belongs to, and the one the refresh token names (the
    // same one in practice), but only sessions of this user.
    let family_of_token = match body.refresh_token {
        Some(token) => client
            .query_opt(
                "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2",
                &[&refresh_token_hash(&token), &user.user_id],
            )
            .await?
            .map(|r| r.get::<_, Uuid>(0)),
        None => None,
    };
    client
        .execute(
            "UPDATE refresh_tokens SET revoked_at = now()
             WHERE user_id = $1 AND family_id = ANY($2) AND revoked_at IS NULL",
            &[
                &user.user_id,
                &[Some(user.session_id), family_of_token]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
            ],
        )
        .await?;
    // The revoked session is in the database; its Redis view is rewritten from there, so the
    // access token stays refused after a Redis restart too.
    shared::auth::publish_session_state(&state.ctx, user.user_id).await?;
    shared::auth::revoke_access_token(&state.ctx.redis, &user.claims).await?;
    Ok(shared::http::no_content())
}

/// The signed-in user
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401)))]
#[instrument(skip_all)]
pub async fn me(
    State(state): State<AuthState>,
    user: AuthUser,
) -> ApiResult<JsonResponse<MeResponse>> {
    let client = state.ctx.db.get().await?;
    let (view, permissions, _) = load_user(&client, user.theater_id, user.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let inventory_departments =
        shared::department_scope::inventory_departments(&client, &user).await?;
    Ok(JsonResponse(MeResponse {
        user: view,
        permissions: permissions.to_strings(),
        inventory_departments,
    }))
}

/// Change your own password
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePasswordRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = AccessTokenResponse, description = "password changed; other sessions ended"),
        (status = 401), (status = 422),
        (status = 429, description = "too many wrong current passwords"),
    ))]
#[instrument(skip_all)]
pub async fn change_password(
    State(state): State<AuthState>,
    user: AuthUser,
    Json(body): Json<ChangePasswordRequest>,
) -> ApiResult<JsonResponse<AccessTokenResponse>> {
    let new_password =
        Password::parse(&body.new_password).map_err(|m| ApiError::invalid("new_password", m))?;
    // A stolen access token must not become unlimited guesses at the current password.
    let failures = format!("password:account:{}", user.user_id);
    rate_limit::check(
        &state.ctx.redis,
        &failures,
        state.limits.password_per_account,
    )
    .await?;
    let stored: String = state
        .ctx
        .db
        .get()
        .await?
        .query_opt(
            "SELECT password_hash FROM users WHERE theater_id = $1 AND id = $2",
            &[&user.theater_id, &user.user_id],
        )
        .await?
        .ok_or(ApiError::NotFound)?
        .get(0);
    // No pooled connection is held while hashing (see `login`).
    if !password::verify(body.current_password, Some(stored)).await? {
        rate_limit::hit(
            &state.ctx.redis,
            &failures,
            state.limits.password_per_account,
        )
        .await
        .ok();
        return Err(ApiError::invalid("current_password", "is not correct"));
    }
    let hash = password::hash(new_password).await?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let session_version: i32 = tx
        .query_one(
            "UPDATE users SET password_hash = $3, session_version = session_version + 1,
                              updated_at = now(), version = version + 1
             WHERE theater_id = $1 AND id = $2 RETURNING session_version",
            &[&user.theater_id, &user.user_id, &hash],
        )
        .await?
        .get(0);
    tx.execute(
        "UPDATE refresh_tokens SET revoked_at = now()
         WHERE user_id = $1 AND family_id <> $2 AND revoked_at IS NULL",
        &[&user.user_id, &user.session_id],
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "user.change_password", "user", user.user_id)
            .after(serde_json::json!({ "password": "changed" })),
    )
    .await?;
    let permissions = effective_permissions(&tx, user.user_id).await?;
    tx.commit().await?;
    shared::auth::publish_session_state(&state.ctx, user.user_id).await?;
    let access_token = state.signer.access_token(&Subject {
        user_id: user.user_id,
        theater_id: user.theater_id,
        session_id: user.session_id,
        session_version,
        permissions,
    })?;
    Ok(JsonResponse(AccessTokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.signer.access_ttl.as_secs(),
    }))
}
