//! Empty roster slots: the times of a week when nobody holds a role. Coverage only changes where
//! a shift starts or ends, so the week is cut at those instants and each piece is checked once.

use std::fmt;

use super::duty::{local_datetime, roster_on_duty};
use super::local::{MS_PER_DAY, MS_PER_WEEK, days_from_civil, midnight};
use super::{Roster, When};

/// A stretch of the week with nobody on duty, in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Start, ms after local Monday 00:00.
    pub from: i64,
    /// End (exclusive), ms after local Monday 00:00.
    pub to: i64,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `Mon 17:30`.
fn week_time(ms: i64) -> String {
    let day = usize::try_from(ms.div_euclid(MS_PER_DAY).rem_euclid(7)).unwrap_or(0);
    let minutes = ms.rem_euclid(MS_PER_DAY) / 60_000;
    format!("{} {:02}:{:02}", WEEKDAYS[day], minutes / 60, minutes % 60)
}

impl fmt::Display for Gap {
    /// `Mon 17:30 - Mon 18:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = if self.to == MS_PER_WEEK {
            "Mon 00:00".to_owned()
        } else {
            week_time(self.to)
        };
        write!(f, "{} - {end}", week_time(self.from))
    }
}

/// The stretches of a reference week (Monday 2024-01-01 local) when `roster`'s shifts leave its
/// role empty. Overrides are dated and not part of the weekly pattern; a `cron` shift with a
/// day-of-month or month field is checked for that week only.
pub fn gaps(roster: &Roster, offset_seconds: i32) -> Vec<Gap> {
    let week_start = midnight(days_from_civil(2024, 1, 1), offset_seconds);
    let mut cuts = vec![0, MS_PER_WEEK];
    for shift in &roster.shifts {
        match &shift.when {
            When::Weekly { days, start, end } => {
                for (day, on) in days.iter().enumerate() {
                    if *on {
                        let base = i64::try_from(day).unwrap_or(0) * MS_PER_DAY;
                        cuts.push(base + i64::from(*start));
                        let end_day = if end <= start {
                            base + MS_PER_DAY
                        } else {
                            base
                        };
                        cuts.push((end_day + i64::from(*end)) % MS_PER_WEEK);
                    }
                }
            }
            When::Cron {
                schedule,
                length_ms,
            } => {
                let from = week_start - length_ms - 1000;
                let Some(after) = local_datetime(from, offset_seconds) else {
                    continue;
                };
                for fired in schedule.after(&after).take(10_000) {
                    let fired = fired.timestamp_millis() - week_start;
                    if fired >= MS_PER_WEEK {
                        break;
                    }
                    cuts.push(fired.clamp(0, MS_PER_WEEK));
                    cuts.push((fired + length_ms).clamp(0, MS_PER_WEEK));
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut found: Vec<Gap> = Vec::new();
    for pair in cuts.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        if from >= to {
            continue;
        }
        let probe = week_start + from;
        if roster_on_duty(roster, offset_seconds, probe, false).is_empty() {
            match found.last_mut() {
                Some(last) if last.to == from => last.to = to,
                _ => found.push(Gap { from, to }),
            }
        }
    }
    found
}
