//! What a case has seen so far, kept from the engine's changes alone (never by asking the
//! engine): the last warning change per (asset, hazard) with its causes, the last alarm and
//! shadow finding per (rule, sensor), the last fault change per (sensor, metric, kind). Because
//! the runner only reads `Change`s, new kinds of rule (scripts, sequences, cascades) are tested
//! through the same path with no change here.

use std::collections::HashMap;

use crate::model::{Cause, Change, FaultKind, Level, Timestamp};

/// A warning as last changed.
#[derive(Debug, Clone)]
pub(crate) struct WarningSeen {
    /// Level now (`None`: cleared).
    pub(crate) level: Option<Level>,
    /// When the level last moved.
    pub(crate) since: Timestamp,
    /// Rule of the last change.
    pub(crate) rule: String,
    /// Sensor of the last change.
    pub(crate) sensor: String,
    /// Causes of the last change.
    pub(crate) causes: Vec<Cause>,
    /// First time it was raised in the case.
    pub(crate) first_raised: Option<Timestamp>,
}

/// A level (alarm or shadow finding) as last changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LevelSeen {
    /// Level now.
    pub(crate) level: Option<Level>,
    /// When it last moved.
    pub(crate) since: Timestamp,
}

/// A device fault as last changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultSeen {
    /// Standing or not.
    pub(crate) active: bool,
    /// When it last changed.
    pub(crate) since: Timestamp,
}

/// One warning change, kept in order for the level history a failing case prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WarningStep {
    /// Asset id.
    pub(crate) asset: String,
    /// Hazard id.
    pub(crate) hazard: String,
    /// When the level moved.
    pub(crate) ts: Timestamp,
    /// Level it moved to (`None`: cleared).
    pub(crate) level: Option<Level>,
    /// Rule of the change.
    pub(crate) rule: String,
}

/// Everything seen, keyed by ids as text (the keys expectations are written with).
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// Every warning change, in the order the engine made them.
    steps: Vec<WarningStep>,
    /// By (asset, hazard).
    warnings: HashMap<(String, String), WarningSeen>,
    /// By (rule, sensor).
    alarms: HashMap<(String, String), LevelSeen>,
    /// By (rule, sensor).
    shadows: HashMap<(String, String), LevelSeen>,
    /// By (sensor, metric, kind).
    faults: HashMap<(String, String, FaultKind), FaultSeen>,
}

impl Observed {
    /// Takes one change into account.
    pub(crate) fn record(&mut self, change: &Change) {
        match change {
            Change::Warning(w) => {
                let key = (w.asset.to_string(), w.hazard.to_string());
                let first_raised = self.warnings.get(&key).and_then(|s| s.first_raised);
                let first_raised = first_raised.or(w.to.map(|_| w.ts));
                self.steps.push(WarningStep {
                    asset: key.0.clone(),
                    hazard: key.1.clone(),
                    ts: w.ts,
                    level: w.to,
                    rule: w.rule.to_string(),
                });
                self.warnings.insert(
                    key,
                    WarningSeen {
                        level: w.to,
                        since: w.ts,
                        rule: w.rule.to_string(),
                        sensor: w.sensor.to_string(),
                        causes: w.causes.clone(),
                        first_raised,
                    },
                );
            }
            Change::Alarm(a) => {
                let seen = LevelSeen {
                    level: a.to,
                    since: a.ts,
                };
                self.alarms
                    .insert((a.rule.to_string(), a.sensor.to_string()), seen);
            }
            Change::Shadow(s) => {
                let seen = LevelSeen {
                    level: s.to,
                    since: s.ts,
                };
                self.shadows
                    .insert((s.rule.to_string(), s.sensor.to_string()), seen);
            }
            Change::Fault(f) => {
                let seen = FaultSeen {
                    active: f.active,
                    since: f.ts,
                };
                self.faults
                    .insert((f.sensor.to_string(), f.metric.to_string(), f.kind), seen);
            }
        }
    }

    /// The warning of (asset, hazard), if it ever changed.
    pub(crate) fn warning(&self, asset: &str, hazard: &str) -> Option<&WarningSeen> {
        self.warnings.get(&(asset.to_owned(), hazard.to_owned()))
    }

    /// Every warning change of `asset` (any hazard), in order.
    pub(crate) fn steps_of<'s>(&'s self, asset: &'s str) -> impl Iterator<Item = &'s WarningStep> {
        self.steps.iter().filter(move |step| step.asset == asset)
    }

    /// The alarm of (rule, sensor), if it ever moved.
    pub(crate) fn alarm(&self, rule: &str, sensor: &str) -> Option<LevelSeen> {
        self.alarms
            .get(&(rule.to_owned(), sensor.to_owned()))
            .copied()
    }

    /// The last shadow finding of (rule, sensor), if any.
    pub(crate) fn shadow(&self, rule: &str, sensor: &str) -> Option<LevelSeen> {
        self.shadows
            .get(&(rule.to_owned(), sensor.to_owned()))
            .copied()
    }

    /// The fault of (sensor, metric, kind), if it ever changed.
    pub(crate) fn fault(&self, sensor: &str, metric: &str, kind: FaultKind) -> Option<FaultSeen> {
        self.faults
            .get(&(sensor.to_owned(), metric.to_owned(), kind))
            .copied()
    }
}
