//! The raw workflow document (`workflows/*.yaml`) exactly as rule editors write it: one closed-loop
//! disposal workflow (闭环处置, DOMAINS.md 2.5) per file. Stage, role, recipient and channel names
//! stay text here so that `compile::workflow` can say which one is unknown, at its position, with
//! a "did you mean"; only levels are typed by serde.

use serde::Deserialize;

use super::format::{ListChecker, Listed};
use super::raw::{ForDef, LevelName, Version};

impl Listed for WorkflowDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<StageDef>("stages");
        checker.list::<TransitionDef>("transitions");
        checker.list::<NotifyDef>("notify");
    }
}

/// `workflows/<id>.yaml`: one workflow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDoc {
    /// Must be 1.
    pub version: Version,
    /// Stable id, e.g. `standard`; a deployment's workflow with a shipped id replaces it.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// The workflow of every domain that no other workflow lists (exactly one per deployment).
    #[serde(default)]
    pub default: bool,
    /// Domains that follow this workflow (a non-default workflow lists at least one).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Where a new warning starts; default the first stage.
    pub initial: Option<String>,
    /// Department id of the city duty office (市政府总值班室) that receives supervision items.
    pub city_duty_office: String,
    /// Who issues each level (DOMAINS.md 2.2), as recipient words.
    pub issuing_authority: IssuersDef,
    /// The stages.
    pub stages: Vec<StageDef>,
    /// The actions people take.
    #[serde(default)]
    pub transitions: Vec<TransitionDef>,
    /// What the workflow does by itself when the engine moves the warning.
    #[serde(default)]
    pub auto: AutoDef,
    /// Notification plans.
    #[serde(default)]
    pub notify: Vec<NotifyDef>,
}

/// `issuing_authority: {red: [...], orange: [...], yellow: [...], blue: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuersDef {
    /// Who issues blue.
    pub blue: Vec<String>,
    /// Who issues yellow.
    pub yellow: Vec<String>,
    /// Who issues orange.
    pub orange: Vec<String>,
    /// Who issues red.
    pub red: Vec<String>,
}

/// One stage: `{id, name, terminal, deadline, escalation}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    /// Stable id, e.g. `issued`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// A terminal stage ends the case.
    #[serde(default)]
    pub terminal: bool,
    /// Time limit: one duration for every level, or one per level (levels may be left out).
    pub deadline: Option<ForDef>,
    /// Escalation ladder at multiples of the deadline.
    #[serde(default)]
    pub escalation: Vec<RungDef>,
}

/// One escalation rung: `{after: 2, to: [...], channels: [...], supervision: true, label: ..}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RungDef {
    /// Multiple of the stage's deadline, positive and strictly increasing along the ladder.
    pub after: f64,
    /// Recipient words.
    pub to: Vec<String>,
    /// Channel names.
    pub channels: Vec<String>,
    /// Opens a supervision item (督办件).
    #[serde(default)]
    pub supervision: bool,
    /// Name for people; default `escalation at <after>x the deadline`.
    pub label: Option<String>,
}

/// One action: `{action, name, from: [...], to, roles: [...], requires: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    /// Action name used by the API, e.g. `acknowledge`.
    pub action: String,
    /// Name for people.
    pub name: String,
    /// Stages it may be taken from.
    pub from: Vec<String>,
    /// Stage it leads to; absent keeps the stage (a progress report).
    pub to: Option<String>,
    /// Role names allowed to take it.
    pub roles: Vec<String>,
    /// Field names the request must carry (`note`, `evidence`).
    #[serde(default)]
    pub requires: Vec<String>,
}

/// `auto: {on_cleared: {...}, on_recurrence: {...}, on_raised: {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoDef {
    /// The condition cleared.
    pub on_cleared: Option<AutoTransitionDef>,
    /// The condition came back before closure.
    pub on_recurrence: Option<AutoTransitionDef>,
    /// The level rose while the case is handled.
    pub on_raised: Option<AutoTransitionDef>,
}

/// `{from: [...], to: stage}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoTransitionDef {
    /// Stages it applies in.
    pub from: Vec<String>,
    /// Stage it leads to; absent keeps the stage.
    pub to: Option<String>,
}

/// One notification plan: `{on, levels, to, channels}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyDef {
    /// A stage id (the warning entered it), or `raised` / `recurred`.
    pub on: String,
    /// Levels it applies to; absent = all four.
    pub levels: Option<Vec<LevelName>>,
    /// Recipient words.
    pub to: Vec<String>,
    /// Channel names.
    pub channels: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Code;
    use crate::config::format::parse_yaml;

    #[test]
    fn a_small_workflow_reads() {
        let text = "version: 1\nid: w\nname: W\ndefault: true\ncity_duty_office: d\n\
                    issuing_authority: {red: [a], orange: [a], yellow: [b], blue: [b]}\n\
                    stages:\n  - {id: open, name: Open, deadline: 10m}\n  - {id: done, name: Done, terminal: true}\n\
                    transitions:\n  - {action: finish, name: F, from: [open], to: done, roles: [duty_officer]}\n";
        let (doc, positions) = parse_yaml::<WorkflowDoc>("workflows/w.yaml", text).unwrap();
        assert!(doc.default);
        assert_eq!(doc.stages.len(), 2);
        assert!(matches!(doc.stages[0].deadline, Some(ForDef::All(_))));
        assert_eq!(doc.transitions[0].to.as_deref(), Some("done"));
        assert!(doc.auto.on_cleared.is_none());
        assert_eq!(positions.at("transitions[0].action"), (11, 14));
    }

    #[test]
    fn every_bad_stage_is_reported() {
        let text = "version: 1\nid: w\nname: W\ncity_duty_office: d\n\
                    issuing_authority: {red: [a], orange: [a], yellow: [b], blue: [b]}\n\
                    stages:\n  - {id: open, name: Open, deadline: 10m, colour: red}\n  - {id: done}\n";
        let errors = parse_yaml::<WorkflowDoc>("workflows/w.yaml", text).unwrap_err();
        let codes: Vec<Code> = errors.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::UnknownKey, Code::MissingKey]);
        assert_eq!((errors[0].line, errors[1].line), (7, 8));
    }
}
