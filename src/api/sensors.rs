//! `GET /api/v1/sensors`, `GET /api/v1/sensors/{id}` and `GET /api/v1/sensors/{id}/readings`:
//! the registry of the generation in force, with each sensor's last reading times and active
//! faults from the store.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};

use super::AppState;
use super::error::ApiError;
use super::params;
use crate::model::{
    AssetId, DepartmentId, DistrictCode, DomainId, FaultKind, Generation, GeoPoint, MetricId,
    Reading, Sensor, SensorId, Timestamp,
};
use crate::storage::FaultRecord;

/// When a sensor last reported one metric.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LastReading {
    /// The metric.
    metric: MetricId,
    /// Event time of the newest stored reading.
    ts: Timestamp,
}

/// An active device fault, as shown with its sensor.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ActiveFault {
    /// The metric concerned.
    metric: MetricId,
    /// What is wrong.
    kind: FaultKind,
    /// When it was raised.
    since: Timestamp,
}

/// A sensor as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct SensorView {
    /// Stable id.
    id: SensorId,
    /// Its domain.
    domain: DomainId,
    /// Object kind of the monitored asset.
    kind: String,
    /// The asset it monitors.
    asset: AssetId,
    /// District it stands in.
    district: DistrictCode,
    /// Responsible department.
    department: DepartmentId,
    /// Where it is installed.
    location: GeoPoint,
    /// Metrics it reports (its own list, or every metric of its domain).
    metrics: Vec<MetricId>,
    /// Newest stored reading time per metric.
    last_readings: Vec<LastReading>,
    /// Active device faults.
    active_faults: Vec<ActiveFault>,
}

fn view(
    generation: &Generation,
    sensor: &Sensor,
    last_readings: Vec<LastReading>,
    active_faults: Vec<ActiveFault>,
) -> SensorView {
    let metrics = if sensor.metrics.is_empty() {
        generation
            .domain(sensor.domain.as_str())
            .map(|domain| domain.metrics.clone())
            .unwrap_or_default()
    } else {
        sensor.metrics.clone()
    };
    SensorView {
        id: sensor.id.clone(),
        domain: sensor.domain.clone(),
        kind: sensor.kind.clone(),
        asset: sensor.asset.clone(),
        district: sensor.district.clone(),
        department: sensor.department.clone(),
        location: sensor.location,
        metrics,
        last_readings,
        active_faults,
    }
}

fn active(faults: Vec<FaultRecord>) -> HashMap<SensorId, Vec<ActiveFault>> {
    let mut by_sensor: HashMap<SensorId, Vec<ActiveFault>> = HashMap::new();
    for fault in faults.into_iter().filter(|f| f.active) {
        by_sensor
            .entry(fault.sensor)
            .or_default()
            .push(ActiveFault {
                metric: fault.metric,
                kind: fault.kind,
                since: fault.raised_at,
            });
    }
    by_sensor
}

/// Query parameters of `GET /sensors`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SensorQuery {
    /// Only this domain.
    domain: Option<String>,
    /// Only this district.
    district: Option<String>,
    /// At most this many (default 1000, at most 100000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// The list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct SensorList {
    /// Sensors in registry order.
    sensors: Vec<SensorView>,
}

/// Most faults read to annotate a sensor list.
const FAULT_SCAN_LIMIT: u32 = 10_000;

/// Lists sensors.
#[utoipa::path(get, path = "/api/v1/sensors", tag = "sensors", params(SensorQuery),
    responses((status = 200, description = "Sensors in registry order", body = SensorList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<SensorQuery>, QueryRejection>,
) -> Result<Json<SensorList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let limit = params::limit(query.limit.as_deref(), 1000, 100_000)? as usize;
    let generation = state.generation();
    let mut faults = active(state.store.faults(None, FAULT_SCAN_LIMIT).await?);
    let listed: Vec<_> = generation
        .sensors
        .iter()
        .filter(|s| {
            query
                .domain
                .as_deref()
                .is_none_or(|d| s.domain.as_str() == d)
        })
        .filter(|s| {
            query
                .district
                .as_deref()
                .is_none_or(|d| s.district.as_str() == d)
        })
        .take(limit)
        .collect();
    // One key-range query per listed sensor: bounded by `limit`, never a scan of all readings.
    let mut sensors = Vec::with_capacity(listed.len());
    for sensor in listed {
        let last = last_readings(&state, &sensor.id).await?;
        let active = faults.remove(&sensor.id).unwrap_or_default();
        sensors.push(view(&generation, sensor, last, active));
    }
    Ok(Json(SensorList { sensors }))
}

/// One sensor.
#[utoipa::path(get, path = "/api/v1/sensors/{id}", tag = "sensors",
    params(("id" = String, Path, description = "Sensor id", example = "gas-ch4-0001")),
    responses((status = 200, description = "The sensor", body = SensorView), (status = 404, description = "`not_found`: no such sensor", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SensorView>, ApiError> {
    let generation = state.generation();
    let sensor = generation
        .sensor(&id)
        .ok_or_else(|| ApiError::not_found(format!("no sensor `{id}`")))?;
    let last = last_readings(&state, &sensor.id).await?;
    let faults = state.store.faults(Some(&sensor.id), 1000).await?;
    let active = active(faults).remove(&sensor.id).unwrap_or_default();
    Ok(Json(view(&generation, sensor, last, active)))
}

/// The newest stored reading time of each metric of one sensor.
async fn last_readings(state: &AppState, sensor: &SensorId) -> Result<Vec<LastReading>, ApiError> {
    Ok(state
        .store
        .latest_reading_times(Some(sensor))
        .await?
        .into_iter()
        .map(|(_, metric, ts)| LastReading { metric, ts })
        .collect())
}

/// Query parameters of `GET /sensors/{id}/readings`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReadingQuery {
    /// Only this metric.
    metric: Option<String>,
    /// At or after (RFC 3339 or epoch ms).
    from: Option<String>,
    /// At or before (RFC 3339 or epoch ms).
    to: Option<String>,
    /// At most this many (default 1000, at most 10000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// The readings answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ReadingList {
    /// Readings, oldest first.
    readings: Vec<Reading>,
}

/// Stored readings of one sensor.
#[utoipa::path(get, path = "/api/v1/sensors/{id}/readings", tag = "sensors",
    params(("id" = String, Path, description = "Sensor id", example = "gas-ch4-0001"), ReadingQuery),
    responses((status = 200, description = "Stored readings, oldest first", body = ReadingList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer), (status = 404, description = "`not_found`: no such sensor", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn readings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ReadingQuery>, QueryRejection>,
) -> Result<Json<ReadingList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let generation = state.generation();
    let sensor = generation
        .sensor(&id)
        .ok_or_else(|| ApiError::not_found(format!("no sensor `{id}`")))?;
    let from = params::instant("from", query.from.as_deref())?;
    let to = params::instant("to", query.to.as_deref())?;
    let limit = params::limit(query.limit.as_deref(), 1000, 10_000)?;
    let metric = query.metric.as_deref().map(MetricId::from);
    let readings = state
        .store
        .readings(&sensor.id, metric.as_ref(), from, to, limit)
        .await?;
    Ok(Json(ReadingList { readings }))
}
