//! An S3-compatible store served in-process from a folder (s3s + s3s-fs): the real S3 protocol
//! with SigV4 checks, presigned URLs, multipart and ranges, for machines without an S3.

use std::net::SocketAddr;
use std::path::Path;

use crate::storage::StorageConfig;
use anyhow::Context;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Access key of the embedded store (it only listens on loopback).
pub const ACCESS_KEY: &str = "theatre-local";
/// Secret key of the embedded store.
pub const SECRET_KEY: &str = "theatre-local-secret";

/// A running embedded store; stops when dropped.
pub struct EmbeddedS3 {
    pub endpoint: String,
    task: JoinHandle<()>,
}

impl EmbeddedS3 {
    /// Serves `root` on `addr` (port 0 picks a free one).
    pub async fn start(root: &Path, addr: SocketAddr) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let fs = s3s_fs::FileSystem::new(root).map_err(|e| {
            anyhow::anyhow!("opening the embedded S3 folder {}: {e:?}", root.display())
        })?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!(
                "the embedded S3 store cannot listen on {addr}; set EMBEDDED_S3_PORT or S3_ENDPOINT"
            )
        })?;
        let local = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), logged(service.clone()))
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(Self {
            endpoint: format!("http://{local}"),
            task,
        })
    }

    /// How a storage client reaches this store.
    pub fn storage_config(&self, bucket: &str) -> StorageConfig {
        StorageConfig {
            bucket: bucket.to_string(),
            region: "us-east-1".into(),
            endpoint: Some(self.endpoint.clone()),
            credentials: Some((ACCESS_KEY.into(), SECRET_KEY.into())),
        }
    }
}

/// The store's answers logged by who is at fault: a refused request (a wrong signature, a
/// content type the presigned URL did not allow) is the client's mistake, logged once at WARN;
/// only a 5xx is an ERROR. s3s itself logs every refusal as ERROR, so its target is silenced
/// in the default filter (`s3s=off`, see `telemetry`).
fn logged(
    service: s3s::service::S3Service,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = s3s::HttpResponse,
    Error = s3s::HttpError,
    Future = impl Future<Output = Result<s3s::HttpResponse, s3s::HttpError>> + Send,
> + Clone {
    hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let service = service.clone();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let preflight = cors_preflight(&req);
        async move {
            // A browser uploading to (or previewing from) a presigned URL comes from the
            // front end's origin: the preflight is answered here, s3s knows no CORS.
            if let Some(answer) = preflight {
                return Ok(answer);
            }
            let mut answer = hyper::service::Service::call(&service, req).await;
            if let Ok(r) = &mut answer {
                allow_any_origin(r.headers_mut());
            }
            match &answer {
                Ok(r) if r.status().is_server_error() => {
                    tracing::error!(%method, %path, status = r.status().as_u16(), "the embedded S3 store failed a request");
                }
                Ok(r) if r.status().is_client_error() && r.status() != 404 => {
                    tracing::warn!(%method, %path, status = r.status().as_u16(), "the embedded S3 store refused a request");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%method, %path, error = ?e, "the embedded S3 store failed a request")
                }
            }
            answer
        }
    })
}

/// The answer to a CORS preflight: any origin may send the methods a presigned URL allows, with
/// the headers it asks for (the signature, not the origin, is what authorises a request).
fn cors_preflight<B>(req: &hyper::Request<B>) -> Option<s3s::HttpResponse> {
    use hyper::header;
    let asked = req.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    if req.method() != hyper::Method::OPTIONS {
        return None;
    }
    let mut answer = hyper::Response::new(s3s::Body::empty());
    *answer.status_mut() = hyper::StatusCode::NO_CONTENT;
    let headers = answer.headers_mut();
    allow_any_origin(headers);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, asked.clone());
    if let Some(h) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, h.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        hyper::header::HeaderValue::from_static("600"),
    );
    Some(answer)
}

fn allow_any_origin(headers: &mut hyper::HeaderMap) {
    use hyper::header::{self, HeaderValue};
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("etag"),
    );
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}
