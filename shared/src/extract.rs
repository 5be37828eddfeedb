//! Extractors whose rejections are our problem+json errors: JSON bodies (field-level 422s),
//! query strings (400), `If-Match`, and the client's IP for rate limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON body. Malformed JSON is a 400; well-formed JSON of the wrong shape is a 422 naming the
/// field; a body that is not `application/json` is a 415.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge("the request body is too large".into())
                } else {
                    ApiError::BadRequest("the request body could not be read".into())
                }
            })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON bytes with the same error mapping as [`Json`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|_| {
                ApiError::BadRequest("trailing characters after the JSON body".into())
            })?;
            reject_json_controls(bytes)?;
            Ok(v)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                Err(ApiError::BadRequest(format!("malformed JSON: {inner}")))
            } else {
                let message = strip_position(&inner.to_string());
                let field = if path == "." {
                    missing_field(&message).unwrap_or_else(|| "body".into())
                } else if let Some(missing) = missing_field(&message) {
                    format!("{path}.{missing}")
                } else {
                    path
                };
                Err(ApiError::Validation(vec![FieldError { field, message }]))
            }
        }
    }
}

/// Refuses a body whose strings (or keys) hold a control character other than tab and line
/// breaks, naming the field. Raw control characters are already malformed JSON, so only a body
/// with a `\u00..` escape or a raw DEL needs the second, full look.
fn reject_json_controls(bytes: &[u8]) -> Result<(), ApiError> {
    let suspicious = bytes.contains(&0x7f)
        || bytes
            .windows(4)
            .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2] == b'0' && w[3] == b'0')
        || bytes
            .windows(2)
            .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    if !suspicious {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match control_path(&value, String::new()) {
        Some(field) => Err(ApiError::Validation(vec![FieldError {
            field: if field.is_empty() {
                "body".into()
            } else {
                field
            },
            message: "must not contain control characters".into(),
        }])),
        None => Ok(()),
    }
}

fn control_path(value: &serde_json::Value, path: String) -> Option<String> {
    use crate::text::is_forbidden_control;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.chars().any(is_forbidden_control).then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_path(v, join(&i.to_string()))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.chars().any(is_forbidden_control) {
                Some(join("body"))
            } else {
                control_path(v, join(k))
            }
        }),
        _ => None,
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A query string; a malformed one is a 400 that says what was wrong.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes()).find(|(k, v)| {
            k.chars().any(crate::text::is_forbidden_control)
                || v.chars().any(crate::text::is_forbidden_control)
        }) {
            return Err(ApiError::Validation(vec![FieldError {
                field: name.chars().filter(|c| !c.is_control()).collect(),
                message: "must not contain control characters".into(),
            }]));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::BadRequest(format!(
                    "invalid query parameter {path}: {}",
                    e.into_inner()
                ))
            })
    }
}

/// Path parameters; one that does not parse (a malformed id) is a 404 like any unknown id, never
/// the framework's parser text.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::NotFound),
            Err(other) => Err(ApiError::Unexpected(anyhow::anyhow!(
                "path parameters unavailable: {other}"
            ))),
        }
    }
}

/// The row version a client sent in `If-Match`, if any. A malformed value is a 400.
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(crate::db::parse_version_tag)
                .map(|v| IfMatch(Some(v)))
                .ok_or_else(|| {
                    ApiError::BadRequest("If-Match must be an ETag such as \"3\"".into())
                }),
        }
    }
}

/// The caller's IP: the socket peer locally, API Gateway's `sourceIp` on Lambda, or the
/// `X-Forwarded-For` entry our proxy added when `TRUST_FORWARDED_FOR` is set (behind a trusted
/// proxy only; see [`forwarded_client`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ip) = lambda_source_ip(parts) {
            return Ok(ClientIp(Some(ip)));
        }
        if let Some(hops) = trusted_proxy_hops()
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| forwarded_client(v, hops))
        {
            return Ok(ClientIp(Some(ip)));
        }
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// `Some(hops)` when `TRUST_FORWARDED_FOR` is set: how many proxies of ours append to
/// `X-Forwarded-For` (`FORWARDED_FOR_HOPS`, default 1).
fn trusted_proxy_hops() -> Option<usize> {
    static HOPS: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *HOPS.get_or_init(|| {
        crate::config::flag("TRUST_FORWARDED_FOR", false)
            .unwrap_or(false)
            .then(|| crate::config::parsed_or("FORWARDED_FOR_HOPS", 1usize).unwrap_or(1))
            .map(|h| h.max(1))
    })
}

/// The client address in an `X-Forwarded-For` value behind `hops` trusted proxies: the entry
/// the outermost of them appended, counted from the right. Entries to its left were sent by
/// the client and prove nothing. `None` when the header has fewer entries than trusted hops
/// or that entry is not an address (then the socket's peer is used).
pub fn forwarded_client(header: &str, hops: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = header.split(',').map(str::trim).collect();
    let index = entries.len().checked_sub(hops.max(1))?;
    entries[index].parse().ok()
}

fn lambda_source_ip(parts: &Parts) -> Option<IpAddr> {
    use lambda_http::request::RequestContext;
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref()?.parse().ok(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref()?.parse().ok(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(test)]
mod forwarded_tests {
    use super::*;

    #[test]
    fn the_client_is_the_entry_our_proxy_added_not_the_leftmost() {
        // The client sent "1.1.1.1"; our proxy appended the address it saw.
        assert_eq!(
            forwarded_client("1.1.1.1, 203.0.113.7", 1),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            forwarded_client("1.1.1.1,203.0.113.7, 10.0.0.2", 2),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            forwarded_client("2001:db8::1", 1),
            Some("2001:db8::1".parse().unwrap())
        );
        // Fewer entries than trusted hops, or garbage where our proxy's entry should be.
        assert_eq!(forwarded_client("203.0.113.7", 2), None);
        assert_eq!(forwarded_client("1.1.1.1, not-an-ip", 1), None);
    }
}
