//! [`ScriptHost`]: runs the script rules of one generation, one reading at a time, and keeps the
//! windows they read. One host per engine (per generation); it owns its own sandbox engine with
//! the script API bound to its tables.

use std::fmt;
use std::sync::{Arc, Mutex};

use rhai::{Dynamic, Engine, INT, Scope};
use rustc_hash::FxHashMap;

use super::api::{self, Call, Desk, SharedDesk};
use super::context::{self, Context};
use super::fault::{ScriptFault, ScriptFaultKind, classify};
use super::history::{History, StreamIndex};
use super::layout::{ScriptPlan, layout};
use super::verdict::{self, Verdict};
use super::{Limits, sandbox};
use crate::coupling::CouplingGraph;
use crate::model::{Generation, Reading, RuleId, SensorIx};

/// Runs scripted rules.
///
/// # What a script sees
///
/// Constants: `value` (float), `ts` (int, epoch ms), `metric` (string), and three read-only
/// records that read like maps (`asset.name`, `asset["name"]`, `"name" in asset`): `sensor`
/// (`id`, `kind`), `asset` (`id`, `name`, `kind`, `domain`, `district`, `attributes`: a map of
/// numbers) and `district` (`code`, `name`). A misspelt property (`asset.nmae`) is a fault, not
/// `()`; nothing in them can be assigned (copy a value with `let`). Functions defined with `fn`
/// see only their parameters. `print` and `debug` go to the log at debug level.
///
/// - `window(metric, "10m")`: this sensor's samples of `metric` in `[ts - 10m, ts]` (event time,
///   both ends included). `window_of(asset_id, metric, "10m")`: the same for a neighbour (the
///   first of its sensors that reports the metric). Durations: `500ms`, `30s`, `10m`, `2h`, `1d`,
///   at most the rule's `lookback`.
/// - On a window: `count()`, `is_empty()`, `mean()`, `min()`, `max()`, `stddev()` (population),
///   `first()`, `last()`, `delta()` (last - first), `rate("1m")` (delta per minute over the time
///   between first and last sample), `percentile(95)` (nearest rank).
/// - `neighbours()`: `[#{asset, kind, domain, relation, hops}, ..]`, nearest first;
///   `latest(asset_id, metric)`: a neighbour's newest value at or before `ts`.
///
/// # Empty windows and `()`
///
/// On an empty window every statistic but `count()` is `()` (so is `rate` with fewer than two
/// samples, and `latest` with none). In Rhai an ordering comparison with `()` is **false** in
/// both directions (`() > 5.0` and `() < 5.0` are both false, `() == 5.0` is false, `() != 5.0`
/// is true), so a rule written as "alarm when the mean is high" stays quiet on no data. Where a
/// default is meant, say so with `??`: `let m = window("gas.ch4", "10m").mean() ?? 0.0;`, or
/// test `w.is_empty()` or `w.count() < 3` first. Rhai treats an ordering comparison of a string
/// with a number the same way (false, not an error); making such comparisons faults would need
/// Rhai's fast operators off, which costs a quarter of the throughput, so it is not done.
/// Arithmetic on mismatched types (`"a" - 1`) and unknown functions are faults.
///
/// # What a script returns
///
/// `()` (no level), a level name (`"blue"` .. `"red"`, `"none"`), or
/// `#{level: "orange", message: "rising", evidence: #{mean: m}}` (`message`, `evidence`
/// optional). Anything else is a [`ScriptFaultKind::BadReturn`].
pub struct ScriptHost {
    /// The generation the scripts belong to.
    generation: Arc<Generation>,
    /// Limits, for fault messages.
    limits: Limits,
    /// The sandbox with the API bound to `desk`.
    engine: Engine,
    /// One scope: the six context constants stay, their values are replaced in place for
    /// every call, and what a script declares is rewound away.
    scope: Scope<'static>,
    /// Tables and the call in progress, shared with the natives.
    desk: SharedDesk,
    /// A copy of the stream index, to find streams without the lock.
    index: StreamIndex,
    /// One entry per rule; `Some` for script rules.
    plans: Vec<Option<ScriptPlan>>,
    /// (rule, asset) -> neighbour set, for rules with `neighbours`.
    set_of: FxHashMap<(u32, u32), u32>,
    /// Script rules run on each stream's readings (indexed by stream).
    stream_rules: Vec<Vec<u32>>,
    /// Context records per sensor, built on first use.
    contexts: Vec<Option<Context>>,
}

