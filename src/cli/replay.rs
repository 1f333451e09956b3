//! `tocsin replay`: backtesting. Compiles the deployment, reads recorded readings (NDJSON), sorts
//! them by event time (stable), and runs them through a fresh engine on a virtual clock that
//! follows the readings, ticking at every offline deadline on the way so device faults appear
//! when they would have (`ruletest::Playback`). Prints each warning change and device fault as
//! one JSON line on stdout; bad input lines are reported on stderr with their line number,
//! skipped and counted.
//!
//! With `--baseline OLD`, the same readings also run through the baseline configuration and the
//! output is what the change does to the warnings instead: `+` added, `-` removed, `~` re-graded
//! (same episode, different peak level or first-raise time), then `N added, N removed, N
//! regraded` (`ruletest::baseline`).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use crate::model::level::level_name;
use crate::model::{
    Change, FaultChange, Generation, Reading, ShadowFinding, Timestamp, WarningChange,
};
use crate::ruletest::{Playback, compare, replay_episodes};
use crate::sim::parse_reading_line;

/// Arguments of `tocsin replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Deployment directory (with `--baseline`: the changed configuration).
    #[arg(long)]
    pub config: PathBuf,
    /// NDJSON file of readings (`-` for standard input).
    #[arg(long)]
    pub input: PathBuf,
    /// The configuration before the change: print the warnings the change adds, removes or
    /// re-grades instead of every warning change.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Run the clock on after the last reading to this instant (RFC 3339), as a server would
    /// have by then: `for` runs complete, clear countdowns end and silent sensors go offline on
    /// the way. Without it the replay stops at the last reading's time.
    #[arg(long, value_parser = parse_until)]
    pub until: Option<Timestamp>,
    /// Print times at this fixed UTC offset (`+08:00`, `-05:30`, `Z`) instead of UTC.
    #[arg(long, value_parser = parse_zone)]
    pub timezone: Option<Zone>,
}

/// A fixed UTC offset that printed times are shown at (`--timezone +08:00`); UTC by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    /// Minutes east of UTC.
    minutes: i32,
}

/// Reads `--timezone`: `Z`, `UTC`, or `+HH:MM` / `-HH:MM` (also `+HH` and `+HHMM`), at most 14
/// hours from UTC.
pub(crate) fn parse_zone(text: &str) -> Result<Zone, String> {
    let refuse = || {
        format!(
            "`{text}` is not a UTC offset: write `+08:00` (Shenyang), `-05:30` or `Z` (named \
             zones such as `Asia/Shanghai` are not known offline)"
        )
    };
    if text == "Z" || text.eq_ignore_ascii_case("utc") {
        return Ok(Zone::default());
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(refuse()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    let colons = rest.matches(':').count();
    let shaped = match (digits.len(), colons) {
        (2, 0) | (4, 0) => true,
        (4, 1) => rest.as_bytes().get(2) == Some(&b':'),
        _ => false,
    };
    if !shaped || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| refuse())?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| refuse())?
    } else {
        0
    };
    if hours > 14 || minutes > 59 || hours * 60 + minutes > 14 * 60 {
        return Err(refuse());
    }
    Ok(Zone {
        minutes: sign * (hours * 60 + minutes),
    })
}

impl Zone {
    /// `ts` in RFC 3339 at this offset, with milliseconds: `2026-07-20T08:00:00.000+08:00`
    /// (`...Z` for UTC, as before).
    pub(crate) fn show(self, ts: Timestamp) -> String {
        if self.minutes == 0 {
            return ts.to_rfc3339();
        }
        let shifted = Timestamp(ts.0 + i64::from(self.minutes) * 60_000).to_rfc3339();
        let Some(local) = shifted.strip_suffix('Z') else {
            return ts.to_rfc3339();
        };
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let abs = self.minutes.abs();
        format!("{local}{sign}{:02}:{:02}", abs / 60, abs % 60)
    }
}

/// Reads `--until`.
fn parse_until(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time (2026-12-07T08:00:00+08:00)"))
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
    /// Script faults printed.
    script_faults: usize,
    /// The offset printed times are shown at.
    zone: Zone,
}

