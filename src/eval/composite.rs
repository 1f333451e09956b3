//! The composite rules over alarms: sequences ("A then B within T" on one asset) and spatial
//! clusters ("N sensors within R metres alarm within T"). They listen to the alarm moves of the
//! rules they match (rising and falling edges through the match's `min_level`) and move their
//! own alarm per asset; the engine emits those moves like any other alarm. Shadow rules are
//! never matched: what they would have raised does not count.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::coupling::spatial::GeoIndex;
use crate::model::{AlarmMatch, Generation, Level, Rule, RuleKind, SensorIx};

/// A composite rule's alarm on an asset moved.
#[derive(Clone, Debug)]
pub(crate) struct CompositeMove {
    /// The composite rule (index into `Generation::rules`).
    pub(crate) rule: u32,
    /// The sensor whose alarm completed or broke the pattern.
    pub(crate) sensor: u32,
    /// Level before.
    pub(crate) from: Option<Level>,
    /// Level after.
    pub(crate) to: Option<Level>,
    /// What matched, for the message.
    pub(crate) note: String,
    /// What matched, as data.
    pub(crate) details: serde_json::Value,
}

/// State of one sequence rule.
#[derive(Debug)]
struct Sequence {
    rule: u32,
    first: Vec<u32>,
    then: Vec<u32>,
    first_min: Level,
    then_min: Level,
    within_ms: i64,
    level: Level,
    /// Per asset: event time of the latest rising edge of `first`.
    first_at: FxHashMap<u32, i64>,
    /// Per asset: `then` alarms standing at or above its level.
    then_standing: FxHashMap<u32, u32>,
    /// Assets where the sequence alarm stands, with the sensor its alarm is recorded under.
    active: FxHashMap<u32, u32>,
}

/// State of one cluster rule.
#[derive(Debug)]
struct Cluster {
    rule: u32,
    of: Vec<u32>,
    min: Level,
    count: usize,
    within_ms: i64,
    level: Level,
    /// Per eligible sensor: the eligible sensors within the radius (itself included).
    near: FxHashMap<u32, Vec<u32>>,
    /// Per sensor with a standing matching alarm: when it rose.
    raised_at: FxHashMap<u32, i64>,
    /// Sensors that are members of a raised cluster.
    members: FxHashSet<u32>,
    /// Per asset: members on it.
    asset_members: FxHashMap<u32, u32>,
    /// Per asset with a standing cluster alarm: the sensor its alarm is recorded under.
    asset_alarm: FxHashMap<u32, u32>,
}

/// The pattern state of one sequence rule, as kept in a state image.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SequenceImage {
    /// Per asset: event time of the latest rising edge of `first`.
    first_at: Vec<(u32, i64)>,
    /// Per asset: `then` alarms standing at or above its level.
    then_standing: Vec<(u32, u32)>,
    /// Assets where the sequence alarm stands, with its sensor.
    active: Vec<(u32, u32)>,
}

/// The pattern state of one cluster rule, as kept in a state image.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ClusterImage {
    /// Per sensor with a standing matching alarm: when it rose.
    raised_at: Vec<(u32, i64)>,
    /// Sensors that are members of a raised cluster.
    members: Vec<u32>,
    /// Per asset: members on it.
    asset_members: Vec<(u32, u32)>,
    /// Per asset with a standing cluster alarm: its sensor.
    asset_alarm: Vec<(u32, u32)>,
}

/// The pattern state of every composite rule, in rule order.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CompositeImage {
    /// One per sequence rule.
    sequences: Vec<SequenceImage>,
    /// One per cluster rule.
    clusters: Vec<ClusterImage>,
}

/// Every composite rule of an engine.
#[derive(Debug, Default)]
pub(crate) struct Composites {
    sequences: Vec<Sequence>,
    clusters: Vec<Cluster>,
}

/// Rules (by index) that an alarm match admits: the named rule, or every rule of the hazard that
/// reads a metric; never shadow rules.
fn matching(generation: &Generation, matched: &AlarmMatch) -> Vec<u32> {
    generation
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.shadow && r.metric.is_some())
        .filter(|(_, r)| match (&matched.rule, &matched.hazard) {
            (Some(id), _) => &r.id == id,
            (None, Some(hazard)) => &r.hazard == hazard,
            (None, None) => false,
        })
        .map(|(i, _)| i as u32)
        .collect()
}

