//! Binding rules to sensors when an engine is built. For each sensor and each metric it reports
//! (none listed = every metric of its domain) the engine keeps one stream; each rule of that metric
//! and domain whose `objects` admit the sensor's kind becomes a binding with its effective ladder
//! (sensor override, else the rule's ladder, else the metric default; none at all: no binding).
//! Everything the hot path reads is converted once here into compact plans and tables.

use rustc_hash::FxHashMap;

use crate::coupling::CouplingGraph;
use crate::coupling::spatial::GeoIndex;
use crate::model::time::duration_millis;
use crate::model::{Combine, Generation, HazardId, Ladder, RuleKind};

use super::cascade::Cascades;
use super::composite::Composites;
use super::rate::RatePlan;
use super::state::{Binding, NEVER, PersistState, SampleRing, Stream};
use super::threshold::{Hold, needs_state};
use super::warnings::WarningBoard;

/// What a rule computes, converted for the hot path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check {
    /// Ladder on the value with per-level persistence.
    Threshold {
        /// Persistence per level.
        holds: [Hold; 4],
    },
    /// Ladder on the rate.
    Rate(RatePlan),
    /// Cumulative ladder and rate together.
    Dual {
        /// The rate part.
        rate: RatePlan,
        /// How the two parts combine.
        combine: Combine,
    },
    /// A Rhai script (run by the engine's script host); also the plan of sequence and cluster
    /// rules, which have no bindings.
    Script,
}

impl Check {
    /// The rate window this check needs samples for (0 if none).
    pub(crate) fn window_ms(&self) -> i64 {
        match self {
            Check::Threshold { .. } | Check::Script => 0,
            Check::Rate(rate) | Check::Dual { rate, .. } => rate.window_ms,
        }
    }
}

/// A rule converted for the hot path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RulePlan {
    /// What it computes.
    pub(crate) check: Check,
    /// Clear margin (metric unit; rate unit for rate rules).
    pub(crate) margin: f64,
    /// Clear time in milliseconds.
    pub(crate) clear_after_ms: i64,
    /// The rule's hazard (index into the engine's hazard table).
    pub(crate) hazard: u32,
}

/// What the engine needs of a metric on the hot path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MetricPlan {
    /// Lowest valid value.
    pub(crate) low: f64,
    /// Highest valid value.
    pub(crate) high: f64,
    /// Silence after which a sensor is offline, in milliseconds; 0 disables the check.
    pub(crate) offline_ms: i64,
}

/// The engine's tables, freshly built.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// One plan per rule, in `Generation::rules` order.
    pub(crate) plans: Vec<RulePlan>,
    /// One plan per metric, in `Generation::metrics` order.
    pub(crate) metrics: Vec<MetricPlan>,
    /// Distinct effective ladders.
    pub(crate) ladders: Vec<Ladder>,
    /// Distinct hazards.
    pub(crate) hazards: Vec<HazardId>,
    /// `sensor_streams[s]..sensor_streams[s + 1]` are sensor `s`'s streams.
    pub(crate) sensor_streams: Vec<u32>,
    /// Streams, grouped by sensor.
    pub(crate) streams: Vec<Stream>,
    /// Bindings, grouped by stream.
    pub(crate) bindings: Vec<Binding>,
    /// Persistence state of threshold bindings that need one.
    pub(crate) persist: Vec<PersistState>,
    /// Warning per (asset, hazard) that has at least one binding, composite rule or cascade.
    pub(crate) warnings: WarningBoard,
    /// The coupling graph.
    pub(crate) graph: CouplingGraph,
    /// Cascade plan.
    pub(crate) cascades: Cascades,
    /// Sequence and cluster rules.
    pub(crate) composites: Composites,
}

