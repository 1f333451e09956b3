//! Beyond single rules: shadow rules, sequences, clusters, cascades with their cause chains,
//! risk grading, and scripted rules (with faults), through the whole engine.

use std::sync::Arc;
use std::time::Duration;

use super::fixture::*;
use super::{engine, run};
use crate::model::{
    AlarmMatch, AssetFilter, AssetIx, Cascade, CascadeSource, CascadeTarget, Change, ClusterSpec,
    ConsequenceSpec, Edge, EdgeOrigin, GeoPoint, Grading, Level, Persistence, Receptor,
    ReceptorKind, ReceptorRule, Relation, RuleKind, ScriptSpec, SequenceSpec,
};

pub(crate) const IMMEDIATE: [Persistence; 4] = [Persistence::Immediate; 4];
const B: Option<Level> = Some(Level::Blue);
const Y: Option<Level> = Some(Level::Yellow);
const O: Option<Level> = Some(Level::Orange);
pub(crate) const R: Option<Level> = Some(Level::Red);

fn ch4(sensor: &str, minutes: f64, value: f64) -> crate::model::Reading {
    reading(sensor, "gas.ch4", minutes, value)
}

fn shadows(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter(|c| matches!(c, Change::Shadow(_)))
        .count()
}

#[test]
fn a_shadow_rule_records_what_it_would_raise_and_raises_nothing() {
    let mut rule = threshold("gas.ch4.candidate", "gas.ch4", IMMEDIATE);
    rule.shadow = true;
    let generation = build(parts(vec![rule]));
    let mut engine = engine(&generation);
    let changes = run(&mut engine, &[ch4("s1", 0.0, 12.0), ch4("s1", 1.0, 60.0)]);
    assert_eq!(shadows(&changes), 2);
    assert!(warnings(&changes).is_empty());
    assert!(!changes.iter().any(|c| matches!(c, Change::Alarm(_))));
    let Some(Change::Shadow(finding)) = changes.last() else {
        panic!("no shadow finding: {changes:?}");
    };
    assert_eq!((finding.from, finding.to), (Y, R));
    assert_eq!(engine.warning_level("well-1", "gas_leak"), None);
}

pub(crate) fn pressure_low() -> crate::model::Rule {
    rule(
        "gas.pressure.low",
        "gas.pressure",
        RuleKind::Threshold {
            ladder: Some(low_pressure()),
            persistence: IMMEDIATE,
        },
    )
}

pub(crate) fn sequence(within_min: u64) -> crate::model::Rule {
    let mut rule = rule(
        "gas.leak_then_drop",
        "gas.ch4",
        RuleKind::Sequence(SequenceSpec {
            first: AlarmMatch {
                rule: Some("gas.ch4.ladder".into()),
                hazard: None,
                min_level: Level::Yellow,
            },
            then: AlarmMatch {
                rule: Some("gas.pressure.low".into()),
                hazard: None,
                min_level: Level::Blue,
            },
            within: Duration::from_secs(within_min * 60),
            level: Level::Red,
        }),
    );
    rule.metric = None;
    rule.hazard = "pipe_break".into();
    rule
}

#[test]
fn a_sequence_fires_only_when_the_second_follows_within_the_window() {
    let rules = vec![
        threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
        pressure_low(),
        sequence(10),
    ];
    let generation = build(parts(rules));
    let mut engine = engine(&generation);
    let changes = run(
        &mut engine,
        &[
            ch4("s1", 0.0, 12.0),
            reading("s1", "gas.pressure", 5.0, 0.25),
        ],
    );
    assert_eq!(engine.warning_level("well-1", "pipe_break"), R);
    let raised = warnings(&changes)
        .into_iter()
        .find(|w| w.hazard.as_str() == "pipe_break")
        .cloned();
    let raised = raised.expect("pipe_break warning");
    assert!(
        raised.message.contains("gas.pressure.low followed"),
        "{}",
        raised.message
    );
    // the pressure recovers: the sequence alarm clears with it
    run(&mut engine, &[reading("s1", "gas.pressure", 6.0, 0.4)]);
    run(&mut engine, &[reading("s1", "gas.pressure", 17.0, 0.4)]);
    assert_eq!(engine.warning_level("well-1", "pipe_break"), None);

    // too late: the drop comes 11 minutes after the gas
    let mut late = super::engine(&generation);
    run(
        &mut late,
        &[
            ch4("s1", 0.0, 12.0),
            reading("s1", "gas.pressure", 11.0, 0.25),
        ],
    );
    assert_eq!(late.warning_level("well-1", "pipe_break"), None);
    assert_eq!(late.warning_level("well-1", "gas_leak"), Y);
}

