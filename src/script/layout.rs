//! Working out, once per generation, what the scripts of a generation may read: which sensors
//! each script rule runs for (same binding rule as the engine: the rule's domain and metric, and
//! `objects` admitting the sensor's kind), every metric of those sensors, and, for rules with
//! `neighbours`, the coupled assets found through the graph and the first sensor of each that
//! reports each metric. Each watched stream keeps the longest lookback of the rules reading it.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::coupling::{CouplingGraph, Neighbour};
use crate::model::time::duration_millis;
use crate::model::{Generation, MetricId, Relation, RuleId, RuleKind};

/// A script rule, converted for the hot path.
#[derive(Debug)]
pub(crate) struct ScriptPlan {
    /// The rule's id, for faults.
    pub(crate) rule: RuleId,
    /// The script file, for faults.
    pub(crate) file: String,
    /// The script text (to place a bad return).
    pub(crate) source: Arc<str>,
    /// The compiled program.
    pub(crate) program: Arc<rhai::AST>,
    /// Index of the rule's metric in `Generation::metrics`.
    pub(crate) metric: u32,
    /// The metric's id as the script's `metric` constant.
    pub(crate) metric_name: rhai::ImmutableString,
    /// Longest window the script may take, in milliseconds.
    pub(crate) lookback_ms: i64,
    /// Whether the rule declares `neighbours`.
    pub(crate) has_neighbours: bool,
}

/// The coupled assets one rule may read from one asset.
#[derive(Debug)]
pub(crate) struct NeighbourSet {
    /// The assets, nearest first.
    pub(crate) members: Vec<Neighbour>,
    /// The rule's neighbourhood in words (`adjacent_to, near within 2 hops`), for errors.
    pub(crate) described: String,
}

/// Everything [`super::ScriptHost`] derives from a generation and its graph.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// One entry per rule of the generation; `Some` for script rules.
    pub(crate) plans: Vec<Option<ScriptPlan>>,
    /// Watched (sensor, metric) -> lookback in ms.
    pub(crate) watched: BTreeMap<(u32, u32), i64>,
    /// (rule, sensor) pairs: the script of `rule` runs on `sensor`'s readings of its metric.
    pub(crate) bindings: Vec<(u32, u32)>,
    /// Neighbour sets, and which (rule, asset) uses which.
    pub(crate) sets: Vec<NeighbourSet>,
    /// (rule, asset) -> index in `sets`.
    pub(crate) set_of: FxHashMap<(u32, u32), u32>,
    /// (asset, metric) -> the first sensor of the asset that reports the metric, for every
    /// asset that is some script's neighbour.
    pub(crate) reporter: FxHashMap<(u32, u32), u32>,
    /// Metric id -> index in `Generation::metrics`.
    pub(crate) metric_ix: FxHashMap<MetricId, u32>,
}

/// Lays out the scripts of `generation`.
pub(crate) fn layout(generation: &Generation, graph: &CouplingGraph) -> Layout {
    let mut out = Layout {
        metric_ix: generation
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i as u32))
            .collect(),
        ..Layout::default()
    };
    let reported: Vec<Vec<u32>> = generation
        .sensors
        .iter()
        .map(|s| generation.metrics_of(s))
        .collect();
    let mut sensors_of_asset: Vec<Vec<u32>> = vec![Vec::new(); generation.assets.len()];
    for (s, sensor) in generation.sensors.iter().enumerate() {
        if let Some(list) = sensors_of_asset.get_mut(sensor.asset_ix.0 as usize) {
            list.push(s as u32);
        }
    }

    for (r, rule) in generation.rules.iter().enumerate() {
        let r = r as u32;
        let (RuleKind::Script(spec), Some(metric)) = (&rule.kind, &rule.metric) else {
            out.plans.push(None);
            continue;
        };
        let Some(&metric) = out.metric_ix.get(metric.as_str()) else {
            out.plans.push(None);
            continue;
        };
        let lookback_ms = duration_millis(spec.lookback);
        let described = spec
            .neighbours
            .as_ref()
            .map(|n| describe(&n.relations, n.hops));
        for (s, sensor) in generation.sensors.iter().enumerate() {
            let s = s as u32;
            if sensor.domain != rule.domain
                || !(rule.objects.is_empty() || rule.objects.contains(&sensor.kind))
                || !reported[s as usize].contains(&metric)
            {
                continue;
            }
            out.bindings.push((r, s));
            for &m in &reported[s as usize] {
                watch(&mut out.watched, s, m, lookback_ms);
            }
            let (Some(hood), Some(described)) = (&spec.neighbours, &described) else {
                continue;
            };
            let asset = sensor.asset_ix.0;
            if out.set_of.contains_key(&(r, asset)) {
                continue;
            }
            let members = graph.neighbours(sensor.asset_ix, &hood.relations, hood.hops);
            for member in &members {
                let sensors = sensors_of_asset
                    .get(member.asset.0 as usize)
                    .map_or(&[][..], Vec::as_slice);
                for &n in sensors {
                    for &m in &reported[n as usize] {
                        let first = *out.reporter.entry((member.asset.0, m)).or_insert(n);
                        if first == n {
                            watch(&mut out.watched, n, m, lookback_ms);
                        }
                    }
                }
            }
            out.set_of.insert((r, asset), out.sets.len() as u32);
            out.sets.push(NeighbourSet {
                members,
                described: described.clone(),
            });
        }
        out.plans.push(Some(ScriptPlan {
            rule: rule.id.clone(),
            file: spec.file.clone(),
            source: spec.source.clone(),
            program: spec.program.clone(),
            metric,
            metric_name: generation.metrics[metric as usize].id.as_str().into(),
            lookback_ms,
            has_neighbours: spec.neighbours.is_some(),
        }));
    }
    out
}

/// Watches (sensor, metric) with at least `lookback_ms`.
fn watch(watched: &mut BTreeMap<(u32, u32), i64>, sensor: u32, metric: u32, lookback_ms: i64) {
    let entry = watched.entry((sensor, metric)).or_insert(0);
    *entry = (*entry).max(lookback_ms);
}

/// `adjacent_to, near within 2 hops`.
fn describe(relations: &[Relation], hops: u8) -> String {
    let names: Vec<&str> = relations.iter().map(|r| r.as_str()).collect();
    let unit = if hops == 1 { "hop" } else { "hops" };
    format!("{} within {hops} {unit}", names.join(", "))
}
