//! Turning a binding's alarm move into changes: the alarm change itself and, when it moves the
//! (asset, hazard) maximum, the warning change with its routing (district, department), evidence
//! and message. Runs only when a level moves, so it may allocate.

use crate::model::{
    AlarmChange, Change, Generation, HazardId, Ladder, Level, Reading, Timestamp, WarningChange,
};

use super::build::{Check, RulePlan};
use super::state::{EVIDENCE, Stream};
use super::warnings::{Observation, WarningBoard, Wording, message};

/// A binding's alarm level moved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Moved {
    /// The rule (index).
    pub(crate) rule: u32,
    /// The binding's effective value ladder (index).
    pub(crate) ladder: u32,
    /// Level before.
    pub(crate) from: Option<Level>,
    /// Level after.
    pub(crate) to: Option<Level>,
    /// Event time of the reading that moved it.
    pub(crate) ts: i64,
    /// What the reading showed.
    pub(crate) observation: Observation,
}

/// The read-only tables emission needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tables<'a> {
    /// The generation in force.
    pub(crate) generation: &'a Generation,
    /// Rule plans.
    pub(crate) plans: &'a [RulePlan],
    /// Effective ladders.
    pub(crate) ladders: &'a [Ladder],
    /// Hazards.
    pub(crate) hazards: &'a [HazardId],
}

/// Appends the alarm change for `moved` and, if the warning level moved, the warning change.
pub(crate) fn emit(
    tables: Tables<'_>,
    warnings: &mut WarningBoard,
    stream: &Stream,
    moved: Moved,
    out: &mut Vec<Change>,
) {
    let Tables {
        generation,
        plans,
        ladders,
        hazards,
    } = tables;
    let (Some(rule), Some(plan)) = (
        generation.rules.get(moved.rule as usize),
        plans.get(moved.rule as usize),
    ) else {
        return;
    };
    let sensor = &generation.sensors[stream.sensor as usize];
    let asset = generation.asset_at(sensor.asset_ix);
    let Some(hazard) = hazards.get(plan.hazard as usize) else {
        return;
    };
    out.push(Change::Alarm(AlarmChange {
        rule: rule.id.clone(),
        sensor: sensor.id.clone(),
        asset: asset.id.clone(),
        hazard: hazard.clone(),
        from: moved.from,
        to: moved.to,
        ts: Timestamp(moved.ts),
    }));
    let Some(slot) = warnings.find(sensor.asset_ix.0, plan.hazard) else {
        return;
    };
    let Some((from, to)) = warnings.apply(slot, moved.from, moved.to) else {
        return;
    };
    let metric = &generation.metrics[stream.metric as usize];
    let value_ladder = ladders.get(moved.ladder as usize);
    let (ladder, rate_ladder) = match &plan.check {
        Check::Rate(rate) => (Some(&rate.ladder), None),
        Check::Dual { rate, .. } => (value_ladder, Some(&rate.ladder)),
        Check::Threshold { .. } => (value_ladder, None),
    };
    let text = match ladder {
        Some(ladder) => message(
            &Wording {
                metric: metric.id.as_str(),
                unit: metric.unit,
                rule: rule.id.as_str(),
                ladder,
                rate_ladder,
                clear_after_ms: plan.clear_after_ms,
            },
            moved.observation,
            moved.from,
            moved.to,
        ),
        None => format!("{} (rule {})", metric.id, rule.id),
    };
    let department = generation
        .domain(asset.domain.as_str())
        .map_or_else(|| asset.owner.clone(), |d| d.lead_department.clone());
    let evidence = stream
        .samples
        .latest(EVIDENCE)
        .map(|s| Reading {
            sensor: sensor.id.clone(),
            metric: metric.id.clone(),
            value: s.value,
            ts: Timestamp(s.ts),
        })
        .collect();
    out.push(Change::Warning(WarningChange {
        asset: asset.id.clone(),
        hazard: hazard.clone(),
        domain: asset.domain.clone(),
        district: asset.district.clone(),
        department,
        from,
        to,
        ts: Timestamp(moved.ts),
        rule: rule.id.clone(),
        sensor: sensor.id.clone(),
        evidence,
        generation: generation.id.clone(),
        message: text,
    }));
}
