//! The auth function's API tests, against a real PostgreSQL, Redis and S3-compatible store.

mod audit;
mod hardening;
mod migrations;
mod protocol;
mod roles;
mod sessions;
mod storage;
mod tenancy;
mod tokens;
mod users;
