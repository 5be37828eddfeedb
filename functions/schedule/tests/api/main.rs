//! The schedule function's API tests, against a real PostgreSQL and Redis.

mod helpers;

mod aggregates;
mod events;
mod feeds;
mod kit;
mod participants;
mod series;
mod venues;
