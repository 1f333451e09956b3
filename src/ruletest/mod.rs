//! Tools to trust a rule change before it goes live: rule test cases (`tocsin test`) and the
//! warning diff of a replay against a baseline (`tocsin replay --baseline`).
//!
//! A test file (`rules/**/*.test.yaml`, shipped or the deployment's) holds cases: an optional
//! registry fragment that replaces the deployment's `city/`, readings at offsets from a start
//! time, and expectations (a warning's level at a time, cleared by a time, its cause chain; a
//! shadow finding; an alarm; a device fault). Each case compiles its configuration (the
//! deployment's own is compiled once and shared), plays its readings through a fresh engine on a
//! virtual clock and checks every expectation at its time; nothing sleeps. The case format is
//! documented for rule editors in `docs/TESTING.md`.
//!
//! Layout: `raw` (the file as written), `case` (checked cases), `fragment` (the registry
//! fragment as a document that keeps its positions), `playback` (the virtual-clock loop shared
//! with replay), `observed` + `check` (what happened vs what was expected), `runner` (one case),
//! `report` (the text), `baseline` (the replay diff).

mod baseline;
mod case;
mod check;
mod check_workflow;
mod duty;
mod fragment;
mod history;
mod observed;
mod offset;
mod playback;
mod raw;
mod references;
mod report;
mod runner;
#[cfg(test)]
mod workflow_tests;

use std::path::Path;
use std::sync::Arc;

use crate::config::{Diagnostic, rule_tests};
use crate::model::{Generation, SourceFile};

pub use baseline::{Episode, WarningDiff, compare, episodes, replay_episodes};
pub use history::{AssetHistory, HazardHistory, LevelStep};
pub use playback::Playback;
pub use report::{CaseReport, Failure, Outcome, Report, Shown};

/// Runs every rule test case of the shipped packs and of `deployment` (`rules/**/*.test.yaml`),
/// each on the deployment's configuration or its own registry fragment.
pub fn run(deployment: &Path) -> Report {
    run_files(Some(deployment), &rule_tests(Some(deployment)))
}

/// Runs the cases of `files` on `deployment` (or the shipped packs alone).
pub fn run_files(deployment: Option<&Path>, files: &[SourceFile]) -> Report {
    let mut runner = Runner::new(deployment);
    let mut report = Report::default();
    for file in files {
        report.cases.extend(runner.run_file(file));
    }
    report
}

/// Runs test files, compiling the deployment's own configuration once for all the cases that
/// have no registry fragment.
#[derive(Debug)]
pub struct Runner<'a> {
    /// The deployment directory, if any.
    deployment: Option<&'a Path>,
    /// The deployment's own generation (or its diagnostics), once compiled.
    own: Option<Compiled>,
}

/// A compiled configuration, or its problems (shared so the report prints them once).
type Compiled = Result<Arc<Generation>, Arc<Vec<Diagnostic>>>;

impl<'a> Runner<'a> {
    /// A runner for `deployment` (`None`: the shipped packs alone).
    pub fn new(deployment: Option<&'a Path>) -> Runner<'a> {
        Runner {
            deployment,
            own: None,
        }
    }

    /// Runs every case of one test file. A file that cannot be read is one failed entry.
    pub fn run_file(&mut self, file: &SourceFile) -> Vec<CaseReport> {
        let cases = match case::parse_file(file) {
            Ok(cases) => cases,
            Err(diagnostics) => {
                let position = diagnostics.first().map_or((1, 1), |d| (d.line, d.column));
                return vec![CaseReport {
                    file: file.path.clone(),
                    name: "(test file)".to_owned(),
                    position,
                    start: None,
                    outcome: Outcome::Invalid(diagnostics),
                    history: Vec::new(),
                }];
            }
        };
        cases
            .into_iter()
            .map(|case| match case {
                Ok(case) => {
                    let mut history = Vec::new();
                    let outcome = match self.generation(case.registry.clone()) {
                        Ok(generation) => 'run: {
                            let unknown =
                                references::unknown_references(&case, &generation, &file.path);
                            if !unknown.is_empty() {
                                break 'run Outcome::Invalid(unknown);
                            }
                            let (failures, seen) = runner::run_case(&case, &generation);
                            history = seen;
                            if failures.is_empty() {
                                Outcome::Passed
                            } else {
                                Outcome::Failed(failures)
                            }
                        }
                        Err(diagnostics) => Outcome::NotCompiled(diagnostics),
                    };
                    CaseReport {
                        file: file.path.clone(),
                        name: case.name,
                        position: case.position,
                        start: Some(case.start),
                        outcome,
                        history,
                    }
                }
                Err(invalid) => CaseReport {
                    file: file.path.clone(),
                    name: invalid.name,
                    position: invalid.position,
                    start: None,
                    outcome: Outcome::Invalid(invalid.diagnostics),
                    history: Vec::new(),
                },
            })
            .collect()
    }

    /// The generation of a case: with its registry fragment compiled afresh, else the
    /// deployment's own (compiled on first use).
    fn generation(&mut self, registry: Option<SourceFile>) -> Compiled {
        match registry {
            Some(city) => compile(self.deployment, Some(city)),
            None => self
                .own
                .get_or_insert_with(|| compile(self.deployment, None))
                .clone(),
        }
    }
}

/// Compiles the packs and the deployment, with `city/` replaced when `city` is given.
fn compile(deployment: Option<&Path>, city: Option<SourceFile>) -> Compiled {
    crate::compile::load_with(deployment, city)
        .map(Arc::new)
        .map_err(Arc::new)
}
