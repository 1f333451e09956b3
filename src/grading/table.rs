//! [`GradeTable`]: one asset's grading precomputed, so the engine grades a warning with two
//! array lookups. The engine keeps one per distinct (domain grading, consequence, escalation).

use super::MAX_GRADE;
use super::matrix::{DEFAULT_LIKELIHOOD, raise};
use crate::model::{Grading, Level};

/// Levels by likelihood for a domain without `grading:`: 1 none, 2 blue ... 5 red.
const BY_LIKELIHOOD: [Option<Level>; 5] = [
    None,
    Some(Level::Blue),
    Some(Level::Yellow),
    Some(Level::Orange),
    Some(Level::Red),
];

/// Likelihood and level for one (grading, consequence, escalation): `Copy` and 12 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GradeTable {
    /// Likelihood before cascades: `[0]` with no alarm (always 1), `[1 + Level::index]` for an
    /// alarm of that level.
    likelihood: [u8; 5],
    /// Level for likelihood 1..=5 (`[l - 1]`), after the matrix row of this consequence and the
    /// escalation.
    levels: [Option<Level>; 5],
    /// The consequence grade the table was built for, kept to explain a level.
    consequence: u8,
    /// The escalation steps applied, kept to explain a level.
    escalation: u8,
}

impl GradeTable {
    /// The table for an asset of consequence `consequence` (1..=5, clamped) and `escalation`
    /// levels of context escalation, in a domain graded by `grading` (`None`: by likelihood
    /// alone, which ignores the consequence).
    pub fn new(grading: Option<&Grading>, consequence: u8, escalation: u8) -> GradeTable {
        let consequence = consequence.clamp(1, MAX_GRADE);
        let column = usize::from(consequence) - 1;
        let (alarm_likelihood, base) = match grading {
            Some(grading) => (grading.likelihood, grading.matrix.map(|row| row[column])),
            None => (DEFAULT_LIKELIHOOD, BY_LIKELIHOOD),
        };
        let mut likelihood = [1; 5];
        for (slot, value) in likelihood[1..].iter_mut().zip(alarm_likelihood) {
            *slot = value.clamp(1, MAX_GRADE);
        }
        GradeTable {
            likelihood,
            levels: base.map(|level| raise(level, escalation)),
            consequence,
            escalation,
        }
    }

    /// Likelihood (1..=5) of an asset whose strongest alarm is `alarm`, raised `boost` steps by
    /// cascades, capped at 5.
    pub fn likelihood(&self, alarm: Option<Level>, boost: u8) -> u8 {
        let slot = alarm.map_or(0, |level| level.index() + 1);
        self.likelihood[slot].saturating_add(boost).min(MAX_GRADE)
    }

    /// The graded level: `None` with no alarm and no boost, else the level of
    /// [`GradeTable::likelihood`].
    pub fn level(&self, alarm: Option<Level>, boost: u8) -> Option<Level> {
        if alarm.is_none() && boost == 0 {
            return None;
        }
        self.level_at(self.likelihood(alarm, boost))
    }

    /// The level for likelihood `likelihood` (clamped to 1..=5).
    pub fn level_at(&self, likelihood: u8) -> Option<Level> {
        self.levels[usize::from(likelihood.clamp(1, MAX_GRADE)) - 1]
    }

    /// The consequence grade (1..=5) the table was built for.
    pub fn consequence(&self) -> u8 {
        self.consequence
    }

    /// The escalation steps the table applies.
    pub fn escalation(&self) -> u8 {
        self.escalation
    }
}
