//! Performances: the production card, its status machine (DOMAIN.md), the repertoire list,
//! counts by status, search by title and author, soft delete. Every new performance gets the
//! nine passport sections in the same transaction.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::error::FieldErrors;
use shared::extract::{IfMatch, Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::patch::Patch;
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::PerformancesState;
use crate::domain::{AgeRating, PerformanceStatus, bounded, contains_pattern, optional_text, text};
use crate::images::{self, ImageView};

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_performances, create_performance))
        .routes(routes!(performance_repertoire))
        .routes(routes!(performance_stats))
        .routes(routes!(
            get_performance,
            update_performance,
            delete_performance
        ))
        .routes(routes!(change_performance_status))
}

/// A performance as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, ToSchema)]
pub struct PerformanceView {
    pub id: Uuid,
    pub title: String,
    pub subtitle: Option<String>,
    pub author: Option<String>,
    pub director: Option<String>,
    pub genre: Option<String>,
    pub age_rating: Option<AgeRating>,
    pub duration_minutes: Option<i32>,
    pub intermissions: i32,
    pub premiere_date: Option<NaiveDate>,
    pub description: Option<String>,
    pub status: PerformanceStatus,
    /// The statuses this one may move to (`POST /{id}/status`).
    pub next_statuses: Vec<PerformanceStatus>,
    /// Place in the repertoire list (in_repertoire and paused performances).
    pub repertoire_order: Option<i32>,
    /// The current poster with its variants, or null when none was uploaded.
    pub poster: Option<ImageView>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

const COLUMNS: &str = "p.id, p.title, p.subtitle, p.author, p.director, p.genre, p.age_rating,
    p.duration_minutes, p.intermissions, p.premiere_date, p.description, p.status,
    p.repertoire_order, p.created_by, p.created_at, p.updated_at, p.version";

fn from_row(row: &tokio_postgres::Row) -> ApiResult<PerformanceView> {
    let status = PerformanceStatus::parse(row.get("status")).map_err(stored)?;
    let age_rating = row
        .get::<_, Option<&str>>("age_rating")
        .map(AgeRating::parse)
        .transpose()
        .map_err(stored)?;
    Ok(PerformanceView {
        id: row.get("id"),
        title: row.get("title"),
        subtitle: row.get("subtitle"),
        author: row.get("author"),
        director: row.get("director"),
        genre: row.get("genre"),
        age_rating,
        duration_minutes: row.get("duration_minutes"),
        intermissions: row.get("intermissions"),
        premiere_date: row.get("premiere_date"),
        description: row.get("description"),
        status,
        next_statuses: status.next(),
        repertoire_order: row.get("repertoire_order"),
        poster: None,
        created_by: row.get("created_by"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        version: row.get("version"),
    })
}

/// A stored value outside the vocabulary: the schema's CHECK makes this unreachable.
fn stored(e: String) -> ApiError {
    ApiError::Unexpected(anyhow::anyhow!("stored performance value: {e}"))
}

/// Performance `id` of `theater_id` (not deleted), without its poster.
pub async fn load(
    client: &impl GenericClient,
    theater_id: Uuid,
    id: Uuid,
) -> ApiResult<PerformanceView> {
    let sql = format!(
        "SELECT {COLUMNS} FROM performances p
         WHERE p.theater_id = $1 AND p.id = $2 AND p.deleted_at IS NULL"
    );
    client
        .query_opt(&sql, &[&theater_id, &id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(ApiError::NotFound)
}

/// Fills in the current posters of `views` (one query, links presigned locally).
async fn with_posters(
    state: &PerformancesState,
    client: &impl GenericClient,
    theater_id: Uuid,
    mut views: Vec<PerformanceView>,
) -> ApiResult<Vec<PerformanceView>> {
    let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
    let mut posters = images::current_posters(state, client, theater_id, &ids).await?;
    for view in &mut views {
        view.poster = posters.remove(&view.id);
    }
    Ok(views)
}

async fn with_poster(
    state: &PerformancesState,
    client: &impl GenericClient,
    theater_id: Uuid,
    view: PerformanceView,
) -> ApiResult<PerformanceView> {
    with_posters(state, client, theater_id, vec![view])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Filters of the performance list.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PerformanceQuery {
    /// Words of the title or the author (case-insensitive, anywhere in the text).
    pub q: Option<String>,
    pub status: Option<PerformanceStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List performances
///
/// Newest changes first; `q` searches title and author, `status` filters.
#[utoipa::path(get, path = "/api/v1/performances", tag = "performances",
    security(("bearer" = ["performance:view"])), params(PerformanceQuery),
    responses((status = 200, body = inline(Page<PerformanceView>)), (status = 400), (status = 403)))]
#[instrument(skip_all)]
pub async fn list_performances(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Query(query): Query<PerformanceQuery>,
) -> ApiResult<JsonResponse<Page<PerformanceView>>> {
    user.require(Permission::PerformanceView)?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after: Option<(DateTime<Utc>, Uuid)> = page.after()?;
    let (after_time, after_id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest(
            "invalid query parameter q: at most 200 characters".into(),
        ));
    }
    let pattern = q.map(contains_pattern);
    let status = query.status.map(PerformanceStatus::as_str);
    let client = state.ctx.db.get().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM performances p
         WHERE p.theater_id = $1 AND p.deleted_at IS NULL
           AND ($2::text IS NULL OR p.status = $2)
           AND ($3::text IS NULL OR p.title ILIKE $3 OR p.author ILIKE $3)
           AND ($4::timestamptz IS NULL OR (p.updated_at, p.id) < ($4, $5))
         ORDER BY p.updated_at DESC, p.id DESC LIMIT $6"
    );
    let rows = client
        .query(
            &sql,
            &[
                &user.theater_id,
                &status,
                &pattern,
                &after_time,
                &after_id,
                &(limit + 1),
            ],
        )
        .await?;
    let views = rows.iter().map(from_row).collect::<ApiResult<Vec<_>>>()?;
    let views = with_posters(&state, &client, user.theater_id, views).await?;
    Ok(JsonResponse(Page::from_rows(views, limit, |v| {
        (v.updated_at, v.id)
    })))
}

/// The repertoire: performances now in the repertoire, in their order.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct Repertoire {
    pub items: Vec<PerformanceView>,
}

/// The repertoire list
///
/// Performances with status `in_repertoire`, by `repertoire_order` (then title).
#[utoipa::path(get, path = "/api/v1/performances/repertoire", tag = "performances",
    security(("bearer" = ["performance:view"])),
    responses((status = 200, body = Repertoire), (status = 403)))]
