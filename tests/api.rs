//! The HTTP API in-process (`tower::ServiceExt::oneshot` on the router) over a real SQLite store in
//! a temp file and a generation built in code, signed in with an admin token (authentication and
//! roles themselves are `tests/access_matrix.rs`). Time comes from a `ManualClock`; tests wait for
//! the pipeline with `Runtime::flush`, never by sleeping.

#![allow(clippy::unwrap_used)] // a panic is the failure report a test wants

mod api_support;

use std::sync::Arc;
use std::time::Duration;

use api_support::{
    METRIC, T0, admin_token, asset_id, generation, parts, reading, sensor_id, signed_in,
};
use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tocsin::api::{self, AppState};
use tocsin::ingest::{Gate, queue};
use tocsin::model::{
    Change, Clock, Generation, Level, ManualClock, Reading, Timestamp, WarningChange,
};
use tocsin::runtime::Runtime;
use tocsin::settings::{IngestSettings, Settings};
use tocsin::storage::{self, Store};
use tocsin::telemetry::Metrics;
use tocsin::workflow::desk::{Desk, FixedGeneration};
use tower::ServiceExt;

const SENSORS: usize = 4;

/// Test settings: no real-time ticks, a small body limit for the 413 test.
fn settings() -> Settings {
    let defaults = Settings::default();
    Settings {
        tick_interval: Duration::ZERO,
        ingest: IngestSettings {
            max_body_bytes: 64 * 1024,
            ..defaults.ingest.clone()
        },
        ..defaults
    }
}

struct App {
    runtime: Runtime,
    router: Router,
    store: Arc<dyn Store>,
    generation: Arc<Generation>,
    _dir: Option<tempfile::TempDir>,
}

async fn open_store(path: &std::path::Path) -> Arc<dyn Store> {
    storage::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

async fn start_on(path: &std::path::Path, clock: ManualClock) -> (Runtime, Router, Arc<dyn Store>) {
    start_with(path, clock, generation(SENSORS)).await
}

async fn start_with(
    path: &std::path::Path,
    clock: ManualClock,
    generation: Generation,
) -> (Runtime, Router, Arc<dyn Store>) {
    let store = open_store(path).await;
    let runtime = Runtime::start(
        &settings(),
        Arc::new(generation),
        Arc::clone(&store),
        Arc::new(clock),
    )
    .await
    .unwrap();
    let router = signed_in(runtime.router(), &admin_token(&*store).await);
    (runtime, router, store)
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, router, store) =
        start_on(&dir.path().join("tocsin.db"), ManualClock::new(T0)).await;
    let generation = runtime.generation();
    App {
        runtime,
        router,
        store,
        generation,
        _dir: Some(dir),
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

async fn get(router: &Router, uri: &str) -> Answer {
    call(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(router: &Router, content_type: &str, body: impl Into<Body>) -> Answer {
    let request = Request::post("/api/v1/readings")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap();
    call(router, request).await
}

async fn post_json(router: &Router, body: &Value) -> Answer {
    post(router, "application/json", body.to_string()).await
}

fn at(seconds: i64) -> Timestamp {
    Timestamp(T0.millis() + seconds * 1000)
}

#[tokio::test]
async fn accepted_batch_is_stored() {
    let app = app().await;
    let batch = json!([
        reading(0, 1.0, at(-120)),
        reading(0, 2.0, at(-60)),
        reading(1, 3.0, at(-60))
    ]);
    let answer = post_json(&app.router, &batch).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"accepted": 3, "rejected": []}));
    let stored = get(
        &app.router,
        &format!("/api/v1/sensors/{}/readings", sensor_id(0)),
    )
    .await;
    assert_eq!(stored.status, StatusCode::OK);
    let values: Vec<f64> = stored.body["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![1.0, 2.0]);
}

#[tokio::test]
async fn mixed_rejections_carry_exact_codes_and_indices() {
    let app = app().await;
    let batch = json!([
        reading(0, 1.0, at(-10)),
        {"sensor": "nobody", "metric": METRIC, "value": 1.0, "ts": at(-10).millis()},
        {"sensor": sensor_id(0), "metric": "gas.pressure", "value": 1.0, "ts": at(-10).millis()},
        {"sensor": sensor_id(0), "metric": METRIC, "value": "1.0", "ts": at(-10).millis()},
        {"sensor": sensor_id(0), "metric": METRIC, "value": 1.0, "ts": "yesterday"},
        reading(0, 1.0, at(301)),
        reading(0, 1.0, at(-31 * 24 * 3600)),
        [1, 2, 3],
        {"sensor": sensor_id(1), "metric": METRIC, "value": 7.5, "ts": "2026-11-29T07:59:00+08:00"},
        reading(2, 500.0, at(-5)),
        {"metric": METRIC, "value": 1.0, "ts": 1},
    ]);
    let answer = post_json(&app.router, &batch).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["accepted"], json!(3));
    let rejected: Vec<(u64, String)> = answer.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = [
        (1, "unknown_sensor"),
        (2, "unknown_metric"),
        (3, "malformed_reading"),
        (4, "bad_timestamp"),
        (5, "clock_skew"),
        (6, "too_old"),
        (7, "malformed_reading"),
        (10, "malformed_reading"),
    ]
    .into_iter()
    .map(|(i, c)| (i, c.to_owned()))
    .collect();
    assert_eq!(rejected, expected);
    let metrics = get(&app.router, "/api/v1/metrics").await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("tocsin_readings_rejected_total{code=\"malformed_reading\"} 3"),
        "{text}"
    );
    assert!(text.contains("tocsin_readings_accepted_total 3"), "{text}");
}

