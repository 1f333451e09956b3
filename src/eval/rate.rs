//! Rate of change and dual control. The rate is taken between the latest sample and the oldest
//! sample still inside the window (so it needs two samples and a positive elapsed time); the rate
//! ladder then behaves like an immediate threshold. Dual control combines the cumulative level and
//! the rate level: `all` takes the lower (none if either is none), `any` the higher.

use crate::model::time::duration_millis;
use crate::model::{Combine, Ladder, Level, RateSpec};

use super::state::SampleRing;

/// A rate specification converted for the hot path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RatePlan {
    /// Levels on the rate.
    pub(crate) ladder: Ladder,
    /// How far back to look, in milliseconds.
    pub(crate) window_ms: i64,
    /// The rate unit's time base, in milliseconds.
    pub(crate) per_ms: f64,
}

impl RatePlan {
    /// Converts a compiled rate spec.
    pub(crate) fn new(spec: &RateSpec) -> RatePlan {
        RatePlan {
            ladder: spec.ladder,
            window_ms: duration_millis(spec.window),
            per_ms: duration_millis(spec.per) as f64,
        }
    }

    /// The rate at the latest sample of `samples` (which must already hold it), or `None` when
    /// the window holds fewer than two samples.
    #[inline]
    pub(crate) fn rate(&self, samples: &SampleRing) -> Option<f64> {
        let now = samples.latest(1).next()?;
        let start = samples.oldest_since(now.ts.saturating_sub(self.window_ms))?;
        let elapsed = now.ts.saturating_sub(start.ts);
        (elapsed > 0).then(|| (now.value - start.value) / elapsed as f64 * self.per_ms)
    }
}

/// The level of a dual-control rule from its two parts.
#[inline]
pub(crate) fn combine(
    combine: Combine,
    cumulative: Option<Level>,
    rate: Option<Level>,
) -> Option<Level> {
    match combine {
        Combine::All => cumulative.min(rate),
        Combine::Any => cumulative.max(rate),
    }
}

/// Whether a dual-control reading is clear of `level`: with `all` one part back past its clear
/// point is enough (the pair no longer holds); with `any` both must be. The margin applies to the
/// cumulative value (the rule's unit); the rate part clears at its own threshold. A rate that
/// cannot be computed counts as clear.
#[inline]
pub(crate) fn dual_is_clear(
    combine: Combine,
    level: Level,
    cumulative: (&Ladder, f64),
    rate: (&Ladder, Option<f64>),
    margin: f64,
) -> bool {
    let cumulative_clear = cumulative.0.is_clear_of(level, cumulative.1, margin);
    let rate_clear = rate.1.is_none_or(|r| rate.0.is_clear_of(level, r, 0.0));
    match combine {
        Combine::All => cumulative_clear || rate_clear,
        Combine::Any => cumulative_clear && rate_clear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::state::Sample;
    use crate::model::Direction;

    const MIN: i64 = 60_000;

    fn plan(direction: Direction, thresholds: [Option<f64>; 4]) -> RatePlan {
        RatePlan {
            ladder: Ladder {
                direction,
                thresholds,
            },
            window_ms: 5 * MIN,
            per_ms: MIN as f64,
        }
    }

    fn ring(points: &[(i64, f64)], window_ms: i64) -> SampleRing {
        let mut ring = SampleRing::default();
        for (ts, value) in points {
            ring.push(
                Sample {
                    ts: *ts,
                    value: *value,
                },
                window_ms,
            );
        }
        ring
    }

    #[test]
    fn rate_uses_the_oldest_sample_inside_the_window() {
        let p = plan(Direction::Above, [Some(1.0), None, None, Some(3.0)]);
        let rising: Vec<(i64, f64)> = (0..10).map(|i| (i * MIN, (i * i) as f64)).collect();
        let samples = ring(&rising, p.window_ms);
        // window 4m..9m: (81 - 16) / 5 min
        assert_eq!(p.rate(&samples), Some(13.0));
        assert_eq!(p.ladder.level_of(13.0), Some(Level::Red));
    }

    #[test]
    fn falling_series_gives_a_negative_rate_for_below_ladders() {
        let p = plan(
            Direction::Below,
            [Some(-0.01), None, Some(-0.03), Some(-0.05)],
        );
        let falling = [(0, 0.40), (MIN, 0.39), (2 * MIN, 0.36), (3 * MIN, 0.28)];
        let samples = ring(&falling, p.window_ms);
        let rate = p.rate(&samples).map(|r| (r * 1e6).round() / 1e6);
        assert_eq!(rate, Some(-0.04));
        assert_eq!(p.ladder.level_of(-0.04), Some(Level::Orange));
    }

    #[test]
    fn rate_needs_two_samples_in_the_window() {
        let p = plan(Direction::Above, [Some(1.0), None, None, None]);
        assert_eq!(p.rate(&ring(&[(0, 1.0)], p.window_ms)), None);
        // the earlier sample is kept for evidence but lies outside the window
        assert_eq!(
            p.rate(&ring(&[(0, 1.0), (10 * MIN, 9.0)], p.window_ms)),
            None
        );
    }

    #[test]
    fn dual_all_takes_the_lower_and_any_the_higher() {
        let (b, r) = (Some(Level::Blue), Some(Level::Red));
        assert_eq!(combine(Combine::All, b, r), b);
        assert_eq!(combine(Combine::All, None, r), None);
        assert_eq!(combine(Combine::Any, b, r), r);
        assert_eq!(combine(Combine::Any, None, r), r);
    }
}
