//! Reconciliation of the store with the configuration in force, at start-up and after a hot
//! reload. Between two runs (or by a reload) city staff may remove a rule, change one, move a
//! sensor to another asset or change a rule's hazard; the alarms and open warnings stored under
//! the old configuration would then never move again. After the engine is restored (or resumed
//! under the new generation, which drops the alarms of changed rules), this compares what the
//! store says is standing with what the engine says, and writes the corrections as ordinary
//! changes, so each one is in the warning's history with the new generation and a message saying
//! why.
//!
//! Warnings people entered are not the engine's to correct: a manual warning (hotline, citizen,
//! inspection) has no alarm behind it and is never lowered or cleared here, and neither is a drill
//! (the engine never touches exercises). A warning where a manual report merged with a sensor
//! warning is only ever raised to what the engine holds, never lowered or cleared: the duty
//! officer's judgement stands until the case is closed.

use rustc_hash::FxHashMap;

use crate::eval::Engine;
use crate::model::diff::{Judgement, judgement};
use crate::model::level::level_name;
use crate::model::{
    AlarmChange, AssetId, Change, Generation, GenerationId, HazardId, Level, OpenAlarm, RuleId,
    Source, Timestamp, WarningChange,
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
    let explain = |_: &RuleId, from: Option<Level>, to: Option<Level>| {
        format!(
            "{} configuration generation {}: {} -> {}",
            occasion.phrase(),
            generation.id,
            level_name(from),
            level_name(to)
        )
    };
    correct(engine, alarms, open_warnings, now, &explain)
}

/// The corrections after a reload from `previous` to the generation `engine` was resumed under
/// (`Engine::resume`), each explained by what the reload did to the rule that last moved the
/// warning ([`judgement`]): "regraded by generation G", "rule R removed by generation G",
/// "rule R replaced by generation G"; other moves (a cascade or the registry changed) are
/// "reconciled on reload". A warning whose rules judge as before gets none.
pub fn after_reload(
    engine: &Engine,
    previous: &Generation,
    alarms: &[OpenAlarm],
    open_warnings: &[WarningRecord],
    now: Timestamp,
) -> Vec<Change> {
    let generation = engine.generation();
    let explain = |rule: &RuleId, from: Option<Level>, to: Option<Level>| {
        reload_message(
            judgement(previous.rule(rule.as_str()), generation.rule(rule.as_str())),
            rule,
            &generation.id,
            (from, to),
        )
    };
    correct(engine, alarms, open_warnings, now, &explain)
}

/// The history message of a warning moved by a reload, from the judgement of its rule.
pub fn reload_message(
    judged: Option<Judgement>,
    rule: &RuleId,
    generation: &GenerationId,
    (from, to): (Option<Level>, Option<Level>),
) -> String {
    let what = match judged {
        Some(Judgement::Regraded) => format!("regraded by generation {generation}"),
        Some(Judgement::Removed) => format!("rule {rule} removed by generation {generation}"),
        Some(Judgement::Replaced) => format!(
            "rule {rule} replaced by generation {generation} (it judges something else now)"
        ),
        Some(Judgement::Same | Judgement::Added) | None => format!(
            "{} configuration generation {generation}",
            Occasion::Reload.phrase()
        ),
    };
    format!("{what}: {} -> {}", level_name(from), level_name(to))
}

/// The history message of a correction of a warning last moved by `rule`, from `from` to `to`.
type Explain<'a> = dyn Fn(&RuleId, Option<Level>, Option<Level>) -> String + 'a;

/// The corrections, each warning's message from `explain(rule, from, to)`.
fn correct(
    engine: &Engine,
    alarms: &[OpenAlarm],
    open_warnings: &[WarningRecord],
    now: Timestamp,
    explain: &Explain<'_>,
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

    // Alarms the engine holds that the store has none of (a rule regraded upwards on reload);
    // a shadow rule's levels are findings, not alarms.
    let held: Vec<OpenAlarm> = engine
        .standing_alarms()
        .into_iter()
        .filter(|alarm| {
            generation
                .rule(alarm.rule.as_str())
                .is_some_and(|r| !r.shadow)
        })
        .collect();
    for alarm in &held {
        let stored = alarms
            .iter()
            .any(|a| a.rule == alarm.rule && a.sensor == alarm.sensor);
        if !stored {
            changes.push(Change::Alarm(AlarmChange {
                rule: alarm.rule.clone(),
                sensor: alarm.sensor.clone(),
                asset: alarm.asset.clone(),
                hazard: alarm.hazard.clone(),
                from: None,
                to: Some(alarm.level),
                ts: now,
            }));
        }
    }

    let standing: FxHashMap<(AssetId, HazardId), Level> = engine
        .standing_warnings()
        .into_iter()
        .map(|(asset, hazard, level)| ((asset, hazard), level))
        .collect();

    // Drills are never the engine's; manual and merged warnings are handled below.
    let engine_side = || open_warnings.iter().filter(|warning| !warning.drill);

    // Open warnings whose level the new configuration no longer supports.
    for warning in engine_side() {
        let key = (warning.asset.clone(), warning.hazard.clone());
        let level = standing.get(&key).copied();
        let correct = match warning.source {
            Source::Sensor => level != Some(warning.level),
            Source::Merged => level > Some(warning.level),
            Source::Manual => false,
        };
        if !correct {
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
            message: explain(&warning.rule, Some(warning.level), level),
        }));
    }

    // Warnings the engine holds (from restored or regraded alarms) that the store has no open
    // row for, e.g. after a rule changed its hazard or a lowered threshold now reaches a level.
    let stored: FxHashMap<(AssetId, HazardId), Level> = engine_side()
        .map(|w| ((w.asset.clone(), w.hazard.clone()), w.level))
        .collect();
    for ((asset, hazard), level) in &standing {
        if stored.contains_key(&(asset.clone(), hazard.clone())) {
            continue;
        }
        let Some(asset_model) = generation.asset(asset.as_str()) else {
            continue;
        };
        // Who raised it: the highest alarm of that hazard on the asset, else (a cascade's target,
        // e.g. after the cascade's target changed) the cascade and the highest alarm of its
        // source hazard, as the engine names a cascaded warning.
        let own = held
            .iter()
            .filter(|a| a.asset == *asset && a.hazard == *hazard)
            .max_by_key(|a| a.level)
            .map(|a| (a.rule.clone(), a.sensor.clone()));
        let cascaded = || {
            generation
                .cascades
                .iter()
                .filter(|cascade| cascade.to.hazard == *hazard)
                .filter_map(|cascade| {
                    held.iter()
                        .filter(|a| a.hazard == cascade.from.hazard)
                        .max_by_key(|a| a.level)
                        .map(|a| (a.level, RuleId::new(cascade.id.as_str()), a.sensor.clone()))
                })
                .max_by_key(|(level, ..)| *level)
                .map(|(_, rule, sensor)| (rule, sensor))
        };
        let Some((rule, sensor)) = own.or_else(cascaded) else {
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
            message: explain(&rule, None, Some(*level)),
            rule,
            sensor,
            evidence: Vec::new(),
            causes: Vec::new(),
            details: serde_json::Value::Null,
            generation: generation.id.clone(),
        }));
    }
    changes
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::sync::Arc;

    use super::*;
    use crate::model::{Generation, Source};
    use crate::storage::{WarningRecord, WarningState};

    const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
