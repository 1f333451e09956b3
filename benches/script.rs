//! Rhai rule evaluations per second on one core.
//!
//! A generation built in code: one gas domain, one metric, 1,000 sensors on 1,000 assets, and one
//! script rule bound to every sensor. Each element is what the engine does for one reading of a
//! scripted stream: `ScriptHost::observe` then `ScriptHost::run`. Readings arrive one minute apart
//! per sensor, sensors round-robin, so every 10-minute window holds 11 samples (both ends
//! included). Values follow a repeated leak so that all three branches of the typical script
//! are taken.
//!
//! - `script/typical`: the issue's typical rule, one window statistic and two comparisons.
//! - `script/floor`: a script that returns `()` at once: the cost of a call itself.
//! - `script/stats`: a heavier rule, four statistics of two windows and a verdict map.
//!
//! Criterion prints the throughput in elements (evaluations) per second of wall time. Before it
//! runs, the typical rule is also timed on the thread's CPU clock (Linux `/proc/thread-self/stat`),
//! which other processes on a busy machine cannot inflate: "evaluations per CPU-second".

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tocsin::coupling::CouplingGraph;
use tocsin::model::{
    Asset, AssetIx, ClearPolicy, Department, District, Domain, Generation, GenerationParts,
    GeoPoint, Metric, Reading, Rule, RuleKind, ScriptSpec, Sensor, SensorIx, Timestamp,
};
use tocsin::script::{Limits, ScriptHost, compile};

/// Sensors (and assets) in the generation.
const SENSORS: usize = 1_000;
/// Readings per measured batch.
const BATCH: u64 = 1_000;
/// One minute in milliseconds.
const MIN: i64 = 60_000;
/// 2026-12-01T00:00:00Z.
const T0: i64 = 1_796_083_200_000;
/// The rule's metric.
const CH4: &str = "gas.ch4_adjacent";

