//! The performances function's API tests, against a real PostgreSQL, Redis and S3-compatible
//! store (the test's own queue prefix).

mod cast;
mod helpers;
mod images;
mod kit;
mod performances;
mod scenes;
mod sections;
