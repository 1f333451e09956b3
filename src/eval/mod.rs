//! The rule engine: per-sensor rule state, evaluated in event time on each reading and at the
//! rules' own deadlines when the clock passes them, producing alarm, warning and device-fault
//! changes.
//!
//! Layout: rules are bound to sensors once, when the engine is built (`build`); state lives in
//! flat `Vec`s (`state`), so a reading costs one hash probe for its sensor, a short scan of that
//! sensor's streams for its metric, and a pass over the stream's bindings, with no allocation
//! unless a level moves. [`Engine::evaluate_batch`] does the same for a batch with the memory
//! loads of each chunk overlapped (about twice the throughput on 100,000 sensors).
//! Primitives: `binding` (one rule on one reading), `threshold` (persistence and hysteresis),
//! `rate` (rate and dual control), `faults` (range and offline), `warnings` (max over bindings,
//! messages), `emit` (changes), `timers` (the deadlines at which levels move between readings:
//! `for` runs completing, clear countdowns ending; fired by `tick` and by the stream's next
//! reading, stamped with the deadline). Rule semantics for rule editors are in `docs/RULES.md`
//! ("Time" for event and processing time).

use std::sync::Arc;

use crate::model::{
    AssetId, Change, FaultKind, Generation, HazardId, Ladder, Level, MetricId, OpenAlarm,
    OpenFault, Reading, SensorId, SensorIx, Timestamp,
};
use crate::script::{Limits, ScriptFault, ScriptHost};

/// Script faults kept until the runtime takes them; more are counted, not kept.
const MAX_PENDING_FAULTS: usize = 1024;

mod binding;
mod build;
mod carry;
mod cascade;
mod composite;
mod emit;
mod faults;
mod image;
mod rate;
mod scripted;
mod state;
mod threshold;
mod timers;
mod warnings;

pub use carry::EngineSnapshot;
pub use image::{ImageError, StateImage};

use binding::Moment;
use build::{Check, MetricPlan, RulePlan};
use cascade::{Cascades, Trigger};
use composite::Composites;
use emit::{Moved, Reason, Tables};
use state::{
    Binding, EVIDENCE, FAULT_OFFLINE, FAULT_OUT_OF_RANGE, NEVER, PersistState, STREAM_ARMED,
    STREAM_WATCHED, Sample, Stream,
};
use timers::{NONE, Timers};
use warnings::WarningBoard;

/// How long after a rule deadline the clock tick waits before firing it, by default: a reading
/// stamped at or before the deadline that arrives within this time still decides it, as if it
/// had arrived at once (ingest latency; a periodic sensor's next reading often falls exactly on a
/// deadline). The change is stamped with the deadline all the same.
pub const DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Readings per chunk of [`Engine::evaluate_batch`].
pub const BATCH_CHUNK: usize = 32;

/// Evaluates readings against one generation's rules.
#[derive(Debug)]
pub struct Engine {
    /// The generation in force.
    generation: Arc<Generation>,
    /// One plan per rule (same order as `generation.rules`).
    plans: Vec<RulePlan>,
    /// One plan per metric (same order as `generation.metrics`).
    metrics: Vec<MetricPlan>,
    /// Distinct effective ladders, shared by bindings.
    ladders: Vec<Ladder>,
    /// Distinct hazards of the rules.
    hazards: Vec<HazardId>,
    /// Offsets: sensor `s` owns `streams[sensor_streams[s]..sensor_streams[s + 1]]`.
    sensor_streams: Vec<u32>,
    /// One per (sensor, metric reported).
    streams: Vec<Stream>,
    /// One per (stream, rule), grouped by stream.
    bindings: Vec<Binding>,
    /// Persistence state of the threshold bindings that need one.
    persist: Vec<PersistState>,
    /// One warning per (asset, hazard).
    warnings: WarningBoard,
    /// Lower bound of the earliest offline deadline ([`i64::MAX`]: none); `tick` sweeps only past it.
    next_offline_check: i64,
    /// Each stream's next rule deadline (a `for` run completing, a clear countdown ending).
    timers: Timers,
    /// Milliseconds `tick` waits past a rule deadline before firing it ([`DEADLINE_GRACE`]).
    grace: i64,
    /// Readings ignored because they were not newer than the last of their (sensor, metric).
    late: u64,
    /// Readings ignored because the generation does not know their sensor or metric.
    unknown: u64,
    /// Cascade plan.
    cascades: Cascades,
    /// Sequence and cluster rules.
    composites: Composites,
    /// The script host, when the generation has scripted rules.
    scripts: Option<ScriptHost>,
    /// Script faults not yet taken by the runtime.
    script_faults: Vec<ScriptFault>,
    /// Script faults ever raised (taken or not).
    script_fault_count: u64,
}