/// Builds the engine's tables for `generation`.
pub(crate) fn layout(generation: &Generation) -> Layout {
    let mut out = Layout::default();
    let metric_ix: FxHashMap<&str, u32> = generation
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i as u32))
        .collect();
    out.metrics = generation
        .metrics
        .iter()
        .map(|m| MetricPlan {
            low: m.valid_range.0,
            high: m.valid_range.1,
            offline_ms: duration_millis(m.reporting_interval)
                .saturating_mul(i64::from(m.offline_after_intervals)),
        })
        .collect();

    let mut hazard_ix: FxHashMap<HazardId, u32> = FxHashMap::default();
    let mut rules_by_metric: Vec<Vec<u32>> = vec![Vec::new(); generation.metrics.len()];
    for (i, rule) in generation.rules.iter().enumerate() {
        let next = hazard_ix.len() as u32;
        let hazard = *hazard_ix.entry(rule.hazard.clone()).or_insert_with(|| {
            out.hazards.push(rule.hazard.clone());
            next
        });
        let check = match &rule.kind {
            RuleKind::Threshold { persistence, .. } => Check::Threshold {
                holds: persistence.map(Hold::from_persistence),
            },
            RuleKind::Rate(spec) => Check::Rate(RatePlan::new(spec)),
            RuleKind::DualControl { rate, combine, .. } => Check::Dual {
                rate: RatePlan::new(rate),
                combine: *combine,
            },
            RuleKind::Script(_) | RuleKind::Sequence(_) | RuleKind::Cluster(_) => Check::Script,
        };
        out.plans.push(RulePlan {
            check,
            margin: rule.clear.margin,
            clear_after_ms: duration_millis(rule.clear.after),
            hazard,
        });
        let stream_rule = rule.metric.is_some();
        if let Some(m) = rule.metric.as_ref().and_then(|m| metric_ix.get(m.as_str()))
            && stream_rule
        {
            rules_by_metric[*m as usize].push(i as u32);
        }
    }

    let mut ladder_ix: FxHashMap<LadderKey, u32> = FxHashMap::default();
    out.sensor_streams.push(0);
    for (s, sensor) in generation.sensors.iter().enumerate() {
        for m in generation.metrics_of(sensor) {
            let metric = &generation.metrics[m as usize];
            let first_binding = out.bindings.len() as u32;
            for &r in &rules_by_metric[m as usize] {
                // A stream counts its bindings in a u16: 65,535 rules on one metric is the limit.
                if out.bindings.len() as u32 - first_binding == u32::from(u16::MAX) {
                    break;
                }
                let rule = &generation.rules[r as usize];
                if rule.domain != sensor.domain
                    || !(rule.objects.is_empty() || rule.objects.contains(&sensor.kind))
                {
                    continue;
                }
                let (own, persistence) = match &rule.kind {
                    RuleKind::Threshold {
                        ladder,
                        persistence,
                    } => (ladder.as_ref(), Some(persistence)),
                    RuleKind::DualControl { cumulative, .. } => (cumulative.as_ref(), None),
                    RuleKind::Rate(spec) => (Some(&spec.ladder), None),
                    RuleKind::Script(_) => (Some(&NO_LADDER), None),
                    RuleKind::Sequence(_) | RuleKind::Cluster(_) => continue,
                };
                let effective = if matches!(rule.kind, RuleKind::Rate(_) | RuleKind::Script(_)) {
                    own
                } else {
                    sensor
                        .overrides
                        .get(&metric.id)
                        .or(own)
                        .or(metric.default_ladder.as_ref())
                };
                let Some(ladder) = effective else {
                    continue;
                };
                let next = out.ladders.len() as u32;
                let ladder = *ladder_ix.entry(LadderKey::of(ladder)).or_insert_with(|| {
                    out.ladders.push(*ladder);
                    next
                });
                let persist = match persistence {
                    Some(p) if needs_state(p) => {
                        out.persist.push(PersistState::default());
                        (out.persist.len() - 1) as u32
                    }
                    _ => u32::MAX,
                };
                out.warnings
                    .slot_for(sensor.asset_ix.0, out.plans[r as usize].hazard);
                out.bindings.push(Binding {
                    clear_since: NEVER,
                    rule: r,
                    ladder,
                    persist,
                    level: None,
                    verdict: None,
                });
            }
            let bindings = out.bindings.len() as u32 - first_binding;
            out.streams.push(Stream {
                last_ts: NEVER,
                samples: SampleRing::default(),
                sensor: s as u32,
                metric: m,
                first_binding,
                bindings: u16::try_from(bindings).unwrap_or(u16::MAX),
                faults: 0,
            });
        }
        out.sensor_streams.push(out.streams.len() as u32);
    }
    out.graph = CouplingGraph::build(generation);
    out.cascades = Cascades::build(
        generation,
        &out.graph,
        &mut out.hazards,
        &mut hazard_ix,
        &mut out.warnings,
    );
    out.composites = Composites::build(generation);
    for (rule, asset) in out.composites.slots(generation) {
        let hazard = out.plans[rule as usize].hazard;
        out.warnings.slot_for(asset, hazard);
    }
    grade_slots(generation, &mut out.warnings);
    out.sensor_streams.shrink_to_fit();
    out.streams.shrink_to_fit();
    out.bindings.shrink_to_fit();
    out.persist.shrink_to_fit();
    out.warnings.slots.shrink_to_fit();
    out
}

