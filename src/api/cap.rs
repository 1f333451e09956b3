//! `GET /api/v1/warnings/{id}/cap`: the warning's current CAP 1.2 alert as XML
//! (`application/cap+xml`), or message `n` of its history with `?message=n`. 409 `not_issued`
//! before the warning is issued; department and district users get 403 outside their scope.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::auth::scope::may_see;
use crate::cap::{self, CapError, CapOptions};
use crate::error::ErrorCode;
use crate::model::Principal;
use crate::storage::AuditFilter;

/// The media type of a CAP message.
pub(crate) const CAP_MEDIA_TYPE: &str = "application/cap+xml; charset=utf-8";

/// Query parameters of `GET /warnings/{id}/cap`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CapQuery {
    /// Which message (from 1); the latest when absent.
    #[param(value_type = Option<u32>, minimum = 1)]
    message: Option<String>,
}

impl From<CapError> for ApiError {
    fn from(error: CapError) -> ApiError {
        ApiError::new(error.code(), error.to_string())
    }
}

/// The CAP alert of one warning.
#[utoipa::path(get, path = "/api/v1/warnings/{id}/cap", tag = "warnings",
    params(("id" = String, Path, description = "Warning id", example = "1"), CapQuery),
    responses(
        (status = 200, description = "The CAP 1.2 alert", content_type = "application/cap+xml", body = String),
        (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer), (status = 404, description = "`not_found`: no such warning", body = crate::api::openapi::ErrorAnswer),
        (status = 409, description = "`not_issued`: the warning has not been issued (or has no such message)", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn cap(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    query: Result<Query<CapQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let message = match query.message.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_query(format!(
                "`message` must be a message number from 1, got `{text}`"
            ))
        })?),
    };
    let not_found = || ApiError::not_found(format!("no warning `{id}`"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let detail = state.store.warning(number).await?.ok_or_else(not_found)?;
    if !may_see(&principal, &detail.warning) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("warning {number} is outside your department or district"),
        ));
    }
    let audit = state
        .store
        .audit(&AuditFilter {
            warning: Some(number),
            ..AuditFilter::default()
        })
        .await?;
    let generation = state.generation();
    let options = CapOptions::for_generation(&generation);
    let xml = match message {
        None => cap::alert(&generation, &detail, &audit, &options)?,
        Some(n) => cap::alert_number(&generation, &detail, &audit, &options, n)?,
    };
    Ok(([(header::CONTENT_TYPE, CAP_MEDIA_TYPE)], xml).into_response())
}
