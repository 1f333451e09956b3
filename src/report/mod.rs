//! Duty reports (值班日报, DOMAINS.md 2.5 step 9): what happened to warnings in one local day -
//! opened, closed, open at the end of the day, by domain x level x stage - with the overdue
//! items, the supervision items (督办件) and the most escalated cases. Exercises (演练) are
//! counted in their own section and never in the real totals.
//!
//! [`daily`] is pure: it takes the warnings (with their cases) and "now". [`collect`] reads the
//! warnings that can matter for a day from the store; [`markdown`] renders the report for people
//! and serde gives JSON. Served by `GET /api/v1/reports/daily` and `tocsin report daily`;
//! docs/REPORTS.md documents every figure.

use std::collections::BTreeMap;

use crate::model::{Generation, Level, Timestamp, Workflow};
use crate::storage::{Store, StoreError, WarningRecord};

mod collect;
pub mod day;
pub mod mail;
pub mod markdown;
pub mod schedule;

pub use collect::collect;
pub use day::{Day, DayError, offset_text, parse_offset};

/// The stage label of a warning the workflow has not taken up.
pub const NO_CASE: &str = "none";

/// Escalations listed at most.
const TOP_ESCALATIONS: usize = 10;

/// One day's duty report.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyReport {
    /// `城市安全风险监测预警日报 YYYY-MM-DD`.
    pub title: String,
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    /// The UTC offset of the day, `+08:00`.
    pub timezone: String,
    /// Start of the day (local midnight), epoch ms.
    pub from: Timestamp,
    /// End of the day (next local midnight), epoch ms.
    pub to: Timestamp,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// The instant overdue items are judged at: the end of the day, or now if earlier.
    pub as_of: Timestamp,
    /// The configuration generation names and deadlines come from.
    pub generation: String,
    /// Real warnings.
    pub real: Section,
    /// Exercises, counted apart.
    pub drills: Section,
}

/// The figures for real warnings or for drills.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Section {
    /// Totals.
    pub totals: Totals,
    /// Counts by domain, level and stage (only rows with something to count), sorted by
    /// domain, level (red first) and stage.
    pub rows: Vec<Row>,
    /// Open cases past their stage deadline or with an escalation timer due, most overdue first.
    pub overdue: Vec<Item>,
    /// Open supervision items (督办件) - cases the ladder escalated to the city duty office.
    pub supervision: Vec<Item>,
    /// Cases whose current stage fired the most escalation rungs (at most 10).
    pub escalations: Vec<Item>,
}

/// Totals of a section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Opened during the day.
    pub opened: u32,
    /// Closed (销号 or dismissed; cleared for warnings without a case) during the day.
    pub closed: u32,
    /// Still open at the end of the day.
    pub open_at_end: u32,
    /// Overdue items.
    pub overdue: u32,
    /// Open supervision items.
    pub supervision: u32,
}

/// One row of the breakdown.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Row {
    /// Domain id.
    pub domain: String,
    /// Domain name (Chinese), or the id.
    pub domain_name: String,
    /// Level (the warning's current one).
    pub level: Level,
    /// Stage id (the case's current one), or `none`.
    pub stage: String,
    /// Stage name, or the id.
    pub stage_name: String,
    /// Opened during the day.
    pub opened: u32,
    /// Closed during the day.
    pub closed: u32,
    /// Open at the end of the day.
    pub open_at_end: u32,
}

/// One listed case.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Item {
    /// Warning id.
    pub warning: i64,
    /// Asset id.
    pub asset: String,
    /// Asset name, or the id.
    pub asset_name: String,
    /// Domain id.
    pub domain: String,
    /// Level.
    pub level: Level,
    /// Stage id.
    pub stage: String,
    /// Stage name, or the id.
    pub stage_name: String,
    /// Since when it is in the stage.
    pub stage_since: Timestamp,
    /// Why it is overdue: `deadline` (past the stage's limit) or `timer` (an escalation rung is
    /// due); `None` when not overdue.
    pub overdue_reason: Option<String>,
    /// By how much, in ms (0 when not overdue).
    pub overdue_ms: i64,
    /// Escalation rungs fired in the current stage.
    pub rungs_fired: u32,
    /// A supervision item was opened.
    pub supervised: bool,
}

/// When a warning stopped being open for the duty desk: its case's closure, or, without a case,
/// the clear.
fn ended_at(warning: &WarningRecord) -> Option<Timestamp> {
    match &warning.case {
        Some(case) => case.closed_at,
        None => warning.cleared_at,
    }
}

fn open_at(warning: &WarningRecord, at: Timestamp) -> bool {
    warning.opened_at < at && ended_at(warning).is_none_or(|end| end >= at)
}

fn workflow_of<'g>(generation: &'g Generation, warning: &WarningRecord) -> Option<&'g Workflow> {
    warning
        .case
        .as_ref()
        .and_then(|case| generation.workflow(case.workflow.as_str()))
        .or_else(|| generation.workflow_for(warning.domain.as_str()))
}

/// Builds the report for `day` from `warnings` (any superset of the relevant ones; drills and
/// real warnings mixed) at `now`.
pub fn daily(
    generation: &Generation,
    warnings: &[WarningRecord],
    day: Day,
    now: Timestamp,
) -> DailyReport {
    let (start, end) = (day.start(), day.end());
    let as_of = now.min(end);
    let (drills, real): (Vec<&WarningRecord>, Vec<&WarningRecord>) =
        warnings.iter().partition(|warning| warning.drill);
    DailyReport {
        title: format!("城市安全风险监测预警日报 {}", day.label()),
        date: day.label(),
        timezone: offset_text(day.offset),
        from: start,
        to: end,
        generated_at: now,
        as_of,
        generation: generation.id.to_string(),
        real: section(generation, &real, start, end, as_of),
        drills: section(generation, &drills, start, end, as_of),
    }
}

