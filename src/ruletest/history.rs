//! The actual level history a failing case prints: for every asset the case expected a warning
//! level (or a clear) of, each warning change of that asset during the case (any hazard, so a
//! warning raised under another hazard than the one expected shows too), at offsets from the
//! case's start in the form test files accept.

use crate::model::{Level, Timestamp, level_name};

use super::case::{Case, Check};
use super::observed::Observed;
use super::offset::format_offset;

/// The warning changes of one asset during a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetHistory {
    /// Asset id.
    pub asset: String,
    /// How far the case ran (its last reading, action or expectation), from its start.
    pub until_ms: i64,
    /// One entry per hazard that changed, in the order each first changed.
    pub hazards: Vec<HazardHistory>,
}

/// The level changes of one (asset, hazard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HazardHistory {
    /// Hazard id.
    pub hazard: String,
    /// Every change, in order.
    pub steps: Vec<LevelStep>,
}

/// One level change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelStep {
    /// When, as milliseconds from the case's start.
    pub offset_ms: i64,
    /// When, as an instant.
    pub ts: Timestamp,
    /// The level it moved to (`None`: cleared).
    pub level: Option<Level>,
    /// The rule of the change.
    pub rule: String,
}

/// The assets `case` expects a warning level or a clear of, in order of first mention.
pub(crate) fn expected_assets(case: &Case) -> Vec<String> {
    let mut assets: Vec<String> = Vec::new();
    for expectation in &case.expectations {
        if let Check::Warning { asset, .. } | Check::Cleared { asset, .. } = &expectation.check
            && !assets.contains(asset)
        {
            assets.push(asset.clone());
        }
    }
    assets
}

/// How far `case` runs: its last reading, action or expectation, from its start.
pub(crate) fn case_end(case: &Case) -> i64 {
    let readings = case.readings.iter().map(|r| r.reading.ts);
    let actions = case.actions.iter().map(|a| a.at);
    let expectations = case.expectations.iter().map(|e| e.at);
    readings
        .chain(actions)
        .chain(expectations)
        .max()
        .map_or(0, |end| end.since(case.start))
}

/// The history of each of `assets` as `observed` saw it, offsets counted from `start`, the case
/// having run to `until_ms`.
pub(crate) fn histories(
    assets: &[String],
    observed: &Observed,
    start: Timestamp,
    until_ms: i64,
) -> Vec<AssetHistory> {
    assets
        .iter()
        .map(|asset| {
            let mut hazards: Vec<HazardHistory> = Vec::new();
            for step in observed.steps_of(asset) {
                let level_step = LevelStep {
                    offset_ms: step.ts.since(start),
                    ts: step.ts,
                    level: step.level,
                    rule: step.rule.clone(),
                };
                match hazards.iter_mut().find(|h| h.hazard == step.hazard) {
                    Some(history) => history.steps.push(level_step),
                    None => hazards.push(HazardHistory {
                        hazard: step.hazard.clone(),
                        steps: vec![level_step],
                    }),
                }
            }
            AssetHistory {
                asset: asset.clone(),
                until_ms,
                hazards,
            }
        })
        .collect()
}

