//! Threshold primitives: which level a value *holds* under per-level persistence (immediate,
//! `for` a duration, `n` of the last `m` readings), and the hysteresis step shared by every rule
//! kind that decides the alarm level from the held level (raise at once, lower only after the
//! value has stayed clear of the current level for `clear.after`).

use crate::model::{Ladder, Level, Persistence};

use super::state::{NEVER, PersistState};

/// Whether a persistence table needs per-level state (anything but all-immediate).
pub(crate) fn needs_state(persistence: &[Persistence; 4]) -> bool {
    persistence
        .iter()
        .any(|p| !matches!(p, Persistence::Immediate))
}

/// Persistence converted for the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Held on the reading that reaches the level.
    Immediate,
    /// Held once the level has been reached continuously for this many milliseconds.
    For(i64),
    /// Held when at least `n` of the last readings selected by `mask` reached the level.
    Count {
        /// Readings that must reach the level.
        n: u32,
        /// The low `m` bits set.
        mask: u16,
    },
}

impl Hold {
    /// Converts a compiled persistence.
    pub(crate) fn from_persistence(persistence: Persistence) -> Hold {
        match persistence {
            Persistence::Immediate => Hold::Immediate,
            Persistence::For(d) => Hold::For(crate::model::time::duration_millis(d)),
            Persistence::Count { n, m } => {
                let m = u32::from(m.min(16));
                Hold::Count {
                    n: u32::from(n),
                    mask: ((1u32 << m) - 1) as u16,
                }
            }
        }
    }
}

/// Records a reading of `value` at `ts` in `state` and returns the highest level it holds.
/// Only levels that have a threshold in `ladder` are considered.
#[inline]
pub(crate) fn held_level(
    ladder: &Ladder,
    holds: &[Hold; 4],
    state: &mut PersistState,
    value: f64,
    ts: i64,
) -> Option<Level> {
    let candidate = ladder.level_of(value);
    let mut target = None;
    for level in Level::ALL {
        let i = level.index();
        if ladder.thresholds[i].is_none() {
            continue;
        }
        let reached = candidate >= Some(level);
        if !reached {
            state.since[i] = NEVER;
        } else if state.since[i] == NEVER {
            state.since[i] = ts;
        }
        state.hits[i] = (state.hits[i] << 1) | u16::from(reached);
        let held = match holds[i] {
            Hold::Immediate => reached,
            Hold::For(ms) => reached && ts.saturating_sub(state.since[i]) >= ms,
            Hold::Count { n, mask } => (state.hits[i] & mask).count_ones() >= n,
        };
        if held {
            target = Some(level);
        }
    }
    target
}

/// The highest level `state` holds at `ts` with no new reading: the last reading's value is taken
/// to hold until the next reading, so a `for` run still unbroken completes once `ts` reaches its
/// start plus the duration, and an `n` of `m` count stays as the last reading left it. Pure: the
/// state is not changed.
#[inline]
pub(crate) fn held_at(
    ladder: &Ladder,
    holds: &[Hold; 4],
    state: &PersistState,
    ts: i64,
) -> Option<Level> {
    let mut target = None;
    for level in Level::ALL {
        let i = level.index();
        if ladder.thresholds[i].is_none() {
            continue;
        }
        // a level's run is unbroken exactly when the last reading reached it
        let reached = state.since[i] != NEVER;
        let held = match holds[i] {
            Hold::Immediate => reached,
            Hold::For(ms) => reached && ts.saturating_sub(state.since[i]) >= ms,
            Hold::Count { n, mask } => (state.hits[i] & mask).count_ones() >= n,
        };
        if held {
            target = Some(level);
        }
    }
    target
}

/// The earliest instant at which a `for` run of a level above `current` completes, with no new
/// reading ([`i64::MAX`]: none pending).
#[inline]
pub(crate) fn next_completion(
    holds: &[Hold; 4],
    state: &PersistState,
    current: Option<Level>,
) -> i64 {
    let mut due = i64::MAX;
    for level in Level::ALL {
        let i = level.index();
        if let Hold::For(ms) = holds[i]
            && state.since[i] != NEVER
            && Some(level) > current
        {
            due = due.min(state.since[i].saturating_add(ms));
        }
    }
    due
}

