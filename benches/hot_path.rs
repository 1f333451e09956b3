//! Engine hot path: readings per second on one core, and rule state bytes per sensor.
//!
//! A generation built in code: one domain, one metric (CH4, default ladder 5/10/20/50 %LEL,
//! one-minute reporting), 100,000 sensors on 25,000 assets, two rules bound to every sensor - a
//! threshold with `for` persistence (blue 10m, yellow 5m, orange and red at once; clear margin 2
//! after 30m) and a rate rule (5-minute window, per minute). Each iteration feeds one reading per
//! sensor, sensors in random order, timestamps one minute apart per sensor; values are a random
//! walk around 2 %LEL with a few sensors crossing thresholds, so some levels move. Criterion prints
//! the throughput in elements (readings) per second; the state size is printed before it.
//!
//! The `engine_state` group measures what crash safety costs on the same engine: taking and
//! encoding its state image (what the engine task saves every `snapshot_interval`) and decoding it
//! into a new engine (what a restart does); the image's size is printed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tocsin::eval::{Engine, StateImage};
use tocsin::model::{
    Asset, AssetIx, Change, ClearPolicy, Department, Direction, District, Domain, Generation,
    GenerationParts, GeoPoint, Ladder, Metric, Persistence, RateSpec, Reading, Rule, RuleKind,
    Sensor, Timestamp,
};

/// Sensors in the generation.
const SENSORS: usize = 100_000;
/// Sensors per asset.
const PER_ASSET: usize = 4;
/// Distinct rounds of readings prepared (each one reading per sensor, in its own order).
const ROUNDS: usize = 8;
/// One minute in milliseconds.
const MIN: i64 = 60_000;
/// 2026-12-01T00:00:00Z.
const T0: i64 = 1_796_083_200_000;

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

fn rule(id: &str, kind: RuleKind, clear: ClearPolicy) -> Rule {
    Rule {
        id: id.into(),
        domain: "city_gas".into(),
        hazard: "gas_leak".into(),
        metric: Some("gas.ch4".into()),
        objects: Vec::new(),
        kind,
        clear,
        description: String::new(),
        basis: None,
        shadow: false,
    }
}

fn generation() -> Generation {
    let ladder = Ladder {
        direction: Direction::Above,
        thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
    };
    let threshold = rule(
        "gas.ch4.ladder",
        RuleKind::Threshold {
            ladder: None,
            persistence: [
                Persistence::For(minutes(10)),
                Persistence::For(minutes(5)),
                Persistence::Immediate,
                Persistence::Immediate,
            ],
        },
        ClearPolicy {
            margin: 2.0,
            after: minutes(30),
        },
    );
    let rate = rule(
        "gas.ch4.rising",
        RuleKind::Rate(RateSpec {
            window: minutes(5),
            per: minutes(1),
            ladder: Ladder {
                direction: Direction::Above,
                thresholds: [None, Some(1.0), Some(2.0), Some(5.0)],
            },
        }),
        ClearPolicy {
            margin: 0.2,
            after: minutes(10),
        },
    );
    let assets = (0..SENSORS / PER_ASSET)
        .map(|i| Asset {
            id: format!("well-{i:06}").as_str().into(),
            name: format!("Well {i}"),
            domain: "city_gas".into(),
            kind: "adjacent_space".into(),
            district: "210102".into(),
            owner: "shenyang.construction".into(),
            location: None,
            attributes: BTreeMap::new(),
        })
        .collect();
    let sensors = (0..SENSORS)
        .map(|i| Sensor {
            id: format!("gas-ch4-{i:06}").as_str().into(),
            domain: "city_gas".into(),
            kind: "adjacent_space".into(),
            asset: format!("well-{:06}", i / PER_ASSET).as_str().into(),
            asset_ix: AssetIx((i / PER_ASSET) as u32),
            location: GeoPoint {
                lon: 123.4,
                lat: 41.8,
            },
            district: "210102".into(),
            department: "shenyang.construction".into(),
            metrics: Vec::new(),
            overrides: BTreeMap::new(),
        })
        .collect();
    Generation::build(GenerationParts {
        sources: Vec::new(),
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
            metrics: vec!["gas.ch4".into()],
            grading: None,
        }],
        metrics: vec![Metric {
            id: "gas.ch4".into(),
            domain: "city_gas".into(),
            name: "CH4".to_owned(),
            unit: "%LEL",
            valid_range: (0.0, 100.0),
            reporting_interval: minutes(1),
            offline_after_intervals: 3,
            default_ladder: Some(ladder),
            basis: None,
        }],
        rules: vec![threshold, rate],
        assets,
        sensors,
        ..GenerationParts::default()
    })
}

