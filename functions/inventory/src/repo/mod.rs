//! The SQL of the inventory function: rows in, views out. No HTTP, no permission checks, no
//! decisions (those are in `domain`); handlers and the movement service call these.

pub mod items;
pub mod movements;
pub mod trees;
