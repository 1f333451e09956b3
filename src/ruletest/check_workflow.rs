//! Checking the workflow side of a case: an expectation's stage, escalations, notifications and
//! supervision against the in-memory duty desk, and an action's outcome against what the case
//! said (taken, or refused with a code). Recipients are written as the workflow writes them
//! (`district_government`, `city_duty_office`, `department:<id>`) or as department ids, and are
//! resolved for the warning at hand, so the report names both.

use crate::model::level::level_name;
use crate::model::{DepartmentId, Generation, Principal, Recipient, Timestamp, Workflow};
use crate::workflow::ActionRequest;
use crate::workflow::routing::resolve;

use super::case::{CaseAction, WorkflowCheck};
use super::duty::{Duty, Handled, NotTaken};
use super::observed::Observed;
use super::offset::format_offset;
use super::report::Failure;

/// Reasons of the notifications an escalation rung queues.
const ESCALATION_REASONS: [&str; 2] = ["escalation", "supervision"];

/// The failure of a workflow expectation, or `None` when every key holds: `(expected, actual)`.
pub(crate) fn check_workflow(
    check: &WorkflowCheck,
    observed: &Observed,
    duty: &Duty<'_>,
    generation: &Generation,
    start: Timestamp,
) -> Option<(String, String)> {
    let subject = format!("{} {}", check.asset, check.hazard);
    let handled = duty.warning(&check.asset, &check.hazard);
    let case = handled.and_then(|h| h.case.as_ref());
    let workflow = handled.and_then(|h| workflow_of(generation, h));
    let mut ok = true;
    let mut expected = Vec::new();
    let mut actual = Vec::new();
    if let Some(level) = check.level {
        let seen = observed
            .warning(&check.asset, &check.hazard)
            .and_then(|s| s.level);
        ok &= seen == level;
        expected.push(format!("level {}", level_name(level)));
        actual.push(format!("level {}", level_name(seen)));
    }
    if let Some(stage) = &check.stage {
        let seen = case.map(|c| c.stage.as_str()).unwrap_or("none");
        ok &= seen == stage;
        expected.push(format!("stage {stage}"));
        let mut now = format!("stage {seen}");
        if let Some(case) = case {
            now.push_str(&format!(
                " since {}",
                format_offset(case.stage_since.since(start))
            ));
        }
        if let Some(workflow) = workflow
            && stage != "none"
            && workflow.stage(stage).is_none()
        {
            now.push_str(&format!(
                " (workflow `{}` has no stage `{stage}`)",
                workflow.id
            ));
        }
        actual.push(now);
    }
    if let Some(escalations) = check.escalations {
        let seen = case.map_or(0, |c| c.rungs_fired);
        ok &= seen == escalations;
        expected.push(format!("{escalations} escalation(s) in the stage"));
        actual.push(format!("{seen} escalation(s) in the stage"));
    }
    for (key, list, reasons) in [
        ("escalated to", &check.escalated_to, &ESCALATION_REASONS[..]),
        ("notified", &check.notified, &[][..]),
    ] {
        let Some(list) = list else {
            continue;
        };
        let told = handled.map(|h| h.told(reasons)).unwrap_or_default();
        let (holds, wanted, notes) = recipients_hold(list, &told, handled, generation);
        ok &= holds;
        expected.push(if list.is_empty() {
            format!("{key} nobody")
        } else {
            format!("{key} {wanted}")
        });
        actual.push(format!("{key} {}{notes}", names(&told)));
    }
    if let Some(supervised) = check.supervised {
        let seen = case.is_some_and(|c| c.supervised);
        ok &= seen == supervised;
        let word = |s: bool| if s { "supervised" } else { "not supervised" };
        expected.push(word(supervised).to_owned());
        actual.push(word(seen).to_owned());
    }
    if ok {
        return None;
    }
    let mut actual = format!("{subject} {}", actual.join(", "));
    match handled {
        None => actual.push_str(" (never raised)"),
        Some(h) if h.case.is_none() => {
            actual.push_str(&format!(" (no workflow takes domain `{}`)", h.facts.domain))
        }
        Some(_) => {}
    }
    Some((format!("{subject} {}", expected.join(", ")), actual))
}

