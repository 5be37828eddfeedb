//! The Theatre Management System's library crate: everything the function binaries, the gateway
//! and the worker have in common.

pub mod audit;
pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod department_scope;
#[cfg(feature = "local")]
pub mod dev_keys;
pub mod document_access;
#[cfg(feature = "docx")]
pub mod docx;
#[cfg(feature = "local")]
pub mod embedded_s3;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
#[cfg(feature = "jobs")]
pub mod jobs;
pub mod keys;
pub mod meters;
pub mod migrate;
pub mod openapi;
pub mod pagination;
pub mod passport;
pub mod patch;
pub mod permissions;
pub mod rate_limit;
pub mod redis;
pub mod reservations;
pub mod runner;
#[cfg(feature = "storage")]
pub mod seed;
#[cfg(feature = "storage")]
pub mod seed_templates;
#[cfg(feature = "storage")]
pub mod storage;
pub mod telemetry;
#[cfg(feature = "docx")]
pub mod templates;
pub mod text;
pub mod uploads;
pub mod vocabulary;

pub use context::AppContext;
pub use error::{ApiError, ApiResult};
