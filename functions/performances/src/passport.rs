//! The technical passport's documents (DOMAIN.md): documents of the documents function filed
//! under a performance and one of the 25 categories of the four parts, auto-filed from their
//! file names, and the passport's readiness.

pub mod categories;
pub mod classify;
pub mod db;
pub mod readiness;
pub mod routes;

pub use routes::routes;
