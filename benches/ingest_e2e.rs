//! End-to-end ingest bench: the real server on 127.0.0.1:0 (in-process), a few concurrent HTTP
//! clients POSTing JSON batches of 1,000 readings from 100,000 registered sensors (neighbouring
//! sensors per batch, as a gateway sends them, and sensors scattered over the registry), each
//! with an ingest client's bearer token, persisted to SQLite (temp file) and to PostgreSQL (a
//! fresh database, skipped with a message when unreachable). Prints readings/s acknowledged
//! (durable) and readings/s evaluated, then resident memory per sensor for 100,000 sensors loaded
//! into the engine, then what authentication costs a request (a cached token, and a store
//! lookup).
//!
//! Run: `cargo bench --bench ingest_e2e` (env `TOCSIN_BENCH_BATCHES` = batches per run, default
//! 200; `TOCSIN_TEST_POSTGRES` = admin URL, default `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/api_support/mod.rs"]
mod api_support;
mod bench_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api_support::{METRIC, generation, sensor_id, token_for};
use bench_support::{drop_database, fresh_postgres};
use tocsin::auth::Authenticator;
use tocsin::eval::Engine;
use tocsin::model::{Clock, Reading, SystemClock, Timestamp};
use tocsin::runtime::{Runtime, serve};
use tocsin::settings::Settings;

const CLIENTS: usize = 4;
const BATCH: usize = 1_000;
const SENSORS: usize = 100_000;
const DEADLINE: Duration = Duration::from_secs(60);

/// Which sensors a batch holds.
#[derive(Clone, Copy)]
enum Pattern {
    /// 1,000 neighbouring sensors in registry order, as one gateway or sector platform sends them:
    /// the rows a batch writes sit next to each other in the readings table.
    Gateway,
    /// 1,000 sensors spread over the whole registry: every row lands on a different page.
    Scattered,
}

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::Gateway => "gateway",
            Pattern::Scattered => "scattered",
        }
    }

    fn sensor(self, seq: usize) -> usize {
        match self {
            Pattern::Gateway => seq % SENSORS,
            // Multiplicative hashing spreads consecutive readings over the registry.
            Pattern::Scattered => seq.wrapping_mul(2_654_435_761) % SENSORS,
        }
    }
}

struct Outcome {
    acked: u64,
    ack_secs: f64,
    eval_secs: f64,
    retries: u64,
}

