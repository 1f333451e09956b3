//! The warning policy: what a warning change from the engine or a manual report does to the
//! stored warnings, decided as a pure function of what is stored ([`StoredWarning`]) and what
//! comes in ([`Incoming`]). The store loads the facts, calls [`decide`] and carries out the
//! returned [`WarningDecision`] (row write, history entry, audit draft) in one transaction; it makes
//! no decision of its own.
//!
//! The rules:
//! - a raise with no live warning opens one (`warning.opened`, or `warning.reported` for a report);
//! - a change for an open warning moves its level (`raised` / `lowered` / `cleared`, a re-statement
//!   at the same level, as after a restart, counts as raised) whatever the change says it was;
//! - recurrence before closure: a raise that finds the latest warning cleared but its case not
//!   closed reopens that warning (`warning.reopened`) instead of opening a new one;
//! - a sensor warning and a manual report on the same asset and hazard merge (source `merged`,
//!   `warning.merged`); a sensor change merging into a manual report keeps the higher level, and a
//!   report joining an open warning keeps the higher level (a same-level report only records the
//!   join, without a history entry);
//! - the engine never clears a warning that is only a manual report;
//! - drills and real warnings never meet: a stored warning whose drill flag differs from the
//!   incoming one counts as absent (engine changes are never drills).

use super::{AuditAction, AuditDraft, GenerationId, Level, ManualWarning, Source, WarningChange};

/// What the store knows about the live warning of the incoming's asset, hazard and drill flag: the
/// open one, else the latest cleared one whose case is not closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredWarning {
    /// Store id.
    pub id: i64,
    /// Open (`true`) or cleared with its case still open (`false`).
    pub open: bool,
    /// Current level (the last level while cleared).
    pub level: Level,
    /// Highest level it reached.
    pub peak: Level,
    /// Who raised it.
    pub source: Source,
    /// An exercise?
    pub drill: bool,
}

/// What comes in: an engine warning change or a manual report.
#[derive(Clone, Copy, Debug)]
pub enum Incoming<'a> {
    /// A warning change from the engine (never a drill).
    Engine(&'a WarningChange),
    /// A report entered by a duty officer under generation `generation`.
    Manual {
        /// The report.
        report: &'a ManualWarning,
        /// The generation in force.
        generation: &'a GenerationId,
    },
}

impl Incoming<'_> {
    /// The source this incoming contributes.
    pub const fn source(&self) -> Source {
        match self {
            Incoming::Engine(_) => Source::Sensor,
            Incoming::Manual { .. } => Source::Manual,
        }
    }

    /// Whether it is an exercise.
    pub const fn drill(&self) -> bool {
        match self {
            Incoming::Engine(_) => false,
            Incoming::Manual { report, .. } => report.drill,
        }
    }
}

/// The write to the `warnings` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowWrite {
    /// Nothing is written.
    Nothing,
    /// Insert a new open warning at `level` raised by `source`.
    Insert {
        /// Level.
        level: Level,
        /// Who raised it.
        source: Source,
    },
    /// Set warning `id` open at `level` (reopening it if cleared) with the incoming's rule,
    /// sensor, generation and message.
    Raise {
        /// The warning.
        id: i64,
        /// Its new level.
        level: Level,
        /// Its new peak level.
        peak: Level,
        /// Its source once the incoming joined.
        source: Source,
    },
    /// Clear warning `id` (state `cleared`) with the incoming's rule, sensor and message.
    Clear {
        /// The warning.
        id: i64,
    },
    /// Only record that the incoming joined warning `id`: its source becomes `source`.
    Join {
        /// The warning.
        id: i64,
        /// Its source once the incoming joined.
        source: Source,
    },
}

impl RowWrite {
    /// The warning written, unless it is a new one (or nothing).
    pub const fn warning(&self) -> Option<i64> {
        match self {
            RowWrite::Nothing | RowWrite::Insert { .. } => None,
            RowWrite::Raise { id, .. } | RowWrite::Clear { id } | RowWrite::Join { id, .. } => {
                Some(*id)
            }
        }
    }
}

