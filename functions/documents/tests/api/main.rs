//! The documents function's API tests, against a real PostgreSQL, Redis, S3-compatible store
//! and the real worker (in-process, consuming the test's own queue).

mod access;
mod documents;
mod helpers;
mod templates;
mod versions;
