//! Threshold, rate and dual-control rules through the whole engine.

use std::time::Duration;

use super::fixture::*;
use super::{engine, run};
use crate::model::{
    AlarmChange, Change, Combine, Ladder, Level, Persistence, Reading, RuleKind, Timestamp,
};

const IMMEDIATE: [Persistence; 4] = [Persistence::Immediate; 4];
const B: Option<Level> = Some(Level::Blue);
const Y: Option<Level> = Some(Level::Yellow);
const O: Option<Level> = Some(Level::Orange);
const R: Option<Level> = Some(Level::Red);

fn ch4(minutes: f64, value: f64) -> Reading {
    reading("s1", "gas.ch4", minutes, value)
}

#[test]
fn for_duration_raises_at_ten_minutes_not_at_nine_fifty_nine() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = build(parts(vec![threshold("gas.ch4.for10", "gas.ch4", [ten; 4])]));
    let mut engine = engine(&generation);
    let mut minutes: Vec<f64> = (0..10).map(f64::from).collect();
    minutes.push(9.0 + 59.0 / 60.0);
    let before: Vec<Reading> = minutes.iter().map(|m| ch4(*m, 12.0)).collect();
    assert!(run(&mut engine, &before).is_empty());
    let changes = run(&mut engine, &[ch4(10.0, 12.0)]);
    assert_eq!(
        changes[0],
        Change::Alarm(AlarmChange {
            rule: "gas.ch4.for10".into(),
            sensor: "s1".into(),
            asset: "well-1".into(),
            hazard: "gas_leak".into(),
            from: None,
            to: Y,
            ts: at(10.0),
        })
    );
    let warning = warnings(&changes)[0];
    assert_eq!((warning.from, warning.to, warning.ts), (None, Y, at(10.0)));
    assert_eq!(warning.asset.as_str(), "well-1");
    assert_eq!(warning.domain.as_str(), "city_gas");
    assert_eq!(warning.district.as_str(), "210102");
    assert_eq!(warning.department.as_str(), "shenyang.construction");
    assert_eq!(warning.sensor.as_str(), "s1");
    assert_eq!(warning.generation, generation.id);
    assert_eq!(
        warning.message,
        "gas.ch4 12 %LEL >= yellow 10 (rule gas.ch4.for10)"
    );
    let evidence: Vec<Timestamp> = warning.evidence.iter().map(|r| r.ts).collect();
    assert_eq!(
        evidence,
        vec![at(7.0), at(8.0), at(9.0), at(9.0 + 59.0 / 60.0), at(10.0)]
    );
    assert_eq!(changes.len(), 2);
}

#[test]
fn immediate_raise_goes_straight_to_red() {
    let generation = build(parts(vec![threshold("r", "gas.ch4", IMMEDIATE)]));
    let mut engine = engine(&generation);
    let changes = run(&mut engine, &[ch4(0.0, 80.0)]);
    assert_eq!(changes.len(), 2);
    assert_eq!(moves(&changes), vec![(None, R, 0.0)]);
    assert_eq!(engine.alarm_level("s1", "r"), R);
    assert_eq!(engine.warning_level("well-1", "gas_leak"), R);
}

fn with_clear(margin: f64, after_min: u64) -> std::sync::Arc<crate::model::Generation> {
    let mut rule = threshold("r", "gas.ch4", IMMEDIATE);
    rule.clear = clear(margin, after_min);
    build(parts(vec![rule]))
}

#[test]
fn no_lowering_before_clear_after_then_steps_down() {
    let mut engine = engine(&with_clear(2.0, 10));
    let readings = [
        ch4(0.0, 60.0),
        ch4(1.0, 49.0), // below red 50 but inside the margin: not clear
        ch4(2.0, 25.0), // clear of red, holds orange: timer starts
        ch4(11.99, 25.0),
        ch4(12.0, 25.0), // clear for 10m: lowered to orange
        ch4(13.0, 1.0),
        ch4(22.99, 1.0),
        ch4(23.0, 1.0),
    ];
    let changes = run(&mut engine, &readings);
    assert_eq!(
        moves(&changes),
        vec![(None, R, 0.0), (R, O, 12.0), (O, None, 23.0)]
    );
    assert_eq!(
        warnings(&changes)[1].message,
        "gas.ch4 25 %LEL < red 50 for 10m (rule r: red -> orange)"
    );
}

#[test]
fn margin_keeps_the_level_while_the_value_hovers_under_the_threshold() {
    let mut engine = engine(&with_clear(2.0, 10));
    let readings: Vec<Reading> = (0..60)
        .map(|m| ch4(f64::from(m), if m == 0 { 60.0 } else { 48.5 }))
        .collect();
    assert_eq!(moves(&run(&mut engine, &readings)), vec![(None, R, 0.0)]);
}

