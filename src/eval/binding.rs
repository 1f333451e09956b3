//! One binding evaluated on one reading: the target level from the rule's kind (threshold with
//! persistence, rate, dual control), then the shared hysteresis step that decides the alarm level.

use crate::model::Ladder;

use super::build::{Check, RulePlan};
use super::rate;
use super::state::{Binding, PersistState, SampleRing};
use super::threshold;
use super::warnings::Observation;

/// Evaluates one binding on a reading: updates its level and timers, and returns what the rule
/// observed, or `None` when it could not evaluate (a rate with fewer than two samples in its
/// window).
#[inline]
pub(crate) fn step(
    binding: &mut Binding,
    plan: &RulePlan,
    ladder: &Ladder,
    persist: Option<&mut PersistState>,
    samples: &SampleRing,
    value: f64,
    ts: i64,
) -> Option<Observation> {
    let (target, observation) = match plan.check {
        Check::Threshold { holds } => {
            let target = match persist {
                Some(state) => threshold::held_level(ladder, &holds, state, value, ts),
                None => ladder.level_of(value),
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
