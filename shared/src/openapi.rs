//! OpenAPI pieces every function shares, and the one place that finishes a document so that a
//! client can generate exact code from it.
//!
//! [`finish`] adds what the handlers' annotations leave implicit: the `Problem` (RFC 9457) schema,
//! the error responses every operation can answer (400 for a malformed request, 401 on secured
//! operations, 403 where a permission is named, 404 where the path names a resource, 412 with
//! `If-Match`, 413/415/422 where a body is read, 503 everywhere) with `application/problem+json`
//! content, and a description on every response. Each function's `openapi()` and the gateway's
//! merged document call it, so a new function is covered by being merged.
//!
//! [`guard_queries`] rejects query parameters an operation does not declare (400 naming the
//! parameter), generically from the same document.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

use crate::error::ApiError;

/// The name of the problem+json schema in `components.schemas`.
pub const PROBLEM_SCHEMA: &str = "Problem";

/// The media type of every error body.
pub const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

/// Declares the `bearer` security scheme (EdDSA-signed JWT access tokens). The scopes of an
/// operation's `bearer` requirement name the permission it needs (OpenAPI 3.1 role names).
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// One operation of a document, as the matrices and the guard see it.
#[derive(Clone, Debug)]
pub struct OperationInfo {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/api/v1/inventory/items/{id}`.
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    /// `None` when the operation needs no token; else the permissions it names (maybe none).
    pub permissions: Option<Vec<String>>,
    /// The declared query parameters.
    pub query: BTreeSet<String>,
    pub has_body: bool,
}

fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    let mut ops = Vec::new();
    for (method, op) in [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
        ("head", item.head.as_mut()),
        ("options", item.options.as_mut()),
        ("trace", item.trace.as_mut()),
    ] {
        if let Some(op) = op {
            ops.push((method, op));
        }
    }
    ops
}

/// The bearer scopes of an operation: `None` when it is not secured.
fn bearer_scopes(op: &Operation) -> Option<Vec<String>> {
    let security = serde_json::to_value(op.security.as_ref()?).ok()?;
    let mut found = None;
    for requirement in security.as_array()? {
        if let Some(scopes) = requirement.get("bearer").and_then(|s| s.as_array()) {
            let list: &mut Vec<String> = found.get_or_insert_with(Vec::new);
            list.extend(scopes.iter().filter_map(|s| s.as_str().map(str::to_owned)));
        }
    }
    found
}

fn query_params(op: &Operation) -> BTreeSet<String> {
    op.parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

fn has_header(op: &Operation, name: &str) -> bool {
    op.parameters.iter().flatten().any(|p| {
        matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Header
            && p.name.eq_ignore_ascii_case(name))
    })
}

/// Every operation of a document.
pub fn operations(doc: &OpenApi) -> Vec<OperationInfo> {
    let mut doc = doc.clone();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations_mut(item) {
            out.push(OperationInfo {
                method,
                path: path.clone(),
                operation_id: op.operation_id.clone(),
                summary: op.summary.clone(),
                permissions: bearer_scopes(op),
                query: query_params(op),
                has_body: op.request_body.is_some(),
            });
        }
    }
    out
}

/// Operations without a summary, as `METHOD path` (a test fails on any).
pub fn operations_without_summary(doc: &OpenApi) -> Vec<String> {
    operations(doc)
        .into_iter()
        .filter(|op| op.summary.as_deref().is_none_or(|s| s.trim().is_empty()))
        .map(|op| format!("{} {}", op.method.to_uppercase(), op.path))
        .collect()
}

fn problem_schema() -> ObjectBuilder {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .description(Some(
            "An RFC 9457 problem. `type` is an absolute URI \
             (`tag:theatre-management-system,2026:problems/<kind>`); members beyond the standard \
             ones depend on the kind (`errors` for validation, `required_permission` for 403).",
        ))
        .property(
            "type",
            string()
                .format(Some(SchemaFormat::Custom("uri".into())))
                .description(Some("Identifies the kind of problem.")),
        )
        .required("type")
        .property(
            "title",
            string().description(Some("The HTTP reason phrase.")),
        )
        .required("title")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("The HTTP status code.")),
        )
        .required("status")
        .property(
            "detail",
            string().description(Some("What went wrong, for a person.")),
        )
        .property(
            "request_id",
            string().description(Some("Quote it when reporting a problem.")),
        )
        .property(
            "errors",
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .property("field", string())
                        .required("field")
                        .property("message", string())
                        .required("message"),
                )
                .description(Some("Validation errors, one per field (422).")),
        )
        .property(
            "required_permission",
            string().description(Some("The permission the caller lacks (403).")),
        )
}

/// The description of a response the annotations left without one.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "The request succeeded.",
        "201" => "Created.",
        "202" => "Accepted: the work continues in the background.",
        "204" => "Done; no content.",
        "302" | "303" | "307" => "A redirect to the resource's temporary URL.",
        "304" => "Not modified.",
        "400" => {
            "The request is malformed: an unknown or invalid query parameter, a malformed header \
             or JSON body."
        }
        "401" => "No valid access token (or wrong credentials).",
        "403" => "The caller lacks the permission this operation needs.",
        "404" => "No such resource in the caller's theatre.",
        "405" => "The method is not allowed on this path.",
        "409" => "The request conflicts with the resource's current state.",
        "412" => "`If-Match` does not match the resource's current version.",
        "413" => "The request body is too large.",
        "415" => "The request body's media type is not accepted.",
        "422" => "The request has invalid fields; `errors` names each.",
        "429" => "Too many attempts; see `Retry-After`.",
        "503" => "A dependency is unavailable or the request timed out; retry later.",
        _ => "See the problem's detail.",
    }
}

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name(PROBLEM_SCHEMA)))
}

fn add_error(op: &mut Operation, status: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(utoipa::openapi::Response::new(default_description(status))));
}

/// Completes a document: see the module documentation. Idempotent.
pub fn finish(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .entry(PROBLEM_SCHEMA.to_string())
        .or_insert_with(|| RefOr::T(problem_schema().into()));
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_resource = path.contains('{');
        for (_, op) in operations_mut(item) {
            let scopes = bearer_scopes(op);
            add_error(op, "400");
            if scopes.is_some() {
                add_error(op, "401");
            }
            if scopes.as_ref().is_some_and(|s| !s.is_empty()) {
                add_error(op, "403");
            }
            if names_resource {
                add_error(op, "404");
            }
            if has_header(op, "If-Match") {
                add_error(op, "412");
            }
            if op.request_body.is_some() {
                add_error(op, "413");
                add_error(op, "415");
                add_error(op, "422");
            }
            // A query value with a control character (NUL, …) is refused at the boundary as a
            // 422 naming the parameter (shared::extract::Query).
            if has_query_parameters(op) {
                add_error(op, "422");
            }
            add_error(op, "503");
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if response.description.trim().is_empty() {
                    response.description = default_description(status).to_string();
                }
                let is_error = status.starts_with('4') || status.starts_with('5');
                if is_error && response.content.is_empty() {
                    response
                        .content
                        .insert(PROBLEM_MEDIA_TYPE.to_string(), problem_content().into());
                }
            }
        }
    }
}

fn has_query_parameters(op: &Operation) -> bool {
    op.parameters.as_ref().is_some_and(|params| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)))
    })
}

/// A finished copy of `doc`.
pub fn finished(mut doc: OpenApi) -> OpenApi {
    finish(&mut doc);
    doc
}

/// The declared query parameters of every operation, keyed by method and path template.
#[derive(Clone, Debug, Default)]
pub struct QueryGuard(Arc<HashMap<(Method, String), BTreeSet<String>>>);

impl QueryGuard {
    pub fn new(doc: &OpenApi) -> Self {
        let mut map = HashMap::new();
        for op in operations(doc) {
            let method =
                Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
            map.insert((method, op.path), op.query);
        }
        Self(Arc::new(map))
    }

    /// The first parameter of `query` that the operation does not declare, if any. `None` when
    /// the route is not in the document (health, the document itself).
    pub fn unknown(&self, method: &Method, path: &str, query: &str) -> Option<String> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let declared = self.0.get(&(method.clone(), path.to_string()))?;
        form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .find(|name| !declared.contains(name))
    }
}

/// The middleware behind [`guard_queries`].
pub async fn check_query(State(guard): State<QueryGuard>, req: Request, next: Next) -> Response {
    if let (Some(query), Some(path)) = (req.uri().query(), req.extensions().get::<MatchedPath>())
        && let Some(name) = guard.unknown(req.method(), path.as_str(), query)
    {
        return ApiError::BadRequest(format!("unknown query parameter `{name}`")).into_response();
    }
    next.run(req).await
}

/// Rejects query parameters the operation does not declare in `doc` with a 400 naming the
/// parameter. Apply to a Router whose routes are all added (it sees the matched route).
pub fn guard_queries<S>(router: Router<S>, doc: &OpenApi) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(middleware::from_fn_with_state(
        QueryGuard::new(doc),
        check_query,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, PathItemBuilder};
    use utoipa::openapi::{HttpMethod, PathsBuilder};

    fn doc() -> OpenApi {
        let op = OperationBuilder::new()
            .summary(Some("Get a thing"))
            .parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query),
            )
            .response("200", utoipa::openapi::Response::new(""))
            .security(utoipa::openapi::security::SecurityRequirement::new(
                "bearer",
                ["things:view"],
            ))
            .build();
        let mut doc = OpenApi::new(
            utoipa::openapi::Info::new("t", "1"),
            PathsBuilder::new().path(
                "/things/{id}",
                PathItemBuilder::new()
                    .operation(HttpMethod::Get, op)
                    .build(),
            ),
        );
        finish(&mut doc);
        doc
    }

    #[test]
    fn finishing_documents_every_error_with_a_problem_and_describes_every_response() {
        let doc = doc();
        let json = serde_json::to_value(&doc).unwrap();
        let responses = &json["paths"]["/things/{id}"]["get"]["responses"];
        for status in ["200", "400", "401", "403", "404", "503"] {
            let description = responses[status]["description"].as_str().unwrap();
            assert!(!description.is_empty(), "{status}");
        }
        assert_eq!(
            responses["404"]["content"][PROBLEM_MEDIA_TYPE]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert!(responses.get("415").is_none(), "no body, no 415");
        // Its query parameter can be refused with a 422 (a control character in the value).
        assert!(
            responses.get("422").is_some(),
            "a query parameter brings its 422"
        );
        assert!(json["components"]["schemas"]["Problem"]["properties"]["type"].is_object());
        assert!(operations_without_summary(&doc).is_empty());
    }

    #[test]
    fn the_guard_names_the_first_undeclared_parameter() {
        let guard = QueryGuard::new(&doc());
        assert_eq!(guard.unknown(&Method::GET, "/things/{id}", "limit=5"), None);
        assert_eq!(
            guard.unknown(&Method::GET, "/things/{id}", "limit=5&colour=red"),
            Some("colour".into())
        );
        assert_eq!(guard.unknown(&Method::GET, "/health", "x=1"), None);
    }
}
