//! Robustness of `POST /api/v1/readings`: random bytes, random JSON, wrong types, huge numbers,
//! deep nesting, NaN tokens and mixed arrays, sent in-process to the real router over a SQLite
//! store, with an admin's bearer token. Whatever comes in, nothing panics and every answer is
//! either 200 with a well-formed `{accepted, rejected}` or an error status with a JSON
//! `{code, message}` whose code is known and matches the status.

#![allow(clippy::unwrap_used)] // a panic is the failure report a test wants

mod api_support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use api_support::{METRIC, T0, admin_token, generation, sensor_id, signed_in};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use serde_json::{Value, json};
use tocsin::error::ErrorCode;
use tocsin::model::ManualClock;
use tocsin::runtime::Runtime;
use tocsin::settings::{IngestSettings, Settings};
use tower::ServiceExt;

/// Sensors registered; the generators also use ids beyond them.
const SENSORS: usize = 8;

struct Harness {
    tokio: tokio::runtime::Runtime,
    router: Router,
    _runtime: Runtime,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("props.db").display());
        let (runtime, token) = tokio.block_on(async {
            let store = tocsin::storage::open(&url).await.unwrap();
            let token = admin_token(&*store).await;
            let defaults = Settings::default();
            let settings = Settings {
                tick_interval: Duration::ZERO,
                ingest: IngestSettings {
                    max_body_bytes: 256 * 1024,
                    ..defaults.ingest.clone()
                },
                ..defaults
            };
            let runtime = Runtime::start(
                &settings,
                Arc::new(generation(SENSORS)),
                store,
                Arc::new(ManualClock::new(T0)),
            )
            .await
            .unwrap();
            (runtime, token)
        });
        let router = signed_in(runtime.router(), &token);
        Harness {
            tokio,
            router,
            _runtime: runtime,
            _dir: dir,
        }
    })
}

/// Sends a body and returns the status and the parsed JSON answer (which must be JSON).
fn send(content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let harness = harness();
    harness.tokio.block_on(async {
        let request = Request::post("/api/v1/readings")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let response = harness.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            panic!(
                "answer {status} is not JSON ({error}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, value)
    })
}

fn known_code(code: &str) -> Option<ErrorCode> {
    ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
}

/// Checks the answer contract; returns `(accepted, rejected)` on 200.
fn check_answer(status: StatusCode, body: &Value) -> Option<(u64, usize)> {
    if status == StatusCode::OK {
        let accepted = body["accepted"].as_u64().expect("accepted is a count");
        let rejected = body["rejected"].as_array().expect("rejected is an array");
        for rejection in rejected {
            assert!(rejection["index"].is_u64(), "{rejection}");
            assert!(rejection["message"].is_string(), "{rejection}");
            let code = rejection["code"].as_str().expect("code is text");
            assert!(known_code(code).is_some(), "unknown code {code}");
        }
        Some((accepted, rejected.len()))
    } else {
        let code = body["code"].as_str().expect("error body has a code");
        assert!(body["message"].is_string(), "{body}");
        let code = known_code(code).unwrap_or_else(|| panic!("unknown code {code}"));
        assert_eq!(code.http_status(), status.as_u16(), "{body}");
        assert!(
            [400, 413, 415, 503].contains(&status.as_u16()),
            "unexpected status {status}: {body}"
        );
        None
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from(METRIC)),
        (0..10usize).prop_map(|i| Value::from(sensor_id(i))),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("sensor".to_owned()),
                    Just("metric".to_owned()),
                    Just("value".to_owned()),
                    Just("ts".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text of a value as a device might send it: numbers, huge numbers, NaN tokens, wrong types.
fn value_token() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f).to_string()),
        Just("NaN".to_owned()),
        Just("Infinity".to_owned()),
        Just("-Infinity".to_owned()),
        Just("1e999".to_owned()),
        Just("-1e400".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("\"12.5\"".to_owned()),
        Just("null".to_owned()),
        Just("[1]".to_owned()),
        Just("{}".to_owned()),
        Just("true".to_owned()),
    ]
}

fn ts_token() -> impl Strategy<Value = String> {
    prop_oneof![
        (-600_000i64..200_000).prop_map(|d| (T0.millis() + d).to_string()),
        Just("\"2026-11-29T07:59:00+08:00\"".to_owned()),
        Just("\"yesterday\"".to_owned()),
        Just("1.5".to_owned()),
        Just("-99999999999999999999".to_owned()),
        Just("null".to_owned()),
        any::<i64>().prop_map(|t| t.to_string()),
    ]
}