/// The report lines of one asset's history (not indented): a heading, then one line per hazard
/// (`gas_leak: 2m yellow (rule R), 19m none`), or `no warning changes`. With `time`, each offset is
/// followed by the instant it stands for (`2m = 2026-01-01T08:02:00.000+08:00`).
pub(crate) fn lines(
    history: &AssetHistory,
    time: Option<&dyn Fn(Timestamp) -> String>,
) -> Vec<String> {
    let mut lines = vec![format!(
        "actual level history of {} (to {}):",
        history.asset,
        format_offset(history.until_ms)
    )];
    if history.hazards.is_empty() {
        lines.push("  no warning changes".to_owned());
    }
    for hazard in &history.hazards {
        let steps: Vec<String> = hazard
            .steps
            .iter()
            .map(|step| {
                let when = match time {
                    Some(time) => format!("{} = {}", format_offset(step.offset_ms), time(step.ts)),
                    None => format_offset(step.offset_ms),
                };
                match step.level {
                    Some(_) => format!("{when} {} (rule {})", level_name(step.level), step.rule),
                    None => format!("{when} none"),
                }
            })
            .collect();
        lines.push(format!("  {}: {}", hazard.hazard, steps.join(", ")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::model::SourceFile;
    use crate::ruletest::{Outcome, run_files};

    fn step(offset_ms: i64, level: Option<Level>, rule: &str) -> LevelStep {
        LevelStep {
            offset_ms,
            ts: Timestamp(1_767_225_600_000 + offset_ms),
            level,
            rule: rule.to_owned(),
        }
    }

    #[test]
    fn history_lines_use_test_file_offsets() {
        let raised = AssetHistory {
            asset: "well-1".to_owned(),
            until_ms: 3_900_000,
            hazards: vec![
                HazardHistory {
                    hazard: "gas_leak".to_owned(),
                    steps: vec![
                        step(120_000, Some(Level::Yellow), "r.ladder"),
                        step(3_900_000, None, "r.ladder"),
                    ],
                },
                HazardHistory {
                    hazard: "explosion".to_owned(),
                    steps: vec![step(1_500, Some(Level::Red), "r.cascade")],
                },
            ],
        };
        let quiet = AssetHistory {
            asset: "well-2".to_owned(),
            until_ms: 600_000,
            hazards: Vec::new(),
        };
        let utc8 = |ts: Timestamp| format!("T+8({})", ts.0);
        type Row<'a> = (
            &'a AssetHistory,
            Option<&'a dyn Fn(Timestamp) -> String>,
            Vec<&'a str>,
        );
        let table: [Row<'_>; 3] = [
            (
                &raised,
                None,
                vec![
                    "actual level history of well-1 (to 1h5m):",
                    "  gas_leak: 2m yellow (rule r.ladder), 1h5m none",
                    "  explosion: 1s500ms red (rule r.cascade)",
                ],
            ),
            (
                &quiet,
                None,
                vec![
                    "actual level history of well-2 (to 10m):",
                    "  no warning changes",
                ],
            ),
            (
                &raised,
                Some(&utc8),
                vec![
                    "actual level history of well-1 (to 1h5m):",
                    "  gas_leak: 2m = T+8(1767225720000) yellow (rule r.ladder), 1h5m = \
                     T+8(1767229500000) none",
                    "  explosion: 1s500ms = T+8(1767225601500) red (rule r.cascade)",
                ],
            ),
        ];
        for (history, time, expected) in table {
            assert_eq!(lines(history, time), expected);
        }
    }

    fn minimal() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal")
    }

    const FAILING: &str = "version: 1
cases:
  - name: a leak expected red that is orange
    readings:
      - {at: 0m, sensor: gas-ch4-0001, metric: gas.ch4_adjacent, values: [25, 25, 3], every: 1m}
    expect:
      - {at: 1m, asset: well-hp-017, hazard: gas_leak, level: red}
      - {at: 1m, asset: rs-sh-003, hazard: gas_leak, level: none}
";

    #[test]
    fn a_failing_case_carries_the_history_of_the_assets_it_expected_of() {
        let file = SourceFile {
            path: "rules/t.test.yaml".to_owned(),
            text: FAILING.to_owned(),
        };
        let report = run_files(Some(&minimal()), &[file]);
        let case = &report.cases[0];
        assert!(matches!(case.outcome, Outcome::Failed(_)), "{report}");
        let assets: Vec<&str> = case.history.iter().map(|h| h.asset.as_str()).collect();
        assert_eq!(assets, ["well-hp-017", "rs-sh-003"]);
        let leak = &case.history[0];
        assert_eq!(leak.until_ms, 120_000);
        let gas_leak = leak
            .hazards
            .iter()
            .find(|h| h.hazard == "gas_leak")
            .expect("the leak's own hazard changed");
        let first = &gas_leak.steps[0];
        assert_eq!((first.offset_ms, first.level), (0, Some(Level::Orange)));
        assert!(case.history[1].hazards.is_empty(), "{report}");
        let text = report.to_string();
        assert!(
            text.contains(
                "  actual level history of well-hp-017 (to 2m):\n    gas_leak: 0s orange (rule "
            ),
            "{text}"
        );
        assert!(
            text.contains("  actual level history of rs-sh-003 (to 2m):\n    no warning changes\n"),
            "{text}"
        );
        let zone = |ts: Timestamp| format!("<{}>", ts.0);
        let shown = report.shown(Some(&zone)).to_string();
        assert!(
            shown.contains("  offsets count from <1767225600000>\n"),
            "{shown}"
        );
        assert!(
            shown.contains("gas_leak: 0s = <1767225600000> orange"),
            "{shown}"
        );
    }

    #[test]
    fn a_passing_case_carries_no_history() {
        let file = SourceFile {
            path: "rules/t.test.yaml".to_owned(),
            text: FAILING.replace("level: red", "level: orange"),
        };
        let report = run_files(Some(&minimal()), &[file]);
        assert!(report.cases[0].passed(), "{report}");
        assert!(report.cases[0].history.is_empty());
        assert!(!report.to_string().contains("history"));
    }
}
