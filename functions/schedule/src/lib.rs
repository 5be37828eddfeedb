//! The schedule function: venues, events that PostgreSQL never lets double-book a venue,
//! recurring series, participants and unavailability, kit reservations (the clash rule lives in
//! `shared::reservations`), calendar queries and iCalendar feeds behind revocable feed tokens.

use axum::Router;
use axum::extract::FromRef;
use shared::AppContext;
use shared::config::CommonConfig;
use shared::openapi::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod aggregates;
pub mod clashes;
pub mod domain;
pub mod events;
pub mod feeds;
pub mod participants;
pub mod reservations;
pub mod series;
pub mod venues;
pub mod vtimezone;

/// The schedule function's state: the shared clients.
#[derive(Clone)]
pub struct ScheduleState {
    pub ctx: AppContext,
}

impl FromRef<ScheduleState> for AppContext {
    fn from_ref(state: &ScheduleState) -> AppContext {
        state.ctx.clone()
    }
}

impl ScheduleState {
    /// Builds the state from clients made once per process; opens no connection.
    pub fn new(ctx: AppContext) -> Self {
        Self { ctx }
    }

    /// Reads the configuration from the environment (binary start-up).
    pub fn from_env() -> anyhow::Result<(Self, CommonConfig)> {
        let common = CommonConfig::from_env()?;
        let ctx = AppContext::new(common.clone())?;
        Ok((Self::new(ctx), common))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Theatre Management System — schedule", version = "1"),
    modifiers(&BearerAuth),
    paths(feeds::venue_feed, feeds::my_feed, feeds::performance_feed),
    // Referenced from a query-parameter struct (IntoParams), which does not register it.
    components(schemas(events::Scope)),
    tags(
        (name = "schedule", description = "Venues, events, participants, kit reservations"),
        (name = "calendar", description = "iCalendar feeds and their tokens"),
    )
)]
struct ApiDoc;

/// The routes with their OpenAPI description, before state is attached.
pub fn api() -> OpenApiRouter<ScheduleState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(venues::list_venues, venues::create_venue))
        .routes(routes!(
            venues::get_venue,
            venues::update_venue,
            venues::delete_venue
        ))
        .routes(routes!(events::list_events, events::create_event))
        .routes(routes!(events::check_event))
        .routes(routes!(events::my_events))
        .routes(routes!(events::upcoming_events))
        .routes(routes!(aggregates::event_counts))
        .routes(routes!(aggregates::venue_utilisation))
        .routes(routes!(
            events::get_event,
            events::update_event,
            events::delete_event
        ))
        .routes(routes!(
            reservations::list_reservations,
            reservations::create_reservation
        ))
        .routes(routes!(reservations::reserve_kit))
        .routes(routes!(reservations::delete_reservation))
        .routes(routes!(reservations::item_bookings))
        .routes(routes!(
            participants::list_participants,
            participants::invite_participant
        ))
        .routes(routes!(
            participants::update_participant,
            participants::remove_participant
        ))
        .routes(routes!(
            participants::list_unavailability,
            participants::create_unavailability
        ))
        .routes(routes!(participants::delete_unavailability))
        .routes(routes!(feeds::list_tokens, feeds::create_token))
        .routes(routes!(feeds::revoke_token))
        // matchit cannot route `{id}.ics`: the file segment is parsed by the handler; the
        // documented paths come from `ApiDoc`.
        .route(
            "/api/v1/schedule/calendar/venues/{file}",
            axum::routing::get(feeds::venue_feed),
        )
        .route(
            "/api/v1/schedule/calendar/performances/{file}",
            axum::routing::get(feeds::performance_feed),
        )
        .route(
            "/api/v1/schedule/calendar/me.ics",
            axum::routing::get(feeds::my_feed),
        )
}

/// The OpenAPI document of this function.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::finished(api().split_for_parts().1)
}

/// The Router the binary, the gateway and the tests all serve (without the common layers).
pub fn router(state: ScheduleState) -> Router {
    let (router, doc) = api().split_for_parts();
    // Undeclared query parameters are a 400 naming them.
    let router = shared::openapi::guard_queries(router, &doc);
    router.with_state(state)
}