fn reading_line() -> impl Strategy<Value = String> {
    (0..10usize, value_token(), ts_token(), any::<bool>()).prop_map(|(s, value, ts, good_metric)| {
        let metric = if good_metric { METRIC } else { "gas.pressure" };
        format!(
            "{{\"sensor\": \"{}\", \"metric\": \"{metric}\", \"value\": {value}, \"ts\": {ts}}}",
            sensor_id(s)
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..512),
        ndjson in any::<bool>(),
    ) {
        let content_type = if ndjson { "application/x-ndjson" } else { "application/json" };
        let (status, answer) = send(content_type, body);
        check_answer(status, &answer);
    }

    #[test]
    fn random_json_is_judged_item_by_item(value in any_json()) {
        let (status, answer) = send("application/json", value.to_string().into_bytes());
        let counts = check_answer(status, &answer);
        if let Value::Array(items) = &value {
            let (accepted, rejected) = counts.expect("a JSON array always gets 200");
            prop_assert_eq!(accepted as usize + rejected, items.len());
        } else {
            prop_assert_eq!(status, StatusCode::BAD_REQUEST);
            prop_assert_eq!(&answer["code"], &json!("malformed_body"));
        }
    }

    #[test]
    fn device_lines_with_nan_and_wrong_types(lines in prop::collection::vec(reading_line(), 0..40)) {
        let body = lines.join("\n");
        let (status, answer) = send("application/x-ndjson", body.clone().into_bytes());
        let (accepted, rejected) = check_answer(status, &answer).expect("NDJSON text gets 200");
        prop_assert_eq!(accepted as usize + rejected, lines.len());
        for rejection in answer["rejected"].as_array().unwrap() {
            let line = &lines[rejection["index"].as_u64().unwrap() as usize];
            let code = rejection["code"].as_str().unwrap();
            let known = (0..SENSORS).any(|i| line.contains(&format!("\"{}\"", sensor_id(i))));
            let non_finite = ["NaN,", "Infinity,"].iter().any(|t| line.contains(&format!("\"value\": {t}")));
            if non_finite {
                let expected = if line.ends_with("\"ts\": null}") {
                    "malformed_reading"
                } else if !known {
                    "unknown_sensor"
                } else if line.contains("gas.pressure") {
                    "unknown_metric"
                } else {
                    "not_finite"
                };
                prop_assert_eq!(code, expected, "{}", line);
            }
        }
        let array = format!("[{}]", lines.join(","));
        let (status, answer) = send("application/json", array.into_bytes());
        check_answer(status, &answer);
    }

    #[test]
    fn lenient_token_scan_handles_any_text(text in "(NaN|Infinity|-|\"|\\\\|[a-z0-9{}:,\\[\\] ]|\\PC){0,64}") {
        if let Some(fixed) = tocsin::ingest::body::replace_non_finite_tokens(&text) {
            prop_assert_ne!(&fixed, &text);
            prop_assert!(fixed.contains("\\u0000non-finite"));
        }
        let (status, answer) = send("application/x-ndjson", text.into_bytes());
        check_answer(status, &answer);
    }

    #[test]
    fn deep_nesting_is_refused_cleanly(depth in 1usize..20_000, object in any::<bool>()) {
        let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
        let body = format!("[{}1{}]", open.repeat(depth), close.repeat(depth));
        let (status, answer) = send("application/json", body.clone().into_bytes());
        check_answer(status, &answer);
        let (status, answer) = send("application/x-ndjson", body.into_bytes());
        check_answer(status, &answer);
    }
}

#[test]
fn mixed_array_counts_every_item_exactly() {
    let body = json!([
        {"sensor": sensor_id(0), "metric": METRIC, "value": 1.0, "ts": T0.millis()},
        "text",
        7,
        null,
        {"sensor": sensor_id(1), "metric": METRIC, "value": 1e308, "ts": T0.millis()},
        [[[]]],
    ]);
    let (status, answer) = send("application/json", body.to_string().into_bytes());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["accepted"], json!(2));
    let indices: Vec<u64> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indices, vec![1, 2, 3, 5]);
}