#[test]
fn lowering_goes_to_the_level_held_at_that_moment() {
    let mut engine = engine(&with_clear(0.0, 10));
    let readings = [
        ch4(0.0, 60.0),
        ch4(1.0, 6.0),
        ch4(5.0, 15.0),
        ch4(11.0, 6.0),
    ];
    // the clear timer (started at 1m) keeps running through 15 (clear of red): at 11m the level
    // drops to what 6 %LEL holds, blue
    assert_eq!(
        moves(&run(&mut engine, &readings)),
        vec![(None, R, 0.0), (R, B, 11.0)]
    );
}

#[test]
fn below_ladders_raise_on_low_values() {
    let mut rule = rule(
        "p.low",
        "gas.pressure",
        RuleKind::Threshold {
            ladder: Some(low_pressure()),
            persistence: IMMEDIATE,
        },
    );
    rule.clear = clear(0.02, 10);
    let mut engine = engine(&build(parts(vec![rule])));
    let p = |m: f64, v: f64| reading("s1", "gas.pressure", m, v);
    let readings = [
        p(0.0, 0.4),
        p(1.0, 0.25),
        p(2.0, 0.15),
        p(3.0, 0.05),
        p(4.0, 0.35),
        p(13.0, 0.35),
        p(14.0, 0.35),
    ];
    let changes = run(&mut engine, &readings);
    assert_eq!(
        moves(&changes),
        vec![(None, B, 1.0), (B, O, 2.0), (O, R, 3.0), (R, None, 14.0)]
    );
    assert_eq!(
        warnings(&changes)[2].message,
        "gas.pressure 0.05 MPa <= red 0.1 (rule p.low)"
    );
}

fn rising_rate() -> Ladder {
    Ladder {
        direction: crate::model::Direction::Above,
        thresholds: [Some(1.0), Some(2.0), Some(3.0), Some(5.0)],
    }
}

#[test]
fn rate_on_a_rising_series() {
    let rule = rule(
        "ch4.rate",
        "gas.ch4",
        RuleKind::Rate(rate_spec(5, rising_rate())),
    );
    let mut engine = engine(&build(parts(vec![rule])));
    let values = [0.0, 0.0, 0.0, 2.0, 4.0, 8.0, 16.0, 32.0];
    let readings: Vec<Reading> = values
        .iter()
        .enumerate()
        .map(|(m, v)| ch4(m as f64, *v))
        .collect();
    let changes = run(&mut engine, &readings);
    assert_eq!(
        moves(&changes),
        vec![(None, B, 4.0), (B, O, 6.0), (O, R, 7.0)]
    );
    assert_eq!(
        warnings(&changes)[2].message,
        "gas.ch4 rate 6.4 %LEL/1m >= red 5 (rule ch4.rate)"
    );
}

#[test]
fn rate_on_a_falling_series_with_a_below_ladder() {
    let ladder = Ladder {
        direction: crate::model::Direction::Below,
        thresholds: [Some(-0.01), None, Some(-0.03), Some(-0.05)],
    };
    let rule = rule(
        "p.drop",
        "gas.pressure",
        RuleKind::Rate(rate_spec(5, ladder)),
    );
    let mut engine = engine(&build(parts(vec![rule])));
    let mut values = vec![0.40, 0.38, 0.32, 0.16];
    values.extend([0.16; 12]);
    let readings: Vec<Reading> = values
        .iter()
        .enumerate()
        .map(|(m, v)| reading("s1", "gas.pressure", m as f64, *v))
        .collect();
    // from 5m the rate (-0.048/min) is clear of red: cleared 10m later, at 15m
    assert_eq!(
        moves(&run(&mut engine, &readings)),
        vec![(None, B, 1.0), (B, O, 2.0), (O, R, 3.0), (R, None, 15.0)]
    );
}

fn dual(combine: Combine) -> Vec<(Option<Level>, Option<Level>, f64)> {
    let kind = RuleKind::DualControl {
        cumulative: None,
        rate: rate_spec(5, rising_rate()),
        combine,
    };
    let mut engine = engine(&build(parts(vec![rule("ch4.dual", "gas.ch4", kind)])));
    let readings = [
        ch4(0.0, 30.0),
        ch4(1.0, 30.0),
        ch4(2.0, 34.0),
        ch4(3.0, 60.0),
    ];
    moves(&run(&mut engine, &readings))
}

#[test]
fn dual_control_all_needs_both_parts() {
    // 34 %LEL is orange, its rate 2/min yellow: the lower counts
    assert_eq!(dual(Combine::All), vec![(None, Y, 2.0), (Y, R, 3.0)]);
}

#[test]
fn dual_control_any_takes_either_part() {
    assert_eq!(dual(Combine::Any), vec![(None, O, 0.0), (O, R, 3.0)]);
}

