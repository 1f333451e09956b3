//! Device faults: out of valid range (not evaluated) and offline via the clock.

use std::time::Duration;

use super::fixture::*;
use super::{engine, run};
use crate::model::{Change, Clock, FaultKind, Level, ManualClock, Persistence, Timestamp};

#[test]
fn out_of_range_values_raise_a_fault_once_and_are_not_evaluated() {
    let rules = vec![threshold("r", "gas.ch4", [Persistence::Immediate; 4])];
    let mut engine = engine(&build(parts(rules)));
    let changes = run(
        &mut engine,
        &[
            reading("s1", "gas.ch4", 0.0, 150.0),
            reading("s1", "gas.ch4", 1.0, 150.0),
        ],
    );
    assert_eq!(changes.len(), 1);
    let raised = faults(&changes)[0];
    assert_eq!(raised.kind, FaultKind::OutOfRange);
    assert!(raised.active);
    assert_eq!(raised.ts, at(0.0));
    assert_eq!(raised.detail, "value 150 outside 0..100");
    assert_eq!(engine.alarm_level("s1", "r"), None);

    let changes = run(&mut engine, &[reading("s1", "gas.ch4", 2.0, 60.0)]);
    assert_eq!(changes.len(), 3);
    let cleared = faults(&changes)[0];
    assert_eq!(
        (cleared.kind, cleared.active),
        (FaultKind::OutOfRange, false)
    );
    assert!(matches!(changes[0], Change::Fault(_)));
    assert_eq!(moves(&changes), vec![(None, Some(Level::Red), 2.0)]);
    // evidence holds only evaluated readings
    assert_eq!(warnings(&changes)[0].evidence.len(), 1);
}

#[test]
fn offline_fault_comes_from_the_clock_once_and_clears_on_a_reading() {
    let mut engine = engine(&build(parts(Vec::new())));
    let clock = ManualClock::new(at(0.0));
    let mut out = Vec::new();
    engine.evaluate(&reading("s1", "gas.ch4", 0.0, 1.0), &mut out);
    assert!(out.is_empty());
    // reporting interval 1m, offline after 3 intervals: silent for more than 3m
    assert_eq!(engine.next_offline_check(), Some(Timestamp(at(3.0).0 + 1)));
    clock.advance(Duration::from_secs(180));
    engine.tick(clock.now(), &mut out);
    assert!(out.is_empty());
    clock.advance(Duration::from_millis(1));
    engine.tick(clock.now(), &mut out);
    assert_eq!(out.len(), 1);
    let offline = faults(&out)[0];
    assert_eq!(
        (offline.kind, offline.active, offline.ts),
        (FaultKind::Offline, true, Timestamp(at(3.0).0 + 1))
    );
    assert_eq!(offline.sensor.as_str(), "s1");
    assert_eq!(offline.metric.as_str(), "gas.ch4");
    assert_eq!(
        offline.detail,
        "no reading for 180001ms (last 2026-12-01T00:00:00.000Z)"
    );
    clock.advance(Duration::from_secs(600));
    engine.tick(clock.now(), &mut out);
    assert_eq!(out.len(), 1, "raised once while active");
    assert_eq!(engine.next_offline_check(), None);

    engine.evaluate(&reading("s1", "gas.ch4", 14.0, 1.0), &mut out);
    assert_eq!(out.len(), 2);
    let back = faults(&out)[1];
    assert_eq!(
        (back.kind, back.active, back.ts),
        (FaultKind::Offline, false, at(14.0))
    );
}