fn cluster_parts(far: bool) -> crate::model::GenerationParts {
    let mut cluster = rule(
        "gas.cluster",
        "gas.ch4",
        RuleKind::Cluster(ClusterSpec {
            of: AlarmMatch {
                rule: None,
                hazard: Some("gas_leak".into()),
                min_level: Level::Orange,
            },
            count: 2,
            radius_m: 50.0,
            within: Duration::from_secs(30 * 60),
            level: Level::Red,
        }),
    );
    cluster.metric = None;
    cluster.hazard = "gas_cluster".into();
    let mut parts = parts(vec![
        threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
        cluster,
    ]);
    // s3 (on well-2) is 30 m north of s1, or 300 m when `far`
    let north = if far { 0.0027 } else { 0.00027 };
    parts.sensors[2].location = GeoPoint {
        lon: 123.4,
        lat: 41.8 + north,
    };
    parts
}

#[test]
fn a_cluster_needs_enough_sensors_close_together_in_time() {
    let generation = build(cluster_parts(false));
    let mut engine = engine(&generation);
    run(&mut engine, &[ch4("s1", 0.0, 25.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_cluster"), None);
    let changes = run(&mut engine, &[ch4("s3", 10.0, 30.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_cluster"), R);
    assert_eq!(engine.warning_level("well-2", "gas_cluster"), R);
    assert!(
        warnings(&changes)
            .iter()
            .any(|w| w.hazard.as_str() == "gas_cluster" && w.message.contains("2 sensors"))
    );
    // one member clears: its asset's cluster alarm clears, the other stays
    run(&mut engine, &[ch4("s3", 11.0, 1.0), ch4("s3", 25.0, 1.0)]);
    assert_eq!(engine.warning_level("well-2", "gas_cluster"), None);
    assert_eq!(engine.warning_level("well-1", "gas_cluster"), R);

    let far = build(cluster_parts(true));
    let mut engine = super::engine(&far);
    run(&mut engine, &[ch4("s1", 0.0, 25.0), ch4("s3", 1.0, 30.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_cluster"), None);
}

fn cascade(id: &str, from: &str, min: Level, to: &str, raise: u8) -> Cascade {
    Cascade {
        id: id.to_owned(),
        from: CascadeSource {
            hazard: from.into(),
            assets: AssetFilter {
                domain: None,
                kinds: Vec::new(),
            },
            min_level: min,
        },
        through: vec![Relation::AdjacentTo],
        hops: 1,
        to: CascadeTarget {
            hazard: to.into(),
            assets: AssetFilter {
                domain: None,
                kinds: Vec::new(),
            },
        },
        raise_likelihood: raise,
        description: "test".to_owned(),
        basis: None,
    }
}

fn edge(from: u32, to: u32) -> Edge {
    Edge {
        from: AssetIx(from),
        to: AssetIx(to),
        relation: Relation::AdjacentTo,
        origin: EdgeOrigin::Declared,
        distance_m: None,
    }
}

#[test]
fn a_cascade_raises_the_likelihood_downstream_with_its_cause_and_withdraws_it() {
    let mut parts = parts(vec![threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE)]);
    parts.edges = vec![edge(0, 1)];
    parts.cascades = vec![cascade(
        "C1",
        "gas_leak",
        Level::Orange,
        "gas_accumulation",
        2,
    )];
    let generation = build(parts);
    let mut engine = engine(&generation);
    let changes = run(&mut engine, &[ch4("s1", 0.0, 25.0)]);
    // no alarm on well-2: likelihood 1 + 2 = 3, graded yellow by likelihood alone
    assert_eq!(engine.warning_level("well-2", "gas_accumulation"), Y);
    let derived = warnings(&changes)
        .into_iter()
        .find(|w| w.hazard.as_str() == "gas_accumulation")
        .cloned()
        .expect("derived warning");
    assert_eq!(derived.rule.as_str(), "C1");
    assert_eq!(derived.sensor.as_str(), "s1");
    assert_eq!(derived.causes.len(), 1);
    assert_eq!(derived.causes[0].asset, "well-1");
    assert_eq!(derived.causes[0].level, Level::Orange);
    assert!(
        derived.message.contains("cascade C1"),
        "{}",
        derived.message
    );
    // the source falls below orange: the contribution is withdrawn
    run(&mut engine, &[ch4("s1", 1.0, 12.0), ch4("s1", 12.0, 12.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_leak"), Y);
    assert_eq!(engine.warning_level("well-2", "gas_accumulation"), None);
}

#[test]
fn a_cycle_of_cascades_terminates() {
    let mut parts = parts(vec![threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE)]);
    parts.edges = vec![edge(0, 1), edge(1, 0)];
    // gas_leak on one well raises gas_leak on the other to orange, which would raise it back
    parts.cascades = vec![cascade("loop", "gas_leak", Level::Orange, "gas_leak", 3)];
    let generation = build(parts);
    let mut engine = engine(&generation);
    let changes = run(&mut engine, &[ch4("s1", 0.0, 25.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_leak"), O);
    assert_eq!(engine.warning_level("well-2", "gas_leak"), O);
    assert!(changes.len() < 10, "{changes:#?}");
}

fn graded(population: f64, school_nearby: bool) -> Arc<crate::model::Generation> {
    let mut parts = parts(vec![threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE)]);
    parts.domains[0].grading = Some(Grading {
        likelihood: [2, 3, 4, 5],
        matrix: crate::grading::default_matrix(),
        consequence: ConsequenceSpec {
            exposure_attribute: "population".to_owned(),
            population_bands: vec![3.0, 10.0, 30.0, 100.0],
            default: 3,
            receptors: None,
        },
        escalation: Some(ReceptorRule {
            kinds: vec![ReceptorKind::School],
            radius_m: 50.0,
            add: 1,
        }),
    });
    let here = GeoPoint {
        lon: 123.4,
        lat: 41.8,
    };
    parts.assets[0].location = Some(here);
    parts.assets[0]
        .attributes
        .insert("population".to_owned(), population);
    if school_nearby {
        parts.receptors = vec![Receptor {
            id: "school-1".to_owned(),
            name: "第一小学".to_owned(),
            kind: ReceptorKind::School,
            location: here,
        }];
    }
    build(parts)
}

#[test]
fn grading_weighs_the_same_alarm_by_exposure_and_receptors() {
    // an orange alarm is likelihood 4
    let level = |population: f64, school: bool| {
        let generation = graded(population, school);
        let mut engine = engine(&generation);
        run(&mut engine, &[ch4("s1", 0.0, 25.0)]);
        engine.warning_level("well-1", "gas_leak")
    };
    // S = 1 (2 people): R = 4 -> blue; S = 5 (500 people): R = 20 -> red
    assert_eq!(level(2.0, false), B);
    assert_eq!(level(500.0, false), R);
    // S = 3 (20 people): R = 12 -> yellow, one level up next to a school -> orange
    assert_eq!(level(20.0, false), Y);
    assert_eq!(level(20.0, true), O);
}

fn script_rule(text: &str) -> crate::model::Rule {
    let program = crate::script::compile("rules/test.rhai", text).expect("script compiles");
    rule(
        "gas.ch4.script",
        "gas.ch4",
        RuleKind::Script(ScriptSpec {
            file: "rules/test.rhai".to_owned(),
            lookback: Duration::from_secs(3600),
            neighbours: None,
            source: Arc::from(text),
            program: Arc::new(program),
        }),
    )
}

#[test]
fn a_scripted_rule_grades_from_a_window_and_a_failing_script_is_contained() {
    let script = r#"
        let m = window("gas.ch4", "10m").mean();
        if value >= 20.0 && m >= 10.0 { #{level: "orange", message: `mean ${m}`} }
        else if m >= 5.0 { "blue" } else { () }
    "#;
    let generation = build(parts(vec![script_rule(script)]));
    let mut engine = engine(&generation);
    let changes = run(
        &mut engine,
        &[
            ch4("s1", 0.0, 4.0),
            ch4("s1", 1.0, 8.0),
            ch4("s1", 2.0, 24.0),
        ],
    );
    assert_eq!(engine.warning_level("well-1", "gas_leak"), O);
    let last = warnings(&changes)
        .last()
        .copied()
        .cloned()
        .expect("warning");
    assert!(last.message.starts_with("mean 12"), "{}", last.message);

    // a script that loops forever is stopped; the threshold rule beside it still fires
    let looping = script_rule("loop { }");
    let generation = build(parts(vec![
        looping,
        threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
    ]));
    let mut engine = super::engine(&generation);
    run(&mut engine, &[ch4("s1", 0.0, 12.0)]);
    assert_eq!(engine.warning_level("well-1", "gas_leak"), Y);
    let faults = engine.take_script_faults();
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].rule.as_str(), "gas.ch4.script");
    assert_eq!(engine.script_fault_count(), 1);
}

fn alarm_sensors(changes: &[Change], rule: &str) -> Vec<(String, Option<Level>)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Alarm(a) if a.rule.as_str() == rule => Some((a.sensor.to_string(), a.to)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_reload_resumes_composite_alarms_cascades_and_shadow_levels() {
    let mut rules = vec![
        threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
        pressure_low(),
        sequence(10),
    ];
    let mut shadow = threshold("gas.ch4.candidate", "gas.ch4", IMMEDIATE);
    shadow.shadow = true;
    rules.push(shadow);
    let mut parts = parts(rules);
    parts.edges = vec![edge(0, 1)];
    parts.cascades = vec![cascade(
        "C1",
        "pipe_break",
        Level::Red,
        "gas_accumulation",
        2,
    )];
    let generation = build(parts);
    let mut before = engine(&generation);
    let raised = run(
        &mut before,
        &[
            ch4("s1", 0.0, 12.0),
            reading("s2", "gas.pressure", 5.0, 0.25),
        ],
    );
    assert_eq!(
        alarm_sensors(&raised, "gas.leak_then_drop"),
        vec![("s2".to_owned(), R)]
    );
    assert_eq!(before.warning_level("well-2", "gas_accumulation"), Y);

    assert_eq!(before.alarm_level("s2", "gas.leak_then_drop"), R);
    assert_eq!(before.alarm_level("s1", "gas.leak_then_drop"), None);
    let mut after = crate::eval::Engine::resume(Arc::clone(&generation), &before.snapshot());
    assert_eq!(after.alarm_level("s2", "gas.leak_then_drop"), R);
    assert_eq!(after.warning_level("well-1", "pipe_break"), R);
    assert_eq!(after.warning_level("well-1", "gas_leak"), Y);
    assert_eq!(after.warning_level("well-2", "gas_accumulation"), Y);
    assert_eq!(after.alarm_level("s1", "gas.ch4.candidate"), Y);
    // the pressure recovers on s2: the sequence alarm clears under the sensor it was raised on,
    // and the cascade it drove is withdrawn
    let cleared = run(
        &mut after,
        &[
            reading("s2", "gas.pressure", 6.0, 0.4),
            reading("s2", "gas.pressure", 17.0, 0.4),
        ],
    );
    assert_eq!(
        alarm_sensors(&cleared, "gas.leak_then_drop"),
        vec![("s2".to_owned(), None)]
    );
    assert_eq!(after.warning_level("well-2", "gas_accumulation"), None);
}

#[test]
fn a_shadow_sequence_survives_a_reload_without_raising_a_warning() {
    let mut shadow = sequence(10);
    shadow.shadow = true;
    let rules = vec![
        threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
        pressure_low(),
        shadow,
    ];
    let generation = build(parts(rules));
    let mut before = engine(&generation);
    let changes = run(
        &mut before,
        &[
            ch4("s1", 0.0, 12.0),
            reading("s1", "gas.pressure", 5.0, 0.25),
        ],
    );
    assert_eq!(shadows(&changes), 1);
    assert_eq!(before.warning_level("well-1", "pipe_break"), None);
    let mut after = crate::eval::Engine::resume(Arc::clone(&generation), &before.snapshot());
    assert_eq!(after.warning_level("well-1", "pipe_break"), None);
    // the pattern breaks: the finding is withdrawn, still as a shadow finding only
    let changes = run(&mut after, &[reading("s1", "gas.pressure", 6.0, 0.4)]);
    let changes = [
        changes,
        run(&mut after, &[reading("s1", "gas.pressure", 17.0, 0.4)]),
    ]
    .concat();
    assert_eq!(shadows(&changes), 1, "{changes:#?}");
    assert!(
        warnings(&changes)
            .iter()
            .all(|w| w.hazard.as_str() != "pipe_break")
    );
}