/// Whether `rule`'s admits a sensor of this domain and kind.
fn admits(rule: &Rule, domain: &crate::model::DomainId, kind: &str) -> bool {
    &rule.domain == domain && (rule.objects.is_empty() || rule.objects.iter().any(|k| k == kind))
}

impl Composites {
    /// The composite rules of `generation`, with the per-sensor neighbour lists of clusters.
    pub(crate) fn build(generation: &Generation) -> Composites {
        let mut out = Composites::default();
        for (i, rule) in generation.rules.iter().enumerate() {
            match &rule.kind {
                RuleKind::Sequence(spec) => out.sequences.push(Sequence {
                    rule: i as u32,
                    first: matching(generation, &spec.first),
                    then: matching(generation, &spec.then),
                    first_min: spec.first.min_level,
                    then_min: spec.then.min_level,
                    within_ms: crate::model::time::duration_millis(spec.within),
                    level: spec.level,
                    first_at: FxHashMap::default(),
                    then_standing: FxHashMap::default(),
                    active: FxHashMap::default(),
                }),
                RuleKind::Cluster(spec) => {
                    let eligible: Vec<u32> = generation
                        .sensors
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| admits(rule, &s.domain, &s.kind))
                        .map(|(i, _)| i as u32)
                        .collect();
                    let index = GeoIndex::new(
                        eligible
                            .iter()
                            .map(|&s| (generation.sensors[s as usize].location, s)),
                        spec.radius_m,
                    );
                    let near = eligible
                        .iter()
                        .map(|&s| {
                            let at = generation.sensors[s as usize].location;
                            let mut list: Vec<u32> =
                                index.within(at, spec.radius_m).map(|(n, _)| *n).collect();
                            list.sort_unstable();
                            (s, list)
                        })
                        .collect();
                    out.clusters.push(Cluster {
                        rule: i as u32,
                        of: matching(generation, &spec.of),
                        min: spec.of.min_level,
                        count: usize::from(spec.count),
                        within_ms: crate::model::time::duration_millis(spec.within),
                        level: spec.level,
                        near,
                        raised_at: FxHashMap::default(),
                        members: FxHashSet::default(),
                        asset_members: FxHashMap::default(),
                        asset_alarm: FxHashMap::default(),
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// Whether there is no composite rule.
    pub(crate) fn is_empty(&self) -> bool {
        self.sequences.is_empty() && self.clusters.is_empty()
    }

    /// Every (composite rule, asset) pair that can carry an alarm, so the engine can create
    /// their warning slots when it is built.
    pub(crate) fn slots(&self, generation: &Generation) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for sequence in &self.sequences {
            let rule = &generation.rules[sequence.rule as usize];
            for sensor in &generation.sensors {
                if admits(rule, &sensor.domain, &sensor.kind) {
                    out.push((sequence.rule, sensor.asset_ix.0));
                }
            }
        }
        for cluster in &self.clusters {
            for &s in cluster.near.keys() {
                out.push((cluster.rule, generation.sensors[s as usize].asset_ix.0));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A restored composite alarm (after a restart): marks it standing so that it clears when
    /// what it matched clears.
    pub(crate) fn restore(&mut self, rule: u32, sensor: u32, asset: u32) {
        for sequence in self.sequences.iter_mut().filter(|s| s.rule == rule) {
            sequence.active.insert(asset, sensor);
        }
        for cluster in self.clusters.iter_mut().filter(|c| c.rule == rule) {
            if cluster.members.insert(sensor) {
                *cluster.asset_members.entry(asset).or_default() += 1;
                cluster.asset_alarm.insert(asset, sensor);
            }
        }
    }

    /// The pattern state of every composite rule (for the engine's state image), in rule order.
    pub(crate) fn image(&self) -> CompositeImage {
        fn pairs<V: Copy + Ord>(map: &FxHashMap<u32, V>) -> Vec<(u32, V)> {
            let mut out: Vec<(u32, V)> = map.iter().map(|(k, v)| (*k, *v)).collect();
            out.sort_unstable();
            out
        }
        CompositeImage {
            sequences: self
                .sequences
                .iter()
                .map(|s| SequenceImage {
                    first_at: pairs(&s.first_at),
                    then_standing: pairs(&s.then_standing),
                    active: pairs(&s.active),
                })
                .collect(),
            clusters: self
                .clusters
                .iter()
                .map(|c| {
                    let mut members: Vec<u32> = c.members.iter().copied().collect();
                    members.sort_unstable();
                    ClusterImage {
                        raised_at: pairs(&c.raised_at),
                        members,
                        asset_members: pairs(&c.asset_members),
                        asset_alarm: pairs(&c.asset_alarm),
                    }
                })
                .collect(),
        }
    }

    /// Puts back pattern state taken by [`Composites::image`] under the same generation;
    /// `false` (and nothing changed) when the rules differ in number.
    pub(crate) fn restore_image(&mut self, image: &CompositeImage) -> bool {
        if image.sequences.len() != self.sequences.len()
            || image.clusters.len() != self.clusters.len()
        {
            return false;
        }
        for (sequence, saved) in self.sequences.iter_mut().zip(&image.sequences) {
            sequence.first_at = saved.first_at.iter().copied().collect();
            sequence.then_standing = saved.then_standing.iter().copied().collect();
            sequence.active = saved.active.iter().copied().collect();
        }
        for (cluster, saved) in self.clusters.iter_mut().zip(&image.clusters) {
            cluster.raised_at = saved.raised_at.iter().copied().collect();
            cluster.members = saved.members.iter().copied().collect();
            cluster.asset_members = saved.asset_members.iter().copied().collect();
            cluster.asset_alarm = saved.asset_alarm.iter().copied().collect();
        }
        true
    }

    /// The level of composite rule `rule`'s alarm recorded under `sensor`, if it stands.
    pub(crate) fn level(&self, rule: u32, sensor: u32) -> Option<Level> {
        let sequence = self
            .sequences
            .iter()
            .filter(|s| s.rule == rule)
            .find(|s| s.active.values().any(|x| *x == sensor))
            .map(|s| s.level);
        let cluster = || {
            self.clusters
                .iter()
                .filter(|c| c.rule == rule)
                .find(|c| c.asset_alarm.values().any(|x| *x == sensor))
                .map(|c| c.level)
        };
        sequence.or_else(cluster)
    }

    /// Every standing composite alarm as (rule, sensor it is recorded under, level), for a
    /// snapshot.
    pub(crate) fn standing(&self) -> Vec<(u32, u32, Level)> {
        let sequences = self.sequences.iter().flat_map(|s| {
            s.active
                .values()
                .map(move |sensor| (s.rule, *sensor, s.level))
        });
        let clusters = self.clusters.iter().flat_map(|c| {
            c.asset_alarm
                .values()
                .map(move |sensor| (c.rule, *sensor, c.level))
        });
        sequences.chain(clusters).collect()
    }

    /// Feeds one alarm move of `rule` on `sensor` (event time `ts`); returns the composite moves
    /// it causes.
    pub(crate) fn on_alarm(
        &mut self,
        generation: &Generation,
        rule: u32,
        sensor: SensorIx,
        (from, to): (Option<Level>, Option<Level>),
        ts: i64,
    ) -> Vec<CompositeMove> {
        let mut out = Vec::new();
        let asset = generation.sensor_at(sensor).asset_ix.0;
        for sequence in &mut self.sequences {
            sequence.on_alarm(generation, rule, sensor.0, asset, (from, to), ts, &mut out);
        }
        for cluster in &mut self.clusters {
            cluster.on_alarm(generation, rule, sensor.0, (from, to), ts, &mut out);
        }
        out
    }
}

/// Rising or falling through `min`: `Some(true)` rising, `Some(false)` falling.
fn edge(min: Level, (from, to): (Option<Level>, Option<Level>)) -> Option<bool> {
    let (was, now) = (from >= Some(min), to >= Some(min));
    (was != now).then_some(now)
}

impl Sequence {
    #[allow(clippy::too_many_arguments)]
    fn on_alarm(
        &mut self,
        generation: &Generation,
        rule: u32,
        sensor: u32,
        asset: u32,
        moved: (Option<Level>, Option<Level>),
        ts: i64,
        out: &mut Vec<CompositeMove>,
    ) {
        if self.first.contains(&rule) && edge(self.first_min, moved) == Some(true) {
            self.first_at.insert(asset, ts);
        }
        if !self.then.contains(&rule) {
            return;
        }
        let standing = self.then_standing.entry(asset).or_default();
        match edge(self.then_min, moved) {
            Some(true) => {
                *standing += 1;
                let first_at = self.first_at.get(&asset).copied();
                let in_time = first_at.is_some_and(|at| at <= ts && ts - at <= self.within_ms);
                if in_time && !self.active.contains_key(&asset) {
                    self.active.insert(asset, sensor);
                    let first = first_at.unwrap_or(ts);
                    let gap = super::warnings::duration(ts - first);
                    out.push(CompositeMove {
                        rule: self.rule,
                        sensor,
                        from: None,
                        to: Some(self.level),
                        note: format!(
                            "{} followed {} after {gap} (within {})",
                            generation.rules[rule as usize].id,
                            "the first alarm",
                            super::warnings::duration(self.within_ms)
                        ),
                        details: serde_json::json!({
                            "first_at": first, "then_at": ts, "then_rule": generation.rules[rule as usize].id,
                        }),
                    });
                }
            }
            Some(false) => {
                *standing = standing.saturating_sub(1);
                if *standing == 0
                    && let Some(recorded) = self.active.remove(&asset)
                {
                    out.push(CompositeMove {
                        rule: self.rule,
                        sensor: recorded,
                        from: Some(self.level),
                        to: None,
                        note: format!("{} cleared", generation.rules[rule as usize].id),
                        details: serde_json::Value::Null,
                    });
                }
            }
            None => {}
        }
    }
}

impl Cluster {
    fn on_alarm(
        &mut self,
        generation: &Generation,
        rule: u32,
        sensor: u32,
        moved: (Option<Level>, Option<Level>),
        ts: i64,
        out: &mut Vec<CompositeMove>,
    ) {
        if !self.of.contains(&rule) || !self.near.contains_key(&sensor) {
            return;
        }
        match edge(self.min, moved) {
            Some(true) => {
                self.raised_at.insert(sensor, ts);
                let group: Vec<u32> = self.near[&sensor]
                    .iter()
                    .copied()
                    .filter(|n| {
                        self.raised_at
                            .get(n)
                            .is_some_and(|at| ts - *at <= self.within_ms)
                    })
                    .collect();
                if group.len() < self.count {
                    return;
                }
                let names: Vec<&str> = group
                    .iter()
                    .map(|&s| generation.sensors[s as usize].id.as_str())
                    .collect();
                for &member in &group {
                    if !self.members.insert(member) {
                        continue;
                    }
                    let asset = generation.sensors[member as usize].asset_ix.0;
                    let on_asset = self.asset_members.entry(asset).or_default();
                    *on_asset += 1;
                    if *on_asset == 1 {
                        self.asset_alarm.insert(asset, member);
                        out.push(CompositeMove {
                            rule: self.rule,
                            sensor: member,
                            from: None,
                            to: Some(self.level),
                            note: format!(
                                "{} sensors alarm within {} of each other: {}",
                                group.len(),
                                super::warnings::duration(self.within_ms),
                                names.join(", ")
                            ),
                            details: serde_json::json!({ "cluster": names }),
                        });
                    }
                }
            }
            Some(false) => {
                self.raised_at.remove(&sensor);
                if !self.members.remove(&sensor) {
                    return;
                }
                let asset = generation.sensors[sensor as usize].asset_ix.0;
                let on_asset = self.asset_members.entry(asset).or_default();
                *on_asset = on_asset.saturating_sub(1);
                if *on_asset == 0 {
                    let recorded = self.asset_alarm.remove(&asset).unwrap_or(sensor);
                    out.push(CompositeMove {
                        rule: self.rule,
                        sensor: recorded,
                        from: Some(self.level),
                        to: None,
                        note: format!(
                            "{} no longer alarms",
                            generation.sensors[sensor as usize].id
                        ),
                        details: serde_json::Value::Null,
                    });
                }
            }
            None => {}
        }
    }
}
