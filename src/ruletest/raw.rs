//! Rule test files (`rules/**/*.test.yaml`) exactly as rule editors write them: `Deserialize`
//! only, unknown keys rejected, durations kept as text so `case` can report a bad one at its
//! position. The registry fragment is not read here: `fragment` takes its text from the file so
//! the compiler reports its problems at their own lines.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::config::format::{ListChecker, Listed};
use crate::config::raw::{DurationText, Version};

impl Listed for TestDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<CaseDef>("cases");
    }
}

/// A `*.test.yaml` document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestDoc {
    /// Must be 1.
    #[allow(dead_code, reason = "checked by deserializing")]
    pub(crate) version: Version,
    /// The cases, run in order.
    #[serde(default)]
    pub(crate) cases: Vec<CaseDef>,
}

/// One case: a registry (or the deployment's), readings, expectations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseDef {
    /// Shown in the report.
    pub(crate) name: String,
    /// A `city/*.yaml` document without `version:`; replaces the deployment's `city/`.
    /// Only its presence is read here (the text is compiled from the file).
    pub(crate) registry: Option<IgnoredAny>,
    /// RFC 3339 instant that offsets count from; default 2026-01-01T00:00:00Z.
    pub(crate) start: Option<String>,
    /// Readings at offsets from `start`.
    #[serde(default)]
    pub(crate) readings: Vec<ReadingDef>,
    /// People's workflow actions at offsets from `start`.
    #[serde(default)]
    pub(crate) actions: Vec<ActionDef>,
    /// What must hold, and when.
    #[serde(default)]
    pub(crate) expect: Vec<ExpectDef>,
}

/// `{at, sensor, metric, value}` or a series `{at, sensor, metric, values, every}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadingDef {
    /// Offset of the (first) reading.
    pub(crate) at: DurationText,
    /// Sensor id.
    pub(crate) sensor: String,
    /// Metric id.
    pub(crate) metric: String,
    /// One value.
    pub(crate) value: Option<f64>,
    /// A series of values, one every `every`.
    pub(crate) values: Option<Vec<f64>>,
    /// Spacing of a series.
    pub(crate) every: Option<DurationText>,
}

/// `{at, action, by}` with `note`, `evidence`, the warning (`asset` + `hazard`, needed when the
/// case has several) and the refusal expected (`refused: missing_field`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionDef {
    /// Offset it is taken at.
    pub(crate) at: DurationText,
    /// The workflow action (`issue`, `acknowledge`, `close` ...).
    pub(crate) action: String,
    /// The role of the user taking it.
    pub(crate) by: String,
    /// Free text.
    pub(crate) note: Option<String>,
    /// Evidence items.
    #[serde(default)]
    pub(crate) evidence: Vec<String>,
    /// The API error code the action must be refused with.
    pub(crate) refused: Option<String>,
    /// Asset of the warning acted on.
    pub(crate) asset: Option<String>,
    /// Hazard of the warning acted on.
    pub(crate) hazard: Option<String>,
}

/// One expectation. Which keys are set says what kind it is; `case` checks the combination.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectDef {
    /// When it must hold.
    pub(crate) at: Option<DurationText>,
    /// A warning raised earlier in the case is cleared at or before this offset.
    pub(crate) cleared_by: Option<DurationText>,
    /// Asset of a warning expectation.
    pub(crate) asset: Option<String>,
    /// Hazard of a warning expectation.
    pub(crate) hazard: Option<String>,
    /// Level of a warning expectation (`none`: no open warning).
    pub(crate) level: Option<LevelDef>,
    /// The cascades and upstream warnings that raised the warning.
    pub(crate) caused_by: Option<Vec<CauseDef>>,
    /// The workflow stage of the warning's case (`none`: no case).
    pub(crate) stage: Option<String>,
    /// Recipients (words or department ids) an escalation rung has told; `[]`: none yet.
    pub(crate) escalated_to: Option<Vec<String>>,
    /// Recipients (words or department ids) any notification has told; `[]`: nobody yet.
    pub(crate) notified: Option<Vec<String>>,
    /// How many escalation rungs of the current stage have fired.
    pub(crate) escalations: Option<u32>,
    /// Whether a supervision item (督办件) is open.
    pub(crate) supervised: Option<bool>,
    /// A shadow rule's finding.
    pub(crate) shadow: Option<RuleLevelDef>,
    /// A rule's alarm on a sensor.
    pub(crate) alarm: Option<RuleLevelDef>,
    /// A device fault.
    pub(crate) fault: Option<FaultDef>,
}

/// `none` or a level name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LevelDef {
    /// No level.
    None,
    /// 四级.
    Blue,
    /// 三级.
    Yellow,
    /// 二级.
    Orange,
    /// 一级.
    Red,
}

/// `{cascade, asset, hazard}`: one upstream cause.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CauseDef {
    /// Cascade rule id.
    pub(crate) cascade: String,
    /// Upstream asset id.
    pub(crate) asset: String,
    /// Upstream hazard.
    pub(crate) hazard: String,
}

/// `{rule, sensor, level}` of an alarm or shadow expectation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleLevelDef {
    /// Rule id.
    pub(crate) rule: String,
    /// Sensor id.
    pub(crate) sensor: String,
    /// Expected level (`none`: not standing).
    pub(crate) level: LevelDef,
}

/// `{sensor, metric, kind, active}` of a fault expectation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultDef {
    /// Sensor id.
    pub(crate) sensor: String,
    /// Metric id.
    pub(crate) metric: String,
    /// `offline` or `out_of_range`.
    pub(crate) kind: FaultKindDef,
    /// Whether the fault stands; default true.
    pub(crate) active: Option<bool>,
}

/// Kinds of device fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultKindDef {
    /// No reading for too long.
    Offline,
    /// A value outside the valid range.
    OutOfRange,
}
