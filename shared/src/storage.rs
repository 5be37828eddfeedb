//! S3 storage over aws-sdk-s3: works against AWS and any S3-compatible endpoint (path style).
//! Files travel between clients and S3 through presigned URLs; the API never proxies them.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

use crate::config::{ConfigError, optional, required};

/// The object tag (key, value) of files kept only for a download link's life (CSV exports); the
/// bucket's lifecycle rule in infra/template.yaml expires objects carrying it.
pub const TEMPORARY_TAG: (&str, &str) = ("tms-lifetime", "download");

/// Where the bucket lives and how to reach it.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    pub bucket: String,
    pub region: String,
    /// A custom endpoint (LocalStack, the embedded store, MinIO); path-style addressing is used.
    pub endpoint: Option<String>,
    /// Static credentials; otherwise the default AWS chain (env, container, instance role).
    pub credentials: Option<(String, String)>,
}

impl StorageConfig {
    /// `S3_BUCKET` (required), `S3_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            bucket: required("S3_BUCKET")?,
            region: optional("AWS_REGION")
                .or_else(|| optional("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            endpoint: optional("S3_ENDPOINT"),
            credentials: match (
                optional("AWS_ACCESS_KEY_ID"),
                optional("AWS_SECRET_ACCESS_KEY"),
            ) {
                (Some(k), Some(s)) if optional("AWS_SESSION_TOKEN").is_none() => Some((k, s)),
                _ => None,
            },
        })
    }
}

/// A request the client makes itself: where, how, and which headers to send exactly.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PresignedRequest {
    pub url: String,
    pub method: String,
    pub headers: BTreeMap<String, String>,
}

/// What `head` knows about an object.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: Option<String>,
    pub etag: Option<String>,
}

/// An object being read as a stream.
pub struct ObjectStream {
    pub body: ByteStream,
    pub size: u64,
    pub content_type: Option<String>,
}

/// The bucket client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Storage {
    client: Client,
    bucket: String,
}

