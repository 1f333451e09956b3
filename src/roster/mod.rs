//! Duty rosters (7x24 值班): who of a department holds a duty role at an instant. Shifts repeat
//! by weekday and time of day in the city's fixed UTC offset (China has no daylight saving), or
//! start when a `cron` schedule fires and last a given length; overrides for holidays replace the
//! people of a role for a date range, and swaps put one person in another's place.
//!
//! Everything here is pure: [`on_duty`] answers for an instant, [`gaps`] finds the times of a
//! week when nobody is on duty. Parsing and diagnostics live in `crate::contacts`.

mod duty;
mod gaps;
mod local;

pub use duty::on_duty;
pub use gaps::{Gap, gaps};
pub use local::{Local, MS_PER_DAY, MS_PER_WEEK, days_from_civil, midnight};

use std::fmt;

crate::model::ids::id_type!(
    /// A person in `city/contacts.yaml`, e.g. `zhang_wei`.
    PersonId
);

/// Every roster of the city, with the city's UTC offset.
#[derive(Clone, Debug, Default)]
pub struct Rosters {
    /// Seconds east of UTC (`+08:00` is 28 800).
    pub offset_seconds: i32,
    /// One roster per (department, role).
    pub rosters: Vec<Roster>,
}

impl Rosters {
    /// The roster of `department` for `role`, if any.
    pub fn find(&self, department: &str, role: &str) -> Option<&Roster> {
        self.rosters
            .iter()
            .find(|r| r.department == department && r.role == role)
    }
}

/// Who holds one duty role of one department, when.
#[derive(Clone, Debug)]
pub struct Roster {
    /// Department id.
    pub department: String,
    /// Role word (`duty_officer`, `duty_leader` ...).
    pub role: String,
    /// The repeating shifts.
    pub shifts: Vec<Shift>,
    /// Holidays and swaps, applied in order after the shifts.
    pub overrides: Vec<Override>,
}

/// People on duty whenever `when` holds.
#[derive(Clone, Debug)]
pub struct Shift {
    /// Who is on duty.
    pub people: Vec<PersonId>,
    /// When.
    pub when: When,
}

/// When a shift holds.
#[derive(Clone, Debug)]
pub enum When {
    /// On the given weekdays from `start` to `end` (milliseconds after local midnight). An `end`
    /// not after `start` runs past midnight into the next day (equal: 24 hours).
    Weekly {
        /// Monday first.
        days: [bool; 7],
        /// Start, ms after local midnight.
        start: u32,
        /// End, ms after local midnight.
        end: u32,
    },
    /// From each time `schedule` fires (in local time) for `length_ms`.
    Cron {
        /// The schedule (`sec min hour day-of-month month day-of-week [year]`).
        schedule: Box<cron::Schedule>,
        /// Shift length in milliseconds.
        length_ms: i64,
    },
}

/// A change to the shifts during `[from, to)` (Unix ms).
#[derive(Clone, Debug)]
pub struct Override {
    /// First instant it applies (inclusive).
    pub from: i64,
    /// First instant it no longer applies.
    pub to: i64,
    /// What changes.
    pub kind: OverrideKind,
    /// Why (`国庆节`, `调班`), for people.
    pub reason: String,
}

/// What an override changes.
#[derive(Clone, Debug)]
pub enum OverrideKind {
    /// A holiday roster: exactly these people, whatever the shifts say.
    Replace(Vec<PersonId>),
    /// `in` takes the place of `out` wherever `out` would be on duty.
    Swap {
        /// Who is replaced.
        out: PersonId,
        /// Who stands in.
        r#in: PersonId,
    },
}

impl fmt::Display for OverrideKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideKind::Replace(people) => {
                let names: Vec<&str> = people.iter().map(PersonId::as_str).collect();
                write!(f, "on duty: {}", names.join(", "))
            }
            OverrideKind::Swap { out, r#in } => write!(f, "{in} for {out}"),
        }
    }
}

#[cfg(test)]
mod tests;
