//! Running one case: readings and expectations merged in time order on the virtual clock
//! (readings first at equal times, so an expectation at `t` sees every reading at or before
//! `t`); the clock is advanced through every reading and expectation time, so offline faults
//! and anything else that waits on the clock happen as they would on a server. Never sleeps.

use std::collections::HashSet;
use std::sync::Arc;

use crate::model::Generation;

use super::case::{Case, CaseReading};
use super::check::check;
use super::observed::Observed;
use super::offset::format_offset;
use super::playback::Playback;
use super::report::Failure;

/// Runs `case` on a fresh engine for `generation`; returns the expectations that did not hold
/// (and readings the configuration does not know, once per sensor and metric).
pub(crate) fn run_case(case: &Case, generation: &Arc<Generation>) -> Vec<Failure> {
    let mut playback = Playback::new(Arc::clone(generation), case.start);
    let mut observed = Observed::default();
    let mut failures = Vec::new();
    let mut changes = Vec::new();
    let mut unknown = HashSet::new();
    let mut readings = case.readings.iter().peekable();
    let mut expectations = case.expectations.iter().peekable();
    loop {
        let reading_next = match (readings.peek(), expectations.peek()) {
            (None, None) => break,
            (Some(r), Some(e)) => r.reading.ts <= e.at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
        };
        if reading_next {
            let Some(reading) = readings.next() else {
                break;
            };
            let before = playback.engine().unknown_readings();
            playback.feed(&reading.reading, &mut changes);
            if playback.engine().unknown_readings() > before
                && unknown.insert((
                    reading.reading.sensor.clone(),
                    reading.reading.metric.clone(),
                ))
            {
                failures.push(unknown_reading(case, reading, generation));
            }
        } else {
            let Some(expectation) = expectations.next() else {
                break;
            };
            playback.advance(expectation.at, &mut changes);
            for change in changes.drain(..) {
                observed.record(&change);
            }
            if let Some(failure) = check(expectation, &observed, generation, case.start) {
                failures.push(failure);
            }
        }
        for change in changes.drain(..) {
            observed.record(&change);
        }
    }
    failures.sort_by_key(|f| f.position);
    failures
}

/// A reading the engine ignored because the configuration does not know its sensor or metric.
fn unknown_reading(case: &Case, reading: &CaseReading, generation: &Generation) -> Failure {
    let r = &reading.reading;
    let actual = match generation.sensor(r.sensor.as_str()) {
        None => format!("no sensor `{}` in this configuration", r.sensor),
        Some(_) => format!("sensor `{}` does not report `{}`", r.sensor, r.metric),
    };
    Failure {
        position: reading.position,
        when: format!("at {}", format_offset(r.ts.since(case.start))),
        expected: format!(
            "a reading of a known sensor and metric ({} {})",
            r.sensor, r.metric
        ),
        actual,
    }
}
