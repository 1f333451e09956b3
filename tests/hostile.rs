//! Hostile clients and hostile files, end to end (issue 10, point 7): what an attacker's review of
//! a running server tried, each as a test that failed before the fix. In-process on the real
//! router over real stores (the store cases on SQLite and PostgreSQL); time comes from a
//! `ManualClock`. The one real-time wait is for the OS file watcher (bounded, a few hundred ms).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
#[allow(dead_code, reason = "shared with other suites")]
mod store_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api_support::{T0, admin_token, generation, reading, sensor_id, signed_in, token_for};
use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tocsin::api::{self, AppState, ReloadOutcome, ReloadTrigger};
use tocsin::auth::Authenticator;
use tocsin::auth::refusals::{PATH_LIMIT, RefusalBudget};
use tocsin::ingest::Gate;
use tocsin::ingest::queue::{IngestQueue, queue_with_budget};
use tocsin::model::{AuditAction, AuditDraft, Change, Clock, Level, ManualClock, WarningChange};
use tocsin::runtime::Runtime;
use tocsin::settings::{ReloadSettings, Settings};
use tocsin::storage::{AuditFilter, Store, WarningFilter};
use tocsin::telemetry::Metrics;
use tocsin::workflow::desk::{Desk, FixedGeneration};
use tower::ServiceExt;

