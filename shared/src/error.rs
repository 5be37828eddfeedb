//! The one error type of the API, rendered as RFC 9457 `application/problem+json`.
//!
//! Typed 4xx variants carry what the client may see; `Unexpected` becomes an opaque 500 whose
//! body names only the request id, while the whole cause chain goes to the log (see
//! [`crate::http::log_errors`]).

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: missing permission {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        /// Extra members merged into the problem body (e.g. `conflicts`, `current_status`).
        extra: Option<serde_json::Map<String, Value>>,
    },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a 503 tells the client to wait before retrying (seconds).
pub const SERVICE_UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// The error carried to the logging middleware inside a 5xx response.
#[derive(Clone)]
pub struct ErrorReport(pub Arc<anyhow::Error>);

impl ApiError {
    /// A 409 with a plain message.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            extra: None,
        }
    }

    /// A 409 with extra problem members.
    pub fn conflict_with(detail: impl Into<String>, extra: Value) -> Self {
        Self::Conflict {
            detail: detail.into(),
            extra: match extra {
                Value::Object(map) => Some(map),
                _ => None,
            },
        }
    }

    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The prefix of every problem `type`: an absolute URI (RFC 4151 `tag:`) that names the kind
/// and resolves to nothing, as RFC 9457 allows; the kinds are listed in the README.
pub const PROBLEM_TYPE_BASE: &str = "tag:theatre-management-system,2026:problems/";

/// The `type` URI of a problem kind, e.g. `tag:theatre-management-system,2026:problems/not-found`.
pub fn problem_type(kind: &str) -> String {
    format!("{PROBLEM_TYPE_BASE}{kind}")
}

