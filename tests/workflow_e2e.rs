//! The closed loop end to end (issue #4 points 2 and 3): a real runtime over a small deployment
//! (the shipped packs with the standard workflow, plus a registry and one local rule) and a real
//! store, on SQLite (a file, so it survives a restart) and PostgreSQL. Readings open a warning;
//! the duty desk takes it through triage, issue, escalation at 1x/2x/3x of the acknowledge
//! limit - with the server stopped in the middle and restarted after the 3x mark - then
//! acknowledge, arrival, control, automatic resolve on clear, refused and accepted closure,
//! a new warning after closure and a reopened one before closure; manual warnings merge with a
//! sensor warning, drills are kept apart, and restarts never clear either. Time comes from a
//! `ManualClock` and `Runtime::tick_now`; nothing sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is the failure report"
)]

#[allow(dead_code, reason = "the support module serves several test files")]
mod store_support;
mod workflow_support;

use serde_json::Value;
use tocsin::model::{Clock, ManualClock, Source, Timestamp};
use tocsin::storage::WarningState;
use tocsin::workflow::Refusal;
use tocsin::workflow::desk::DeskError;
use workflow_support::{
    MINUTE, Server, T0, acknowledge_limit, action, count, department_user, deployment,
    district_user, duty_officer, recipients, report,
};

