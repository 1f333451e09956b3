//! `GET /api/v1/config`, `GET /api/v1/healthz`, `GET /api/v1/metrics`, and the JSON answers for
//! unknown routes and methods.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, Uri, header};
use axum::response::IntoResponse;

use super::AppState;
use super::error::ApiError;
use crate::error::ErrorCode;
use crate::model::{GenerationId, Summary};
use crate::storage::Backend;

/// The generation in force.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ConfigView {
    /// Short generation id.
    generation: GenerationId,
    /// Full SHA-256 of the sources.
    hash: String,
    /// Counts.
    summary: Summary,
}

/// Describes the generation in force.
#[utoipa::path(get, path = "/api/v1/config", tag = "system",
    responses((status = 200, description = "The generation in force", body = ConfigView)))]
pub(crate) async fn config(State(state): State<AppState>) -> Json<ConfigView> {
    let generation = state.generation();
    Json(ConfigView {
        generation: generation.id.clone(),
        hash: generation.hash.clone(),
        summary: generation.summary(),
    })
}

/// The health answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Always `ok` (failures answer 503 `store_unavailable`).
    status: &'static str,
    /// The store backend that answered.
    store: Backend,
    /// Batches waiting for the writer.
    queue_depth: usize,
}

/// Checks that the store answers a query.
#[utoipa::path(get, path = "/api/v1/healthz", tag = "system",
    responses((status = 200, description = "The store answers", body = Health), (status = 503, description = "`store_unavailable`", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let generation = state.generation();
    state.store.generation(&generation.id).await?;
    Ok(Json(Health {
        status: "ok",
        store: state.store.backend(),
        queue_depth: state.queue.depth(),
    }))
}

/// Prometheus text.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "system",
    responses((status = 200, description = "Prometheus / OpenMetrics text", content_type = "application/openmetrics-text", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.metrics.set_queue_depth(state.queue.depth());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// 404 `not_found` for any unknown route.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route `{}`", uri.path()))
}

/// 405 `method_not_allowed` for a known route with another method.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("`{method}` is not allowed on `{}`", uri.path()),
    )
}
