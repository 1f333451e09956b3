//! Engine-level cascade propagation on a 100,000-asset city, and the engine's cost of a scripted
//! rule per reading.
//!
//! The city: 20,000 gas main segments (one CH4 sensor each) and 80,000 underground spaces (no
//! sensors) scattered over 20 km x 20 km around Shenyang. Spatial links derive `adjacent_to`
//! edges from each main to the spaces within 50 m, and `connected_to` edges between spaces within
//! 40 m (both ways, so the graph has cycles). Two cascades: C1 (gas leak on a main >= orange ->
//! gas accumulation +2 on adjacent spaces) and C2 (gas accumulation >= yellow -> +1 on connected
//! spaces), so a chain runs to the depth cap of 3 and meets cycles. Each measured reading flips one
//! random main between 30 %LEL (orange) and 1 %LEL (clear, no hysteresis), so every reading moves
//! a warning and propagates (raise or withdraw). Build times are printed before the measurements.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a bench reports failure

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tocsin::coupling::derive::derive_edges;
use tocsin::eval::Engine;
use tocsin::model::{
    Asset, AssetFilter, AssetIx, Cascade, CascadeSource, CascadeTarget, Change, ClearPolicy,
    Department, Direction, District, Domain, Generation, GenerationParts, GeoPoint, Ladder, Level,
    Metric, Persistence, Reading, Relation, Rule, RuleKind, Sensor, SpatialLink, Timestamp,
};

const MAINS: usize = 20_000;
const SPACES: usize = 80_000;
const T0: i64 = 1_796_083_200_000;

fn filter(kind: &str) -> AssetFilter {
    AssetFilter {
        domain: Some("city_gas".into()),
        kinds: vec![kind.to_owned()],
    }
}

fn cascade(id: &str, from: &str, min: Level, to: &str, through: Relation, raise: u8) -> Cascade {
    Cascade {
        id: id.to_owned(),
        from: CascadeSource {
            hazard: from.into(),
            assets: AssetFilter {
                domain: Some("city_gas".into()),
                kinds: Vec::new(),
            },
            min_level: min,
        },
        through: vec![through],
        hops: 1,
        to: CascadeTarget {
            hazard: to.into(),
            assets: filter("adjacent_space"),
        },
        raise_likelihood: raise,
        description: String::new(),
        basis: None,
    }
}