impl Engine {
    /// An engine with empty state for `generation`.
    pub fn new(generation: Arc<Generation>) -> Engine {
        Engine::with_limits(generation, Limits::default())
    }

    /// An engine with empty state for `generation`, its scripts run under `limits`.
    pub fn with_limits(generation: Arc<Generation>, limits: Limits) -> Engine {
        let mut layout = build::layout(&generation);
        let has_scripts = generation
            .rules
            .iter()
            .any(|r| matches!(r.kind, crate::model::RuleKind::Script(_)));
        let scripts =
            has_scripts.then(|| ScriptHost::new(Arc::clone(&generation), &layout.graph, limits));
        if let Some(host) = &scripts {
            for stream in &mut layout.streams {
                if host.watches(SensorIx(stream.sensor), stream.metric as usize) {
                    stream.faults |= STREAM_WATCHED;
                }
            }
        }
        let stream_count = layout.streams.len();
        Engine {
            generation,
            plans: layout.plans,
            metrics: layout.metrics,
            ladders: layout.ladders,
            hazards: layout.hazards,
            sensor_streams: layout.sensor_streams,
            streams: layout.streams,
            bindings: layout.bindings,
            persist: layout.persist,
            warnings: layout.warnings,
            next_offline_check: i64::MAX,
            timers: Timers::new(stream_count),
            grace: crate::model::time::duration_millis(DEADLINE_GRACE),
            late: 0,
            unknown: 0,
            cascades: layout.cascades,
            composites: layout.composites,
            scripts,
            script_faults: Vec::new(),
            script_fault_count: 0,
        }
    }

    /// Script faults raised since the last call (a script stopped by a limit, a type error, a
    /// bad return); the rule kept its previous level and every other rule ran.
    pub fn take_script_faults(&mut self) -> Vec<ScriptFault> {
        std::mem::take(&mut self.script_faults)
    }

    /// Script faults ever raised by this engine.
    pub fn script_fault_count(&self) -> u64 {
        self.script_fault_count
    }

    /// The generation in force.
    pub fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// Restores state after a restart from what the store holds: standing alarms (and so the
    /// warning levels), active faults, and the last reading time per (sensor, metric). Emits
    /// nothing. Entries the generation no longer knows are skipped. Follow it with
    /// [`Engine::restore_samples`] to rebuild windows and timers from recent readings.
    pub fn restore(
        &mut self,
        alarms: &[OpenAlarm],
        faults: &[OpenFault],
        latest: &[(SensorId, MetricId, Timestamp)],
    ) {
        for alarm in alarms {
            let Some(rule) = self.generation.rule(alarm.rule.as_str()) else {
                continue;
            };
            let Some(metric) = &rule.metric else {
                self.restore_composite(alarm);
                continue;
            };
            let Some(stream) = self.stream_of(alarm.sensor.as_str(), metric.as_str()) else {
                continue;
            };
            let stream = &self.streams[stream];
            let first = stream.first_binding as usize;
            let range = first..first + usize::from(stream.bindings);
            let sensor = &self.generation.sensors[stream.sensor as usize];
            for binding in &mut self.bindings[range] {
                if self.generation.rules[binding.rule as usize].id != alarm.rule {
                    continue;
                }
                let from = binding.level;
                binding.level = Some(alarm.level);
                binding.clear_since = NEVER;
                let hazard = self.plans[binding.rule as usize].hazard;
                // a shadow rule's level is its own; it never counts towards a warning
                if let Some(slot) = self.warnings.find(sensor.asset_ix.0, hazard)
                    && !rule.shadow
                {
                    self.warnings.apply(slot, from, binding.level);
                }
            }
        }
        for fault in faults {
            if let Some(s) = self.stream_of(fault.sensor.as_str(), fault.metric.as_str()) {
                self.streams[s].faults |= match fault.kind {
                    FaultKind::Offline => FAULT_OFFLINE,
                    FaultKind::OutOfRange => FAULT_OUT_OF_RANGE,
                };
            }
        }
        for (sensor, metric, ts) in latest {
            if let Some(s) = self.stream_of(sensor.as_str(), metric.as_str()) {
                let stream = &mut self.streams[s];
                stream.last_ts = stream.last_ts.max(ts.0);
            }
        }
        // deadlines are unknown until the next sweep
        self.next_offline_check = i64::MIN;
        self.restore_cascades();
        self.rearm_timers();
    }

