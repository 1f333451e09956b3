//! A hand-built generation for script tests: a gas domain with two metrics, three assets
//! (`well-1` adjacent to `pipe-1`, and an unconnected `well-2`), one sensor each, and script
//! rules made from source text.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::coupling::CouplingGraph;
use crate::model::{
    Asset, AssetIx, ClearPolicy, Department, District, Domain, Edge, EdgeOrigin, Generation,
    GenerationParts, GeoPoint, Metric, Neighbourhood, Reading, Relation, Rule, RuleKind,
    ScriptSpec, Sensor, SensorIx, SourceFile, Timestamp,
};
use crate::script::{Limits, ScriptFault, ScriptHost, Verdict, compile};

/// One minute in milliseconds.
pub(super) const MIN: i64 = 60_000;
/// Start of every scenario: 2026-12-01T00:00:00Z.
pub(super) const T0: i64 = 1_796_083_200_000;
/// The rule's metric.
pub(super) const CH4: &str = "gas.ch4_adjacent";
/// The other metric of the domain.
pub(super) const PRESSURE: &str = "gas.pressure";
/// Sensor `s1` on `well-1`.
pub(super) const S1: SensorIx = SensorIx(0);
/// Sensor `s2` on `pipe-1`.
pub(super) const S2: SensorIx = SensorIx(1);
/// Sensor `s3` on `well-2`.
pub(super) const S3: SensorIx = SensorIx(2);

/// A script rule `id` on [`CH4`] with a one-hour lookback and no neighbours.
pub(super) fn script_rule(id: &str, text: &str) -> Rule {
    Rule {
        id: id.into(),
        domain: "city_gas".into(),
        hazard: "gas_leak".into(),
        metric: Some(CH4.into()),
        objects: vec!["adjacent_space".to_owned()],
        kind: RuleKind::Script(ScriptSpec {
            file: format!("rules/gas/{id}.rhai"),
            lookback: Duration::from_secs(3600),
            neighbours: None,
            source: Arc::from(text),
            program: Arc::new(compile(&format!("rules/gas/{id}.rhai"), text).unwrap()),
        }),
        clear: ClearPolicy {
            margin: 0.0,
            after: Duration::from_secs(600),
        },
        description: String::new(),
        basis: None,
        shadow: false,
    }
}

/// `rule` with `neighbours: adjacent_to within 1 hop`.
pub(super) fn with_neighbours(mut rule: Rule) -> Rule {
    if let RuleKind::Script(spec) = &mut rule.kind {
        spec.neighbours = Some(Neighbourhood {
            relations: vec![Relation::AdjacentTo],
            hops: 1,
        });
    }
    rule
}

fn metric(id: &str) -> Metric {
    Metric {
        id: id.into(),
        domain: "city_gas".into(),
        name: id.to_owned(),
        unit: "%LEL",
        valid_range: (0.0, 100.0),
        reporting_interval: Duration::from_secs(60),
        offline_after_intervals: 3,
        default_ladder: None,
        basis: None,
    }
}

fn asset(id: &str, kind: &str) -> Asset {
    let mut attributes = BTreeMap::new();
    attributes.insert("maop".to_owned(), 0.4);
    Asset {
        id: id.into(),
        name: format!("{id} name"),
        domain: "city_gas".into(),
        kind: kind.to_owned(),
        district: "210102".into(),
        owner: "owner.gas_company".into(),
        location: None,
        attributes,
    }
}

fn sensor(id: &str, asset: &str, asset_ix: u32, kind: &str) -> Sensor {
    Sensor {
        id: id.into(),
        domain: "city_gas".into(),
        kind: kind.to_owned(),
        asset: asset.into(),
        asset_ix: AssetIx(asset_ix),
        location: GeoPoint {
            lon: 123.4,
            lat: 41.8,
        },
        district: "210102".into(),
        department: "owner.gas_company".into(),
        metrics: Vec::new(),
        overrides: BTreeMap::new(),
    }
}

