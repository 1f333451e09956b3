//! The outbox through the API on a running runtime: `GET /api/v1/outbox` shows the delivery state
//! and every attempt and filters by status; `POST /api/v1/outbox/{id}/retry` re-queues a dead
//! notification for a duty officer (audited), refuses other roles, unknown ids and rows that are
//! not failed or dead.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[allow(dead_code, reason = "shared with other suites")]
#[path = "access_matrix/fixture.rs"]
mod fixture;
#[allow(dead_code, reason = "shared with other suites")]
mod store_support;

use axum::http::StatusCode;
use serde_json::Value;
use tocsin::model::{
    AuditAction, Case, Change, Channel, Level, Notification, Timestamp, WarningChange,
};
use tocsin::storage::{AttemptOutcome, AttemptReport, AuditFilter, CaseUpdate, SaveOutcome};

use api_support::{T0, token_for};
use fixture::{fixture, send, sqlite_file};

fn at(offset: i64) -> Timestamp {
    Timestamp(T0.millis() + offset)
}

#[tokio::test]
async fn the_outbox_shows_attempts_and_a_duty_officer_requeues_a_dead_row() {
    let f = fixture(sqlite_file().await).await;
    // a warning of our own, written straight to the store, with one queued webhook
    f.store
        .apply_changes(&[Change::Warning(WarningChange {
            asset: "well-0003".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            from: None,
            to: Some(Level::Red),
            ts: T0,
            rule: "gas.ch4_adjacent.ladder".into(),
            sensor: api_support::sensor_id(3).as_str().into(),
            evidence: Vec::new(),
            generation: "g".into(),
            message: "ours".to_owned(),
            causes: Vec::new(),
            details: Value::Null,
        })])
        .await
        .unwrap();
    let warning = f
        .store
        .warnings(&tocsin::storage::WarningFilter {
            asset: Some("well-0003".into()),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let row = Notification {
        key: format!("w{warning}:issued:1:shenyang.gas:webhook"),
        warning,
        recipient: "shenyang.gas".into(),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        channel: Channel::Webhook,
        level: Level::Red,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警".to_owned(),
        body: "body".to_owned(),
        created_at: at(0),
    };
    let case = Case {
        warning,
        workflow: "standard".into(),
        stage: "issued".into(),
        stage_since: at(0),
        level: Level::Red,
        drill: false,
        rungs_fired: 0,
        due: None,
        supervised: false,
        issued_to: Vec::new(),
        reacted_seq: 1,
        opened_at: at(0),
        closed_at: None,
        version: 0,
    };
    let saved = f
        .store
        .save_case(CaseUpdate {
            case: &case,
            notifications: std::slice::from_ref(&row),
            audit: &[],
        })
        .await
        .unwrap();
    assert_eq!(saved, SaveOutcome::Saved);

    let officer = token_for(&*f.store, "duty_officer", None).await;
    let auditor = token_for(&*f.store, "auditor", None).await;
    let list = |query: &'static str| {
        let router = f.router.clone();
        let token = officer.clone();
        async move {
            send(
                &router,
                "GET",
                &format!("/api/v1/outbox{query}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    let queued = list("?status=queued").await;
    assert_eq!(queued.status, StatusCode::OK, "{}", queued.body);
    let ours: Vec<&Value> = queued.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["key"] == row.key.as_str())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["attempts"], 0);
    assert_eq!(ours[0]["history"], Value::Array(Vec::new()));
    let id = ours[0]["id"].as_i64().unwrap();

    // a worker gives up on it (permanent failure)
    let claims = f
        .store
        .claim_outbox("w", at(1), at(60_000), 100)
        .await
        .unwrap();
    let claim = claims.iter().find(|c| c.id == id).unwrap();
    let report = AttemptReport {
        id,
        worker: "w",
        attempt: claim.attempt,
        started_at: at(2),
        ended_at: at(3),
        outcome: AttemptOutcome::Dead,
        provider_id: None,
        error: Some("send_http_status: http://127.0.0.1:9/h answered HTTP 400: no"),
        endpoint: "http://127.0.0.1:9/h",
        next_attempt_at: at(3),
        escalations: &[],
        audit: &[],
    };
    assert!(f.store.finish_attempt(&report).await.unwrap());
    let dead = list("?status=dead").await;
    let dead_row = &dead.body["notifications"][0];
    assert_eq!(dead_row["id"], id);
    assert_eq!(dead_row["status"], "dead");
    assert_eq!(dead_row["history"][0]["endpoint"], "http://127.0.0.1:9/h");
    assert!(
        dead_row["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 400")
    );

    let path = format!("/api/v1/outbox/{id}/retry");
    let refused = send(&f.router, "POST", &path, Some(&auditor), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let retried = send(&f.router, "POST", &path, Some(&officer), None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.body["status"], "queued");
    let again = send(&f.router, "POST", &path, Some(&officer), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "not_retryable");
    let unknown = send(
        &f.router,
        "POST",
        "/api/v1/outbox/987654/retry",
        Some(&officer),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "not_found");
    let bad = list("?status=lost").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["code"], "bad_query");

    let entries = f
        .store
        .audit(&AuditFilter {
            action: Some(AuditAction::NotifyRetried.as_str().to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].actor.starts_with("user:"));
    assert_eq!(entries[0].subject, format!("outbox:{id}"));
    assert_eq!(
        entries[0].warning,
        Some(warning),
        "shown in the warning's timeline"
    );
}