/// Builds a problem+json response. `kind` becomes the `type` URI's last segment.
pub fn problem_response(
    status: StatusCode,
    kind: &str,
    detail: Option<String>,
    extra: Option<serde_json::Map<String, Value>>,
) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), Value::String(problem_type(kind)));
    body.insert(
        "title".into(),
        Value::String(status.canonical_reason().unwrap_or("Error").to_string()),
    );
    body.insert("status".into(), Value::from(status.as_u16()));
    if let Some(detail) = detail {
        body.insert("detail".into(), Value::String(detail));
    }
    if let Some(request_id) = crate::http::current_request_id() {
        body.insert("request_id".into(), Value::String(request_id));
    }
    if let Some(extra) = extra {
        for (k, v) in extra {
            body.entry(k).or_insert(v);
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// The 401 detail of a request that carried no access token at all.
pub const NO_CREDENTIALS: &str = "a bearer access token is required";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match self {
            Self::BadRequest(detail) => problem_response(status, "bad-request", Some(detail), None),
            Self::Unauthorized(detail) => {
                // RFC 6750 §3.1: a request that sent no credentials gets no error code.
                let challenge = if detail == NO_CREDENTIALS {
                    r#"Bearer realm="theatre""#
                } else {
                    r#"Bearer realm="theatre", error="invalid_token""#
                };
                let mut r = problem_response(status, "unauthorized", Some(detail), None);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
                r
            }
            Self::Forbidden(permission) => {
                let mut extra = serde_json::Map::new();
                extra.insert(
                    "required_permission".into(),
                    Value::String(permission.clone()),
                );
                problem_response(
                    status,
                    "forbidden",
                    Some(format!("this action needs the permission {permission}")),
                    Some(extra),
                )
            }
            Self::NotFound => problem_response(
                status,
                "not-found",
                Some("the resource does not exist".into()),
                None,
            ),
            Self::Conflict { detail, extra } => {
                problem_response(status, "conflict", Some(detail), extra)
            }
            Self::PreconditionFailed => problem_response(
                status,
                "precondition-failed",
                Some("the resource was changed by someone else; reload it and try again".into()),
                None,
            ),
            Self::PayloadTooLarge(detail) => {
                problem_response(status, "payload-too-large", Some(detail), None)
            }
            Self::UnsupportedMediaType(detail) => {
                problem_response(status, "unsupported-media-type", Some(detail), None)
            }
            Self::Validation(errors) => {
                let mut extra = serde_json::Map::new();
                extra.insert(
                    "errors".into(),
                    serde_json::to_value(&errors).unwrap_or(Value::Null),
                );
                problem_response(
                    status,
                    "validation",
                    Some("the request has invalid fields".into()),
                    Some(extra),
                )
            }
            Self::TooManyRequests { retry_after_secs } => {
                let mut r = problem_response(
                    status,
                    "rate-limited",
                    Some(format!(
                        "too many attempts; try again in {retry_after_secs} s"
                    )),
                    None,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                r
            }
            Self::ServiceUnavailable(what) => {
                let mut r = problem_response(
                    status,
                    "unavailable",
                    Some(format!("{what} is unavailable; try again shortly")),
                    None,
                );
                r.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(SERVICE_UNAVAILABLE_RETRY_AFTER_SECS),
                );
                r
            }
            Self::Unexpected(error) => {
                let mut r = problem_response(
                    status,
                    "internal",
                    Some(
                        "an unexpected error occurred; quote the request id when reporting it"
                            .into(),
                    ),
                    None,
                );
                r.extensions_mut().insert(ErrorReport(Arc::new(error)));
                r
            }
        };
        if status.is_server_error() {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

/// What a database constraint violation means to the client. The one place that maps
/// constraint names to 409/422.
struct ConstraintMeaning {
    name: &'static str,
    status: StatusCode,
    field: &'static str,
    message: &'static str,
}

const CONSTRAINTS: &[ConstraintMeaning] = &[
    ConstraintMeaning {
        name: "users_email_key",
        status: StatusCode::CONFLICT,
        field: "email",
        message: "a user with this email already exists",
    },
    ConstraintMeaning {
        name: "roles_code_key",
        status: StatusCode::CONFLICT,
        field: "code",
        message: "a role with this code already exists in this theatre",
    },
    ConstraintMeaning {
        name: "roles_permissions_known",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "permissions",
        message: "unknown permission",
    },
    ConstraintMeaning {
        name: "departments_code_key",
        status: StatusCode::CONFLICT,
        field: "code",
        message: "a department with this code already exists in this theatre",
    },
    ConstraintMeaning {
        name: "departments_head_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "head_id",
        message: "no such user in this theatre",
    },
    ConstraintMeaning {
        name: "user_departments_department_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "department_ids",
        message: "no such department in this theatre",
    },
    ConstraintMeaning {
        name: "user_roles_role_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "role_ids",
        message: "no such role in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_categories_code_key",
        status: StatusCode::CONFLICT,
        field: "code",
        message: "a category with this code already exists in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_locations_code_key",
        status: StatusCode::CONFLICT,
        field: "code",
        message: "a location with this code already exists in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_categories_no_cycle",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "parent_id",
        message: "the new parent is inside this category: that would make a cycle",
    },
    ConstraintMeaning {
        name: "inventory_locations_no_cycle",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "parent_id",
        message: "the new parent is inside this location: that would make a cycle",
    },
    ConstraintMeaning {
        name: "inventory_categories_not_own_parent",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "parent_id",
        message: "a category cannot be its own parent",
    },
    ConstraintMeaning {
        name: "inventory_locations_not_own_parent",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "parent_id",
        message: "a location cannot be its own parent",
    },
    ConstraintMeaning {
        name: "inventory_categories_department_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "department_id",
        message: "no such department in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_items_number_key",
        status: StatusCode::CONFLICT,
        field: "inventory_number",
        message: "an item with this inventory number exists or existed in this theatre; numbers are never reused",
    },
    ConstraintMeaning {
        name: "inventory_items_holder_user_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "holder_user_id",
        message: "no such user in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_movements_holder_user_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "holder_user_id",
        message: "no such user in this theatre",
    },
    ConstraintMeaning {
        name: "inventory_items_warranty_after_purchase",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "warranty_until",
        message: "must not be before purchase_date",
    },
    ConstraintMeaning {
        name: "inventory_items_in_use_has_holder",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "holder_user_id",
        message: "an issued item needs a holder: a user, performance or event",
    },
    ConstraintMeaning {
        name: "document_categories_code_key",
        status: StatusCode::CONFLICT,
        field: "code",
        message: "a document category with this code already exists in this theatre",
    },
    ConstraintMeaning {
        name: "document_tags_name_key",
        status: StatusCode::CONFLICT,
        field: "name",
        message: "this tag already exists",
    },
    ConstraintMeaning {
        name: "documents_category_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "category_id",
        message: "no such category in this theatre",
    },
    ConstraintMeaning {
        name: "documents_department_fkey",
        status: StatusCode::UNPROCESSABLE_ENTITY,
        field: "department_id",
        message: "no such department in this theatre",
    },
    ConstraintMeaning {
        name: "document_templates_name_key",
        status: StatusCode::CONFLICT,
        field: "name",
        message: "a template with this name already exists in this theatre",
    },
    ConstraintMeaning {
        name: "document_templates_document_key",
        status: StatusCode::CONFLICT,
        field: "document_id",
        message: "this document already backs another template",
    },
];

/// Registers nothing at run time: other modules' constraints are added to [`CONSTRAINTS`].
fn constraint_error(db: &tokio_postgres::error::DbError) -> Option<ApiError> {
    let name = db.constraint()?;
    let meaning = CONSTRAINTS.iter().find(|c| c.name == name)?;
    Some(if meaning.status == StatusCode::CONFLICT {
        ApiError::Conflict {
            detail: meaning.message.into(),
            extra: Some(
                [("field".to_string(), Value::String(meaning.field.into()))]
                    .into_iter()
                    .collect(),
            ),
        }
    } else {
        ApiError::invalid(meaning.field, meaning.message)
    })
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        if let Some(db) = e.as_db_error() {
            if let Some(mapped) = constraint_error(db) {
                return mapped;
            }
            let code = db.code();
            if *code == SqlState::UNIQUE_VIOLATION || *code == SqlState::EXCLUSION_VIOLATION {
                return ApiError::conflict("the change conflicts with existing data");
            }
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::LOCK_NOT_AVAILABLE
            {
                return ApiError::conflict(
                    "the resource is being changed by another request; try again",
                );
            }
            if *code == SqlState::FOREIGN_KEY_VIOLATION {
                return ApiError::invalid(
                    "reference",
                    "refers to something that does not exist in this theatre",
                );
            }
            if *code == SqlState::CHECK_VIOLATION || *code == SqlState::NOT_NULL_VIOLATION {
                return ApiError::invalid(db.column().unwrap_or("body"), "invalid value");
            }
            if database_unavailable(code) {
                tracing::error!(code = code.code(), error = %e, "database unavailable");
                return ApiError::ServiceUnavailable("the database");
            }
            return ApiError::Unexpected(anyhow::Error::new(e).context("database error"));
        }
        if e.is_closed() || e.code().is_none() {
            tracing::error!(error = %e, "database connection failed");
            return ApiError::ServiceUnavailable("the database");
        }
        ApiError::Unexpected(anyhow::Error::new(e).context("database error"))
    }
}

/// Whether a SQLSTATE means "the database cannot serve now" rather than "this request is
/// wrong": class 08 (connection exception), 57P01–57P05 (admin/crash shutdown, cannot connect
/// now, idle session timeout), 53300 (too many connections). Those are a 503 with
/// `Retry-After`, never a 500.
pub fn database_unavailable(code: &tokio_postgres::error::SqlState) -> bool {
    let code = code.code();
    code.starts_with("08") || code.starts_with("57P") || code == "53300"
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(inner) => inner.into(),
            other => {
                tracing::error!(error = %other, "database pool unavailable");
                ApiError::ServiceUnavailable("the database")
            }
        }
    }
}

