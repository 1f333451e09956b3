//! `GET /api/v1/reports/daily?date=YYYY-MM-DD&timezone=+08:00&format=json|markdown`: the daily
//! duty report (日报). The date defaults to today in the offset (default +08:00, China); a `+`
//! in the query must be sent as `%2B` (a bare `+` arrives as a space, which is also read as
//! east of UTC). JSON by default; `format=markdown` answers `text/markdown`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::cap::CHINA_OFFSET;
use crate::report::{self, Day, markdown, parse_offset};

/// The media type of the Markdown report.
pub(crate) const MARKDOWN_MEDIA_TYPE: &str = "text/markdown; charset=utf-8";

/// Query parameters of `GET /reports/daily`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DailyQuery {
    /// Local date, `YYYY-MM-DD`; today when absent.
    date: Option<String>,
    /// UTC offset, `+08:00` when absent.
    timezone: Option<String>,
    /// `json` (default) or `markdown`.
    format: Option<String>,
}

/// The daily report.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "desk", params(DailyQuery),
    responses(
        (status = 200, description = "The daily duty report (JSON, or Markdown with `format=markdown`)",
            content((crate::report::DailyReport = "application/json"), (String = "text/markdown"))),
        (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn daily(
    State(state): State<AppState>,
    query: Result<Query<DailyQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let markdown = match query.format.as_deref() {
        None | Some("json") => false,
        Some("markdown" | "md") => true,
        Some(other) => {
            return Err(ApiError::bad_query(format!(
                "`format` must be json or markdown, got `{other}`"
            )));
        }
    };
    let offset = match query.timezone.as_deref() {
        None => CHINA_OFFSET,
        Some(text) => parse_offset(text).map_err(|e| ApiError::bad_query(e.to_string()))?,
    };
    let now = state.clock.now();
    let day = match query.date.as_deref() {
        None => Day::containing(now, offset),
        Some(text) => Day::parse(text, offset).map_err(|e| ApiError::bad_query(e.to_string()))?,
    };
    let generation = state.generation();
    let report = report::from_store(&*state.store, &generation, day, now).await?;
    Ok(if markdown {
        (
            [(header::CONTENT_TYPE, MARKDOWN_MEDIA_TYPE)],
            markdown::render(&report),
        )
            .into_response()
    } else {
        Json(report).into_response()
    })
}
