//! The contacts documents as written (`city/contacts.yaml`, `city/contacts*.yaml`): people,
//! work-chat robots, generic webhooks and duty rosters, before any reference is checked.
//! `city/contacts.csv` rows become [`PersonDef`]s too (see `super::table`).

use serde::Deserialize;

use crate::config::format::{ListChecker, Listed};
use crate::config::raw::{DurationText, Text, Version};

/// One contacts document.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsDoc {
    /// Must be 1.
    pub version: Version,
    /// The city's fixed UTC offset for rosters, `+08:00` when absent.
    pub timezone: Option<String>,
    /// People who can be told.
    #[serde(default)]
    pub people: Vec<PersonDef>,
    /// Departments' work-chat robots.
    #[serde(default)]
    pub robots: Vec<RobotDef>,
    /// Departments' generic webhooks.
    #[serde(default)]
    pub webhooks: Vec<WebhookDef>,
    /// Duty rosters.
    #[serde(default)]
    pub rosters: Vec<RosterDef>,
}

impl Listed for ContactsDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<PersonDef>("people");
        checker.list::<RobotDef>("robots");
        checker.list::<WebhookDef>("webhooks");
        checker.list::<RosterDef>("rosters");
    }
}

/// A person.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDef {
    /// Stable id, e.g. `zhang_wei`.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Department id.
    pub department: String,
    /// District code, for district staff.
    pub district: Option<Text>,
    /// Role words (`duty_officer`, `duty_leader`, `leader` ...).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Mobile number for SMS and calls.
    pub phone: Option<Text>,
    /// E-mail address.
    pub email: Option<String>,
    /// Preferred channels, first first.
    #[serde(default)]
    pub channels: Vec<String>,
    /// For exercises only (演练): told of drills, never of real warnings.
    #[serde(default)]
    pub drill: bool,
}

/// A work-chat robot of a department.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotDef {
    /// Department id.
    pub department: String,
    /// `dingtalk`, `wecom` or `feishu`.
    pub kind: String,
    /// Name shown to people (`应急局值班群`).
    pub name: String,
    /// Webhook URL, or `env:NAME`.
    pub url: String,
    /// `env:NAME` of the signing secret (DingTalk 加签, Feishu 签名校验).
    pub secret: Option<String>,
    /// For exercises only (演练): gets drills, never real warnings.
    #[serde(default)]
    pub drill: bool,
}

/// A generic JSON webhook of a department.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookDef {
    /// Department id.
    pub department: String,
    /// Name shown to people.
    pub name: String,
    /// URL, or `env:NAME`.
    pub url: String,
    /// `env:NAME` of the `whsec_...` signing secret.
    pub secret: Option<String>,
    /// For exercises only (演练): gets drills, never real warnings.
    #[serde(default)]
    pub drill: bool,
}

/// Who holds one role of one department, when.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterDef {
    /// Department id.
    pub department: String,
    /// Role word.
    pub role: String,
    /// Repeating shifts.
    #[serde(default)]
    pub shifts: Vec<ShiftDef>,
    /// Holidays and swaps.
    #[serde(default)]
    pub overrides: Vec<OverrideDef>,
}

/// A shift: `days` + `from` + `to`, or `cron` + `for`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftDef {
    /// Person ids.
    pub people: Vec<String>,
    /// Weekdays (`mon` ... `sun`, or `weekdays`, `weekend`, `daily`).
    pub days: Option<Vec<String>>,
    /// Start, `HH:MM` local.
    pub from: Option<Text>,
    /// End, `HH:MM` local; not after `from` means the next day.
    pub to: Option<Text>,
    /// Start times as a cron expression (`sec min hour day month weekday [year]`).
    pub cron: Option<String>,
    /// Length of a cron shift (`12h`).
    #[serde(rename = "for")]
    pub length: Option<DurationText>,
}

/// A holiday roster (`people`) or a swap (`swap`) over a date range.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideDef {
    /// `YYYY-MM-DD` (from local midnight) or `YYYY-MM-DDTHH:MM` local.
    pub from: Text,
    /// `YYYY-MM-DD` (through the end of that day) or `YYYY-MM-DDTHH:MM` (exclusive).
    pub to: Text,
    /// Exactly these people are on duty.
    pub people: Option<Vec<String>>,
    /// One person stands in for another.
    pub swap: Option<SwapDef>,
    /// Why, for people (`国庆节`).
    pub reason: Option<String>,
}

/// `{out: zhang_wei, in: zhao_lei}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapDef {
    /// Who is replaced.
    pub out: String,
    /// Who stands in.
    #[serde(rename = "in")]
    pub stand_in: String,
}
