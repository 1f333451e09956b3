//! `tocsin replay`: backtesting. Compiles the deployment, reads recorded readings (NDJSON), sorts
//! them by event time (stable), and runs them through a fresh engine with a manual clock that
//! follows the readings, ticking at every offline deadline on the way so device faults appear
//! when they would have. Prints each warning change and device fault as one JSON line on stdout;
//! bad input lines are reported on stderr with their line number, skipped and counted.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;
use serde_json::json;

use crate::eval::Engine;
use crate::model::level::level_name;
use crate::model::{Change, Clock, FaultChange, ManualClock, Reading, Timestamp, WarningChange};

/// One input line as written: `{"sensor": "...", "metric": "...", "value": 1.0, "ts": ...}`
/// with `ts` RFC 3339 text or epoch milliseconds; other keys are ignored.
#[derive(Debug, Deserialize)]
struct RawReading {
    /// Sensor id.
    sensor: String,
    /// Metric id.
    metric: String,
    /// Value in the metric's unit.
    value: f64,
    /// Event time.
    ts: RawTime,
}

/// A timestamp as RFC 3339 text or epoch milliseconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawTime {
    /// Epoch milliseconds.
    Millis(i64),
    /// RFC 3339 text.
    Text(String),
}

/// Counts for the closing summary on stderr.
#[derive(Debug, Default)]
struct Tally {
    /// Readings read.
    readings: usize,
    /// Lines that could not be read.
    bad_lines: usize,
    /// Warning changes printed.
    warnings: usize,
    /// Fault changes printed.
    faults: usize,
}

pub(crate) fn run(config: &Path, input: &Path) -> anyhow::Result<ExitCode> {
    let generation = match crate::compile::load(Some(config)) {
        Ok(generation) => Arc::new(generation),
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            eprintln!("replay: configuration has {} problem(s)", diagnostics.len());
            return Ok(ExitCode::from(1));
        }
    };
    let mut tally = Tally::default();
    let mut readings = read_input(input, &mut tally)?;
    readings.sort_by_key(|r| r.ts);
    tally.readings = readings.len();

    let stdout = std::io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    let mut engine = Engine::new(generation);
    let clock = ManualClock::new(readings.first().map_or(Timestamp(0), |r| r.ts));
    let mut changes = Vec::new();
    for reading in &readings {
        // tick at each offline deadline passed before this reading, so faults carry their time
        while let Some(due) = engine.next_offline_check() {
            if due >= reading.ts {
                break;
            }
            clock.set(due);
            engine.tick(clock.now(), &mut changes);
            print_changes(&mut writer, &mut changes, &mut tally)?;
        }
        clock.set(reading.ts);
        engine.tick(clock.now(), &mut changes);
        engine.evaluate(reading, &mut changes);
        print_changes(&mut writer, &mut changes, &mut tally)?;
    }
    writer.flush().context("writing to standard output")?;
    eprintln!(
        "replay: {} readings, {} warning changes, {} fault changes, {} late or duplicate, {} unknown, {} bad lines",
        tally.readings,
        tally.warnings,
        tally.faults,
        engine.late_readings(),
        engine.unknown_readings(),
        tally.bad_lines
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads every line of `input` (`-` is standard input); bad lines go to stderr and are counted.
fn read_input(input: &Path, tally: &mut Tally) -> anyhow::Result<Vec<Reading>> {
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
        Box::new(BufReader::new(file))
    };
    let mut readings = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", input.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line) {
            Ok(reading) => readings.push(reading),
            Err(problem) => {
                tally.bad_lines += 1;
                eprintln!("{}:{}: skipped: {problem}", input.display(), i + 1);
            }
        }
    }
    Ok(readings)
}

/// Parses one NDJSON line into a reading.
fn parse_line(line: &str) -> Result<Reading, String> {
    let raw: RawReading = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if !raw.value.is_finite() {
        return Err(format!("value {} is not finite", raw.value));
    }
    let ts = match raw.ts {
        RawTime::Millis(ms) => Timestamp(ms),
        RawTime::Text(text) => Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| format!("timestamp {text:?} is not RFC 3339"))?,
    };
    Ok(Reading {
        sensor: raw.sensor.as_str().into(),
        metric: raw.metric.as_str().into(),
        value: raw.value,
        ts,
    })
}

/// Prints warning and fault changes as JSON lines (alarm changes are not printed) and empties
/// `changes`.
fn print_changes(
    writer: &mut impl Write,
    changes: &mut Vec<Change>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    for change in changes.drain(..) {
        let line = match &change {
            Change::Warning(w) => {
                tally.warnings += 1;
                warning_line(w)
            }
            Change::Fault(f) => {
                tally.faults += 1;
                fault_line(f)
            }
            Change::Alarm(_) => continue,
        };
        writeln!(writer, "{line}").context("writing to standard output")?;
    }
    Ok(())
}

/// One warning change as a JSON line.
fn warning_line(w: &WarningChange) -> serde_json::Value {
    json!({
        "type": "warning",
        "asset": w.asset,
        "hazard": w.hazard,
        "level": level_name(w.to),
        "from": level_name(w.from),
        "ts": w.ts.to_rfc3339(),
        "rule": w.rule,
        "sensor": w.sensor,
        "domain": w.domain,
        "district": w.district,
        "department": w.department,
        "generation": w.generation,
        "message": w.message,
    })
}

/// One fault change as a JSON line.
fn fault_line(f: &FaultChange) -> serde_json::Value {
    json!({
        "type": "fault",
        "sensor": f.sensor,
        "metric": f.metric,
        "kind": f.kind.as_str(),
        "active": f.active,
        "ts": f.ts.to_rfc3339(),
        "detail": f.detail,
        "generation": f.generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_text_or_millisecond_times() {
        let r = parse_line(
            r#"{"sensor":"s1","metric":"gas.ch4","value":3.5,"ts":"2026-11-29T08:00:00+08:00"}"#,
        )
        .unwrap();
        assert_eq!(r.ts.to_rfc3339(), "2026-11-29T00:00:00.000Z");
        assert_eq!(r.value, 3.5);
        let r = parse_line(r#"{"sensor":"s1","metric":"m","value":1,"ts":1000}"#).unwrap();
        assert_eq!(r.ts, Timestamp(1000));
        assert!(parse_line(r#"{"sensor":"s1","metric":"m","value":"x","ts":1}"#).is_err());
        assert!(parse_line(r#"{"sensor":"s1","metric":"m","value":1,"ts":"noon"}"#).is_err());
        assert!(parse_line("not json").is_err());
    }
}
