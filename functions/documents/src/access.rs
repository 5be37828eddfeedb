//! Who may see which document: the one predicate lives in `shared`, so every place that shows
//! documents (this function, a performance's passport) applies the same rule.

pub use shared::document_access::*;
