//! Time moves without readings: `for` runs complete and clear countdowns end on the clock tick,
//! stamped with their deadline (event time), and a reading fires its stream's deadlines before
//! itself, so where the ticks fall changes nothing. The lateness rule and the cases in which a
//! stream's deadlines wait for its next reading are pinned here too.

use std::sync::Arc;
use std::time::Duration;

use super::engine;
use super::fixture::*;
use crate::model::{Change, Generation, Level, Persistence, RuleKind, ScriptSpec};

const B: Option<Level> = Some(Level::Blue);
const Y: Option<Level> = Some(Level::Yellow);
const R: Option<Level> = Some(Level::Red);
const IMMEDIATE: [Persistence; 4] = [Persistence::Immediate; 4];

/// What happens, in event order: a reading, or the clock reaching a minute.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A reading of `gas.ch4` by `s1`: (minute, value).
    Read(f64, f64),
    /// The clock at this minute.
    Tick(f64),
}
use Step::{Read, Tick};

/// `parts` with `gas.ch4` reporting hourly (offline after three hours) and `rules`.
fn hourly(rules: Vec<crate::model::Rule>) -> Arc<Generation> {
    let mut parts = parts(rules);
    for metric in &mut parts.metrics {
        metric.reporting_interval = Duration::from_secs(3600);
    }
    build(parts)
}

/// A threshold rule on `gas.ch4` clearing after `after_min` minutes with no margin.
fn clearing(persistence: [Persistence; 4], after_min: u64) -> crate::model::Rule {
    let mut rule = threshold("r", "gas.ch4", persistence);
    rule.clear = clear(0.0, after_min);
    rule
}

/// Plays `steps` on a fresh engine whose ticks fire deadlines at once (no grace); returns every
/// change.
fn play(generation: &Arc<Generation>, steps: &[Step]) -> Vec<Change> {
    let mut engine = engine(generation);
    engine.set_deadline_grace(Duration::ZERO);
    let mut out = Vec::new();
    for step in steps {
        match *step {
            Read(m, value) => engine.evaluate(&reading("s1", "gas.ch4", m, value), &mut out),
            Tick(m) => engine.tick(at(m), &mut out),
        }
    }
    out
}

/// The warning moves of `steps`: (from, to, minute).
fn warning_moves(
    generation: &Arc<Generation>,
    steps: &[Step],
) -> Vec<(Option<Level>, Option<Level>, f64)> {
    moves(&play(generation, steps))
}

#[test]
fn an_hourly_signal_clears_at_clear_since_plus_after_not_at_the_next_reading() {
    let generation = hourly(vec![clearing(IMMEDIATE, 30)]);
    // red at 0; clear from the reading at 60; the countdown ends at 90
    let steps = [
        Read(0.0, 60.0),
        Read(60.0, 1.0),
        Tick(75.0),
        Tick(95.0),
        Read(120.0, 1.0),
    ];
    assert_eq!(
        warning_moves(&generation, &steps),
        vec![(None, R, 0.0), (R, None, 90.0)]
    );
    // before the countdown ends, nothing moves
    assert_eq!(
        warning_moves(&generation, &steps[..3]),
        vec![(None, R, 0.0)]
    );
}

#[test]
fn a_for_run_completes_at_since_plus_for_with_no_further_reading() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    let changes = play(
        &generation,
        &[Read(0.0, 12.0), Tick(9.0), Tick(10.0), Tick(25.0)],
    );
    assert_eq!(moves(&changes), vec![(None, Y, 10.0)]);
    // the change says what held: the last reading's value, and its evidence
    let warning = warnings(&changes)[0];
    assert_eq!(warning.message, "gas.ch4 12 %LEL >= yellow 10 (rule r)");
    assert_eq!(warning.evidence.len(), 1);
}