#[instrument(skip_all)]
pub async fn performance_repertoire(
    State(state): State<PerformancesState>,
    user: AuthUser,
) -> ApiResult<JsonResponse<Repertoire>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM performances p
         WHERE p.theater_id = $1 AND p.deleted_at IS NULL AND p.status = $2
         ORDER BY p.repertoire_order NULLS LAST, p.title, p.id"
    );
    let rows = client
        .query(
            &sql,
            &[&user.theater_id, &PerformanceStatus::InRepertoire.as_str()],
        )
        .await?;
    let views = rows.iter().map(from_row).collect::<ApiResult<Vec<_>>>()?;
    let items = with_posters(&state, &client, user.theater_id, views).await?;
    Ok(JsonResponse(Repertoire { items }))
}

/// How many performances have one status.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct StatusCount {
    pub status: PerformanceStatus,
    pub performances: i64,
}

/// Performance counts.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct PerformanceStats {
    pub performances: i64,
    /// Every status, also those with no performance.
    pub by_status: Vec<StatusCount>,
    pub generated_at: DateTime<Utc>,
}

/// Performance statistics
///
/// Counts of the theatre's performances by status.
#[utoipa::path(get, path = "/api/v1/performances/stats", tag = "performances",
    security(("bearer" = ["performance:view"])),
    responses((status = 200, body = PerformanceStats), (status = 403)))]
#[instrument(skip_all)]
pub async fn performance_stats(
    State(state): State<PerformancesState>,
    user: AuthUser,
) -> ApiResult<JsonResponse<PerformanceStats>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    let rows = client
        .query(
            "SELECT status, count(*) FROM performances
             WHERE theater_id = $1 AND deleted_at IS NULL GROUP BY status",
            &[&user.theater_id],
        )
        .await?;
    let count = |s: PerformanceStatus| {
        rows.iter()
            .find(|r| r.get::<_, &str>(0) == s.as_str())
            .map_or(0, |r| r.get::<_, i64>(1))
    };
    let by_status: Vec<StatusCount> = PerformanceStatus::ALL
        .iter()
        .map(|s| StatusCount {
            status: *s,
            performances: count(*s),
        })
        .collect();
    Ok(JsonResponse(PerformanceStats {
        performances: by_status.iter().map(|c| c.performances).sum(),
        by_status,
        generated_at: Utc::now(),
    }))
}

