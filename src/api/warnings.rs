//! `GET /api/v1/warnings` (filtered list) and `GET /api/v1/warnings/{id}` (one warning with its
//! level history and evidence), plus `GET /api/v1/faults`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use super::params;
use crate::model::{
    AssetId, DepartmentId, DistrictCode, DomainId, HazardId, Level, Principal, SensorId,
};
use crate::storage::{FaultRecord, WarningDetail, WarningFilter, WarningRecord, WarningState};

/// Query parameters of `GET /warnings`, as text; parsed into a [`WarningFilter`].
#[derive(Debug, Default, serde::Deserialize)]
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
    /// At most this many (default 100, at most 1000).
    limit: Option<String>,
}

impl WarningQuery {
    fn filter(&self) -> Result<WarningFilter, ApiError> {
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
        Ok(WarningFilter {
            state,
            level,
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

/// The list answer.
#[derive(Debug, serde::Serialize)]
pub(crate) struct WarningList {
    /// Matching warnings, most recently changed first.
    warnings: Vec<WarningRecord>,
}

/// Lists warnings: for department and district users only their own
/// (`crate::auth::scope::narrow`; a filter cannot widen that).
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<WarningQuery>, QueryRejection>,
) -> Result<Json<WarningList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let mut filter = query.filter()?;
    crate::auth::scope::narrow(&principal, &mut filter);
    let warnings = state.store.warnings(&filter).await?;
    Ok(Json(WarningList { warnings }))
}

/// One warning with its history.
pub(crate) async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WarningDetail>, ApiError> {
    let not_found = || ApiError::not_found(format!("no warning `{id}`"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let detail = state.store.warning(number).await?.ok_or_else(not_found)?;
    Ok(Json(detail))
}

/// Query parameters of `GET /faults`.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct FaultQuery {
    /// Only this sensor's faults.
    sensor: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<String>,
}

/// The fault list answer.
#[derive(Debug, serde::Serialize)]
pub(crate) struct FaultList {
    /// Faults, active first, newest first.
    faults: Vec<FaultRecord>,
}

/// Lists device faults.
pub(crate) async fn faults(
    State(state): State<AppState>,
    query: Result<Query<FaultQuery>, QueryRejection>,
) -> Result<Json<FaultList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let limit = params::limit(query.limit.as_deref(), 100, 1000)?;
    let sensor = query.sensor.as_deref().map(SensorId::from);
    let faults = state.store.faults(sensor.as_ref(), limit).await?;
    Ok(Json(FaultList { faults }))
}
