//! `GET /api/v1/config/generations/{id}/files`: the exact text of every file of a stored
//! generation (shipped packs as `<builtin>/...`, the deployment's relative to it), so an auditor
//! can read the rule that produced any past warning (each history entry names its generation).
//! Optional `?path=` narrows the answer to one file.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};

use super::AppState;
use super::error::ApiError;
use crate::model::{GenerationId, SourceFile, Timestamp};

/// Query parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FilesQuery {
    /// Only the file with this path.
    path: Option<String>,
}

/// The answer: the generation and its files, in the order they were read.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct GenerationFiles {
    /// The generation.
    generation: GenerationId,
    /// Full SHA-256 of its text.
    hash: String,
    /// When it was first stored (clock time).
    created_at: Timestamp,
    /// Every file (or the one asked for) with its exact text.
    files: Vec<SourceFile>,
}

/// The files of generation `id`; 404 `not_found` for an unknown generation or path.
#[utoipa::path(get, path = "/api/v1/config/generations/{id}/files", tag = "system",
    params(("id" = String, Path, description = "The generation id"), FilesQuery),
    responses((status = 200, description = "The generation's files with their exact text", body = GenerationFiles), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer), (status = 404, description = "`not_found`: no such generation, or it has no file at `path`", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn files(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<FilesQuery>, QueryRejection>,
) -> Result<Json<GenerationFiles>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let generation = GenerationId::new(id.as_str());
    let record = state
        .store
        .generation(&generation)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no generation `{id}`")))?;
    let mut files = record.sources;
    if let Some(path) = &query.path {
        files.retain(|file| file.path == *path);
        if files.is_empty() {
            return Err(ApiError::not_found(format!(
                "generation `{id}` has no file `{path}`"
            )));
        }
    }
    Ok(Json(GenerationFiles {
        generation: record.id,
        hash: record.hash,
        created_at: record.created_at,
        files,
    }))
}
