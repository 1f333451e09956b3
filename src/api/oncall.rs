//! `GET /api/v1/oncall`: who is on duty and would be told, with their addresses per channel -
//! the same answer as `tocsin oncall` (`crate::contacts::oncall`), from the contacts and rosters
//! of the generation in force. `at` (RFC 3339 or epoch ms, now by default); `warning=N` answers
//! who would be told of stored warning N, `asset=` (with `level=`, orange by default) of a
//! hypothetical warning on an asset; without either, the city duty offices and every roster's
//! holders. `department=`, `district=` and `recipient=` (a recipient word) narrow the answer.
//!
//! Phone numbers and e-mail addresses are personal data: admins and duty officers see them in
//! full; a department user sees their own department's in full, a district user their own
//! district's; everyone else sees them masked (`"masked": true`). A department or district user
//! may ask about a warning only when they may see the warning.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};

use super::error::ApiError;
use super::{AppState, params};
use crate::auth::scope;
use crate::contacts::{self, oncall};
use crate::model::{DepartmentId, DistrictCode, GenerationId, Level, Principal, Role};
use crate::workflow::WarningFacts;

/// Query parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OncallQuery {
    /// The instant (RFC 3339 or epoch milliseconds); now when absent.
    at: Option<String>,
    /// Who would be told of this stored warning.
    #[param(value_type = Option<i64>)]
    warning: Option<String>,
    /// Who would be told of a warning on this asset.
    asset: Option<String>,
    /// The level of that warning (`blue`, `yellow`, `orange`, `red`; orange by default).
    level: Option<String>,
    /// Only this department.
    department: Option<String>,
    /// Only this district (code).
    district: Option<String>,
    /// Only this recipient word (`owner`, `lead_department`, `city_duty_office` ...).
    recipient: Option<String>,
}

/// Who is on duty and would be told.
#[utoipa::path(get, path = "/api/v1/oncall", tag = "desk", params(OncallQuery),
    responses(
        (status = 200, description = "Who would be told, per recipient word, with addresses per channel (masked where the reader may not see them)", body = crate::contacts::oncall::OnCall),
        (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer),
        (status = 404, description = "`not_found`: no such warning or asset (or one the reader may not see)", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn oncall(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<OncallQuery>, QueryRejection>,
) -> Result<Json<oncall::OnCall>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let at = params::instant("at", query.at.as_deref())?.unwrap_or_else(|| state.clock.now());
    let level = match query.level.as_deref() {
        None => Level::Orange,
        Some(text) => Level::parse(text).ok_or_else(|| {
            ApiError::bad_query(format!(
                "`level` must be blue, yellow, orange or red, got `{text}`"
            ))
        })?,
    };
    let generation = state.generation();
    let filters = oncall::Filters {
        department: query.department.as_deref().map(DepartmentId::new),
        district: query.district.as_deref().map(DistrictCode::new),
        word: query.recipient.clone(),
    };
    if let Some(department) = &filters.department
        && generation.department(department.as_str()).is_none()
    {
        return Err(ApiError::bad_query(format!(
            "`department` names no department: `{department}`"
        )));
    }
    let subject = match (&query.warning, &query.asset) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_query(
                "give `warning` or `asset`, not both".to_owned(),
            ));
        }
        (Some(text), None) => {
            let id = text.parse::<i64>().map_err(|_| {
                ApiError::bad_query(format!("`warning` must be a warning id, got `{text}`"))
            })?;
            let detail = state.store.warning(id).await?;
            let Some(record) = detail
                .map(|d| d.warning)
                .filter(|w| scope::may_see(&principal, w))
            else {
                return Err(ApiError::not_found(format!("no warning {id}")));
            };
            oncall::Subject::Warning {
                issued: record
                    .case
                    .as_ref()
                    .map(|c| c.issued_to.clone())
                    .unwrap_or_default(),
                facts: WarningFacts {
                    id: record.id,
                    asset: record.asset.clone(),
                    hazard: record.hazard.clone(),
                    domain: record.domain.clone(),
                    district: record.district.clone(),
                    department: record.department.clone(),
                    level: record.level,
                    drill: record.drill,
                    message: record.message.clone(),
                    generation: GenerationId::new(generation.id.as_str()),
                },
            }
        }
        (None, Some(asset)) => oncall::Subject::Asset(oncall::Probe {
            asset: asset.as_str(),
            level,
        }),
        (None, None) => oncall::Subject::Duty,
    };
    let directory = contacts::from_generation(&generation).map_err(|diagnostics| {
        tracing::error!(
            problems = diagnostics.len(),
            "the contacts of the generation in force do not compile"
        );
        ApiError::new(
            crate::error::ErrorCode::Internal,
            "the contacts of the generation in force do not compile; see the server log",
        )
    })?;
    let viewer = viewer(&principal);
    oncall::answer(&directory, &generation, &subject, &filters, &viewer, at)
        .map(Json)
        .map_err(|error| match error {
            oncall::OncallError::UnknownAsset(_) => ApiError::not_found(error.to_string()),
            oncall::OncallError::NoWorkflow(_) | oncall::OncallError::UnknownWord(_) => {
                ApiError::bad_query(error.to_string())
            }
        })
}

/// Whose addresses `principal` sees in full.
fn viewer(principal: &Principal) -> oncall::Viewer {
    match (principal.role, &principal.department, &principal.district) {
        (Role::Admin | Role::DutyOfficer, _, _) => oncall::Viewer::Everyone,
        (Role::DepartmentUser, Some(department), _) => {
            oncall::Viewer::Department(department.clone())
        }
        (Role::DistrictUser, _, Some(district)) => oncall::Viewer::District(district.clone()),
        _ => oncall::Viewer::Nobody,
    }
}