async fn closed_loop(url: String) {
    let dir = tempfile::tempdir().unwrap();
    let generation = deployment(dir.path());
    let clock = ManualClock::new(T0);
    let duty = duty_officer();
    let server = Server::start(&url, &generation, &clock).await;

    // Detect: a red reading opens a warning; the workflow takes it up in triage (研判).
    server.at(0);
    server.reading("ch4-1", 95.0).await;
    let warning = server.warning_of("well-1", false).await;
    let id = warning.id;
    assert_eq!(warning.source, Source::Sensor);
    let case = server.case(id).await;
    assert_eq!(case.stage.as_str(), "detected");
    assert_eq!(case.workflow.as_str(), "standard");
    assert!(!case.drill);
    let level = case.level;
    assert_eq!(level, warning.level);
    assert_eq!(
        recipients(&server.outbox(id).await, "detected"),
        ["shenyang.monitoring_centre"],
        "triage notifies the monitoring centre: {:#?}",
        server.outbox(id).await
    );
    let audit = server.audit(id).await;
    assert_eq!(audit[0].0, "warning.opened", "{audit:#?}");
    assert!(count(&audit, "workflow.auto") >= 1, "{audit:#?}");
    assert_eq!(
        count(&audit, "notification.queued"),
        server.outbox(id).await.len(),
        "every outbox row is audited"
    );

    // Issue (发布) a minute later; the acknowledge limit (签收) runs from here.
    server.at(1);
    let case = server.act(id, &duty, action("issue", None, &[])).await;
    assert_eq!(case.stage.as_str(), "issued");
    let issued_to = case.issued_to.clone();
    assert!(
        issued_to
            .iter()
            .any(|d| d.as_str() == "shenyang.construction"),
        "the lead department is told: {issued_to:?}"
    );
    let limit = acknowledge_limit(&generation, level);

    // Just before 1x nothing fires; at exactly 1x the call-back is repeated to those issued to.
    server.at(1 + limit - 1);
    server.tick().await;
    assert!(server.rungs(id).await.is_empty());
    server.at(1 + limit);
    server.tick().await;
    assert_eq!(server.rungs(id).await, [("issued".to_owned(), 0)]);
    let outbox = server.outbox(id).await;
    let renotified: Vec<String> = outbox
        .iter()
        .filter(|row| row.notification.created_at == server.clock.now())
        .map(|row| row.notification.recipient.to_string())
        .collect();
    assert!(!renotified.is_empty());
    assert!(
        renotified
            .iter()
            .all(|department| issued_to.iter().any(|d| d.as_str() == department)),
        "1x re-notifies exactly those issued to: {renotified:?} vs {issued_to:?}"
    );

    // 2x: widened to the department's duty leader and the district government.
    server.at(1 + 2 * limit);
    server.tick().await;
    assert_eq!(
        server.rungs(id).await,
        [("issued".to_owned(), 0), ("issued".to_owned(), 1)]
    );
    let at_2x: Vec<String> = server
        .outbox(id)
        .await
        .iter()
        .filter(|row| row.notification.created_at == server.clock.now())
        .map(|row| row.notification.recipient.to_string())
        .collect();
    assert!(at_2x.iter().any(|d| d == "heping.government"), "{at_2x:?}");
    assert!(
        at_2x.iter().any(|d| d == "shenyang.construction"),
        "{at_2x:?}"
    );
    let case = server.case(id).await;
    assert!(!case.supervised);
    assert!(case.due.is_some(), "the 3x rung is still ahead");
    // The desk's work shows on /metrics: each due rung fired so far (one per case save here,
    // on both warnings) and the reactions.
    let metrics = server.runtime.state().metrics.render();
    let fired = server
        .store
        .audit(&tocsin::storage::AuditFilter {
            action: Some("timer.fired".to_owned()),
            ..tocsin::storage::AuditFilter::default()
        })
        .await
        .unwrap();
    let line = format!("tocsin_desk_timers_fired_total {}", fired.len());
    assert!(
        fired.len() >= 2 && metrics.contains(&line),
        "{line}: {metrics}"
    );
    assert!(
        !metrics.contains("tocsin_desk_reactions_total 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tocsin_desk_round_errors_total 0"),
        "{metrics}"
    );

    // A hotline report on the other well, with no sensor warning behind it.
    let manual = server
        .runtime
        .desk()
        .report(&duty, &report("well-2", "yellow", false))
        .await
        .unwrap();
    assert!(!manual.merged);
    assert_eq!(
        server.case(manual.warning).await.stage.as_str(),
        "detected",
        "the case exists when the report returns"
    );

    // The server stops in the middle of the escalation ...
    server.stop().await;
    // ... while the clock passes the 3x mark; on start-up, before anything is served, the desk
    // catches up and the supervision rung fires, once.
    clock.set(Timestamp(T0.millis() + (1 + 3 * limit + 2) * MINUTE));
    let server = Server::start(&url, &generation, &clock).await;
    assert_eq!(
        server.rungs(id).await,
        [
            ("issued".to_owned(), 0),
            ("issued".to_owned(), 1),
            ("issued".to_owned(), 2)
        ]
    );
    let case = server.case(id).await;
    assert!(case.supervised, "3x opens a supervision item (督办件)");
    assert!(case.due.is_none(), "the ladder is exhausted");
    assert!(
        server
            .outbox(id)
            .await
            .iter()
            .any(|row| row.notification.recipient.as_str() == "shenyang.duty_office"),
        "the city duty office is told"
    );
    server.tick().await;
    server.at(1 + 4 * limit);
    server.tick().await;
    assert_eq!(
        server.rungs(id).await.len(),
        3,
        "each rung fires exactly once"
    );
    // Restarts never clear a manual warning.
    let manual_record = server
        .store
        .warning(manual.warning)
        .await
        .unwrap()
        .unwrap()
        .warning;
    assert_eq!(manual_record.state, WarningState::Open);
    assert_eq!(manual_record.source, Source::Manual);

    // Scope: a district user of another district may not act, and the refusal is audited.
    let stranger = district_user("210103");
    let refused = server
        .runtime
        .desk()
        .act(id, &stranger, &action("acknowledge", None, &[]))
        .await
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "forbidden");
    let minute = 1 + 4 * limit;

    // 签收, 到场, 首报 by the lead department's user.
    let department = department_user(warning.department.as_str());
    let case = server
        .act(id, &department, action("acknowledge", None, &[]))
        .await;
    assert_eq!(case.stage.as_str(), "acknowledged");
    let case = server
        .act(id, &department, action("arrive", None, &[]))
        .await;
    assert_eq!(case.stage.as_str(), "on_site");
    let case = server
        .act(
            id,
            &department,
            action(
                "control",
                Some("井室通风, 关阀, 设置警戒 vented, valve shut, cordon"),
                &[],
            ),
        )
        .await;
    assert_eq!(case.stage.as_str(), "controlled");

    // A hotline report on the same well and hazard joins the sensor warning.
    let merged = server
        .runtime
        .desk()
        .report(&duty, &report("well-1", "yellow", false))
        .await
        .unwrap();
    assert!(merged.merged);
    assert_eq!(merged.warning, id);
    // A drill on the same well and hazard is kept apart, with exercise labels.
    let drill = server
        .runtime
        .desk()
        .report(&duty, &report("well-1", "orange", true))
        .await
        .unwrap();
    assert!(!drill.merged);
    assert_ne!(drill.warning, id);
    let drill_case = server.case(drill.warning).await;
    assert!(drill_case.drill);
    let drill_outbox = server.outbox(drill.warning).await;
    assert!(!drill_outbox.is_empty());
    assert!(
        drill_outbox
            .iter()
            .all(|row| row.notification.drill && row.notification.subject.starts_with("【演练】"))
    );
    let drill_history = server
        .store
        .warning(drill.warning)
        .await
        .unwrap()
        .unwrap()
        .history
        .len();

    // The condition clears (after the 1 h hysteresis): resolved, pending confirmation.
    server.at(minute + 1);
    server.reading("ch4-1", 2.0).await;
    server.at(minute + 63);
    server.reading("ch4-1", 2.0).await;
    let record = server.store.warning(id).await.unwrap().unwrap().warning;
    assert_eq!(record.state, WarningState::Cleared);
    assert_eq!(server.case(id).await.stage.as_str(), "resolved");
    assert_eq!(
        server
            .store
            .warning(drill.warning)
            .await
            .unwrap()
            .unwrap()
            .history
            .len(),
        drill_history,
        "the engine never touches a drill"
    );

    // 销号 needs a note: refused without, audited; closed with.
    let refused = server
        .runtime
        .desk()
        .act(id, &duty, &action("close", None, &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DeskError::Refused(Refusal::MissingField { .. })),
        "{refused}"
    );
    assert_eq!(refused.code().as_str(), "missing_field");
    let audit = server.audit(id).await;
    let refusals: Vec<&Value> = audit
        .iter()
        .filter(|(name, _)| name == "workflow.refused")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(refusals.len(), 2, "{audit:#?}");
    assert_eq!(refusals[0]["reason"], "forbidden");
    assert_eq!(refusals[1]["reason"], "missing_field");
    let case = server
        .act(
            id,
            &duty,
            action(
                "close",
                Some("数据恢复正常, 漏点已修复 readings normal, leak repaired"),
                &[],
            ),
        )
        .await;
    assert_eq!(case.stage.as_str(), "closed");
    assert!(case.closed_at.is_some());
    assert!(case.due.is_none());

    // After closure a new reading opens a NEW warning.
    server.at(minute + 70);
    server.reading("ch4-1", 40.0).await;
    let second = server.warning_of("well-1", false).await;
    assert_ne!(second.id, id);
    assert_eq!(server.case(second.id).await.stage.as_str(), "detected");
    assert_eq!(server.case(id).await.stage.as_str(), "closed");

    // Before closure a recurrence reopens the SAME warning, issued again.
    server
        .act(second.id, &duty, action("issue", None, &[]))
        .await;
    server
        .act(second.id, &duty, action("arrive", None, &[]))
        .await;
    server.at(minute + 71);
    server.reading("ch4-1", 2.0).await;
    server.at(minute + 133);
    server.reading("ch4-1", 2.0).await;
    assert_eq!(server.case(second.id).await.stage.as_str(), "resolved");
    server.at(minute + 140);
    server.reading("ch4-1", 50.0).await;
    let again = server.warning_of("well-1", false).await;
    assert_eq!(again.id, second.id, "reopened, not a new warning");
    assert_eq!(again.state, WarningState::Open);
    assert_eq!(server.case(second.id).await.stage.as_str(), "issued");
    let audit = server.audit(second.id).await;
    assert_eq!(count(&audit, "warning.reopened"), 1, "{audit:#?}");
    let outbox = server.outbox(second.id).await;
    let issued_to = server.case(second.id).await.issued_to;
    let recurred = recipients(&outbox, "recurred");
    assert!(
        !recurred.is_empty(),
        "the recurrence is notified: {outbox:#?}"
    );
    assert!(
        recurred
            .iter()
            .all(|department| issued_to.iter().any(|d| d.as_str() == department)),
        "to those it was issued to: {recurred:?} vs {issued_to:?}"
    );

    // And after another restart the drill and the manual warning are still there, untouched.
    server.stop().await;
    let server = Server::start(&url, &generation, &clock).await;
    let drill_record = server.store.warning(drill.warning).await.unwrap().unwrap();
    assert_eq!(drill_record.warning.state, WarningState::Open);
    assert_eq!(drill_record.history.len(), drill_history);
    assert_eq!(
        server
            .store
            .warning(manual.warning)
            .await
            .unwrap()
            .unwrap()
            .warning
            .state,
        WarningState::Open
    );
    server.stop().await;
}

