//! A small closed-loop workflow for tests that need cases in known stages (`tests/cap.rs`,
//! `tests/report.rs`): stages with per-level deadlines in minutes, duty-officer transitions, and
//! the Shenyang example deployment with that workflow in place.

use std::path::PathBuf;
use std::time::Duration;

use tocsin::model::{AutoTransitions, Generation, Role, Stage, Transition, Workflow};

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A stage with per-level deadlines (blue, yellow, orange, red) in minutes.
pub(crate) fn stage(id: &str, terminal: bool, deadline: [Option<u64>; 4]) -> Stage {
    Stage {
        id: id.into(),
        name: format!("{id} stage"),
        terminal,
        deadline: deadline.map(|minutes| minutes.map(|m| Duration::from_secs(m * 60))),
        escalation: Vec::new(),
    }
}

/// A duty officer's action from one stage to another.
pub(crate) fn transition(action: &str, from: &str, to: &str) -> Transition {
    Transition {
        action: action.into(),
        name: action.to_owned(),
        from: vec![from.into()],
        to: Some(to.into()),
        roles: vec![Role::DutyOfficer],
        requires: Vec::new(),
    }
}

/// Triage limits blue 2 h, yellow 30 min, orange 10 min, red 5 min; issue limits 4 h / 30 / 10 /
/// 5 (as the shipped standard workflow); no deadline after that.
pub(crate) fn loop_stages(rest: &[&str], terminal: &[&str]) -> Vec<Stage> {
    let mut stages = vec![
        stage("detected", false, [Some(120), Some(30), Some(10), Some(5)]),
        stage("issued", false, [Some(240), Some(30), Some(10), Some(5)]),
    ];
    stages.extend(rest.iter().map(|id| stage(id, false, [None; 4])));
    stages.extend(terminal.iter().map(|id| stage(id, true, [None; 4])));
    stages
}

/// A workflow `id` of `stages` starting at `detected`, with `transitions` (action, from, to).
pub(crate) fn loop_workflow(
    id: &str,
    stages: Vec<Stage>,
    transitions: &[(&str, &str, &str)],
) -> Workflow {
    Workflow {
        id: id.into(),
        name: format!("{id} loop"),
        domains: Vec::new(),
        stages,
        initial: "detected".into(),
        transitions: transitions
            .iter()
            .map(|(action, from, to)| transition(action, from, to))
            .collect(),
        auto: AutoTransitions::default(),
        notify: Vec::new(),
        issuing_authority: [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
        city_duty_office: "shenyang.duty_office".into(),
    }
}

/// The Shenyang example with `workflow` as its only workflow (every domain follows it).
pub(crate) fn shenyang_with(workflow: Workflow) -> Generation {
    let mut generation = tocsin::compile::load(Some(&repo().join("examples/shenyang")))
        .unwrap_or_else(|diagnostics| panic!("examples/shenyang: {diagnostics:?}"));
    generation.workflows = vec![workflow];
    generation
}