/// Whether every written recipient was told (`[]`: nobody was), the expectation as text with
/// each word's departments, and notes on words that name nobody.
fn recipients_hold(
    list: &[String],
    told: &[DepartmentId],
    handled: Option<&Handled>,
    generation: &Generation,
) -> (bool, String, String) {
    if list.is_empty() {
        return (told.is_empty(), String::new(), String::new());
    }
    let mut holds = true;
    let mut wanted = Vec::new();
    let mut notes = String::new();
    for written in list {
        let departments = match handled {
            Some(h) => departments_of(written, h, generation),
            None => Ok(Vec::new()),
        };
        match departments {
            Ok(departments) if departments.is_empty() => {
                holds = false;
                wanted.push(written.clone());
                if handled.is_some() {
                    notes.push_str(&format!(" (`{written}` names no department here)"));
                }
            }
            Ok(departments) => {
                holds &= departments.iter().all(|d| told.contains(d));
                let ids = names(&departments);
                wanted.push(if ids == *written {
                    ids
                } else {
                    format!("{written} ({ids})")
                });
            }
            Err(note) => {
                holds = false;
                wanted.push(written.clone());
                notes.push_str(&note);
            }
        }
    }
    (holds, wanted.join(", "), notes)
}

/// The departments a written recipient names for the warning.
fn departments_of(
    written: &str,
    handled: &Handled,
    generation: &Generation,
) -> Result<Vec<DepartmentId>, String> {
    let recipient = Recipient::from_word(written)
        .or_else(|| {
            written
                .strip_prefix("department:")
                .map(|id| Recipient::Department(id.into()))
        })
        .or_else(|| {
            generation
                .department(written)
                .map(|_| Recipient::Department(written.into()))
        })
        .ok_or_else(|| {
            format!(" (`{written}` is neither a recipient word nor a registered department)")
        })?;
    let Some(workflow) = workflow_of(generation, handled) else {
        return Ok(Vec::new());
    };
    let mut facts = handled.facts.clone();
    let issued: &[DepartmentId] = match &handled.case {
        Some(case) => {
            facts.level = case.level;
            &case.issued_to
        }
        None => &[],
    };
    Ok(resolve(generation, workflow, &facts, &recipient, issued))
}

/// The workflow of a warning: its case's, else its domain's.
fn workflow_of<'g>(generation: &'g Generation, handled: &Handled) -> Option<&'g Workflow> {
    match &handled.case {
        Some(case) => generation.workflow(case.workflow.as_str()),
        None => generation.workflow_for(handled.facts.domain.as_str()),
    }
}

/// `a, b` or `nobody`.
fn names(departments: &[DepartmentId]) -> String {
    if departments.is_empty() {
        return "nobody".to_owned();
    }
    departments
        .iter()
        .map(DepartmentId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes one action of the case on the desk; the failure when its outcome is not the one the
/// case states.
pub(crate) fn take_action(action: &CaseAction, duty: &mut Duty<'_>) -> Option<Failure> {
    let request = ActionRequest {
        action: action.action.clone(),
        note: action.note.clone(),
        evidence: action.evidence.clone(),
    };
    let principal = Principal {
        user: 1,
        name: format!("test {}", action.role),
        role: action.role,
        department: None,
        district: None,
    };
    let outcome = duty.act(action.target.as_ref(), principal, &request, action.at);
    let who = format!("`{}` by {}", action.action, action.role);
    let expected = match action.refused {
        Some(code) => format!("{who} refused with {}", code.as_str()),
        None => format!("{who} taken"),
    };
    let actual = match (&outcome, action.refused) {
        (Ok(_), None) => return None,
        (Err(NotTaken::Refused(refusal)), Some(code)) if refusal.code() == code => return None,
        (Ok(stage), Some(_)) => format!("{who} taken (stage now {stage})"),
        (Err(NotTaken::Refused(refusal)), _) => {
            format!("{who} refused with {}: {refusal}", refusal.code().as_str())
        }
        (Err(NotTaken::NoWarning(why)), _) => why.clone(),
    };
    Some(Failure {
        position: action.position,
        when: format!("at {}", format_offset(action.offset_ms)),
        expected,
        actual,
    })
}