/// The parts of the generation with `rules`.
pub(super) fn parts(rules: Vec<Rule>) -> GenerationParts {
    GenerationParts {
        sources: vec![SourceFile {
            path: "<test>".to_owned(),
            text: String::new(),
        }],
        districts: vec![District {
            code: "210102".into(),
            name: "和平区".to_owned(),
            parent: None,
            government: None,
            boundary: None,
        }],
        departments: vec![Department {
            id: "owner.gas_company".into(),
            name: "燃气公司".to_owned(),
            district: None,
            contacts: Vec::new(),
        }],
        domains: vec![Domain {
            id: "city_gas".into(),
            name: "City gas".to_owned(),
            name_cn: "城镇燃气".to_owned(),
            lead_department: "owner.gas_company".into(),
            co_departments: Vec::new(),
            issuing_authority: Default::default(),
            objects: vec!["adjacent_space".to_owned(), "pipe_segment".to_owned()],
            metrics: vec![CH4.into(), PRESSURE.into()],
            grading: None,
        }],
        metrics: vec![metric(CH4), metric(PRESSURE)],
        rules,
        assets: vec![
            asset("well-1", "adjacent_space"),
            asset("pipe-1", "pipe_segment"),
            asset("well-2", "adjacent_space"),
        ],
        sensors: vec![
            sensor("s1", "well-1", 0, "adjacent_space"),
            sensor("s2", "pipe-1", 1, "pipe_segment"),
            sensor("s3", "well-2", 2, "adjacent_space"),
        ],
        edges: vec![Edge {
            from: AssetIx(1),
            to: AssetIx(0),
            relation: Relation::AdjacentTo,
            origin: EdgeOrigin::Declared,
            distance_m: Some(12.0),
        }],
        ..GenerationParts::default()
    }
}

/// A host over one rule `id` with `text`, default limits.
pub(super) fn host(text: &str) -> ScriptHost {
    host_with(vec![script_rule("gas.test", text)], Limits::default())
}

/// A host over `rules` with `limits`.
pub(super) fn host_with(rules: Vec<Rule>, limits: Limits) -> ScriptHost {
    host_from(parts(rules), limits)
}

/// A host over the generation built from `parts`.
pub(super) fn host_from(parts: GenerationParts, limits: Limits) -> ScriptHost {
    let generation = Arc::new(Generation::build(parts));
    let graph = CouplingGraph::build(&generation);
    ScriptHost::new(generation, &graph, limits)
}

/// Index of metric `id` in the fixture.
pub(super) fn metric_ix(id: &str) -> usize {
    usize::from(id == PRESSURE)
}

/// A reading of [`CH4`] from sensor `sensor` (`s1`..) at `T0 + minutes`.
pub(super) fn reading(sensor: SensorIx, minutes: i64, value: f64) -> Reading {
    Reading {
        sensor: format!("s{}", sensor.0 + 1).as_str().into(),
        metric: CH4.into(),
        value,
        ts: Timestamp(T0 + minutes * MIN),
    }
}

/// Observes `value` of `metric` on `sensor` at `T0 + minutes`.
pub(super) fn feed(
    host: &mut ScriptHost,
    sensor: SensorIx,
    metric: &str,
    minutes: i64,
    value: f64,
) {
    host.observe(sensor, metric_ix(metric), T0 + minutes * MIN, value);
}

/// Observes and runs the first rule for a [`CH4`] reading of `s1`.
pub(super) fn step(
    host: &mut ScriptHost,
    minutes: i64,
    value: f64,
) -> Result<Verdict, ScriptFault> {
    feed(host, S1, CH4, minutes, value);
    host.run(0, S1, &reading(S1, minutes, value))
}

/// Runs the first rule once for `s1` at `T0` with value 1.0, expecting a fault.
pub(super) fn fault_of(host: &mut ScriptHost) -> ScriptFault {
    match step(host, 0, 1.0) {
        Ok(verdict) => panic!("expected a fault, got {verdict:?}"),
        Err(fault) => fault,
    }
}

/// Runs the first rule once for `s1` at `T0` with value 1.0, expecting a verdict.
pub(super) fn verdict_of(host: &mut ScriptHost) -> Verdict {
    step(host, 0, 1.0).unwrap_or_else(|fault| panic!("unexpected fault: {fault}"))
}
