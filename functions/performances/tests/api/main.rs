//! The performances function's API tests, against a real PostgreSQL, Redis and S3-compatible
//! store (the test's own queue prefix).

mod checklists;
mod helpers;
mod passport;
mod performances;
mod snapshots;
