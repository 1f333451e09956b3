//! Turning an alarm move into changes: the alarm change itself (or, for a shadow rule, only a
//! shadow finding), and when it moves the graded (asset, hazard) warning, the warning change with
//! its routing (district, department), evidence, message and causes, followed by the cascades it
//! sets off. Runs only when a level moves, so it may allocate.

use crate::model::{
    AlarmChange, Change, Generation, HazardId, Ladder, Level, Reading, ShadowFinding, Timestamp,
    WarningChange,
};
use crate::script::Verdict;

use super::build::{Check, RulePlan};
use super::cascade::{self, Cascades, Trigger};
use super::warnings::{Observation, WarningBoard, Wording, message};

/// Why an alarm moved.
#[derive(Clone, Debug)]
pub(crate) enum Reason {
    /// A ladder rule (threshold, rate, dual control) saw a value.
    Ladder {
        /// The binding's effective value ladder (index).
        ladder: u32,
        /// What the reading showed.
        observation: Observation,
    },
    /// A script returned a verdict.
    Script(Verdict),
    /// A sequence or cluster matched (or stopped matching).
    Composite {
        /// One line for people.
        note: String,
        /// What matched, as data.
        details: serde_json::Value,
    },
}

/// An alarm moved.
#[derive(Clone, Debug)]
pub(crate) struct Moved {
    /// The rule (index).
    pub(crate) rule: u32,
    /// The sensor (index).
    pub(crate) sensor: u32,
    /// The metric read (index), for ladder and script rules.
    pub(crate) metric: Option<u32>,
    /// Level before.
    pub(crate) from: Option<Level>,
    /// Level after.
    pub(crate) to: Option<Level>,
    /// Event time of the reading that moved it.
    pub(crate) ts: i64,
    /// Why.
    pub(crate) reason: Reason,
    /// The readings that justify it (latest last).
    pub(crate) evidence: Vec<Reading>,
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
    /// Cascade plan.
    pub(crate) cascades: &'a Cascades,
}

/// Appends the changes of `moved`; returns `false` for a shadow rule (nothing was raised, so
/// composites must not hear of it).
pub(crate) fn emit(
    tables: Tables<'_>,
    warnings: &mut WarningBoard,
    moved: Moved,
    out: &mut Vec<Change>,
) -> bool {
    let Tables {
        generation,
        plans,
        hazards,
        ..
    } = tables;
    let (Some(rule), Some(plan)) = (
        generation.rules.get(moved.rule as usize),
        plans.get(moved.rule as usize),
    ) else {
        return false;
    };
    let sensor = &generation.sensors[moved.sensor as usize];
    let asset = generation.asset_at(sensor.asset_ix);
    let Some(hazard) = hazards.get(plan.hazard as usize) else {
        return false;
    };
    let text = text(tables, &moved);
    if rule.shadow {
        out.push(Change::Shadow(ShadowFinding {
            rule: rule.id.clone(),
            sensor: sensor.id.clone(),
            asset: asset.id.clone(),
            hazard: hazard.clone(),
            from: moved.from,
            to: moved.to,
            ts: Timestamp(moved.ts),
            message: text,
            generation: generation.id.clone(),
        }));
        return false;
    }
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
        return true;
    };
    let Some((from, to)) = warnings.apply(slot, moved.from, moved.to) else {
        return true;
    };
    let department = generation
        .domain(asset.domain.as_str())
        .map_or_else(|| asset.owner.clone(), |d| d.lead_department.clone());
    let details = match &moved.reason {
        Reason::Script(verdict) => verdict.evidence.clone(),
        Reason::Composite { details, .. } => details.clone(),
        Reason::Ladder { .. } => serde_json::Value::Null,
    };
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
        evidence: moved.evidence,
        generation: generation.id.clone(),
        message: text,
        causes: cascade::causes(generation, hazards, warnings, slot),
        details,
    }));
    let trigger = Trigger {
        sensor: sensor.id.clone(),
        ts: moved.ts,
    };
    cascade::propagate(
        generation,
        hazards,
        tables.cascades,
        warnings,
        slot,
        (from, to),
        &trigger,
        &mut Vec::new(),
        out,
    );
    true
}

/// The one-line message of a move.
fn text(tables: Tables<'_>, moved: &Moved) -> String {
    let generation = tables.generation;
    let rule = &generation.rules[moved.rule as usize];
    let plan = &tables.plans[moved.rule as usize];
    let (ladder_ix, observation) = match &moved.reason {
        Reason::Ladder {
            ladder,
            observation,
        } => (*ladder, *observation),
        Reason::Script(verdict) => {
            let level = crate::model::level::level_name(moved.to);
            return if verdict.message.is_empty() {
                format!("script {} -> {level} (rule {})", file_of(rule), rule.id)
            } else {
                format!("{} (rule {}: {level})", verdict.message, rule.id)
            };
        }
        Reason::Composite { note, .. } => {
            let level = crate::model::level::level_name(moved.to);
            return format!("{note} (rule {}: {level})", rule.id);
        }
    };
    let Some(metric) = moved.metric.map(|m| &generation.metrics[m as usize]) else {
        return format!("rule {}", rule.id);
    };
    let value_ladder = tables.ladders.get(ladder_ix as usize);
    let (ladder, rate_ladder) = match &plan.check {
        Check::Rate(rate) => (Some(&rate.ladder), None),
        Check::Dual { rate, .. } => (value_ladder, Some(&rate.ladder)),
        Check::Threshold { .. } | Check::Script => (value_ladder, None),
    };
    match ladder {
        Some(ladder) => message(
            &Wording {
                metric: metric.id.as_str(),
                unit: metric.unit,
                rule: rule.id.as_str(),
                ladder,
                rate_ladder,
                clear_after_ms: plan.clear_after_ms,
            },
            observation,
            moved.from,
            moved.to,
        ),
        None => format!("{} (rule {})", metric.id, rule.id),
    }
}

fn file_of(rule: &crate::model::Rule) -> &str {
    match &rule.kind {
        crate::model::RuleKind::Script(spec) => spec.file.as_str(),
        _ => "",
    }
}
