//! The duty desk (值班台): the workflow over the store. It is what the server runs; the machine
//! ([`super::machine`]) decides, the desk loads, steps and saves.
//!
//! - [`Desk::react_pending`]: warnings the engine (or a manual report) moved since the workflow
//!   last looked get their level-history entries turned into events (opened, raised, lowered,
//!   cleared, recurred), stepped in order and saved with one `save_case`.
//! - [`Desk::fire_due`]: cases whose escalation timer is due at the clock's time fire it. The
//!   timer is a column of the case, so it fires after a restart too.
//! - [`Desk::act`]: a person's action, after a scope check; refusals are audited.
//! - [`Desk::report`]: a manual warning (hotline, citizen, inspection, media; or a drill), reacted
//!   to at once so its case exists when the call returns.
//!
//! Saves use optimistic concurrency (the case's `version`): on a conflict the desk reads the case
//! again and steps again, a few times, then gives up (`case_conflict` for an action; a reaction or
//! timer is left for the next round). Every write goes through `save_case`, so the case, its
//! outbox rows and its audit entries are one transaction.

use std::collections::HashSet;
use std::sync::Arc;

use crate::model::{Clock, Field, Generation, Level, StageId, Workflow};
use crate::storage::{CaseUpdate, SaveOutcome, Store, StoreError, WarningDetail, WarningRecord};

use super::{Event, Step, WarningFacts, machine};

mod error;
mod history;
mod people;
mod report;

pub use crate::model::generation::{FixedGeneration, Generations};
pub use error::DeskError;
pub use report::{MAX_MESSAGE_CHARS, ManualReport, REPORT_CHANNELS, monitored_hazards};

/// Saves tried before a conflicting case is given up on (for this round, or this request).
const ATTEMPTS: u32 = 5;
/// Warnings asked for per store query.
const BATCH: u32 = 256;

/// What one round of the desk did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Round {
    /// Warnings whose pending history was reacted to.
    pub reacted: usize,
    /// Cases whose timer fired.
    pub fired: usize,
    /// Warnings left for a later round (a case that kept conflicting, no workflow).
    pub left: usize,
}

/// What a round sweeps.
#[derive(Clone, Copy, Debug)]
enum Sweep {
    /// Warnings with level history the workflow has not reacted to.
    Reactions,
    /// Cases whose timer is due.
    Timers,
}

impl Sweep {
    const fn as_str(self) -> &'static str {
        match self {
            Sweep::Reactions => "reaction",
            Sweep::Timers => "timer",
        }
    }
}

/// An action a user may take next on a case.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NextAction {
    /// The action name for `POST /warnings/{id}/actions`.
    pub action: String,
    /// Name for people.
    pub name: String,
    /// The stage it leads to (`None`: stays, e.g. a progress report).
    pub to: Option<StageId>,
    /// Fields the request must carry.
    pub requires: Vec<Field>,
}

/// The duty desk service; cheap to clone.
#[derive(Clone, Debug)]
pub struct Desk {
    /// Cases, outbox, audit.
    store: Arc<dyn Store>,
    /// The generation in force.
    generations: Arc<dyn Generations>,
    /// "Now" for stage times, deadlines and timers.
    clock: Arc<dyn Clock>,
}

impl Desk {
    /// A desk over a store, the generation in force and a clock.
    pub fn new(
        store: Arc<dyn Store>,
        generations: Arc<dyn Generations>,
        clock: Arc<dyn Clock>,
    ) -> Desk {
        Desk {
            store,
            generations,
            clock,
        }
    }

    /// Reacts to everything pending, then fires every due timer.
    pub async fn run_round(&self) -> Result<Round, StoreError> {
        let (reacted, left_reacting) = self.sweep(Sweep::Reactions).await?;
        let (fired, left_firing) = self.sweep(Sweep::Timers).await?;
        Ok(Round {
            reacted,
            fired,
            left: left_reacting + left_firing,
        })
    }

    /// Reacts to every warning with level-history entries the workflow has not seen; returns how
    /// many were saved.
    pub async fn react_pending(&self) -> Result<usize, StoreError> {
        Ok(self.sweep(Sweep::Reactions).await?.0)
    }

    /// Fires every case timer due at the clock's time; returns how many cases were saved.
    pub async fn fire_due(&self) -> Result<usize, StoreError> {
        Ok(self.sweep(Sweep::Timers).await?.0)
    }

    /// Handles each warning the sweep's query returns once (what changes meanwhile is the next
    /// round's: the engine pokes the desk after every write), querying again while full pages
    /// come back. Returns (saved, left for a later round).
    async fn sweep(&self, sweep: Sweep) -> Result<(usize, usize), StoreError> {
        let mut seen = HashSet::new();
        let (mut saved, mut left) = (0, 0);
        // Reactions page by warning id; due timers leave the page once fired.
        let mut after = 0;
        loop {
            let ids = match sweep {
                Sweep::Reactions => self.store.pending_reactions(after, BATCH).await?,
                Sweep::Timers => self.store.due_cases(self.clock.now(), BATCH).await?,
            };
            after = ids.last().copied().unwrap_or(after);
            let fresh: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
            if fresh.is_empty() {
                break;
            }
            for id in fresh {
                let outcome = match sweep {
                    Sweep::Reactions => self.react_warning(id).await,
                    Sweep::Timers => self.fire_warning(id).await,
                };
                match outcome {
                    Ok(true) => saved += 1,
                    Ok(false) => {}
                    Err(DeskError::Store(error)) => return Err(error),
                    Err(error) => {
                        let what = sweep.as_str();
                        tracing::warn!(warning = id, %error, what, "left for the next round");
                        left += 1;
                    }
                }
            }
            if ids.len() < BATCH as usize {
                break;
            }
        }
        Ok((saved, left))
    }