#[tokio::test]
async fn ndjson_lines_are_judged_one_by_one() {
    let app = app().await;
    let body = format!(
        "{}\n\n{{\"sensor\": \"{}\", \"metric\": \"{METRIC}\", \"value\": NaN, \"ts\": {}}}\nthis is not json\n{}\n",
        reading(0, 1.0, at(-30)),
        sensor_id(0),
        at(-20).millis(),
        reading(1, 2.0, at(-10)),
    );
    let answer = post(&app.router, "application/x-ndjson", body).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["accepted"], json!(2));
    let codes: Vec<(u64, &str)> = answer.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![(2, "not_finite"), (3, "malformed_reading")]);
}

#[tokio::test]
async fn malformed_body_is_400() {
    let app = app().await;
    for body in ["[{\"sensor\": ", "{\"sensor\": \"x\"}", "", "nope"] {
        let answer = post(&app.router, "application/json", body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["code"], json!("malformed_body"), "{body}");
    }
    let answer = post(
        &app.router,
        "application/x-ndjson",
        vec![0xff_u8, 0xfe, b'\n'],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["code"], json!("malformed_body"));
}

#[tokio::test]
async fn oversize_body_is_413() {
    let app = app().await;
    let batch: Vec<Value> = (0..2000).map(|i| reading(0, 1.0, at(-i))).collect();
    let answer = post_json(&app.router, &Value::Array(batch)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body["code"], json!("body_too_large"));
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = app().await;
    let answer = post(
        &app.router,
        "text/plain",
        json!([reading(0, 1.0, at(0))]).to_string(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.body["code"], json!("unsupported_media_type"));
}

#[tokio::test]
async fn full_queue_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir.path().join("tocsin.db")).await;
    let generation = Arc::new(generation(SENSORS));
    let settings = settings();
    // Capacity 1 and no writer: one waiting batch fills the queue.
    let (queue, _inbox) = queue(1);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(T0));
    let token = admin_token(&*store).await;
    let desk = Desk::new(
        Arc::clone(&store),
        Arc::new(FixedGeneration(Arc::clone(&generation))),
        Arc::clone(&clock),
    );
    let state = AppState {
        store,
        gate: Arc::new(ArcSwap::from_pointee(Gate::new(
            generation,
            &settings.ingest,
        ))),
        queue: queue.clone(),
        metrics: Arc::new(Metrics::new()),
        clock,
        max_body_bytes: settings.ingest.max_body_bytes,
        retry_after_secs: 7,
        reload: None,
        desk,
        escalation: Default::default(),
    };
    let router = signed_in(api::router(state), &token);
    let _waiting = queue.submit(Vec::new()).unwrap();
    assert_eq!(queue.depth(), 1);
    let answer = post_json(&router, &json!([reading(0, 1.0, at(0))])).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body["code"], json!("overloaded"));
    assert_eq!(answer.headers[header::RETRY_AFTER], "7");
    let metrics = get(&router, "/api/v1/metrics").await;
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains("tocsin_ingest_overloaded_total 1"), "{text}");
    assert!(text.contains("tocsin_ingest_queue_depth 1"), "{text}");
}

