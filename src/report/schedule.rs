//! When the daily duty report is sent: the `reports.daily` settings of `tocsin.yaml` (a `cron`
//! expression evaluated in the city's UTC offset, the recipients, the language), and the pure
//! decision [`due_runs`] - which runs fall due between the last one recorded and now. The latest
//! firing is sent; older firings missed while the server was down are recorded as skipped (a
//! day's report is about that day, and the duty office wants the latest one, not a burst of old
//! ones). Each run covers the local day before the day it fires on. `crate::runtime::schedule`
//! acts on the decision; docs/REPORTS.md documents it.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, TimeZone};
use time::UtcOffset;

use crate::model::Timestamp;

use super::Day;

/// The report kind of the daily duty report, as stored in `scheduled_reports.kind`.
pub const DAILY: &str = "daily";

/// Missed runs recorded as skipped at most (the most recent ones).
pub const MAX_SKIPPED: usize = 31;

/// The language of the subject line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum Language {
    /// Chinese (default): `城市安全风险监测预警日报 2026-12-07`.
    #[default]
    #[serde(rename = "zh-CN")]
    Chinese,
    /// English: `Daily duty report 2026-12-07`.
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// Reads `zh-CN` (or `zh`) and `en`.
    pub fn parse(text: &str) -> Option<Language> {
        match text {
            "zh-CN" | "zh" | "zh-cn" => Some(Language::Chinese),
            "en" | "en-US" | "en-GB" => Some(Language::English),
            _ => None,
        }
    }
}

/// `reports.daily`: when and to whom the daily report goes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DailySchedule {
    /// The cron expression as written (`0 0 8 * * *`: sec min hour day month weekday).
    pub cron: String,
    /// The parsed schedule.
    #[serde(skip)]
    pub schedule: cron::Schedule,
    /// Recipients: department ids, person ids of the contacts, `city_duty_office`, or e-mail
    /// addresses.
    pub to: Vec<String>,
    /// Subject language.
    pub language: Language,
    /// The UTC offset the schedule and the day are taken in; `None`: the contacts' timezone,
    /// else +08:00.
    #[serde(serialize_with = "offset_text")]
    pub timezone: Option<UtcOffset>,
}

impl PartialEq for DailySchedule {
    fn eq(&self, other: &Self) -> bool {
        self.cron == other.cron
            && self.to == other.to
            && self.language == other.language
            && self.timezone == other.timezone
    }
}

fn offset_text<S: serde::Serializer>(
    offset: &Option<UtcOffset>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match offset {
        Some(offset) => serializer.serialize_str(&super::offset_text(*offset)),
        None => serializer.serialize_none(),
    }
}

/// `reports:` in `tocsin.yaml`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ReportSettings {
    /// The daily duty report, when scheduled.
    pub daily: Option<DailySchedule>,
}

/// `reports:` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    daily: Option<RawDaily>,
}

/// `reports.daily` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaily {
    cron: String,
    to: Vec<String>,
    language: Option<String>,
    timezone: Option<String>,
}

/// A bad `reports:` section.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not the expected shape (unknown key, missing `cron` or `to`).
    #[error("reports: {0}")]
    Shape(String),
    /// The cron expression does not parse.
    #[error(
        "reports.daily.cron: cannot read `{text}`: {detail}; write sec min hour day month \
         weekday, e.g. `0 0 8 * * *` for 08:00 every day"
    )]
    Cron {
        /// As written.
        text: String,
        /// The parser's words.
        detail: String,
    },
    /// No recipient.
    #[error("reports.daily.to: name at least one department, person or e-mail address")]
    NoRecipient,
    /// A recipient the contacts and the city do not know.
    #[error(
        "reports.daily.to: unknown recipient `{0}`: write a department id, a person id of the \
         contacts, `city_duty_office` or an e-mail address"
    )]
    UnknownRecipient(String),
    /// Not `zh-CN` or `en`.
    #[error("reports.daily.language: `{0}` is not `zh-CN` or `en`")]
    Language(String),
    /// Not a UTC offset.
    #[error("reports.daily.timezone: `{0}` is not a UTC offset such as +08:00")]
    Timezone(String),
}

