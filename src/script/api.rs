//! The functions scripts call, registered on a sandbox engine. They reach the host's tables and
//! the current call through one `Arc<Mutex<Desk>>`: the host sets the call before running a
//! script and never holds the lock while Rhai runs, so every lock here is uncontended. Every
//! native is registered as volatile so the optimiser never runs one at compile time.
//!
//! Script API: `window(metric, "10m")`, `window_of(asset_id, metric, "10m")`, `neighbours()`,
//! `latest(asset_id, metric)`; on a window: `count()`, `is_empty()`, `mean()`, `min()`, `max()`,
//! `stddev()`, `first()`, `last()`, `delta()`, `rate("1m")`, `percentile(95)`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, INT, Map};
use rustc_hash::FxHashMap;

use super::budget;
use super::history::History;
use super::layout::NeighbourSet;
use super::window::{DURATION_HINT, Window, parse_duration, percentile, show_duration};
use crate::model::{Generation, MetricId};

/// What natives need: the generation's tables and the call in progress.
#[derive(Debug)]
pub(crate) struct Desk {
    /// Names for error messages and neighbour maps.
    pub(crate) generation: Arc<Generation>,
    /// Samples of every watched stream.
    pub(crate) history: History,
    /// Metric id -> index.
    pub(crate) metric_ix: FxHashMap<MetricId, u32>,
    /// Neighbour sets of (rule, asset) pairs.
    pub(crate) sets: Vec<NeighbourSet>,
    /// (asset, metric) -> stream of the asset's first sensor reporting the metric.
    pub(crate) neighbour_streams: FxHashMap<(u32, u32), u32>,
    /// The call in progress.
    pub(crate) call: Call,
    /// Reused buffer for percentiles.
    scratch: Vec<f64>,
}

/// The call in progress.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Call {
    /// The reading's sensor.
    pub(crate) sensor: u32,
    /// Its asset.
    pub(crate) asset: u32,
    /// The reading's time (ms); windows end here.
    pub(crate) ts: i64,
    /// The rule's lookback (ms).
    pub(crate) lookback_ms: i64,
    /// The rule's neighbour set for this asset, when the rule declares `neighbours`.
    pub(crate) neighbours: Option<u32>,
}

/// The desk shared by the host and the natives.
pub(crate) type SharedDesk = Arc<Mutex<Desk>>;

/// A script-visible error (kind `runtime`; Rhai adds the call's position).
type Failure = Box<EvalAltResult>;

impl Desk {
    /// A desk over `history` and the layout's tables.
    pub(crate) fn new(
        generation: Arc<Generation>,
        history: History,
        metric_ix: FxHashMap<MetricId, u32>,
        sets: Vec<NeighbourSet>,
        neighbour_streams: FxHashMap<(u32, u32), u32>,
    ) -> Desk {
        Desk {
            generation,
            history,
            metric_ix,
            sets,
            neighbour_streams,
            call: Call::default(),
            scratch: Vec::new(),
        }
    }

    /// The window over the last `duration` of this sensor's `metric`.
    fn own_window(&self, metric: &str, duration: &str) -> Result<Window, Failure> {
        let ms = self.window_ms(duration)?;
        let m = self.metric(metric)?;
        let sensor = self.call.sensor;
        let Some(stream) = self.history.stream(sensor, m) else {
            let id = &self.generation.sensors[sensor as usize].id;
            return Err(format!("sensor `{id}` does not report metric `{metric}`").into());
        };
        scanned(self.history.window(stream, self.call.ts - ms, self.call.ts))
    }

    /// The window over the last `duration` of a neighbour's `metric`.
    fn neighbour_window(
        &self,
        asset: &str,
        metric: &str,
        duration: &str,
    ) -> Result<Window, Failure> {
        let ms = self.window_ms(duration)?;
        let stream = self.neighbour_stream(asset, metric)?;
        scanned(self.history.window(stream, self.call.ts - ms, self.call.ts))
    }

    /// The newest value of a neighbour's `metric` at or before the reading, or `()`.
    fn latest(&self, asset: &str, metric: &str) -> Result<Dynamic, Failure> {
        let stream = self.neighbour_stream(asset, metric)?;
        Ok(optional(self.history.latest(stream, self.call.ts)))
    }

    /// The stream a neighbour reports `metric` on, or why there is none.
    fn neighbour_stream(&self, asset: &str, metric: &str) -> Result<u32, Failure> {
        let Some(set) = self.call.neighbours.and_then(|s| self.sets.get(s as usize)) else {
            return Err(format!(
                "asset `{asset}` is not a neighbour: this rule declares no `neighbours`"
            )
            .into());
        };
        let found = self
            .generation
            .asset_ix(asset)
            .filter(|ix| set.members.iter().any(|n| n.asset == *ix));
        let Some(ix) = found else {
            let own = &self.generation.assets[self.call.asset as usize].id;
            return Err(format!(
                "asset `{asset}` is not a neighbour of `{own}` under this rule's neighbours ({})",
                set.described
            )
            .into());
        };
        let m = self.metric(metric)?;
        self.neighbour_streams
            .get(&(ix.0, m))
            .copied()
            .ok_or_else(|| format!("no sensor of asset `{asset}` reports metric `{metric}`").into())
    }

    /// The index of `metric`.
    fn metric(&self, metric: &str) -> Result<u32, Failure> {
        self.metric_ix
            .get(metric)
            .copied()
            .ok_or_else(|| format!("unknown metric `{metric}`").into())
    }

