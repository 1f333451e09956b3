//! The events a case reacts to: people's actions (checked for stage, role and fields), due
//! timers (escalation rungs, in ladder order), and the engine's warning changes (automatic
//! transitions and re-issue). Each is a method of the step in progress; refusals map to stable
//! API codes.

use serde_json::{Value, json};

use crate::error::ErrorCode;
use crate::model::{AuditAction, Field, Level, NotifyOn, StageId, Workflow};

use super::super::message::Reason;
use super::super::{ActionRequest, Event, Refusal};
use super::{Run, TIMER_ACTOR, WORKFLOW_ACTOR};

impl Refusal {
    /// The stable API error code of the refusal.
    pub const fn code(&self) -> ErrorCode {
        match self {
            Refusal::UnknownAction { .. } => ErrorCode::UnknownAction,
            Refusal::WrongStage { .. } => ErrorCode::ActionNotAllowed,
            Refusal::RoleNotAllowed { .. } => ErrorCode::Forbidden,
            Refusal::MissingField { .. } => ErrorCode::MissingField,
        }
    }
}

impl Run<'_> {
    /// A person's action.
    pub(super) fn action(
        &mut self,
        request: &ActionRequest,
        actor: &crate::model::Principal,
    ) -> Result<(), Refusal> {
        let workflow = self.workflow;
        let Some(transition) = workflow.transition(&request.action) else {
            return Err(Refusal::UnknownAction {
                workflow: workflow.id.to_string(),
                action: request.action.clone(),
                hint: action_hint(workflow, &request.action),
            });
        };
        if self.terminal() || !transition.from.contains(&self.case.stage) {
            return Err(wrong_stage(
                workflow,
                &request.action,
                self.case.stage.as_str(),
            ));
        }
        if !transition.roles.contains(&actor.role) {
            return Err(Refusal::RoleNotAllowed {
                action: request.action.clone(),
                role: actor.role,
            });
        }
        for field in &transition.requires {
            let present = match field {
                Field::Note => request
                    .note
                    .as_deref()
                    .is_some_and(|n| !n.trim().is_empty()),
                Field::Evidence => request.evidence.iter().any(|e| !e.trim().is_empty()),
            };
            if !present {
                return Err(Refusal::MissingField {
                    action: request.action.clone(),
                    field: *field,
                });
            }
        }
        let from = self.case.stage.clone();
        let to = transition.to.clone().unwrap_or_else(|| from.clone());
        let (actor_id, mut detail) = (
            format!("user:{}", actor.user),
            json!({
                "action": request.action,
                "from": from.as_str(),
                "to": to.as_str(),
                "note": request.note,
                "evidence": request.evidence,
                "role": actor.role.as_str(),
            }),
        );
        // Through a message's acknowledgment link: the person, and the link as the means.
        let actor_id = if actor.is_link() {
            detail["means"] = json!("ack_link");
            format!("person:{}", actor.name)
        } else {
            actor_id
        };
        self.record(&actor_id, AuditAction::Transition, detail);
        if to != from {
            self.move_to(&to);
            self.fire_entered(&actor_id);
        }
        Ok(())
    }

    /// Fires every escalation rung due at `now`, in ladder order.
    pub(super) fn timers(&mut self) {
        while let Some(due) = self.case.due.filter(|due| due.at <= self.now) {
            let workflow = self.workflow;
            let level = self.case.level;
            let Some(stage) = workflow.stage(self.case.stage.as_str()) else {
                self.case.due = None;
                break;
            };
            let Some(rung) = stage.escalation.get(due.rung as usize) else {
                self.case.due = None;
                break;
            };
            let limit_at = stage.deadline[level.index()]
                .map_or(due.at, |limit| self.case.stage_since.plus(limit));
            let overdue_ms = self.now.since(limit_at);
            self.case.supervised |= rung.supervision;
            self.record(
                TIMER_ACTOR,
                AuditAction::TimerFired,
                json!({
                    "stage": stage.id.as_str(),
                    "rung": due.rung,
                    "after": rung.after,
                    "label": rung.label,
                    "due_at": due.at.millis(),
                    "overdue_ms": overdue_ms,
                    "supervision": rung.supervision,
                }),
            );
            self.told.clear();
            let reason = if rung.supervision {
                "supervision"
            } else {
                "escalation"
            };
            let told = self.notify(
                &rung.recipients,
                &rung.channels,
                reason,
                due.at,
                Reason::Escalation {
                    rung,
                    overdue_ms: due.at.since(limit_at),
                },
                TIMER_ACTOR,
            );
            self.widen(told);
            self.case.rungs_fired = self.case.rungs_fired.saturating_add(1);
            self.schedule();
        }
    }

    /// A warning change from the engine (or a manual report).
    pub(super) fn engine(&mut self, event: Event<'_>) {
        let (name, from, to) = match &event {
            Event::Opened => return,
            Event::Raised { from, to } => ("raised", Some(*from), Some(*to)),
            Event::Lowered { from, to } => ("lowered", Some(*from), Some(*to)),
            Event::Cleared => ("cleared", Some(self.case.level), None),
            Event::Recurred { level } => ("recurred", Some(self.case.level), Some(*level)),
            Event::Action { .. } | Event::Timer => return,
        };
        let stage = self.case.stage.clone();
        if self.terminal() {
            self.record_engine(name, from, to, &stage, None, false);
            return;
        }
        if let Some(level) = to {
            self.case.level = level;
        }
        let auto = match &event {
            Event::Raised { .. } => self.workflow.auto.on_raised.as_ref(),
            Event::Cleared => self.workflow.auto.on_cleared.as_ref(),
            Event::Recurred { .. } => self.workflow.auto.on_recurrence.as_ref(),
            _ => None,
        };
        let applies = auto.is_some_and(|auto| auto.from.contains(&stage));
        let entered = auto
            .filter(|_| applies)
            .and_then(|auto| auto.to.clone())
            .filter(|to| *to != stage);
        self.record_engine(name, from, to, &stage, entered.as_ref(), applies);
        match &entered {
            Some(next) => self.move_to(next),
            None => self.schedule(),
        }
        // The re-issue plans fire in every open stage, first (so the higher authority reads
        // why it is told), then the plans of the stage entered.
        let told = match &event {
            Event::Raised { from, .. } => self.fire_plans(
                &NotifyOn::Raised,
                "reissued",
                Reason::Raised { from: *from },
                WORKFLOW_ACTOR,
            ),
            Event::Recurred { .. } => self.fire_plans(
                &NotifyOn::Recurred,
                "recurred",
                Reason::Recurred,
                WORKFLOW_ACTOR,
            ),
            _ => Vec::new(),
        };
        self.widen(told);
        if entered.is_some() {
            self.fire_entered(WORKFLOW_ACTOR);
        }
    }

    fn record_engine(
        &mut self,
        name: &str,
        from: Option<Level>,
        to: Option<Level>,
        stage: &StageId,
        entered: Option<&StageId>,
        applied: bool,
    ) {
        let mut detail = json!({
            "event": name,
            "from": from.map(Level::as_str),
            "to": to.map(Level::as_str),
            "stage": stage.as_str(),
            "entered": entered.map(StageId::as_str),
            "applied": applied,
        });
        if self.terminal() {
            detail["ignored"] = Value::from("the case is closed");
        }
        self.record(WORKFLOW_ACTOR, AuditAction::AutoTransition, detail);
    }
}

/// The refusal of `action` in `stage`, listing the stages it is allowed from.
pub(super) fn wrong_stage(workflow: &Workflow, action: &str, stage: &str) -> Refusal {
    let allowed = workflow.transition(action).map_or_else(String::new, |t| {
        t.from
            .iter()
            .map(StageId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    });
    Refusal::WrongStage {
        action: action.to_owned(),
        stage: stage.to_owned(),
        allowed,
    }
}

/// `; did you mean ...?` (or the workflow's actions) for an unknown action, as the compiler
/// hints at a misspelt name.
fn action_hint(workflow: &Workflow, wanted: &str) -> String {
    if workflow.transitions.is_empty() {
        return String::new();
    }
    let known = workflow.transitions.iter().map(|t| t.action.as_str());
    format!("; {}", crate::text::suggest(wanted, known, "actions"))
}
