//! The duty desk over HTTP: `POST /api/v1/warnings/{id}/actions` (a workflow action: 签收,
//! 到场, 销号 ...) and `POST /api/v1/warnings` (a manual warning entered by the duty officer, or a
//! drill). Both act as the [`Principal`] the auth middleware put on the request; the desk checks
//! the warning's scope and the workflow the action's role, stage and fields.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use super::views::WarningView;
use crate::error::ErrorCode;
use crate::model::{Case, Principal};
use crate::workflow::ActionRequest;
use crate::workflow::desk::{DeskError, ManualReport, NextAction};

/// The answer to an action: the case as saved and what the user may do next.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ActionAnswer {
    /// The warning.
    warning: i64,
    /// Its case after the action.
    case: Case,
    /// Actions the user's role may take from the new stage.
    actions: Vec<NextAction>,
}

/// Takes a workflow action on a warning.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/actions", tag = "desk",
    params(("id" = String, Path, description = "Warning id", example = "1")),
    request_body(content = ActionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The case after the action and the actions the user may take next", body = ActionAnswer),
        (status = 400, description = "`malformed_body` or `unknown_action`", body = crate::api::openapi::ErrorAnswer),
        (status = 404, description = "`not_found`: no such warning", body = crate::api::openapi::ErrorAnswer),
        (status = 409, description = "`action_not_allowed` (not from this stage or not for this role) or `case_conflict` (changed meanwhile)", body = crate::api::openapi::ErrorAnswer),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = crate::api::openapi::ErrorAnswer),
        (status = 422, description = "`missing_field`: the action needs a field the request lacks", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Json<ActionAnswer>, ApiError> {
    let warning = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no warning `{id}`")))?;
    let Json(request) = body.map_err(|rejection| body_error(&rejection, "an action"))?;
    let case = state.desk.act(warning, &principal, &request).await?;
    let actions = state.desk.next_actions(&case, &principal);
    Ok(Json(ActionAnswer {
        warning,
        case,
        actions,
    }))
}

/// The answer to a manual warning.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ReportAnswer {
    /// The warning the report is now part of, with its case.
    warning: WarningView,
    /// True when it joined a live warning for the same asset and hazard.
    merged: bool,
}

/// Enters a manual warning (hotline, citizen, inspection, media) or a drill; 201 with the
/// warning it opened or merged into.
#[utoipa::path(post, path = "/api/v1/warnings", tag = "desk",
    request_body(content = ManualReport, content_type = "application/json"),
    responses(
        (status = 201, description = "The warning the report opened or merged into", body = ReportAnswer),
        (status = 400, description = "`malformed_body`, `unregistered_asset` or `unmonitored_hazard`", body = crate::api::openapi::ErrorAnswer),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = crate::api::openapi::ErrorAnswer),
        (status = 422, description = "`missing_field`", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<ManualReport>, JsonRejection>,
) -> Result<(StatusCode, Json<ReportAnswer>), ApiError> {
    let Json(report) = body.map_err(|rejection| body_error(&rejection, "a manual warning"))?;
    let outcome = state.desk.report(&principal, &report).await?;
    let detail = state.store.warning(outcome.warning).await?.ok_or_else(|| {
        tracing::error!(
            warning = outcome.warning,
            "manual warning stored but not found"
        );
        ApiError::new(
            ErrorCode::Internal,
            "the manual warning was stored but cannot be read back",
        )
    })?;
    Ok((
        StatusCode::CREATED,
        Json(ReportAnswer {
            warning: detail.warning.into(),
            merged: outcome.merged,
        }),
    ))
}

/// A body that is not JSON of the expected shape: 415 without a JSON content type, else 400
/// `malformed_body` with what serde said.
fn body_error(rejection: &JsonRejection, what: &str) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("send {what} as `Content-Type: application/json`"),
        ),
        other => ApiError::new(
            ErrorCode::MalformedBody,
            format!("body is not {what}: {}", other.body_text()),
        ),
    }
}

impl From<DeskError> for ApiError {
    fn from(error: DeskError) -> ApiError {
        match error {
            DeskError::Store(error) => ApiError::store(&error),
            DeskError::NoWorkflow(_) => {
                tracing::error!(%error, "duty desk cannot route a warning");
                ApiError::new(ErrorCode::Internal, error.to_string())
            }
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}