    /// A standing sequence or cluster alarm from the store.
    fn restore_composite(&mut self, alarm: &OpenAlarm) {
        let (Some(rule), Some(sensor)) = (
            self.generation
                .rules
                .iter()
                .position(|r| r.id == alarm.rule),
            self.generation.sensor_ix(alarm.sensor.as_str()),
        ) else {
            return;
        };
        let asset = self.generation.sensor_at(sensor).asset_ix.0;
        let hazard = self.plans[rule].hazard;
        self.composites.restore(rule as u32, sensor.0, asset);
        // a shadow rule's level is its own; it never counts towards a warning
        if let Some(slot) = self.warnings.find(asset, hazard)
            && !self.generation.rules[rule].shadow
        {
            self.warnings.apply(slot, None, Some(alarm.level));
        }
    }

    /// Re-derives every cascade contribution from the restored warnings, silently.
    fn restore_cascades(&mut self) {
        if self.cascades.hazards.is_empty() {
            return;
        }
        let mut sink = Vec::new();
        for slot in 0..self.warnings.slots.len() as u32 {
            let level = self.warnings.slots[slot as usize].level;
            if level.is_none() {
                continue;
            }
            let trigger = Trigger {
                sensor: SensorId::new(""),
                ts: NEVER,
            };
            cascade::propagate(
                &self.generation,
                &self.hazards,
                &self.cascades,
                &mut self.warnings,
                slot,
                (None, level),
                &trigger,
                &mut Vec::new(),
                &mut sink,
            );
        }
    }

    /// Warms rule state after a restart from recent stored readings (any order): sample windows
    /// (rate rules, evidence), persistence runs (`for`, `count`) and clear timers are rebuilt by
    /// running the rules silently, while alarm levels stay as [`Engine::restore`] set them.
    /// Nothing is emitted. Call it after `restore`, with at least the longest `for`, rate window
    /// and `clear.after` worth of readings; without it those timers start afresh, so a pending
    /// raise or clear may come up to that much later (never twice, never lost).
    pub fn restore_samples(&mut self, readings: &[Reading]) {
        let mut sorted: Vec<&Reading> = readings.iter().collect();
        sorted.sort_by_key(|r| r.ts);
        for reading in sorted {
            let Some(s) = self.stream_of(reading.sensor.as_str(), reading.metric.as_str()) else {
                continue;
            };
            let stream = &mut self.streams[s];
            let ts = reading.ts.0;
            stream.last_ts = stream.last_ts.max(ts);
            let metric = &self.metrics[stream.metric as usize];
            let newest = stream.samples.latest(1).next().map_or(NEVER, |x| x.ts);
            let in_range = reading.value >= metric.low && reading.value <= metric.high;
            if ts > newest && in_range {
                self.run_rules(s, reading.value, ts, None);
            }
        }
        self.next_offline_check = i64::MIN;
        self.rearm_timers();
    }

    /// Re-derives every stream's rule deadline from the rule state (after the state was set
    /// other than by evaluating: a restore, a resume, faults aligned with the store, reading times
    /// rewound). Deadlines already past fire, stamped with their own time, on the next tick or
    /// reading of their stream.
    pub fn rearm_timers(&mut self) {
        self.timers.clear();
        for s in 0..self.streams.len() {
            let due = self.stream_deadline(s);
            self.arm(s, due);
        }
    }

    /// Arms stream `s` at `due` ([`NONE`]: disarms) and keeps its armed flag.
    #[inline]
    fn arm(&mut self, s: usize, due: i64) {
        self.timers.arm(s, due);
        let stream = &mut self.streams[s];
        if due == NONE {
            stream.faults &= !STREAM_ARMED;
        } else {
            stream.faults |= STREAM_ARMED;
        }
    }

    /// Evaluates one reading (already through the ingest gate), appending changes to `out`.
    pub fn evaluate(&mut self, reading: &Reading, out: &mut Vec<Change>) {
        match self.stream_of(reading.sensor.as_str(), reading.metric.as_str()) {
            Some(s) => self.evaluate_stream(s, reading, out),
            None => self.unknown += 1,
        }
    }

