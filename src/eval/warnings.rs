//! Warnings: one per (asset, hazard). Its alarm level is the highest alarm level among its
//! bindings (every sensor of the asset, every rule of the hazard, and composite rules); each slot
//! counts its bindings per level, so an alarm change updates it in O(1). Its warning level is
//! the alarm level graded through the asset's [`GradeTable`] (likelihood x consequence), with
//! the likelihood raised by the cascades that currently reach it (`boost`, the largest raise of
//! its contributions). Also the one-line messages shown to people.

use rustc_hash::FxHashMap;

use crate::grading::GradeTable;
use crate::model::{Direction, Ladder, Level};

/// One warning's bookkeeping.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WarningSlot {
    /// The asset (index into `Generation::assets`).
    pub(crate) asset: u32,
    /// The hazard (index into the engine's hazard table).
    pub(crate) hazard: u32,
    /// Bindings currently at each level.
    counts: [u32; 4],
    /// The highest alarm level of the bindings.
    pub(crate) alarm: Option<Level>,
    /// Likelihood steps added by cascades (the largest current contribution).
    pub(crate) boost: u8,
    /// The grade table of the asset (index into [`WarningBoard::grades`]).
    pub(crate) grade: u32,
    /// The warning level: the alarm level graded with the boost.
    pub(crate) level: Option<Level>,
}

/// A cascade currently raising a warning's likelihood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Contribution {
    /// The upstream warning (slot).
    pub(crate) source: u32,
    /// The cascade (index into `Generation::cascades`).
    pub(crate) cascade: u32,
    /// Likelihood steps it adds.
    pub(crate) raise: u8,
}

/// All warnings of an engine.
#[derive(Debug)]
pub(crate) struct WarningBoard {
    /// The warnings.
    pub(crate) slots: Vec<WarningSlot>,
    /// (asset, hazard) -> position in `slots`.
    index: FxHashMap<(u32, u32), u32>,
    /// Distinct grade tables; position 0 grades by likelihood alone.
    pub(crate) grades: Vec<GradeTable>,
    /// Cascade contributions per slot that has any.
    pub(crate) contributions: FxHashMap<u32, Vec<Contribution>>,
}

impl Default for WarningBoard {
    fn default() -> Self {
        WarningBoard {
            slots: Vec::new(),
            index: FxHashMap::default(),
            grades: vec![GradeTable::new(
                None,
                crate::grading::DEFAULT_CONSEQUENCE,
                0,
            )],
            contributions: FxHashMap::default(),
        }
    }
}

impl WarningBoard {
    /// The slot of (asset, hazard), created if new.
    pub(crate) fn slot_for(&mut self, asset: u32, hazard: u32) -> u32 {
        let next = self.slots.len() as u32;
        let slots = &mut self.slots;
        *self.index.entry((asset, hazard)).or_insert_with(|| {
            slots.push(WarningSlot {
                asset,
                hazard,
                counts: [0; 4],
                alarm: None,
                boost: 0,
                grade: 0,
                level: None,
            });
            next
        })
    }

    /// Regrades `slot` after its alarm level or boost moved; returns the warning level before
    /// and after when it changed.
    fn regrade(&mut self, slot: u32) -> Option<(Option<Level>, Option<Level>)> {
        let slot = self.slots.get_mut(slot as usize)?;
        let table = self
            .grades
            .get(slot.grade as usize)
            .or(self.grades.first())?;
        let level = table.level(slot.alarm, slot.boost);
        let before = slot.level;
        slot.level = level;
        (before != level).then_some((before, level))
    }

    /// Adds (`on`) or removes a cascade contribution to `slot`; returns the warning level before
    /// and after when it changed.
    pub(crate) fn contribute(
        &mut self,
        slot: u32,
        contribution: Contribution,
        on: bool,
    ) -> Option<(Option<Level>, Option<Level>)> {
        let list = self.contributions.entry(slot).or_default();
        let present = list.iter().position(|c| *c == contribution);
        match (on, present) {
            (true, None) => list.push(contribution),
            (false, Some(i)) => {
                list.swap_remove(i);
            }
            _ => return None,
        }
        let boost = list.iter().map(|c| c.raise).max().unwrap_or(0);
        if list.is_empty() {
            self.contributions.remove(&slot);
        }
        self.slots.get_mut(slot as usize)?.boost = boost;
        self.regrade(slot)
    }

    /// The cascades raising `slot`, if any.
    pub(crate) fn contributions_of(&self, slot: u32) -> &[Contribution] {
        self.contributions.get(&slot).map_or(&[], Vec::as_slice)
    }

    /// The slot of (asset, hazard), if any binding feeds it.
    pub(crate) fn find(&self, asset: u32, hazard: u32) -> Option<u32> {
        self.index.get(&(asset, hazard)).copied()
    }

    /// Moves one binding of `slot` from alarm level `from` to `to`; returns the warning's level
    /// before and after when it changed.
    pub(crate) fn apply(
        &mut self,
        slot: u32,
        from: Option<Level>,
        to: Option<Level>,
    ) -> Option<(Option<Level>, Option<Level>)> {
        let state = self.slots.get_mut(slot as usize)?;
        if let Some(l) = from {
            state.counts[l.index()] = state.counts[l.index()].saturating_sub(1);
        }
        if let Some(l) = to {
            state.counts[l.index()] += 1;
        }
        state.alarm = Level::ALL
            .into_iter()
            .rev()
            .find(|l| state.counts[l.index()] > 0);
        self.regrade(slot)
    }

    /// Heap bytes held (vector capacity and an estimate of the hash table).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<WarningSlot>()
            + self.index.capacity() * (std::mem::size_of::<((u32, u32), u32)>() + 1)
            + self.grades.capacity() * std::mem::size_of::<GradeTable>()
            + self
                .contributions
                .values()
                .map(|v| v.capacity() * std::mem::size_of::<Contribution>() + 32)
                .sum::<usize>()
    }
}