/// The card's fields, parsed.
struct Card {
    title: Option<String>,
    subtitle: Option<Option<String>>,
    author: Option<Option<String>>,
    director: Option<Option<String>>,
    genre: Option<Option<String>>,
    age_rating: Option<Option<AgeRating>>,
    duration_minutes: Option<Option<i32>>,
    intermissions: Option<i32>,
    premiere_date: Option<Option<NaiveDate>>,
    description: Option<Option<String>>,
    repertoire_order: Option<Option<i32>>,
}

fn patch_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Patch<String>,
    max: usize,
) -> Option<Option<String>> {
    match value {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(v) => errors
            .take(field, optional_text(Some(&v), max))
            .map(|t| t.filter(|t| !t.is_empty())),
    }
}

fn patch_int(
    errors: &mut FieldErrors,
    field: &str,
    value: Patch<i32>,
    min: i32,
    max: i32,
) -> Option<Option<i32>> {
    match value {
        Patch::Missing => None,
        Patch::Null => Some(None),
        Patch::Value(v) => errors.take(field, bounded(v, min, max)).map(Some),
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CreatePerformanceRequest {
    #[schema(required = true)]
    pub title: String,
    pub subtitle: Option<String>,
    pub author: Option<String>,
    pub director: Option<String>,
    pub genre: Option<String>,
    pub age_rating: Option<AgeRating>,
    /// 1-1440.
    pub duration_minutes: Option<i32>,
    /// 0-10 (default 0).
    pub intermissions: Option<i32>,
    pub premiere_date: Option<NaiveDate>,
    /// Markdown, at most 20 000 characters.
    pub description: Option<String>,
}

fn some_patch<T>(v: Option<T>) -> Patch<T> {
    v.map_or(Patch::Missing, Patch::Value)
}

/// Create performance
///
/// A new production starts in `preparation` with the nine passport sections.
#[utoipa::path(post, path = "/api/v1/performances", tag = "performances",
    security(("bearer" = ["performance:create"])), request_body = CreatePerformanceRequest,
    responses((status = 201, body = PerformanceView), (status = 403), (status = 422)))]
#[instrument(skip_all)]
pub async fn create_performance(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Json(body): Json<CreatePerformanceRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceCreate)?;
    let mut errors = FieldErrors::new();
    let title = errors.take("title", text(&body.title, 300));
    let card = parse_card(
        &mut errors,
        UpdatePerformanceRequest {
            title: None,
            subtitle: some_patch(body.subtitle),
            author: some_patch(body.author),
            director: some_patch(body.director),
            genre: some_patch(body.genre),
            age_rating: some_patch(body.age_rating),
            duration_minutes: some_patch(body.duration_minutes),
            intermissions: body.intermissions,
            premiere_date: some_patch(body.premiere_date),
            description: some_patch(body.description),
            repertoire_order: Patch::Missing,
        },
    );
    let Some(title) = title else {
        return Err(errors.into_error());
    };
    errors.finish()?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO performances (id, theater_id, title, subtitle, author, director, genre,
             age_rating, duration_minutes, intermissions, premiere_date, description, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, 0), $11, $12, $13)",
        &[
            &id,
            &user.theater_id,
            &title,
            &card.subtitle.flatten(),
            &card.author.flatten(),
            &card.director.flatten(),
            &card.genre.flatten(),
            &card.age_rating.flatten().map(AgeRating::as_str),
            &card.duration_minutes.flatten(),
            &card.intermissions,
            &card.premiere_date.flatten(),
            &card.description.flatten(),
            &user.user_id,
        ],
    )
    .await?;
    shared::passport::create_standard_sections(&tx, user.theater_id, id).await?;
    let view = load(&tx, user.theater_id, id).await?;
    audit::record(
        &tx,
        AuditEntry::by(&user, "performance.create", "performance", id).after(&view),
    )
    .await?;
    tx.commit().await?;
    Ok(shared::http::created(view.version, view))
}

