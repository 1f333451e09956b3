//! One binding evaluated at one instant: the target level from the rule's kind (threshold with
//! persistence, rate, dual control), then the shared hysteresis step that decides the alarm level.
//! An instant is either a reading or one of the binding's own deadlines, when the latest reading's
//! observation is taken to hold (see `deadline`).

use crate::model::{Ladder, Level};

use super::build::{Check, RulePlan};
use super::rate;
use super::state::{Binding, NEVER, PersistState, SampleRing};
use super::threshold;
use super::timers::NONE;
use super::warnings::Observation;

/// What a binding is evaluated on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Moment {
    /// A new reading (already the latest of `samples`): persistence records it.
    Reading,
    /// One of the binding's deadlines: the latest reading's value holds, nothing is recorded.
    Deadline,
}

/// Evaluates one binding at `ts` on `value`: updates its level and timers, and returns what the
/// rule observed, or `None` when it could not evaluate (a rate with fewer than two samples in its
/// window).
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn step(
    binding: &mut Binding,
    plan: &RulePlan,
    ladder: &Ladder,
    persist: Option<&mut PersistState>,
    samples: &SampleRing,
    value: f64,
    ts: i64,
    moment: Moment,
) -> Option<Observation> {
    let (target, observation) = match plan.check {
        Check::Threshold { holds } => {
            let target = match (persist, moment) {
                (Some(state), Moment::Reading) => {
                    threshold::held_level(ladder, &holds, state, value, ts)
                }
                (Some(state), Moment::Deadline) => threshold::held_at(ladder, &holds, state, ts),
                (None, _) => ladder.level_of(value),
            };
            let level = threshold::settle(
                binding.level,
                target,
                ts,
                &mut binding.clear_since,
                plan.clear_after_ms,
                |l| ladder.is_clear_of(l, value, plan.margin),
            );
            (level, Observation { value, rate: None })
        }
        Check::Rate(rate) => {
            let r = rate.rate(samples)?;
            let level = threshold::settle(
                binding.level,
                rate.ladder.level_of(r),
                ts,
                &mut binding.clear_since,
                plan.clear_after_ms,
                |l| rate.ladder.is_clear_of(l, r, plan.margin),
            );
            let observation = Observation {
                value,
                rate: Some((r, rate.per_ms as i64)),
            };
            (level, observation)
        }
        Check::Dual { rate, combine } => {
            let r = rate.rate(samples);
            let rate_level = r.and_then(|r| rate.ladder.level_of(r));
            let target = rate::combine(combine, ladder.level_of(value), rate_level);
            let level = threshold::settle(
                binding.level,
                target,
                ts,
                &mut binding.clear_since,
                plan.clear_after_ms,
                |l| {
                    rate::dual_is_clear(combine, l, (ladder, value), (&rate.ladder, r), plan.margin)
                },
            );
            let observation = Observation {
                value,
                rate: r.map(|r| (r, rate.per_ms as i64)),
            };
            (level, observation)
        }
        // scripts are run by the engine's script host (`scripted`), not here
        Check::Script => return None,
    };
    binding.level = target;
    Some(observation)
}

/// The binding's next deadline: the earliest event-time instant after its latest evaluation at
/// which its level would move with no new reading, given that the latest observation (`value`,
/// the latest of `samples`; a script's latest verdict) holds until then. That is the completion of
/// a `for` run of a level above the alarm's, or the end of a clear countdown that lowers the
/// alarm. [`NONE`] when nothing is pending. Evaluating the binding at its deadline always moves its
/// level, so every deadline fires once.
#[inline]
pub(crate) fn deadline(
    binding: &Binding,
    plan: &RulePlan,
    ladder: &Ladder,
    persist: Option<&PersistState>,
    samples: &SampleRing,
    value: f64,
) -> i64 {
    let due = match (&plan.check, persist) {
        (Check::Threshold { holds }, Some(state)) => {
            threshold::next_completion(holds, state, binding.level)
        }
        _ => NONE,
    };
    let Some(level) = binding.level else {
        return due;
    };
    if binding.clear_since == NEVER {
        return due;
    }
    let at = binding.clear_since.saturating_add(plan.clear_after_ms);
    if at >= due {
        return due;
    }
    let target: Option<Level> = match plan.check {
        Check::Threshold { holds } => match persist {
            Some(state) => threshold::held_at(ladder, &holds, state, at),
            None => ladder.level_of(value),
        },
        Check::Rate(rate) => match rate.rate(samples) {
            Some(r) => rate.ladder.level_of(r),
            // the rule could not evaluate the latest reading: it waits for the next
            None => return due,
        },
        Check::Dual { rate, combine } => rate::combine(
            combine,
            ladder.level_of(value),
            rate.rate(samples).and_then(|r| rate.ladder.level_of(r)),
        ),
        Check::Script => binding.verdict,
    };
    if target < Some(level) { at } else { due }
}