#[test]
fn where_the_ticks_fall_changes_nothing() {
    let five = Persistence::For(Duration::from_secs(300));
    let generation = hourly(vec![clearing(
        [five, five, Persistence::Immediate, Persistence::Immediate],
        30,
    )]);
    let readings = [
        (0.0, 12.0),   // yellow run from 0: held at 5
        (40.0, 1.0),   // clear from 40: lowered at 70
        (100.0, 60.0), // red at once
        (101.0, 7.0),  // blue run from 101, clear of red from 101: red -> blue at 131
        (200.0, 1.0),  // clear of blue from 200: cleared at 230
        (300.0, 1.0),
    ];
    let expected = vec![
        (None, Y, 5.0),
        (Y, None, 70.0),
        (None, R, 100.0),
        (R, B, 131.0),
        (B, None, 230.0),
    ];
    // no tick at all: each reading fires its stream's deadlines before itself
    let unticked: Vec<Step> = readings.iter().map(|&(m, v)| Read(m, v)).collect();
    assert_eq!(warning_moves(&generation, &unticked), expected);
    // ticks every `every` minutes (and a few odd ones), readings in between
    for every in [0.5, 1.0, 7.0, 29.0, 61.0] {
        let mut steps = Vec::new();
        let mut clock = 0.0;
        for &(m, v) in &readings {
            while clock + every < m {
                clock += every;
                steps.push(Tick(clock));
            }
            steps.push(Read(m, v));
        }
        steps.push(Tick(400.0));
        assert_eq!(
            warning_moves(&generation, &steps),
            expected,
            "ticking every {every} minutes"
        );
    }
}

#[test]
fn a_reading_at_the_very_deadline_decides_even_after_a_tick_at_that_instant() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    // the run is broken at 10: no raise, whether or not the clock reached 10 first
    for steps in [
        vec![Read(0.0, 12.0), Read(10.0, 1.0), Tick(30.0)],
        vec![Read(0.0, 12.0), Tick(10.0), Read(10.0, 1.0), Tick(30.0)],
    ] {
        assert_eq!(warning_moves(&generation, &steps), vec![], "{steps:?}");
    }
    // a tick just past 10 has fired it
    assert_eq!(
        warning_moves(&generation, &[Read(0.0, 12.0), Tick(10.01)]),
        vec![(None, Y, 10.0)]
    );
}

#[test]
fn the_tick_waits_a_grace_for_readings_on_their_way_and_stamps_the_deadline() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    let mut engine = engine(&generation);
    assert_eq!(crate::eval::DEADLINE_GRACE, Duration::from_secs(60));
    let mut out = Vec::new();
    engine.evaluate(&reading("s1", "gas.ch4", 0.0, 12.0), &mut out);
    // the clock is 30 s past the deadline at 10m when the reading stamped 10m arrives: it still
    // decides (it breaks the run), as in a replay where it came on time
    engine.tick(at(10.5), &mut out);
    engine.evaluate(&reading("s1", "gas.ch4", 10.0, 1.0), &mut out);
    engine.tick(at(100.0), &mut out);
    assert_eq!(moves(&out), vec![]);

    // without a reading, the tick a grace after the deadline fires it, stamped 10m
    let mut engine = super::engine(&generation);
    let mut out = Vec::new();
    engine.evaluate(&reading("s1", "gas.ch4", 0.0, 12.0), &mut out);
    engine.tick(at(11.0), &mut out);
    assert_eq!(moves(&out), vec![]);
    engine.tick(at(11.01), &mut out);
    assert_eq!(moves(&out), vec![(None, Y, 10.0)]);
}

#[test]
fn a_late_reading_does_not_undo_a_fired_deadline_it_is_evaluated_at_its_own_time() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    // the tick at 15 completes the run at 10; a reading stamped 12 arrives afterwards: the
    // yellow stands, and the clear countdown starts at 12 (ends at 42)
    let steps = [Read(0.0, 12.0), Tick(15.0), Read(12.0, 1.0), Tick(60.0)];
    assert_eq!(
        warning_moves(&generation, &steps),
        vec![(None, Y, 10.0), (Y, None, 42.0)]
    );
}

#[test]
fn a_stream_out_of_range_or_silent_past_its_offline_limit_waits_for_its_next_reading() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    // out of range at 5: the run's deadline at 10 waits; the in-range reading at 20 decides
    let steps = [Read(0.0, 12.0), Read(5.0, 150.0), Tick(15.0)];
    assert_eq!(warning_moves(&generation, &steps), vec![]);
    let steps = [
        Read(0.0, 12.0),
        Read(5.0, 150.0),
        Tick(15.0),
        Read(20.0, 12.0),
    ];
    assert_eq!(warning_moves(&generation, &steps), vec![(None, Y, 20.0)]);

    // gas.ch4 reporting every minute is offline 3 minutes after its last reading: a clear
    // countdown ending later waits for the next reading
    let minutely = {
        let mut rule = threshold("r", "gas.ch4", IMMEDIATE);
        rule.clear = clear(0.0, 10);
        build(parts(vec![rule]))
    };
    let steps = [Read(0.0, 60.0), Read(1.0, 1.0), Tick(30.0)];
    assert_eq!(warning_moves(&minutely, &steps), vec![(None, R, 0.0)]);
    // a clear countdown inside the offline limit fires on the tick
    let mut rule = threshold("r", "gas.ch4", IMMEDIATE);
    rule.clear = clear(0.0, 2);
    let quick = build(parts(vec![rule]));
    let steps = [Read(0.0, 60.0), Read(1.0, 1.0), Tick(30.0)];
    assert_eq!(
        warning_moves(&quick, &steps),
        vec![(None, R, 0.0), (R, None, 3.0)]
    );
}

