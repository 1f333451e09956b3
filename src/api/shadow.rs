//! `GET /api/v1/shadow`: what shadow rules (`shadow: true`) would have raised, newest first, so a
//! rule can be tried on live data before it is allowed to raise warnings.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::AppState;
use super::error::ApiError;
use super::params;
use super::views::ShadowView;
use crate::model::RuleId;
use crate::storage::ShadowFilter;

/// Query parameters of `GET /shadow`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ShadowQuery {
    /// Only this rule's findings.
    rule: Option<String>,
    /// At or after this event time (RFC 3339 or epoch ms).
    since: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// The list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ShadowList {
    /// Findings, newest first.
    findings: Vec<ShadowView>,
}

/// Lists shadow findings.
#[utoipa::path(get, path = "/api/v1/shadow", tag = "system", params(ShadowQuery),
    responses((status = 200, description = "Shadow findings, newest first", body = ShadowList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<ShadowQuery>, QueryRejection>,
) -> Result<Json<ShadowList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let filter = ShadowFilter {
        rule: query.rule.as_deref().map(RuleId::from),
        since: params::instant("since", query.since.as_deref())?,
        limit: params::limit(query.limit.as_deref(), 100, 1000)?,
    };
    let findings = state
        .store
        .shadow_findings(&filter)
        .await?
        .into_iter()
        .map(ShadowView::from)
        .collect();
    Ok(Json(ShadowList { findings }))
}