impl ScheduleError {
    /// The configuration diagnostic code (docs/errors/): `unknown_recipient` for a missing or
    /// unknown recipient, `bad_value` for the rest.
    pub const fn diagnostic(&self) -> crate::config::Code {
        match self {
            ScheduleError::NoRecipient | ScheduleError::UnknownRecipient(_) => {
                crate::config::Code::UnknownRecipient
            }
            ScheduleError::Shape(_)
            | ScheduleError::Cron { .. }
            | ScheduleError::Language(_)
            | ScheduleError::Timezone(_) => crate::config::Code::BadValue,
        }
    }

    /// Stable code (docs/errors/).
    pub fn code(&self) -> &'static str {
        self.diagnostic().as_str()
    }
}

/// Parses a cron expression of the `cron` crate (seconds first).
pub fn parse_cron(text: &str) -> Result<cron::Schedule, ScheduleError> {
    cron::Schedule::from_str(text).map_err(|error| {
        // the parser's message echoes the expression with a caret under it; keep its words
        let words: Vec<String> = error
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && *line != text.trim() && *line != "^")
            .map(str::to_owned)
            .collect();
        ScheduleError::Cron {
            text: text.to_owned(),
            detail: if words.is_empty() {
                "not a cron expression".to_owned()
            } else {
                words.join(" ")
            },
        }
    })
}

impl ReportSettings {
    /// Reads `reports:`. Recipients are checked for shape here and against the contacts and the
    /// city by [`check_recipient`] once the generation is known.
    pub fn from_yaml(value: &serde_norway::Value) -> Result<ReportSettings, ScheduleError> {
        let raw: RawReports = serde_norway::from_value(value.clone())
            .map_err(|error| ScheduleError::Shape(error.to_string()))?;
        let Some(daily) = raw.daily else {
            return Ok(ReportSettings::default());
        };
        let schedule = parse_cron(&daily.cron)?;
        if daily.to.is_empty() {
            return Err(ScheduleError::NoRecipient);
        }
        if let Some(bad) = daily.to.iter().find(|to| to.trim().is_empty()) {
            return Err(ScheduleError::UnknownRecipient(bad.clone()));
        }
        let language = match &daily.language {
            Some(text) => {
                Language::parse(text).ok_or_else(|| ScheduleError::Language(text.clone()))?
            }
            None => Language::default(),
        };
        let timezone = match &daily.timezone {
            Some(text) => {
                Some(super::parse_offset(text).map_err(|_| ScheduleError::Timezone(text.clone()))?)
            }
            None => None,
        };
        Ok(ReportSettings {
            daily: Some(DailySchedule {
                cron: daily.cron,
                schedule,
                to: daily.to,
                language,
                timezone,
            }),
        })
    }
}

/// Whether a recipient word is an e-mail address (it has an `@`).
pub fn is_address(recipient: &str) -> bool {
    recipient.contains('@')
}

/// Checks one recipient: an e-mail address, `city_duty_office`, a department of the city
/// (`is_department`) or a person of the contacts (`is_person`).
pub fn check_recipient(
    recipient: &str,
    is_department: impl Fn(&str) -> bool,
    is_person: impl Fn(&str) -> bool,
) -> Result<(), ScheduleError> {
    if is_address(recipient)
        || recipient == "city_duty_office"
        || is_department(recipient)
        || is_person(recipient)
    {
        Ok(())
    } else {
        Err(ScheduleError::UnknownRecipient(recipient.to_owned()))
    }
}

/// One run of a schedule: when it fell due and the local day its report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The firing.
    pub due_at: Timestamp,
    /// The day the report covers: the local day before the firing's.
    pub day: Day,
}

impl Run {
    /// The run firing at `due_at` in `offset`.
    pub fn at(due_at: Timestamp, offset: UtcOffset) -> Run {
        let today = Day::containing(due_at, offset);
        Run {
            due_at,
            day: Day::containing(Timestamp(today.start().millis() - 1), offset),
        }
    }

    /// The period stored in `scheduled_reports.period`: the day, `YYYY-MM-DD`.
    pub fn period(&self) -> String {
        self.day.label()
    }
}

/// What is due now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DueRuns {
    /// The latest run fallen due, to send.
    pub send: Option<Run>,
    /// Older runs missed since, to record as skipped (oldest first, at most [`MAX_SKIPPED`]).
    pub skipped: Vec<Run>,
}

/// `at` as a date-time in `offset`.
fn local(at: Timestamp, offset: UtcOffset) -> Option<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(offset.whole_seconds())?;
    offset.timestamp_millis_opt(at.millis()).single()
}

