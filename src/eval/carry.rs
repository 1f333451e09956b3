//! Carrying rule state across a configuration reload: a snapshot of what an engine knows
//! (standing alarms, active faults, last reading times, recent samples, and each binding's
//! pending `for` runs and clear countdown) and a new engine for the new generation built from it.
//!
//! What is carried depends on each rule's [`Judgement`] (`model::diff::judgement`), which
//! compares what rules judge, not their text:
//! - `Same` (only the description, basis or other words changed): alarms, `for` runs and clear
//!   countdowns are kept exactly, so nothing moves;
//! - `Regraded` (same metric, hazard and objects, other levels, persistence, rate or clear
//!   policy): the alarm is judged again in place from the latest reading by the new rule's
//!   ladder (see [`regrade_level`]); persistence and clear timers start from there;
//! - `Replaced` and `Removed`: the alarm ends; `Added`: starts from nothing.
//!
//! The runtime (`runtime::reconcile`) then writes the difference between what the store holds
//! and what the resumed engine holds, one history entry per moved warning.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::model::diff::{Judgement, judgements};
use crate::model::{
    FaultKind, Generation, Ladder, Level, MetricId, OpenAlarm, OpenFault, Reading, RuleId,
    SensorId, Timestamp,
};

use super::Engine;
use super::build::Check;
use super::emit::{Moved, Reason};
use super::rate;
use super::state::{FAULT_OFFLINE, FAULT_OUT_OF_RANGE, NEVER, PersistState};
use super::warnings::Observation;

