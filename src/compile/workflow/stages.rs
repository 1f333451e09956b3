//! The stages of a workflow: ids (unique, not an event name), per-level deadlines, and escalation
//! ladders whose rungs rise strictly and only stand on a stage with a deadline.

use std::time::Duration;

use super::{Compiler, EVENTS, words};
use crate::compile::ladder;
use crate::config::raw::{DurationText, ForDef, PerLevelDurations};
use crate::config::raw_workflow::{StageDef, WorkflowDoc};
use crate::config::{Code, Diagnostic};
use crate::model::{Level, PerLevel, Rung, Stage, StageId};

impl<'d> Compiler<'_, 'd> {
    /// `stages:`, duplicates left out.
    pub(super) fn stages(&mut self, diagnostics: &mut Vec<Diagnostic>) -> Vec<Stage> {
        let def: &'d WorkflowDoc = self.item.def;
        if def.stages.is_empty() {
            diagnostics.push(
                self.item
                    .error(
                        Code::BadValue,
                        "stages",
                        format!("workflow `{}` has no stages", def.id),
                    )
                    .with_hint("list the stages a warning goes through, the first one first"),
            );
        }
        let mut out = Vec::new();
        for (i, stage) in def.stages.iter().enumerate() {
            let key = format!("stages[{i}]");
            if let Some(first) = self.stage_ids.iter().position(|s| *s == stage.id) {
                let first_key = format!("stages[{}].id", self.stage_paths[first]);
                diagnostics.push(
                    self.item
                        .error(
                            Code::DuplicateId,
                            &format!("{key}.id"),
                            format!("duplicate stage id `{}`", stage.id),
                        )
                        .with_hint(format!("first defined at {}", self.item.place(&first_key))),
                );
                continue;
            }
            if EVENTS.contains(&stage.id.as_str()) {
                diagnostics.push(
                    self.item
                        .error(
                            Code::BadValue,
                            &format!("{key}.id"),
                            format!("stage id `{}` is reserved for an event", stage.id),
                        )
                        .with_hint(
                            "notification plans use `on: raised` and `on: recurred` for events; \
                             give the stage another id",
                        ),
                );
            }
            self.stage_ids.push(&stage.id);
            self.stage_paths.push(i);
            self.terminal.push(stage.terminal);
            out.push(self.stage(&key, stage, diagnostics));
        }
        out
    }

    fn stage(&self, key: &str, def: &StageDef, diagnostics: &mut Vec<Diagnostic>) -> Stage {
        let deadline = self.deadline(key, def, diagnostics);
        let escalation_key = format!("{key}.escalation");
        if def.terminal {
            for (written, what) in [
                (def.deadline.is_some(), "deadline"),
                (!def.escalation.is_empty(), "escalation"),
            ] {
                if written {
                    diagnostics.push(
                        self.item
                            .error(
                                Code::BadValue,
                                &format!("{key}.{what}"),
                                format!("terminal stage `{}` has a {what}", def.id),
                            )
                            .with_hint("a case in a terminal stage is over: no timer runs there"),
                    );
                }
            }
        } else if !def.escalation.is_empty() && !has_levels(def.deadline.as_ref()) {
            diagnostics.push(
                self.item
                    .error(
                        Code::NoDeadline,
                        &escalation_key,
                        format!(
                            "stage `{}` escalates at multiples of its deadline but has no deadline",
                            def.id
                        ),
                    )
                    .with_hint(
                        "add `deadline: {red: 5m, orange: 10m, ...}`, or remove `escalation`",
                    ),
            );
        }
        Stage {
            id: StageId::new(def.id.as_str()),
            name: def.name.clone(),
            terminal: def.terminal,
            deadline,
            escalation: self.ladder(&escalation_key, def, diagnostics),
        }
    }

    /// `deadline:` of a stage: one duration for all levels, or per level.
    fn deadline(
        &self,
        key: &str,
        def: &StageDef,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> PerLevel<Option<Duration>> {
        let key = format!("{key}.deadline");
        let mut out = [None; 4];
        match &def.deadline {
            None => {}
            Some(ForDef::All(text)) => {
                out = [ladder::positive_duration(self.item, &key, text, diagnostics); 4];
            }
            Some(ForDef::PerLevel(levels)) => {
                for level in Level::ALL {
                    if let Some(text) = per_level(levels, level) {
                        let at = format!("{key}.{level}");
                        out[level.index()] =
                            ladder::positive_duration(self.item, &at, text, diagnostics);
                    }
                }
            }
        }
        out
    }

    /// `escalation:` of a stage (at `key`).
    fn ladder(&self, key: &str, def: &StageDef, diagnostics: &mut Vec<Diagnostic>) -> Vec<Rung> {
        let mut latest: Option<f64> = None;
        let mut out = Vec::new();
        for (j, rung) in def.escalation.iter().enumerate() {
            let at = format!("{key}[{j}]");
            let after = rung.after;
            if !(after.is_finite() && after > 0.0) {
                diagnostics.push(
                    self.item
                        .error(
                            Code::BadValue,
                            &format!("{at}.after"),
                            format!(
                                "`after` must be a positive multiple of the deadline, found {after}"
                            ),
                        )
                        .with_hint(
                            "`after: 1` is at the deadline, `after: 2` at twice the deadline",
                        ),
                );
            } else {
                if let Some(before) = latest.filter(|before| after <= *before) {
                    diagnostics.push(
                        self.item
                            .error(
                                Code::EscalationOrder,
                                &format!("{at}.after"),
                                format!("`after: {after}` does not come after `after: {before}`"),
                            )
                            .with_hint("list the rungs in time order, each later than the one before: 1, 2, 3"),
                    );
                }
                latest = Some(latest.map_or(after, |before| before.max(after)));
            }
            out.push(Rung {
                after,
                recipients: words::recipients(
                    self.item,
                    &format!("{at}.to"),
                    &rung.to,
                    self.departments,
                    diagnostics,
                ),
                channels: words::channels(
                    self.item,
                    &format!("{at}.channels"),
                    &rung.channels,
                    diagnostics,
                ),
                supervision: rung.supervision,
                label: rung
                    .label
                    .clone()
                    .unwrap_or_else(|| format!("escalation at {after}x the deadline")),
            });
        }
        out
    }
}

/// The duration written for `level`, if any.
fn per_level(levels: &PerLevelDurations, level: Level) -> Option<&DurationText> {
    match level {
        Level::Blue => levels.blue.as_ref(),
        Level::Yellow => levels.yellow.as_ref(),
        Level::Orange => levels.orange.as_ref(),
        Level::Red => levels.red.as_ref(),
    }
}

/// True when a deadline is written for at least one level.
fn has_levels(deadline: Option<&ForDef>) -> bool {
    match deadline {
        None => false,
        Some(ForDef::All(_)) => true,
        Some(ForDef::PerLevel(levels)) => Level::ALL
            .into_iter()
            .any(|level| per_level(levels, level).is_some()),
    }
}