/// Two people report progress on the same case at once: the second save meets a changed case,
/// reads it again and applies its action on top, so neither report is lost.
async fn concurrent_actions_both_apply(url: String) {
    let dir = tempfile::tempdir().unwrap();
    let generation = deployment(dir.path());
    let clock = ManualClock::new(T0);
    let server = Server::start(&url, &generation, &clock).await;
    let duty = duty_officer();
    let desk = server.runtime.desk();
    let reported = desk
        .report(&duty, &report("well-2", "orange", false))
        .await
        .unwrap();
    let id = reported.warning;
    server.act(id, &duty, action("issue", None, &[])).await;
    let before = server.act(id, &duty, action("arrive", None, &[])).await;
    let department = department_user("shenyang.construction");
    let road_closed = action("feedback", Some("封闭道路 road closed"), &[]);
    let crew_here = action("feedback", Some("抢修队到场 repair crew here"), &[]);
    let (first, second) = tokio::join!(
        desk.act(id, &duty, &road_closed),
        desk.act(id, &department, &crew_here),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.stage.as_str(), "on_site");
    assert_ne!(first.version, second.version);
    let case = server.case(id).await;
    assert_eq!(
        case.version,
        before.version + 2,
        "both saved, one after the other"
    );
    let notes: Vec<String> = server
        .audit(id)
        .await
        .into_iter()
        .filter(|(name, detail)| name == "workflow.transition" && detail["action"] == "feedback")
        .map(|(_, detail)| detail["note"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    server.stop().await;
}

#[tokio::test]
async fn closed_loop_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    closed_loop(url).await;
}

#[tokio::test]
async fn closed_loop_on_postgres() {
    store_support::with_postgres_url(closed_loop).await;
}

#[tokio::test]
async fn concurrent_actions_both_apply_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    concurrent_actions_both_apply(url).await;
}

#[tokio::test]
async fn concurrent_actions_both_apply_on_postgres() {
    store_support::with_postgres_url(concurrent_actions_both_apply).await;
}