/// Gives every warning slot the grade table of its asset: the domain's grading with the asset's
/// consequence and escalation (receptors near it); slots of domains without grading keep table 0.
fn grade_slots(generation: &Generation, board: &mut WarningBoard) {
    use crate::grading::{GradeTable, consequence, escalation, receptor_radii};
    if !generation.domains.iter().any(|d| d.grading.is_some()) {
        return;
    }
    let receptors = GeoIndex::new(
        generation.receptors.iter().map(|r| (r.location, r.kind)),
        100.0,
    );
    let mut tables: FxHashMap<(usize, u8, u8), u32> = FxHashMap::default();
    let mut by_asset: FxHashMap<u32, u32> = FxHashMap::default();
    for i in 0..board.slots.len() {
        let asset_ix = board.slots[i].asset;
        let grade = *by_asset.entry(asset_ix).or_insert_with(|| {
            let asset = &generation.assets[asset_ix as usize];
            let Some((domain, grading)) = generation
                .domains
                .iter()
                .enumerate()
                .find(|(_, d)| d.id == asset.domain)
                .and_then(|(i, d)| Some((i, d.grading.as_ref()?)))
            else {
                return 0;
            };
            let near: Vec<_> = asset.location.map_or_else(Vec::new, |at| {
                receptors
                    .within(at, receptor_radii(grading))
                    .map(|(kind, distance)| (*kind, distance))
                    .collect()
            });
            let s = consequence(&grading.consequence, asset, &near);
            let e = escalation(grading.escalation.as_ref(), &near);
            let next = board.grades.len() as u32;
            *tables.entry((domain, s, e)).or_insert_with(|| {
                board.grades.push(GradeTable::new(Some(grading), s, e));
                next
            })
        });
        board.slots[i].grade = grade;
    }
}

/// The ladder of a script binding: the script decides the level, so there are no thresholds.
const NO_LADDER: Ladder = Ladder {
    direction: crate::model::Direction::Above,
    thresholds: [None; 4],
};

/// A ladder's identity for de-duplication (bit patterns, so it is `Eq` and `Hash`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct LadderKey {
    /// `true` for `Above`.
    above: bool,
    /// Threshold bit patterns.
    thresholds: [Option<u64>; 4],
}

impl LadderKey {
    /// The key of `ladder`.
    fn of(ladder: &Ladder) -> LadderKey {
        LadderKey {
            above: matches!(ladder.direction, crate::model::Direction::Above),
            thresholds: ladder.thresholds.map(|t| t.map(f64::to_bits)),
        }
    }
}
