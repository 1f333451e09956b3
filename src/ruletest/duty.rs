//! The duty desk of a test case, in memory: the engine's warning changes become workflow events
//! (open, raise, lower, clear, recurrence before closure; a change after closure opens a new
//! warning), actions are taken by a synthetic user of the given role, and timers fire as the
//! virtual clock passes their due time. Every step goes through the same pure
//! [`crate::workflow::machine::step`] the server uses, so the case checks what production does.

use std::collections::BTreeMap;

use crate::model::{
    Case, DepartmentId, Generation, Notification, Principal, Timestamp, WarningChange,
};
use crate::workflow::{ActionRequest, Event, Refusal, Step, WarningFacts, step};

/// One warning of the case and its workflow so far.
#[derive(Debug, Clone)]
pub(crate) struct Handled {
    /// The warning's facts (level and message follow the engine).
    pub(crate) facts: WarningFacts,
    /// Its case; `None` only when no workflow applies.
    pub(crate) case: Option<Case>,
    /// Every notification queued for it, in order.
    pub(crate) notifications: Vec<Notification>,
}

impl Handled {
    /// The departments told by notifications whose reason is one of `reasons` (all when empty),
    /// in first-told order.
    pub(crate) fn told(&self, reasons: &[&str]) -> Vec<DepartmentId> {
        let mut out: Vec<DepartmentId> = Vec::new();
        for n in &self.notifications {
            if (reasons.is_empty() || reasons.contains(&n.reason.as_str()))
                && !out.contains(&n.recipient)
            {
                out.push(n.recipient.clone());
            }
        }
        out
    }

    fn terminal(&self, generation: &Generation) -> bool {
        self.case.as_ref().is_some_and(|case| {
            generation
                .workflow(case.workflow.as_str())
                .and_then(|w| w.stage(case.stage.as_str()))
                .is_some_and(|stage| stage.terminal)
        })
    }
}

/// Why an action could not be taken.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NotTaken {
    /// The machine refused it.
    Refused(Refusal),
    /// There is no warning to act on (or several, and the action names none).
    NoWarning(String),
}

/// The warnings of a case, by (asset, hazard): the latest one of each.
#[derive(Debug)]
pub(crate) struct Duty<'g> {
    generation: &'g Generation,
    next_id: i64,
    warnings: BTreeMap<(String, String), Handled>,
}