/// Get performance
#[utoipa::path(get, path = "/api/v1/performances/{id}", tag = "performances",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PerformanceView, description = "The performance; `ETag` carries its version"),
        (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn get_performance(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    let view = load(&client, user.theater_id, id).await?;
    let view = with_poster(&state, &client, user.theater_id, view).await?;
    Ok(shared::http::with_etag(view.version, view))
}

/// A change to the card; absent fields stay, `null` clears. The status changes through
/// `POST /{id}/status`, not here.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerformanceRequest {
    pub title: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub subtitle: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub author: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub director: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub genre: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<AgeRating>)]
    pub age_rating: Patch<AgeRating>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub duration_minutes: Patch<i32>,
    pub intermissions: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<NaiveDate>)]
    pub premiere_date: Patch<NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    /// Place in the repertoire list (0-100000).
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub repertoire_order: Patch<i32>,
}

fn parse_card(errors: &mut FieldErrors, body: UpdatePerformanceRequest) -> Card {
    Card {
        title: body.title.and_then(|t| errors.take("title", text(&t, 300))),
        subtitle: patch_text(errors, "subtitle", body.subtitle, 300),
        author: patch_text(errors, "author", body.author, 300),
        director: patch_text(errors, "director", body.director, 300),
        genre: patch_text(errors, "genre", body.genre, 100),
        age_rating: body.age_rating.into_option(),
        duration_minutes: patch_int(errors, "duration_minutes", body.duration_minutes, 1, 1440),
        intermissions: body
            .intermissions
            .and_then(|n| errors.take("intermissions", bounded(n, 0, 10))),
        premiere_date: body.premiere_date.into_option(),
        description: patch_text(errors, "description", body.description, 20000),
        repertoire_order: patch_int(
            errors,
            "repertoire_order",
            body.repertoire_order,
            0,
            100_000,
        ),
    }
}

