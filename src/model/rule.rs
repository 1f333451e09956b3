//! Compiled rules (no scripts yet): threshold ladders with persistence and hysteresis, rate of
//! change, and dual control. Device faults (offline, out of valid range) are not rules: they come
//! from each metric's reporting interval and valid range.

use std::time::Duration;

use super::domain::Ladder;
use super::ids::{DomainId, HazardId, MetricId, RuleId};

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
    /// The metric it reads.
    pub metric: MetricId,
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
}