impl<'g> Duty<'g> {
    /// An empty desk.
    pub(crate) fn new(generation: &'g Generation) -> Duty<'g> {
        Duty {
            generation,
            next_id: 1,
            warnings: BTreeMap::new(),
        }
    }

    /// The warning of (asset, hazard), if one was ever raised.
    pub(crate) fn warning(&self, asset: &str, hazard: &str) -> Option<&Handled> {
        self.warnings.get(&(asset.to_owned(), hazard.to_owned()))
    }

    /// Reacts to one warning change of the engine, at its event time.
    pub(crate) fn react(&mut self, change: &WarningChange) {
        let key = (change.asset.to_string(), change.hazard.to_string());
        let existing = self.warnings.get(&key);
        // an opening change after closure is a new warning; before closure, a recurrence
        let new_warning = match (change.from, change.to) {
            (None, Some(_)) => existing.is_none_or(|h| h.terminal(self.generation)),
            _ => existing.is_none(),
        };
        let event = match (change.from, change.to) {
            (None, Some(_)) if new_warning => Event::Opened,
            (None, Some(level)) => Event::Recurred { level },
            (Some(from), Some(to)) if to > from => Event::Raised { from, to },
            (Some(from), Some(to)) if to < from => Event::Lowered { from, to },
            (Some(_), None) => Event::Cleared,
            _ => return,
        };
        if new_warning {
            if change.to.is_none() {
                return;
            }
            let id = self.next_id;
            self.next_id += 1;
            let handled = Handled {
                facts: facts(id, change),
                case: None,
                notifications: Vec::new(),
            };
            self.warnings.insert(key.clone(), handled);
        }
        let Some(handled) = self.warnings.get_mut(&key) else {
            return;
        };
        if let Some(level) = change.to {
            handled.facts.level = level;
        }
        handled.facts.message.clone_from(&change.message);
        handled.facts.generation = change.generation.clone();
        // engine events never refuse; a warning no workflow takes keeps no case
        let _ = apply(self.generation, handled, event, change.ts);
    }

    /// Fires every timer due at or before `until`, earliest first, each at its due time.
    pub(crate) fn fire_due(&mut self, until: Timestamp) {
        loop {
            let next = self
                .warnings
                .iter()
                .filter_map(|(key, h)| {
                    let due = h.case.as_ref()?.due?;
                    (due.at <= until).then(|| (due.at, key.clone()))
                })
                .min();
            let Some((at, key)) = next else {
                return;
            };
            let Some(handled) = self.warnings.get_mut(&key) else {
                return;
            };
            let before = handled.case.as_ref().and_then(|c| c.due);
            let _ = apply(self.generation, handled, Event::Timer, at);
            // a timer that did not move on would fire forever
            if handled.case.as_ref().and_then(|c| c.due) == before
                && let Some(case) = handled.case.as_mut()
            {
                case.due = None;
            }
        }
    }

    /// Takes `request` as a user of `principal.role` on the warning of `target` (or the only
    /// one), with the warning's department and district; the stage after it.
    pub(crate) fn act(
        &mut self,
        target: Option<&(String, String)>,
        mut principal: Principal,
        request: &ActionRequest,
        now: Timestamp,
    ) -> Result<String, NotTaken> {
        let key = match target {
            Some(key) => key.clone(),
            None => match self.warnings.keys().collect::<Vec<_>>().as_slice() {
                [only] => (*only).clone(),
                [] => {
                    return Err(NotTaken::NoWarning(
                        "no warning has been raised to act on".to_owned(),
                    ));
                }
                several => {
                    let names: Vec<String> =
                        several.iter().map(|(a, h)| format!("{a} {h}")).collect();
                    return Err(NotTaken::NoWarning(format!(
                        "several warnings ({}); name the one acted on with `asset` and `hazard`",
                        names.join(", ")
                    )));
                }
            },
        };
        let Some(handled) = self.warnings.get_mut(&key) else {
            return Err(NotTaken::NoWarning(format!(
                "no warning of {} {} has been raised",
                key.0, key.1
            )));
        };
        if handled.case.is_none() {
            return Err(NotTaken::NoWarning(format!(
                "no workflow takes domain `{}` of {} {}",
                handled.facts.domain, key.0, key.1
            )));
        }
        principal.department = Some(handled.facts.department.clone());
        principal.district = Some(handled.facts.district.clone());
        let event = Event::Action {
            request,
            actor: &principal,
        };
        apply(self.generation, handled, event, now).map_err(NotTaken::Refused)?;
        Ok(handled
            .case
            .as_ref()
            .map_or_else(|| "none".to_owned(), |case| case.stage.to_string()))
    }
}

/// Steps the machine for one warning and keeps the result.
fn apply(
    generation: &Generation,
    handled: &mut Handled,
    event: Event<'_>,
    now: Timestamp,
) -> Result<(), Refusal> {
    let workflow = match &handled.case {
        Some(case) => generation.workflow(case.workflow.as_str()),
        None => generation.workflow_for(handled.facts.domain.as_str()),
    };
    let Some(workflow) = workflow else {
        return Ok(());
    };
    let Step {
        case,
        notifications,
        audit: _,
    } = step(
        workflow,
        generation,
        &handled.facts,
        handled.case.as_ref(),
        event,
        now,
    )?;
    handled.case = Some(case);
    handled.notifications.extend(notifications);
    Ok(())
}

/// The facts of a new warning from its opening change.
fn facts(id: i64, change: &WarningChange) -> WarningFacts {
    WarningFacts {
        id,
        asset: change.asset.clone(),
        hazard: change.hazard.clone(),
        domain: change.domain.clone(),
        district: change.district.clone(),
        department: change.department.clone(),
        level: change.to.unwrap_or(crate::model::Level::Blue),
        drill: false,
        message: change.message.clone(),
        generation: change.generation.clone(),
    }
}
