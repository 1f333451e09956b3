//! Runtime tests that need the whole pipeline or the runtime's reconciliation beside a lower
//! layer's fixtures: they live here, above everything they use, so no lower module's tests
//! import the runtime (see the layer list in docs/ARCHITECTURE.md and tests/layering.rs).

#![allow(clippy::unwrap_used, reason = "tests")]

/// The duty desk's report and action handlers answer with stable codes, on a started runtime.
mod actions {

    use std::path::Path;
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::post;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use axum::extract::Extension;

    use crate::api::AppState;
    use crate::api::actions::{act, report};
    use crate::model::Principal;
    use crate::model::{ManualClock, Role, Timestamp};
    use crate::runtime::Runtime;
    use crate::settings::Settings;

    /// The handlers alone, with `principal` as the auth middleware would insert it.
    fn router(state: &AppState, principal: Principal) -> Router {
        Router::new()
            .route("/warnings", post(report))
            .route("/warnings/{id}/actions", post(act))
            .layer(Extension(principal))
            .with_state(state.clone())
    }

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal {
            user: 9,
            name: role.as_str().to_owned(),
            role,
            department: department.map(Into::into),
            district: None,
        }
    }

    async fn post_json(router: &Router, uri: &str, body: &str, json_type: bool) -> (u16, Value) {
        let mut request = Request::post(uri);
        if json_type {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn reports_and_actions_answer_with_stable_codes() {
        let generation =
            Arc::new(crate::compile::load(Some(Path::new("examples/shenyang"))).unwrap());
        let store = crate::storage::open("sqlite::memory:").await.unwrap();
        let settings = Settings {
            tick_interval: std::time::Duration::ZERO,
            ..Settings::default()
        };
        let clock = Arc::new(ManualClock::new(Timestamp(1_795_910_400_000)));
        let runtime = Runtime::start(&settings, generation, store, clock)
            .await
            .unwrap();
        let state = runtime.state().clone();
        let duty = router(&state, principal(Role::DutyOfficer, None));

        let report = json!({"asset": "gas-well-njnj-01", "hazard": "gas_leak", "level": "orange",
                            "message": "12345: 燃气味 gas smell"});
        let (status, body) = post_json(&duty, "/warnings", &report.to_string(), true).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["merged"], json!(false));
        assert_eq!(body["warning"]["source"], json!("manual"));
        assert_eq!(body["warning"]["case"]["stage"], json!("detected"));
        let id = body["warning"]["id"].as_i64().unwrap();
        let uri = format!("/warnings/{id}/actions");

        let (status, body) = post_json(&duty, &uri, r#"{"action": "issue"}"#, true).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["warning"], json!(id));
        assert_eq!(body["case"]["stage"], json!("issued"));
        let next: Vec<&str> = body["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(next.contains(&"acknowledge"), "{next:?}");

        let cases = [
            (r#"{"action": "isue"}"#, true, 400, "unknown_action"),
            (r#"{"action": "close"}"#, true, 409, "action_not_allowed"),
            (r#"{"action": 1}"#, true, 400, "malformed_body"),
            (
                r#"{"action": "issue", "extra": true}"#,
                true,
                400,
                "malformed_body",
            ),
            (
                r#"{"action": "issue"}"#,
                false,
                415,
                "unsupported_media_type",
            ),
        ];
        for (body, json_type, status, code) in cases {
            let (got, answer) = post_json(&duty, &uri, body, json_type).await;
            assert_eq!(
                (got, answer["code"].as_str()),
                (status, Some(code)),
                "{body}"
            );
        }
        for missing in ["/warnings/abc/actions", "/warnings/999999/actions"] {
            let (got, answer) = post_json(&duty, missing, r#"{"action": "issue"}"#, true).await;
            assert_eq!((got, answer["code"].as_str()), (404, Some("not_found")));
        }

        let stranger = router(
            &state,
            principal(Role::DepartmentUser, Some("shenyang.water")),
        );
        let (got, answer) = post_json(&stranger, &uri, r#"{"action": "acknowledge"}"#, true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (403, Some("forbidden")),
            "{answer}"
        );

        let unknown = json!({"asset": "gas-well-x", "hazard": "gas_leak", "level": "red",
                             "message": "m"});
        let (got, answer) = post_json(&duty, "/warnings", &unknown.to_string(), true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (400, Some("unregistered_asset"))
        );
        let (got, answer) = post_json(&duty, "/warnings", "{", true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (400, Some("malformed_body"))
        );

        drop(duty);
        drop(stranger);
        drop(state);
        runtime.shutdown().await;
    }
}

/// Engine restore (eval) and start-up reconciliation (runtime) agree on a standing sequence alarm.
mod restore {
    use crate::eval::tests::engine;
    use crate::eval::tests::fixture::*;
    use crate::eval::tests::judgement::{IMMEDIATE, R, pressure_low, sequence};
    use crate::model::{Change, Level};

    #[test]
    fn a_restart_restores_a_standing_sequence_alarm_that_reconciliation_leaves_alone() {
        use crate::model::OpenAlarm;
        use crate::runtime::reconcile::{Occasion, corrections};
        let rules = vec![
            threshold("gas.ch4.ladder", "gas.ch4", IMMEDIATE),
            pressure_low(),
            sequence(10),
        ];
        let generation = build(parts(rules));
        // what the store holds after the sequence fired on s2 (and the alarms it matched)
        let stored = |rule: &str, sensor: &str, hazard: &str, level: Level| OpenAlarm {
            rule: rule.into(),
            sensor: sensor.into(),
            asset: "well-1".into(),
            hazard: hazard.into(),
            level,
            since: at(5.0),
        };
        let alarms = vec![
            stored("gas.ch4.ladder", "s1", "gas_leak", Level::Yellow),
            stored("gas.pressure.low", "s2", "gas_leak", Level::Blue),
            stored("gas.leak_then_drop", "s2", "pipe_break", Level::Red),
        ];
        let mut restarted = engine(&generation);
        restarted.restore(&alarms, &[], &[]);
        assert_eq!(restarted.warning_level("well-1", "pipe_break"), R);
        let fixes = corrections(&restarted, &alarms, &[], at(30.0), Occasion::StartUp);
        assert!(
            !fixes.iter().any(|c| matches!(c, Change::Alarm(_))),
            "{fixes:#?}"
        );
    }
}

/// Shutdown of the HTTP server: stop accepting, finish the request in flight, end in bound.
mod drain {
    use std::time::{Duration, Instant};

    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{Mutex, mpsc, oneshot};
    use tokio_util::sync::CancellationToken;

    use crate::runtime::serve_router;

    /// A router whose `/slow` reports that it started, then answers when released.
    fn slow_router(started: mpsc::Sender<()>, release: oneshot::Receiver<()>) -> Router {
        let release = std::sync::Arc::new(Mutex::new(Some(release)));
        Router::new().route(
            "/slow",
            get(move || {
                let started = started.clone();
                let release = std::sync::Arc::clone(&release);
                async move {
                    started.send(()).await.unwrap();
                    let waiting = release.lock().await.take();
                    if let Some(waiting) = waiting {
                        let _ = waiting.await;
                    }
                    "finished"
                }
            }),
        )
    }

    #[tokio::test]
    async fn shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (started_tx, mut started) = mpsc::channel(1);
        let (release, release_rx) = oneshot::channel();
        let stop = CancellationToken::new();
        let server = tokio::spawn({
            let stop = stop.clone();
            let router = slow_router(started_tx, release_rx);
            async move { serve_router(listener, router, &stop, Duration::from_secs(30)).await }
        });
        // an idle connection (no byte sent) and one with a request in flight
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET /slow HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        started.recv().await.unwrap();

        stop.cancel();
        // the idle connection is closed without an answer
        let mut nothing = Vec::new();
        idle.read_to_end(&mut nothing).await.unwrap();
        assert!(nothing.is_empty(), "{}", String::from_utf8_lossy(&nothing));
        release.send(()).unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("finished"), "{answer}");
        assert!(server.await.unwrap().unwrap(), "every connection finished");
        // the listener is closed
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn a_request_that_never_finishes_is_dropped_at_the_grace() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (started_tx, mut started) = mpsc::channel(1);
        let (_never_released, release_rx) = oneshot::channel();
        let stop = CancellationToken::new();
        let grace = Duration::from_millis(200);
        let server = tokio::spawn({
            let stop = stop.clone();
            let router = slow_router(started_tx, release_rx);
            async move { serve_router(listener, router, &stop, grace).await }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET /slow HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        started.recv().await.unwrap();
        let cancelled = Instant::now();
        stop.cancel();
        let drained = server.await.unwrap().unwrap();
        let took = cancelled.elapsed();
        assert!(!drained, "the stuck connection did not finish");
        assert!(took >= grace, "{took:?}");
        assert!(took < grace + Duration::from_secs(5), "{took:?}");
        // the client sees the connection close without an answer
        let mut answer = Vec::new();
        let _ = client.read_to_end(&mut answer).await;
        assert!(answer.is_empty());
    }
}
