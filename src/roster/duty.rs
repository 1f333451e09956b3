//! Who is on duty at an instant: the shifts that hold, then the overrides in order.

use chrono::{DateTime, FixedOffset, TimeZone as _};

use super::local::Local;
use super::{OverrideKind, PersonId, Roster, Rosters, Shift, When};

/// The people of `department` on duty as `role` at `at_ms` (Unix ms), in roster order without
/// duplicates; empty when there is no such roster or nobody holds the slot.
pub fn on_duty(rosters: &Rosters, department: &str, role: &str, at_ms: i64) -> Vec<PersonId> {
    rosters
        .find(department, role)
        .map(|roster| roster_on_duty(roster, rosters.offset_seconds, at_ms, true))
        .unwrap_or_default()
}

/// The people of one roster on duty at `at_ms`; `overrides` false gives the plain shifts.
pub(super) fn roster_on_duty(
    roster: &Roster,
    offset_seconds: i32,
    at_ms: i64,
    overrides: bool,
) -> Vec<PersonId> {
    let mut people: Vec<PersonId> = Vec::new();
    for shift in &roster.shifts {
        if holds(shift, offset_seconds, at_ms) {
            for person in &shift.people {
                if !people.contains(person) {
                    people.push(person.clone());
                }
            }
        }
    }
    if !overrides {
        return people;
    }
    for change in roster
        .overrides
        .iter()
        .filter(|o| o.from <= at_ms && at_ms < o.to)
    {
        match &change.kind {
            OverrideKind::Replace(replacement) => people = replacement.clone(),
            OverrideKind::Swap { out, r#in } => {
                if let Some(slot) = people.iter().position(|p| p == out) {
                    if people.contains(r#in) {
                        people.remove(slot);
                    } else {
                        people[slot] = r#in.clone();
                    }
                }
            }
        }
    }
    people
}

/// True when `shift` holds at `at_ms`.
pub(super) fn holds(shift: &Shift, offset_seconds: i32, at_ms: i64) -> bool {
    match &shift.when {
        When::Weekly { days, start, end } => {
            let local = Local::at(at_ms, offset_seconds);
            let yesterday = (local.weekday + 6) % 7;
            if start < end {
                days[local.weekday] && *start <= local.ms_of_day && local.ms_of_day < *end
            } else {
                (days[local.weekday] && local.ms_of_day >= *start)
                    || (days[yesterday] && local.ms_of_day < *end)
            }
        }
        When::Cron {
            schedule,
            length_ms,
        } => cron_holds(schedule, *length_ms, offset_seconds, at_ms),
    }
}

/// True when a firing of `schedule` at or before `at_ms` started a shift still running.
fn cron_holds(schedule: &cron::Schedule, length_ms: i64, offset_seconds: i32, at_ms: i64) -> bool {
    let Some(after) = local_datetime(at_ms.div_euclid(1000) * 1000 + 1000, offset_seconds) else {
        return false;
    };
    // Firings come back latest first. Every shift has the same length, so if the latest firing
    // at or before `at_ms` no longer covers it, no earlier one does.
    schedule
        .after(&after)
        .rev()
        .map(|fired| fired.timestamp_millis())
        .find(|fired| *fired <= at_ms)
        .is_some_and(|fired| at_ms < fired + length_ms)
}

/// `unix_ms` as a date-time at the city's offset.
pub(super) fn local_datetime(unix_ms: i64, offset_seconds: i32) -> Option<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(offset_seconds)?;
    offset.timestamp_millis_opt(unix_ms).single()
}