/// The runs of `schedule` (in `offset`) firing in `(after, now]`: the latest is to send, the
/// others are skipped. `after` is the due time of the last run recorded, or, when none is, the
/// moment the server started with this schedule. Firings whose day a later firing also covers
/// (a schedule firing twice a day) count once, as the later firing.
pub fn due_runs(
    schedule: &cron::Schedule,
    offset: UtcOffset,
    after: Timestamp,
    now: Timestamp,
) -> DueRuns {
    if now <= after {
        return DueRuns::default();
    }
    // the schedule has whole seconds; start the backward walk just past `now`
    let Some(from) = local(
        Timestamp(now.millis().div_euclid(1000) * 1000 + 1000),
        offset,
    ) else {
        return DueRuns::default();
    };
    let mut runs: Vec<Run> = Vec::new();
    for fired in schedule.after(&from).rev() {
        let at = Timestamp(fired.timestamp_millis());
        if at > now {
            continue;
        }
        if at <= after {
            break;
        }
        let run = Run::at(at, offset);
        if runs.iter().any(|seen| seen.day == run.day) {
            continue;
        }
        runs.push(run);
        if runs.len() > MAX_SKIPPED {
            break;
        }
    }
    let mut runs = runs.into_iter();
    let send = runs.next();
    let mut skipped: Vec<Run> = runs.collect();
    skipped.reverse();
    DueRuns { send, skipped }
}