impl ScriptHost {
    /// A host for the script rules of `generation`, with neighbours looked up in `graph` now
    /// (the host does not keep the graph) and `limits` on every call.
    pub fn new(generation: Arc<Generation>, graph: &CouplingGraph, limits: Limits) -> ScriptHost {
        let layout = layout(&generation, graph);
        let history = History::new(generation.sensors.len(), &layout.watched);
        let index = history.index().clone();
        let mut stream_rules = vec![Vec::new(); history.len()];
        for &(rule, sensor) in &layout.bindings {
            let metric = layout.plans[rule as usize].as_ref().map(|p| p.metric);
            if let Some(stream) = metric.and_then(|m| index.stream(sensor, m)) {
                stream_rules[stream as usize].push(rule);
            }
        }
        let mut neighbour_streams = FxHashMap::default();
        for (&(asset, metric), &sensor) in &layout.reporter {
            if let Some(stream) = index.stream(sensor, metric) {
                neighbour_streams.insert((asset, metric), stream);
            }
        }
        let desk = Arc::new(Mutex::new(Desk::new(
            generation.clone(),
            history,
            layout.metric_ix,
            layout.sets,
            neighbour_streams,
        )));
        let mut engine = sandbox(&limits);
        api::register(&mut engine, &desk);
        context::register(&mut engine);
        ScriptHost {
            contexts: vec![None; generation.sensors.len()],
            generation,
            limits,
            engine,
            scope: Scope::with_capacity(16),
            desk,
            index,
            plans: layout.plans,
            set_of: layout.set_of,
            stream_rules,
        }
    }

    /// Is (sensor, metric) a stream some script may read (its own sensor's metrics, or a
    /// neighbour's)? `metric` is an index into `generation.metrics`.
    #[inline]
    pub fn watches(&self, sensor: SensorIx, metric: usize) -> bool {
        self.index.stream(sensor.0, metric as u32).is_some()
    }