    /// Evaluates `readings` in order, with exactly the changes of calling [`Engine::evaluate`] on
    /// each, but faster for large batches: per chunk of [`BATCH_CHUNK`] readings it first finds
    /// every reading's stream and touches its state, so the chunk's memory loads overlap instead
    /// of waiting for each other.
    pub fn evaluate_batch(&mut self, readings: &[Reading], out: &mut Vec<Change>) {
        let mut ix = [usize::MAX; BATCH_CHUNK];
        for chunk in readings.chunks(BATCH_CHUNK) {
            // each pass has short dependency chains, so the loads of a chunk run in parallel:
            // sensor positions (hash probes) ...
            for (slot, reading) in ix.iter_mut().zip(chunk) {
                *slot = self
                    .generation
                    .sensor_ix(reading.sensor.as_str())
                    .map_or(usize::MAX, |s| s.0 as usize);
            }
            // ... the sensors' first streams ...
            let mut sink = 0i64;
            for &s in &ix[..chunk.len()] {
                let first = self.sensor_streams.get(s).map_or(0, |f| *f as usize);
                sink ^= self.streams.get(first).map_or(0, |stream| stream.last_ts);
            }
            // ... the streams of the readings' metrics ...
            for (slot, reading) in ix.iter_mut().zip(chunk) {
                if *slot != usize::MAX {
                    *slot = self
                        .stream_in(*slot, reading.metric.as_str())
                        .unwrap_or(usize::MAX);
                }
            }
            // ... and their state
            for &s in &ix[..chunk.len()] {
                sink ^= self.touch(s);
            }
            std::hint::black_box(sink);
            for (reading, &s) in chunk.iter().zip(&ix) {
                if s == usize::MAX {
                    self.unknown += 1;
                } else {
                    self.evaluate_stream(s, reading, out);
                }
            }
        }
    }

    /// Loads the state of stream `s` (its header, samples, bindings and persistence) so that it
    /// is in cache when the stream is evaluated; returns a value derived from it.
    #[inline]
    fn touch(&self, s: usize) -> i64 {
        let Some(stream) = self.streams.get(s) else {
            return 0;
        };
        let mut sink = stream.last_ts ^ stream.samples.touch();
        let first = stream.first_binding as usize;
        for binding in self
            .bindings
            .iter()
            .skip(first)
            .take(usize::from(stream.bindings))
        {
            sink ^= binding.clear_since;
            if let Some(state) = self.persist.get(binding.persist as usize) {
                sink ^= state.since[0];
            }
        }
        sink
    }

    /// Evaluates `reading` on stream `s`: first the stream's deadlines before the reading's time
    /// (so whether a tick ran first changes nothing), then the reading (which decides a deadline
    /// at its very instant, as it always did); then the stream's next deadline is armed.
    #[inline]
    fn evaluate_stream(&mut self, s: usize, reading: &Reading, out: &mut Vec<Change>) {
        let ts = reading.ts.0;
        if ts <= self.streams[s].last_ts {
            self.late += 1;
            return;
        }
        // the armed deadline (none when the flag says so: most streams most of the time);
        // firing moves the stream's deadline past it, so `next` then differs
        let due = if self.streams[s].faults & STREAM_ARMED != 0 {
            self.stream_deadline(s)
        } else {
            NONE
        };
        if due < ts {
            self.fire_stream(s, ts - 1, out);
        }
        self.evaluate_reading(s, reading, out);
        let next = self.stream_deadline(s);
        if next != due {
            self.arm(s, next);
        }
    }