/// [`collect`] then [`daily`]: the report for `day` from the store, at `now`.
pub async fn from_store(
    store: &dyn Store,
    generation: &Generation,
    day: Day,
    now: Timestamp,
) -> Result<DailyReport, StoreError> {
    let warnings = collect(store, generation, day).await?;
    Ok(daily(generation, &warnings, day, now))
}

/// Row key: domain, level (red first), stage.
type RowKey = (String, std::cmp::Reverse<Level>, String);

fn section(
    generation: &Generation,
    warnings: &[&WarningRecord],
    start: Timestamp,
    end: Timestamp,
    as_of: Timestamp,
) -> Section {
    let mut rows: BTreeMap<RowKey, Row> = BTreeMap::new();
    let mut totals = Totals::default();
    let mut overdue = Vec::new();
    let mut supervision = Vec::new();
    let mut escalations = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for warning in warnings.iter().filter(|w| seen.insert(w.id)) {
        let relevant = warning.opened_at < end && ended_at(warning).is_none_or(|e| e >= start);
        if !relevant {
            continue;
        }
        let opened = u32::from((start..end).contains(&warning.opened_at));
        let closed = u32::from(ended_at(warning).is_some_and(|e| (start..end).contains(&e)));
        let open = u32::from(open_at(warning, end));
        totals.opened += opened;
        totals.closed += closed;
        totals.open_at_end += open;
        let workflow = workflow_of(generation, warning);
        let stage = warning
            .case
            .as_ref()
            .map_or(NO_CASE, |case| case.stage.as_str());
        let stage_name = workflow
            .and_then(|w| w.stage(stage))
            .map_or_else(|| stage.to_owned(), |s| s.name.clone());
        let key = (
            warning.domain.to_string(),
            std::cmp::Reverse(warning.level),
            stage.to_owned(),
        );
        let row = rows.entry(key).or_insert_with(|| Row {
            domain: warning.domain.to_string(),
            domain_name: generation
                .domain(warning.domain.as_str())
                .map_or_else(|| warning.domain.to_string(), |d| d.name_cn.clone()),
            level: warning.level,
            stage: stage.to_owned(),
            stage_name: stage_name.clone(),
            opened: 0,
            closed: 0,
            open_at_end: 0,
        });
        row.opened += opened;
        row.closed += closed;
        row.open_at_end += open;

        let Some(item) = item(generation, workflow, warning, as_of) else {
            continue;
        };
        if item.overdue_reason.is_some() {
            overdue.push(item.clone());
        }
        if item.supervised {
            supervision.push(item.clone());
        }
        if item.rungs_fired > 0 {
            escalations.push(item);
        }
    }
    overdue.sort_by(|a, b| {
        b.overdue_ms
            .cmp(&a.overdue_ms)
            .then(a.warning.cmp(&b.warning))
    });
    supervision.sort_by_key(|item| item.warning);
    escalations.sort_by(|a, b| {
        b.rungs_fired
            .cmp(&a.rungs_fired)
            .then(b.overdue_ms.cmp(&a.overdue_ms))
            .then(a.warning.cmp(&b.warning))
    });
    escalations.truncate(TOP_ESCALATIONS);
    totals.overdue = u32::try_from(overdue.len()).unwrap_or(u32::MAX);
    totals.supervision = u32::try_from(supervision.len()).unwrap_or(u32::MAX);
    Section {
        totals,
        rows: rows.into_values().collect(),
        overdue,
        supervision,
        escalations,
    }
}

/// The case of an open warning as a listed item at `as_of`, with how overdue it is; `None` for a
/// warning without a case, closed by then, in a terminal stage, or whose current stage began
/// after `as_of` (its stage then is not known).
fn item(
    generation: &Generation,
    workflow: Option<&Workflow>,
    warning: &WarningRecord,
    as_of: Timestamp,
) -> Option<Item> {
    let case = warning.case.as_ref()?;
    let stage = workflow.and_then(|w| w.stage(case.stage.as_str()));
    if !open_at(warning, as_of) || stage.is_some_and(|s| s.terminal) || case.stage_since > as_of {
        return None;
    }
    let deadline = stage
        .and_then(|s| s.deadline[case.level.index()])
        .map(|limit| case.stage_since.plus(limit));
    let (reason, overdue_ms) = match (deadline, case.due) {
        (Some(at), _) if at < as_of => (Some("deadline"), as_of.since(at)),
        (_, Some(due)) if due.at <= as_of => (Some("timer"), as_of.since(due.at)),
        _ => (None, 0),
    };
    Some(Item {
        warning: warning.id,
        asset: warning.asset.to_string(),
        asset_name: generation
            .asset(warning.asset.as_str())
            .map_or_else(|| warning.asset.to_string(), |a| a.name.clone()),
        domain: warning.domain.to_string(),
        level: case.level,
        stage: case.stage.to_string(),
        stage_name: stage.map_or_else(|| case.stage.to_string(), |s| s.name.clone()),
        stage_since: case.stage_since,
        overdue_reason: reason.map(str::to_owned),
        overdue_ms,
        rungs_fired: case.rungs_fired,
        supervised: case.supervised,
    })
}