/// `ROUNDS` rounds of one reading per sensor, each round in its own random sensor order; round
/// `r` is at minute `r` (plus up to 30 s of jitter per sensor).
fn rounds(generation: &Generation) -> Vec<Vec<Reading>> {
    let mut rng = StdRng::seed_from_u64(7);
    let metric: tocsin::model::MetricId = "gas.ch4".into();
    let mut values = vec![2.0f64; SENSORS];
    (0..ROUNDS)
        .map(|round| {
            let mut order: Vec<usize> = (0..SENSORS).collect();
            order.shuffle(&mut rng);
            order
                .into_iter()
                .map(|s| {
                    // 1 sensor in 500 spikes this round; the others wander around 2 %LEL
                    values[s] = if rng.gen_ratio(1, 500) {
                        rng.gen_range(5.0..80.0)
                    } else {
                        (values[s] * 0.5 + 1.0 + rng.gen_range(-0.3..0.3)).max(0.0)
                    };
                    Reading {
                        // a fresh id per reading, as the ingest parser produces
                        sensor: generation.sensors[s].id.as_str().into(),
                        metric: metric.clone(),
                        value: values[s],
                        ts: Timestamp(T0 + round as i64 * MIN + rng.gen_range(0..30_000)),
                    }
                })
                .collect()
        })
        .collect()
}

fn hot_path(c: &mut Criterion) {
    let generation = Arc::new(generation());
    let rounds = rounds(&generation);
    let bases: Vec<Vec<i64>> = rounds
        .iter()
        .map(|round| round.iter().map(|r| r.ts.0).collect())
        .collect();
    let mut engine = Engine::new(Arc::clone(&generation));
    let mut out = Vec::new();
    // one pass over every round so the sample rings reach their steady size
    for round in &rounds {
        for reading in round {
            engine.evaluate(reading, &mut out);
        }
    }
    let changes = out.len();
    out.clear();
    let bytes = engine.state_bytes();
    eprintln!(
        "hot_path: {} sensors, {} bindings, rule state {} bytes = {:.1} bytes per sensor; \
         {} changes in the first {} readings",
        SENSORS,
        engine.binding_count(),
        bytes,
        bytes as f64 / SENSORS as f64,
        changes,
        ROUNDS * SENSORS
    );

    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(SENSORS as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let mut replay = Replay {
        engine,
        rounds,
        bases,
        out,
        pass: ROUNDS,
    };
    group.bench_function("evaluate_100k_sensors", |b| {
        b.iter_custom(|iters| {
            replay.timed(iters, |engine, readings, out| {
                for reading in readings {
                    engine.evaluate(reading, out);
                }
            })
        });
    });
    group.bench_function("evaluate_batch_100k_sensors", |b| {
        b.iter_custom(|iters| replay.timed(iters, Engine::evaluate_batch));
    });
    group.finish();
    assert_eq!(replay.engine.late_readings(), 0);

    let image = replay.engine.image().encode();
    eprintln!(
        "engine_state: image of {} sensors = {} bytes ({:.1} bytes per sensor)",
        SENSORS,
        image.len(),
        image.len() as f64 / SENSORS as f64
    );
    let mut group = c.benchmark_group("engine_state");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("snapshot_100k_sensors", |b| {
        b.iter(|| replay.engine.image().encode().len());
    });
    group.bench_function("restore_100k_sensors", |b| {
        b.iter(|| {
            let decoded = StateImage::decode(&image).expect("image decodes");
            Engine::from_image(Arc::clone(&generation), &decoded)
                .expect("image fits")
                .binding_count()
        });
    });
    group.finish();
}

/// The engine and the pre-built rounds of readings that the measured passes cycle through.
struct Replay {
    engine: Engine,
    rounds: Vec<Vec<Reading>>,
    bases: Vec<Vec<i64>>,
    out: Vec<Change>,
    /// Passes run so far (the warm-up counts as the first `ROUNDS`).
    pass: usize,
}

impl Replay {
    /// Runs `iters` passes, timing only `evaluate` over each pass's round.
    fn timed(
        &mut self,
        iters: u64,
        mut evaluate: impl FnMut(&mut Engine, &[Reading], &mut Vec<Change>),
    ) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let k = self.pass % ROUNDS;
            // later passes repeat the rounds' values at later times, so none is a duplicate
            let shift = (self.pass / ROUNDS) as i64 * ROUNDS as i64 * MIN;
            for (reading, base) in self.rounds[k].iter_mut().zip(&self.bases[k]) {
                reading.ts = Timestamp(base + shift);
            }
            let start = Instant::now();
            evaluate(&mut self.engine, &self.rounds[k], &mut self.out);
            total += start.elapsed();
            self.out.clear();
            self.pass += 1;
        }
        total
    }
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
