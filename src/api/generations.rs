//! `GET /api/v1/config/generations`: the stored configuration generations, the most recently
//! activated first, each with its counts and what changed when it went into force.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::AppState;
use super::error::ApiError;
use super::params;
use crate::model::{GenerationId, Summary, Timestamp};
use crate::storage::GenerationListing;

/// Query parameters of `GET /config/generations`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct GenerationQuery {
    /// At most this many (default 50, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// One generation of the list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct GenerationView {
    /// Short id.
    id: GenerationId,
    /// Full SHA-256.
    hash: String,
    /// When it was first stored (clock time).
    created_at: Timestamp,
    /// When it last went into force; `None` if it never did (stored, then refused or superseded
    /// before activation).
    activated_at: Option<Timestamp>,
    /// Counts.
    summary: Summary,
    /// What changed against the generation it replaced, as recorded at its latest activation
    /// (`null` when never activated).
    changes: serde_json::Value,
    /// Whether it is the generation in force.
    active: bool,
}

impl GenerationView {
    /// The view of a stored listing, `active` when it is the generation `current`.
    fn new(listing: GenerationListing, current: &GenerationId) -> GenerationView {
        GenerationView {
            active: listing.id == *current,
            id: listing.id,
            hash: listing.hash,
            created_at: listing.created_at,
            activated_at: listing.activated_at,
            summary: listing.summary,
            changes: listing.changes,
        }
    }
}

/// The list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct GenerationList {
    /// The generation in force.
    current: GenerationId,
    /// Stored generations, the most recently activated first.
    generations: Vec<GenerationView>,
}

/// Lists generations.
#[utoipa::path(get, path = "/api/v1/config/generations", tag = "system", params(GenerationQuery),
    responses((status = 200, description = "Stored generations, the most recently activated first", body = GenerationList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<GenerationQuery>, QueryRejection>,
) -> Result<Json<GenerationList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let limit = params::limit(query.limit.as_deref(), 50, 1000)?;
    let current = state.generation().id.clone();
    let generations = state
        .store
        .generations(limit)
        .await?
        .into_iter()
        .map(|listing| GenerationView::new(listing, &current))
        .collect();
    Ok(Json(GenerationList {
        current,
        generations,
    }))
}