/// One hysteresis step. `target` is the level held by this reading; `is_clear(level)` says whether
/// the reading is back past `level`'s clear point. Returns the new alarm level:
/// - higher than `current`: raised at once (and any clear timer is dropped);
/// - otherwise the level is kept unless the value has been clear of it since a reading at least
///   `clear_after_ms` ago (event time, any non-clear reading restarts the timer), in which case it
///   drops to `target` (which may be `None`: the alarm clears).
#[inline]
pub(crate) fn settle(
    current: Option<Level>,
    target: Option<Level>,
    ts: i64,
    clear_since: &mut i64,
    clear_after_ms: i64,
    is_clear: impl FnOnce(Level) -> bool,
) -> Option<Level> {
    if target > current {
        *clear_since = NEVER;
        return target;
    }
    let level = current?;
    if !is_clear(level) {
        *clear_since = NEVER;
        return current;
    }
    if *clear_since == NEVER {
        *clear_since = ts;
    }
    if target < current && ts.saturating_sub(*clear_since) >= clear_after_ms {
        *clear_since = NEVER;
        return target;
    }
    current
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::Direction;

    const MIN: i64 = 60_000;

    fn gas() -> Ladder {
        Ladder {
            direction: Direction::Above,
            thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
        }
    }

    fn holds(p: [Persistence; 4]) -> [Hold; 4] {
        p.map(Hold::from_persistence)
    }

    #[test]
    fn for_duration_holds_at_ten_minutes_not_before() {
        let ten = Persistence::For(Duration::from_secs(600));
        let holds = holds([ten, ten, ten, ten]);
        let mut state = PersistState::default();
        assert_eq!(held_level(&gas(), &holds, &mut state, 12.0, 0), None);
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 12.0, 9 * MIN + 59_000),
            None
        );
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 12.0, 10 * MIN),
            Some(Level::Yellow)
        );
        // a dip below blue restarts every run
        assert_eq!(held_level(&gas(), &holds, &mut state, 1.0, 11 * MIN), None);
        assert_eq!(held_level(&gas(), &holds, &mut state, 12.0, 12 * MIN), None);
    }

    #[test]
    fn for_duration_runs_per_level() {
        // yellow after 10m, red at once: the run of "yellow or above" started before red arrived
        let p = [
            Persistence::Immediate,
            Persistence::For(Duration::from_secs(600)),
            Persistence::For(Duration::from_secs(600)),
            Persistence::Immediate,
        ];
        let holds = holds(p);
        let mut state = PersistState::default();
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 12.0, 0),
            Some(Level::Blue)
        );
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 25.0, 5 * MIN),
            Some(Level::Blue)
        );
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 25.0, 10 * MIN),
            Some(Level::Yellow)
        );
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 60.0, 11 * MIN),
            Some(Level::Red)
        );
    }

    #[test]
    fn a_run_completes_in_time_without_a_reading() {
        let p = [
            Persistence::For(Duration::from_secs(600)),
            Persistence::For(Duration::from_secs(300)),
            Persistence::Immediate,
            Persistence::Immediate,
        ];
        let holds = holds(p);
        let mut state = PersistState::default();
        // 12 reaches yellow (and so blue) at 0; nothing held yet
        assert_eq!(held_level(&gas(), &holds, &mut state, 12.0, 0), None);
        // yellow's 5m run completes first, blue's 10m run later (already below yellow: moot)
        assert_eq!(next_completion(&holds, &state, None), 5 * MIN);
        assert_eq!(
            next_completion(&holds, &state, Some(Level::Yellow)),
            i64::MAX
        );
        assert_eq!(next_completion(&holds, &state, Some(Level::Blue)), 5 * MIN);
        assert_eq!(held_at(&gas(), &holds, &state, 5 * MIN - 1), None);
        assert_eq!(
            held_at(&gas(), &holds, &state, 5 * MIN),
            Some(Level::Yellow)
        );
        assert_eq!(
            held_at(&gas(), &holds, &state, 10 * MIN),
            Some(Level::Yellow)
        );
        // held_at changes nothing: a reading at 5m holds the same as the timer did
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 12.0, 5 * MIN),
            Some(Level::Yellow)
        );
        // a reading below blue breaks every run: nothing is pending any more
        held_level(&gas(), &holds, &mut state, 1.0, 6 * MIN);
        assert_eq!(next_completion(&holds, &state, None), i64::MAX);
        assert_eq!(held_at(&gas(), &holds, &state, 60 * MIN), None);
    }

    #[test]
    fn a_count_holds_without_a_reading_as_the_last_reading_left_it() {
        let c = Persistence::Count { n: 2, m: 3 };
        let holds = holds([c, c, c, c]);
        let mut state = PersistState::default();
        held_level(&gas(), &holds, &mut state, 12.0, 0);
        held_level(&gas(), &holds, &mut state, 12.0, 1);
        held_level(&gas(), &holds, &mut state, 1.0, 2);
        assert_eq!(
            held_at(&gas(), &holds, &state, 1_000 * MIN),
            Some(Level::Yellow)
        );
        assert_eq!(next_completion(&holds, &state, None), i64::MAX);
    }

    #[test]
    fn count_n_of_m() {
        let c = Persistence::Count { n: 3, m: 5 };
        let holds = holds([c, c, c, c]);
        let mut state = PersistState::default();
        let values = [12.0, 1.0, 12.0, 1.0, 12.0, 1.0, 1.0, 1.0];
        let got: Vec<Option<Level>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| held_level(&gas(), &holds, &mut state, *v, i as i64))
            .collect();
        let y = Some(Level::Yellow);
        // readings 1, 3 and 5 reach yellow: 3 of the last 5 only at the 5th reading
        assert_eq!(got, vec![None, None, None, None, y, None, None, None]);
    }

    #[test]
    fn immediate_levels_skip_straight_to_red() {
        let holds = holds([Persistence::Immediate; 4]);
        let mut state = PersistState::default();
        assert_eq!(
            held_level(&gas(), &holds, &mut state, 80.0, 0),
            Some(Level::Red)
        );
    }

    #[test]
    fn settle_raises_at_once_and_lowers_only_after_clear_time() {
        let ladder = gas();
        let after = 10 * MIN;
        let mut since = NEVER;
        let clear = |v: f64| move |l: Level| ladder.is_clear_of(l, v, 2.0);
        let mut level = settle(None, Some(Level::Red), 0, &mut since, after, clear(60.0));
        assert_eq!(level, Some(Level::Red));
        // 49 is below red 50 but not clear of it with margin 2: stays red
        level = settle(
            level,
            Some(Level::Orange),
            MIN,
            &mut since,
            after,
            clear(49.0),
        );
        assert_eq!((level, since), (Some(Level::Red), NEVER));
        // 30 is clear of red; the timer starts at 2m
        level = settle(
            level,
            Some(Level::Orange),
            2 * MIN,
            &mut since,
            after,
            clear(30.0),
        );
        assert_eq!((level, since), (Some(Level::Red), 2 * MIN));
        level = settle(
            level,
            Some(Level::Orange),
            11 * MIN,
            &mut since,
            after,
            clear(30.0),
        );
        assert_eq!(level, Some(Level::Red));
        // at 12m the value has been clear for 10m: lowered to the level held now
        level = settle(
            level,
            Some(Level::Orange),
            12 * MIN,
            &mut since,
            after,
            clear(30.0),
        );
        assert_eq!((level, since), (Some(Level::Orange), NEVER));
    }

    #[test]
    fn a_non_clear_reading_restarts_the_clear_timer() {
        let ladder = gas();
        let after = 10 * MIN;
        let mut since = NEVER;
        let clear = |v: f64| move |l: Level| ladder.is_clear_of(l, v, 0.0);
        let mut level = Some(Level::Blue);
        level = settle(level, None, 0, &mut since, after, clear(1.0));
        level = settle(
            level,
            Some(Level::Blue),
            5 * MIN,
            &mut since,
            after,
            clear(6.0),
        );
        assert_eq!(since, NEVER);
        level = settle(level, None, 6 * MIN, &mut since, after, clear(1.0));
        level = settle(level, None, 15 * MIN, &mut since, after, clear(1.0));
        assert_eq!(level, Some(Level::Blue));
        level = settle(level, None, 16 * MIN, &mut since, after, clear(1.0));
        assert_eq!(level, None);
    }
}