#[test]
fn warning_is_the_max_over_the_sensors_of_an_asset() {
    let mut engine = engine(&with_clear(0.0, 10));
    let readings = [
        reading("s1", "gas.ch4", 0.0, 60.0),
        reading("s2", "gas.ch4", 1.0, 12.0),
        reading("s1", "gas.ch4", 2.0, 1.0),
        reading("s3", "gas.ch4", 3.0, 25.0),
        reading("s1", "gas.ch4", 12.0, 1.0),
        reading("s2", "gas.ch4", 13.0, 1.0),
        reading("s2", "gas.ch4", 23.0, 1.0),
    ];
    let changes = run(&mut engine, &readings);
    let got: Vec<(&str, &str, Option<Level>, Option<Level>)> = warnings(&changes)
        .iter()
        .map(|w| (w.asset.as_str(), w.sensor.as_str(), w.from, w.to))
        .collect();
    assert_eq!(
        got,
        vec![
            ("well-1", "s1", None, R),
            ("well-2", "s3", None, O),
            ("well-1", "s1", R, Y),
            ("well-1", "s2", Y, None),
        ]
    );
    let alarms = changes
        .iter()
        .filter(|c| matches!(c, Change::Alarm(_)))
        .count();
    assert_eq!(alarms, 5);
}

#[test]
fn overrides_replace_the_ladder_and_objects_filter_sensors() {
    let mut p = parts(vec![threshold("r", "gas.ch4", IMMEDIATE), {
        let mut valve = threshold("valve.only", "gas.ch4", IMMEDIATE);
        valve.objects = vec!["valve_well".to_owned()];
        valve
    }]);
    let strict = Ladder {
        direction: crate::model::Direction::Above,
        thresholds: [Some(1.0), Some(2.0), Some(3.0), Some(4.0)],
    };
    p.sensors[1].overrides.insert("gas.ch4".into(), strict);
    let mut engine = engine(&build(p));
    // rule r on s1, s2, s3; valve.only on none
    assert_eq!(engine.binding_count(), 3);
    run(
        &mut engine,
        &[
            reading("s1", "gas.ch4", 0.0, 4.5),
            reading("s2", "gas.ch4", 0.0, 4.5),
        ],
    );
    assert_eq!(engine.alarm_level("s1", "r"), None);
    assert_eq!(engine.alarm_level("s2", "r"), R);
}

#[test]
fn late_and_duplicate_readings_are_ignored() {
    let mut engine = engine(&with_clear(0.0, 10));
    let batch = [ch4(0.0, 12.0), ch4(1.0, 60.0), ch4(2.0, 1.0)];
    assert_eq!(run(&mut engine, &batch).len(), 4);
    assert!(run(&mut engine, &batch).is_empty());
    assert!(run(&mut engine, &[ch4(1.5, 80.0)]).is_empty());
    assert_eq!(engine.late_readings(), 4);
    assert_eq!(engine.alarm_level("s1", "r"), R);
    run(&mut engine, &[reading("nobody", "gas.ch4", 3.0, 1.0)]);
    run(&mut engine, &[reading("s1", "gas.flow", 3.0, 1.0)]);
    assert_eq!(engine.unknown_readings(), 2);
}

#[test]
fn a_batch_gives_the_changes_of_one_reading_at_a_time() {
    let rules = vec![
        threshold("r", "gas.ch4", IMMEDIATE),
        rule(
            "ch4.rate",
            "gas.ch4",
            RuleKind::Rate(rate_spec(5, rising_rate())),
        ),
    ];
    let generation = build(parts(rules));
    let mut readings = Vec::new();
    for m in 0..40 {
        let minute = f64::from(m);
        let spike = if m % 15 == 3 {
            60.0
        } else {
            1.0 + minute / 10.0
        };
        readings.push(reading("s1", "gas.ch4", minute, spike));
        readings.push(reading("s2", "gas.ch4", minute, 3.0 * minute));
        readings.push(reading(
            "s3",
            "gas.ch4",
            minute,
            if m == 9 { 140.0 } else { 2.0 },
        ));
        readings.push(reading("s1", "gas.ch4", minute, 99.0)); // duplicate time in the same chunk
        readings.push(reading("ghost", "gas.ch4", minute, 1.0));
    }
    let mut one = engine(&generation);
    let expected = run(&mut one, &readings);
    let mut batch = engine(&generation);
    let mut got = Vec::new();
    batch.evaluate_batch(&readings, &mut got);
    assert_eq!(got, expected);
    assert_eq!(
        moves(&expected),
        vec![(None, O, 1.0), (O, R, 3.0), (R, O, 14.0), (O, R, 17.0)]
    );
    assert_eq!(
        (batch.late_readings(), batch.unknown_readings()),
        (one.late_readings(), one.unknown_readings())
    );
    assert_eq!(batch.late_readings(), 40);
}