    /// Reacts to one warning's pending history; `false` when there was nothing to do.
    async fn react_warning(&self, id: i64) -> Result<bool, DeskError> {
        for _ in 0..ATTEMPTS {
            let generation = self.generations.current();
            let detail = self.load(id).await?;
            let Some(step) = self.reaction(&generation, &detail)? else {
                return Ok(false);
            };
            if self.save(&step).await? {
                return Ok(true);
            }
        }
        Err(DeskError::Conflict {
            warning: id,
            attempts: ATTEMPTS,
        })
    }

    /// Fires one case's due timer; `false` when nothing was due after all.
    async fn fire_warning(&self, id: i64) -> Result<bool, DeskError> {
        for _ in 0..ATTEMPTS {
            let generation = self.generations.current();
            let detail = self.load(id).await?;
            let record = &detail.warning;
            let Some(case) = record.case.as_ref() else {
                return Ok(false);
            };
            let now = self.clock.now();
            if case.due.is_none_or(|due| due.at > now) {
                return Ok(false);
            }
            let workflow = workflow_of(&generation, record)?;
            let facts = facts(&generation, record, case.level, &record.message);
            let step =
                match machine::step(workflow, &generation, &facts, Some(case), Event::Timer, now) {
                    Ok(step) => step,
                    Err(refusal) => {
                        tracing::error!(warning = id, %refusal, "the workflow refused a due timer");
                        return Ok(false);
                    }
                };
            if step.case == *case && step.audit.is_empty() && step.notifications.is_empty() {
                return Ok(false);
            }
            if self.save(&step).await? {
                return Ok(true);
            }
        }
        Err(DeskError::Conflict {
            warning: id,
            attempts: ATTEMPTS,
        })
    }

    /// The generation in force.
    pub fn generation(&self) -> Arc<Generation> {
        self.generations.current()
    }

    async fn load(&self, id: i64) -> Result<WarningDetail, DeskError> {
        self.store.warning(id).await?.ok_or(DeskError::NotFound(id))
    }

    /// The case after the warning's pending history, with what to write; `None` when the
    /// workflow is up to date.
    fn reaction(
        &self,
        generation: &Generation,
        detail: &WarningDetail,
    ) -> Result<Option<Step>, DeskError> {
        let record = &detail.warning;
        let stored = record.case.as_ref();
        let reacted = stored.map_or(0, |case| case.reacted_seq);
        let last_seq = detail
            .history
            .iter()
            .map(|entry| entry.seq)
            .max()
            .unwrap_or(0)
            .max(reacted);
        let mut pending = history::pending(&detail.history, reacted);
        if stored.is_none() && pending.iter().all(|p| p.event.is_none()) {
            // No opening entry to react to (a warning stored without history): open at its level.
            pending.insert(
                0,
                history::Pending {
                    seq: last_seq,
                    event: Some(Event::Opened),
                    level: record.level,
                    message: record.message.clone(),
                },
            );
        }
        if pending.is_empty() {
            return Ok(None);
        }
        let workflow = workflow_of(generation, record)?;
        let now = self.clock.now();
        let mut case = stored.cloned();
        let mut notifications = Vec::new();
        let mut audit = Vec::new();
        for entry in pending {
            let Some(event) = entry.event else {
                continue;
            };
            let facts = facts(generation, record, entry.level, &entry.message);
            match machine::step(workflow, generation, &facts, case.as_ref(), event, now) {
                Ok(step) => {
                    case = Some(step.case);
                    notifications.extend(step.notifications);
                    audit.extend(step.audit);
                }
                Err(refusal) => tracing::error!(
                    warning = record.id,
                    seq = entry.seq,
                    %refusal,
                    "the workflow refused an engine event; skipped"
                ),
            }
        }
        let Some(mut case) = case else {
            return Ok(None);
        };
        case.reacted_seq = last_seq;
        Ok(Some(Step {
            case,
            notifications,
            audit,
        }))
    }

    /// Saves a step; `false` on a version conflict.
    async fn save(&self, step: &Step) -> Result<bool, DeskError> {
        let outcome = self
            .store
            .save_case(CaseUpdate {
                case: &step.case,
                notifications: &step.notifications,
                audit: &step.audit,
            })
            .await?;
        Ok(outcome == SaveOutcome::Saved)
    }
}

/// The workflow a warning follows: its case's own when the generation still has it, else its
/// domain's.
fn workflow_of<'g>(
    generation: &'g Generation,
    record: &WarningRecord,
) -> Result<&'g Workflow, DeskError> {
    record
        .case
        .as_ref()
        .and_then(|case| generation.workflow(case.workflow.as_str()))
        .or_else(|| generation.workflow_for(record.domain.as_str()))
        .ok_or_else(|| DeskError::NoWorkflow(record.domain.to_string()))
}

/// The facts the machine steps with, at `level` with `message`.
fn facts(
    generation: &Generation,
    record: &WarningRecord,
    level: Level,
    message: &str,
) -> WarningFacts {
    WarningFacts {
        id: record.id,
        asset: record.asset.clone(),
        hazard: record.hazard.clone(),
        domain: record.domain.clone(),
        district: record.district.clone(),
        department: record.department.clone(),
        level,
        drill: record.drill,
        message: message.to_owned(),
        generation: generation.id.clone(),
    }
}