impl Storage {
    /// Builds the client. With static credentials and a region this does no network work.
    pub async fn new(config: &StorageConfig) -> Self {
        let mut builder = match &config.credentials {
            Some((key, secret)) => aws_sdk_s3::config::Builder::new()
                .behavior_version(BehaviorVersion::latest())
                .credentials_provider(Credentials::new(key, secret, None, None, "static")),
            None => {
                let shared = aws_config::defaults(BehaviorVersion::latest())
                    .region(Region::new(config.region.clone()))
                    .load()
                    .await;
                aws_sdk_s3::config::Builder::from(&shared)
            }
        }
        .region(Region::new(config.region.clone()));
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        Self {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The raw SDK client, for what this wrapper does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the bucket unless it exists (local stores only; AWS buckets come from infra).
    pub async fn ensure_bucket(&self) -> anyhow::Result<()> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let owned = e.as_service_error().is_some_and(|s| {
                    s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
                });
                if owned {
                    Ok(())
                } else {
                    Err(anyhow::Error::new(e).context(format!("creating bucket {}", self.bucket)))
                }
            }
        }
    }

    /// Stores `bytes` under `key`.
    #[tracing::instrument(level = "debug", name = "s3.put", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = key))]
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> anyhow::Result<()> {
        self.put_tagged(key, bytes, content_type, None).await
    }

    /// Like [`Storage::put`], and tags the object with [`TEMPORARY_TAG`] (see
    /// [`Storage::put_temporary_file`]).
    pub async fn put_temporary(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> anyhow::Result<()> {
        let tag = format!("{}={}", TEMPORARY_TAG.0, TEMPORARY_TAG.1);
        self.put_tagged(key, bytes, content_type, Some(tag)).await
    }

    async fn put_tagged(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
        tagging: Option<String>,
    ) -> anyhow::Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_tagging(tagging)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .with_context(|| format!("putting object {key}"))?;
        Ok(())
    }

    /// Stores the file at `path` under `key`, streaming it from disk.
    #[tracing::instrument(level = "debug", name = "s3.put_file", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = key))]
    pub async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> anyhow::Result<()> {
        self.put_file_tagged(key, path, content_type, None).await
    }

    /// Like [`Storage::put_file`], and tags the object with [`TEMPORARY_TAG`]: the bucket's
    /// lifecycle rule deletes such objects after a day even if no sweeper runs.
    pub async fn put_temporary_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> anyhow::Result<()> {
        let tag = format!("{}={}", TEMPORARY_TAG.0, TEMPORARY_TAG.1);
        self.put_file_tagged(key, path, content_type, Some(tag))
            .await
    }

    async fn put_file_tagged(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
        tagging: Option<String>,
    ) -> anyhow::Result<()> {
        let body = ByteStream::from_path(path)
            .await
            .with_context(|| format!("reading {}", path.display()))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_tagging(tagging)
            .body(body)
            .send()
            .await
            .with_context(|| format!("putting object {key}"))?;
        Ok(())
    }

    /// The keys under `prefix` last modified before `cutoff` (every page of the listing).
    pub async fn keys_modified_before(
        &self,
        prefix: &str,
        cutoff: std::time::SystemTime,
    ) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.with_context(|| format!("listing {prefix}"))?;
            for object in page.contents() {
                let modified = object
                    .last_modified()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok());
                if let (Some(key), Some(modified)) = (object.key(), modified)
                    && modified <= cutoff
                {
                    keys.push(key.to_string());
                }
            }
        }
        Ok(keys)
    }

    /// Opens `key` for streaming; `None` when it does not exist.
    #[tracing::instrument(level = "debug", name = "s3.get", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = key))]
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<ObjectStream>> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectStream {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                content_type: out.content_type().map(str::to_owned),
                body: out.body,
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("getting object {key}"))),
        }
    }

    /// Size and type of `key`; `None` when it does not exist.
    #[tracing::instrument(level = "debug", name = "s3.head", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = key))]
    pub async fn head(&self, key: &str) -> anyhow::Result<Option<ObjectInfo>> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectInfo {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                content_type: out.content_type().map(str::to_owned),
                etag: out.e_tag().map(str::to_owned),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("head of object {key}"))),
        }
    }

    /// Copies `from` to `to` inside the bucket.
    #[tracing::instrument(level = "debug", name = "s3.copy", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = to))]
    pub async fn copy(&self, from: &str, to: &str) -> anyhow::Result<()> {
        let source = format!("{}/{}", self.bucket, percent_encode_path(from));
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(source)
            .key(to)
            .send()
            .await
            .with_context(|| format!("copying {from} to {to}"))?;
        Ok(())
    }

    /// Deletes `key` (deleting a missing key is not an error).
    #[tracing::instrument(level = "debug", name = "s3.delete", skip_all, fields(otel.kind = "client", aws.s3.bucket = %self.bucket, aws.s3.key = key))]
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .with_context(|| format!("deleting object {key}"))?;
        Ok(())
    }

    /// A presigned PUT bound to the exact `content_type` and `content_length`: the client must
    /// send both headers as returned, or the store refuses the upload.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_in: Duration,
    ) -> anyhow::Result<PresignedRequest> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(content_length as i64)
            .presigned(PresigningConfig::expires_in(expires_in)?)
            .await
            .with_context(|| format!("presigning PUT of {key}"))?;
        let mut headers: BTreeMap<String, String> = request
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        headers.insert("content-type".into(), content_type.to_string());
        headers.insert("content-length".into(), content_length.to_string());
        Ok(PresignedRequest {
            url: request.uri().to_string(),
            method: request.method().to_string(),
            headers,
        })
    }

    /// A presigned GET that makes browsers save the file as `download_name` (any Unicode).
    pub async fn presign_get(
        &self,
        key: &str,
        download_name: &str,
        expires_in: Duration,
    ) -> anyhow::Result<String> {
        self.presign_get_as(key, download_name, None, expires_in)
            .await
    }

    /// A presigned GET that is always an attachment named `download_name`, served with
    /// `content_type` when given (the sniffed type, never what the uploader declared).
    pub async fn presign_get_as(
        &self,
        key: &str,
        download_name: &str,
        content_type: Option<&str>,
        expires_in: Duration,
    ) -> anyhow::Result<String> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_response_content_type(content_type.map(str::to_owned))
            .response_content_disposition(content_disposition(download_name))
            .presigned(PresigningConfig::expires_in(expires_in)?)
            .await
            .with_context(|| format!("presigning GET of {key}"))?;
        Ok(request.uri().to_string())
    }
}

/// `attachment` with an ASCII fallback name (the name transliterated: `Райдер.txt` →
/// `Raider.txt`, for `curl -OJ` and old clients) and the exact UTF-8 name (RFC 6266 / RFC 8187).
/// Control and bidi formatting characters are dropped first.
pub fn content_disposition(name: &str) -> String {
    let name = crate::uploads::download_name(name);
    let name = name.as_str();
    let fallback: String = deunicode::deunicode_with_tofu(name, "_")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.as_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

fn percent_encode_path(key: &str) -> String {
    let mut out = String::new();
    for b in key.as_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "-._~/".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_keeps_the_unicode_name_exactly() {
        let d = content_disposition("Сценарий «Чайка».pdf");
        assert!(d.starts_with("attachment; filename=\""));
        assert!(d.contains("filename*=UTF-8''%D0%A1"));
        assert!(d.is_ascii());
    }

    #[test]
    fn the_ascii_fallback_is_transliterated_not_blanked() {
        let d = content_disposition("Райдер.txt");
        assert!(d.starts_with("attachment; filename=\"Raider.txt\""), "{d}");
        let quoted = content_disposition("Сценарий \"Чайка\".pdf");
        let fallback = quoted.split('"').nth(1).unwrap();
        assert!(fallback.starts_with("Stsenarii"), "{quoted}");
        assert_eq!(quoted.matches('"').count(), 2, "{quoted}");
    }
}