    /// Evaluates `reading` (newer than the stream's last) on stream `s`.
    #[inline]
    fn evaluate_reading(&mut self, s: usize, reading: &Reading, out: &mut Vec<Change>) {
        let ts = reading.ts.0;
        let value = reading.value;
        let generation = &*self.generation;
        let stream = &mut self.streams[s];
        stream.last_ts = ts;
        let metric = &self.metrics[stream.metric as usize];
        if let Some(due) = faults::deadline(stream, metric) {
            self.next_offline_check = self.next_offline_check.min(due);
        }
        if stream.faults & FAULT_OFFLINE != 0 {
            stream.faults &= !FAULT_OFFLINE;
            let detail = "reporting again".to_owned();
            out.push(faults::fault(
                generation,
                stream,
                FaultKind::Offline,
                false,
                ts,
                detail,
            ));
        }
        // NaN is outside every range
        if !(value >= metric.low && value <= metric.high) {
            if stream.faults & FAULT_OUT_OF_RANGE == 0 {
                stream.faults |= FAULT_OUT_OF_RANGE;
                let detail = faults::out_of_range_detail(value, metric);
                out.push(faults::fault(
                    generation,
                    stream,
                    FaultKind::OutOfRange,
                    true,
                    ts,
                    detail,
                ));
            }
            return;
        }
        if stream.faults & FAULT_OUT_OF_RANGE != 0 {
            stream.faults &= !FAULT_OUT_OF_RANGE;
            let detail = format!("value {} back in range", warnings::number(value));
            out.push(faults::fault(
                generation,
                stream,
                FaultKind::OutOfRange,
                false,
                ts,
                detail,
            ));
        }
        self.run_rules(s, value, ts, Some(out));
    }

    /// Runs the rules of stream `s` on an in-range value. With `out`, level moves are emitted;
    /// without (warming after a restart), levels are kept and only timers and windows move.
    #[inline]
    fn run_rules(&mut self, s: usize, value: f64, ts: i64, mut out: Option<&mut Vec<Change>>) {
        let stream = &mut self.streams[s];
        if stream.faults & STREAM_WATCHED != 0
            && let Some(host) = self.scripts.as_mut()
        {
            host.observe(SensorIx(stream.sensor), stream.metric as usize, ts, value);
        }
        if stream.bindings == 0 {
            return;
        }
        let first = stream.first_binding as usize;
        let range = first..first + usize::from(stream.bindings);
        let window = self.bindings[range.clone()]
            .iter()
            .map(|b| self.plans[b.rule as usize].check.window_ms())
            .max()
            .unwrap_or(0);
        stream.samples.push(Sample { ts, value }, window);
        for b in range {
            let binding = &mut self.bindings[b];
            let plan = &self.plans[binding.rule as usize];
            let from = binding.level;
            let reason = if matches!(plan.check, Check::Script) {
                let Some(verdict) = self.run_script(s, b, value, ts) else {
                    continue;
                };
                Reason::Script(verdict)
            } else {
                let ladder = &self.ladders[binding.ladder as usize];
                let persist = self.persist.get_mut(binding.persist as usize);
                let samples = &self.streams[s].samples;
                let Some(observation) = binding::step(
                    binding,
                    plan,
                    ladder,
                    persist,
                    samples,
                    value,
                    ts,
                    Moment::Reading,
                ) else {
                    continue;
                };
                Reason::Ladder {
                    ladder: binding.ladder,
                    observation,
                }
            };
            let binding = &mut self.bindings[b];
            if binding.level == from {
                continue;
            }
            let Some(out) = out.as_deref_mut() else {
                binding.level = from;
                continue;
            };
            let stream = &self.streams[s];
            let moved = Moved {
                rule: binding.rule,
                sensor: stream.sensor,
                metric: Some(stream.metric),
                from,
                to: binding.level,
                ts,
                reason,
                evidence: self.evidence(s),
            };
            self.emit(moved, out);
        }
    }

    /// Runs the script of binding `b` (on stream `s`) and settles its level: raised at once,
    /// lowered only after the script has said lower for the rule's `clear.after`. A fault leaves
    /// the level as it was and is kept for the runtime.
    fn run_script(
        &mut self,
        s: usize,
        b: usize,
        value: f64,
        ts: i64,
    ) -> Option<crate::script::Verdict> {
        let host = self.scripts.as_mut()?;
        let stream = &self.streams[s];
        let binding = &mut self.bindings[b];
        let sensor = &self.generation.sensors[stream.sensor as usize];
        let reading = Reading {
            sensor: sensor.id.clone(),
            metric: self.generation.metrics[stream.metric as usize].id.clone(),
            value,
            ts: Timestamp(ts),
        };
        match host.run(binding.rule as usize, SensorIx(stream.sensor), &reading) {
            Ok(verdict) => {
                let plan = &self.plans[binding.rule as usize];
                binding.verdict = verdict.level;
                binding.level = scripted::settle(binding, plan, verdict.level, ts);
                Some(verdict)
            }
            Err(fault) => {
                self.script_fault_count += 1;
                if self.script_faults.len() < MAX_PENDING_FAULTS {
                    self.script_faults.push(fault);
                }
                None
            }
        }
    }