/// An app over `store` without a writer behind its queue: what the guard, the body buffering and
/// the read endpoints do, without the pipeline.
struct App {
    router: Router,
    authenticator: Arc<Authenticator>,
    queue: IngestQueue,
    clock: ManualClock,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

fn app(store: Arc<dyn Store>, inflight_bytes: usize) -> App {
    let generation = Arc::new(generation(4));
    let settings = Settings::default();
    let clock = ManualClock::new(T0);
    let shared_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let (queue, _inbox) = queue_with_budget(4, inflight_bytes);
    let metrics = Arc::new(Metrics::new());
    let desk = Desk::new(
        Arc::clone(&store),
        Arc::new(FixedGeneration(Arc::clone(&generation))),
        Arc::clone(&shared_clock),
    );
    let state = AppState {
        store: Arc::clone(&store),
        gate: Arc::new(ArcSwap::from_pointee(Gate::new(
            generation,
            &settings.ingest,
        ))),
        queue: queue.clone(),
        metrics: Arc::clone(&metrics),
        clock: Arc::clone(&shared_clock),
        max_body_bytes: 64 * 1024,
        retry_after_secs: 7,
        reload: None,
        desk,
        escalation: Default::default(),
    };
    let authenticator = Arc::new(Authenticator::new(Arc::clone(&store), shared_clock));
    App {
        router: api::router_with(state, Arc::clone(&authenticator)),
        authenticator,
        queue,
        clock,
        store,
        metrics,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn call(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(router: &Router, uri: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    call(router, request.body(Body::empty()).unwrap()).await
}

async fn refusal_rows(store: &dyn Store) -> Vec<tocsin::model::AuditEntry> {
    store
        .audit(&AuditFilter {
            action: Some("auth.refused".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

/// 8 anonymous clients with 60 KB paths grew the database by 310 MB in 5 s: every refusal was a
/// row holding the whole path. Now rows are budgeted, paths cut, the rest counted.
async fn anonymous_flood_writes_a_bounded_audit_trail(store: Arc<dyn Store>) {
    let app = app(store, 1 << 20);
    let long_id = "x".repeat(60 * 1024);
    let flood = 3 * RefusalBudget::BURST as usize;
    for _ in 0..flood {
        let answer = get(&app.router, &format!("/api/v1/sensors/{long_id}"), None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["code"], json!("unauthorized"));
    }
    let rows = refusal_rows(&*app.store).await;
    assert_eq!(rows.len(), RefusalBudget::BURST as usize);
    for row in &rows {
        let detail: Value = serde_json::from_str(&row.detail).unwrap();
        let path = detail["path"].as_str().unwrap();
        assert!(path.len() < PATH_LIMIT + 32, "{} bytes", path.len());
        assert!(path.ends_with("bytes]"), "{path}");
        assert!(row.subject.len() < PATH_LIMIT + 40);
    }
    let stored: usize = rows.iter().map(|r| r.detail.len() + r.subject.len()).sum();
    assert!(stored < 100 * 1024, "{stored} bytes of refusal rows");
    let metrics = app.metrics.render();
    assert!(
        metrics.contains(&format!(
            "tocsin_auth_refused_total{{reason=\"missing_token\"}} {flood}"
        )),
        "{metrics}"
    );

    // A minute later the budget has refilled: one summary row says how many were not written.
    app.clock.advance(Duration::from_secs(60));
    assert_eq!(
        get(&app.router, "/api/v1/warnings", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let rows = refusal_rows(&*app.store).await;
    assert_eq!(rows.len(), RefusalBudget::BURST as usize + 2);
    let summary: Value = serde_json::from_str(&rows[rows.len() - 2].detail).unwrap();
    assert_eq!(summary["reason"], json!("over_budget"));
    assert_eq!(
        summary["suppressed"],
        json!(flood - RefusalBudget::BURST as usize)
    );
    assert_eq!(rows[rows.len() - 2].actor, "system:guard");
}

/// A bad token costs no store read: one lookup for a repeated unknown token (then the negative
/// cache answers), none for a token that is not of our shape.
async fn bad_tokens_cost_no_store_read(store: Arc<dyn Store>) {
    let app = app(store, 1 << 20);
    let forged = format!("tcs_{}", "ab".repeat(32));
    for _ in 0..50 {
        let answer = get(&app.router, "/api/v1/warnings", Some(&forged)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.authenticator.store_lookups(), 1);
    for garbage in ["abc", "tcs_short", &format!("tcs_{}", "Z".repeat(64))] {
        for _ in 0..20 {
            let answer = get(&app.router, "/api/v1/warnings", Some(garbage)).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(app.authenticator.store_lookups(), 1);
    // After the cache's lifetime the store is asked again (a token could have been created).
    app.clock.advance(Authenticator::TTL);
    get(&app.router, "/api/v1/warnings", Some(&forged)).await;
    assert_eq!(app.authenticator.store_lookups(), 2);
    // A real token still signs in.
    let admin = admin_token(&*app.store).await;
    assert_eq!(
        get(&app.router, "/api/v1/warnings", Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
}

/// One open warning in district 210102, lead department `shenyang.construction`; its id.
async fn seed_warning(store: &dyn Store) -> i64 {
    let generation = generation(4);
    store
        .apply_changes(&[Change::Warning(WarningChange {
            asset: "well-0000".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            from: None,
            to: Some(Level::Orange),
            ts: T0,
            rule: "gas.ch4_adjacent.ladder".into(),
            sensor: sensor_id(0).as_str().into(),
            evidence: Vec::new(),
            generation: generation.id.clone(),
            message: "seeded".to_owned(),
            causes: Vec::new(),
            details: Value::Null,
        })])
        .await
        .unwrap();
    store.warnings(&WarningFilter::default()).await.unwrap()[0].id
}

/// A department user's refused probes of another department's warning stay out of that warning's
/// timeline; a district user's `district` filter narrows, never replaces.
async fn scoped_users_stay_in_their_scope(store: Arc<dyn Store>) {
    let app = app(store, 1 << 20);
    let warning = seed_warning(&*app.store).await;
    let admin = admin_token(&*app.store).await;
    let prober = token_for(&*app.store, "department_user", Some("shenyang.water")).await;
    for _ in 0..3 {
        let answer = get(
            &app.router,
            &format!("/api/v1/warnings/{warning}"),
            Some(&prober),
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    // A probe audited by an earlier version, still tied to the warning.
    app.store
        .append_audit(&[AuditDraft {
            at: T0,
            actor: "user:99".to_owned(),
            action: AuditAction::RequestRefused,
            warning: Some(warning),
            generation: None,
            subject: format!("GET /api/v1/warnings/{warning}"),
            detail: json!({"reason": "scope"}),
        }])
        .await
        .unwrap();
    let timeline = get(
        &app.router,
        &format!("/api/v1/warnings/{warning}/timeline"),
        Some(&admin),
    )
    .await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.body);
    let actions: Vec<&str> = timeline.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(!actions.contains(&"auth.refused"), "{actions:?}");
    // The probes are still audited, with the warning in their detail.
    let probes = refusal_rows(&*app.store).await;
    let new_probes: Vec<_> = probes.iter().filter(|p| p.actor != "user:99").collect();
    assert_eq!(new_probes.len(), 3);
    assert!(
        new_probes
            .iter()
            .all(|p| p.warning.is_none() && p.detail.contains(&format!("\"warning\":{warning}")))
    );

    let district = token_for(&*app.store, "district_user", Some("210102")).await;
    let own = get(&app.router, "/api/v1/warnings", Some(&district)).await;
    assert_eq!(own.body["warnings"].as_array().unwrap().len(), 1);
    let other = get(
        &app.router,
        "/api/v1/warnings?district=210103",
        Some(&district),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body["warnings"], json!([]), "filter was replaced");
    let same = get(
        &app.router,
        "/api/v1/warnings?district=210102",
        Some(&district),
    )
    .await;
    assert_eq!(same.body["warnings"].as_array().unwrap().len(), 1);
}

async fn post_body(router: &Router, body: Body, length: Option<usize>) -> Answer {
    let mut request =
        Request::post("/api/v1/readings").header(header::CONTENT_TYPE, "application/json");
    if let Some(length) = length {
        request = request.header(header::CONTENT_LENGTH, length);
    }
    call(router, request.body(body).unwrap()).await
}

/// Bodies are bounded in bytes: when other requests hold the byte budget, a body is refused with
/// 503 `overloaded` and `Retry-After` before it is buffered, whether it declares its length or is
/// streamed in chunks.
#[tokio::test]
async fn request_bytes_in_flight_are_bounded() {
    let store = store_support::sqlite_memory().await;
    let app = app(Arc::clone(&store), 4096);
    let router = signed_in(app.router.clone(), &admin_token(&*store).await);
    let batch = json!([reading(0, 1.0, T0)]).to_string();

    // Other requests hold most of the budget.
    let held = app.queue.reserve_bytes(4090).unwrap();
    let answer = post_body(&router, Body::from(batch.clone()), Some(batch.len())).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["code"], json!("overloaded"));
    assert_eq!(answer.headers[header::RETRY_AFTER], "7");
    // Streamed without a length: refused once the chunks outgrow what is left.
    let chunks: Vec<Result<String, std::io::Error>> = (0..10)
        .map(|_| Ok(" ".repeat(50)))
        .chain([Ok(batch.clone())])
        .collect();
    let answer = post_body(
        &router,
        Body::from_stream(futures::stream::iter(chunks)),
        None,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert!(
        app.metrics
            .render()
            .contains("tocsin_ingest_overloaded_total 2")
    );
    drop(held);
    assert_eq!(
        app.queue.inflight_bytes(),
        0,
        "refused requests hold nothing"
    );

    // With the budget free, the same body passes the buffering (and, with no writer behind this
    // queue, waits in it: the answer is not awaited here).
    let declared_too_large = post_body(&router, Body::from("[]"), Some(10 * 1024 * 1024)).await;
    assert_eq!(declared_too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    let empty = post_body(&router, Body::from("[]"), Some(2)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!(
        app.queue.inflight_bytes(),
        0,
        "answered requests give their bytes back"
    );
}

/// The lenient re-read of bare `NaN` tokens never shows its internal placeholder, and a reading
/// that names a key twice is refused instead of silently keeping the last value.
#[tokio::test]
async fn odd_readings_get_clear_answers() {
    let store = store_support::sqlite_memory().await;
    let app = app(Arc::clone(&store), 1 << 20);
    let router = signed_in(app.router.clone(), &admin_token(&*store).await);
    let sensor = sensor_id(0);
    let body = format!(
        r#"[{{"sensor": "{sensor}", "metric": "gas.ch4_adjacent", "value": 1, "ts": NaN}},
            {{"sensor": NaN, "metric": "gas.ch4_adjacent", "value": 1, "ts": 1}},
            {{"sensor": "{sensor}", "metric": "gas.ch4_adjacent", "value": 1, "value": 95, "ts": {ts}}}]"#,
        ts = T0.millis()
    );
    let answer = post_body(&router, Body::from(body), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["accepted"], json!(0));
    let rejected = answer.body["rejected"].as_array().unwrap();
    let text = answer.body.to_string();
    assert!(
        !text.contains("non-finite") && !text.contains("\\u0000"),
        "{text}"
    );
    assert_eq!(rejected[0]["code"], json!("bad_timestamp"));
    assert!(rejected[0]["message"].as_str().unwrap().contains("NaN"));
    assert_eq!(rejected[1]["code"], json!("malformed_reading"));
    assert_eq!(rejected[2]["code"], json!("malformed_reading"));
    assert!(
        rejected[2]["message"]
            .as_str()
            .unwrap()
            .contains("`value` is given twice"),
        "{text}"
    );
}

// --- the deployment directory: refused reloads and the file watch -------------------------------

const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
"#;

fn rules(orange: &str) -> String {
    format!(
        r#"version: 1
rules:
  - id: local.edited
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas_b
    description: local rule that the edits change
    threshold: {{direction: above, levels: {{orange: {orange}}}}}
    clear: {{margin: 1, after: 1h}}
"#
    )
}

fn deployment(dir: &Path) {
    std::fs::create_dir_all(dir.join("city")).unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("city/registry.yaml"), REGISTRY).unwrap();
    std::fs::write(dir.join("rules/local.yaml"), rules("60")).unwrap();
}

const DEBOUNCE: Duration = Duration::from_millis(50);

async fn serve(dir: &Path, store: Arc<dyn Store>, watch: bool) -> Runtime {
    let generation = Arc::new(tocsin::compile::load(Some(dir)).unwrap());
    let settings = Settings {
        tick_interval: Duration::ZERO,
        reload: ReloadSettings {
            watch,
            debounce: DEBOUNCE,
        },
        ..Settings::default()
    };
    Runtime::start_deployment(
        &settings,
        dir,
        generation,
        store,
        Arc::new(ManualClock::new(T0)),
    )
    .await
    .unwrap()
}

/// A refused reload is audited as `config.refused`: who asked, how many problems, the first few.
async fn refused_reloads_are_audited(store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let runtime = serve(dir.path(), Arc::clone(&store), false).await;
    let editor = token_for(&*store, "rule_editor", None).await;
    let router = signed_in(runtime.router(), &editor);
    std::fs::write(dir.path().join("rules/local.yaml"), rules("sixty")).unwrap();
    let answer = call(
        &router,
        Request::post("/api/v1/admin/reload")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let problems = answer.body["diagnostics"].as_array().unwrap().len();
    let refused = store
        .audit(&AuditFilter {
            action: Some("config.refused".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].actor.starts_with("user:"),
        "{}",
        refused[0].actor
    );
    let detail: Value = serde_json::from_str(&refused[0].detail).unwrap();
    assert_eq!(detail["trigger"], json!("api"));
    assert_eq!(detail["problems"], json!(problems));
    let first = detail["diagnostics"].as_array().unwrap();
    assert!(!first.is_empty() && first.len() <= 5);
    assert_eq!(first[0]["file"], json!("rules/local.yaml"));
    // SIGHUP and the watch have no user: the trigger is the actor.
    let reloader = Arc::clone(runtime.reloader().unwrap());
    let outcome = tocsin::api::Reload::reload(&*reloader, ReloadTrigger::Signal).await;
    assert!(matches!(outcome, ReloadOutcome::Rejected { .. }));
    let refused = store
        .audit(&AuditFilter {
            action: Some("config.refused".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[1].actor, "system:signal");
    drop(router);
    drop(reloader);
    runtime.shutdown().await;
}

store_tests!(
    anonymous_flood_writes_a_bounded_audit_trail,
    bad_tokens_cost_no_store_read,
    scoped_users_stay_in_their_scope,
    refused_reloads_are_audited,
);

/// One edit, one reload: the watcher used to count the reload's own reads of the files (inotify
/// open events) as changes, and reloaded "unchanged" about twice a second, forever.
#[tokio::test]
async fn one_edit_is_one_reload() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let store = store_support::sqlite_memory().await;
    let runtime = serve(dir.path(), store, true).await;
    let mut events = runtime.reload_events().unwrap();
    std::fs::write(dir.path().join("rules/local.yaml"), rules("50")).unwrap();
    let first = tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("no reload within 30 s")
        .unwrap();
    assert_eq!(first.trigger, ReloadTrigger::Watch);
    assert!(
        matches!(first.outcome, ReloadOutcome::Applied(_)),
        "{first:?}"
    );
    // Twelve debounce periods (600 ms): the old watcher reloaded again within two.
    let again = tokio::time::timeout(DEBOUNCE * 12, events.recv()).await;
    assert!(again.is_err(), "a reload nobody asked for: {again:?}");
    runtime.shutdown().await;
}

/// Sends `bytes` on a fresh connection to `addr` and reads the whole answer (the server closes).
async fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> (String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // the server may answer and close before it has read everything: a write error is fine
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.to_owned(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// Heads hyper refuses before any router runs (a 100 KB header, a garbage request line, too
/// many fields) are answered with `{code, message}` JSON; a good request on the same server
/// passes, and the server stops on its token.
#[tokio::test]
async fn refused_request_heads_carry_the_api_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    let runtime = serve(dir.path(), store_support::sqlite_memory().await, false).await;
    let stop = runtime.cancellation();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(tocsin::runtime::serve(
        runtime,
        listener,
        std::future::pending(),
    ));

    let big = format!(
        "GET /api/v1/healthz HTTP/1.1\r\nhost: t\r\nx-filler: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let many: String = (0..200).map(|i| format!("x-{i}: 1\r\n")).collect();
    let many = format!("GET /api/v1/healthz HTTP/1.1\r\n{many}\r\n");
    let cases: [(&[u8], &str, &str); 4] = [
        (big.as_bytes(), "HTTP/1.1 431 ", "headers_too_large"),
        (many.as_bytes(), "HTTP/1.1 431 ", "headers_too_large"),
        (b"\x00\x01garbage\r\n\r\n", "HTTP/1.1 400 ", "bad_request"),
        (b"GET /x HTTP/9.9\r\n\r\n", "HTTP/1.1 400 ", "bad_request"),
    ];
    for (bytes, status, code) in cases {
        let (head, body) = raw_exchange(addr, bytes).await;
        assert!(head.starts_with(status), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        assert_eq!(body["code"], code, "{head}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // a request in two writes (head split in the middle) and a kept-alive second request pass
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /api/v1/hea").await.unwrap();
        stream
            .write_all(b"lthz HTTP/1.1\r\nhost: t\r\n\r\nGET /api/v1/healthz HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    }

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("serve ends after the token is cancelled")
        .unwrap()
        .unwrap();
}
