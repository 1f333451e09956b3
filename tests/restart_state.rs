//! Rule state survives a restart exactly: an engine stopped anywhere in the Shenyang example's
//! recorded afternoon and continued from its encoded state image produces the very changes - same
//! levels, same event times, same messages and evidence - as one that never stopped. The
//! recording runs `for` persistence, rate windows, scripted trends over windows, clear
//! countdowns, sequence and cluster rules and cascades, so a stop lands in the middle of each.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use tocsin::eval::{Engine, StateImage};
use tocsin::model::{Change, Generation, Reading};
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

/// Evaluates `readings` in batches of `batch`, ticking the clock at each batch's last reading
/// time as the server's tick would, appending the changes.
fn run(engine: &mut Engine, readings: &[Reading], batch: usize, out: &mut Vec<Change>) {
    for chunk in readings.chunks(batch) {
        engine.evaluate_batch(chunk, out);
        if let Some(last) = chunk.last() {
            engine.tick(last.ts, out);
        }
    }
}

/// Counts the changes of each kind, to show what a test covered.
fn kinds(changes: &[Change]) -> (usize, usize, usize) {
    changes.iter().fold((0, 0, 0), |(a, w, f), c| match c {
        Change::Alarm(_) => (a + 1, w, f),
        Change::Warning(_) => (a, w + 1, f),
        Change::Fault(_) => (a, w, f + 1),
        Change::Shadow(_) => (a, w, f),
    })
}

#[test]
fn an_engine_continued_from_its_image_changes_exactly_like_one_that_never_stopped() {
    let (generation, readings) = shenyang();
    let mut uninterrupted = Engine::new(Arc::clone(&generation));
    let mut expected = Vec::new();
    run(&mut uninterrupted, &readings, 7, &mut expected);
    let (alarms, warnings, _) = kinds(&expected);
    assert!(
        alarms > 10 && warnings > 10,
        "the recording moves too little: {alarms} {warnings}"
    );

    // a stop every 35 readings: each lands in the middle of some run, window or pattern
    for stop in (35..readings.len()).step_by(35) {
        let mut first = Engine::new(Arc::clone(&generation));
        let mut changes = Vec::new();
        run(&mut first, &readings[..stop], 7, &mut changes);
        let bytes = first.image().encode();
        drop(first);
        let image = StateImage::decode(&bytes).unwrap();
        let mut second = Engine::from_image(Arc::clone(&generation), &image).unwrap();
        run(&mut second, &readings[stop..], 7, &mut changes);
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

#[test]
fn an_image_of_another_generation_or_a_damaged_one_is_refused() {
    let (generation, readings) = shenyang();
    let mut engine = Engine::new(Arc::clone(&generation));
    run(&mut engine, &readings[..200], 10, &mut Vec::new());
    let bytes = engine.image().encode();

    let minimal = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let other = Arc::new(tocsin::compile::load(Some(&minimal)).unwrap());
    let image = StateImage::decode(&bytes).unwrap();
    let refused = Engine::from_image(other, &image).unwrap_err();
    assert!(
        refused.to_string().contains("belongs to generation"),
        "{refused}"
    );

    let damaged = StateImage::decode(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(
        damaged.to_string().contains("cannot be decoded"),
        "{damaged}"
    );
}
