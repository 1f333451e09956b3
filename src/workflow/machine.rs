//! The pure state machine of a case. No I/O, no clock: time is an argument.
//!
//! One [`step`] applies one [`Event`] and returns the next case with the notifications (outbox
//! rows) and audit entries to write with it. The rules:
//! - A case is opened at the workflow's initial stage by any engine event; an action or a timer
//!   on a warning without a case is refused.
//! - Entering a stage restarts its clock: the first escalation rung is due at
//!   `stage_since + deadline[level] * after`; a terminal stage closes the case. Notification
//!   plans `on: <stage>` for the case's level fire.
//! - Everyone told (by a plan or a rung) joins `issued_to`, which only grows: whoever was given
//!   the warning keeps seeing it (department users' scope) and hears of its re-issue, recurrence
//!   and closure.
//! - An action must exist, be allowed from the current stage and for the actor's role, and carry
//!   its required fields; a transition without `to` (or to the current stage) keeps the stage.
//! - A timer fires every rung that is due, in order (several after a downtime), widening
//!   `issued_to` and opening a supervision item where the rung says so.
//! - Raised / recurred: the level changes, the automatic transition applies where it is
//!   configured, and the `raised` / `recurred` plans re-issue at the new level in any open
//!   stage (routing reads the case's level, so the higher authority is told). Lowered and
//!   cleared never close anything by themselves (downgrades and release need the analyst).
//! - A terminal case only records engine events.
//!
//! Idempotency keys are `w{warning}:{reason}:{stage}:{millis}:{department}:{channel}`, where
//! `millis` is the step's time, or for a timer the rung's due time (so a re-fired rung is the
//! same row, and two rungs fired in one step are two).

use serde_json::{Value, json};

use crate::model::time::duration_millis;
use crate::model::{
    AuditAction, AuditDraft, Case, Channel, DepartmentId, Due, Generation, Notification, NotifyOn,
    Recipient, StageId, Timestamp, Workflow,
};

use super::message::{self, Reason};
use super::routing::{leads, resolve_named};
use super::{Event, Refusal, WarningFacts};

mod events;

use events::wrong_stage;

/// The result of one event: the case after it, and what to write with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The new case (same `version` as the one given; the store bumps it).
    pub case: Case,
    /// Notifications to queue.
    pub notifications: Vec<Notification>,
    /// Audit entries to append.
    pub audit: Vec<AuditDraft>,
}

/// Audit actor of automatic steps.
pub const WORKFLOW_ACTOR: &str = "system:workflow";
/// Audit actor of timer firings.
pub const TIMER_ACTOR: &str = "system:timer";

/// Applies one event to a warning's case (`None`: the workflow has not taken it up yet, so the
/// event must be [`Event::Opened`], or any engine event, which opens the case first).
pub fn step(
    workflow: &Workflow,
    generation: &Generation,
    warning: &WarningFacts,
    case: Option<&Case>,
    event: Event<'_>,
    now: Timestamp,
) -> Result<Step, Refusal> {
    let mut run = match case {
        Some(case) => Run::new(workflow, generation, warning, case.clone(), now),
        None => {
            match &event {
                Event::Action { request, .. } => {
                    return Err(wrong_stage(workflow, &request.action, "none"));
                }
                Event::Timer => return Err(wrong_stage(workflow, "timer", "none")),
                _ => {}
            }
            Run::open(workflow, generation, warning, now)
        }
    };
    match event {
        Event::Action { request, actor } => run.action(request, actor)?,
        Event::Timer => run.timers(),
        engine_event => run.engine(engine_event),
    }
    Ok(run.finish())
}

/// One step in progress.
struct Run<'a> {
    workflow: &'a Workflow,
    generation: &'a Generation,
    warning: &'a WarningFacts,
    now: Timestamp,
    case: Case,
    notifications: Vec<Notification>,
    audit: Vec<AuditDraft>,
    /// (department, audience word, channel) already told in the current firing: one message
    /// each (a department's duty leader and its duty officer are told apart).
    told: Vec<(DepartmentId, &'static str, Channel)>,
}

