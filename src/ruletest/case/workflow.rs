//! The workflow half of a case: people's actions at offsets (`actions:`) and the workflow keys
//! of a warning expectation (`stage`, `escalations`, `escalated_to`, `notified`, `supervised`), checked into
//! [`CaseAction`] and [`WorkflowCheck`] with a diagnostic at the key that is wrong.

use crate::config::Code;
use crate::error::ErrorCode;
use crate::model::{Level, Role, Timestamp};

use super::super::raw::{ActionDef, ExpectDef};
use super::{Checker, level};

/// The codes an action can be refused with (`refused:`).
pub(crate) const REFUSALS: [ErrorCode; 4] = [
    ErrorCode::UnknownAction,
    ErrorCode::ActionNotAllowed,
    ErrorCode::Forbidden,
    ErrorCode::MissingField,
];

/// A person's action at its instant.
#[derive(Debug, Clone)]
pub(crate) struct CaseAction {
    /// Position of its `actions` item.
    pub(crate) position: (usize, usize),
    /// When it is taken (after every reading at or before it, before the expectations then).
    pub(crate) at: Timestamp,
    /// `at` as an offset from the case's start, for the report.
    pub(crate) offset_ms: i64,
    /// The workflow action.
    pub(crate) action: String,
    /// The role of the synthetic user taking it.
    pub(crate) role: Role,
    /// Note.
    pub(crate) note: Option<String>,
    /// Evidence.
    pub(crate) evidence: Vec<String>,
    /// The refusal expected; `None`: the action must be taken.
    pub(crate) refused: Option<ErrorCode>,
    /// (asset, hazard) of the warning acted on; `None`: the case's only warning.
    pub(crate) target: Option<(String, String)>,
}

/// The workflow state expected of a warning's case. Every key given must hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WorkflowCheck {
    /// Asset id.
    pub(crate) asset: String,
    /// Hazard id.
    pub(crate) hazard: String,
    /// The warning's level too, when given (`Some(None)`: no open warning).
    pub(crate) level: Option<Option<Level>>,
    /// The stage (`none`: no case).
    pub(crate) stage: Option<String>,
    /// Recipients every one of which an escalation rung has told (empty: no rung has fired).
    pub(crate) escalated_to: Option<Vec<String>>,
    /// Recipients every one of which some notification has told (empty: nobody told).
    pub(crate) notified: Option<Vec<String>>,
    /// How many escalation rungs of the current stage have fired.
    pub(crate) escalations: Option<u32>,
    /// Whether a supervision item is open.
    pub(crate) supervised: Option<bool>,
}

/// True when the expectation has a workflow key.
pub(super) fn has_workflow_keys(def: &ExpectDef) -> bool {
    def.stage.is_some()
        || def.escalations.is_some()
        || def.escalated_to.is_some()
        || def.notified.is_some()
        || def.supervised.is_some()
}

impl Checker<'_> {
    /// One `actions` item; `None` (and diagnostics) when it cannot be read.
    pub(super) fn action(
        &mut self,
        def: ActionDef,
        path: &str,
        start: Timestamp,
    ) -> Option<CaseAction> {
        let position = self.positions.at(path);
        let offset = self.offset(&format!("{path}.at"), &def.at.0);
        let role = Role::parse(&def.by);
        if role.is_none() {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            let d = self
                .error(
                    Code::BadValue,
                    &format!("{path}.by"),
                    format!("unknown role `{}`", def.by),
                )
                .with_hint(format!("roles: {}", known.join(", ")));
            self.push(d);
        }
        let refused = match &def.refused {
            None => Some(None),
            Some(code) => match REFUSALS.iter().find(|c| c.as_str() == code) {
                Some(code) => Some(Some(*code)),
                None => {
                    let known: Vec<&str> = REFUSALS.iter().map(|c| c.as_str()).collect();
                    let d = self
                        .error(
                            Code::BadValue,
                            &format!("{path}.refused"),
                            format!("`{code}` is not a code an action is refused with"),
                        )
                        .with_hint(format!("one of: {}", known.join(", ")));
                    self.push(d);
                    None
                }
            },
        };
        if def.action.trim().is_empty() {
            let d = self.error(
                Code::BadValue,
                &format!("{path}.action"),
                "`action` is empty",
            );
            self.push(d);
            return None;
        }
        let target = match (def.asset, def.hazard) {
            (Some(asset), Some(hazard)) => Some((asset, hazard)),
            (None, None) => None,
            (asset, _) => {
                let missing = if asset.is_some() { "hazard" } else { "asset" };
                let d = self
                    .error(
                        Code::MissingKey,
                        path,
                        format!("missing key `{missing}` of the warning acted on"),
                    )
                    .with_hint("name the warning with both `asset` and `hazard`, or neither");
                self.push(d);
                return None;
            }
        };
        let offset_ms = offset?;
        Some(CaseAction {
            position,
            at: Timestamp(start.0.saturating_add(offset_ms)),
            offset_ms,
            action: def.action,
            role: role?,
            note: def.note,
            evidence: def.evidence,
            refused: refused?,
            target,
        })
    }

    /// A warning expectation with workflow keys (`level` optional).
    pub(super) fn workflow_check(
        &mut self,
        def: ExpectDef,
        path: &str,
        cleared: bool,
    ) -> Option<WorkflowCheck> {
        if cleared {
            let d = self
                .key_error(
                    Code::BadValue,
                    &format!("{path}.cleared_by"),
                    "`cleared_by` takes only `asset` and `hazard`, not workflow keys",
                )
                .with_hint("check the workflow with a separate `at:` expectation");
            self.push(d);
            return None;
        }
        if def.caused_by.is_some() {
            let d = self
                .key_error(
                    Code::BadValue,
                    &format!("{path}.caused_by"),
                    "`caused_by` cannot be checked with workflow keys",
                )
                .with_hint("check the causes with a separate expectation");
            self.push(d);
            return None;
        }
        let mut missing = Vec::new();
        if def.asset.is_none() {
            missing.push("`asset`");
        }
        if def.hazard.is_none() {
            missing.push("`hazard`");
        }
        if !missing.is_empty() {
            let d = self.error(
                Code::MissingKey,
                path,
                format!(
                    "missing key {} in a workflow expectation",
                    missing.join(", ")
                ),
            );
            self.push(d);
            return None;
        }
        for (key, list) in [
            ("escalated_to", &def.escalated_to),
            ("notified", &def.notified),
        ] {
            if let Some(i) = list.iter().flatten().position(|r| r.trim().is_empty()) {
                let d = self.error(
                    Code::BadValue,
                    &format!("{path}.{key}[{i}]"),
                    format!("an empty recipient in `{key}`"),
                );
                self.push(d);
                return None;
            }
        }
        Some(WorkflowCheck {
            asset: def.asset?,
            hazard: def.hazard?,
            level: def.level.map(level),
            stage: def.stage,
            escalated_to: def.escalated_to,
            notified: def.notified,
            escalations: def.escalations,
            supervised: def.supervised,
        })
    }
}