/// What to do with one incoming change: the row write, whether a level-history entry records the
/// move `from` -> `to`, and the audit action (the draft is built by [`WarningDecision::draft`]
/// once the warning's id is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarningDecision {
    /// The row write.
    pub row: RowWrite,
    /// Level before (`None`: it opened or reopened).
    pub from: Option<Level>,
    /// Level after (`None`: it cleared).
    pub to: Option<Level>,
    /// Whether a level-history entry is appended.
    pub history: bool,
    /// The audit action; `None` when nothing happened.
    pub action: Option<AuditAction>,
}

impl WarningDecision {
    /// Nothing to do.
    pub const IGNORE: WarningDecision = WarningDecision {
        row: RowWrite::Nothing,
        from: None,
        to: None,
        history: false,
        action: None,
    };

    /// The audit draft for warning `warning` (its id, known after an insert), if any.
    pub fn draft(&self, incoming: Incoming<'_>, warning: i64) -> Option<AuditDraft> {
        let action = self.action?;
        Some(match incoming {
            Incoming::Engine(change) => engine_draft(change, warning, action, self.from, self.to),
            Incoming::Manual { report, generation } => {
                let merged = (action == AuditAction::WarningMerged)
                    .then(|| self.to.map(|to| (self.from, to)))
                    .flatten();
                manual_draft(report, generation, warning, merged)
            }
        })
    }
}

/// The audit action for an engine change that moved an open warning from `before` to `after`
/// (a re-statement at the same level, as after a restart, counts as raised).
pub fn move_action(before: Level, after: Option<Level>) -> AuditAction {
    match after {
        None => AuditAction::WarningCleared,
        Some(after) if after < before => AuditAction::WarningLowered,
        Some(_) => AuditAction::WarningRaised,
    }
}

/// The source a warning has once `incoming` joins it: a sensor warning and a manual report
/// together are `merged`; more of the same kind keeps the kind.
pub fn joined_source(stored: Source, incoming: Source) -> Source {
    if stored == incoming {
        stored
    } else {
        Source::Merged
    }
}

/// Decides what `incoming` does given the live warning `stored` of its asset and hazard.
pub fn decide(stored: Option<StoredWarning>, incoming: Incoming<'_>) -> WarningDecision {
    // Drills and real warnings never meet.
    let stored = stored.filter(|stored| stored.drill == incoming.drill());
    match incoming {
        Incoming::Engine(change) => decide_engine(stored, change.to),
        Incoming::Manual { report, .. } => decide_manual(stored, report.level),
    }
}

/// An engine change to level `to` (`None`: clear).
fn decide_engine(stored: Option<StoredWarning>, to: Option<Level>) -> WarningDecision {
    match (stored, to) {
        // A clear with nothing open (or only a reopenable one) has nothing to do.
        (None, None) => WarningDecision::IGNORE,
        (Some(stored), None) if !stored.open => WarningDecision::IGNORE,
        // The engine never clears a report it did not raise.
        (Some(stored), None) if stored.source == Source::Manual => WarningDecision::IGNORE,
        (Some(stored), None) => WarningDecision {
            row: RowWrite::Clear { id: stored.id },
            from: Some(stored.level),
            to: None,
            history: true,
            action: Some(AuditAction::WarningCleared),
        },
        (None, Some(level)) => WarningDecision {
            row: RowWrite::Insert {
                level,
                source: Source::Sensor,
            },
            from: None,
            to: Some(level),
            history: true,
            action: Some(AuditAction::WarningOpened),
        },
        // Recurrence before closure reopens the warning.
        (Some(stored), Some(level)) if !stored.open => WarningDecision {
            row: RowWrite::Raise {
                id: stored.id,
                level,
                peak: stored.peak.max(level),
                source: joined_source(stored.source, Source::Sensor),
            },
            from: None,
            to: Some(level),
            history: true,
            action: Some(AuditAction::WarningReopened),
        },
        (Some(stored), Some(level)) => {
            let merging = stored.source == Source::Manual;
            // The first merge into a manual report keeps the higher level.
            let level = if merging {
                level.max(stored.level)
            } else {
                level
            };
            let action = if merging {
                AuditAction::WarningMerged
            } else {
                move_action(stored.level, Some(level))
            };
            WarningDecision {
                row: RowWrite::Raise {
                    id: stored.id,
                    level,
                    peak: stored.peak.max(level),
                    source: joined_source(stored.source, Source::Sensor),
                },
                from: Some(stored.level),
                to: Some(level),
                history: true,
                action: Some(action),
            }
        }
    }
}

