//! Raw test documents -> checked cases: offsets become instants, series become readings, each
//! expectation's keys are checked to form exactly one kind of expectation, and the registry
//! fragment becomes a registry document. Every problem is a diagnostic at its own key, and a case
//! with a problem is reported (and counted failed) without stopping the others.

use crate::config::format::parse_yaml;
use crate::config::{Code, Diagnostic, Positions};
use crate::model::{FaultKind, Level, Reading, SourceFile, Timestamp};

use super::fragment::registry_document;

mod workflow;

use super::offset::{OFFSET_HINT, parse_offset};
use super::raw::{CaseDef, ExpectDef, FaultKindDef, LevelDef, ReadingDef, TestDoc};
pub(crate) use workflow::{CaseAction, WorkflowCheck};

/// Offsets count from here when a case gives no `start`: 2026-01-01T00:00:00Z.
pub(crate) const DEFAULT_START: Timestamp = Timestamp(1_767_225_600_000);

/// A case ready to run.
#[derive(Debug)]
pub(crate) struct Case {
    /// Its name.
    pub(crate) name: String,
    /// Where it starts in the file.
    pub(crate) position: (usize, usize),
    /// The registry document replacing the deployment's `city/`, if the case has one.
    pub(crate) registry: Option<SourceFile>,
    /// The instant offsets count from.
    pub(crate) start: Timestamp,
    /// Readings, in time order (stable for equal times).
    pub(crate) readings: Vec<CaseReading>,
    /// Workflow actions, in time order (stable for equal times).
    pub(crate) actions: Vec<CaseAction>,
    /// Expectations, in time order (stable for equal times).
    pub(crate) expectations: Vec<Expectation>,
}

/// A reading and where it was written (a series' readings share the series' position).
#[derive(Debug)]
pub(crate) struct CaseReading {
    /// The reading at its absolute time.
    pub(crate) reading: Reading,
    /// Position of its `readings` item.
    pub(crate) position: (usize, usize),
}

/// One expectation at its instant.
#[derive(Debug)]
pub(crate) struct Expectation {
    /// Position of its `expect` item.
    pub(crate) position: (usize, usize),
    /// When it is checked (after every reading at or before it).
    pub(crate) at: Timestamp,
    /// `at` as an offset from the case's start, for the report.
    pub(crate) offset_ms: i64,
    /// What must hold.
    pub(crate) check: Check,
}

/// What an expectation checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    /// The warning level of (asset, hazard); `None` = no open warning. With `caused_by`, the
    /// warning's causes must be exactly these (in any order).
    Warning {
        /// Asset id.
        asset: String,
        /// Hazard id.
        hazard: String,
        /// Expected level.
        level: Option<Level>,
        /// Expected causes, when given.
        caused_by: Option<Vec<ExpectedCause>>,
    },
    /// The warning was raised earlier in the case and has no level now.
    Cleared {
        /// Asset id.
        asset: String,
        /// Hazard id.
        hazard: String,
    },
    /// The last finding of a shadow rule on a sensor.
    Shadow {
        /// Rule id.
        rule: String,
        /// Sensor id.
        sensor: String,
        /// Level it would have raised (`None`: nothing).
        level: Option<Level>,
    },
    /// The alarm level of a rule on a sensor.
    Alarm {
        /// Rule id.
        rule: String,
        /// Sensor id.
        sensor: String,
        /// Expected level.
        level: Option<Level>,
    },
    /// The workflow state of the warning's case.
    Workflow(WorkflowCheck),
    /// Whether a device fault stands.
    Fault {
        /// Sensor id.
        sensor: String,
        /// Metric id.
        metric: String,
        /// Which fault.
        kind: FaultKind,
        /// Expected state.
        active: bool,
    },
}

/// One expected upstream cause of a warning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ExpectedCause {
    /// Cascade rule id.
    pub(crate) cascade: String,
    /// Upstream asset id.
    pub(crate) asset: String,
    /// Upstream hazard.
    pub(crate) hazard: String,
}