/// The issue's typical script: one window statistic and two comparisons.
const TYPICAL: &str = r#"
let m = window("gas.ch4_adjacent", "10m").mean();
if value >= 20.0 && m >= 10.0 { #{level: "orange", message: "rising"} } else if m >= 5.0 { "blue" } else { () }
"#;

/// The least a script can do.
const FLOOR: &str = "()";

/// A heavier rule: two windows, four statistics, a verdict map with evidence.
const STATS: &str = r#"
let w = window("gas.ch4_adjacent", "10m");
let p = window("gas.pressure", "30m");
let m = w.mean() ?? 0.0;
let r = w.rate("1m") ?? 0.0;
if m >= 10.0 && r > 0.5 && (p.min() ?? 1.0) < 0.3 {
    #{level: "red", message: `mean ${m}`, evidence: #{mean: m, rate: r, sd: w.stddev()}}
} else if w.max() >= 5.0 { "blue" } else { () }
"#;

fn generation(script: &str) -> Generation {
    let metric = |id: &str| Metric {
        id: id.into(),
        domain: "city_gas".into(),
        name: id.to_owned(),
        unit: "%LEL",
        valid_range: (0.0, 100.0),
        reporting_interval: Duration::from_secs(60),
        offline_after_intervals: 3,
        default_ladder: None,
        basis: None,
    };
    let assets = (0..SENSORS)
        .map(|i| Asset {
            id: format!("well-{i}").as_str().into(),
            name: format!("well {i}"),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            district: "210102".into(),
            owner: "owner.gas".into(),
            location: None,
            attributes: BTreeMap::from([("depth_m".to_owned(), 3.5)]),
        })
        .collect();
    let sensors = (0..SENSORS)
        .map(|i| Sensor {
            id: format!("s-{i}").as_str().into(),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            asset: format!("well-{i}").as_str().into(),
            asset_ix: AssetIx(i as u32),
            location: GeoPoint {
                lon: 123.4,
                lat: 41.8,
            },
            district: "210102".into(),
            department: "owner.gas".into(),
            metrics: Vec::new(),
            overrides: BTreeMap::new(),
        })
        .collect();
    let file = "rules/gas/bench.rhai";
    let rule = Rule {
        id: "gas.bench".into(),
        domain: "city_gas".into(),
        hazard: "gas_leak".into(),
        metric: Some(CH4.into()),
        objects: Vec::new(),
        kind: RuleKind::Script(ScriptSpec {
            file: file.to_owned(),
            lookback: Duration::from_secs(3600),
            neighbours: None,
            source: Arc::from(script),
            program: Arc::new(compile(file, script).expect("the bench script compiles")),
        }),
        clear: ClearPolicy {
            margin: 0.0,
            after: Duration::from_secs(600),
        },
        description: String::new(),
        basis: None,
        shadow: false,
    };
    Generation::build(GenerationParts {
        districts: vec![District {
            code: "210102".into(),
            name: "和平区".to_owned(),
            parent: None,
            government: None,
            boundary: None,
        }],
        departments: vec![Department {
            id: "owner.gas".into(),
            name: "gas".to_owned(),
            district: None,
            contacts: Vec::new(),
        }],
        domains: vec![Domain {
            id: "city_gas".into(),
            name: "City gas".to_owned(),
            name_cn: "城镇燃气".to_owned(),
            lead_department: "owner.gas".into(),
            co_departments: Vec::new(),
            issuing_authority: Default::default(),
            objects: vec!["adjacent_space".to_owned()],
            metrics: vec![CH4.into(), "gas.pressure".into()],
            grading: None,
        }],
        metrics: vec![metric(CH4), metric("gas.pressure")],
        rules: vec![rule],
        assets,
        sensors,
        ..GenerationParts::default()
    })
}

/// Feeds readings round-robin over the sensors, one minute apart per sensor.
struct Feed {
    host: ScriptHost,
    readings: Vec<Reading>,
    round: i64,
}

impl Feed {
    fn new(script: &str) -> Feed {
        let generation = Arc::new(generation(script));
        let graph = CouplingGraph::build(&generation);
        let readings = generation
            .sensors
            .iter()
            .map(|s| Reading {
                sensor: s.id.clone(),
                metric: CH4.into(),
                value: 0.0,
                ts: Timestamp(T0),
            })
            .collect();
        let mut feed = Feed {
            host: ScriptHost::new(generation, &graph, Limits::default()),
            readings,
            round: 0,
        };
        // Warm up: fill every window.
        for _ in 0..(SENSORS as u64 * 12) {
            feed.next();
        }
        feed
    }

    /// One evaluation: observe the next reading and run the script on it.
    fn next(&mut self) -> bool {
        let i = (self.round as usize) % SENSORS;
        let minute = self.round / SENSORS as i64;
        self.round += 1;
        let reading = &mut self.readings[i];
        reading.ts = Timestamp(T0 + minute * MIN);
        // A leak every 40 minutes, shifted per sensor: 20 quiet minutes at 0.5 %LEL, then a climb
        // to 28.5 %LEL. Every branch of the script is taken; about half the readings raise
        // nothing, a third blue, the rest orange.
        let phase = (minute + i as i64) % 40;
        reading.value = if phase < 20 {
            0.5
        } else {
            (phase - 20) as f64 * 1.5
        };
        let sensor = SensorIx(i as u32);
        self.host.observe(sensor, 0, reading.ts.0, reading.value);
        if minute % 3 == 0 {
            self.host
                .observe(sensor, 1, reading.ts.0, 0.25 + (i % 3) as f64 * 0.05);
        }
        match self.host.run(0, sensor, reading) {
            Ok(verdict) => verdict.level.is_some(),
            Err(fault) => panic!("bench script failed: {fault}"),
        }
    }
}

/// CPU time this thread has used, from `/proc/thread-self/stat` (user + system, in clock ticks
/// of 1/100 s); `None` where that file does not exist.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Prints evaluations per CPU-second and per wall-second of the typical rule.
fn cpu_figure() {
    const EVALUATIONS: u64 = 1_000_000;
    let mut feed = Feed::new(TYPICAL);
    let (Some(cpu0), wall0) = (thread_cpu(), Instant::now()) else {
        return;
    };
    let mut raised = 0_u32;
    for _ in 0..EVALUATIONS {
        raised += u32::from(feed.next());
    }
    black_box(raised);
    let wall = wall0.elapsed().as_secs_f64();
    if let Some(cpu1) = thread_cpu() {
        let cpu = (cpu1 - cpu0).as_secs_f64().max(0.01);
        println!(
            "script/typical: {:.0} evaluations per CPU-second ({:.0} per wall-second), {} raised",
            EVALUATIONS as f64 / cpu,
            EVALUATIONS as f64 / wall,
            raised
        );
    }
}

fn bench(c: &mut Criterion) {
    cpu_figure();
    let mut group = c.benchmark_group("script");
    group.throughput(Throughput::Elements(BATCH));
    for (name, script) in [("typical", TYPICAL), ("floor", FLOOR), ("stats", STATS)] {
        let mut feed = Feed::new(script);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut raised = 0_u32;
                for _ in 0..BATCH {
                    raised += u32::from(feed.next());
                }
                black_box(raised)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