/// `tocsin replay`, with or without `--baseline`.
pub(crate) fn run_args(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    // both configurations are compiled (and their problems printed) before giving up
    let generation = compile(&args.config, "replay: configuration");
    let baseline = args
        .baseline
        .as_deref()
        .map(|dir| compile(dir, "replay: baseline configuration"));
    let (Some(generation), false) = (generation, matches!(baseline, Some(None))) else {
        return Ok(ExitCode::from(1));
    };
    let baseline = baseline.flatten();
    let mut tally = Tally {
        zone: args.timezone.unwrap_or_default(),
        ..Tally::default()
    };
    let mut readings = read_input(&args.input, &mut tally)?;
    readings.sort_by_key(|r| r.ts);
    tally.readings = readings.len();
    match baseline {
        Some(baseline) => diff(baseline, generation, &readings, &tally),
        None => changes(generation, &readings, args.until, tally),
    }
}

/// Compiles `config`; on problems prints them and `{what} has N problem(s)` on stderr.
fn compile(config: &Path, what: &str) -> Option<Arc<Generation>> {
    match crate::compile::load(Some(config)) {
        Ok(generation) => Some(Arc::new(generation)),
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            eprintln!("{what} has {} problem(s)", diagnostics.len());
            None
        }
    }
}

/// Prints every warning and fault change of `readings` as JSON lines.
fn changes(
    generation: Arc<Generation>,
    readings: &[Reading],
    until: Option<Timestamp>,
    mut tally: Tally,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    let start = readings.first().map_or(Timestamp(0), |r| r.ts);
    let mut playback = Playback::new(generation, start);
    let mut changes = Vec::new();
    for reading in readings {
        playback.feed(reading, &mut changes);
        print_changes(&mut writer, &mut changes, &mut tally)?;
        for fault in playback.take_script_faults() {
            tally.script_faults += 1;
            let line = script_fault_line(&fault, Some(reading), tally.zone);
            writeln!(writer, "{line}").context("writing to standard output")?;
        }
    }
    if let Some(until) = until.filter(|until| *until > playback.now()) {
        playback.advance_through(until, &mut changes);
        print_changes(&mut writer, &mut changes, &mut tally)?;
        for fault in playback.take_script_faults() {
            tally.script_faults += 1;
            let line = script_fault_line(&fault, None, tally.zone);
            writeln!(writer, "{line}").context("writing to standard output")?;
        }
    }
    writer.flush().context("writing to standard output")?;
    let engine = playback.engine();
    eprintln!(
        "replay: {} readings, {} warning changes, {} fault changes, {} script faults, {} late or duplicate, {} unknown, {} bad lines",
        tally.readings,
        tally.warnings,
        tally.faults,
        tally.script_faults,
        engine.late_readings(),
        engine.unknown_readings(),
        tally.bad_lines
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints the warnings that `generation` adds, removes or re-grades against `baseline`.
fn diff(
    baseline: Arc<Generation>,
    generation: Arc<Generation>,
    readings: &[Reading],
    tally: &Tally,
) -> anyhow::Result<ExitCode> {
    let (old_id, new_id) = (baseline.id.clone(), generation.id.clone());
    let old = replay_episodes(baseline, readings);
    let new = replay_episodes(generation, readings);
    let diff = compare(&old, &new);
    let stdout = std::io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    write!(writer, "{diff}").context("writing to standard output")?;
    writer.flush().context("writing to standard output")?;
    eprintln!(
        "replay: {} readings, {} bad lines; baseline {old_id}: {} warnings, {new_id}: {} warnings",
        tally.readings,
        tally.bad_lines,
        old.len(),
        new.len()
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
        match parse_reading_line(&line) {
            Ok(reading) => readings.push(reading),
            Err(problem) => {
                tally.bad_lines += 1;
                eprintln!("{}:{}: skipped: {problem}", input.display(), i + 1);
            }
        }
    }
    Ok(readings)
}

/// Prints warning and fault changes and shadow findings as JSON lines (alarm changes are not
/// printed) and empties `changes`.
fn print_changes(
    writer: &mut impl Write,
    changes: &mut Vec<Change>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    for change in changes.drain(..) {
        let line = match &change {
            Change::Warning(w) => {
                tally.warnings += 1;
                warning_line(w, tally.zone)
            }
            Change::Fault(f) => {
                tally.faults += 1;
                fault_line(f, tally.zone)
            }
            Change::Shadow(s) => shadow_line(s, tally.zone),
            Change::Alarm(_) => continue,
        };
        writeln!(writer, "{line}").context("writing to standard output")?;
    }
    Ok(())
}

/// One warning change as a JSON line.
fn warning_line(w: &WarningChange, zone: Zone) -> serde_json::Value {
    let mut line = json!({
        "type": "warning",
        "asset": w.asset,
        "hazard": w.hazard,
        "level": level_name(w.to),
        "from": level_name(w.from),
        "ts": zone.show(w.ts),
        "rule": w.rule,
        "sensor": w.sensor,
        "domain": w.domain,
        "district": w.district,
        "department": w.department,
        "generation": w.generation,
        "message": w.message,
    });
    // the cause chain of a cascaded warning, only where there is one
    if !w.causes.is_empty()
        && let Some(fields) = line.as_object_mut()
    {
        fields.insert("causes".to_owned(), json!(w.causes));
    }
    line
}

/// What a shadow rule would have done, as a JSON line.
fn shadow_line(s: &ShadowFinding, zone: Zone) -> serde_json::Value {
    json!({
        "type": "shadow",
        "rule": s.rule,
        "sensor": s.sensor,
        "asset": s.asset,
        "hazard": s.hazard,
        "level": level_name(s.to),
        "from": level_name(s.from),
        "ts": zone.show(s.ts),
        "generation": s.generation,
        "message": s.message,
    })
}

/// A script that failed (the rule keeps its previous level) as a JSON line: the rule, the
/// position in its script, the fault's kind and message, and the reading that ran it (none when
/// a clock tick did).
fn script_fault_line(
    fault: &crate::script::ScriptFault,
    reading: Option<&Reading>,
    zone: Zone,
) -> serde_json::Value {
    json!({
        "type": "script_fault",
        "rule": fault.rule,
        "file": fault.file,
        "line": fault.line,
        "column": fault.column,
        "kind": fault.kind.as_str(),
        "message": fault.message,
        "sensor": reading.map(|r| r.sensor.as_str()),
        "metric": reading.map(|r| r.metric.as_str()),
        "ts": reading.map(|r| zone.show(r.ts)),
        "value": reading.map(|r| r.value),
    })
}

/// One fault change as a JSON line.
fn fault_line(f: &FaultChange, zone: Zone) -> serde_json::Value {
    json!({
        "type": "fault",
        "sensor": f.sensor,
        "metric": f.metric,
        "kind": f.kind.as_str(),
        "active": f.active,
        "ts": zone.show(f.ts),
        "detail": f.detail,
        "generation": f.generation,
    })
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn offsets_parse_and_show() {
        let ts = Timestamp::parse_rfc3339("2026-07-20T00:30:00Z").unwrap();
        let table = [
            ("Z", "2026-07-20T00:30:00.000Z"),
            ("UTC", "2026-07-20T00:30:00.000Z"),
            ("+00:00", "2026-07-20T00:30:00.000Z"),
            ("+08:00", "2026-07-20T08:30:00.000+08:00"),
            ("+0800", "2026-07-20T08:30:00.000+08:00"),
            ("+08", "2026-07-20T08:30:00.000+08:00"),
            ("-05:30", "2026-07-19T19:00:00.000-05:30"),
            ("+14:00", "2026-07-20T14:30:00.000+14:00"),
        ];
        for (text, shown) in table {
            let zone = parse_zone(text).unwrap();
            assert_eq!(zone.show(ts), shown, "{text}");
            // what is shown reads back as the same instant
            assert_eq!(Timestamp::parse_rfc3339(shown), Some(ts), "{text}");
        }
        for bad in [
            "",
            "8",
            "+8:00",
            "+08:0",
            "+15:00",
            "+08:60",
            "Asia/Shanghai",
            "08:00",
        ] {
            assert!(parse_zone(bad).is_err(), "{bad:?}");
        }
    }
}
