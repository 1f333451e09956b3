//! Store insert throughput: 100,000 readings from 1,000 sensors in batches of 1,000 (one
//! `insert_readings` call, hence one transaction, per batch), on an SQLite file with
//! `synchronous=FULL` (the default) and `NORMAL`, and on PostgreSQL when it is reachable (`TOCSIN_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a scratch database is created and dropped).
//! Every iteration writes fresh timestamps, so every reading is new. A batch of 1,000 sensors is
//! the worst case for a table clustered by (sensor, metric, ts): each reading dirties its own leaf
//! page. `sqlite_file_sync_full_10k` shows batches of 10,000 (ten readings per sensor), as the
//! ingest writer builds when it coalesces. Each store runs twice: `insert_readings` (the readings
//! alone) and `commit_readings` (the readings plus their engine-journal row in the same
//! transaction, which is what ingest does since issue #10), so the journal's cost is the difference
//! between two figures of one run. Criterion prints the throughput in elements (readings) per
//! second.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that cannot run should stop loudly"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tocsin::model::{Reading, Timestamp};
use tocsin::storage::{self, Store};

/// Readings per iteration.
const READINGS: usize = 100_000;
/// Sensors reporting.
const SENSORS: usize = 1_000;

/// One iteration's readings in batches of `batch`: every sensor reports once a second, timestamps
/// after `start`; a batch holds whole rounds, sensor after sensor.
fn batches(start: i64, batch: usize) -> Vec<Vec<Reading>> {
    let sensors: Vec<_> = (0..SENSORS)
        .map(|i| tocsin::model::SensorId::new(format!("gas-ch4-{i:04}")))
        .collect();
    let metric = tocsin::model::MetricId::new("gas.ch4_adjacent");
    let readings: Vec<Reading> = (0..READINGS / SENSORS)
        .flat_map(|round| {
            let metric = &metric;
            sensors.iter().enumerate().map(move |(i, sensor)| Reading {
                sensor: sensor.clone(),
                metric: metric.clone(),
                value: (i % 100) as f64 / 10.0,
                ts: Timestamp(start + round as i64 * 1_000),
            })
        })
        .collect();
    readings.chunks(batch).map(<[Reading]>::to_vec).collect()
}

/// Benchmarks one store under `name`.
fn bench_store(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: Arc<dyn Store>,
    batch: usize,
    journaled: bool,
) {
    let mut group = c.benchmark_group("store_insert");
    group
        .throughput(Throughput::Elements(READINGS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    // the journaled run goes to the same store later in time, so its readings are new too
    let mut next_start = 1_764_400_000_000_i64 + if journaled { 1_000_000_000_000 } else { 0 };
    let name = if journaled {
        format!("{name}_journaled")
    } else {
        name.to_owned()
    };
    group.bench_function(&name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let work = batches(next_start, batch);
                next_start += (READINGS / SENSORS) as i64 * 1_000;
                let started = Instant::now();
                runtime.block_on(async {
                    for batch in &work {
                        let new = if journaled {
                            let committed = store.commit_readings(batch).await.unwrap();
                            assert!(committed.seq.is_some());
                            committed.new
                        } else {
                            store.insert_readings(batch).await.unwrap()
                        };
                        assert!(new.iter().all(|n| *n));
                    }
                });
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn store_insert(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, query, batch) in [
        ("sqlite_file_sync_full", "", 1_000),
        ("sqlite_file_sync_normal", "?synchronous=normal", 1_000),
        ("sqlite_file_sync_full_10k", "", 10_000),
    ] {
        let url = format!(
            "sqlite://{}{query}",
            dir.path().join(format!("{name}.db")).display()
        );
        let store = runtime.block_on(storage::open(&url)).unwrap();
        bench_store(c, &runtime, name, Arc::clone(&store), batch, false);
        bench_store(c, &runtime, name, store, batch, true);
    }

    let admin_url = std::env::var("TOCSIN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let Ok(mut admin) = runtime.block_on(PgConnection::connect(&admin_url)) else {
        eprintln!("skipped postgres: not reachable at {admin_url}");
        return;
    };
    let name = format!("tocsin_bench_{:08x}", rand::random::<u32>());
    runtime
        .block_on(sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin))
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let store = runtime
        .block_on(storage::open(&format!("{base}/{name}")))
        .unwrap();
    bench_store(c, &runtime, "postgres", Arc::clone(&store), 1_000, false);
    bench_store(c, &runtime, "postgres", store, 1_000, true);
    runtime
        .block_on(sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin))
        .unwrap();
}

criterion_group!(benches, store_insert);
criterion_main!(benches);