#[test]
fn rate_and_scripted_rules_clear_on_the_tick_with_their_latest_observation() {
    // a rate rule: rising 10 %LEL per minute is red; the flat reading at 61 clears it, and the
    // countdown of 30m ends at 91 without another reading
    let mut rate = rule(
        "rise",
        "gas.ch4",
        RuleKind::Rate(rate_spec(90, gas_ladder())),
    );
    rate.clear = clear(0.0, 30);
    let generation = hourly(vec![rate]);
    let steps = [
        Read(0.0, 1.0),
        Read(1.0, 61.0),
        Read(61.0, 61.0),
        Tick(100.0),
    ];
    let moved = warning_moves(&generation, &steps);
    assert_eq!(moved.first(), Some(&(None, R, 1.0)));
    assert_eq!(
        moved.last().map(|m| (m.1, m.2)),
        Some((None, 91.0)),
        "{moved:?}"
    );

    // a script that says red over 50 and nothing below: lowered 30m after it said nothing
    let generation = hourly(vec![script_rule(
        r#"if value >= 50.0 { "red" } else { () }"#,
    )]);
    let steps = [Read(0.0, 60.0), Read(60.0, 1.0), Tick(95.0)];
    assert_eq!(
        warning_moves(&generation, &steps),
        vec![(None, R, 0.0), (R, None, 90.0)]
    );
}

#[test]
fn an_engine_restored_from_its_image_fires_the_pending_deadlines_in_time() {
    let ten = Persistence::For(Duration::from_secs(600));
    let generation = hourly(vec![clearing([ten; 4], 30)]);
    let mut first = engine(&generation);
    let mut out = Vec::new();
    first.evaluate(&reading("s1", "gas.ch4", 0.0, 12.0), &mut out);
    let image = crate::eval::StateImage::decode(&first.image().encode()).expect("decodes");
    let mut second =
        crate::eval::Engine::from_image(Arc::clone(&generation), &image).expect("fits");
    // the run's deadline is 10m; the tick fires it once the default grace (1m) has passed too
    assert_eq!(
        second.next_deadline(),
        Some(crate::model::Timestamp(at(11.0).0 + 1))
    );
    second.tick(at(11.0), &mut out);
    assert_eq!(moves(&out), vec![]);
    second.tick(at(11.5), &mut out);
    assert_eq!(moves(&out), vec![(None, Y, 10.0)]);
    // and nothing more is pending: yellow's run is complete
    assert_eq!(second.next_deadline(), None);

    // a script's latest verdict travels in the image: red, then blue from 60; lowered to blue
    // (not to none) 30 minutes later by an engine restored in between
    let generation = hourly(vec![script_rule(
        r#"if value >= 50.0 { "red" } else if value >= 5.0 { "blue" } else { () }"#,
    )]);
    let mut first = engine(&generation);
    let mut out = Vec::new();
    first.evaluate(&reading("s1", "gas.ch4", 0.0, 60.0), &mut out);
    first.evaluate(&reading("s1", "gas.ch4", 60.0, 7.0), &mut out);
    let image = crate::eval::StateImage::decode(&first.image().encode()).expect("decodes");
    let mut second =
        crate::eval::Engine::from_image(Arc::clone(&generation), &image).expect("fits");
    second.tick(at(95.0), &mut out);
    assert_eq!(moves(&out), vec![(None, R, 0.0), (R, B, 90.0)]);
}

/// A scripted rule on `gas.ch4` running `text`, clearing after 30 minutes.
fn script_rule(text: &str) -> crate::model::Rule {
    let program = crate::script::compile("rules/t.rhai", text).expect("script compiles");
    let mut scripted = rule(
        "scripted",
        "gas.ch4",
        RuleKind::Script(ScriptSpec {
            file: "rules/t.rhai".to_owned(),
            lookback: Duration::from_secs(3600),
            neighbours: None,
            source: Arc::from(text),
            program: Arc::new(program),
        }),
    );
    scripted.clear = clear(0.0, 30);
    scripted
}
