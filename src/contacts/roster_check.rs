//! Roster checks of the contacts compiler: every shift and override readable, every person
//! named known, and no empty slot in the week for a role workflows notify.

use std::collections::HashSet;
use std::str::FromStr as _;

use crate::config::Code;
use crate::config::duration::{DURATION_HINT, parse_duration};
use crate::config::format::Positions;
use crate::roster::{
    self, MS_PER_DAY, Override, OverrideKind, PersonId, Roster, Rosters, Shift, When,
    days_from_civil, midnight,
};
use crate::text::suggest;

use super::compile::{Checker, Place};
use super::raw::{ContactsDoc, OverrideDef, RosterDef, ShiftDef};

/// Roles whose rosters must cover the whole week: the ones workflow recipients resolve to.
const NOTIFIED_ROLES: [&str; 2] = ["duty_officer", "duty_leader"];

impl Checker<'_> {
    /// Rosters: known department and people, readable shifts and overrides, no empty slot for a
    /// notified role.
    pub(super) fn rosters(
        &mut self,
        parsed: &[(&str, ContactsDoc, Positions)],
        known: &HashSet<&str>,
        offset_seconds: i32,
    ) -> Rosters {
        let mut out = Rosters {
            offset_seconds,
            rosters: Vec::new(),
        };
        let mut seen: HashSet<(String, String)> = HashSet::new();
        for (file, doc, positions) in parsed {
            let place = (*file, positions);
            for (i, def) in doc.rosters.iter().enumerate() {
                let path = format!("rosters[{i}]");
                if !seen.insert((def.department.clone(), def.role.clone())) {
                    self.at(
                        place,
                        &path,
                        Code::DuplicateId,
                        format!("a second roster of `{}` for `{}`", def.department, def.role),
                    );
                    continue;
                }
                if let Some(roster) = self.roster(place, &path, def, known, offset_seconds) {
                    if NOTIFIED_ROLES.contains(&roster.role.as_str()) {
                        for gap in roster::gaps(&roster, offset_seconds) {
                            let index = self.at(
                                place,
                                &path,
                                Code::RosterGap,
                                format!(
                                    "nobody of `{}` is on duty as `{}` {gap} ({})",
                                    roster.department,
                                    roster.role,
                                    show_offset(offset_seconds)
                                ),
                            );
                            self.hint(
                                index,
                                "add a shift covering that time, or extend a neighbouring one",
                            );
                        }
                    }
                    out.rosters.push(roster);
                }
            }
        }
        out
    }

    fn roster(
        &mut self,
        place: Place<'_>,
        path: &str,
        def: &RosterDef,
        known: &HashSet<&str>,
        offset_seconds: i32,
    ) -> Option<Roster> {
        let department = self.department(place, &format!("{path}.department"), &def.department);
        let before = self.diagnostics.len();
        let mut shifts = Vec::new();
        for (j, shift) in def.shifts.iter().enumerate() {
            let at = format!("{path}.shifts[{j}]");
            let people = self.people_refs(place, &at, &shift.people, known);
            if let Some(when) = self.when(place, &at, shift) {
                shifts.push(Shift { people, when });
            }
        }
        let mut overrides = Vec::new();
        for (j, change) in def.overrides.iter().enumerate() {
            let at = format!("{path}.overrides[{j}]");
            if let Some(change) = self.change(place, &at, change, known, offset_seconds) {
                overrides.push(change);
            }
        }
        (self.diagnostics.len() == before).then_some(())?;
        Some(Roster {
            department: department?.as_str().to_owned(),
            role: def.role.clone(),
            shifts,
            overrides,
        })
    }

    fn people_refs(
        &mut self,
        place: Place<'_>,
        path: &str,
        ids: &[String],
        known: &HashSet<&str>,
    ) -> Vec<PersonId> {
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            if known.contains(id.as_str()) {
                out.push(PersonId::new(id.as_str()));
            } else {
                self.unknown_person(place, &format!("{path}.people[{k}]"), id, known);
            }
        }
        out
    }

    fn unknown_person(&mut self, place: Place<'_>, path: &str, id: &str, known: &HashSet<&str>) {
        let index = self.at(
            place,
            path,
            Code::UnknownPerson,
            format!("unknown person `{id}`"),
        );
        let mut names: Vec<&str> = known.iter().copied().collect();
        names.sort_unstable();
        self.hint(index, suggest(id, names.into_iter(), "people"));
    }

    fn when(&mut self, place: Place<'_>, path: &str, shift: &ShiftDef) -> Option<When> {
        if let Some(expression) = &shift.cron {
            let schedule = match cron::Schedule::from_str(expression) {
                Ok(schedule) => schedule,
                Err(error) => {
                    let index = self.at(
                        place,
                        &format!("{path}.cron"),
                        Code::BadValue,
                        format!(
                            "cron expression `{expression}`: {}",
                            last_line(&error.to_string())
                        ),
                    );
                    self.hint(index, "six or seven fields: `sec min hour day-of-month month day-of-week [year]`, e.g. `0 0 8 * * Sat,Sun`");
                    return None;
                }
            };
            let Some(length) = shift.length.as_ref() else {
                self.at(
                    place,
                    path,
                    Code::MissingKey,
                    "a `cron` shift needs `for:` (its length)".to_owned(),
                );
                return None;
            };
            let Some(length) = parse_duration(&length.0).filter(|d| !d.is_zero()) else {
                let index = self.at(
                    place,
                    &format!("{path}.for"),
                    Code::BadDuration,
                    format!("`{}` is not a shift length", length.0),
                );
                self.hint(index, DURATION_HINT);
                return None;
            };
            return Some(When::Cron {
                schedule: Box::new(schedule),
                length_ms: i64::try_from(length.as_millis()).unwrap_or(i64::MAX),
            });
        }
        let (Some(days), Some(from), Some(to)) = (&shift.days, &shift.from, &shift.to) else {
            let index = self.at(
                place,
                path,
                Code::MissingKey,
                "a shift needs `days`, `from` and `to` (or `cron` and `for`)".to_owned(),
            );
            self.hint(index, "e.g. `{people: [zhang_wei], days: [mon, tue, wed, thu, fri], from: \"08:30\", to: \"17:30\"}`");
            return None;
        };
        let mut set = [false; 7];
        for (k, day) in days.iter().enumerate() {
            match weekdays(day) {
                Some(found) => found.iter().for_each(|d| set[*d] = true),
                None => {
                    let index = self.at(
                        place,
                        &format!("{path}.days[{k}]"),
                        Code::BadValue,
                        format!("`{day}` is not a weekday"),
                    );
                    self.hint(
                        index,
                        "write `mon` ... `sun`, `weekdays`, `weekend` or `daily`",
                    );
                }
            }
        }
        let start = self.time_of_day(place, &format!("{path}.from"), &from.0);
        let end = self.time_of_day(place, &format!("{path}.to"), &to.0);
        Some(When::Weekly {
            days: set,
            start: start?,
            end: end?,
        })
    }

    fn time_of_day(&mut self, place: Place<'_>, path: &str, text: &str) -> Option<u32> {
        let parsed = parse_time_of_day(text);
        if parsed.is_none() {
            let index = self.at(
                place,
                path,
                Code::BadValue,
                format!("`{text}` is not a time of day"),
            );
            self.hint(
                index,
                "write `HH:MM` in the city's local time, `00:00` to `24:00`",
            );
        }
        parsed
    }

    fn change(
        &mut self,
        place: Place<'_>,
        path: &str,
        def: &OverrideDef,
        known: &HashSet<&str>,
        offset_seconds: i32,
    ) -> Option<Override> {
        let from = self.instant(
            place,
            &format!("{path}.from"),
            &def.from.0,
            offset_seconds,
            false,
        );
        let to = self.instant(
            place,
            &format!("{path}.to"),
            &def.to.0,
            offset_seconds,
            true,
        );
        let kind = match (&def.people, &def.swap) {
            (Some(people), None) => Some(OverrideKind::Replace(
                self.people_refs(place, path, people, known),
            )),
            (None, Some(swap)) => {
                for (key, id) in [("out", &swap.out), ("in", &swap.stand_in)] {
                    if !known.contains(id.as_str()) {
                        self.unknown_person(place, &format!("{path}.swap.{key}"), id, known);
                    }
                }
                Some(OverrideKind::Swap {
                    out: PersonId::new(swap.out.as_str()),
                    r#in: PersonId::new(swap.stand_in.as_str()),
                })
            }
            _ => {
                let index = self.at(
                    place,
                    path,
                    Code::MissingKey,
                    "an override needs exactly one of `people` and `swap`".to_owned(),
                );
                self.hint(
                    index,
                    "`people: [...]` for a holiday roster, `swap: {out: a, in: b}` for a swap",
                );
                None
            }
        };
        let (from, to) = (from?, to?);
        if to <= from {
            self.at(
                place,
                &format!("{path}.to"),
                Code::BadRange,
                format!("`to` ({}) is not after `from` ({})", def.to.0, def.from.0),
            );
            return None;
        }
        Some(Override {
            from,
            to,
            kind: kind?,
            reason: def.reason.clone().unwrap_or_default(),
        })
    }

    fn instant(
        &mut self,
        place: Place<'_>,
        path: &str,
        text: &str,
        offset_seconds: i32,
        end: bool,
    ) -> Option<i64> {
        let parsed = parse_local_instant(text, offset_seconds, end);
        if parsed.is_none() {
            let index = self.at(
                place,
                path,
                Code::BadValue,
                format!("`{text}` is not a date or local date-time"),
            );
            self.hint(
                index,
                "write `2026-10-01` or `2026-10-01T08:30` (the city's local time)",
            );
        }
        parsed
    }
}

