//! Reconciliation of the store with the configuration in force, at start-up and after a hot
//! reload. Between two runs (or by a reload) city staff may remove a rule, change one, move a
//! sensor to another asset or change a rule's hazard; the alarms and open warnings stored under
//! the old configuration would then never move again. After the engine is restored (or resumed
//! under the new generation, which drops the alarms of changed rules), this compares what the
//! store says is standing with what the engine says, and writes the corrections as ordinary
//! changes, so each one is in the warning's history with the new generation and a message saying
//! why.

use rustc_hash::FxHashMap;

use crate::eval::Engine;
use crate::model::{
    AlarmChange, AssetId, Change, HazardId, Level, OpenAlarm, Timestamp, WarningChange,
};
use crate::storage::WarningRecord;

/// When the reconciliation runs; it says so in each correction's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occasion {
    /// The server started with the generation in force.
    StartUp,
    /// A reload put the generation in force.
    Reload,
}

impl Occasion {
    /// The words used in messages.
    const fn phrase(self) -> &'static str {
        match self {
            Occasion::StartUp => "reconciled at start-up with",
            Occasion::Reload => "reconciled on reload to",
        }
    }
}

/// The changes that bring the stored alarms and open warnings in line with `engine` (restored
/// from `alarms`, or resumed under a new generation); empty when they already agree.
pub fn corrections(
    engine: &Engine,
    alarms: &[OpenAlarm],
    open_warnings: &[WarningRecord],
    now: Timestamp,
    occasion: Occasion,
) -> Vec<Change> {
    let generation = engine.generation();
    let mut changes = Vec::new();

    // Stored alarms that the engine could not restore: the rule, the sensor or the binding is gone.
    for alarm in alarms {
        let level = engine.alarm_level(alarm.sensor.as_str(), alarm.rule.as_str());
        if level != Some(alarm.level) {
            changes.push(Change::Alarm(AlarmChange {
                rule: alarm.rule.clone(),
                sensor: alarm.sensor.clone(),
                asset: alarm.asset.clone(),
                hazard: alarm.hazard.clone(),
                from: Some(alarm.level),
                to: level,
                ts: now,
            }));
        }
    }

    let standing: FxHashMap<(AssetId, HazardId), Level> = engine
        .standing_warnings()
        .into_iter()
        .map(|(asset, hazard, level)| ((asset, hazard), level))
        .collect();
    let message = |from: Option<Level>, to: Option<Level>| {
        format!(
            "{} configuration generation {}: {} -> {}",
            occasion.phrase(),
            generation.id,
            crate::model::level::level_name(from),
            crate::model::level::level_name(to)
        )
    };

    // Open warnings whose level the new configuration no longer supports.
    for warning in open_warnings {
        let key = (warning.asset.clone(), warning.hazard.clone());
        let level = standing.get(&key).copied();
        if level == Some(warning.level) {
            continue;
        }
        changes.push(Change::Warning(WarningChange {
            asset: warning.asset.clone(),
            hazard: warning.hazard.clone(),
            domain: warning.domain.clone(),
            district: warning.district.clone(),
            department: warning.department.clone(),
            from: Some(warning.level),
            to: level,
            ts: now,
            rule: warning.rule.clone(),
            sensor: warning.sensor.clone(),
            evidence: Vec::new(),
            causes: Vec::new(),
            details: serde_json::Value::Null,
            generation: generation.id.clone(),
            message: message(Some(warning.level), level),
        }));
    }

    // Warnings the engine holds (from restored alarms) that the store has no open row for, e.g.
    // after a rule changed its hazard.
    let stored: FxHashMap<(AssetId, HazardId), Level> = open_warnings
        .iter()
        .map(|w| ((w.asset.clone(), w.hazard.clone()), w.level))
        .collect();
    for ((asset, hazard), level) in &standing {
        if stored.contains_key(&(asset.clone(), hazard.clone())) {
            continue;
        }
        let (Some(asset_model), Some(alarm)) = (
            generation.asset(asset.as_str()),
            alarms
                .iter()
                .find(|a| a.asset == *asset && a.hazard == *hazard),
        ) else {
            continue;
        };
        let Some(domain) = generation.domain(asset_model.domain.as_str()) else {
            continue;
        };
        changes.push(Change::Warning(WarningChange {
            asset: asset.clone(),
            hazard: hazard.clone(),
            domain: domain.id.clone(),
            district: asset_model.district.clone(),
            department: domain.lead_department.clone(),
            from: None,
            to: Some(*level),
            ts: now,
            rule: alarm.rule.clone(),
            sensor: alarm.sensor.clone(),
            evidence: Vec::new(),
            causes: Vec::new(),
            details: serde_json::Value::Null,
            generation: generation.id.clone(),
            message: message(None, Some(*level)),
        }));
    }
    changes
}
