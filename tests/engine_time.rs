//! Time moves without readings, end to end on the Shenyang example's recorded afternoon (`for`
//! runs, clear countdowns, rate windows, scripts, sequences, clusters and cascades): each
//! subject's changes - levels, stamps, messages, evidence - do not depend on when or how often the
//! clock ticks (with readings arriving within the deadline grace), only the interleaving of
//! different subjects does; and an engine restored from its state image in the middle of pending
//! deadlines fires them exactly as one that never stopped.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tocsin::eval::{Engine, StateImage};
use tocsin::model::{Change, Generation, Reading, Timestamp};
use tocsin::ruletest::Playback;
use tocsin::sim::parse_reading_line;

fn shenyang() -> (Arc<Generation>, Vec<Reading>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    let generation = Arc::new(tocsin::compile::load(Some(&dir)).unwrap());
    let text = std::fs::read_to_string(dir.join("readings.ndjson")).unwrap();
    let mut readings: Vec<Reading> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| parse_reading_line(line).unwrap())
        .collect();
    readings.sort_by_key(|r| r.ts);
    (generation, readings)
}

/// Rule changes only (alarms, warnings, shadow findings): offline faults are stamped with the
/// tick that found them, so their stamps follow the tick cadence by design.
fn rule_changes(changes: Vec<Change>) -> Vec<Change> {
    changes
        .into_iter()
        .filter(|c| !matches!(c, Change::Fault(f) if f.kind == tocsin::model::FaultKind::Offline))
        .collect()
}

/// The readings played with a tick at every deadline (as `tocsin replay`), then the clock run on
/// an hour past the last reading.
fn played(generation: &Arc<Generation>, readings: &[Reading], end: Timestamp) -> Vec<Change> {
    let mut playback = Playback::new(Arc::clone(generation), readings[0].ts);
    let mut out = Vec::new();
    for reading in readings {
        playback.feed(reading, &mut out);
    }
    playback.advance(end, &mut out);
    out
}

/// The readings in batches of `batch`, the clock ticked after each batch at the last reading's
/// time plus `lag` milliseconds (a server's tick runs some time after the readings it follows).
fn batched(
    engine: &mut Engine,
    readings: &[Reading],
    batch: usize,
    lag: i64,
    out: &mut Vec<Change>,
) {
    for chunk in readings.chunks(batch) {
        engine.evaluate_batch(chunk, out);
        if let Some(last) = chunk.last() {
            engine.tick(Timestamp(last.ts.0 + lag), out);
        }
    }
}

#[test]
fn the_changes_do_not_depend_on_when_the_clock_ticks() {
    let (generation, readings) = shenyang();
    let end = Timestamp(readings.last().unwrap().ts.0 + 3_600_000);
    let expected = rule_changes(played(&generation, &readings, end));
    let clocked = expected
        .iter()
        .filter(|c| match c {
            Change::Warning(w) => !readings.iter().any(|r| r.ts == w.ts),
            _ => false,
        })
        .count();
    assert!(
        clocked > 0,
        "no warning moved between readings: the recording does not exercise the clock"
    );

    // a tick after every reading, after every 7 readings a second late, after every 50 a minute
    // late (readings arriving within the deadline grace), and never until the end
    for (batch, lag) in [(1, 0), (7, 1_000), (50, 60_000), (readings.len(), 0)] {
        let mut engine = Engine::new(Arc::clone(&generation));
        let mut out = Vec::new();
        batched(&mut engine, &readings, batch, lag, &mut out);
        engine.tick(Timestamp(end.0 + 1), &mut out);
        let got = rule_changes(out);
        assert_eq!(
            got.len(),
            expected.len(),
            "batches of {batch}, lag {lag} ms"
        );
        // between subjects the order follows the ticks; for each its changes are the same
        assert_eq!(
            by_subject(&got),
            by_subject(&expected),
            "batches of {batch}, lag {lag} ms"
        );
    }
}

/// The changes of each subject (a rule on a sensor; an asset's hazard), in the order emitted.
fn by_subject(changes: &[Change]) -> BTreeMap<String, Vec<&Change>> {
    let mut out: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        let key = match change {
            Change::Alarm(a) => format!("alarm {} {}", a.rule, a.sensor),
            Change::Warning(w) => format!("warning {} {}", w.asset, w.hazard),
            Change::Shadow(s) => format!("shadow {s:?}"),
            Change::Fault(f) => format!("fault {} {}", f.sensor, f.metric),
        };
        out.entry(key).or_default().push(change);
    }
    out
}

#[test]
fn an_engine_restored_between_deadlines_fires_them_as_if_it_had_never_stopped() {
    let (generation, readings) = shenyang();
    let end = Timestamp(readings.last().unwrap().ts.0 + 3_600_000);
    let mut uninterrupted = Engine::new(Arc::clone(&generation));
    let mut expected = Vec::new();
    batched(&mut uninterrupted, &readings, 5, 30_000, &mut expected);
    uninterrupted.tick(end, &mut expected);

    for stop in (20..readings.len()).step_by(20) {
        let mut first = Engine::new(Arc::clone(&generation));
        let mut changes = Vec::new();
        batched(&mut first, &readings[..stop], 5, 30_000, &mut changes);
        let image = StateImage::decode(&first.image().encode()).unwrap();
        drop(first);
        let mut second = Engine::from_image(Arc::clone(&generation), &image).unwrap();
        batched(&mut second, &readings[stop..], 5, 30_000, &mut changes);
        second.tick(end, &mut changes);
        assert_eq!(
            changes.len(),
            expected.len(),
            "stopped after {stop} readings"
        );
        for (i, (got, want)) in changes.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "change {i}, stopped after {stop} readings");
        }
    }
}
