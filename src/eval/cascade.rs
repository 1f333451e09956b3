//! Cascades at run time (次生衍生链): when a warning crosses a cascade's `min_level`, the
//! cascade's contribution to each planned target warning is added or removed, the target is
//! regraded, and a target that moves is emitted with its cause chain and propagates in turn.
//! Chains stop at [`MAX_CASCADE_DEPTH`] and never revisit a warning on the current path, so a
//! cycle in the graph terminates.

use rustc_hash::FxHashMap;

use crate::coupling::CascadePlan;
use crate::model::{
    AssetIx, Cause, Change, Generation, HazardId, Level, MAX_CASCADE_DEPTH, RuleId, SensorId,
    Timestamp, WarningChange,
};

use super::warnings::{Contribution, WarningBoard};

/// The cascade tables of an engine.
#[derive(Debug, Default)]
pub(crate) struct Cascades {
    /// Planned links by source asset.
    pub(crate) plan: CascadePlan,
    /// Per cascade: the hazard index of its `from.hazard` (`u32::MAX` when no warning can have
    /// it) and of its `to.hazard`.
    pub(crate) hazards: Vec<(u32, u32)>,
}

impl Cascades {
    /// Plans the cascades of `generation` and creates every target warning slot (so targets are
    /// graded like any warning); `hazard_ix` maps hazards to the engine's hazard table and is
    /// extended with the cascades' target hazards.
    pub(crate) fn build(
        generation: &Generation,
        graph: &crate::coupling::CouplingGraph,
        hazards: &mut Vec<HazardId>,
        hazard_ix: &mut FxHashMap<HazardId, u32>,
        board: &mut WarningBoard,
    ) -> Cascades {
        let mut intern = |hazard: &HazardId| {
            let next = hazards.len() as u32;
            *hazard_ix.entry(hazard.clone()).or_insert_with(|| {
                hazards.push(hazard.clone());
                next
            })
        };
        let table: Vec<(u32, u32)> = generation
            .cascades
            .iter()
            .map(|c| (intern(&c.from.hazard), intern(&c.to.hazard)))
            .collect();
        if generation.cascades.is_empty() {
            return Cascades::default();
        }
        let plan = CascadePlan::plan(generation, graph);
        for source in 0..generation.assets.len() {
            for link in plan.from_source(AssetIx(source as u32)) {
                let (_, to) = table[link.cascade as usize];
                board.slot_for(link.target.0, to);
                // the source side must have a slot to be reached at all
                let (from, _) = table[link.cascade as usize];
                board.slot_for(source as u32, from);
            }
        }
        Cascades {
            plan,
            hazards: table,
        }
    }
}

/// What started a chain, stamped on every warning it moves.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    /// The sensor whose reading started it.
    pub(crate) sensor: SensorId,
    /// Event time.
    pub(crate) ts: i64,
}

/// The causes of `slot`'s warning as people read them.
pub(crate) fn causes(
    generation: &Generation,
    hazards: &[HazardId],
    board: &WarningBoard,
    slot: u32,
) -> Vec<Cause> {
    board
        .contributions_of(slot)
        .iter()
        .filter_map(|c| {
            let source = board.slots.get(c.source as usize)?;
            Some(Cause {
                cascade: generation.cascades.get(c.cascade as usize)?.id.clone(),
                asset: generation.assets[source.asset as usize].id.to_string(),
                hazard: hazards.get(source.hazard as usize)?.to_string(),
                level: source.level?,
                raise_likelihood: c.raise,
            })
        })
        .collect()
}

/// Propagates a move of `slot`'s warning from `from` to `to` along the planned cascades,
/// appending the target warnings that move to `out`. `path` holds the warnings of the current
/// chain (the caller passes it empty).
#[allow(clippy::too_many_arguments)]
pub(crate) fn propagate(
    generation: &Generation,
    hazards: &[HazardId],
    cascades: &Cascades,
    board: &mut WarningBoard,
    slot: u32,
    (from, to): (Option<Level>, Option<Level>),
    trigger: &Trigger,
    path: &mut Vec<u32>,
    out: &mut Vec<Change>,
) {
    if path.len() >= MAX_CASCADE_DEPTH || cascades.hazards.is_empty() {
        return;
    }
    let Some(state) = board.slots.get(slot as usize).copied() else {
        return;
    };
    path.push(slot);
    for link in cascades.plan.from_source(AssetIx(state.asset)) {
        let cascade = &generation.cascades[link.cascade as usize];
        let (from_hazard, to_hazard) = cascades.hazards[link.cascade as usize];
        if from_hazard != state.hazard {
            continue;
        }
        let min = Some(cascade.from.min_level);
        let (was, now) = (from >= min, to >= min);
        if was == now {
            continue;
        }
        let Some(target) = board.find(link.target.0, to_hazard) else {
            continue;
        };
        if path.contains(&target) {
            continue;
        }
        let contribution = Contribution {
            source: slot,
            cascade: link.cascade,
            raise: cascade.raise_likelihood,
        };
        let Some(moved) = board.contribute(target, contribution, now) else {
            continue;
        };
        let source_asset = &generation.assets[state.asset as usize];
        let message = if now {
            format!(
                "likelihood +{} by cascade {}: {} {} reached {} ({})",
                cascade.raise_likelihood,
                cascade.id,
                source_asset.id,
                hazards[state.hazard as usize],
                to.map_or("none", Level::as_str),
                cascade.description,
            )
        } else {
            format!(
                "cascade {} withdrawn: {} {} is below {}",
                cascade.id, source_asset.id, hazards[state.hazard as usize], cascade.from.min_level,
            )
        };
        out.push(Change::Warning(warning_change(
            generation,
            hazards,
            board,
            target,
            moved,
            trigger,
            RuleId::new(cascade.id.as_str()),
            message,
        )));
        propagate(
            generation, hazards, cascades, board, target, moved, trigger, path, out,
        );
    }
    path.pop();
}

/// A warning change for a cascade target.
#[allow(clippy::too_many_arguments)]
fn warning_change(
    generation: &Generation,
    hazards: &[HazardId],
    board: &WarningBoard,
    slot: u32,
    (from, to): (Option<Level>, Option<Level>),
    trigger: &Trigger,
    rule: RuleId,
    message: String,
) -> WarningChange {
    let state = board.slots[slot as usize];
    let asset = &generation.assets[state.asset as usize];
    let department = generation
        .domain(asset.domain.as_str())
        .map_or_else(|| asset.owner.clone(), |d| d.lead_department.clone());
    WarningChange {
        asset: asset.id.clone(),
        hazard: hazards[state.hazard as usize].clone(),
        domain: asset.domain.clone(),
        district: asset.district.clone(),
        department,
        from,
        to,
        ts: Timestamp(trigger.ts),
        rule,
        sensor: trigger.sensor.clone(),
        evidence: Vec::new(),
        generation: generation.id.clone(),
        message,
        causes: causes(generation, hazards, board, slot),
        details: serde_json::Value::Null,
    }
}