    /// The latest samples of stream `s` as readings, for a warning's evidence.
    fn evidence(&self, s: usize) -> Vec<Reading> {
        let stream = &self.streams[s];
        let sensor = &self.generation.sensors[stream.sensor as usize];
        let metric = &self.generation.metrics[stream.metric as usize];
        stream
            .samples
            .latest(EVIDENCE)
            .map(|sample| Reading {
                sensor: sensor.id.clone(),
                metric: metric.id.clone(),
                value: sample.value,
                ts: Timestamp(sample.ts),
            })
            .collect()
    }

    /// Emits an alarm move and everything it sets off: its warning, cascades, and the sequence
    /// and cluster rules that match it (whose own moves are emitted the same way).
    fn emit(&mut self, moved: Moved, out: &mut Vec<Change>) {
        let (rule, sensor, levels, ts) =
            (moved.rule, moved.sensor, (moved.from, moved.to), moved.ts);
        let tables = Tables {
            generation: &self.generation,
            plans: &self.plans,
            ladders: &self.ladders,
            hazards: &self.hazards,
            cascades: &self.cascades,
        };
        let raised = emit::emit(tables, &mut self.warnings, moved, out);
        if !raised || self.composites.is_empty() {
            return;
        }
        let composite_moves =
            self.composites
                .on_alarm(&self.generation, rule, SensorIx(sensor), levels, ts);
        for m in composite_moves {
            let moved = Moved {
                rule: m.rule,
                sensor: m.sensor,
                metric: None,
                from: m.from,
                to: m.to,
                ts,
                reason: Reason::Composite {
                    note: m.note,
                    details: m.details,
                },
                evidence: Vec::new(),
            };
            let tables = Tables {
                generation: &self.generation,
                plans: &self.plans,
                ladders: &self.ladders,
                hazards: &self.hazards,
                cascades: &self.cascades,
            };
            emit::emit(tables, &mut self.warnings, moved, out);
        }
    }

