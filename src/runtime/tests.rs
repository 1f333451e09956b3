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
