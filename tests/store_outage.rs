//! The store goes away under load and comes back. PostgreSQL is reached through a TCP relay that
//! the test cuts (every open connection closed, new ones refused) and restores: while it is cut
//! nothing panics, ingest answers 503 with `Retry-After`, `/healthz` answers 503 and
//! `tocsin_store_up` is 0; nothing acknowledged is lost; when it is back everything resumes without
//! a restart; and a shutdown during an outage ends within its grace. (SQLite is a file in the
//! server's own process: it has no outage of this kind.)

#![allow(clippy::unwrap_used)]

mod api_support;
#[allow(dead_code, reason = "shared with tests/store.rs, which uses all of it")]
mod store_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use api_support::{T0, admin_token, generation, reading, sensor_id, signed_in};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tocsin::model::{ManualClock, SensorId, Timestamp};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long the store stays away.
const OUTAGE: Duration = Duration::from_secs(30);

/// A TCP relay to PostgreSQL that can be cut and restored.
struct Relay {
    addr: std::net::SocketAddr,
    down: Arc<AtomicBool>,
    connections: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: &'static str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let accept = tokio::spawn({
            let (down, connections) = (Arc::clone(&down), Arc::clone(&connections));
            async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        return;
                    };
                    if down.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    connections.lock().await.spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                }
            }
        });
        Relay {
            addr,
            down,
            connections,
            accept,
        }
    }

    /// Closes every relayed connection and refuses new ones.
    async fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    /// Relays new connections again.
    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// `url` (a database on 127.0.0.1:5432) through this relay.
    fn url(&self, url: &str) -> String {
        url.replace("127.0.0.1:5432", &self.addr.to_string())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
    }
}

async fn post(router: &Router, readings: &Value) -> Answer {
    let request = Request::post("/api/v1/readings")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(readings.to_string()))
        .unwrap();
    send(router, request).await
}

async fn get(router: &Router, path: &str) -> Answer {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

async fn metrics(router: &Router) -> String {
    let response = router
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The `i`-th reading of sensor 0 at `i` seconds after an hour before `T0`; values climb to red.
fn climbing(i: usize) -> Value {
    let ts = Timestamp(T0.millis() - 3_600_000 + i as i64 * 1000);
    reading(0, (i % 80) as f64, ts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_under_load_loses_nothing_and_recovers_without_a_restart() {
    store_support::with_postgres_url(|url| async move {
        let relay = Relay::start("127.0.0.1:5432").await;
        let store = storage::open(&relay.url(&url)).await.unwrap();
        let token = admin_token(&*store).await;
        let settings = Settings {
            shutdown_grace: Duration::from_secs(2),
            tick_interval: Duration::ZERO,
            ..Settings::default()
        };
        let clock = Arc::new(ManualClock::new(T0));
        let runtime = Runtime::start(&settings, Arc::new(generation(4)), store, clock)
            .await
            .unwrap();
        let router = signed_in(runtime.router(), &token);

        // before: stored and evaluated
        let mut next = 0;
        let mut acknowledged = Vec::new();
        for _ in 0..5 {
            let batch: Vec<Value> = (next..next + 10).map(climbing).collect();
            next += 10;
            let answer = post(&router, &Value::Array(batch)).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            acknowledged.extend(next - 10..next);
        }
        runtime.flush().await;

        // the store goes away under load
        relay.cut().await;
        let outage = Instant::now();
        let (mut refused, mut taken) = (0, 0);
        while outage.elapsed() < OUTAGE {
            let batch: Vec<Value> = (next..next + 10).map(climbing).collect();
            let answer = post(&router, &Value::Array(batch)).await;
            if answer.status == StatusCode::OK {
                // a commit that raced the cut: acknowledged, so it must be kept
                acknowledged.extend(next..next + 10);
                next += 10;
                taken += 1;
                continue;
            }
            assert_eq!(
                answer.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{}",
                answer.body
            );
            assert!(
                answer.retry_after.is_some(),
                "503 without Retry-After: {}",
                answer.body
            );
            refused += 1;
        }
        assert!(
            refused > 0 && taken <= 1,
            "refused {refused}, taken {taken}"
        );
        let health = get(&router, "/healthz").await;
        assert_eq!(
            health.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            health.body
        );
        assert!(metrics(&router).await.contains("tocsin_store_up 0"));

        // back: the same process resumes, the clients' re-sends are taken
        relay.restore();
        let back = Instant::now();
        loop {
            let batch: Vec<Value> = (next..next + 10).map(climbing).collect();
            let answer = post(&router, &Value::Array(batch)).await;
            if answer.status == StatusCode::OK {
                acknowledged.extend(next..next + 10);
                next += 10;
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(60),
                "ingest never resumed"
            );
        }
        runtime.flush().await;
        assert_eq!(get(&router, "/healthz").await.status, StatusCode::OK);
        assert!(metrics(&router).await.contains("tocsin_store_up 1"));
        let open = get(&router, "/api/v1/warnings?state=open").await;
        let warnings = open.body["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{}", open.body);

        // a shutdown during the next outage ends within its grace
        let batch: Vec<Value> = (next..next + 10).map(climbing).collect();
        relay.cut().await;
        let _ = post(&router, &Value::Array(batch)).await;
        drop(router);
        let stopping = Instant::now();
        runtime.shutdown().await;
        let took = stopping.elapsed();
        assert!(took < Duration::from_secs(15), "shutdown took {took:?}");
        relay.restore();

        // nothing acknowledged is missing
        let direct = storage::open(&url).await.unwrap();
        let stored = direct
            .readings(&SensorId::new(sensor_id(0)), None, None, None, 0)
            .await
            .unwrap();
        let stored: std::collections::BTreeSet<i64> =
            stored.iter().map(|r| r.ts.millis()).collect();
        for i in acknowledged {
            let ts = climbing(i)["ts"].as_i64().unwrap();
            assert!(stored.contains(&ts), "acknowledged reading {i} is missing");
        }
    })
    .await;
}