/// The timers of one rule on one stream: what a `Same` rule carries across a reload.
#[derive(Clone, Debug)]
pub(crate) struct BindingTimers {
    /// The rule.
    rule: RuleId,
    /// The sensor.
    sensor: SensorId,
    /// The metric read.
    metric: MetricId,
    /// Start of the current clear run ([`NEVER`]: not clearing).
    clear_since: i64,
    /// Per-level persistence runs (`for`, `count`), when the rule has any.
    persist: Option<PersistState>,
}

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
    /// Pending `for` runs and clear countdowns of every binding.
    pub(crate) timers: Vec<BindingTimers>,
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
                out.timers.push(BindingTimers {
                    rule: generation.rules[binding.rule as usize].id.clone(),
                    sensor: sensor.id.clone(),
                    metric: metric.id.clone(),
                    clear_since: binding.clear_since,
                    persist: self.persist.get(binding.persist as usize).copied(),
                });
            }
        }
        out.alarms = self.standing_alarms();
        out
    }

    /// Every alarm with a level (rule, sensor, asset, hazard, level), shadow rules' included:
    /// what the store's open alarms should be.
    pub fn standing_alarms(&self) -> Vec<OpenAlarm> {
        let generation = &self.generation;
        let mut alarms = Vec::new();
        for stream in &self.streams {
            let sensor = &generation.sensors[stream.sensor as usize];
            let first = stream.first_binding as usize;
            for binding in &self.bindings[first..first + usize::from(stream.bindings)] {
                let Some(level) = binding.level else {
                    continue;
                };
                let rule = &generation.rules[binding.rule as usize];
                alarms.push(OpenAlarm {
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
            alarms.push(OpenAlarm {
                rule: rule.id.clone(),
                sensor: sensor.id.clone(),
                asset: sensor.asset.clone(),
                hazard: rule.hazard.clone(),
                level,
                since: Timestamp(NEVER),
            });
        }
        alarms
    }

    /// An engine for `generation` that resumes from `snapshot`, carrying each rule's state as
    /// its [`Judgement`] says (see the module documentation). Emits nothing: the moves of
    /// regraded alarms are written by the runtime's reconciliation.
    pub fn resume(generation: Arc<Generation>, snapshot: &EngineSnapshot) -> Engine {
        let judged = snapshot
            .generation
            .as_ref()
            .map(|old| judgements(old, &generation))
            .unwrap_or_default();
        let judged_as = |rule: &RuleId, wanted: &[Judgement]| {
            judged
                .get(rule.as_str())
                .is_some_and(|judgement| wanted.contains(judgement))
        };
        let alarms: Vec<OpenAlarm> = snapshot
            .alarms
            .iter()
            .filter(|alarm| judged_as(&alarm.rule, &[Judgement::Same, Judgement::Regraded]))
            .cloned()
            .collect();
        let mut engine = Engine::new(Arc::clone(&generation));
        engine.restore(&alarms, &snapshot.faults, &snapshot.latest);
        engine.restore_samples(&snapshot.samples);
        for timers in &snapshot.timers {
            if judged_as(&timers.rule, &[Judgement::Same]) {
                engine.carry_timers(timers);
            }
        }
        let regraded: FxHashSet<u32> = generation
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| judged_as(&rule.id, &[Judgement::Regraded]))
            .map(|(ix, _)| ix as u32)
            .collect();
        if !regraded.is_empty() {
            engine.regrade(&regraded);
        }
        engine
    }

    /// Puts a `Same` rule's pending `for` runs and clear countdown on its binding.
    fn carry_timers(&mut self, timers: &BindingTimers) {
        let Some(s) = self.stream_of(timers.sensor.as_str(), timers.metric.as_str()) else {
            return;
        };
        let stream = &self.streams[s];
        let first = stream.first_binding as usize;
        for b in first..first + usize::from(stream.bindings) {
            let binding = &mut self.bindings[b];
            if self.generation.rules[binding.rule as usize].id != timers.rule {
                continue;
            }
            binding.clear_since = timers.clear_since;
            if let (Some(state), Some(carried)) = (
                self.persist.get_mut(binding.persist as usize),
                timers.persist,
            ) {
                *state = carried;
            }
        }
    }

    /// Judges every binding of the `rules` again from its stream's latest reading and moves its
    /// alarm there; the warning board, cascades and composite rules follow as for any move. The
    /// changes are not returned: the runtime writes the difference with the store instead, as
    /// one history entry per warning.
    fn regrade(&mut self, rules: &FxHashSet<u32>) {
        let mut discarded = Vec::new();
        for s in 0..self.streams.len() {
            let stream = &self.streams[s];
            let Some(latest) = stream.samples.latest(1).next() else {
                continue;
            };
            let (sensor, metric) = (stream.sensor, stream.metric);
            let first = stream.first_binding as usize;
            for b in first..first + usize::from(stream.bindings) {
                let binding = &self.bindings[b];
                if !rules.contains(&binding.rule) {
                    continue;
                }
                let plan = &self.plans[binding.rule as usize];
                let ladder = &self.ladders[binding.ladder as usize];
                let Some((to, observation)) =
                    regrade_level(&plan.check, ladder, &self.streams[s].samples, latest.value)
                else {
                    continue;
                };
                let binding = &mut self.bindings[b];
                let from = binding.level;
                binding.clear_since = NEVER;
                if from == to {
                    continue;
                }
                binding.level = to;
                let moved = Moved {
                    rule: binding.rule,
                    sensor,
                    metric: Some(metric),
                    from,
                    to,
                    ts: latest.ts,
                    reason: Reason::Ladder {
                        ladder: binding.ladder,
                        observation,
                    },
                    evidence: self.evidence(s),
                };
                self.emit(moved, &mut discarded);
            }
        }
    }
}

/// The level a regraded rule gives its binding for the latest reading `value`: the level the
/// rule's ladder gives the value (or the rate of `samples`), without the old level's hysteresis
/// or persistence (those judged under the old ladder). `None` when it cannot judge now: a rate
/// with too few samples, or a script (judged again at its next reading).
fn regrade_level(
    check: &Check,
    ladder: &Ladder,
    samples: &super::state::SampleRing,
    value: f64,
) -> Option<(Option<Level>, Observation)> {
    match check {
        Check::Threshold { .. } => {
            Some((ladder.level_of(value), Observation { value, rate: None }))
        }
        Check::Rate(plan) => {
            let r = plan.rate(samples)?;
            Some((
                plan.ladder.level_of(r),
                Observation {
                    value,
                    rate: Some((r, plan.per_ms as i64)),
                },
            ))
        }
        Check::Dual {
            rate: plan,
            combine,
        } => {
            let r = plan.rate(samples);
            let target = rate::combine(
                *combine,
                ladder.level_of(value),
                r.and_then(|r| plan.ladder.level_of(r)),
            );
            Some((
                target,
                Observation {
                    value,
                    rate: r.map(|r| (r, plan.per_ms as i64)),
                },
            ))
        }
        Check::Script => None,
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
        self.rearm_timers();
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
        self.rearm_timers();
    }
}
