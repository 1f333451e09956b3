//! What people do at the desk: workflow actions (after a scope check, refusals audited), manual
//! warnings, and the actions a user may take next.

use crate::auth::scope::may_see;
use crate::model::{Actor, AuditAction, AuditDraft, Case, Generation, Principal, Role};
use crate::storage::{ManualOutcome, WarningRecord};

use super::super::{ActionRequest, Event, Step, machine};
use super::{
    ATTEMPTS, Desk, DeskError, ManualReport, NextAction, error, facts, report, workflow_of,
};

impl Desk {
    /// Takes a person's action on a warning: checks the user may see it, catches the case up with
    /// the engine's pending changes, steps the action and saves both in one transaction. A
    /// refusal is written to the audit log (`workflow.refused`) and returned.
    pub async fn act(
        &self,
        id: i64,
        principal: &Principal,
        request: &ActionRequest,
    ) -> Result<Case, DeskError> {
        for _ in 0..ATTEMPTS {
            let generation = self.generations.current();
            let detail = self.load(id).await?;
            let record = &detail.warning;
            if !may_see(principal, record) {
                let scope = if principal.role == Role::DistrictUser {
                    "district"
                } else {
                    "department"
                };
                self.audit_refusal(
                    &generation,
                    record,
                    principal,
                    request,
                    "forbidden",
                    &format!("outside the user's {scope}"),
                )
                .await?;
                return Err(DeskError::OutOfScope { warning: id, scope });
            }
            let workflow = workflow_of(&generation, record)?;
            let caught_up = self.reaction(&generation, &detail)?;
            let (case, mut notifications, mut audit) = match caught_up {
                Some(step) => (Some(step.case), step.notifications, step.audit),
                None => (record.case.clone(), Vec::new(), Vec::new()),
            };
            let level = case.as_ref().map_or(record.level, |case| case.level);
            let facts = facts(&generation, record, level, &record.message);
            let event = Event::Action {
                request,
                actor: principal,
            };
            let now = self.clock.now();
            let step = match machine::step(workflow, &generation, &facts, case.as_ref(), event, now)
            {
                Ok(step) => step,
                Err(refusal) => {
                    let reason = error::refusal_reason(&refusal);
                    self.audit_refusal(
                        &generation,
                        record,
                        principal,
                        request,
                        reason,
                        &refusal.to_string(),
                    )
                    .await?;
                    return Err(DeskError::Refused(refusal));
                }
            };
            notifications.extend(step.notifications);
            audit.extend(step.audit);
            let step = Step {
                case: step.case,
                notifications,
                audit,
            };
            if self.save(&step).await? {
                let mut saved = step.case;
                saved.version += 1;
                return Ok(saved);
            }
        }
        Err(DeskError::Conflict {
            warning: id,
            attempts: ATTEMPTS,
        })
    }

    /// Enters a manual warning (see [`ManualReport`] for the checks) and reacts to it at once,
    /// so the case exists when this returns. A failure to react after the report was stored is
    /// logged, not returned: the report stands, and the desk's next round picks it up.
    pub async fn report(
        &self,
        principal: &Principal,
        report: &ManualReport,
    ) -> Result<ManualOutcome, DeskError> {
        let generation = self.generations.current();
        let manual = report::manual_warning(&generation, report, principal, self.clock.now())?;
        let outcome = self.store.report_manual(&manual, &generation.id).await?;
        if let Err(error) = self.react_warning(outcome.warning).await {
            tracing::warn!(warning = outcome.warning, %error, "manual warning stored; the workflow reacts in its next round");
        }
        Ok(outcome)
    }

    /// The actions `principal`'s role may take next on `case`, under the case's workflow.
    pub fn next_actions(&self, case: &Case, principal: &Principal) -> Vec<NextAction> {
        let generation = self.generations.current();
        let Some(workflow) = generation.workflow(case.workflow.as_str()) else {
            return Vec::new();
        };
        workflow
            .transitions
            .iter()
            .filter(|transition| {
                transition.from.contains(&case.stage) && transition.roles.contains(&principal.role)
            })
            .map(|transition| NextAction {
                action: transition.action.to_string(),
                name: transition.name.clone(),
                to: transition.to.clone(),
                requires: transition.requires.clone(),
            })
            .collect()
    }

    /// Appends a `workflow.refused` entry for a refused action.
    async fn audit_refusal(
        &self,
        generation: &Generation,
        record: &WarningRecord,
        principal: &Principal,
        request: &ActionRequest,
        reason: &str,
        message: &str,
    ) -> Result<(), DeskError> {
        let draft = AuditDraft {
            at: self.clock.now(),
            actor: Actor::user(principal).id,
            action: AuditAction::TransitionRefused,
            warning: Some(record.id),
            generation: Some(generation.id.clone()),
            subject: format!("warning:{}", record.id),
            detail: serde_json::json!({
                "action": request.action,
                "reason": reason,
                "message": message,
                "stage": record.case.as_ref().map(|case| case.stage.as_str()),
                "role": principal.role.as_str(),
            }),
        };
        self.store.append_audit(&[draft]).await?;
        Ok(())
    }
}
