//! A restarted engine, restored from what a store would hold, continues exactly like one that
//! never stopped.

use std::collections::BTreeMap;

use super::engine;
use super::fixture::*;
use crate::model::{
    Change, FaultKind, MetricId, OpenAlarm, OpenFault, Persistence, Reading, SensorId, Timestamp,
};

/// What a store keeps from the changes and readings it was given.
#[derive(Default)]
struct Stored {
    alarms: BTreeMap<(String, String), OpenAlarm>,
    faults: BTreeMap<(String, String, &'static str), OpenFault>,
    latest: BTreeMap<(String, String), Timestamp>,
}

impl Stored {
    fn take(&mut self, readings: &[Reading], changes: &[Change]) {
        for r in readings {
            let key = (r.sensor.to_string(), r.metric.to_string());
            let at = self.latest.entry(key).or_insert(r.ts);
            *at = (*at).max(r.ts);
        }
        for change in changes {
            match change {
                Change::Alarm(a) => {
                    let key = (a.rule.to_string(), a.sensor.to_string());
                    match a.to {
                        Some(level) => {
                            self.alarms.insert(
                                key,
                                OpenAlarm {
                                    rule: a.rule.clone(),
                                    sensor: a.sensor.clone(),
                                    asset: a.asset.clone(),
                                    hazard: a.hazard.clone(),
                                    level,
                                    since: a.ts,
                                },
                            );
                        }
                        None => {
                            self.alarms.remove(&key);
                        }
                    }
                }
                Change::Fault(f) => {
                    let key = (f.sensor.to_string(), f.metric.to_string(), f.kind.as_str());
                    if f.active {
                        self.faults.insert(
                            key,
                            OpenFault {
                                sensor: f.sensor.clone(),
                                metric: f.metric.clone(),
                                kind: f.kind,
                                since: f.ts,
                            },
                        );
                    } else {
                        self.faults.remove(&key);
                    }
                }
                Change::Warning(_) | Change::Shadow(_) => {}
            }
        }
    }

    fn latest(&self) -> Vec<(SensorId, MetricId, Timestamp)> {
        self.latest
            .iter()
            .map(|((s, m), ts)| (s.as_str().into(), m.as_str().into(), *ts))
            .collect()
    }
}

enum Step {
    Read(Reading),
    Tick(f64),
}

fn play(engine: &mut super::super::Engine, steps: &[Step]) -> Vec<Change> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Read(r) => engine.evaluate(r, &mut out),
            Step::Tick(m) => engine.tick(at(*m), &mut out),
        }
    }
    out
}

#[test]
fn restore_continues_like_an_uninterrupted_run() {
    let mut rule = threshold("r", "gas.ch4", [Persistence::Immediate; 4]);
    rule.clear = clear(1.0, 10);
    let generation = build(parts(vec![rule]));
    let r = |s: &str, m: f64, v: f64| Step::Read(reading(s, "gas.ch4", m, v));
    let before = vec![
        r("s1", 0.0, 60.0),
        r("s2", 0.0, 6.0),
        r("s3", 0.0, 3.0),
        r("s1", 1.0, 55.0),
        r("s2", 1.0, 7.0),
        r("s3", 1.0, 140.0), // out of range: fault stays open over the restart
        Step::Tick(2.0),
        r("s1", 2.0, 58.0),
        r("s2", 2.0, 6.5),
    ];
    let after = vec![
        // a re-sent batch after the restart changes nothing
        r("s1", 2.0, 58.0),
        r("s2", 2.0, 6.5),
        r("s1", 3.0, 1.0),
        r("s2", 3.0, 1.0),
        Step::Tick(5.0), // s3 silent since 1m: offline
        r("s1", 13.0, 1.0),
        r("s2", 13.0, 1.0),
        r("s3", 14.0, 2.0), // back: clears offline and out of range
    ];

    let (expected, got) = restarted(&generation, &before, &after);
    assert_eq!(got, expected);
    // the expected run itself: red then cleared; s3 faults raised and cleared
    assert_eq!(
        moves(&expected),
        vec![
            (None, Some(crate::model::Level::Red), 0.0),
            (
                Some(crate::model::Level::Red),
                Some(crate::model::Level::Blue),
                13.0
            ),
            (Some(crate::model::Level::Blue), None, 13.0)
        ]
    );
    let kinds: Vec<(FaultKind, bool)> = faults_of(&expected);
    assert_eq!(
        kinds,
        vec![
            (FaultKind::OutOfRange, true),
            (FaultKind::Offline, true),
            (FaultKind::Offline, false),
            (FaultKind::OutOfRange, false),
        ]
    );
}