#[tokio::test]
async fn resent_batch_is_idempotent() {
    let app = app().await;
    let batch = json!([reading(0, 3.0, at(-120)), reading(0, 60.0, at(-60))]);
    assert_eq!(
        post_json(&app.router, &batch).await.body["accepted"],
        json!(2)
    );
    app.runtime.flush().await;
    let before = get(&app.router, "/api/v1/warnings").await;
    assert_eq!(
        before.body["warnings"].as_array().unwrap().len(),
        1,
        "{}",
        before.body
    );
    assert_eq!(before.body["warnings"][0]["level"], json!("red"));

    let again = post_json(&app.router, &batch).await;
    assert_eq!(again.body, json!({"accepted": 2, "rejected": []}));
    app.runtime.flush().await;
    let after = get(&app.router, "/api/v1/warnings").await;
    assert_eq!(after.body, before.body);
    let text = get(&app.router, "/api/v1/metrics").await.body;
    let text = text.as_str().unwrap();
    assert!(text.contains("tocsin_readings_duplicate_total 2"), "{text}");
    assert!(text.contains("tocsin_evaluations_total 2"), "{text}");
    assert!(
        text.contains("tocsin_warning_changes_total{level=\"red\"} 1"),
        "{text}"
    );
}

fn warning_change(
    asset: usize,
    from: Option<Level>,
    to: Option<Level>,
    ts: Timestamp,
    generation: &Generation,
) -> Change {
    Change::Warning(WarningChange {
        asset: asset_id(asset).as_str().into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from,
        to,
        ts,
        rule: "gas.ch4_adjacent.ladder".into(),
        sensor: sensor_id(asset).as_str().into(),
        evidence: vec![Reading {
            sensor: sensor_id(asset).as_str().into(),
            metric: METRIC.into(),
            value: 12.5,
            ts,
        }],
        generation: generation.id.clone(),
        message: format!("test change {asset}"),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    })
}