impl<'a> Run<'a> {
    fn new(
        workflow: &'a Workflow,
        generation: &'a Generation,
        warning: &'a WarningFacts,
        case: Case,
        now: Timestamp,
    ) -> Run<'a> {
        Run {
            workflow,
            generation,
            warning,
            now,
            case,
            notifications: Vec::new(),
            audit: Vec::new(),
            told: Vec::new(),
        }
    }

    /// A new case at the initial stage.
    fn open(
        workflow: &'a Workflow,
        generation: &'a Generation,
        warning: &'a WarningFacts,
        now: Timestamp,
    ) -> Run<'a> {
        let case = Case {
            warning: warning.id,
            workflow: workflow.id.clone(),
            stage: workflow.initial.clone(),
            stage_since: now,
            level: warning.level,
            drill: warning.drill,
            rungs_fired: 0,
            due: None,
            supervised: false,
            issued_to: Vec::new(),
            reacted_seq: 0,
            opened_at: now,
            closed_at: None,
            version: 0,
        };
        let mut run = Run::new(workflow, generation, warning, case, now);
        run.record(
            WORKFLOW_ACTOR,
            AuditAction::AutoTransition,
            json!({
                "event": "opened",
                "workflow": workflow.id.as_str(),
                "to": workflow.initial.as_str(),
                "level": warning.level.as_str(),
                "drill": warning.drill,
            }),
        );
        let initial = workflow.initial.clone();
        run.move_to(&initial);
        run.fire_entered(WORKFLOW_ACTOR);
        run
    }

    fn finish(self) -> Step {
        Step {
            case: self.case,
            notifications: self.notifications,
            audit: self.audit,
        }
    }

    fn terminal(&self) -> bool {
        self.workflow
            .stage(self.case.stage.as_str())
            .is_some_and(|stage| stage.terminal)
    }

    /// Moves the case into `stage` (without notifying): its clock restarts.
    fn move_to(&mut self, stage: &StageId) {
        self.case.stage = stage.clone();
        self.case.stage_since = self.now;
        self.case.rungs_fired = 0;
        if self.terminal() {
            self.case.closed_at = Some(self.now);
            self.case.due = None;
        } else {
            self.schedule();
        }
    }

    /// Fires the `on: <current stage>` plans; the departments they name join `issued_to`.
    fn fire_entered(&mut self, actor: &str) {
        let on = NotifyOn::Entered(self.case.stage.clone());
        let reason = self.case.stage.to_string();
        let told = self.fire_plans(&on, &reason, Reason::Entered, actor);
        self.widen(told);
    }

    /// Fires the plans `on` for the case's level; returns every department they name.
    fn fire_plans(
        &mut self,
        on: &NotifyOn,
        reason: &str,
        text: Reason<'_>,
        actor: &str,
    ) -> Vec<DepartmentId> {
        let workflow = self.workflow;
        let mut told = Vec::new();
        for plan in &workflow.notify {
            if plan.on != *on || !plan.levels.contains(&self.case.level) {
                continue;
            }
            let named = self.notify(
                &plan.recipients,
                &plan.channels,
                reason,
                self.now,
                text,
                actor,
            );
            for department in named {
                if !told.contains(&department) {
                    told.push(department);
                }
            }
        }
        told
    }

    /// Queues one notification per (department, channel) not yet told in this firing; returns
    /// the departments the recipients name.
    fn notify(
        &mut self,
        recipients: &[Recipient],
        channels: &[Channel],
        reason: &str,
        key_time: Timestamp,
        text: Reason<'_>,
        actor: &str,
    ) -> Vec<DepartmentId> {
        // routing reads the level the case is at now (a raise re-issues to its authority)
        let warning = WarningFacts {
            level: self.case.level,
            ..self.warning.clone()
        };
        let named = resolve_named(
            self.generation,
            self.workflow,
            &warning,
            recipients,
            &self.case.issued_to,
        );
        let mut departments: Vec<DepartmentId> = Vec::new();
        for (department, _) in &named {
            if !departments.contains(department) {
                departments.push(department.clone());
            }
        }
        if departments.is_empty() {
            return departments;
        }
        let subject = message::subject(self.generation, self.warning, &self.case);
        let body = message::body(
            self.generation,
            self.workflow,
            self.warning,
            &self.case,
            text,
        );
        for (department, audience) in &named {
            for channel in channels {
                let told = (department.clone(), *audience, *channel);
                if self.told.iter().any(|(d, word, c)| {
                    d == department && c == channel && leads(word) == leads(audience)
                }) {
                    continue;
                }
                self.told.push(told);
                // the duty leader's row is a row of its own beside the duty officer's
                let whom = if leads(audience) { "@duty_leader" } else { "" };
                let key = format!(
                    "w{}:{reason}:{}:{}:{department}{whom}:{}",
                    self.warning.id,
                    self.case.stage,
                    key_time.millis(),
                    channel.as_str()
                );
                self.record(
                    actor,
                    AuditAction::NotificationQueued,
                    json!({
                        "key": key,
                        "recipient": department.as_str(),
                        "channel": channel.as_str(),
                        "reason": reason,
                    }),
                );
                self.notifications.push(Notification {
                    key,
                    warning: self.warning.id,
                    recipient: department.clone(),
                    audience: (*audience).to_owned(),
                    channel: *channel,
                    level: self.case.level,
                    drill: self.case.drill,
                    reason: reason.to_owned(),
                    subject: subject.clone(),
                    body: body.clone(),
                    created_at: self.now,
                });
            }
        }
        departments
    }

    /// Adds departments to `issued_to` (sorted, without duplicates).
    fn widen(&mut self, departments: Vec<DepartmentId>) {
        self.case.issued_to.extend(departments);
        self.case.issued_to.sort();
        self.case.issued_to.dedup();
    }

    /// The next rung of the current stage at the case's level, counted from `stage_since`.
    fn schedule(&mut self) {
        let case = &self.case;
        self.case.due = self
            .workflow
            .stage(case.stage.as_str())
            .filter(|stage| !stage.terminal)
            .and_then(|stage| {
                let limit = stage.deadline[case.level.index()]?;
                let rung = stage.escalation.get(case.rungs_fired as usize)?;
                let offset = (duration_millis(limit) as f64 * rung.after).round();
                // `after` is a positive multiple (checked by the compiler); saturate anyway
                let offset = if offset.is_finite() && offset < i64::MAX as f64 {
                    offset as i64
                } else {
                    i64::MAX
                };
                Some(Due {
                    at: Timestamp(case.stage_since.millis().saturating_add(offset)),
                    rung: case.rungs_fired,
                })
            });
    }

    fn record(&mut self, actor: &str, action: AuditAction, detail: Value) {
        self.audit.push(AuditDraft {
            at: self.now,
            actor: actor.to_owned(),
            action,
            warning: Some(self.warning.id),
            generation: Some(self.warning.generation.clone()),
            subject: format!("warning:{}", self.warning.id),
            detail,
        });
    }
}