/// What a binding saw when its alarm moved, for the message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observation {
    /// The value read.
    pub(crate) value: f64,
    /// The rate, for rate and dual-control rules.
    pub(crate) rate: Option<(f64, i64)>,
}

/// The text of one part of a message: "52 %LEL >= red 50" or "back below orange 20 - 2".
fn part(ladder: &Ladder, level: Level, value: f64, unit: &str, raised: bool) -> String {
    let threshold = Level::ALL[..=level.index()]
        .iter()
        .rev()
        .find_map(|l| ladder.thresholds[l.index()]);
    let threshold = threshold.map_or_else(String::new, |t| format!(" {}", number(t)));
    let op = match (ladder.direction, raised) {
        (Direction::Above, true) => ">=",
        (Direction::Below, true) => "<=",
        (Direction::Above, false) => "<",
        (Direction::Below, false) => ">",
    };
    format!("{}{unit} {op} {level}{threshold}", number(value))
}

/// What a message says about the rule, apart from the reading.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wording<'a> {
    /// Metric id.
    pub(crate) metric: &'a str,
    /// Metric unit.
    pub(crate) unit: &'a str,
    /// Rule id.
    pub(crate) rule: &'a str,
    /// The value ladder (the rate ladder for pure rate rules).
    pub(crate) ladder: &'a Ladder,
    /// The rate ladder of a dual-control rule.
    pub(crate) rate_ladder: Option<&'a Ladder>,
    /// The rule's clear time, in milliseconds.
    pub(crate) clear_after_ms: i64,
}

/// The message for an alarm that moved from `from` to `to`, e.g.
/// "gas.ch4_adjacent 52 %LEL >= red 50 (rule gas.ch4_adjacent.ladder)".
pub(crate) fn message(
    wording: &Wording<'_>,
    observation: Observation,
    from: Option<Level>,
    to: Option<Level>,
) -> String {
    let Wording {
        metric,
        unit,
        rule,
        ladder,
        rate_ladder,
        clear_after_ms,
    } = *wording;
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let raised = to > from;
    let level = if raised { to } else { from };
    let Some(level) = level else {
        return format!("{metric} unchanged (rule {rule})");
    };
    let value_part = part(ladder, level, observation.value, &unit, raised);
    let rate_part = observation.rate.map(|(rate, per_ms)| {
        let per = format!("{unit}/{}", duration(per_ms));
        format!(
            "rate {}",
            part(rate_ladder.unwrap_or(ladder), level, rate, &per, raised)
        )
    });
    let body = match (rate_ladder, rate_part) {
        // pure rate rule: the rate is the observation
        (None, Some(rate)) => rate,
        (Some(_), Some(rate)) => format!("{value_part}, {rate}"),
        (_, None) => value_part,
    };
    if raised {
        format!("{metric} {body} (rule {rule})")
    } else {
        let before = crate::model::level::level_name(from);
        let now = crate::model::level::level_name(to);
        format!(
            "{metric} {body} for {} (rule {rule}: {before} -> {now})",
            duration(clear_after_ms)
        )
    }
}

/// A number as people write it: no trailing zeros, at most six decimals.
pub(crate) fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A duration in its largest whole unit: `10m`, `1d`, `90s`, `250ms`.
pub(crate) fn duration(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    UNITS
        .iter()
        .find(|(size, _)| ms != 0 && ms % size == 0)
        .map_or_else(
            || format!("{ms}ms"),
            |(size, unit)| format!("{}{unit}", ms / size),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gas() -> Ladder {
        Ladder {
            direction: Direction::Above,
            thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
        }
    }

    #[test]
    fn warning_level_is_the_max_over_bindings() {
        let mut board = WarningBoard::default();
        let slot = board.slot_for(0, 0);
        assert_eq!(board.slot_for(0, 0), slot);
        let (b, o) = (Some(Level::Blue), Some(Level::Orange));
        assert_eq!(board.apply(slot, None, b), Some((None, b)));
        assert_eq!(board.apply(slot, None, o), Some((b, o)));
        assert_eq!(board.apply(slot, None, b), None);
        assert_eq!(board.apply(slot, o, None), Some((o, b)));
        assert_eq!(board.apply(slot, b, None), None);
        assert_eq!(board.apply(slot, b, None), Some((b, None)));
    }

    #[test]
    fn messages_read_like_the_rule() {
        let obs = Observation {
            value: 52.0,
            rate: None,
        };
        let ladder = gas();
        let mut wording = Wording {
            metric: "gas.ch4_adjacent",
            unit: "%LEL",
            rule: "gas.ch4_adjacent.ladder",
            ladder: &ladder,
            rate_ladder: None,
            clear_after_ms: 600_000,
        };
        let raised = message(&wording, obs, None, Some(Level::Red));
        assert_eq!(
            raised,
            "gas.ch4_adjacent 52 %LEL >= red 50 (rule gas.ch4_adjacent.ladder)"
        );
        let obs = Observation {
            value: 2.5,
            rate: None,
        };
        wording.metric = "m";
        wording.rule = "r";
        let cleared = message(&wording, obs, Some(Level::Blue), None);
        assert_eq!(
            cleared,
            "m 2.5 %LEL < blue 5 for 10m (rule r: blue -> none)"
        );
    }

    #[test]
    fn numbers_and_durations_are_short() {
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.05), "-0.05");
        assert_eq!(number(50.0), "50");
        assert_eq!(duration(600_000), "10m");
        assert_eq!(duration(86_400_000), "1d");
        assert_eq!(duration(90_000), "90s");
        assert_eq!(duration(0), "0ms");
    }
}
