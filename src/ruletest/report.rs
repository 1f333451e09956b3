//! The outcome of a run of rule test cases and its text, as `tocsin test` prints it: one line per
//! case (`ok   file :: name`, or `FAIL file:line:column :: name` followed by indented lines
//! saying what was expected and what happened, or why the case could not run), and a last line
//! `N passed, M failed`.

use std::fmt;
use std::sync::Arc;

use crate::config::Diagnostic;
use crate::model::Timestamp;

use super::history::{AssetHistory, lines};

/// Every case run, in file order.
#[derive(Debug, Default)]
pub struct Report {
    /// One entry per case (or per test file that could not be read).
    pub cases: Vec<CaseReport>,
}

/// One case and how it went.
#[derive(Debug)]
pub struct CaseReport {
    /// Test file as shown (`<builtin>/rules/...` or relative to the deployment).
    pub file: String,
    /// The case's name (for a file that could not be read, `(test file)`).
    pub name: String,
    /// Where the case starts in the file (1-based line and column).
    pub position: (usize, usize),
    /// The instant its offsets count from (`None` when the case could not be read).
    pub start: Option<Timestamp>,
    /// Passed, or why not.
    pub outcome: Outcome,
    /// When it failed: the actual level history of each asset it expected a warning level of.
    pub history: Vec<AssetHistory>,
}

/// How a case went.
#[derive(Debug)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// These expectations did not hold.
    Failed(Vec<Failure>),
    /// The case (or its whole file) could not be read: unknown keys, bad offsets, an expectation
    /// of no or mixed kind.
    Invalid(Vec<Diagnostic>),
    /// The configuration the case runs on (the deployment's, or with its registry fragment) does
    /// not compile. Shared between the cases that use the same configuration.
    NotCompiled(Arc<Vec<Diagnostic>>),
}

/// An expectation that did not hold (or a reading the configuration does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Where the expectation (or reading) is written.
    pub position: (usize, usize),
    /// `at 40m` or `by 90m`.
    pub when: String,
    /// What the case expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

impl CaseReport {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed)
    }
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// Cases that failed (including those that could not run).
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

/// A report shown with the instants its offsets stand for (`tocsin test --timezone`): each
/// failing case names its start, and its level history each change's instant, as `time` prints
/// them.
pub struct Shown<'r> {
    /// The report.
    report: &'r Report,
    /// Prints an instant (at the chosen UTC offset); `None`: offsets only.
    time: Option<&'r dyn Fn(Timestamp) -> String>,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shown")
            .field("report", self.report)
            .field("time", &self.time.is_some())
            .finish()
    }
}

impl Report {
    /// The report with instants printed by `time` (offsets only when `None`, as `Display`).
    pub fn shown<'r>(&'r self, time: Option<&'r dyn Fn(Timestamp) -> String>) -> Shown<'r> {
        Shown { report: self, time }
    }
}

impl fmt::Display for Report {
    /// The full text of `tocsin test`, ending with `N passed, M failed` and a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shown(None).fmt(f)
    }
}

impl fmt::Display for Shown<'_> {
    /// The full text of `tocsin test`, ending with `N passed, M failed` and a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown: Option<&Arc<Vec<Diagnostic>>> = None;
        for case in &self.report.cases {
            let (line, column) = case.position;
            if case.passed() {
                writeln!(f, "ok   {} :: {}", case.file, case.name)?;
                continue;
            }
            writeln!(f, "FAIL {}:{line}:{column} :: {}", case.file, case.name)?;
            if let (Some(time), Some(start), Outcome::Failed(_)) =
                (self.time, case.start, &case.outcome)
            {
                writeln!(f, "  offsets count from {}", time(start))?;
            }
            match &case.outcome {
                Outcome::Passed => {}
                Outcome::Failed(failures) => {
                    for failure in failures {
                        let (line, column) = failure.position;
                        writeln!(f, "  {}:{line}:{column}: {}", case.file, failure.when)?;
                        writeln!(f, "    expected: {}", failure.expected)?;
                        writeln!(f, "    actual:   {}", failure.actual)?;
                    }
                    for history in &case.history {
                        for line in lines(history, self.time) {
                            writeln!(f, "  {line}")?;
                        }
                    }
                }
                Outcome::Invalid(diagnostics) => {
                    for diagnostic in diagnostics {
                        write_indented(f, &diagnostic.to_string())?;
                    }
                }
                Outcome::NotCompiled(diagnostics) => {
                    if shown.is_some_and(|s| Arc::ptr_eq(s, diagnostics)) {
                        writeln!(
                            f,
                            "  the configuration does not compile ({} problem(s), shown above)",
                            diagnostics.len()
                        )?;
                    } else {
                        writeln!(f, "  the configuration does not compile:")?;
                        for diagnostic in diagnostics.iter() {
                            write_indented(f, &diagnostic.to_string())?;
                        }
                        shown = Some(diagnostics);
                    }
                }
            }
        }
        writeln!(
            f,
            "{} passed, {} failed",
            self.report.passed(),
            self.report.failed()
        )
    }
}

/// Writes `text` with every line indented by two spaces.
fn write_indented(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for line in text.lines() {
        writeln!(f, "  {line}")?;
    }
    Ok(())
}
