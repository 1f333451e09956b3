//! When to try again: exponential backoff with full jitter, and whether an attempt that failed
//! leaves the row failed (retry later) or dead (no more tries). Pure functions; the worker passes
//! the random draw in, so tables test them exactly.

use std::time::Duration;

use crate::storage::AttemptOutcome;

/// The delay before the attempt after attempt `attempt` (from 1): a uniform draw `unit` in
/// `[0, 1)` of the ceiling (whole milliseconds, floored) `min(cap, base * 2^(attempt - 1))` ("full jitter", so workers that
/// failed together do not retry together).
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(32);
    let ceiling = base
        .checked_mul(1_u32 << doublings.min(31))
        .unwrap_or(cap)
        .min(cap);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // whole milliseconds, floored: the store keeps clock milliseconds
    let millis = ceiling.as_millis() as f64 * unit;
    Duration::from_millis(millis.floor() as u64)
}

/// How a failed attempt ends: `Failed` (retry) when the error is retryable and attempts remain,
/// else `Dead`.
pub fn after_failure(attempt: u32, max_attempts: u32, retryable: bool) -> AttemptOutcome {
    if retryable && attempt < max_attempts {
        AttemptOutcome::Failed
    } else {
        AttemptOutcome::Dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap_and_the_draw_scales_it() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        let table = [
            (1, 0.999_999, 999),
            (1, 0.5, 500),
            (2, 0.5, 1_000),
            (3, 0.5, 2_000),
            (6, 0.5, 16_000),
            (7, 0.5, 30_000), // 64 s capped at 60 s
            (40, 0.5, 30_000),
            (u32::MAX, 0.5, 30_000),
            (3, 0.0, 0),
            (3, f64::NAN, 0),
            (3, 7.0, 4_000),
        ];
        for (attempt, unit, millis) in table {
            assert_eq!(
                retry_delay(attempt, base, cap, unit),
                Duration::from_millis(millis),
                "attempt {attempt}, draw {unit}"
            );
        }
    }

    #[test]
    fn a_row_dies_when_retry_cannot_help_or_attempts_run_out() {
        let table = [
            (1, 5, true, AttemptOutcome::Failed),
            (4, 5, true, AttemptOutcome::Failed),
            (5, 5, true, AttemptOutcome::Dead),
            (6, 5, true, AttemptOutcome::Dead),
            (1, 5, false, AttemptOutcome::Dead),
            (1, 1, true, AttemptOutcome::Dead),
        ];
        for (attempt, max, retryable, outcome) in table {
            assert_eq!(after_failure(attempt, max, retryable), outcome);
        }
    }
}
