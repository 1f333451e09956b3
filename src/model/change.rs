//! What the engine produces: alarm changes (a rule's level for one sensor), warning changes (the
//! graded judgement for an asset and hazard) and device faults. The three are kept apart, as the
//! domain requires (报警 / 预警 / 故障).

use super::coupling::Cause;
use super::ids::{
    AssetId, DepartmentId, DistrictCode, DomainId, GenerationId, HazardId, MetricId, RuleId,
    SensorId,
};
use super::level::Level;
use super::reading::Reading;
use super::time::Timestamp;

/// A rule's level for one sensor changed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AlarmChange {
    /// The rule.
    pub rule: RuleId,
    /// The sensor it evaluated.
    pub sensor: SensorId,
    /// The asset the sensor monitors.
    pub asset: AssetId,
    /// The hazard the rule contributes to.
    pub hazard: HazardId,
    /// Level before.
    pub from: Option<Level>,
    /// Level after; `None` means the alarm cleared.
    pub to: Option<Level>,
    /// Event time of the reading that caused the change.
    pub ts: Timestamp,
}

/// The warning for an (asset, hazard) was raised, lowered or cleared.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WarningChange {
    /// The asset the warning is about.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// The asset's domain.
    pub domain: DomainId,
    /// District responsible (属地).
    pub district: DistrictCode,
    /// Department the warning goes to (the domain's lead department).
    pub department: DepartmentId,
    /// Level before; `None` means this change opens the warning.
    pub from: Option<Level>,
    /// Level after; `None` means the warning cleared.
    pub to: Option<Level>,
    /// Event time of the change.
    pub ts: Timestamp,
    /// The rule whose alarm moved the warning.
    pub rule: RuleId,
    /// The sensor whose reading moved it.
    pub sensor: SensorId,
    /// The readings that justify the change (latest last).
    pub evidence: Vec<Reading>,
    /// Config generation that produced the change.
    pub generation: GenerationId,
    /// One line for people, e.g. "gas.ch4_adjacent 52 %LEL >= red 50".
    pub message: String,
    /// Upstream warnings whose cascades raised this one's likelihood (empty when none): the
    /// "why" of a derived or raised warning.
    pub causes: Vec<Cause>,
    /// What a script returned as evidence, or what a composite rule matched; `Null` when none.
    pub details: serde_json::Value,
}

/// What a shadow rule (`shadow: true`) would have done: its alarm moved, but nothing was raised.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShadowFinding {
    /// The shadow rule.
    pub rule: RuleId,
    /// The sensor it evaluated.
    pub sensor: SensorId,
    /// The asset.
    pub asset: AssetId,
    /// The hazard it would have contributed to.
    pub hazard: HazardId,
    /// Level before.
    pub from: Option<Level>,
    /// Level it would have moved to.
    pub to: Option<Level>,
    /// Event time.
    pub ts: Timestamp,
    /// One line for people.
    pub message: String,
    /// Config generation in force.
    pub generation: GenerationId,
}

/// Kinds of device fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No reading for the configured number of reporting intervals.
    Offline,
    /// A value outside the metric's valid range.
    OutOfRange,
}

impl FaultKind {
    /// Stable name used in the API and store.
    pub const fn as_str(self) -> &'static str {
        match self {
            FaultKind::Offline => "offline",
            FaultKind::OutOfRange => "out_of_range",
        }
    }
}

/// A device fault was raised or cleared.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FaultChange {
    /// The sensor at fault.
    pub sensor: SensorId,
    /// The metric concerned.
    pub metric: MetricId,
    /// What is wrong.
    pub kind: FaultKind,
    /// `true` when raised, `false` when cleared.
    pub active: bool,
    /// When (event time for range faults, clock time for offline).
    pub ts: Timestamp,
    /// Detail for people ("no reading for 30m", "value 180 outside 0..100").
    pub detail: String,
    /// Config generation in force.
    pub generation: GenerationId,
}

/// Everything the engine can emit for one reading or clock tick.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A rule's level for a sensor moved.
    Alarm(AlarmChange),
    /// A warning opened, moved or cleared.
    Warning(WarningChange),
    /// A device fault was raised or cleared.
    Fault(FaultChange),
    /// A shadow rule's alarm moved (recorded, never raised).
    Shadow(ShadowFinding),
}

/// An alarm that is standing (level above none), as the store keeps it so a restarted engine
/// resumes without losing or duplicating warnings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OpenAlarm {
    /// The rule.
    pub rule: RuleId,
    /// The sensor.
    pub sensor: SensorId,
    /// The asset the sensor monitors.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// Its current level.
    pub level: Level,
    /// When it last changed.
    pub since: Timestamp,
}

/// A device fault that is active.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OpenFault {
    /// The sensor at fault.
    pub sensor: SensorId,
    /// The metric concerned.
    pub metric: MetricId,
    /// What is wrong.
    pub kind: FaultKind,
    /// When it was raised.
    pub since: Timestamp,
}