/// A manual report at level `reported`.
fn decide_manual(stored: Option<StoredWarning>, reported: Level) -> WarningDecision {
    let Some(stored) = stored else {
        return WarningDecision {
            row: RowWrite::Insert {
                level: reported,
                source: Source::Manual,
            },
            from: None,
            to: Some(reported),
            history: true,
            action: Some(AuditAction::WarningReported),
        };
    };
    let source = joined_source(stored.source, Source::Manual);
    // An open warning keeps the higher level; a cleared one reopens at the reported level.
    let (from, level) = if stored.open {
        (Some(stored.level), stored.level.max(reported))
    } else {
        (None, reported)
    };
    let moved = from != Some(level);
    WarningDecision {
        row: if moved {
            RowWrite::Raise {
                id: stored.id,
                level,
                peak: stored.peak.max(level),
                source,
            }
        } else {
            RowWrite::Join {
                id: stored.id,
                source,
            }
        },
        from,
        to: Some(level),
        history: moved,
        action: Some(AuditAction::WarningMerged),
    }
}

/// The audit draft of an engine warning change.
fn engine_draft(
    change: &WarningChange,
    warning: i64,
    action: AuditAction,
    from: Option<Level>,
    to: Option<Level>,
) -> AuditDraft {
    AuditDraft {
        at: change.ts,
        actor: "system:engine".to_owned(),
        action,
        warning: Some(warning),
        generation: Some(change.generation.clone()),
        subject: format!("warning:{warning}"),
        detail: serde_json::json!({
            "asset": change.asset.as_str(),
            "hazard": change.hazard.as_str(),
            "from": from.map(Level::as_str),
            "to": to.map(Level::as_str),
            "rule": change.rule.as_str(),
            "sensor": change.sensor.as_str(),
            "message": change.message.as_str(),
        }),
    }
}

/// The audit draft of a manual report (`warning.reported`, or `warning.merged` with the move).
fn manual_draft(
    manual: &ManualWarning,
    generation: &GenerationId,
    warning: i64,
    merged: Option<(Option<Level>, Level)>,
) -> AuditDraft {
    let mut detail = serde_json::json!({
        "asset": manual.asset.as_str(),
        "hazard": manual.hazard.as_str(),
        "level": manual.level.as_str(),
        "channel": manual.channel.as_str(),
        "message": manual.message.as_str(),
        "drill": manual.drill,
    });
    if let (Some((from, to)), Some(object)) = (merged, detail.as_object_mut()) {
        object.insert("from".to_owned(), from.map(Level::as_str).into());
        object.insert("to".to_owned(), to.as_str().into());
    }
    AuditDraft {
        at: manual.at,
        actor: manual.actor.clone(),
        action: if merged.is_some() {
            AuditAction::WarningMerged
        } else {
            AuditAction::WarningReported
        },
        warning: Some(warning),
        generation: Some(generation.clone()),
        subject: format!("warning:{warning}"),
        detail,
    }
}

#[cfg(test)]
#[path = "warning_policy_tests.rs"]
mod tests;
