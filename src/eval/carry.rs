//! Carrying rule state across a configuration reload: a snapshot of what an engine knows
//! (standing alarms, active faults, last reading times and recent samples) and a new engine for
//! the new generation built from it. Alarms of rules whose definition changed (or that are gone)
//! are not carried: their warnings are reconciled by `runtime::reconcile`.

use std::sync::Arc;

use crate::model::{
    FaultKind, Generation, MetricId, OpenAlarm, OpenFault, Reading, SensorId, Timestamp,
};

use super::Engine;
use super::state::{FAULT_OFFLINE, FAULT_OUT_OF_RANGE, NEVER};

/// What an engine knows, detached from its tables.
#[derive(Debug, Default)]
pub struct EngineSnapshot {
    /// The generation the snapshot was taken under.
    pub generation: Option<Arc<Generation>>,
    /// Standing alarms.
    pub alarms: Vec<OpenAlarm>,
    /// Active device faults.
    pub faults: Vec<OpenFault>,
    /// Last reading time per (sensor, metric).
    pub latest: Vec<(SensorId, MetricId, Timestamp)>,
    /// Recent in-range samples of every stream, for windows and timers.
    pub samples: Vec<Reading>,
}

impl Engine {
    /// Takes a snapshot of the engine's state.
    pub fn snapshot(&self) -> EngineSnapshot {
        let generation = &self.generation;
        let mut out = EngineSnapshot {
            generation: Some(Arc::clone(generation)),
            ..EngineSnapshot::default()
        };
        for stream in &self.streams {
            let sensor = &generation.sensors[stream.sensor as usize];
            let metric = &generation.metrics[stream.metric as usize];
            if stream.last_ts != NEVER {
                out.latest.push((
                    sensor.id.clone(),
                    metric.id.clone(),
                    Timestamp(stream.last_ts),
                ));
            }
            for (bit, kind) in [
                (FAULT_OFFLINE, FaultKind::Offline),
                (FAULT_OUT_OF_RANGE, FaultKind::OutOfRange),
            ] {
                if stream.faults & bit != 0 {
                    out.faults.push(OpenFault {
                        sensor: sensor.id.clone(),
                        metric: metric.id.clone(),
                        kind,
                        since: Timestamp(stream.last_ts),
                    });
                }
            }
            out.samples
                .extend(stream.samples.latest(usize::MAX).map(|s| Reading {
                    sensor: sensor.id.clone(),
                    metric: metric.id.clone(),
                    value: s.value,
                    ts: Timestamp(s.ts),
                }));
            let first = stream.first_binding as usize;
            for binding in &self.bindings[first..first + usize::from(stream.bindings)] {
                let Some(level) = binding.level else {
                    continue;
                };
                let rule = &generation.rules[binding.rule as usize];
                out.alarms.push(OpenAlarm {
                    rule: rule.id.clone(),
                    sensor: sensor.id.clone(),
                    asset: sensor.asset.clone(),
                    hazard: rule.hazard.clone(),
                    level,
                    since: Timestamp(stream.last_ts),
                });
            }
        }
        for (rule, sensor, level) in self.composites.standing() {
            let rule = &generation.rules[rule as usize];
            let sensor = &generation.sensors[sensor as usize];
            out.alarms.push(OpenAlarm {
                rule: rule.id.clone(),
                sensor: sensor.id.clone(),
                asset: sensor.asset.clone(),
                hazard: rule.hazard.clone(),
                level,
                since: Timestamp(NEVER),
            });
        }
        out
    }

    /// An engine for `generation` that resumes from `snapshot`: alarms of rules whose definition
    /// is unchanged are kept (with their warnings), faults and reading times are kept, and
    /// windows and timers are warmed from the samples. Emits nothing.
    pub fn resume(generation: Arc<Generation>, snapshot: &EngineSnapshot) -> Engine {
        let unchanged = |alarm: &&OpenAlarm| {
            let new = generation.rule(alarm.rule.as_str());
            let old = snapshot
                .generation
                .as_ref()
                .and_then(|g| g.rule(alarm.rule.as_str()));
            matches!((old, new), (Some(old), Some(new)) if old == new)
        };
        let alarms: Vec<OpenAlarm> = snapshot.alarms.iter().filter(unchanged).cloned().collect();
        let mut engine = Engine::new(Arc::clone(&generation));
        engine.restore(&alarms, &snapshot.faults, &snapshot.latest);
        engine.restore_samples(&snapshot.samples);
        engine
    }
}

impl Engine {
    /// Sets every stream's device-fault flags to exactly the active `faults` the store holds
    /// (the store is the record of what the clock tick raised while the engine was not
    /// snapshotting). Emits nothing.
    pub fn align_faults(&mut self, faults: &[OpenFault]) {
        for stream in &mut self.streams {
            stream.faults &= !(FAULT_OFFLINE | FAULT_OUT_OF_RANGE);
        }
        for fault in faults {
            if let Some(s) = self.stream_of(fault.sensor.as_str(), fault.metric.as_str()) {
                self.streams[s].faults |= match fault.kind {
                    FaultKind::Offline => FAULT_OFFLINE,
                    FaultKind::OutOfRange => FAULT_OUT_OF_RANGE,
                };
            }
        }
        self.next_offline_check = i64::MIN;
    }

    /// Forgets, for each stream of `pending`, the last reading time back to just before the
    /// oldest of them, so those stored-but-unevaluated readings are evaluated and not taken for
    /// re-sent ones (after a restore from the newest stored reading times).
    pub fn rewind(&mut self, pending: &[Reading]) {
        for reading in pending {
            if let Some(s) = self.stream_of(reading.sensor.as_str(), reading.metric.as_str()) {
                let stream = &mut self.streams[s];
                stream.last_ts = stream.last_ts.min(reading.ts.0.saturating_sub(1));
            }
        }
    }
}
