//! Delivery bench: webhook deliveries per second from a full outbox to a ready local receiver (an
//! in-process HTTP server on loopback), with every attempt's status, attempt row and audit entry
//! written durably; and queued-to-delivered latency (p50, p99) of the running worker for messages
//! queued one at a time. SQLite temp file (`synchronous=FULL`) and PostgreSQL (a fresh database;
//! skipped with a message when unreachable).
//!
//! Run: `cargo bench --bench notify_delivery` (env `TOCSIN_BENCH_MESSAGES`, default 2000;
//! `TOCSIN_TEST_POSTGRES` = admin URL).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod bench_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench_support::{drop_database, fresh_postgres};
use tocsin::model::{
    Case, Change, Channel, Clock, Level, Notification, SystemClock, Timestamp, WarningChange,
};
use tocsin::notify::{self, Notifier, NotifySettings, SettingsAddressBook};
use tocsin::storage::{CaseUpdate, DeliveryFilter, DeliveryStatus, Store};

/// Starts a receiver that answers every POST with 200 and a message id; returns its URL.
async fn receiver() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&count);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            async move { axum::Json(serde_json::json!({"message_id": format!("m{n}")})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, count)
}

fn settings(url: &str, poll_ms: u64) -> NotifySettings {
    let yaml = format!(
        "webhooks: {{desk: {{url: '{url}', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'}}}}\n\
         addresses: {{default: {{webhook: [desk]}}}}\n\
         batch: 128\npoll_interval_ms: {poll_ms}\nrate_per_second: {{webhook: 1000000}}\n"
    );
    let value: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
    NotifySettings::from_yaml_with(&value, |_| None).unwrap()
}

/// Opens a warning for the outbox rows to belong to; returns its id.
async fn warning(store: &Arc<dyn Store>) -> i64 {
    store
        .apply_changes(&[Change::Warning(WarningChange {
            asset: "bench-asset".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.gas".into(),
            from: None,
            to: Some(Level::Red),
            ts: Timestamp(0),
            rule: "bench".into(),
            sensor: "bench".into(),
            evidence: Vec::new(),
            generation: "g".into(),
            message: "bench".to_owned(),
            causes: Vec::new(),
            details: serde_json::Value::Null,
        })])
        .await
        .unwrap();
    store
        .warnings(&tocsin::storage::WarningFilter::default())
        .await
        .unwrap()[0]
        .id
}

/// Saves the case at `version` with `rows`.
async fn queue(store: &Arc<dyn Store>, warning: i64, version: i64, rows: &[Notification]) {
    let case = Case {
        warning,
        workflow: "standard".into(),
        stage: "issued".into(),
        stage_since: Timestamp(0),
        level: Level::Red,
        drill: false,
        rungs_fired: 0,
        due: None,
        supervised: false,
        issued_to: Vec::new(),
        reacted_seq: 1,
        opened_at: Timestamp(0),
        closed_at: None,
        version,
    };
    store
        .save_case(CaseUpdate {
            case: &case,
            notifications: rows,
            audit: &[],
        })
        .await
        .unwrap();
}

fn row(warning: i64, tag: &str, i: usize, at: Timestamp) -> Notification {
    Notification {
        key: format!("w{warning}:{tag}:{i}:desk:webhook"),
        warning,
        recipient: "shenyang.gas".into(),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        channel: Channel::Webhook,
        level: Level::Red,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警：燃气泄漏".to_owned(),
        body: "浑南区某燃气井甲烷浓度超限，请立即处置。".to_owned(),
        created_at: at,
    }
}

async fn run_backend(label: &str, url: &str, messages: usize) {
    let store = tocsin::storage::open(url).await.unwrap();
    let (hook, received) = receiver().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let warning = warning(&store).await;

    // throughput from a full outbox
    let rows: Vec<Notification> = (0..messages)
        .map(|i| row(warning, "full", i, clock.now()))
        .collect();
    queue(&store, warning, 0, &rows).await;
    let settings = settings(&hook, 5);
    let book = Arc::new(SettingsAddressBook::new(&settings));
    let channels = notify::channels(&settings, Arc::clone(&clock), book).unwrap();
    let notifier = Notifier::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        settings.clone(),
        channels,
        "bench",
    );
    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let round = notifier.run_once().await.unwrap();
        delivered += round.delivered;
        if round.claimed == 0 {
            break;
        }
    }
    let took = started.elapsed();
    assert_eq!(delivered, messages);
    assert_eq!(received.load(Ordering::Relaxed), messages as u64);
    println!(
        "{label:<9} full outbox: {messages} webhooks in {:.2} s = {:.0} deliveries/s",
        took.as_secs_f64(),
        messages as f64 / took.as_secs_f64()
    );

    // latency of the running worker, one message at a time
    let handle = notify::spawn(Arc::clone(&store), Arc::clone(&clock), settings).unwrap();
    let singles = 200;
    for i in 0..singles {
        let version = 1 + i as i64;
        queue(
            &store,
            warning,
            version,
            &[row(warning, "one", i, clock.now())],
        )
        .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut latencies: Vec<i64> = loop {
        let done = store
            .deliveries(&DeliveryFilter {
                status: Some(DeliveryStatus::Delivered),
                ..DeliveryFilter::default()
            })
            .await
            .unwrap();
        let ones: Vec<i64> = done
            .iter()
            .filter(|d| d.record.notification.key.contains(":one:"))
            .filter_map(|d| {
                d.delivered_at
                    .map(|at| at.since(d.record.notification.created_at))
            })
            .collect();
        if ones.len() == singles || Instant::now() > deadline {
            break ones;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    handle.stop().await;
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{label:<9} queued->delivered (poll 5 ms), {} messages: p50 {} ms, p99 {} ms",
        latencies.len(),
        pick(0.50),
        pick(0.99)
    );
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "notify_delivery")
    {
        return;
    }
    let messages = std::env::var("TOCSIN_BENCH_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        run_backend("sqlite", &url, messages).await;
        if let Some((url, name, mut admin)) = fresh_postgres().await {
            run_backend("postgres", &url, messages).await;
            drop_database(&mut admin, &name).await;
        }
    });
}