fn city() -> (GenerationParts, Duration) {
    let mut rng = StdRng::seed_from_u64(11);
    let mut point = || GeoPoint {
        lon: 123.30 + rng.gen_range(0.0..0.24),
        lat: 41.70 + rng.gen_range(0.0..0.18),
    };
    let asset = |id: String, kind: &str, location: GeoPoint| Asset {
        id: id.as_str().into(),
        name: id,
        domain: "city_gas".into(),
        kind: kind.to_owned(),
        district: "210102".into(),
        owner: "owner".into(),
        location: Some(location),
        attributes: Default::default(),
    };
    let mut assets: Vec<Asset> = (0..MAINS)
        .map(|i| asset(format!("main-{i}"), "main_segment", point()))
        .collect();
    assets.extend((0..SPACES).map(|i| asset(format!("space-{i}"), "adjacent_space", point())));
    let sensors = (0..MAINS)
        .map(|i| Sensor {
            id: format!("ch4-{i}").as_str().into(),
            domain: "city_gas".into(),
            kind: "main_segment".to_owned(),
            asset: assets[i].id.clone(),
            asset_ix: AssetIx(i as u32),
            location: assets[i].location.unwrap(),
            district: "210102".into(),
            department: "owner".into(),
            metrics: Vec::new(),
            overrides: Default::default(),
        })
        .collect();
    let links = vec![
        SpatialLink {
            id: "main_to_spaces".to_owned(),
            relation: Relation::AdjacentTo,
            from: filter("main_segment"),
            to: filter("adjacent_space"),
            within_m: 50.0,
        },
        SpatialLink {
            id: "space_to_space".to_owned(),
            relation: Relation::ConnectedTo,
            from: filter("adjacent_space"),
            to: filter("adjacent_space"),
            within_m: 40.0,
        },
    ];
    let started = Instant::now();
    let edges = derive_edges(&assets, &links);
    let derive = started.elapsed();
    let ladder = Ladder {
        direction: Direction::Above,
        thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
    };
    let parts = GenerationParts {
        districts: vec![District {
            code: "210102".into(),
            name: "和平区".to_owned(),
            parent: None,
            government: None,
            boundary: None,
        }],
        departments: vec![Department {
            id: "owner".into(),
            name: "燃气公司".to_owned(),
            district: None,
            contacts: Vec::new(),
        }],
        domains: vec![Domain {
            id: "city_gas".into(),
            name: "City gas".to_owned(),
            name_cn: "城镇燃气".to_owned(),
            lead_department: "owner".into(),
            co_departments: Vec::new(),
            issuing_authority: Default::default(),
            objects: vec!["main_segment".to_owned(), "adjacent_space".to_owned()],
            metrics: vec!["gas.ch4".into()],
            grading: None,
        }],
        metrics: vec![Metric {
            id: "gas.ch4".into(),
            domain: "city_gas".into(),
            name: "CH4".to_owned(),
            unit: "%LEL",
            valid_range: (0.0, 100.0),
            reporting_interval: Duration::from_secs(60),
            offline_after_intervals: 0,
            default_ladder: Some(ladder),
            basis: None,
        }],
        rules: vec![Rule {
            id: "gas.ch4.ladder".into(),
            domain: "city_gas".into(),
            hazard: "gas_leak".into(),
            metric: Some("gas.ch4".into()),
            objects: Vec::new(),
            kind: RuleKind::Threshold {
                ladder: None,
                persistence: [Persistence::Immediate; 4],
            },
            clear: ClearPolicy {
                margin: 0.0,
                after: Duration::ZERO,
            },
            description: String::new(),
            basis: None,
            shadow: false,
        }],
        assets,
        sensors,
        edges,
        links,
        cascades: vec![
            cascade(
                "C1",
                "gas_leak",
                Level::Orange,
                "gas_accumulation",
                Relation::AdjacentTo,
                2,
            ),
            cascade(
                "C2",
                "gas_accumulation",
                Level::Yellow,
                "gas_accumulation",
                Relation::ConnectedTo,
                1,
            ),
        ],
        ..GenerationParts::default()
    };
    (parts, derive)
}

fn cascades(c: &mut Criterion) {
    let (parts, derive) = city();
    let edges = parts.edges.len();
    let started = Instant::now();
    let generation = Arc::new(Generation::build(parts));
    let build = started.elapsed();
    let started = Instant::now();
    let mut engine = Engine::new(Arc::clone(&generation));
    let engine_build = started.elapsed();
    eprintln!(
        "judgement: {} assets, {edges} derived edges in {derive:.2?}; generation indexed in \
         {build:.2?}; engine (graph, cascade plan, slots) built in {engine_build:.2?}",
        generation.assets.len()
    );

    let mut rng = StdRng::seed_from_u64(3);
    let mut high = vec![false; MAINS];
    let mut ts = T0;
    let mut out: Vec<Change> = Vec::new();
    let mut moved = 0usize;
    let mut readings = 0usize;
    let mut group = c.benchmark_group("cascade");
    group.throughput(Throughput::Elements(1));
    group.bench_function("propagate_one_warning_move_100k_assets", |b| {
        b.iter(|| {
            let main = rng.gen_range(0..MAINS);
            high[main] = !high[main];
            ts += 1000;
            let reading = Reading {
                sensor: generation.sensors[main].id.clone(),
                metric: "gas.ch4".into(),
                value: if high[main] { 30.0 } else { 1.0 },
                ts: Timestamp(ts),
            };
            engine.evaluate(&reading, &mut out);
            readings += 1;
            moved += out
                .iter()
                .filter(|c| matches!(c, Change::Warning(_)))
                .count();
            out.clear();
        });
    });
    group.finish();
    eprintln!(
        "judgement: {:.2} warning changes per reading (the main's own plus the cascaded ones)",
        moved as f64 / readings.max(1) as f64
    );
}

criterion_group!(benches, cascades);
criterion_main!(benches);
