//! The auth function's API tests, against a real PostgreSQL, Redis and S3-compatible store.

mod sessions;
