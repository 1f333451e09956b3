//! Running one case: readings, actions and expectations merged in time order on the virtual
//! clock (at equal times readings first, then actions, then expectations, so an expectation at
//! `t` sees every reading and action at or before `t`); the clock is advanced through every
//! time, so offline faults, workflow timers and anything else that waits on the clock happen as
//! they would on a server. Never sleeps.

use std::collections::HashSet;
use std::sync::Arc;

use crate::model::{Change, Generation};

use super::case::{Case, CaseAction, CaseReading, Expectation};
use super::check::check;
use super::check_workflow::take_action;
use super::duty::Duty;
use super::history::{AssetHistory, case_end, expected_assets, histories};
use super::observed::Observed;
use super::offset::format_offset;
use super::playback::Playback;
use super::report::Failure;
use crate::script::ScriptFault;

/// What comes next in a case: at equal times readings first, then actions, then expectations.
enum Next<'c> {
    Reading(&'c CaseReading),
    Action(&'c CaseAction),
    Expectation(&'c Expectation),
}

/// Runs `case` on a fresh engine for `generation`; returns the expectations that did not hold
/// (and readings the configuration does not know, once per sensor and metric). The engine's
/// warning changes drive the case's in-memory duty desk, whose timers fire as the clock passes
/// them. When something failed, also returns the actual level history of every asset the case
/// expected a warning level of (empty when every expectation held).
pub(crate) fn run_case(
    case: &Case,
    generation: &Arc<Generation>,
) -> (Vec<Failure>, Vec<AssetHistory>) {
    let mut playback = Playback::new(Arc::clone(generation), case.start);
    let mut observed = Observed::default();
    let mut duty = Duty::new(generation);
    let mut failures = Vec::new();
    let mut changes = Vec::new();
    let mut unknown = HashSet::new();
    let mut faulted = HashSet::new();
    let mut readings = case.readings.iter().peekable();
    let mut actions = case.actions.iter().peekable();
    let mut expectations = case.expectations.iter().peekable();
    loop {
        let candidates = [
            readings.peek().map(|r| (r.reading.ts, 0)),
            actions.peek().map(|a| (a.at, 1)),
            expectations.peek().map(|e| (e.at, 2)),
        ];
        let next = match candidates.into_iter().flatten().min() {
            None => break,
            Some((_, 0)) => readings.next().map(Next::Reading),
            Some((_, 1)) => actions.next().map(Next::Action),
            Some(_) => expectations.next().map(Next::Expectation),
        };
        match next {
            None => break,
            Some(Next::Reading(reading)) => {
                duty.fire_due(reading.reading.ts);
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
                for fault in playback.take_script_faults() {
                    let place = (reading.position, Some(&reading.reading));
                    script_fault(case, place, &fault, &mut faulted, &mut failures);
                }
            }
            Some(Next::Action(action)) => {
                playback.advance_through(action.at, &mut changes);
                for fault in playback.take_script_faults() {
                    let place = (action.position, None);
                    script_fault(case, place, &fault, &mut faulted, &mut failures);
                }
                take_in(&mut changes, &mut observed, &mut duty);
                duty.fire_due(action.at);
                failures.extend(take_action(action, &mut duty));
            }
            Some(Next::Expectation(expectation)) => {
                playback.advance_through(expectation.at, &mut changes);
                for fault in playback.take_script_faults() {
                    let place = (expectation.position, None);
                    script_fault(case, place, &fault, &mut faulted, &mut failures);
                }
                take_in(&mut changes, &mut observed, &mut duty);
                duty.fire_due(expectation.at);
                failures.extend(check(expectation, &observed, &duty, generation, case.start));
            }
        }
        take_in(&mut changes, &mut observed, &mut duty);
    }
    failures.sort_by_key(|f| f.position);
    let history = if failures.is_empty() {
        Vec::new()
    } else {
        histories(
            &expected_assets(case),
            &observed,
            case.start,
            case_end(case),
        )
    };
    (failures, history)
}

/// Records the engine's changes and lets the duty desk react to warning changes (timers due
/// before a change fire first).
fn take_in(changes: &mut Vec<Change>, observed: &mut Observed, duty: &mut Duty<'_>) {
    for change in changes.drain(..) {
        observed.record(&change);
        if let Change::Warning(warning) = &change {
            duty.fire_due(warning.ts);
            duty.react(warning);
        }
    }
}

/// A script fault fails the case: once per rule, script position and message, at the reading
/// that caused it (or the action or expectation whose clock tick ran the script), naming the
/// reading (sensor, metric, time, value) when there is one.
fn script_fault(
    case: &Case,
    (position, reading): ((usize, usize), Option<&crate::model::Reading>),
    fault: &ScriptFault,
    faulted: &mut HashSet<(String, usize, usize, String)>,
    failures: &mut Vec<Failure>,
) {
    let key = (
        fault.rule.as_str().to_owned(),
        fault.line,
        fault.column,
        fault.message.clone(),
    );
    if !faulted.insert(key) {
        return;
    }
    let (when, cause) = match reading {
        Some(r) => (
            format!("at {}", format_offset(r.ts.since(case.start))),
            format!(
                " on the reading of {} {} at {} = {}",
                r.sensor,
                r.metric,
                format_offset(r.ts.since(case.start)),
                r.value
            ),
        ),
        None => ("on the clock".to_owned(), " on a clock tick".to_owned()),
    };
    failures.push(Failure {
        position,
        when,
        expected: format!("rule {} runs its script without a fault", fault.rule),
        actual: format!(
            "script fault {}:{}:{} ({}){cause}: {}",
            fault.file, fault.line, fault.column, fault.kind, fault.message
        ),
    });
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
