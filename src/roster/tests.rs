//! Table tests of `on_duty` and `gaps` at shift boundaries, across midnight and on override days.

use std::str::FromStr as _;

use super::*;
use crate::model::Timestamp;

const CST: i32 = 8 * 3600;

fn ms(text: &str) -> i64 {
    Timestamp::parse_rfc3339(text)
        .unwrap_or_else(|| panic!("bad time {text}"))
        .millis()
}

fn people(names: &[&str]) -> Vec<PersonId> {
    names.iter().map(|n| PersonId::new(*n)).collect()
}

fn hm(h: u32, m: u32) -> u32 {
    (h * 60 + m) * 60_000
}

const WEEKDAYS: [bool; 7] = [true, true, true, true, true, false, false];

fn roster(night_days: [bool; 7], weekend_length_ms: i64) -> Roster {
    Roster {
        department: "shenyang.emergency".to_owned(),
        role: "duty_officer".to_owned(),
        shifts: vec![
            Shift {
                people: people(&["alice"]),
                when: When::Weekly {
                    days: WEEKDAYS,
                    start: hm(8, 30),
                    end: hm(17, 30),
                },
            },
            Shift {
                people: people(&["bob"]),
                when: When::Weekly {
                    days: night_days,
                    start: hm(17, 30),
                    end: hm(8, 30),
                },
            },
            Shift {
                people: people(&["carol"]),
                when: When::Cron {
                    schedule: Box::new(
                        cron::Schedule::from_str("0 0 8 * * Sat,Sun").expect("cron"),
                    ),
                    length_ms: weekend_length_ms,
                },
            },
        ],
        overrides: vec![
            Override {
                from: ms("2026-10-01T00:00:00+08:00"),
                to: ms("2026-10-08T00:00:00+08:00"),
                kind: OverrideKind::Replace(people(&["dave"])),
                reason: "国庆节".to_owned(),
            },
            Override {
                from: ms("2026-12-08T08:30:00+08:00"),
                to: ms("2026-12-08T17:30:00+08:00"),
                kind: OverrideKind::Swap {
                    out: PersonId::new("alice"),
                    r#in: PersonId::new("erin"),
                },
                reason: "调班".to_owned(),
            },
        ],
    }
}

const HALF_HOUR: i64 = 30 * 60_000;
const DAY: i64 = MS_PER_DAY;

fn city(roster: Roster) -> Rosters {
    Rosters {
        offset_seconds: CST,
        rosters: vec![roster],
    }
}

#[test]
fn on_duty_at_boundaries_midnight_and_override_days() {
    let rosters = city(roster(WEEKDAYS, DAY + HALF_HOUR));
    // 2026-12-07 is a Monday.
    let table: &[(&str, &[&str])] = &[
        ("2026-12-07T08:30:00.000+08:00", &["alice"]),
        ("2026-12-07T08:29:59.999+08:00", &["carol"]),
        ("2026-12-07T17:29:59.999+08:00", &["alice"]),
        ("2026-12-07T17:30:00.000+08:00", &["bob"]),
        ("2026-12-07T23:59:59.999+08:00", &["bob"]),
        ("2026-12-08T00:00:00.000+08:00", &["bob"]),
        ("2026-12-08T08:29:59.999+08:00", &["bob"]),
        // Swap day: erin stands in for alice for exactly the day shift.
        ("2026-12-08T08:30:00.000+08:00", &["erin"]),
        ("2026-12-08T17:29:59.999+08:00", &["erin"]),
        ("2026-12-08T17:30:00.000+08:00", &["bob"]),
        ("2026-12-09T12:00:00.000+08:00", &["alice"]),
        // Friday night runs into Saturday; the weekend shift starts at 08:00 Saturday.
        ("2026-12-12T07:59:59.999+08:00", &["bob"]),
        ("2026-12-12T08:00:00.000+08:00", &["bob", "carol"]),
        ("2026-12-12T08:30:00.000+08:00", &["carol"]),
        ("2026-12-13T03:00:00.000+08:00", &["carol"]),
        // Holiday: dave replaces every shift from 10-01 00:00 to 10-08 00:00.
        ("2026-09-30T23:59:59.999+08:00", &["bob"]),
        ("2026-10-01T00:00:00.000+08:00", &["dave"]),
        ("2026-10-03T12:00:00.000+08:00", &["dave"]),
        ("2026-10-07T23:59:59.999+08:00", &["dave"]),
        ("2026-10-08T00:00:00.000+08:00", &["bob"]),
        // The same instant written in UTC.
        ("2026-12-07T00:30:00.000Z", &["alice"]),
    ];
    for (at, expected) in table {
        let got = on_duty(&rosters, "shenyang.emergency", "duty_officer", ms(at));
        assert_eq!(got, people(expected), "at {at}");
    }
    assert!(
        on_duty(
            &rosters,
            "shenyang.emergency",
            "duty_leader",
            ms("2026-12-07T12:00:00+08:00")
        )
        .is_empty()
    );
    assert!(
        on_duty(
            &rosters,
            "shenyang.water",
            "duty_officer",
            ms("2026-12-07T12:00:00+08:00")
        )
        .is_empty()
    );
}

#[test]
fn a_full_week_has_no_gaps() {
    let full = roster(WEEKDAYS, DAY + HALF_HOUR);
    assert_eq!(gaps(&full, CST), Vec::<Gap>::new());
}

#[test]
fn gaps_are_found_and_shown_in_local_time() {
    // No Wednesday night shift, and a weekend shift 30 minutes short of Monday 08:30.
    let mut nights = WEEKDAYS;
    nights[2] = false;
    let short = roster(nights, DAY);
    let found = gaps(&short, CST);
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["Mon 08:00 - Mon 08:30", "Wed 17:30 - Thu 08:30"]);
}

#[test]
fn an_empty_roster_is_one_week_long_gap() {
    let mut empty = roster(WEEKDAYS, DAY);
    empty.shifts.clear();
    assert_eq!(
        gaps(&empty, CST),
        vec![Gap {
            from: 0,
            to: MS_PER_WEEK
        }]
    );
    assert_eq!(gaps(&empty, CST)[0].to_string(), "Mon 00:00 - Mon 00:00");
}

#[test]
fn a_sunday_night_shift_wraps_into_monday() {
    let wrap = Roster {
        department: "d".to_owned(),
        role: "duty_officer".to_owned(),
        shifts: vec![
            Shift {
                people: people(&["night"]),
                when: When::Weekly {
                    days: [true; 7],
                    start: hm(20, 0),
                    end: hm(8, 0),
                },
            },
            Shift {
                people: people(&["day"]),
                when: When::Weekly {
                    days: [true; 7],
                    start: hm(8, 0),
                    end: hm(20, 0),
                },
            },
        ],
        overrides: Vec::new(),
    };
    assert!(gaps(&wrap, CST).is_empty());
    let rosters = city(wrap);
    assert_eq!(
        on_duty(
            &rosters,
            "d",
            "duty_officer",
            ms("2026-12-07T07:59:59.999+08:00")
        ),
        people(&["night"])
    );
    assert_eq!(
        on_duty(
            &rosters,
            "d",
            "duty_officer",
            ms("2026-12-07T08:00:00+08:00")
        ),
        people(&["day"])
    );
}
