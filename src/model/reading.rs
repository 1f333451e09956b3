//! A reading: one value of one metric from one sensor at one instant (event time).

use super::ids::{MetricId, SensorId};
use super::time::Timestamp;

/// A reading that passed the ingest quality gate: known sensor, known metric, finite value,
/// timestamp within the allowed clock skew. Idempotent on (`sensor`, `metric`, `ts`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Reading {
    /// The monitoring point that measured it.
    pub sensor: SensorId,
    /// What was measured.
    pub metric: MetricId,
    /// The measured value in the metric's unit.
    pub value: f64,
    /// When it was measured (event time).
    pub ts: Timestamp,
}
