//! A hand-built generation for engine tests: one gas domain, two metrics, two assets, three
//! sensors, and helpers to make rules, readings and to pick changes apart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::model::{
    Asset, AssetIx, Change, ClearPolicy, Department, Direction, District, Domain, FaultChange,
    GenerationParts, GeoPoint, Ladder, Level, Metric, Persistence, Reading, Rule, RuleKind, Sensor,
    SourceFile, Timestamp, WarningChange,
};
use crate::model::{Generation, RateSpec};

/// One minute in milliseconds.
pub(crate) const MIN: i64 = 60_000;
/// Start of every test scenario: 2026-12-01T00:00:00Z.
pub(crate) const T0: i64 = 1_796_083_200_000;

/// The CH4 ladder 5/10/20/50 %LEL.
pub(crate) fn gas_ladder() -> Ladder {
    Ladder {
        direction: Direction::Above,
        thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
    }
}

/// A pressure ladder that warns on low values.
pub(crate) fn low_pressure() -> Ladder {
    Ladder {
        direction: Direction::Below,
        thresholds: [Some(0.3), None, Some(0.2), Some(0.1)],
    }
}

/// A clear policy.
pub(crate) fn clear(margin: f64, after_min: u64) -> ClearPolicy {
    ClearPolicy {
        margin,
        after: Duration::from_secs(after_min * 60),
    }
}

/// A threshold rule on `metric` with the metric's default ladder.
pub(crate) fn threshold(id: &str, metric: &str, persistence: [Persistence; 4]) -> Rule {
    rule(
        id,
        metric,
        RuleKind::Threshold {
            ladder: None,
            persistence,
        },
    )
}

/// A rule with `kind`, hazard `gas_leak`, no margin and a 10 minute clear time.
pub(crate) fn rule(id: &str, metric: &str, kind: RuleKind) -> Rule {
    Rule {
        id: id.into(),
        domain: "city_gas".into(),
        hazard: "gas_leak".into(),
        metric: Some(metric.into()),
        objects: Vec::new(),
        kind,
        clear: clear(0.0, 10),
        description: String::new(),
        basis: None,
        shadow: false,
    }
}

/// A rate spec over `window_min` minutes, per minute.
pub(crate) fn rate_spec(window_min: u64, ladder: Ladder) -> RateSpec {
    RateSpec {
        window: Duration::from_secs(window_min * 60),
        per: Duration::from_secs(60),
        ladder,
    }
}

fn metric(id: &str, unit: &'static str, range: (f64, f64), ladder: Option<Ladder>) -> Metric {
    Metric {
        id: id.into(),
        domain: "city_gas".into(),
        name: id.to_owned(),
        unit,
        valid_range: range,
        reporting_interval: Duration::from_secs(60),
        offline_after_intervals: 3,
        default_ladder: ladder,
        basis: None,
    }
}

pub(crate) fn asset(id: &str) -> Asset {
    Asset {
        id: id.into(),
        name: id.to_owned(),
        domain: "city_gas".into(),
        kind: "adjacent_space".into(),
        district: "210102".into(),
        owner: "owner.gas_company".into(),
        location: None,
        attributes: BTreeMap::new(),
    }
}

/// A sensor on asset `asset_ix` reporting every metric of the domain.
pub(crate) fn sensor(id: &str, asset: &str, asset_ix: u32) -> Sensor {
    Sensor {
        id: id.into(),
        domain: "city_gas".into(),
        kind: "adjacent_space".into(),
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

/// Parts with metrics `gas.ch4` (default ladder 5/10/20/50, range 0..100, offline after 3 min)
/// and `gas.pressure` (no default ladder), assets `well-1` (sensors `s1`, `s2`) and `well-2`
/// (sensor `s3`), and `rules`.
pub(crate) fn parts(rules: Vec<Rule>) -> GenerationParts {
    GenerationParts {
        sources: vec![SourceFile {
            path: "<test>".to_owned(),
            text: format!("{rules:?}"),
        }],
        districts: vec![District {
            code: "210102".into(),
            name: "和平区".to_owned(),
            parent: None,
            government: None,
            boundary: None,
        }],
        departments: vec![Department {
            id: "shenyang.construction".into(),
            name: "市城乡建设局".to_owned(),
            district: None,
            contacts: Vec::new(),
        }],
        domains: vec![Domain {
            id: "city_gas".into(),
            name: "City gas".to_owned(),
            name_cn: "城镇燃气".to_owned(),
            lead_department: "shenyang.construction".into(),
            co_departments: Vec::new(),
            issuing_authority: Default::default(),
            objects: vec!["adjacent_space".to_owned()],
            metrics: vec!["gas.ch4".into(), "gas.pressure".into()],
            grading: None,
        }],
        metrics: vec![
            metric("gas.ch4", "%LEL", (0.0, 100.0), Some(gas_ladder())),
            metric("gas.pressure", "MPa", (0.0, 2.0), None),
        ],
        rules,
        assets: vec![asset("well-1"), asset("well-2")],
        sensors: vec![
            sensor("s1", "well-1", 0),
            sensor("s2", "well-1", 0),
            sensor("s3", "well-2", 1),
        ],
        ..GenerationParts::default()
    }
}

/// A generation from `parts`.
pub(crate) fn build(parts: GenerationParts) -> Arc<Generation> {
    Arc::new(Generation::build(parts))
}

/// A reading of `metric` from `sensor` at `T0 + minutes`.
pub(crate) fn reading(sensor: &str, metric: &str, minutes: f64, value: f64) -> Reading {
    Reading {
        sensor: sensor.into(),
        metric: metric.into(),
        value,
        ts: at(minutes),
    }
}

/// `T0 + minutes`.
pub(crate) fn at(minutes: f64) -> Timestamp {
    Timestamp(T0 + (minutes * MIN as f64).round() as i64)
}

/// The warning changes among `changes`.
pub(crate) fn warnings(changes: &[Change]) -> Vec<&WarningChange> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Warning(w) => Some(w),
            _ => None,
        })
        .collect()
}

/// The warning moves as (from, to, minutes after T0).
pub(crate) fn moves(changes: &[Change]) -> Vec<(Option<Level>, Option<Level>, f64)> {
    warnings(changes)
        .into_iter()
        .map(|w| (w.from, w.to, (w.ts.0 - T0) as f64 / MIN as f64))
        .collect()
}

/// The fault changes among `changes`.
pub(crate) fn faults(changes: &[Change]) -> Vec<&FaultChange> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Fault(f) => Some(f),
            _ => None,
        })
        .collect()
}