/// Applies a change under the row lock with the `If-Match` check and an audit row; returns the
/// performance after it (`None` once deleted).
async fn change(
    state: &PerformancesState,
    user: &AuthUser,
    id: Uuid,
    expected: Option<i32>,
    action: &str,
    apply: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>, &PerformanceView) -> ApiResult<()>,
) -> ApiResult<Option<PerformanceView>> {
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    let locked = tx
        .query_opt(
            "SELECT 1 FROM performances WHERE theater_id = $1 AND id = $2 AND deleted_at IS NULL
             FOR UPDATE",
            &[&user.theater_id, &id],
        )
        .await?;
    if locked.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = load(&tx, user.theater_id, id).await?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(ApiError::PreconditionFailed);
    }
    apply(&tx, &before).await?;
    let after = match load(&tx, user.theater_id, id).await {
        Ok(view) => Some(with_poster(state, &tx, user.theater_id, view).await?),
        Err(ApiError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let mut entry = AuditEntry::by(user, action, "performance", id).before(&before);
    if let Some(after) = &after {
        entry = entry.after(after);
    }
    audit::record(&tx, entry).await?;
    tx.commit().await?;
    Ok(after)
}

/// Update performance
///
/// Changes the card's fields (not the status: see `POST /{id}/status`). `If-Match` with the
/// `ETag` of the last read makes a stale change a 412.
#[utoipa::path(patch, path = "/api/v1/performances/{id}", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the last read")),
    request_body = UpdatePerformanceRequest,
    responses((status = 200, body = PerformanceView), (status = 403), (status = 404),
        (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn update_performance(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<UpdatePerformanceRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let card = parse_card(&mut errors, body);
    errors.finish()?;
    let after = change(
        &state,
        &user,
        id,
        expected,
        "performance.update",
        async |tx, _before| {
            tx.execute(
                "UPDATE performances SET
                    title = coalesce($3, title),
                    subtitle = CASE WHEN $4 THEN $5 ELSE subtitle END,
                    author = CASE WHEN $6 THEN $7 ELSE author END,
                    director = CASE WHEN $8 THEN $9 ELSE director END,
                    genre = CASE WHEN $10 THEN $11 ELSE genre END,
                    age_rating = CASE WHEN $12 THEN $13 ELSE age_rating END,
                    duration_minutes = CASE WHEN $14 THEN $15 ELSE duration_minutes END,
                    intermissions = coalesce($16, intermissions),
                    premiere_date = CASE WHEN $17 THEN $18 ELSE premiere_date END,
                    description = CASE WHEN $19 THEN $20 ELSE description END,
                    repertoire_order = CASE WHEN $21 THEN $22 ELSE repertoire_order END,
                    version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2",
                &[
                    &user.theater_id,
                    &id,
                    &card.title,
                    &card.subtitle.is_some(),
                    &card.subtitle.clone().flatten(),
                    &card.author.is_some(),
                    &card.author.clone().flatten(),
                    &card.director.is_some(),
                    &card.director.clone().flatten(),
                    &card.genre.is_some(),
                    &card.genre.clone().flatten(),
                    &card.age_rating.is_some(),
                    &card.age_rating.flatten().map(AgeRating::as_str),
                    &card.duration_minutes.is_some(),
                    &card.duration_minutes.flatten(),
                    &card.intermissions,
                    &card.premiere_date.is_some(),
                    &card.premiere_date.flatten(),
                    &card.description.is_some(),
                    &card.description.clone().flatten(),
                    &card.repertoire_order.is_some(),
                    &card.repertoire_order.flatten(),
                ],
            )
            .await?;
            Ok(())
        },
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(after.version, after))
}

/// A status move.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// The status to move to; allowed moves are the performance's `next_statuses`.
    pub status: PerformanceStatus,
}

/// Change performance status
///
/// Moves a performance along DOMAIN.md's status machine: preparation → in_repertoire |
/// archived; in_repertoire ↔ paused; in_repertoire or paused → archived; archived →
/// preparation. Any other move is a 409 naming the current status. Entering the repertoire
/// puts the performance at the end of the list; archiving takes it out.
#[utoipa::path(post, path = "/api/v1/performances/{id}/status", tag = "performances",
    security(("bearer" = ["performance:edit"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the last read")),
    request_body = StatusChangeRequest,
    responses((status = 200, body = PerformanceView), (status = 403), (status = 404),
        (status = 409, description = "The move is not allowed from the current status (`current_status`, `allowed`)"),
        (status = 412), (status = 422)))]
#[instrument(skip_all)]
pub async fn change_performance_status(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
    Json(body): Json<StatusChangeRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let to = body.status;
    let after = change(
        &state,
        &user,
        id,
        expected,
        "performance.status",
        async |tx, before| {
            if !before.status.can_move_to(to) {
                return Err(ApiError::conflict_with(
                    format!("a performance in {} cannot move to {to}", before.status),
                    serde_json::json!({
                        "current_status": before.status,
                        "allowed": before.status.next(),
                    }),
                ));
            }
            tx.execute(
                "UPDATE performances SET status = $3,
                    repertoire_order = CASE
                        WHEN NOT $4 THEN NULL
                        ELSE coalesce(repertoire_order,
                            (SELECT coalesce(max(o.repertoire_order), 0) + 1 FROM performances o
                             WHERE o.theater_id = $1 AND o.deleted_at IS NULL
                               AND o.status IN ('in_repertoire', 'paused')))
                    END,
                    version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2",
                &[
                    &user.theater_id,
                    &id,
                    &to.as_str(),
                    &to.keeps_repertoire_place(),
                ],
            )
            .await?;
            Ok(())
        },
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(shared::http::with_etag(after.version, after))
}

/// Delete performance
///
/// Soft delete: the performance disappears from every list and its parts answer 404; the
/// rows stay for the audit trail.
#[utoipa::path(delete, path = "/api/v1/performances/{id}", tag = "performances",
    security(("bearer" = ["performance:delete"])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag of the last read")),
    responses((status = 204), (status = 403), (status = 404), (status = 412)))]
#[instrument(skip_all)]
pub async fn delete_performance(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceDelete)?;
    change(
        &state,
        &user,
        id,
        expected,
        "performance.delete",
        async |tx, _| {
            tx.execute(
                "UPDATE performances SET deleted_at = now(), repertoire_order = NULL,
                    version = version + 1, updated_at = now()
                 WHERE theater_id = $1 AND id = $2",
                &[&user.theater_id, &id],
            )
            .await?;
            Ok(())
        },
    )
    .await?;
    Ok(shared::http::no_content())
}