/// The stable `Message-ID` local part of a run: from kind and period only, so a report re-sent
/// after a crash carries the same id and a mailbox can drop it.
pub fn idempotency_key(kind: &str, period: &str) -> String {
    crate::notify::idempotency_key(&format!("report:{kind}:{period}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `YYYY-MM-DDTHH:MM:SS.mmm` at +08:00 as a timestamp.
    fn cst(text: &str) -> Timestamp {
        let at = DateTime::parse_from_rfc3339(&format!("{text}+08:00")).unwrap();
        Timestamp(at.timestamp_millis())
    }

    fn plus8() -> UtcOffset {
        UtcOffset::from_hms(8, 0, 0).unwrap()
    }

    /// (schedule, after, now, sent (due, period), skipped periods)
    type Case<'a> = (
        &'a cron::Schedule,
        &'a str,
        &'a str,
        Option<(&'a str, &'a str)>,
        Vec<&'a str>,
    );

    fn periods(runs: &[Run]) -> Vec<String> {
        runs.iter().map(Run::period).collect()
    }

    #[test]
    fn the_latest_due_run_is_sent_and_older_missed_ones_skipped() {
        let eight = parse_cron("0 0 8 * * *").unwrap();
        let twice = parse_cron("0 0 8,20 * * *").unwrap();
        let midnight = parse_cron("0 0 0 * * *").unwrap();
        // (schedule, after, now, sent (due, period), skipped periods)
        let table: Vec<Case<'_>> = vec![
            // exactly at the instant: due
            (
                &eight,
                "2026-12-08T07:00:00.000",
                "2026-12-08T08:00:00.000",
                Some(("2026-12-08T08:00:00.000", "2026-12-07")),
                vec![],
            ),
            // 1 ms before: not yet
            (
                &eight,
                "2026-12-08T07:00:00.000",
                "2026-12-08T07:59:59.999",
                None,
                vec![],
            ),
            // already recorded at 08:00: not again at 08:00:00.001 nor in the evening
            (
                &eight,
                "2026-12-08T08:00:00.000",
                "2026-12-08T23:59:59.999",
                None,
                vec![],
            ),
            // the next morning
            (
                &eight,
                "2026-12-08T08:00:00.000",
                "2026-12-09T08:00:00.500",
                Some(("2026-12-09T08:00:00.000", "2026-12-08")),
                vec![],
            ),
            // the server down over two 08:00s: the latest is sent, the older skipped
            (
                &eight,
                "2026-12-07T08:00:00.000",
                "2026-12-09T10:00:00.000",
                Some(("2026-12-09T08:00:00.000", "2026-12-08")),
                vec!["2026-12-07"],
            ),
            // down for four days
            (
                &eight,
                "2026-12-05T08:00:00.000",
                "2026-12-09T09:00:00.000",
                Some(("2026-12-09T08:00:00.000", "2026-12-08")),
                vec!["2026-12-05", "2026-12-06", "2026-12-07"],
            ),
            // now before after (a clock behind the record): nothing
            (
                &eight,
                "2026-12-09T08:00:00.000",
                "2026-12-08T09:00:00.000",
                None,
                vec![],
            ),
            // twice a day: 20:00 covers the same day as 08:00 would (the day before)
            (
                &twice,
                "2026-12-08T07:00:00.000",
                "2026-12-08T21:00:00.000",
                Some(("2026-12-08T20:00:00.000", "2026-12-07")),
                vec![],
            ),
            // at local midnight: the day just ended
            (
                &midnight,
                "2026-12-08T12:00:00.000",
                "2026-12-09T00:00:00.000",
                Some(("2026-12-09T00:00:00.000", "2026-12-08")),
                vec![],
            ),
        ];
        for (schedule, after, now, sent, skipped) in table {
            let due = due_runs(schedule, plus8(), cst(after), cst(now));
            let expected = sent.map(|(at, period)| (cst(at), period.to_owned()));
            assert_eq!(
                due.send.map(|run| (run.due_at, run.period())),
                expected,
                "after {after}, now {now}"
            );
            assert_eq!(periods(&due.skipped), skipped, "after {after}, now {now}");
        }
    }

    #[test]
    fn the_schedule_follows_the_offset_not_utc() {
        let eight = parse_cron("0 0 8 * * *").unwrap();
        // 08:00 at +08:00 is 00:00 UTC; at UTC it would be 08:00 UTC = 16:00 at +08:00
        let due = due_runs(
            &eight,
            plus8(),
            cst("2026-12-08T07:00:00.000"),
            cst("2026-12-08T08:00:00.000"),
        );
        assert_eq!(due.send.unwrap().due_at.millis() % 86_400_000, 0);
        let utc = due_runs(
            &eight,
            UtcOffset::UTC,
            cst("2026-12-08T07:00:00.000"),
            cst("2026-12-08T08:00:00.000"),
        );
        assert_eq!(utc.send, None);
    }

    #[test]
    fn a_long_outage_records_a_bounded_number_of_skips() {
        let every_minute = parse_cron("0 * * * * *").unwrap();
        let due = due_runs(
            &every_minute,
            plus8(),
            cst("2025-01-01T00:00:00.000"),
            cst("2026-12-08T08:00:00.000"),
        );
        // one run per day, the latest sent
        assert_eq!(due.send.unwrap().period(), "2026-12-07");
        assert_eq!(due.skipped.len(), MAX_SKIPPED);
        assert_eq!(due.skipped.last().unwrap().period(), "2026-12-06");
    }

    #[test]
    fn settings_are_checked() {
        let ok: serde_norway::Value = serde_norway::from_str(
            "daily: {cron: '0 0 8 * * *', to: [city_duty_office, a@b.example], language: en}",
        )
        .unwrap();
        let settings = ReportSettings::from_yaml(&ok).unwrap();
        let daily = settings.daily.unwrap();
        assert_eq!(daily.language, Language::English);
        assert_eq!(daily.timezone, None);
        let table = [
            ("daily: {cron: 'every morning', to: [x]}", "bad_value"),
            ("daily: {cron: '0 0 8 * * *', to: []}", "unknown_recipient"),
            (
                "daily: {cron: '0 0 8 * * *', to: [x], language: fr}",
                "bad_value",
            ),
            (
                "daily: {cron: '0 0 8 * * *', to: [x], timezone: mars}",
                "bad_value",
            ),
            (
                "daily: {cron: '0 0 8 * * *', to: [x], when: now}",
                "bad_value",
            ),
            ("daily: {to: [x]}", "bad_value"),
        ];
        for (yaml, code) in table {
            let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
            let error = ReportSettings::from_yaml(&value).unwrap_err();
            assert_eq!(error.code(), code, "{yaml}: {error}");
        }
        let department = |id: &str| id == "shenyang.duty_office";
        let person = |id: &str| id == "wang.li";
        for (recipient, known) in [
            ("shenyang.duty_office", true),
            ("wang.li", true),
            ("city_duty_office", true),
            ("duty@city.example", true),
            ("shenyang.nobody", false),
        ] {
            assert_eq!(
                check_recipient(recipient, department, person).is_ok(),
                known,
                "{recipient}"
            );
        }
    }

    #[test]
    fn the_message_id_depends_on_kind_and_period_only() {
        assert_eq!(
            idempotency_key(DAILY, "2026-12-07"),
            idempotency_key(DAILY, "2026-12-07")
        );
        assert_ne!(
            idempotency_key(DAILY, "2026-12-07"),
            idempotency_key(DAILY, "2026-12-08")
        );
    }
}
