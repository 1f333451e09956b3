//! Crash safety of the real server process: `tocsin serve` is killed with SIGKILL right after it
//! acknowledged readings, and at random moments under continuous load; after each restart every
//! acknowledged reading is stored and has had all its effects exactly once - the warnings, their
//! levels and their level histories equal those of `tocsin replay` over the stored readings.
//! Both stores: SQLite (a file) and PostgreSQL (a throw-away database; skipped with a message
//! when unreachable, a failure with CI=true).

#![allow(clippy::unwrap_used)]

#[allow(dead_code, reason = "shared with tests/store.rs, which uses all of it")]
mod store_support;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tocsin::model::{Level, Reading, SensorId, Timestamp};
use tocsin::storage::{self, Store, WarningFilter};

const BINARY: &str = env!("CARGO_BIN_EXE_tocsin");

/// The minimal example deployment, copied per test.
fn deployment() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    copy_dir(&source, dir.path());
    // snapshots every few hundred milliseconds, so the kills land before, between and after them
    let settings = dir.path().join("tocsin.yaml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("snapshot_interval: 300ms\n");
    std::fs::write(settings, text).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A `tocsin serve` child process on a free loopback port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the server and waits until `/healthz` answers (the engine has recovered by then:
    /// recovery runs before the listener opens).
    async fn start(config: &Path, store: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(BINARY)
            .args(["serve", "--config"])
            .arg(config)
            .args(["--store", store, "--listen", &format!("127.0.0.1:{port}")])
            .env(
                "RUST_LOG",
                std::env::var("CRASH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            let answer = client.get(format!("{}/healthz", server.base)).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "tocsin serve did not come up"
            );
            // waiting for a process to start listening, not for an engine timer
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts `readings` as a JSON array; the status and the answer's text.
    async fn post(&self, token: &str, readings: &[Reading]) -> (u16, String) {
        let answer = reqwest::Client::new()
            .post(format!("{}/api/v1/readings", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(json_body(readings))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap())
    }

    /// SIGKILL: no shutdown, no drain, nothing flushed.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Creates an admin token in `store`.
fn admin_token(store: &str) -> String {
    let output = Command::new(BINARY)
        .args(["token", "create", "--role", "admin", "--store", store])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The smoke readings of the minimal example moved so that the last is a minute ago.
fn smoke_readings_now() -> Vec<Reading> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal/smoke.ndjson"),
    )
    .unwrap();
    let mut readings: Vec<Reading> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).unwrap();
            let ts = time::OffsetDateTime::parse(
                item["ts"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            Reading {
                sensor: item["sensor"].as_str().unwrap().into(),
                metric: item["metric"].as_str().unwrap().into(),
                value: item["value"].as_f64().unwrap(),
                ts: Timestamp((ts.unix_timestamp_nanos() / 1_000_000) as i64),
            }
        })
        .collect();
    let last = readings.iter().map(|r| r.ts.0).max().unwrap();
    let shift = now_millis() - 60_000 - last;
    for reading in &mut readings {
        reading.ts = Timestamp(reading.ts.0 + shift);
    }
    readings
}

fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn json_body(readings: &[Reading]) -> String {
    let items: Vec<serde_json::Value> = readings
        .iter()
        .map(|r| {
            serde_json::json!({
                "sensor": r.sensor.as_str(), "metric": r.metric.as_str(),
                "value": r.value, "ts": r.ts.0,
            })
        })
        .collect();
    serde_json::to_string(&items).unwrap()
}

/// Level changes per (asset, hazard), oldest first: `(from, to)`.
type Histories = BTreeMap<(String, String), Vec<(Option<Level>, Option<Level>)>>;

fn level(word: &str) -> Option<Level> {
    match word {
        "none" => None,
        "blue" => Some(Level::Blue),
        "yellow" => Some(Level::Yellow),
        "orange" => Some(Level::Orange),
        "red" => Some(Level::Red),
        other => panic!("unknown level {other}"),
    }
}

/// What `tocsin replay` makes of `readings` under `config`.
fn replay(config: &Path, readings: &[Reading]) -> Histories {
    let input = tempfile::NamedTempFile::new().unwrap();
    let mut text = String::new();
    for r in readings {
        text.push_str(
            &serde_json::json!({
                "sensor": r.sensor.as_str(), "metric": r.metric.as_str(),
                "value": r.value, "ts": r.ts.0,
            })
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(input.path(), text).unwrap();
    let output = Command::new(BINARY)
        .args(["replay", "--config"])
        .arg(config)
        .arg("--input")
        .arg(input.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut histories = Histories::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        if item["type"] != "warning" {
            continue;
        }
        let key = (
            item["asset"].as_str().unwrap().to_owned(),
            item["hazard"].as_str().unwrap().to_owned(),
        );
        histories.entry(key).or_default().push((
            level(item["from"].as_str().unwrap()),
            level(item["level"].as_str().unwrap()),
        ));
    }
    histories
}

/// Every warning's level history in the store, per (asset, hazard), warnings in id order.
async fn stored_histories(store: &dyn Store) -> Histories {
    let mut warnings = store.warnings(&WarningFilter::default()).await.unwrap();
    warnings.sort_by_key(|w| w.id);
    let mut histories = Histories::new();
    for warning in warnings {
        let detail = store.warning(warning.id).await.unwrap().unwrap();
        let key = (warning.asset.to_string(), warning.hazard.to_string());
        histories
            .entry(key)
            .or_default()
            .extend(detail.history.iter().map(|h| (h.from, h.to)));
    }
    histories
}

/// Every stored reading of the example's sensors, in event time.
async fn stored_readings(store: &dyn Store) -> Vec<Reading> {
    let mut all = Vec::new();
    for sensor in ["gas-ch4-0001", "ws-p-0001"] {
        all.extend(
            store
                .readings(&SensorId::new(sensor), None, None, None, 0)
                .await
                .unwrap(),
        );
    }
    all.sort_by_key(|r| (r.ts, r.sensor.to_string()));
    all
}

/// The crash the issue describes: one acknowledged batch, SIGKILL at once, restart; returns
/// the readings sent.
async fn killed_right_after_the_answer(config: &Path, store_url: &str) -> Vec<Reading> {
    let token = admin_token(store_url);
    let readings = smoke_readings_now();
    let server = Server::start(config, store_url).await;
    let (status, answer) = server.post(&token, &readings).await;
    server.kill();
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(&format!("\"accepted\":{}", readings.len())),
        "{answer}"
    );
    Server::start(config, store_url).await.kill();
    readings
}

/// Rounds of continuous load, each ended by SIGKILL at a random moment (often in the middle of
/// a request, or between a commit and its evaluation), then one restart. A client re-sends a
/// batch that got no answer, as a device gateway would. Returns how many readings were
/// acknowledged.
async fn killed_under_load(config: &Path, store_url: &str, rounds: usize) -> usize {
    let token = admin_token(store_url);
    // every reading's time lies in the past, within `ingest.max_age` (30 days)
    let span = 25 * 24 * 3600 * 1000;
    let start = now_millis() - span;
    let slots = (span / SPACING_MS) as usize;
    let next = Arc::new(AtomicUsize::new(0));
    for _ in 0..rounds {
        let server = Server::start(config, store_url).await;
        let load = tokio::spawn({
            let (base, token, next) = (server.base.clone(), token.clone(), Arc::clone(&next));
            async move {
                let client = reqwest::Client::new();
                loop {
                    let from = next.load(Ordering::SeqCst);
                    if from + BATCH > slots {
                        return;
                    }
                    let batch: Vec<Reading> =
                        (from..from + BATCH).map(|i| synthetic(start, i)).collect();
                    let answer = client
                        .post(format!("{base}/api/v1/readings"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(json_body(&batch))
                        .send()
                        .await;
                    let Ok(answer) = answer else { return };
                    let status = answer.status().as_u16();
                    let Ok(text) = answer.text().await else {
                        return;
                    };
                    assert_eq!(status, 200, "{text}");
                    assert!(text.contains("\"rejected\":[]"), "{text}");
                    next.store(from + BATCH, Ordering::SeqCst);
                }
            }
        });
        let moment = Duration::from_millis(100 + rand::random::<u64>() % 600);
        tokio::time::sleep(moment).await;
        server.kill();
        load.await.unwrap();
    }
    Server::start(config, store_url).await.kill();
    next.load(Ordering::SeqCst)
}

/// Readings per request of the synthetic load.
const BATCH: usize = 20;

/// Event time between two readings of the synthetic load (each sensor reports every minute).
const SPACING_MS: i64 = 30_000;

/// The `i`-th reading of the synthetic load: one every [`SPACING_MS`], alternating sensors. In
/// event time the gas sensor climbs through every level of its ladder over 25 minutes (so `for`
/// runs and the trend script's window matter), then stays low for 45 (so the 30-minute clear
/// countdown completes); the pressure drops for half an hour in every two. Warnings open, move and
/// clear over and over, with timers running across the kills.
fn synthetic(start: i64, i: usize) -> Reading {
    let ts = Timestamp(start + i as i64 * SPACING_MS);
    if i.is_multiple_of(2) {
        let phase = (i / 2) % 70;
        let value = if phase < 25 { phase as f64 * 2.5 } else { 2.0 };
        Reading {
            sensor: "gas-ch4-0001".into(),
            metric: "gas.ch4_adjacent".into(),
            value,
            ts,
        }
    } else {
        let phase = (i / 2) % 120;
        let value = if (40..70).contains(&phase) { 0.08 } else { 0.3 };
        Reading {
            sensor: "ws-p-0001".into(),
            metric: "ws.pressure".into(),
            value,
            ts,
        }
    }
}

/// After the crashes: every acknowledged reading stored (a reading sent in a request that got
/// no answer may be stored too), the histories those of replay over what is stored.
async fn assert_like_replay(store: &dyn Store, config: &Path, acknowledged: usize) {
    let readings = stored_readings(store).await;
    assert!(
        readings.len() >= acknowledged,
        "acknowledged readings missing: {} stored, {acknowledged} acknowledged",
        readings.len()
    );
    let expected = replay(config, &readings);
    let stored = stored_histories(store).await;
    assert!(
        !expected.is_empty(),
        "the load raised no warning; the test checks nothing"
    );
    assert_eq!(stored, expected);
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("tocsin.db").display())
}

/// Whether any stored history reached red.
async fn reached_red(store: &dyn Store) -> bool {
    stored_histories(store)
        .await
        .into_values()
        .flatten()
        .any(|(_, to)| to == Some(Level::Red))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_right_after_an_acknowledged_batch_loses_no_warning() {
    let config = deployment();
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let readings = killed_right_after_the_answer(config.path(), &url).await;
    let store = storage::open(&url).await.unwrap();
    assert_like_replay(&*store, config.path(), readings.len()).await;
    assert!(reached_red(&*store).await, "the red gas leak is missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_at_random_moments_under_load() {
    let config = deployment();
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let acknowledged = killed_under_load(config.path(), &url, 6).await;
    let store = storage::open(&url).await.unwrap();
    assert_like_replay(&*store, config.path(), acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_right_after_an_acknowledged_batch_loses_no_warning() {
    store_support::with_postgres_url(|url| async move {
        let config = deployment();
        let readings = killed_right_after_the_answer(config.path(), &url).await;
        let store = storage::open(&url).await.unwrap();
        assert_like_replay(&*store, config.path(), readings.len()).await;
        assert!(reached_red(&*store).await, "the red gas leak is missing");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_at_random_moments_under_load() {
    store_support::with_postgres_url(|url| async move {
        let config = deployment();
        let acknowledged = killed_under_load(config.path(), &url, 6).await;
        let store = storage::open(&url).await.unwrap();
        assert_like_replay(&*store, config.path(), acknowledged).await;
    })
    .await;
}