/// The last non-empty line of a message (the cron crate draws a caret under the text first).
fn last_line(message: &str) -> &str {
    message
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or(message)
}

/// `UTC+08:00`.
fn show_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `HH:MM` (`24:00` allowed) -> ms after midnight.
pub(super) fn parse_time_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some((hours * 60 + minutes) * 60_000)
}

/// `mon` ... `sun`, `weekdays`, `weekend`, `daily` -> weekday indices (Monday 0).
fn weekdays(word: &str) -> Option<Vec<usize>> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let word = word.trim().to_ascii_lowercase();
    match word.as_str() {
        "weekdays" => Some((0..5).collect()),
        "weekend" => Some(vec![5, 6]),
        "daily" => Some((0..7).collect()),
        _ => (0..7)
            .find(|d| NAMES[*d] == word || FULL[*d] == word)
            .map(|d| vec![d]),
    }
}

/// `YYYY-MM-DD` (local midnight; with `end`, the following midnight) or `YYYY-MM-DDTHH:MM`
/// local -> Unix ms.
pub(super) fn parse_local_instant(text: &str, offset_seconds: i32, end: bool) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Reject 2026-02-30 and the like: the day must round-trip.
    if days_from_civil(year, month, 1) + i64::from(day) - 1 != days
        || (month < 12 && days >= days_from_civil(year, month + 1, 1))
    {
        return None;
    }
    let start = midnight(days, offset_seconds);
    match time {
        Some(time) => Some(start + i64::from(parse_time_of_day(time)?)),
        None if end => Some(start + MS_PER_DAY),
        None => Some(start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_days_and_instants() {
        let times = [
            ("08:30", Some(30_600_000)),
            ("24:00", Some(86_400_000)),
            ("24:01", None),
            ("8", None),
            ("07:60", None),
        ];
        for (text, expected) in times {
            assert_eq!(parse_time_of_day(text), expected, "{text}");
        }
        assert_eq!(weekdays("Mon"), Some(vec![0]));
        assert_eq!(weekdays("weekend"), Some(vec![5, 6]));
        assert_eq!(weekdays("funday"), None);
        let cst = 28_800;
        // 2026-10-01T00:00+08:00 = 2026-09-30T16:00Z.
        let start = parse_local_instant("2026-10-01", cst, false).expect("date");
        assert_eq!(
            Some(start),
            crate::model::Timestamp::parse_rfc3339("2026-09-30T16:00:00Z").map(|t| t.millis())
        );
        assert_eq!(
            parse_local_instant("2026-10-01", cst, true),
            Some(start + MS_PER_DAY)
        );
        assert_eq!(
            parse_local_instant("2026-10-01T08:30", cst, true),
            Some(start + 30_600_000)
        );
        assert_eq!(parse_local_instant("2026-02-30", cst, false), None);
        assert_eq!(parse_local_instant("2026-13-01", cst, false), None);
        assert_eq!(parse_local_instant("tomorrow", cst, false), None);
    }
}
