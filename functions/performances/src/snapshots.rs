//! Snapshots of the passport ("as premiered", before a tour or a revival): frozen once, listed,
//! shown, and compared with the live passport.

pub mod db;
pub mod diff;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::audit::{self, AuditEntry};
use shared::auth::AuthUser;
use shared::document_access::Viewer;
use shared::error::FieldErrors;
use shared::extract::{Json, Path, Query};
use shared::pagination::{Page, PageQuery};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use self::diff::{PassportDiff, PassportState, compare};
use crate::PerformancesState;
use crate::access::require_performance;

/// This module's routes.
pub fn routes() -> OpenApiRouter<PerformancesState> {
    OpenApiRouter::new()
        .routes(routes!(list_snapshots, create_snapshot))
        .routes(routes!(get_snapshot))
        .routes(routes!(compare_snapshot))
}

/// Why a snapshot was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    /// The passport as the production premiered.
    AsPremiered,
    BeforeTour,
    BeforeRevival,
    /// Any other moment.
    Manual,
}

impl SnapshotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotKind::AsPremiered => "as_premiered",
            SnapshotKind::BeforeTour => "before_tour",
            SnapshotKind::BeforeRevival => "before_revival",
            SnapshotKind::Manual => "manual",
        }
    }

    fn from_db(raw: &str) -> Self {
        match raw {
            "as_premiered" => SnapshotKind::AsPremiered,
            "before_tour" => SnapshotKind::BeforeTour,
            "before_revival" => SnapshotKind::BeforeRevival,
            _ => SnapshotKind::Manual,
        }
    }
}

/// A snapshot in a list.
#[derive(Clone, Serialize, ToSchema)]
pub struct SnapshotSummary {
    pub id: Uuid,
    pub performance_id: Uuid,
    pub name: String,
    pub kind: SnapshotKind,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A snapshot with the passport it froze.
#[derive(Serialize, ToSchema)]
pub struct SnapshotView {
    #[serde(flatten)]
    pub summary: SnapshotSummary,
    pub state: PassportState,
}

/// A snapshot compared with the live passport, or with a second snapshot.
#[derive(Serialize, ToSchema)]
pub struct SnapshotComparison {
    pub snapshot: SnapshotSummary,
    /// The snapshot compared against (`with`); `null` when compared with the live passport.
    #[schema(required = true)]
    pub with: Option<SnapshotSummary>,
    pub compared_at: DateTime<Utc>,
    /// From the snapshot (old) to the live passport or the `with` snapshot (new).
    pub diff: PassportDiff,
}

/// What a snapshot is compared with.
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Another snapshot of the same production to compare with (as the newer side) instead of
    /// the live passport.
    pub with: Option<Uuid>,
}

fn summary(performance_id: Uuid, row: &db::SnapshotRow) -> SnapshotSummary {
    SnapshotSummary {
        id: row.id,
        performance_id,
        name: row.name.clone(),
        kind: SnapshotKind::from_db(&row.kind),
        created_by: row.created_by,
        created_at: row.created_at,
    }
}

/// Drops the documents the caller may not see (restricted ones) from a state.
async fn visible_state(
    client: &impl deadpool_postgres::GenericClient,
    user: &AuthUser,
    mut states: Vec<PassportState>,
) -> ApiResult<Vec<PassportState>> {
    let ids: Vec<Uuid> = states
        .iter()
        .flat_map(|s| s.documents.iter().map(|d| d.document_id))
        .collect();
    let shown = crate::passport::db::shown_documents(client, &Viewer::from(user), &ids).await?;
    for s in &mut states {
        s.documents.retain(|d| shown.contains(&d.document_id));
    }
    Ok(states)
}

fn stored_state(row: &db::SnapshotRow) -> ApiResult<PassportState> {
    serde_json::from_value(row.state.clone())
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("snapshot {} unreadable: {e}", row.id)))
}

/// List snapshots
#[utoipa::path(get, path = "/api/v1/performances/{id}/snapshots", tag = "passport",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = inline(Page<SnapshotSummary>), description = "Newest first"),
        (status = 400, description = "A bad cursor or limit"),
        (status = 403, description = "Lacks performance:view"), (status = 404, description = "No such performance")))]
#[instrument(skip_all)]
pub async fn list_snapshots(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<SnapshotSummary>>> {
    user.require(Permission::PerformanceView)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let rows = db::list(&client, user.theater_id, id, after, limit + 1).await?;
    let items = rows.iter().map(|r| summary(id, r)).collect();
    Ok(JsonResponse(Page::from_rows(items, limit, |s| {
        (s.created_at, s.id)
    })))
}

/// Takes a snapshot.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSnapshotRequest {
    /// E.g. "Премьера 12.03.2026".
    pub name: String,
    /// Default `manual`.
    #[serde(default)]
    pub kind: Option<SnapshotKind>,
}

