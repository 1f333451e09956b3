//! The quality gate: decides, for one parsed item, whether it is a reading Tocsin accepts, or which
//! stable code rejects it. Checks, in order: shape (`malformed_reading`), known sensor
//! (`unknown_sensor`), metric of the sensor's domain that the sensor reports (`unknown_metric`),
//! finite value (`not_finite`), parseable `ts` (`bad_timestamp`), not too far in the future
//! (`clock_skew`), not too old (`too_old`).
//!
//! A value outside the metric's valid range is accepted on purpose: it is a device fault, which
//! the engine raises, not a malformed reading.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::body::{NON_FINITE_SENTINEL, WireReading, WireTs};
use crate::error::ErrorCode;
use crate::model::{Generation, Reading, Timestamp};
use crate::settings::IngestSettings;

/// One item of a batch that the gate refused.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejection {
    /// Position in the batch (array index, or zero-based NDJSON line).
    pub index: usize,
    /// Stable reason code.
    pub code: ErrorCode,
    /// What was wrong, for people.
    pub message: String,
}

/// The checks of one generation's registry and the ingest limits.
#[derive(Clone, Debug)]
pub struct Gate {
    /// Sensors and metrics known in the generation in force.
    generation: Arc<Generation>,
    /// How far in the future `ts` may be.
    max_clock_skew: Duration,
    /// How old `ts` may be.
    max_age: Duration,
}

/// A rejection without its index.
type Refusal = (ErrorCode, String);

fn malformed(message: impl Into<String>) -> Refusal {
    (ErrorCode::MalformedReading, message.into())
}

impl Gate {
    /// A gate over `generation` with the limits of `settings`.
    pub fn new(generation: Arc<Generation>, settings: &IngestSettings) -> Gate {
        Gate {
            generation,
            max_clock_skew: settings.max_clock_skew,
            max_age: settings.max_age,
        }
    }

    /// The generation whose registry the gate checks against.
    pub fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// Checks one item at clock time `now`.
    pub fn check(&self, item: &Value, now: Timestamp) -> Result<Reading, (ErrorCode, String)> {
        let object = item
            .as_object()
            .ok_or_else(|| malformed("a reading is an object with sensor, metric, value, ts"))?;
        let sensor_id = text_field(object, "sensor")?;
        let metric_id = text_field(object, "metric")?;
        let value = match object.get("value") {
            Some(Value::Number(number)) => number.as_f64(),
            Some(Value::String(text)) if text == NON_FINITE_SENTINEL => None,
            Some(_) => return Err(malformed("`value` must be a JSON number")),
            None => return Err(malformed("missing `value`")),
        };
        let ts = object.get("ts").ok_or_else(|| malformed("missing `ts`"))?;
        if ts.as_str() == Some(NON_FINITE_SENTINEL) {
            // The placeholder is ours; the client wrote a bare NaN or Infinity.
            return Err((
                ErrorCode::BadTimestamp,
                "`ts` is NaN or infinite; send RFC 3339 text or epoch milliseconds".to_owned(),
            ));
        }
        if !(ts.is_string() || ts.is_number()) {
            return Err(malformed(
                "`ts` must be RFC 3339 text or epoch milliseconds",
            ));
        }
        self.check_fields(
            sensor_id,
            metric_id,
            value,
            parse_ts(ts),
            || ts.to_string(),
            now,
        )
    }

    /// Checks one reading read by the fast path at clock time `now`; the same checks and messages
    /// as [`Gate::check`].
    pub fn check_wire(&self, item: &WireReading<'_>, now: Timestamp) -> Result<Reading, Refusal> {
        let (ts, shown): (Option<Timestamp>, &dyn Fn() -> String) = match &item.ts {
            WireTs::Millis(ms) => (Some(Timestamp(*ms)), &|| String::new()),
            WireTs::Text(text) => (Timestamp::parse_rfc3339(text), &|| {
                serde_json::to_string(text).unwrap_or_default()
            }),
            WireTs::Unreadable(number) => (None, &|| number.to_string()),
        };
        self.check_fields(&item.sensor, &item.metric, Some(item.value), ts, shown, now)
    }

    /// The checks after the shape: registry, finiteness, time. `shown_ts` renders `ts` for a
    /// message and is called only when one is needed.
    fn check_fields(
        &self,
        sensor_id: &str,
        metric_id: &str,
        value: Option<f64>,
        ts: Option<Timestamp>,
        shown_ts: impl FnOnce() -> String,
        now: Timestamp,
    ) -> Result<Reading, Refusal> {
        let sensor = self.generation.sensor(sensor_id).ok_or_else(|| {
            (
                ErrorCode::UnknownSensor,
                format!("sensor `{sensor_id}` is not registered"),
            )
        })?;
        let metric = self
            .generation
            .metric(metric_id)
            .filter(|metric| metric.domain == sensor.domain)
            .filter(|metric| sensor.metrics.is_empty() || sensor.metrics.contains(&metric.id))
            .ok_or_else(|| {
                (
                    ErrorCode::UnknownMetric,
                    format!("sensor `{sensor_id}` does not report metric `{metric_id}`"),
                )
            })?;
        let value = value.filter(|v| v.is_finite()).ok_or_else(|| {
            (
                ErrorCode::NotFinite,
                "`value` is NaN or infinite".to_owned(),
            )
        })?;
        let ts = ts.ok_or_else(|| {
            (
                ErrorCode::BadTimestamp,
                format!(
                    "`ts` {} is neither RFC 3339 text nor epoch milliseconds",
                    shown_ts()
                ),
            )
        })?;
        if ts > now.plus(self.max_clock_skew) {
            return Err((
                ErrorCode::ClockSkew,
                format!(
                    "`ts` {ts} is more than {}s ahead of the server clock ({now})",
                    self.max_clock_skew.as_secs()
                ),
            ));
        }
        if ts < now.minus(self.max_age) {
            return Err((
                ErrorCode::TooOld,
                format!(
                    "`ts` {ts} is older than the accepted {}s history window",
                    self.max_age.as_secs()
                ),
            ));
        }
        Ok(Reading {
            sensor: sensor.id.clone(),
            metric: metric.id.clone(),
            value,
            ts,
        })
    }
}

fn text_field<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match object.get(name) {
        Some(Value::String(text)) if text == NON_FINITE_SENTINEL => Err(malformed(format!(
            "`{name}` must be a string, not NaN or infinite"
        ))),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(malformed(format!("`{name}` must be a string"))),
        None => Err(malformed(format!("missing `{name}`"))),
    }
}

fn parse_ts(ts: &Value) -> Option<Timestamp> {
    match ts {
        Value::String(text) => Timestamp::parse_rfc3339(text),
        Value::Number(number) => number.as_i64().map(Timestamp),
        _ => None,
    }
}