/// A case that cannot run: its problems.
#[derive(Debug)]
pub(crate) struct InvalidCase {
    /// Its name.
    pub(crate) name: String,
    /// Where it starts in the file.
    pub(crate) position: (usize, usize),
    /// What is wrong.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Reads a test file into its cases; `Err` when the file itself cannot be read (malformed YAML,
/// unknown keys, missing `version: 1`).
pub(crate) fn parse_file(
    file: &SourceFile,
) -> Result<Vec<Result<Case, InvalidCase>>, Vec<Diagnostic>> {
    let (doc, positions) = parse_yaml::<TestDoc>(&file.path, &file.text)?;
    Ok(doc
        .cases
        .into_iter()
        .enumerate()
        .map(|(index, def)| {
            let mut checker = Checker {
                file,
                positions: &positions,
                diagnostics: Vec::new(),
            };
            let path = format!("cases[{index}]");
            let case = checker.case(def, &path);
            if checker.diagnostics.is_empty() {
                Ok(case)
            } else {
                let mut diagnostics = checker.diagnostics;
                Diagnostic::sort(&mut diagnostics);
                Err(InvalidCase {
                    name: case.name,
                    position: case.position,
                    diagnostics,
                })
            }
        })
        .collect())
}

/// Checks one case, collecting diagnostics.
struct Checker<'a> {
    /// The test file (its path for diagnostics, its text for the registry fragment).
    file: &'a SourceFile,
    /// Positions of the file's nodes.
    positions: &'a Positions,
    /// Problems found in the case.
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// A diagnostic at the node `path` (a scalar's value, a collection's start).
    fn error(&self, code: Code, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, &self.file.path, self.positions.at(path), message)
    }

    /// A diagnostic at the key of the map entry `path` (a key that should not be there).
    fn key_error(&self, code: Code, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, &self.file.path, self.positions.key_at(path), message)
    }

    /// Records a problem.
    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A case; its problems are left in `diagnostics`.
    fn case(&mut self, def: CaseDef, path: &str) -> Case {
        let position = self.positions.at(path);
        let start = match &def.start {
            None => DEFAULT_START,
            Some(text) => match Timestamp::parse_rfc3339(text) {
                Some(start) => start,
                None => {
                    let d = self
                        .error(
                            Code::BadValue,
                            &format!("{path}.start"),
                            format!("`start` {text:?} is not an RFC 3339 instant"),
                        )
                        .with_hint("write e.g. `2026-07-20T08:00:00+08:00`");
                    self.push(d);
                    DEFAULT_START
                }
            },
        };
        let registry = match def.registry {
            None => None,
            Some(_) => {
                let key = self.positions.key_at(&format!("{path}.registry"));
                match registry_document(&self.file.path, &self.file.text, key) {
                    Ok(text) => Some(SourceFile {
                        path: self.file.path.clone(),
                        text,
                    }),
                    Err(d) => {
                        self.push(d);
                        None
                    }
                }
            }
        };
        let mut readings = Vec::new();
        for (i, reading) in def.readings.iter().enumerate() {
            self.reading(
                reading,
                &format!("{path}.readings[{i}]"),
                start,
                &mut readings,
            );
        }
        readings.sort_by_key(|r| r.reading.ts);
        let mut actions = Vec::new();
        for (i, action) in def.actions.into_iter().enumerate() {
            if let Some(a) = self.action(action, &format!("{path}.actions[{i}]"), start) {
                actions.push(a);
            }
        }
        actions.sort_by_key(|a| a.at);
        let mut expectations = Vec::new();
        for (i, expect) in def.expect.into_iter().enumerate() {
            if let Some(e) = self.expectation(expect, &format!("{path}.expect[{i}]"), start) {
                expectations.push(e);
            }
        }
        expectations.sort_by_key(|e| e.at);
        if expectations.is_empty() && actions.is_empty() && self.diagnostics.is_empty() {
            let d = self
                .error(Code::MissingKey, path, "the case expects nothing")
                .with_hint("add `expect:` items; a case that checks nothing cannot fail");
            self.push(d);
        }
        Case {
            name: def.name,
            position,
            registry,
            start,
            readings,
            actions,
            expectations,
        }
    }

    /// An offset; `None` (and a diagnostic) when it cannot be read.
    fn offset(&mut self, path: &str, text: &str) -> Option<i64> {
        match parse_offset(text) {
            Some(duration) => Some(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)),
            None => {
                let d = self
                    .error(
                        Code::BadDuration,
                        path,
                        format!("cannot read {text:?} as a time offset"),
                    )
                    .with_hint(OFFSET_HINT);
                self.push(d);
                None
            }
        }
    }

    /// One `readings` item: a reading or a series.
    fn reading(
        &mut self,
        def: &ReadingDef,
        path: &str,
        start: Timestamp,
        out: &mut Vec<CaseReading>,
    ) {
        let position = self.positions.at(path);
        let at = self.offset(&format!("{path}.at"), &def.at.0);
        let (values, every) = match (&def.value, &def.values, &def.every) {
            (Some(value), None, None) => (vec![*value], 0),
            (None, Some(values), Some(every)) if !values.is_empty() => {
                let Some(every) = self.offset(&format!("{path}.every"), &every.0) else {
                    return;
                };
                if every == 0 {
                    let d = self.error(
                        Code::BadValue,
                        &format!("{path}.every"),
                        "`every` must be longer than 0",
                    );
                    self.push(d);
                    return;
                }
                (values.clone(), every)
            }
            (None, Some(_), Some(_)) => {
                let d = self.error(
                    Code::BadValue,
                    &format!("{path}.values"),
                    "`values` is empty",
                );
                self.push(d);
                return;
            }
            (None, Some(_), None) => {
                let d = self
                    .error(Code::MissingKey, path, "missing key `every` for `values`")
                    .with_hint("a series needs its spacing: `every: 1m`");
                self.push(d);
                return;
            }
            (None, None, _) => {
                let d = self
                    .error(Code::MissingKey, path, "missing key `value` (or `values`)")
                    .with_hint("`value: 1.5`, or a series `values: [1, 2], every: 1m`");
                self.push(d);
                return;
            }
            (Some(_), _, _) => {
                let d = self
                    .error(
                        Code::BadValue,
                        path,
                        "give `value`, or `values` with `every`, not both",
                    )
                    .with_hint("`value` is one reading; `values` with `every` is a series");
                self.push(d);
                return;
            }
        };
        let Some(at) = at else {
            return;
        };
        for (i, value) in values.into_iter().enumerate() {
            let step = i64::try_from(i).unwrap_or(i64::MAX).saturating_mul(every);
            out.push(CaseReading {
                reading: Reading {
                    sensor: def.sensor.as_str().into(),
                    metric: def.metric.as_str().into(),
                    value,
                    ts: Timestamp(start.0.saturating_add(at).saturating_add(step)),
                },
                position,
            });
        }
    }

    /// One `expect` item; `None` (and diagnostics) when its keys do not form one expectation.
    fn expectation(&mut self, def: ExpectDef, path: &str, start: Timestamp) -> Option<Expectation> {
        let position = self.positions.at(path);
        let (time, cleared) = match (&def.at, &def.cleared_by) {
            (Some(at), None) => (self.offset(&format!("{path}.at"), &at.0), false),
            (None, Some(by)) => (self.offset(&format!("{path}.cleared_by"), &by.0), true),
            (Some(_), Some(_)) => {
                let d = self.key_error(
                    Code::BadValue,
                    &format!("{path}.cleared_by"),
                    "give `at` or `cleared_by`, not both",
                );
                self.push(d);
                return None;
            }
            (None, None) => {
                let d = self
                    .error(Code::MissingKey, path, "missing key `at` (or `cleared_by`)")
                    .with_hint("say when the expectation holds: `at: 10m`");
                self.push(d);
                return None;
            }
        };
        let warning_keys = def.asset.is_some()
            || def.hazard.is_some()
            || def.level.is_some()
            || def.caused_by.is_some()
            || workflow::has_workflow_keys(&def);
        let kinds = [
            warning_keys,
            def.shadow.is_some(),
            def.alarm.is_some(),
            def.fault.is_some(),
        ]
        .into_iter()
        .filter(|k| *k)
        .count();
        if kinds != 1 {
            let d = self
                .error(
                    if kinds == 0 {
                        Code::MissingKey
                    } else {
                        Code::BadValue
                    },
                    path,
                    if kinds == 0 {
                        "the expectation checks nothing"
                    } else {
                        "the expectation mixes kinds"
                    },
                )
                .with_hint(
                    "give one of: `asset` + `hazard` + `level` and/or `stage`, `escalations`, \
                     `escalated_to`, `notified`, `supervised` (warning), `shadow`, `alarm`, `fault`",
                );
            self.push(d);
            return None;
        }
        let check = if warning_keys {
            self.warning_check(def, path, cleared)?
        } else if cleared {
            let d = self
                .key_error(
                    Code::BadValue,
                    &format!("{path}.cleared_by"),
                    "`cleared_by` applies to warnings",
                )
                .with_hint("for an alarm, shadow finding or fault write `at` with `level: none` or `active: false`");
            self.push(d);
            return None;
        } else if let Some(shadow) = def.shadow {
            Check::Shadow {
                rule: shadow.rule,
                sensor: shadow.sensor,
                level: level(shadow.level),
            }
        } else if let Some(alarm) = def.alarm {
            Check::Alarm {
                rule: alarm.rule,
                sensor: alarm.sensor,
                level: level(alarm.level),
            }
        } else {
            let fault = def.fault?;
            Check::Fault {
                sensor: fault.sensor,
                metric: fault.metric,
                kind: match fault.kind {
                    FaultKindDef::Offline => FaultKind::Offline,
                    FaultKindDef::OutOfRange => FaultKind::OutOfRange,
                },
                active: fault.active.unwrap_or(true),
            }
        };
        let offset_ms = time?;
        Some(Expectation {
            position,
            at: Timestamp(start.0.saturating_add(offset_ms)),
            offset_ms,
            check,
        })
    }

    /// The warning kinds: `at` + asset + hazard + level (+ caused_by), or `cleared_by` + asset +
    /// hazard.
    fn warning_check(&mut self, def: ExpectDef, path: &str, cleared: bool) -> Option<Check> {
        if workflow::has_workflow_keys(&def) {
            return self.workflow_check(def, path, cleared).map(Check::Workflow);
        }
        let mut missing = Vec::new();
        if def.asset.is_none() {
            missing.push("`asset`");
        }
        if def.hazard.is_none() {
            missing.push("`hazard`");
        }
        if !cleared && def.level.is_none() {
            missing.push("`level`");
        }
        if !missing.is_empty() {
            let d = self.error(
                Code::MissingKey,
                path,
                format!(
                    "missing key {} in a warning expectation",
                    missing.join(", ")
                ),
            );
            self.push(d);
            return None;
        }
        if cleared && (def.level.is_some() || def.caused_by.is_some()) {
            let key = if def.level.is_some() {
                "level"
            } else {
                "caused_by"
            };
            let d = self
                .key_error(
                    Code::BadValue,
                    &format!("{path}.{key}"),
                    format!("`cleared_by` takes only `asset` and `hazard`, not `{key}`"),
                )
                .with_hint("check a level with a separate `at:` expectation");
            self.push(d);
            return None;
        }
        let (asset, hazard) = (def.asset?, def.hazard?);
        if cleared {
            return Some(Check::Cleared { asset, hazard });
        }
        let level = level(def.level?);
        let caused_by = def.caused_by.map(|causes| {
            let mut causes: Vec<ExpectedCause> = causes
                .into_iter()
                .map(|c| ExpectedCause {
                    cascade: c.cascade,
                    asset: c.asset,
                    hazard: c.hazard,
                })
                .collect();
            causes.sort();
            causes
        });
        Some(Check::Warning {
            asset,
            hazard,
            level,
            caused_by,
        })
    }
}

/// The model level of a written one.
pub(super) fn level(def: LevelDef) -> Option<Level> {
    match def {
        LevelDef::None => None,
        LevelDef::Blue => Some(Level::Blue),
        LevelDef::Yellow => Some(Level::Yellow),
        LevelDef::Orange => Some(Level::Orange),
        LevelDef::Red => Some(Level::Red),
    }
}