async fn run_backend(url: &str, batches: usize, pattern: Pattern) -> Outcome {
    let store = tocsin::storage::open(url).await.unwrap();
    let token = token_for(&*store, "ingest_client", None).await;
    let settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    let clock = Arc::new(SystemClock);
    let base = clock.now().minus(Duration::from_secs(3600)).millis();
    let runtime = Runtime::start(&settings, Arc::new(generation(SENSORS)), store, clock)
        .await
        .unwrap();
    let queue = runtime.queue().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(runtime, listener, async move {
        let _ = stopped.await;
    }));

    let url = format!("http://{addr}/api/v1/readings");
    let acked = Arc::new(AtomicU64::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let url = url.clone();
        let acked = Arc::clone(&acked);
        let retries = Arc::clone(&retries);
        let authorization = format!("Bearer {token}");
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut batch = client;
            while batch < batches && started.elapsed() < DEADLINE {
                let body = body(batch, base, pattern);
                loop {
                    let response = http
                        .post(&url)
                        .header("authorization", &authorization)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    if response.status() == 503 {
                        retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    assert_eq!(response.status(), 200);
                    let answer: serde_json::Value = response.json().await.unwrap();
                    acked.fetch_add(answer["accepted"].as_u64().unwrap(), Ordering::Relaxed);
                    break;
                }
                batch += CLIENTS;
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let ack_secs = started.elapsed().as_secs_f64();
    queue.flush().await.unwrap();
    let eval_secs = started.elapsed().as_secs_f64();
    // The server's shutdown drains the queue and waits for every sender to be gone.
    drop(queue);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    Outcome {
        acked: acked.load(Ordering::Relaxed),
        ack_secs,
        eval_secs,
        retries: retries.load(Ordering::Relaxed),
    }
}

/// Batch `n`: 1,000 readings, each (sensor, ts) unique across the run, values below blue mostly.
fn body(n: usize, base: i64, pattern: Pattern) -> String {
    let readings: Vec<serde_json::Value> = (0..BATCH)
        .map(|i| {
            let seq = n * BATCH + i;
            serde_json::json!({
                "sensor": sensor_id(pattern.sensor(seq)),
                "metric": METRIC,
                "value": (seq % 97) as f64 * 0.05,
                "ts": base + seq as i64,
            })
        })
        .collect();
    serde_json::Value::Array(readings).to_string()
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn memory_per_sensor() {
    const N: usize = 100_000;
    let before = rss_bytes();
    let generation = Arc::new(generation(N));
    let after_registry = rss_bytes();
    let mut engine = Engine::new(Arc::clone(&generation));
    let mut changes = Vec::new();
    let now = SystemClock.now();
    for (i, sensor) in generation.sensors.iter().enumerate() {
        let reading = Reading {
            sensor: sensor.id.clone(),
            metric: METRIC.into(),
            value: (i % 7) as f64,
            ts: Timestamp(now.millis() - 1_000),
        };
        engine.evaluate(&reading, &mut changes);
        changes.clear();
    }
    let after_engine = rss_bytes();
    let per = |bytes: u64| bytes as f64 / N as f64;
    println!("memory, {N} sensors (VmRSS)");
    println!(
        "  registry (generation)      {:>8.0} bytes/sensor",
        per(after_registry.saturating_sub(before))
    );
    println!(
        "  engine state, 1 reading each {:>6.0} bytes/sensor",
        per(after_engine.saturating_sub(after_registry))
    );
    println!(
        "  total                      {:>8.0} bytes/sensor",
        per(after_engine.saturating_sub(before))
    );
    drop(engine);
}

/// What the guard's token check costs a request: a cached token (every request but one per
/// `Authenticator::TTL`), and a store lookup (the first request, and after the TTL), on SQLite.
async fn auth_cost() {
    const HITS: u32 = 100_000;
    const LOOKUPS: u32 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("auth.db").display());
    let store = tocsin::storage::open(&url).await.unwrap();
    let token = token_for(&*store, "ingest_client", None).await;
    let cached = Authenticator::new(Arc::clone(&store), Arc::new(SystemClock));
    cached.authenticate(&token, None).await.unwrap();
    let started = Instant::now();
    for _ in 0..HITS {
        cached.authenticate(&token, None).await.unwrap();
    }
    let hit = started.elapsed() / HITS;
    let uncached = Authenticator::with_ttl(store, Arc::new(SystemClock), Duration::ZERO);
    uncached.authenticate(&token, None).await.unwrap();
    let started = Instant::now();
    for _ in 0..LOOKUPS {
        uncached.authenticate(&token, None).await.unwrap();
    }
    let lookup = started.elapsed() / LOOKUPS;
    println!();
    println!("authentication per request (SQLite)");
    println!(
        "  cached token               {:>8.2} us",
        hit.as_secs_f64() * 1e6
    );
    println!(
        "  store lookup (no cache)    {:>8.2} us",
        lookup.as_secs_f64() * 1e6
    );
}

fn print_row(backend: &str, pattern: Pattern, outcome: &Outcome) {
    println!(
        "{backend:<10} {:<10} {:>9} {:>12.0} {:>14.0} {:>8}",
        pattern.name(),
        outcome.acked,
        outcome.acked as f64 / outcome.ack_secs,
        outcome.acked as f64 / outcome.eval_secs,
        outcome.retries
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument other than ours means "not this bench".
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "ingest_e2e")
    {
        return;
    }
    let batches = std::env::var("TOCSIN_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    memory_per_sensor();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!();
    println!(
        "ingest end to end: {CLIENTS} clients x JSON batches of {BATCH}, {batches} batches, {SENSORS} sensors"
    );
    println!(
        "{:<10} {:<10} {:>9} {:>12} {:>14} {:>8}",
        "backend", "batches", "readings", "acked/s", "evaluated/s", "503s"
    );
    tokio.block_on(async {
        for pattern in [Pattern::Gateway, Pattern::Scattered] {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            print_row(
                "sqlite",
                pattern,
                &run_backend(&url, batches, pattern).await,
            );
        }
        for pattern in [Pattern::Gateway, Pattern::Scattered] {
            let Some((url, name, mut admin)) = fresh_postgres().await else {
                break;
            };
            let outcome = run_backend(&url, batches, pattern).await;
            print_row("postgres", pattern, &outcome);
            drop_database(&mut admin, &name).await;
        }
        auth_cost().await;
    });
}
