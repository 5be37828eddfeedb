//! The performances function's API tests, against a real PostgreSQL, Redis and S3-compatible
//! store (the test's own queue prefix).

mod cast;
mod checklists;
mod helpers;
mod images;
mod kit;
mod passport;
mod performances;
mod scenes;
mod sections;
mod snapshots;
