//! Compiled rules: threshold ladders with persistence and hysteresis, rate of change, dual
//! control, Rhai scripts, and the composite primitives over alarms (a sequence on one asset, a
//! spatial cluster of sensors). Device faults (offline, out of valid range) are not rules: they
//! come from each metric's reporting interval and valid range.

use std::sync::Arc;
use std::time::Duration;

use super::coupling::Relation;
use super::domain::Ladder;
use super::ids::{DomainId, HazardId, MetricId, RuleId};
use super::level::Level;

/// How long a level's condition must hold before the level is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Persistence {
    /// Reached on the first reading past the threshold.
    Immediate,
    /// The condition must hold continuously for this long (event time), e.g. `for: 10m`.
    For(#[serde(with = "super::domain::duration_secs")] Duration),
    /// At least `n` of the last `m` readings must be past the threshold (`m` <= 16).
    Count {
        /// Readings that must be past the threshold.
        n: u8,
        /// Window of most recent readings.
        m: u8,
    },
}

/// When a raised level may come down again (hysteresis, `clear_after`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClearPolicy {
    /// The value must be this far back past the threshold (in the metric's unit) to count as clear.
    pub margin: f64,
    /// ... and stay there for this long before the level is lowered or cleared.
    #[serde(with = "super::domain::duration_secs")]
    pub after: Duration,
}

/// A rate of change: (last value - value at window start) / elapsed, scaled to `per`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RateSpec {
    /// How far back to look.
    #[serde(with = "super::domain::duration_secs")]
    pub window: Duration,
    /// The rate unit's time base (e.g. per minute, per day).
    #[serde(with = "super::domain::duration_secs")]
    pub per: Duration,
    /// Levels on the rate; a `Below` ladder on negative values catches drops.
    pub ladder: Ladder,
}

/// How a dual-control rule combines its two parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Both must be past a level (the lower of the two levels counts): 双控.
    All,
    /// Either is enough (the higher of the two levels counts).
    Any,
}

/// What a rule computes from a sensor's readings of its metric.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RuleKind {
    /// Four-level ladder on the value. `ladder: None` means "the metric's default ladder".
    Threshold {
        /// Explicit ladder, or the metric default (per-sensor overrides still apply).
        ladder: Option<Ladder>,
        /// How long each level must hold, indexed by [`super::Level::index`]
        /// (e.g. blue for 10m, yellow for 5m, orange and red at once).
        persistence: [Persistence; 4],
    },
    /// Four-level ladder on the rate of change.
    Rate(RateSpec),
    /// Cumulative value and rate together (e.g. settlement 20 mm and 2 mm/d).
    DualControl {
        /// Ladder on the cumulative value (metric default if `None`).
        cumulative: Option<Ladder>,
        /// The rate part.
        rate: RateSpec,
        /// `all` or `any`.
        combine: Combine,
    },
    /// A Rhai script run on each reading of the rule's metric.
    Script(ScriptSpec),
    /// "A then B within T" on one asset.
    Sequence(SequenceSpec),
    /// "At least N sensors of kind K within R metres alarm within T".
    Cluster(ClusterSpec),
}

/// A scripted rule.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScriptSpec {
    /// The script's path as shown in diagnostics (beside the rule file).
    pub file: String,
    /// How far back the script's windows may reach; the engine keeps this much history of every
    /// metric of the sensor (and of its neighbours when `neighbours` is set).
    #[serde(with = "super::domain::duration_secs")]
    pub lookback: Duration,
    /// Coupled assets the script may read, through the coupling graph.
    pub neighbours: Option<Neighbourhood>,
    /// The script's text.
    #[serde(skip)]
    pub source: Arc<str>,
    /// The compiled script.
    #[serde(skip)]
    pub program: Arc<rhai::AST>,
}

impl PartialEq for ScriptSpec {
    /// Two scripts are the same rule when their file, settings and text agree; the compiled
    /// program follows from the text.
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
            && self.lookback == other.lookback
            && self.neighbours == other.neighbours
            && self.source == other.source
    }
}

/// Assets reachable from the rule's asset through these relations within `hops` edges.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Neighbourhood {
    /// Relations followed, in either direction.
    pub relations: Vec<Relation>,
    /// Largest number of edges (1..=3).
    pub hops: u8,
}

/// Matches an alarm of another rule (or of any rule of a hazard) at or above a level.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AlarmMatch {
    /// A rule id, or any rule of `hazard` when `None`.
    pub rule: Option<RuleId>,
    /// The hazard, when matching by hazard.
    pub hazard: Option<HazardId>,
    /// Lowest alarm level that counts.
    pub min_level: Level,
}

/// "A then B within T" on one asset: when `then` matches on an asset less than `within` after
/// `first` matched on the same asset, the rule's alarm is raised to `level`; it clears when
/// `then` no longer matches.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SequenceSpec {
    /// What must happen first.
    pub first: AlarmMatch,
    /// What must follow.
    pub then: AlarmMatch,
    /// Largest gap between the two (event time).
    #[serde(with = "super::domain::duration_secs")]
    pub within: Duration,
    /// Level raised.
    pub level: Level,
}

/// A spatial cluster: when at least `count` sensors (of the rule's `objects` kinds) within
/// `radius_m` of each other have raised a matching alarm within `within`, every asset of the
/// cluster gets the rule's alarm at `level`; an asset's clears when its own alarm clears.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClusterSpec {
    /// The alarms that count.
    pub of: AlarmMatch,
    /// Sensors needed (>= 2).
    pub count: u8,
    /// Largest distance from the newest alarming sensor, in metres.
    pub radius_m: f64,
    /// Largest spread of the alarms in event time.
    #[serde(with = "super::domain::duration_secs")]
    pub within: Duration,
    /// Level raised.
    pub level: Level,
}

/// A compiled rule.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rule {
    /// Stable id, unique in a generation.
    pub id: RuleId,
    /// The domain it belongs to.
    pub domain: DomainId,
    /// The hazard a firing contributes to (one open warning per asset and hazard).
    pub hazard: HazardId,
    /// The metric it reads (`None` for sequence and cluster rules, which read alarms).
    pub metric: Option<MetricId>,
    /// Object kinds it applies to; empty means every sensor that reports the metric.
    pub objects: Vec<String>,
    /// What it computes.
    pub kind: RuleKind,
    /// Hysteresis.
    pub clear: ClearPolicy,
    /// Human description shown with the warning.
    pub description: String,
    /// Where its numbers come from (standard clause, `engineering_default` ...).
    pub basis: Option<String>,
    /// A shadow rule runs and records what it would have raised, without raising anything.
    pub shadow: bool,
}
