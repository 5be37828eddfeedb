//! The auth function: registration, sessions, users, roles, departments, theatre settings and
//! the audit log.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use shared::AppContext;
use shared::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod audit_log;
pub mod config;
pub mod demo;
pub mod departments;
pub mod domain;
pub mod password;
pub mod repo;
pub mod roles;
pub mod sessions;
pub mod theater;
pub mod tokens;
pub mod users;

pub use config::{AuthConfig, RateLimits};

/// The auth function's state: shared clients plus the signing key.
#[derive(Clone)]
pub struct AuthState {
    pub ctx: AppContext,
    pub signer: Arc<tokens::TokenSigner>,
    pub refresh_ttl: std::time::Duration,
    pub limits: RateLimits,
}

impl FromRef<AuthState> for AppContext {
    fn from_ref(state: &AuthState) -> AppContext {
        state.ctx.clone()
    }
}

impl AuthState {
    /// Builds the state from config; opens no connection.
    pub fn new(config: AuthConfig) -> anyhow::Result<Self> {
        let signer = tokens::TokenSigner::new(&config.private_key_pem, &config.common.jwt)?;
        Ok(Self {
            ctx: AppContext::new(config.common)?,
            signer: Arc::new(signer),
            refresh_ttl: config.refresh_ttl,
            limits: config.limits,
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — auth", version = "1"),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Registration and sessions"),
        (name = "users", description = "People of the theatre"),
        (name = "roles", description = "Roles and their permission strings"),
        (name = "departments", description = "Departments (цеха)"),
        (name = "theater", description = "Theatre settings"),
        (name = "audit", description = "Audit log"),
    )
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached.
pub fn api() -> OpenApiRouter<AuthState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(sessions::register))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::refresh))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::me))
        .routes(routes!(sessions::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::deactivate_user
        ))
        .routes(routes!(users::set_roles))
        .routes(routes!(users::set_departments))
        .routes(routes!(users::reset_password))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(
            roles::get_role,
            roles::update_role,
            roles::delete_role
        ))
        .routes(routes!(
            departments::list_departments,
            departments::create_department
        ))
        .routes(routes!(
            departments::get_department,
            departments::update_department,
            departments::delete_department
        ))
        .routes(routes!(theater::get_theater, theater::update_theater))
        .routes(routes!(audit_log::list_audit))
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: AuthState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    router.with_state(state)
}
