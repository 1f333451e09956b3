//! `GET /api/v1/warnings` (filtered list) and `GET /api/v1/warnings/{id}` (one warning with its
//! level history and evidence), plus `GET /api/v1/faults`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use super::params;
use super::views::{FaultView, WarningDetailView, WarningView};
use crate::model::{
    AssetId, DepartmentId, DistrictCode, DomainId, Generation, HazardId, Level, Principal,
    SensorId, Timestamp,
};
use crate::storage::{WarningFilter, WarningState};

/// Query parameters of `GET /warnings`, as text; parsed into a [`WarningFilter`].
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WarningQuery {
    /// `open` or `cleared`.
    state: Option<String>,
    /// `blue` .. `red`.
    level: Option<String>,
    /// Domain id.
    domain: Option<String>,
    /// District code.
    district: Option<String>,
    /// Department id.
    department: Option<String>,
    /// Asset id.
    asset: Option<String>,
    /// Hazard id.
    hazard: Option<String>,
    /// Changed at or after (RFC 3339 or epoch ms).
    since: Option<String>,
    /// Workflow stage of the warning's case (`issued`, `closed` ...).
    stage: Option<String>,
    /// `true`: exercises only; `false`: real warnings only.
    #[param(value_type = Option<bool>)]
    drill: Option<String>,
    /// `true`: only cases whose escalation timer is due now (overdue items).
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

impl WarningQuery {
    fn filter(&self, now: Timestamp, generation: &Generation) -> Result<WarningFilter, ApiError> {
        let state = match self.state.as_deref() {
            None => None,
            Some("open") => Some(WarningState::Open),
            Some("cleared") => Some(WarningState::Cleared),
            Some(other) => {
                return Err(ApiError::bad_query(format!(
                    "`state` must be open or cleared, got `{other}`"
                )));
            }
        };
        let level = match self.level.as_deref() {
            None => None,
            Some(name) => Some(Level::parse(name).ok_or_else(|| {
                ApiError::bad_query(format!(
                    "`level` must be blue, yellow, orange or red, got `{name}`"
                ))
            })?),
        };
        let overdue = flag("overdue", self.overdue.as_deref())?;
        Ok(WarningFilter {
            state,
            level,
            stage: params::stage(self.stage.as_deref(), generation)?,
            drill: flag("drill", self.drill.as_deref())?,
            due_before: (overdue == Some(true)).then_some(now),
            domain: self.domain.as_deref().map(DomainId::from),
            district: self.district.as_deref().map(DistrictCode::from),
            department: self.department.as_deref().map(DepartmentId::from),
            asset: self.asset.as_deref().map(AssetId::from),
            hazard: self.hazard.as_deref().map(HazardId::from),
            since: params::instant("since", self.since.as_deref())?,
            limit: params::limit(self.limit.as_deref(), 100, 1000)?,
            ..WarningFilter::default()
        })
    }
}

/// A `true`/`false` query parameter.
fn flag(name: &str, text: Option<&str>) -> Result<Option<bool>, ApiError> {
    match text {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad_query(format!(
            "`{name}` must be true or false, got `{other}`"
        ))),
    }
}

/// The list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct WarningList {
    /// Matching warnings, most recently changed first.
    warnings: Vec<WarningView>,
}

/// Lists warnings: for department and district users only their own
/// (`crate::auth::scope::narrow`; a filter cannot widen that).
#[utoipa::path(get, path = "/api/v1/warnings", tag = "warnings", params(WarningQuery),
    responses((status = 200, description = "Matching warnings, most recently changed first", body = WarningList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<WarningQuery>, QueryRejection>,
) -> Result<Json<WarningList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let mut filter = query.filter(state.clock.now(), &state.generation())?;
    crate::auth::scope::narrow(&principal, &mut filter);
    let warnings = state.store.warnings(&filter).await?;
    Ok(Json(WarningList {
        warnings: warnings.into_iter().map(Into::into).collect(),
    }))
}

/// One warning with its history.
#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "warnings",
    params(("id" = String, Path, description = "Warning id", example = "1")),
    responses((status = 200, description = "The warning with its level history", body = WarningDetailView), (status = 404, description = "`not_found`: no such warning", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WarningDetailView>, ApiError> {
    let not_found = || ApiError::not_found(format!("no warning `{id}`"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let detail = state.store.warning(number).await?.ok_or_else(not_found)?;
    Ok(Json(detail.into()))
}

/// Query parameters of `GET /faults`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FaultQuery {
    /// Only this sensor's faults.
    sensor: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// The fault list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct FaultList {
    /// Faults, active first, newest first.
    faults: Vec<FaultView>,
}

/// Lists device faults.
#[utoipa::path(get, path = "/api/v1/faults", tag = "sensors", params(FaultQuery),
    responses((status = 200, description = "Device faults, active first, newest first", body = FaultList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn faults(
    State(state): State<AppState>,
    query: Result<Query<FaultQuery>, QueryRejection>,
) -> Result<Json<FaultList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let limit = params::limit(query.limit.as_deref(), 100, 1000)?;
    let sensor = query.sensor.as_deref().map(SensorId::from);
    let faults = state
        .store
        .faults(sensor.as_ref(), limit)
        .await?
        .into_iter()
        .map(FaultView::from)
        .collect();
    Ok(Json(FaultList { faults }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &str) -> Result<WarningFilter, ApiError> {
        let uri: axum::http::Uri = format!("/api/v1/warnings?{pairs}").parse().unwrap();
        let Query(query) = Query::<WarningQuery>::try_from_uri(&uri).unwrap();
        // The shipped packs: their workflows define `issued`.
        let shipped = crate::compile::load(None).unwrap();
        query.filter(Timestamp(5_000), &shipped)
    }

    #[test]
    fn a_stage_must_be_one_a_workflow_defines() {
        for pairs in ["stage=isued", "stage=", "stage=Issued", "stage=a%20b"] {
            let error = query(pairs).unwrap_err();
            assert_eq!(error.code, crate::error::ErrorCode::BadQuery, "{pairs}");
            assert!(
                error.message.contains("`stage`"),
                "{pairs}: {}",
                error.message
            );
            assert!(
                error.message.contains("issued"),
                "lists the stages: {}",
                error.message
            );
        }
    }

    #[test]
    fn workflow_filters_reach_the_store_filter() {
        let filter = query("stage=issued&drill=false&overdue=true").unwrap();
        assert_eq!(filter.stage.as_deref(), Some("issued"));
        assert_eq!(filter.drill, Some(false));
        assert_eq!(
            filter.due_before,
            Some(Timestamp(5_000)),
            "overdue as of now"
        );
        let filter = query("drill=true&overdue=false").unwrap();
        assert_eq!((filter.drill, filter.due_before), (Some(true), None));
        let filter = query("").unwrap();
        assert_eq!(
            (filter.stage, filter.drill, filter.due_before),
            (None, None, None)
        );
    }

    #[test]
    fn a_bad_flag_is_a_bad_query_naming_it() {
        for (pairs, name) in [("drill=maybe", "`drill`"), ("overdue=1", "`overdue`")] {
            let error = query(pairs).unwrap_err();
            assert_eq!(error.code, crate::error::ErrorCode::BadQuery, "{pairs}");
            assert!(error.message.contains(name), "{pairs}: {}", error.message);
        }
    }
}