/// Freeze the passport
#[utoipa::path(post, path = "/api/v1/performances/{id}/snapshots", tag = "passport",
    security(("bearer" = ["performance:edit"])), params(("id" = Uuid, Path)),
    request_body = CreateSnapshotRequest,
    responses((status = 201, body = SnapshotView, description = "The frozen passport"),
        (status = 403, description = "Lacks performance:edit"), (status = 404, description = "No such performance"),
        (status = 422, description = "An empty or overlong name")))]
#[instrument(skip_all)]
pub async fn create_snapshot(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateSnapshotRequest>,
) -> ApiResult<Response> {
    user.require(Permission::PerformanceEdit)?;
    let mut errors = FieldErrors::new();
    let name = errors.take("name", shared::text::text(&body.name, 200));
    let kind = body.kind.unwrap_or(SnapshotKind::Manual);
    let mut client = state.ctx.db.get().await?;
    // One consistent moment across sections, documents, kit and cast.
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await?;
    require_performance(&tx, user.theater_id, id, true).await?;
    let Some(name) = name else {
        return Err(errors.into_error());
    };
    let frozen = db::live_state(&tx, user.theater_id, id).await?;
    let json = serde_json::to_value(&frozen).map_err(|e| ApiError::Unexpected(e.into()))?;
    let row = db::insert(
        &tx,
        user.theater_id,
        id,
        &name,
        kind.as_str(),
        &json,
        user.user_id,
    )
    .await?;
    let summary = summary(id, &row);
    audit::record(
        &tx,
        AuditEntry::by(&user, "snapshot.create", "performance_snapshot", row.id).after(
            serde_json::json!({
                "performance_id": id, "name": name, "kind": kind,
                "sections": frozen.sections.len(), "documents": frozen.documents.len(),
                "kit_lines": frozen.kit.len(), "cast": frozen.cast.len(),
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    let mut states = visible_state(&state.ctx.db.get().await?, &user, vec![frozen]).await?;
    Ok(shared::http::created(
        1,
        SnapshotView {
            summary,
            state: states.remove(0),
        },
    ))
}

/// A snapshot
#[utoipa::path(get, path = "/api/v1/performances/{id}/snapshots/{snapshot_id}", tag = "passport",
    security(("bearer" = ["performance:view"])), params(("id" = Uuid, Path), ("snapshot_id" = Uuid, Path)),
    responses((status = 200, body = SnapshotView, description = "The frozen passport"),
        (status = 403, description = "Lacks performance:view"),
        (status = 404, description = "No such performance or snapshot")))]
#[instrument(skip_all)]
pub async fn get_snapshot(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, snapshot_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<JsonResponse<SnapshotView>> {
    user.require(Permission::PerformanceView)?;
    let client = state.ctx.db.get().await?;
    require_performance(&client, user.theater_id, id, false).await?;
    let row = db::load(&client, user.theater_id, id, snapshot_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut states = visible_state(&client, &user, vec![stored_state(&row)?]).await?;
    Ok(JsonResponse(SnapshotView {
        summary: summary(id, &row),
        state: states.remove(0),
    }))
}

/// Compare a snapshot with the live passport or another snapshot
#[utoipa::path(get, path = "/api/v1/performances/{id}/snapshots/{snapshot_id}/compare", tag = "passport",
    security(("bearer" = ["performance:view"])),
    params(("id" = Uuid, Path), ("snapshot_id" = Uuid, Path), CompareQuery),
    responses((status = 200, body = SnapshotComparison,
            description = "Per section changed or not; documents with newer versions, added, removed; kit and cast added and removed"),
        (status = 403, description = "Lacks performance:view"),
        (status = 404, description = "No such performance or snapshot (either of the two)"),
        (status = 400, description = "An unreadable `with`")))]
#[instrument(skip_all)]
pub async fn compare_snapshot(
    State(state): State<PerformancesState>,
    user: AuthUser,
    Path((id, snapshot_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<CompareQuery>,
) -> ApiResult<JsonResponse<SnapshotComparison>> {
    user.require(Permission::PerformanceView)?;
    let mut client = state.ctx.db.get().await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    require_performance(&tx, user.theater_id, id, false).await?;
    let row = db::load(&tx, user.theater_id, id, snapshot_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let with = match query.with {
        Some(with) => Some(
            db::load(&tx, user.theater_id, id, with)
                .await?
                .ok_or(ApiError::NotFound)?,
        ),
        None => None,
    };
    let newer = match &with {
        Some(with) => stored_state(with)?,
        None => db::live_state(&tx, user.theater_id, id).await?,
    };
    let states = visible_state(&tx, &user, vec![stored_state(&row)?, newer]).await?;
    tx.commit().await?;
    Ok(JsonResponse(SnapshotComparison {
        snapshot: summary(id, &row),
        with: with.as_ref().map(|w| summary(id, w)),
        compared_at: Utc::now(),
        diff: compare(&states[0], &states[1]),
    }))
}