    /// A window length in ms, checked against the rule's lookback.
    fn window_ms(&self, duration: &str) -> Result<i64, Failure> {
        let ms = parse_duration(duration)
            .ok_or_else(|| Failure::from(format!("bad duration `{duration}`: {DURATION_HINT}")))?;
        if ms > self.call.lookback_ms {
            return Err(format!(
                "window of {} is longer than the rule's lookback of {}",
                show_duration(ms),
                show_duration(self.call.lookback_ms)
            )
            .into());
        }
        Ok(ms)
    }

    /// `neighbours()`: `#{asset, kind, domain, relation, hops}` per neighbour, nearest first.
    fn neighbours(&self) -> Array {
        let Some(set) = self.call.neighbours.and_then(|s| self.sets.get(s as usize)) else {
            return Array::new();
        };
        set.members
            .iter()
            .map(|n| {
                let asset = &self.generation.assets[n.asset.0 as usize];
                let mut map = Map::new();
                map.insert("asset".into(), asset.id.as_str().into());
                map.insert("kind".into(), asset.kind.as_str().into());
                map.insert("domain".into(), asset.domain.as_str().into());
                map.insert("relation".into(), n.relation.as_str().into());
                map.insert("hops".into(), INT::from(n.hops).into());
                Dynamic::from_map(map)
            })
            .collect()
    }

    /// Nearest-rank percentile of `window`.
    fn percentile(&mut self, window: &Window, p: f64) -> Result<Dynamic, Failure> {
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("percentile {p} is outside 0..=100").into());
        }
        let mut values = std::mem::take(&mut self.scratch);
        values.clear();
        self.history.values(window, &mut values);
        let result = percentile(&mut values, p);
        let samples = values.len();
        self.scratch = values;
        budget::check_scan(samples)?;
        Ok(optional(result))
    }
}

/// `window` after its scan: a large one is a moment to look at the time budget.
fn scanned(window: Window) -> Result<Window, Failure> {
    budget::check_scan(window.count as usize)?;
    Ok(window)
}

/// `()` for `None`.
fn optional(value: Option<f64>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from_float)
}

/// Locks the desk; a poisoned lock (a panic elsewhere) still holds consistent tables.
pub(crate) fn lock(desk: &SharedDesk) -> MutexGuard<'_, Desk> {
    desk.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers the script API on `engine`, bound to `desk`.
pub(crate) fn register(engine: &mut Engine, desk: &SharedDesk) {
    engine.register_type_with_name::<Window>("Window");

    let d = desk.clone();
    native("window").register_into_engine(engine, move |metric: &str, duration: &str| {
        lock(&d).own_window(metric, duration)
    });
    let d = desk.clone();
    native("window_of").register_into_engine(
        engine,
        move |asset: &str, metric: &str, duration: &str| {
            lock(&d).neighbour_window(asset, metric, duration)
        },
    );
    let d = desk.clone();
    native("latest").register_into_engine(engine, move |asset: &str, metric: &str| {
        lock(&d).latest(asset, metric)
    });
    let d = desk.clone();
    native("neighbours").register_into_engine(engine, move || lock(&d).neighbours());

    register_statistics(engine);
    let d = desk.clone();
    native("percentile").register_into_engine(engine, move |w: &mut Window, p: INT| {
        lock(&d).percentile(w, p as f64)
    });
    let d = desk.clone();
    native("percentile").register_into_engine(engine, move |w: &mut Window, p: f64| {
        lock(&d).percentile(w, p)
    });
}

/// The window methods that need only the window.
fn register_statistics(engine: &mut Engine) {
    native("count").register_into_engine(engine, |w: &mut Window| INT::from(w.count));
    native("is_empty").register_into_engine(engine, |w: &mut Window| w.count == 0);
    native("mean").register_into_engine(engine, |w: &mut Window| optional(w.mean()));
    native("min").register_into_engine(engine, |w: &mut Window| optional(w.min()));
    native("max").register_into_engine(engine, |w: &mut Window| optional(w.max()));
    native("stddev").register_into_engine(engine, |w: &mut Window| optional(w.stddev()));
    native("first").register_into_engine(engine, |w: &mut Window| optional(w.first()));
    native("last").register_into_engine(engine, |w: &mut Window| optional(w.last()));
    native("delta").register_into_engine(engine, |w: &mut Window| optional(w.delta()));
    native("rate").register_into_engine(
        engine,
        |w: &mut Window, per: &str| -> Result<Dynamic, Failure> {
            let per_ms = parse_duration(per)
                .ok_or_else(|| Failure::from(format!("bad duration `{per}`: {DURATION_HINT}")))?;
            Ok(optional(w.rate(per_ms)))
        },
    );
    native("to_string").register_into_engine(engine, |w: &mut Window| describe(w));
    native("to_debug").register_into_engine(engine, |w: &mut Window| describe(w));
}

/// `Window(count=10, mean=12.5, min=.., max=..)` for `print` and string interpolation.
pub(crate) fn describe(w: &Window) -> String {
    match (w.mean(), w.min(), w.max()) {
        (Some(mean), Some(min), Some(max)) => {
            format!(
                "Window(count={}, mean={mean}, min={min}, max={max})",
                w.count
            )
        }
        _ => "Window(count=0)".to_owned(),
    }
}

/// A volatile registration: never evaluated by the optimiser.
fn native(name: &str) -> FuncRegistration {
    FuncRegistration::new(name).with_volatility(true)
}