#[tokio::test]
async fn warnings_filter_and_detail_with_history() {
    let app = app().await;
    let g = &app.generation;
    app.store
        .apply_changes(&[
            warning_change(0, None, Some(Level::Yellow), at(-300), g),
            warning_change(1, None, Some(Level::Blue), at(-200), g),
            warning_change(2, None, Some(Level::Orange), at(-100), g),
        ])
        .await
        .unwrap();
    app.store
        .apply_changes(&[
            warning_change(0, Some(Level::Yellow), Some(Level::Red), at(-50), g),
            warning_change(1, Some(Level::Blue), None, at(-40), g),
        ])
        .await
        .unwrap();

    let assets = |answer: &Answer| -> Vec<String> {
        answer.body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["asset"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = get(&app.router, "/api/v1/warnings").await;
    assert_eq!(assets(&all), vec![asset_id(1), asset_id(0), asset_id(2)]);
    let open = get(&app.router, "/api/v1/warnings?state=open").await;
    assert_eq!(assets(&open), vec![asset_id(0), asset_id(2)]);
    let red = get(&app.router, "/api/v1/warnings?level=red").await;
    assert_eq!(assets(&red), vec![asset_id(0)]);
    let one = get(
        &app.router,
        &format!("/api/v1/warnings?asset={}", asset_id(2)),
    )
    .await;
    assert_eq!(assets(&one), vec![asset_id(2)]);
    let since = get(
        &app.router,
        &format!("/api/v1/warnings?since={}", at(-60).millis()),
    )
    .await;
    assert_eq!(assets(&since), vec![asset_id(1), asset_id(0)]);
    let limited = get(
        &app.router,
        "/api/v1/warnings?limit=1&domain=city_gas&district=210102",
    )
    .await;
    assert_eq!(assets(&limited), vec![asset_id(1)]);
    let none = get(&app.router, "/api/v1/warnings?hazard=flood").await;
    assert_eq!(assets(&none), Vec::<String>::new());
    for bad in [
        "level=purple",
        "state=closed",
        "since=yesterday",
        "limit=0",
        "limit=x",
    ] {
        let answer = get(&app.router, &format!("/api/v1/warnings?{bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.body["code"], json!("bad_query"), "{bad}");
    }

    let id = red.body["warnings"][0]["id"].as_i64().unwrap();
    let detail = get(&app.router, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["level"], json!("red"));
    assert_eq!(detail.body["peak_level"], json!("red"));
    let history = detail.body["history"].as_array().unwrap();
    let steps: Vec<(Value, Value)> = history
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("yellow")),
            (json!("yellow"), json!("red"))
        ]
    );
    assert_eq!(history[1]["evidence"][0]["value"], json!(12.5));

    let missing = get(&app.router, "/api/v1/warnings/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], json!("not_found"));
    let junk = get(&app.router, "/api/v1/warnings/abc").await;
    assert_eq!(junk.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sensors_list_detail_and_readings_query() {
    let app = app().await;
    let batch = json!([
        reading(1, 1.0, at(-300)),
        reading(1, 2.0, at(-200)),
        reading(1, 3.0, at(-100)),
        reading(2, 4.0, at(-100)),
    ]);
    assert_eq!(
        post_json(&app.router, &batch).await.body["accepted"],
        json!(4)
    );

    let list = get(&app.router, "/api/v1/sensors").await;
    assert_eq!(list.status, StatusCode::OK);
    let sensors = list.body["sensors"].as_array().unwrap();
    assert_eq!(sensors.len(), SENSORS);
    assert_eq!(sensors[1]["id"], json!(sensor_id(1)));
    assert_eq!(
        sensors[1]["last_readings"],
        json!([{"metric": METRIC, "ts": at(-100).millis()}])
    );
    assert_eq!(sensors[0]["last_readings"], json!([]));
    let limited = get(&app.router, "/api/v1/sensors?limit=2&domain=city_gas").await;
    assert_eq!(limited.body["sensors"].as_array().unwrap().len(), 2);

    let one = get(&app.router, &format!("/api/v1/sensors/{}", sensor_id(2))).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["asset"], json!(asset_id(2)));
    assert_eq!(one.body["metrics"], json!([METRIC]));
    assert_eq!(one.body["active_faults"], json!([]));
    let missing = get(&app.router, "/api/v1/sensors/nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], json!("not_found"));

    let uri = |q: &str| format!("/api/v1/sensors/{}/readings?{q}", sensor_id(1));
    let values = |answer: &Answer| -> Vec<f64> {
        answer.body["readings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(
        values(&get(&app.router, &uri("")).await),
        vec![1.0, 2.0, 3.0]
    );
    let from = at(-200).to_rfc3339();
    assert_eq!(
        values(&get(&app.router, &uri(&format!("from={from}"))).await),
        vec![2.0, 3.0]
    );
    let to = at(-200).millis();
    assert_eq!(
        values(&get(&app.router, &uri(&format!("to={to}&metric={METRIC}"))).await),
        vec![1.0, 2.0]
    );
    assert_eq!(values(&get(&app.router, &uri("limit=1")).await), vec![1.0]);
    assert_eq!(
        values(&get(&app.router, &uri("metric=gas.pressure")).await),
        Vec::<f64>::new()
    );
    let bad = get(&app.router, &uri("from=soon")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["code"], json!("bad_query"));
    let unknown = get(&app.router, "/api/v1/sensors/nobody/readings").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn config_healthz_and_metrics() {
    let app = app().await;
    let config = get(&app.router, "/api/v1/config").await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.body["generation"], json!(app.generation.id.as_str()));
    assert_eq!(config.body["hash"], json!(app.generation.hash));
    assert_eq!(config.body["summary"]["sensors"], json!(SENSORS));
    assert_eq!(config.body["summary"]["rules"], json!(1));

    let health = get(&app.router, "/api/v1/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], json!("ok"));
    assert_eq!(health.body["store"], json!("sqlite"));
    // Probes and Prometheus look at the top level by default.
    assert_eq!(get(&app.router, "/healthz").await.status, StatusCode::OK);
    assert_eq!(get(&app.router, "/metrics").await.status, StatusCode::OK);

    post_json(&app.router, &json!([reading(0, 1.0, at(-1))])).await;
    app.runtime.flush().await;
    let metrics = get(&app.router, "/api/v1/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body.as_str().unwrap();
    for series in [
        "tocsin_readings_accepted_total 1",
        "tocsin_readings_rejected_total",
        "tocsin_evaluations_total 1",
        "tocsin_warning_changes_total",
        "tocsin_ingest_queue_depth 0",
        "tocsin_store_write_seconds_count 1",
        "tocsin_readings_late_total 0",
        "tocsin_readings_duplicate_total 0",
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
}

#[tokio::test]
async fn unknown_route_and_method_answer_json() {
    let app = app().await;
    let answer = get(&app.router, "/api/v1/nothing-here").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({"code": "not_found", "message": "no route `/api/v1/nothing-here`"})
    );
    let root = get(&app.router, "/").await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
    assert_eq!(root.body["code"], json!("not_found"));
    let method = get(&app.router, "/api/v1/readings").await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.body["code"], json!("method_not_allowed"));
}

#[tokio::test]
async fn restart_keeps_exactly_one_open_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.db");
    let clock = ManualClock::new(T0);
    let first = json!([reading(0, 3.0, at(-180)), reading(0, 60.0, at(-120))]);
    {
        let (runtime, router, _store) = start_on(&path, clock.clone()).await;
        assert_eq!(post_json(&router, &first).await.body["accepted"], json!(2));
        runtime.flush().await;
        let open = get(&router, "/api/v1/warnings?state=open").await;
        assert_eq!(
            open.body["warnings"].as_array().unwrap().len(),
            1,
            "{}",
            open.body
        );
        drop(router);
        runtime.shutdown().await;
    }
    clock.advance(Duration::from_secs(60));
    let (runtime, router, _store) = start_on(&path, clock.clone()).await;
    assert_eq!(post_json(&router, &first).await.body["accepted"], json!(2));
    let continuing = json!([reading(0, 61.0, at(-60)), reading(0, 62.0, at(0))]);
    assert_eq!(
        post_json(&router, &continuing).await.body["accepted"],
        json!(2)
    );
    runtime.flush().await;
    let open = get(&router, "/api/v1/warnings?state=open").await;
    let warnings = open.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", open.body);
    assert_eq!(warnings[0]["asset"], json!(asset_id(0)));
    assert_eq!(warnings[0]["level"], json!("red"));
    let all = get(&router, "/api/v1/warnings").await;
    assert_eq!(all.body["warnings"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn fast_and_precise_parsing_judge_readings_alike() {
    // Well-formed items take the typed fast path; one odd item sends a whole array down the
    // precise `Value` path. Both must accept and reject the same readings with the same words.
    let items = vec![
        reading(0, 1.0, at(-10)),
        json!({"sensor": "nobody", "metric": METRIC, "value": 1.0, "ts": at(-10).millis()}),
        json!({"sensor": sensor_id(1), "metric": "gas.pressure", "value": 1.0, "ts": at(-10).millis()}),
        json!({"sensor": sensor_id(1), "metric": METRIC, "value": 1.0, "ts": at(3_600).millis()}),
        json!({"sensor": sensor_id(1), "metric": METRIC, "value": 1.0, "ts": at(-90 * 86_400).millis()}),
        json!({"sensor": sensor_id(2), "metric": METRIC, "value": 1.0, "ts": "yesterday"}),
        json!({"sensor": sensor_id(2), "metric": METRIC, "value": 1.0, "ts": 1.5e12}),
        json!({"sensor": sensor_id(3), "metric": METRIC, "value": 7, "ts": at(-5).to_rfc3339()}),
    ];
    let fast = post_json(&app().await.router, &Value::Array(items.clone())).await;
    let mut with_odd_item = items.clone();
    with_odd_item.push(json!({"sensor": sensor_id(4), "metric": METRIC, "value": "high", "ts": 0}));
    let precise = post_json(&app().await.router, &Value::Array(with_odd_item)).await;

    assert_eq!(fast.body["accepted"], json!(2), "{}", fast.body);
    assert_eq!(precise.body["accepted"], json!(2), "{}", precise.body);
    let mut precise_rejected = precise.body["rejected"].as_array().unwrap().clone();
    let odd = precise_rejected.pop().unwrap();
    assert_eq!(odd["code"], json!("malformed_reading"));
    assert_eq!(fast.body["rejected"], Value::Array(precise_rejected));
    let codes: Vec<_> = fast.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        codes,
        [
            "unknown_sensor",
            "unknown_metric",
            "clock_skew",
            "too_old",
            "bad_timestamp",
            "bad_timestamp"
        ]
    );
}

#[tokio::test]
async fn restart_with_the_rule_removed_clears_its_warning_and_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.db");
    let clock = ManualClock::new(T0);
    {
        let (runtime, router, _store) = start_on(&path, clock.clone()).await;
        let red = json!([reading(0, 60.0, at(-60))]);
        assert_eq!(post_json(&router, &red).await.body["accepted"], json!(1));
        runtime.flush().await;
        drop(router);
        runtime.shutdown().await;
    }
    // City staff remove the rule; the server restarts on the new configuration.
    let mut edited = parts(SENSORS);
    edited.rules.clear();
    edited.sources[0].text.push_str("# rule removed\n");
    let (_runtime, router, store) =
        start_with(&path, clock.clone(), Generation::build(edited)).await;
    assert!(store.open_alarms().await.unwrap().is_empty());
    let open = get(&router, "/api/v1/warnings?state=open").await;
    assert_eq!(open.body["warnings"], json!([]), "{}", open.body);
    let all = get(&router, "/api/v1/warnings").await;
    let warning = &all.body["warnings"][0];
    assert_eq!(warning["state"], json!("cleared"));
    let detail = get(&router, &format!("/api/v1/warnings/{}", warning["id"])).await;
    let history = detail.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{}", detail.body);
    assert_eq!(history[1]["from"], json!("red"));
    assert_eq!(history[1]["to"], json!(null));
    assert!(
        history[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("reconciled at start-up"),
        "{}",
        detail.body
    );
}

#[tokio::test]
async fn clock_tick_raises_offline_fault_shown_on_faults_and_sensor() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let (runtime, router, _store) = start_on(&dir.path().join("tocsin.db"), clock.clone()).await;
    let batch = json!([reading(0, 1.0, at(0))]);
    assert_eq!(post_json(&router, &batch).await.body["accepted"], json!(1));
    runtime.flush().await;
    clock.advance(Duration::from_secs(3600));
    runtime.tick_now().await;

    let faults = get(&router, "/api/v1/faults").await;
    assert_eq!(faults.status, StatusCode::OK);
    let list = faults.body["faults"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", faults.body);
    assert_eq!(list[0]["sensor"], json!(sensor_id(0)));
    assert_eq!(list[0]["kind"], json!("offline"));
    assert_eq!(list[0]["active"], json!(true));
    let sensor = get(&router, &format!("/api/v1/sensors/{}", sensor_id(0))).await;
    assert_eq!(sensor.body["active_faults"][0]["kind"], json!("offline"));
    let other = get(&router, &format!("/api/v1/faults?sensor={}", sensor_id(1))).await;
    assert_eq!(other.body["faults"], json!([]));
    let text = get(&router, "/api/v1/metrics").await.body;
    let text = text.as_str().unwrap();
    assert!(text.contains("tocsin_engine_ticks_total 1"), "{text}");
    assert!(
        text.contains("tocsin_fault_changes_total{kind=\"offline\",change=\"raised\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn generations_list_the_activations_with_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.db");
    let clock = ManualClock::new(T0);
    let first_id = {
        let (runtime, router, _store) = start_on(&path, clock.clone()).await;
        let listed = get(&router, "/api/v1/config/generations").await;
        assert_eq!(listed.status, StatusCode::OK);
        let generations = listed.body["generations"].as_array().unwrap();
        assert_eq!(generations.len(), 1, "{}", listed.body);
        let first = &generations[0];
        assert_eq!(first["active"], json!(true));
        assert_eq!(listed.body["current"], first["id"]);
        assert_eq!(first["activated_at"], json!(T0.millis()));
        assert_eq!(first["summary"]["sensors"], json!(SENSORS));
        assert_eq!(
            first["changes"]["summary"],
            json!(
                "1 rule added (gas.ch4_adjacent.ladder); 1 domain added; 4 assets added; 4 sensors added"
            )
        );
        let id = first["id"].clone();
        drop(router);
        runtime.shutdown().await;
        id
    };
    // A restart with an edited configuration: the previous generation is only known by its text.
    clock.advance(Duration::from_secs(60));
    let mut edited = parts(SENSORS);
    edited.sources[0].text.push_str("# edited\n");
    let (_runtime, router, _store) =
        start_with(&path, clock.clone(), Generation::build(edited)).await;
    let listed = get(&router, "/api/v1/config/generations").await;
    let generations = listed.body["generations"].as_array().unwrap();
    assert_eq!(generations.len(), 2, "{}", listed.body);
    assert_eq!(generations[0]["active"], json!(true));
    assert_eq!(generations[0]["changes"]["scope"], json!("files"));
    assert_eq!(generations[0]["changes"]["previous"], first_id);
    assert_eq!(
        generations[0]["changes"]["files"]["changed"]["ids"],
        json!(["test/generation.yaml"])
    );
    assert_eq!(generations[1]["id"], first_id);
    assert_eq!(generations[1]["active"], json!(false));
    let limited = get(&router, "/api/v1/config/generations?limit=1").await;
    assert_eq!(limited.body["generations"].as_array().unwrap().len(), 1);
    let bad = get(&router, "/api/v1/config/generations?limit=none").await;
    assert_eq!(bad.body["code"], json!("bad_query"));
}

#[tokio::test]
async fn reload_without_a_deployment_directory_is_409() {
    let app = app().await;
    let request = Request::post("/api/v1/admin/reload")
        .body(Body::empty())
        .unwrap();
    let answer = call(&app.router, request).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.body["code"], json!("reload_unavailable"));
    let config = get(&app.router, "/api/v1/config").await;
    assert_eq!(config.body["generation"], json!(app.generation.id.as_str()));
}

#[tokio::test]
async fn shadow_findings_are_listed_by_rule_and_time() {
    let app = app().await;
    let finding = |rule: &str, to: Option<Level>, seconds: i64| {
        Change::Shadow(tocsin::model::ShadowFinding {
            rule: rule.into(),
            sensor: sensor_id(0).as_str().into(),
            asset: asset_id(0).as_str().into(),
            hazard: "gas_leak".into(),
            from: None,
            to,
            ts: at(seconds),
            message: format!("{rule} would raise"),
            generation: app.generation.id.clone(),
        })
    };
    app.store
        .apply_changes(&[
            finding("gas.trial", Some(Level::Yellow), -30),
            finding("gas.other", Some(Level::Red), -20),
            finding("gas.trial", None, -10),
        ])
        .await
        .unwrap();
    let all = get(&app.router, "/api/v1/shadow").await;
    assert_eq!(all.status, StatusCode::OK);
    let rules: Vec<&str> = all.body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["gas.trial", "gas.other", "gas.trial"]);
    assert_eq!(all.body["findings"][0]["to"], json!(null));
    assert_eq!(all.body["findings"][2]["to"], json!("yellow"));
    let trial = get(
        &app.router,
        &format!("/api/v1/shadow?rule=gas.trial&since={}", at(-15).millis()),
    )
    .await;
    assert_eq!(trial.body["findings"].as_array().unwrap().len(), 1);
    assert_eq!(trial.body["findings"][0]["ts"], json!(at(-10).millis()));
    // Shadow findings never become warnings.
    let warnings = get(&app.router, "/api/v1/warnings").await;
    assert_eq!(warnings.body["warnings"], json!([]));
    let bad = get(&app.router, "/api/v1/shadow?since=later").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn warning_detail_shows_causes_and_details() {
    let app = app().await;
    let Change::Warning(mut change) =
        warning_change(0, None, Some(Level::Orange), at(-60), &app.generation)
    else {
        unreachable!("warning_change builds a warning change");
    };
    change.causes = vec![tocsin::model::Cause {
        cascade: "C4_water_burst_to_road_collapse".to_owned(),
        asset: "main-7".to_owned(),
        hazard: "pipe_burst".to_owned(),
        level: Level::Red,
        raise_likelihood: 1,
    }];
    change.details = json!({"trend": 1.5, "window": "10m"});
    app.store
        .apply_changes(&[Change::Warning(change)])
        .await
        .unwrap();
    let list = get(&app.router, "/api/v1/warnings").await;
    let warning = &list.body["warnings"][0];
    assert_eq!(warning["causes"][0]["asset"], json!("main-7"));
    let detail = get(&app.router, &format!("/api/v1/warnings/{}", warning["id"])).await;
    let entry = &detail.body["history"][0];
    assert_eq!(
        entry["causes"],
        json!([{"cascade": "C4_water_burst_to_road_collapse", "asset": "main-7",
                "hazard": "pipe_burst", "level": "red", "raise_likelihood": 1}])
    );
    assert_eq!(entry["details"], json!({"trend": 1.5, "window": "10m"}));
}
