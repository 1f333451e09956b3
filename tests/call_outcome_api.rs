//! `POST /api/v1/outbox/{id}/call` on a running runtime: a duty officer marks a phone call task
//! placed, then not answered, and the message is queued on the next channel of the escalation
//! order; an answered call is recorded only; the latest mark and who made it show in
//! `GET /api/v1/outbox`; a webhook row, an unknown id, an unknown outcome and another role are
//! refused with stable codes.

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

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tocsin::model::{AuditAction, Case, Channel, Level, ManualClock, Notification, Timestamp};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage::{AuditFilter, CaseUpdate, SaveOutcome};

use api_support::{T0, token_for};
use fixture::{generation, send, sqlite_file};

fn at(offset: i64) -> Timestamp {
    Timestamp(T0.millis() + offset)
}

fn row(warning: i64, who: &str, channel: Channel) -> Notification {
    Notification {
        key: format!("w{warning}:issued:1:{who}:{}", channel.as_str()),
        warning,
        recipient: who.into(),
        audience: Notification::DEPARTMENT_AUDIENCE.to_owned(),
        channel,
        level: Level::Red,
        drill: false,
        reason: "issued".to_owned(),
        subject: "红色预警".to_owned(),
        body: "body".to_owned(),
        created_at: at(0),
    }
}

#[tokio::test]
async fn a_duty_officer_marks_call_tasks_and_an_unanswered_call_escalates() {
    let store = sqlite_file().await;
    let mut settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    settings.notify.escalation = [(Channel::Phone, vec![Channel::Webhook])]
        .into_iter()
        .collect();
    let runtime = Runtime::start(
        &settings,
        Arc::new(generation()),
        Arc::clone(&store),
        Arc::new(ManualClock::new(T0)),
    )
    .await
    .unwrap();
    let router = runtime.router();
    store
        .apply_changes(&[tocsin::model::Change::Warning(
            tocsin::model::WarningChange {
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
            },
        )])
        .await
        .unwrap();
    let warning = store
        .warnings(&tocsin::storage::WarningFilter {
            asset: Some("well-0003".into()),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let gas = row(warning, "shenyang.gas", Channel::Phone);
    let water = row(warning, "shenyang.water", Channel::Phone);
    let hook = row(warning, "shenyang.gas", Channel::Webhook);
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
    let saved = store
        .save_case(CaseUpdate {
            case: &case,
            notifications: &[gas.clone(), water.clone(), hook.clone()],
            audit: &[],
        })
        .await
        .unwrap();
    assert_eq!(saved, SaveOutcome::Saved);

    let officer = token_for(&*store, "duty_officer", None).await;
    let auditor = token_for(&*store, "auditor", None).await;
    let list = || async {
        let answer = send(
            &router,
            "GET",
            &format!("/api/v1/outbox?warning={warning}"),
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["notifications"].as_array().unwrap().clone()
    };
    let by_key = |rows: &[Value], key: &str| rows.iter().find(|r| r["key"] == key).cloned();
    let rows = list().await;
    let id_of = |key: &str| by_key(&rows, key).unwrap()["id"].as_i64().unwrap();
    let (gas_id, water_id, hook_id) = (id_of(&gas.key), id_of(&water.key), id_of(&hook.key));
    assert_eq!(by_key(&rows, &gas.key).unwrap()["call"], Value::Null);
    let mark = |id: i64, body: Value, token: &str| {
        let router = router.clone();
        let token = token.to_owned();
        async move {
            send(
                &router,
                "POST",
                &format!("/api/v1/outbox/{id}/call"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };

    // placed: recorded, nothing queued
    let placed = mark(
        gas_id,
        json!({"outcome": "placed", "note": "拨打中"}),
        &officer,
    )
    .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert_eq!(placed.body["call"]["outcome"], "placed");
    assert_eq!(placed.body["escalated"], json!([]));
    let escalated_key = format!("{}:undelivered:webhook", gas.key);
    assert!(by_key(&list().await, &escalated_key).is_none());

    // no answer: the next channel's row is queued, and the list shows the latest mark
    let unanswered = mark(gas_id, json!({"outcome": "no_answer"}), &officer).await;
    assert_eq!(unanswered.status, StatusCode::OK, "{}", unanswered.body);
    assert_eq!(unanswered.body["escalated"], json!([escalated_key]));
    let rows = list().await;
    let next = by_key(&rows, &escalated_key).unwrap();
    assert_eq!(next["channel"], "webhook");
    assert_eq!(next["reason"], "undelivered:phone");
    let marked = by_key(&rows, &gas.key).unwrap();
    assert_eq!(marked["call"]["outcome"], "no_answer");
    assert!(
        marked["call"]["marked_by"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    assert!(
        !marked["call"]["marked_by_name"]
            .as_str()
            .unwrap()
            .is_empty()
    );

    // answered: recorded only, nothing queued, the case is not acknowledged
    let answered = mark(
        water_id,
        json!({"outcome": "answered", "note": "李工接听"}),
        &officer,
    )
    .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.body["escalated"], json!([]));
    let rows = list().await;
    assert_eq!(
        by_key(&rows, &water.key).unwrap()["call"]["note"],
        "李工接听"
    );
    assert!(by_key(&rows, &format!("{}:undelivered:webhook", water.key)).is_none());
    assert_eq!(
        store.case(warning).await.unwrap().unwrap().stage.as_str(),
        "issued"
    );

    // refusals
    let webhook = mark(hook_id, json!({"outcome": "answered"}), &officer).await;
    assert_eq!(webhook.status, StatusCode::CONFLICT, "{}", webhook.body);
    assert_eq!(webhook.body["code"], "not_a_call_task");
    let unknown = mark(987_654, json!({"outcome": "answered"}), &officer).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "not_found");
    let bad = mark(gas_id, json!({"outcome": "hung_up"}), &officer).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["code"], "malformed_body");
    assert!(bad.body["message"].as_str().unwrap().contains("no_answer"));
    let forbidden = mark(gas_id, json!({"outcome": "answered"}), &auditor).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    // audited under the warning, so its timeline shows each mark
    let entries = store
        .audit(&AuditFilter {
            warning: Some(warning),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for action in [
        AuditAction::NotifyCallPlaced,
        AuditAction::NotifyCallUnanswered,
        AuditAction::NotifyCallAnswered,
    ] {
        assert_eq!(
            actions.iter().filter(|a| **a == action.as_str()).count(),
            1,
            "{action:?} in {actions:?}"
        );
    }
    drop(router);
    runtime.shutdown().await;
}