impl From<::redis::RedisError> for ApiError {
    fn from(e: ::redis::RedisError) -> Self {
        crate::meters::redis_error("api");
        tracing::error!(error = %e, "redis failed");
        ApiError::ServiceUnavailable("the cache")
    }
}

/// Collects field errors and turns them into one 422.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Keeps the value of a parse, or records its error under `field`.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The 422 for what was recorded (call when a parse came back empty).
    pub fn into_error(self) -> ApiError {
        ApiError::Validation(self.0)
    }

    /// `Ok` when nothing was recorded, else a 422 listing every problem.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

#[cfg(test)]
mod unavailable_tests {
    use super::*;
    use tokio_postgres::error::SqlState;

    #[test]
    fn every_database_unavailable_class_is_a_503_with_retry_after() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::CONNECTION_EXCEPTION,
            SqlState::CONNECTION_FAILURE,
            SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
            SqlState::TOO_MANY_CONNECTIONS,
        ] {
            assert!(database_unavailable(&code), "{}", code.code());
        }
        for code in [
            SqlState::UNIQUE_VIOLATION,
            SqlState::SYNTAX_ERROR,
            SqlState::QUERY_CANCELED,
        ] {
            assert!(!database_unavailable(&code), "{}", code.code());
        }
    }

    #[test]
    fn a_503_carries_retry_after_and_no_store() {
        let r = ApiError::ServiceUnavailable("the database").into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn pool_timeouts_are_a_503() {
        let e = deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait);
        assert_eq!(ApiError::from(e).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[cfg(test)]
mod shutdown_tests {
    use super::*;

    /// A query interrupted by a server-side termination (what a PostgreSQL shutdown sends every
    /// backend: SQLSTATE 57P01) answers 503, not 500. Against the real server; only this test's
    /// own backend is terminated.
    #[tokio::test]
    async fn a_query_cut_by_a_database_shutdown_is_a_503() {
        let url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let (victim, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("test PostgreSQL");
        tokio::spawn(conn);
        let (admin, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("test PostgreSQL");
        tokio::spawn(conn);
        let pid: i32 = victim
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        let sleeping =
            tokio::spawn(async move { victim.simple_query("SELECT pg_sleep(30)").await });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .unwrap();
        let err = sleeping.await.unwrap().expect_err("the query was cut");
        let api: ApiError = err.into();
        assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE, "{api:?}");
    }
}
