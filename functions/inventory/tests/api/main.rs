//! The inventory function's API tests, against a real PostgreSQL, Redis and S3-compatible store.

mod helpers;

mod bulk;
mod csv;
mod export;
mod items;
mod labels;
mod movements;
mod photos;
mod scope;
mod search;
mod tenancy;
mod trees;