    /// The script rules (indices into `generation.rules`) to run on `sensor`'s readings of
    /// `metric`, by the engine's binding rule (domain, metric, `objects`). Empty for most streams.
    #[inline]
    pub fn rules_for(&self, sensor: SensorIx, metric: usize) -> &[u32] {
        self.index
            .stream(sensor.0, metric as u32)
            .and_then(|s| self.stream_rules.get(s as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// The samples the scripts' windows read, per watched stream (for the engine's state image).
    pub(crate) fn history_image(&self) -> Vec<Vec<(i64, f64)>> {
        api::lock(&self.desk).history.image()
    }

    /// Puts back samples taken by [`ScriptHost::history_image`] under the same generation;
    /// `false` when they do not fit.
    pub(crate) fn restore_history(&mut self, image: &[Vec<(i64, f64)>]) -> bool {
        api::lock(&self.desk).history.restore_image(image)
    }

    /// Records an in-range reading of a watched stream (call it for every such reading, in
    /// event-time order per stream; an older or repeated time is ignored). Samples older than
    /// the longest lookback of the rules reading the stream are dropped.
    pub fn observe(&mut self, sensor: SensorIx, metric: usize, ts: i64, value: f64) {
        if let Some(stream) = self.index.stream(sensor.0, metric as u32) {
            api::lock(&self.desk).history.record(stream, ts, value);
        }
    }

    /// Runs the script of rule `rule` (index into `generation.rules`; a script rule) for
    /// `reading` of `sensor`. Call [`ScriptHost::observe`] for the reading first. A fault leaves
    /// the host ready for the next call.
    pub fn run(
        &mut self,
        rule: usize,
        sensor: SensorIx,
        reading: &Reading,
    ) -> Result<Verdict, ScriptFault> {
        let Some(Some(plan)) = self.plans.get(rule) else {
            return Err(self.misuse(rule, "is not a script rule".to_owned()));
        };
        let Some(asset) = self
            .generation
            .sensors
            .get(sensor.0 as usize)
            .map(|s| s.asset_ix.0)
        else {
            return Err(self.misuse(rule, format!("has no sensor #{}", sensor.0)));
        };
        let neighbours = if plan.has_neighbours {
            match self.set_of.get(&(rule as u32, asset)) {
                Some(set) => Some(*set),
                None => {
                    let id = &self.generation.sensors[sensor.0 as usize].id;
                    return Err(self.misuse(rule, format!("does not apply to sensor `{id}`")));
                }
            }
        } else {
            None
        };
        api::lock(&self.desk).call = Call {
            sensor: sensor.0,
            asset,
            ts: reading.ts.0,
            lookback_ms: plan.lookback_ms,
            neighbours,
        };
        let context = self.contexts[sensor.0 as usize]
            .get_or_insert_with(|| Context::of(&self.generation, sensor.0 as usize))
            .clone();
        let scope = &mut self.scope;
        let reused = scope.len() >= CONTEXT_LEN && {
            scope.rewind(CONTEXT_LEN);
            set(scope, "value", reading.value)
                && set(scope, "ts", reading.ts.0 as INT)
                && set(scope, "metric", plan.metric_name.clone())
                && set(scope, "sensor", context.sensor.clone())
                && set(scope, "asset", context.asset.clone())
                && set(scope, "district", context.district.clone())
        };
        if !reused {
            scope.rewind(0);
            scope.push_constant("value", reading.value);
            scope.push_constant("ts", reading.ts.0 as INT);
            scope.push_constant("metric", plan.metric_name.clone());
            scope.push_constant("sensor", context.sensor);
            scope.push_constant("asset", context.asset);
            scope.push_constant("district", context.district);
        }
        let outcome = self
            .engine
            .eval_ast_with_scope::<Dynamic>(scope, &plan.program);
        let fault = |kind, message, (line, column)| ScriptFault {
            rule: plan.rule.clone(),
            file: plan.file.clone(),
            line,
            column,
            kind,
            message,
        };
        match outcome {
            Ok(value) => verdict::read(value).map_err(|message| {
                fault(ScriptFaultKind::BadReturn, message, last_line(&plan.source))
            }),
            Err(error) => {
                let (kind, message, position) = classify(&error, &self.limits);
                let at = (
                    position.line().unwrap_or(0),
                    position.position().unwrap_or(0),
                );
                Err(fault(kind, message, at))
            }
        }
    }

    /// A fault for a call the host cannot make (a caller's mistake, reported not panicked).
    fn misuse(&self, rule: usize, what: String) -> ScriptFault {
        let (id, file) = match self.generation.rules.get(rule) {
            Some(r) => (
                r.id.clone(),
                self.plans[rule].as_ref().map(|p| p.file.clone()),
            ),
            None => (RuleId::new(format!("#{rule}")), None),
        };
        ScriptFault {
            message: format!("rule `{id}` {what}"),
            rule: id,
            file: file.unwrap_or_default(),
            line: 0,
            column: 0,
            kind: ScriptFaultKind::Runtime,
        }
    }
}

impl fmt::Debug for ScriptHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptHost")
            .field("generation", &self.generation.id)
            .field("limits", &self.limits)
            .field("scripts", &self.plans.iter().flatten().count())
            .field("streams", &self.stream_rules.len())
            .finish_non_exhaustive()
    }
}

/// Entries the host keeps at the bottom of its scope: the context constants.
const CONTEXT_LEN: usize = super::sandbox::CONTEXT_NAMES.len();

/// Replaces the value of context constant `name` in place (no allocation): constants are
/// read-only to scripts, not to the host. `false` when the entry is not a plain `T` (a closure
/// that captured it made it shared), and the host then pushes the context afresh.
fn set<T: Clone + Send + Sync + 'static>(scope: &mut Scope<'static>, name: &str, value: T) -> bool {
    if scope.get(name).is_none_or(Dynamic::is_shared) {
        return false;
    }
    match scope.get_value_mut::<T>(name) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => false,
    }
}

/// Where a bad return is reported: the last line with code (the script's value is its last
/// expression), at its first non-blank column.
fn last_line(source: &str) -> (usize, usize) {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim();
            !code.is_empty() && !code.starts_with("//")
        })
        .last()
        .map_or((1, 1), |(i, line)| {
            (i + 1, line.len() - line.trim_start().len() + 1)
        })
}