"#;

    const RULES: &str = r#"version: 1
rules:
  - id: local.confined
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas
    description: methane next to a gas main
    threshold: {direction: above, levels: {yellow: 30, red: 80}}
"#;

    fn generation() -> Arc<Generation> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("city")).unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("city/registry.yaml"), REGISTRY).unwrap();
        std::fs::write(dir.path().join("rules/local.yaml"), RULES).unwrap();
        Arc::new(crate::compile::load(Some(dir.path())).unwrap())
    }

    fn open(id: i64, level: Level, source: Source, drill: bool) -> WarningRecord {
        WarningRecord {
            id,
            asset: "well-1".into(),
            hazard: "confined_gas".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            state: WarningState::Open,
            level,
            peak_level: level,
            opened_at: Timestamp(0),
            updated_at: Timestamp(0),
            cleared_at: None,
            rule: "local.confined".into(),
            sensor: "ch4-1".into(),
            generation: "g".into(),
            message: String::new(),
            causes: Vec::new(),
            source,
            drill,
            case: None,
        }
    }

    /// The target level of each warning correction.
    fn corrected(
        engine: &Engine,
        alarms: &[OpenAlarm],
        warnings: &[WarningRecord],
    ) -> Vec<Option<Level>> {
        corrections(engine, alarms, warnings, Timestamp(1), Occasion::StartUp)
            .into_iter()
            .filter_map(|change| match change {
                Change::Warning(warning) => Some(warning.to),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_sensor_warnings_are_lowered_or_cleared() {
        let engine = Engine::new(generation());
        // Nothing stands in the engine: a sensor warning is cleared ...
        assert_eq!(
            corrected(&engine, &[], &[open(1, Level::Red, Source::Sensor, false)]),
            [None]
        );
        // ... a manual report, a merged warning and a drill are not.
        for warning in [
            open(2, Level::Yellow, Source::Manual, false),
            open(3, Level::Red, Source::Merged, false),
            open(4, Level::Orange, Source::Manual, true),
        ] {
            assert!(
                corrected(&engine, &[], std::slice::from_ref(&warning)).is_empty(),
                "{warning:?}"
            );
        }
    }

    #[test]
    fn a_merged_warning_is_only_ever_raised_to_what_the_engine_holds() {
        let mut engine = Engine::new(generation());
        let alarm = OpenAlarm {
            rule: "local.confined".into(),
            sensor: "ch4-1".into(),
            asset: "well-1".into(),
            hazard: "confined_gas".into(),
            level: Level::Yellow,
            since: Timestamp(0),
        };
        engine.restore(std::slice::from_ref(&alarm), &[], &[]);
        let [(_, _, held)] = engine.standing_warnings()[..] else {
            panic!("one standing warning");
        };
        assert!(held > Level::Blue && held < Level::Red, "{held:?}");
        let below = Level::from_index(held.index() - 1).unwrap();
        let above = held.raised().unwrap();
        let alarms = [alarm];
        assert_eq!(
            corrected(&engine, &alarms, &[open(1, below, Source::Merged, false)]),
            [Some(held)]
        );
        assert!(corrected(&engine, &alarms, &[open(1, above, Source::Merged, false)]).is_empty());
        // The drill on the same asset and hazard neither counts as the engine's row nor moves.
        assert_eq!(
            corrected(
                &engine,
                &alarms,
                &[open(5, Level::Red, Source::Manual, true)]
            ),
            [Some(held)],
            "the engine's warning has no row of its own beside the drill, so it is opened"
        );
    }
}