    /// Advances the clock to `now`: fires every rule deadline `now` has passed by more than the
    /// grace ([`Engine::set_deadline_grace`]), earliest first (`for` runs completing, clear
    /// countdowns ending; each change stamped with its deadline, not `now`), then raises offline
    /// faults for sensors that stopped reporting. A deadline is passed once the clock is after it,
    /// as an offline limit is: at the deadline's very instant a reading stamped with it may still
    /// come and decide, and within the grace such a reading may still be on its way.
    /// Costs two comparisons when nothing is due; each deadline costs a heap pop and a pass over
    /// its stream's bindings; an offline check past the earliest offline deadline costs one sweep
    /// over all streams.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<Change>) {
        self.fire_before(now.0.saturating_sub(self.grace), out);
        if now.0 <= self.next_offline_check {
            return;
        }
        self.next_offline_check = faults::sweep_offline(
            &self.generation,
            &mut self.streams,
            &self.metrics,
            now.0,
            out,
        );
    }

    /// Fires every rule deadline at or before `through` (and no offline check), for a caller
    /// that knows no reading stamped `through` or earlier is still to come: replay and rule tests
    /// closing an instant before they look at the state, so that what is stamped `through` is
    /// seen at `through`.
    pub fn close_instant(&mut self, through: Timestamp, out: &mut Vec<Change>) {
        self.fire_before(through.0.saturating_add(1), out);
    }

    /// Fires every rule deadline before `now`, earliest first.
    fn fire_before(&mut self, now: i64, out: &mut Vec<Change>) {
        while let Some((due, s)) = self.timers.pop_due(now) {
            self.fire_stream(s, due, out);
            let next = self.stream_deadline(s);
            // firing always moves past the deadline; a deadline that did not move is dropped
            // rather than fired forever (its stream's next reading re-evaluates it)
            debug_assert!(next > due, "deadline {due} of stream {s} did not move");
            if next > due {
                self.arm(s, next);
            } else {
                self.arm(s, NONE);
            }
        }
    }

    /// The earliest instant at which [`Engine::tick`] may raise an offline fault (a lower bound),
    /// or `None` when no sensor can go offline yet. Replay ticks at these instants.
    pub fn next_offline_check(&self) -> Option<Timestamp> {
        match self.next_offline_check {
            i64::MAX => None,
            i64::MIN => Some(Timestamp(i64::MIN)),
            due => Some(Timestamp(due.saturating_add(1))),
        }
    }

    /// The instant at which [`Engine::tick`] fires the earliest pending rule deadline (a `for`
    /// run completing, a clear countdown ending: the grace and one millisecond after it), or
    /// `None`. Replay and rule tests tick at these instants, in order, as the server's clock would.
    pub fn next_deadline(&mut self) -> Option<Timestamp> {
        let grace = self.grace;
        self.timers
            .next()
            .map(|due| Timestamp(due.saturating_add(grace).saturating_add(1)))
    }

    /// Sets how long [`Engine::tick`] waits past a rule deadline before firing it (default
    /// [`DEADLINE_GRACE`]). Replay and rule tests, whose readings all arrive on time, use zero.
    pub fn set_deadline_grace(&mut self, grace: std::time::Duration) {
        self.grace = crate::model::time::duration_millis(grace);
    }

    /// The earliest instant of stream `s`'s bindings' deadlines, [`NONE`] when nothing is pending
    /// or the stream's deadlines wait for its next reading: its latest reading was out of range
    /// (a faulty device's last good value is not trusted to complete a run or a clear), or the
    /// deadline falls after the stream's offline limit (a silent sensor's last value is not either).
    #[inline]
    fn stream_deadline(&self, s: usize) -> i64 {
        let stream = &self.streams[s];
        if stream.bindings == 0 || stream.faults & FAULT_OUT_OF_RANGE != 0 {
            return NONE;
        }
        let Some(latest) = stream.samples.latest(1).next() else {
            return NONE;
        };
        let first = stream.first_binding as usize;
        let mut due = NONE;
        for binding in &self.bindings[first..first + usize::from(stream.bindings)] {
            let plan = &self.plans[binding.rule as usize];
            let ladder = &self.ladders[binding.ladder as usize];
            let persist = self.persist.get(binding.persist as usize);
            due = due.min(binding::deadline(
                binding,
                plan,
                ladder,
                persist,
                &stream.samples,
                latest.value,
            ));
        }
        let metric = &self.metrics[stream.metric as usize];
        match faults::deadline(stream, metric) {
            Some(offline) if due > offline => NONE,
            _ => due,
        }
    }

    /// Fires stream `s`'s deadlines at or before `upto`, earliest first.
    fn fire_stream(&mut self, s: usize, upto: i64, out: &mut Vec<Change>) {
        loop {
            let due = self.stream_deadline(s);
            if due > upto {
                return;
            }
            if !self.fire_at(s, due, out) {
                return;
            }
        }
    }

    /// Evaluates the bindings of stream `s` whose deadline is `due`, at `due`, on the stream's
    /// latest observation; emits their moves stamped `due`. Returns whether any level moved.
    fn fire_at(&mut self, s: usize, due: i64, out: &mut Vec<Change>) -> bool {
        let stream = &self.streams[s];
        let Some(latest) = stream.samples.latest(1).next() else {
            return false;
        };
        let value = latest.value;
        let first = stream.first_binding as usize;
        let mut moved_any = false;
        for b in first..first + usize::from(stream.bindings) {
            let binding = &self.bindings[b];
            let plan = &self.plans[binding.rule as usize];
            let ladder = &self.ladders[binding.ladder as usize];
            let samples = &self.streams[s].samples;
            let persist = self.persist.get(binding.persist as usize);
            if binding::deadline(binding, plan, ladder, persist, samples, value) != due {
                continue;
            }
            let from = binding.level;
            let binding = &mut self.bindings[b];
            let reason = if matches!(plan.check, Check::Script) {
                let verdict = binding.verdict;
                binding.level = scripted::settle(binding, plan, verdict, due);
                Reason::Script(crate::script::Verdict {
                    level: verdict,
                    ..crate::script::Verdict::none()
                })
            } else {
                let persist = self.persist.get_mut(binding.persist as usize);
                let Some(observation) = binding::step(
                    binding,
                    plan,
                    ladder,
                    persist,
                    samples,
                    value,
                    due,
                    Moment::Deadline,
                ) else {
                    continue;
                };
                Reason::Ladder {
                    ladder: binding.ladder,
                    observation,
                }
            };
            let binding = &self.bindings[b];
            if binding.level == from {
                continue;
            }
            moved_any = true;
            let stream = &self.streams[s];
            let moved = Moved {
                rule: binding.rule,
                sensor: stream.sensor,
                metric: Some(stream.metric),
                from,
                to: binding.level,
                ts: due,
                reason,
                evidence: self.evidence(s),
            };
            self.emit(moved, out);
        }
        moved_any
    }

    /// Readings ignored as late or duplicate (not newer than the last of their sensor and metric).
    pub fn late_readings(&self) -> u64 {
        self.late
    }

    /// Readings ignored because the generation does not know their sensor, or the sensor does not
    /// report their metric.
    pub fn unknown_readings(&self) -> u64 {
        self.unknown
    }

    /// Number of (sensor, rule) bindings.
    pub fn binding_count(&self) -> usize {
        self.bindings.len()
    }

    /// Bytes of rule state held: every table's capacity plus the sample rings' heap.
    pub fn state_bytes(&self) -> usize {
        use std::mem::size_of;
        std::mem::size_of::<Engine>()
            + self.plans.capacity() * size_of::<RulePlan>()
            + self.metrics.capacity() * size_of::<MetricPlan>()
            + self.ladders.capacity() * size_of::<Ladder>()
            + self.hazards.capacity() * size_of::<HazardId>()
            + self.sensor_streams.capacity() * size_of::<u32>()
            + self.streams.capacity() * size_of::<Stream>()
            + self
                .streams
                .iter()
                .map(|s| s.samples.heap_bytes())
                .sum::<usize>()
            + self.bindings.capacity() * size_of::<Binding>()
            + self.persist.capacity() * size_of::<PersistState>()
            + self.warnings.heap_bytes()
            + self.timers.heap_bytes()
    }

    /// The alarm level of `rule` on `sensor` (inspection; a scan of the sensor's bindings).
    pub fn alarm_level(&self, sensor: &str, rule: &str) -> Option<Level> {
        let Some(metric) = self.generation.rule(rule)?.metric.as_ref() else {
            // a sequence or cluster rule: its alarms live with the composites
            let ix = self
                .generation
                .rules
                .iter()
                .position(|r| r.id.as_str() == rule)?;
            let sensor = self.generation.sensor_ix(sensor)?;
            return self.composites.level(ix as u32, sensor.0);
        };
        let metric = metric.as_str();
        let stream = &self.streams[self.stream_of(sensor, metric)?];
        let first = stream.first_binding as usize;
        self.bindings[first..first + usize::from(stream.bindings)]
            .iter()
            .find(|b| self.generation.rules[b.rule as usize].id.as_str() == rule)
            .and_then(|b| b.level)
    }

    /// Every warning with a level, as (asset, hazard, level): what the store's open warnings
    /// should be. Used at start-up to reconcile the store with a new configuration.
    pub fn standing_warnings(&self) -> Vec<(AssetId, HazardId, Level)> {
        self.warnings
            .slots
            .iter()
            .filter_map(|w| {
                let level = w.level?;
                let asset = self.generation.assets[w.asset as usize].id.clone();
                Some((asset, self.hazards[w.hazard as usize].clone(), level))
            })
            .collect()
    }

    /// The warning level of (`asset`, `hazard`) (inspection; a scan of all warnings).
    pub fn warning_level(&self, asset: &str, hazard: &str) -> Option<Level> {
        self.warnings
            .slots
            .iter()
            .find(|w| {
                self.generation.assets[w.asset as usize].id.as_str() == asset
                    && self.hazards[w.hazard as usize].as_str() == hazard
            })
            .and_then(|w| w.level)
    }

    /// The stream of (`sensor`, `metric`): one hash probe, then a scan of the sensor's streams.
    #[inline]
    fn stream_of(&self, sensor: &str, metric: &str) -> Option<usize> {
        let s = self.generation.sensor_ix(sensor)?.0 as usize;
        self.stream_in(s, metric)
    }

    /// The stream of `metric` among sensor `s`'s streams.
    #[inline]
    fn stream_in(&self, s: usize, metric: &str) -> Option<usize> {
        let (first, end) = (
            *self.sensor_streams.get(s)?,
            *self.sensor_streams.get(s + 1)?,
        );
        (first as usize..end as usize).find(|&i| {
            self.generation.metrics[self.streams[i].metric as usize]
                .id
                .as_str()
                == metric
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