/// Runs `before` then `after` on one engine, and again with a restart in between (restored from
/// what a store would hold); returns (uninterrupted, restarted) changes.
fn restarted(
    generation: &std::sync::Arc<crate::model::Generation>,
    before: &[Step],
    after: &[Step],
) -> (Vec<Change>, Vec<Change>) {
    let mut whole = engine(generation);
    let mut expected = play(&mut whole, before);
    expected.extend(play(&mut whole, after));

    let mut first = engine(generation);
    let mut got = play(&mut first, before);
    let mut stored = Stored::default();
    let read: Vec<Reading> = before
        .iter()
        .filter_map(|s| match s {
            Step::Read(r) => Some(r.clone()),
            Step::Tick(_) => None,
        })
        .collect();
    stored.take(&read, &got);

    let mut second = engine(generation);
    let alarms: Vec<OpenAlarm> = stored.alarms.values().cloned().collect();
    let faults: Vec<OpenFault> = stored.faults.values().cloned().collect();
    second.restore(&alarms, &faults, &stored.latest());
    second.restore_samples(&read);
    for (asset, hazard) in [("well-1", "gas_leak"), ("well-2", "gas_leak")] {
        assert_eq!(
            second.warning_level(asset, hazard),
            first.warning_level(asset, hazard)
        );
    }
    got.extend(play(&mut second, after));
    (expected, got)
}

#[test]
fn restore_keeps_pending_clear_timers_and_persistence_runs() {
    let persistence = [
        Persistence::Immediate,
        Persistence::For(std::time::Duration::from_secs(180)),
        Persistence::Immediate,
        Persistence::Immediate,
    ];
    let generation = build(parts(vec![threshold("r", "gas.ch4", persistence)]));
    let r = |s: &str, m: f64, v: f64| Step::Read(reading(s, "gas.ch4", m, v));
    // s1 red, clear since 1m; s3 at 12 %LEL since 0m, yellow due at 3m
    let before = vec![
        r("s1", 0.0, 60.0),
        r("s3", 0.0, 12.0),
        r("s1", 1.0, 1.0),
        r("s3", 1.0, 12.0),
        r("s1", 2.0, 1.0),
    ];
    let after = vec![r("s3", 3.0, 12.0), r("s1", 10.0, 1.0), r("s1", 11.0, 1.0)];
    let (expected, got) = restarted(&generation, &before, &after);
    assert_eq!(got, expected);
    let got: Vec<(&str, Option<crate::model::Level>, f64)> = warnings(&expected)
        .iter()
        .map(|w| (w.asset.as_str(), w.to, (w.ts.0 - T0) as f64 / MIN as f64))
        .collect();
    use crate::model::Level::{Blue, Red, Yellow};
    assert_eq!(
        got,
        vec![
            ("well-1", Some(Red), 0.0),
            ("well-2", Some(Blue), 0.0),
            ("well-2", Some(Yellow), 3.0),
            ("well-1", None, 11.0),
        ]
    );
}

fn faults_of(changes: &[Change]) -> Vec<(FaultKind, bool)> {
    faults(changes).iter().map(|f| (f.kind, f.active)).collect()
}
