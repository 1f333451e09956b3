//! The workflow side of the store, run against both backends like `tests/store.rs`: cases with
//! optimistic concurrency, the outbox, the reaction and timer queues, manual reports and drills,
//! recurrence before closure, durable timers across a restart, and the upgrade from the previous
//! schema. The audit log, users and tokens are in `tests/store_access.rs`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;

use serde_json::json;
use tocsin::model::{
    AuditAction, Case, Channel, DepartmentId, Due, Level, ManualWarning, Source, WarningChange,
};
use tocsin::storage::{
    self, AuditFilter, CaseUpdate, ManualOutcome, OutboxFilter, SaveOutcome, Store, WarningFilter,
    WarningRecord, WarningState,
};
use workflow_support::{
    actions, at, change, continuous_chain, draft, engine, new_case, notification, save, warning_of,
};

fn manual(asset: &str, level: Level, drill: bool, offset: i64) -> ManualWarning {
    ManualWarning {
        asset: asset.into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        level,
        channel: "hotline".to_owned(),
        message: format!("citizen smells gas at {asset}"),
        drill,
        at: at(offset),
        actor: "user:3".to_owned(),
    }
}

async fn report(store: &Arc<dyn Store>, manual: &ManualWarning) -> ManualOutcome {
    store.report_manual(manual, &"g1".into()).await.unwrap()
}

async fn cases_save_once_per_version(store: Arc<dyn Store>) {
    engine(&store, &[change("well-1", None, Some(Level::Yellow), 100)]).await;
    let id = warning_of(&store, "well-1").await.id;
    assert_eq!(store.case(id).await.unwrap(), None);
    assert_eq!(warning_of(&store, "well-1").await.case, None);

    let mut case = new_case(id, 0);
    case.due = Some(Due {
        at: at(500),
        rung: 0,
    });
    case.issued_to = vec!["shenyang.gas_company".into(), "210102.gov".into()];
    let opened = [draft(AuditAction::AutoTransition, Some(id), "opened", 1)];
    assert_eq!(save(&store, &case, &[], &opened).await, SaveOutcome::Saved);
    let stored = store.case(id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        Case {
            version: 1,
            ..case.clone()
        }
    );
    assert_eq!(
        warning_of(&store, "well-1").await.case,
        Some(stored.clone())
    );

    // A second insert, or an update from a stale version, is a conflict and writes nothing.
    let stale = [draft(AuditAction::Transition, Some(id), "stale", 2)];
    let note = [notification(id, "stale")];
    assert_eq!(
        save(&store, &case, &note, &stale).await,
        SaveOutcome::Conflict
    );
    let mut next = stored.clone();
    next.stage = "issued".into();
    next.due = None;
    next.rungs_fired = 2;
    next.supervised = true;
    next.closed_at = Some(at(900));
    assert_eq!(save(&store, &next, &[], &[]).await, SaveOutcome::Saved);
    assert_eq!(
        save(&store, &next, &note, &stale).await,
        SaveOutcome::Conflict
    );
    assert_eq!(
        store.case(id).await.unwrap().unwrap(),
        Case {
            version: 2,
            ..next.clone()
        }
    );
    assert!(
        store
            .outbox(&OutboxFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    let entries = continuous_chain(&store).await;
    assert_eq!(
        actions(&entries),
        vec!["warning.opened", "workflow.auto"],
        "a refused save appends nothing"
    );

    // A version for a case that does not exist, or a case of no warning, is refused.
    assert_eq!(
        save(&store, &new_case(id + 1, 3), &[], &[]).await,
        SaveOutcome::Conflict
    );
    assert!(
        store
            .save_case(CaseUpdate {
                case: &new_case(id + 1, 0),
                notifications: &[],
                audit: &[],
            })
            .await
            .is_err()
    );
}

async fn outbox_skips_known_keys(store: Arc<dyn Store>) {
    engine(
        &store,
        &[
            change("well-1", None, Some(Level::Orange), 100),
            change("well-2", None, Some(Level::Red), 100),
        ],
    )
    .await;
    let one = warning_of(&store, "well-1").await.id;
    let two = warning_of(&store, "well-2").await.id;
    let mut case = new_case(one, 0);
    let first = [notification(one, "a"), notification(one, "b")];
    assert_eq!(save(&store, &case, &first, &[]).await, SaveOutcome::Saved);
    case.version = 1;
    let mut again = notification(one, "b");
    again.body = "a retried save must not queue this".to_owned();
    let second = [again, notification(one, "c")];
    assert_eq!(save(&store, &case, &second, &[]).await, SaveOutcome::Saved);
    let mut drill = notification(two, "d");
    drill.drill = true;
    drill.channel = Channel::Phone;
    assert_eq!(
        save(&store, &new_case(two, 0), &[drill.clone()], &[]).await,
        SaveOutcome::Saved
    );

    let all = store.outbox(&OutboxFilter::default()).await.unwrap();
    let keys: Vec<&str> = all.iter().map(|r| r.notification.key.as_str()).collect();
    assert_eq!(keys, vec!["a", "b", "c", "d"]);
    assert_eq!(all[1].notification, notification(one, "b"));
    assert_eq!(all[3].notification, drill);
    assert!(all.iter().all(|r| r.status == "queued"));
    let of_one = store
        .outbox(&OutboxFilter {
            warning: Some(one),
            limit: 2,
        })
        .await
        .unwrap();
    let keys: Vec<&str> = of_one.iter().map(|r| r.notification.key.as_str()).collect();
    assert_eq!(keys, vec!["a", "b"]);
}

async fn pending_reactions_follow_the_history(store: Arc<dyn Store>) {
    assert!(store.pending_reactions(0, 0).await.unwrap().is_empty());
    engine(&store, &[change("well-a", None, Some(Level::Yellow), 100)]).await;
    engine(&store, &[change("well-b", None, Some(Level::Blue), 200)]).await;
    let a = warning_of(&store, "well-a").await.id;
    let b = warning_of(&store, "well-b").await.id;
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![a, b]);
    assert_eq!(store.pending_reactions(0, 1).await.unwrap(), vec![a]);
    assert_eq!(store.pending_reactions(a, 0).await.unwrap(), vec![b]);

    // The workflow reacted to a's only history entry.
    let mut case = new_case(a, 0);
    case.reacted_seq = 1;
    save(&store, &case, &[], &[]).await;
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![b]);

    // A raise of a is a new entry: pending again (listed by id).
    engine(
        &store,
        &[change("well-a", Some(Level::Yellow), Some(Level::Red), 300)],
    )
    .await;
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![a, b]);
    // A case saved for an older entry (an action, say) leaves the warning waiting.
    case.version = 1;
    assert_eq!(save(&store, &case, &[], &[]).await, SaveOutcome::Saved);
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![a, b]);
    case.version = 2;
    case.reacted_seq = 2;
    assert_eq!(save(&store, &case, &[], &[]).await, SaveOutcome::Saved);
    save(
        &store,
        &Case {
            reacted_seq: 1,
            ..new_case(b, 0)
        },
        &[],
        &[],
    )
    .await;
    assert!(store.pending_reactions(0, 0).await.unwrap().is_empty());

    // A clear is an entry too.
    engine(&store, &[change("well-b", Some(Level::Blue), None, 400)]).await;
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![b]);
}

async fn due_cases_earliest_first(store: Arc<dyn Store>) {
    let assets = ["d-1", "d-2", "d-3", "d-4"];
    let changes: Vec<WarningChange> = assets
        .iter()
        .map(|asset| change(asset, None, Some(Level::Orange), 10))
        .collect();
    engine(&store, &changes).await;
    let mut ids = Vec::new();
    for (asset, due) in assets.iter().zip([Some(50), Some(30), None, Some(30)]) {
        let id = warning_of(&store, asset).await.id;
        let mut case = new_case(id, 0);
        case.due = due.map(|offset| Due {
            at: at(offset),
            rung: 1,
        });
        save(&store, &case, &[], &[]).await;
        ids.push(id);
    }
    assert!(store.due_cases(at(29), 0).await.unwrap().is_empty());
    assert_eq!(
        store.due_cases(at(30), 0).await.unwrap(),
        vec![ids[1], ids[3]]
    );
    assert_eq!(
        store.due_cases(at(1_000), 0).await.unwrap(),
        vec![ids[1], ids[3], ids[0]]
    );
    assert_eq!(store.due_cases(at(1_000), 1).await.unwrap(), vec![ids[1]]);

    // Overdue items through the warning filter.
    let overdue = store
        .warnings(&WarningFilter {
            due_before: Some(at(40)),
            ..WarningFilter::default()
        })
        .await
        .unwrap();
    let mut overdue: Vec<i64> = overdue.iter().map(|w| w.id).collect();
    overdue.sort_unstable();
    assert_eq!(overdue, vec![ids[1], ids[3]]);
}

async fn recurrence_reopens_until_the_case_closes(store: Arc<dyn Store>) {
    // Cleared without a case: a recurrence is a new warning.
    engine(
        &store,
        &[
            change("well-1", None, Some(Level::Blue), 100),
            change("well-1", Some(Level::Blue), None, 150),
        ],
    )
    .await;
    let first = warning_of(&store, "well-1").await;
    engine(&store, &[change("well-1", None, Some(Level::Yellow), 200)]).await;
    let second = warning_of(&store, "well-1").await;
    assert_ne!(second.id, first.id);

    // Cleared with an open case: the same warning reopens.
    let mut case = new_case(second.id, 0);
    save(&store, &case, &[], &[]).await;
    engine(&store, &[change("well-1", Some(Level::Yellow), None, 300)]).await;
    engine(&store, &[change("well-1", None, Some(Level::Orange), 400)]).await;
    let reopened = warning_of(&store, "well-1").await;
    assert_eq!(reopened.id, second.id);
    assert_eq!(
        (
            reopened.state,
            reopened.level,
            reopened.peak_level,
            reopened.cleared_at,
            reopened.opened_at,
            reopened.updated_at
        ),
        (
            WarningState::Open,
            Level::Orange,
            Level::Orange,
            None,
            at(200),
            at(400)
        )
    );
    let history = store.warning(second.id).await.unwrap().unwrap().history;
    let steps: Vec<(i64, Option<Level>, Option<Level>)> =
        history.iter().map(|h| (h.seq, h.from, h.to)).collect();
    assert_eq!(
        steps,
        vec![
            (1, None, Some(Level::Yellow)),
            (2, Some(Level::Yellow), None),
            (3, None, Some(Level::Orange))
        ]
    );
    let entries = store
        .audit(&AuditFilter {
            warning: Some(second.id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        actions(&entries),
        vec!["warning.opened", "warning.cleared", "warning.reopened"]
    );
    let detail: serde_json::Value = serde_json::from_str(&entries[2].detail).unwrap();
    assert_eq!(
        detail,
        json!({
            "asset": "well-1", "hazard": "gas_leak", "from": null, "to": "orange",
            "rule": "gas.ch4.ladder", "sensor": "gas-1", "message": "well-1 at 400"
        })
    );
    assert_eq!(entries[2].actor, "system:engine");
    assert_eq!(entries[2].at, at(400));
    assert_eq!(entries[2].generation.as_deref(), Some("g1"));
    assert_eq!(entries[2].subject, format!("warning:{}", second.id));

    // Once the case is closed, a recurrence is a new warning again.
    engine(&store, &[change("well-1", Some(Level::Orange), None, 500)]).await;
    case.version = 1;
    case.stage = "closed".into();
    case.closed_at = Some(at(600));
    save(&store, &case, &[], &[]).await;
    engine(&store, &[change("well-1", None, Some(Level::Blue), 700)]).await;
    let third = warning_of(&store, "well-1").await;
    assert_ne!(third.id, second.id);
    let closed = store.warning(second.id).await.unwrap().unwrap().warning;
    assert_eq!(closed.state, WarningState::Cleared);
    continuous_chain(&store).await;
}

async fn manual_reports_open_merge_and_keep_drills_apart(store: Arc<dyn Store>) {
    // A new report opens a manual warning.
    let first = report(&store, &manual("well-1", Level::Orange, false, 100)).await;
    assert!(!first.merged);
    let opened = store.warning(first.warning).await.unwrap().unwrap();
    assert_eq!(
        (
            opened.warning.source,
            opened.warning.drill,
            opened.warning.level,
            opened.warning.rule.as_str(),
            opened.warning.sensor.as_str()
        ),
        (
            Source::Manual,
            false,
            Level::Orange,
            "manual",
            "manual:hotline"
        )
    );
    assert_eq!(opened.history.len(), 1);
    assert_eq!(opened.history[0].to, Some(Level::Orange));
    assert!(opened.history[0].evidence.is_empty());
    assert_eq!(
        opened.history[0].details,
        json!({"channel": "hotline", "actor": "user:3"})
    );

    // The engine's lower warning merges into it, keeping the higher level.
    engine(&store, &[change("well-1", None, Some(Level::Yellow), 200)]).await;
    let merged = warning_of(&store, "well-1").await;
    assert_eq!(merged.id, first.warning);
    assert_eq!(
        (merged.source, merged.level, merged.rule.as_str()),
        (Source::Merged, Level::Orange, "gas.ch4.ladder")
    );
    // From then on the engine moves it as its own.
    engine(
        &store,
        &[change(
            "well-1",
            Some(Level::Yellow),
            Some(Level::Blue),
            250,
        )],
    )
    .await;
    assert_eq!(warning_of(&store, "well-1").await.level, Level::Blue);

    // Another report joins it: a higher level raises it, a lower one writes no history.
    let raised = report(&store, &manual("well-1", Level::Red, false, 300)).await;
    assert_eq!(
        raised,
        ManualOutcome {
            warning: first.warning,
            merged: true
        }
    );
    let lower = report(&store, &manual("well-1", Level::Blue, false, 350)).await;
    assert!(lower.merged);
    let detail = store.warning(first.warning).await.unwrap().unwrap();
    assert_eq!(detail.warning.level, Level::Red);
    assert_eq!(detail.warning.source, Source::Merged);
    let steps: Vec<(Option<Level>, Option<Level>, &str)> = detail
        .history
        .iter()
        .map(|h| (h.from, h.to, h.rule.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, Some(Level::Orange), "manual"),
            (Some(Level::Orange), Some(Level::Orange), "gas.ch4.ladder"),
            (Some(Level::Orange), Some(Level::Blue), "gas.ch4.ladder"),
            (Some(Level::Blue), Some(Level::Red), "manual"),
        ]
    );

    // A drill report is a warning of its own; the engine never touches it.
    let drill = report(&store, &manual("well-1", Level::Yellow, true, 400)).await;
    assert!(!drill.merged);
    assert_ne!(drill.warning, first.warning);
    engine(
        &store,
        &[change("well-1", Some(Level::Red), Some(Level::Orange), 450)],
    )
    .await;
    let drill_again = report(&store, &manual("well-1", Level::Orange, true, 500)).await;
    assert_eq!(
        drill_again,
        ManualOutcome {
            warning: drill.warning,
            merged: true
        }
    );
    let drills = store
        .warnings(&WarningFilter {
            drill: Some(true),
            ..WarningFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(drills.len(), 1);
    assert_eq!(
        (
            drills[0].id,
            drills[0].level,
            drills[0].source,
            drills[0].drill
        ),
        (drill.warning, Level::Orange, Source::Manual, true)
    );
    let real = store
        .warnings(&WarningFilter {
            drill: Some(false),
            ..WarningFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(real.len(), 1);
    assert_eq!((real[0].id, real[0].level), (first.warning, Level::Orange));

    let entries = store
        .audit(&AuditFilter {
            actor: Some("user:3".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        actions(&entries),
        vec![
            "warning.reported",
            "warning.merged",
            "warning.merged",
            "warning.reported",
            "warning.merged"
        ]
    );
    let reported: serde_json::Value = serde_json::from_str(&entries[0].detail).unwrap();
    assert_eq!(
        reported,
        json!({
            "asset": "well-1", "hazard": "gas_leak", "level": "orange", "channel": "hotline",
            "message": "citizen smells gas at well-1", "drill": false
        })
    );
    let lower: serde_json::Value = serde_json::from_str(&entries[2].detail).unwrap();
    assert_eq!(
        (&lower["from"], &lower["to"]),
        (&json!("red"), &json!("red"))
    );
    let engine_merge = store
        .audit(&AuditFilter {
            actor: Some("system:engine".to_owned()),
            action: Some("warning.merged".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(engine_merge.len(), 1);
    continuous_chain(&store).await;
}

async fn manual_reports_join_sensor_warnings_and_end_with_their_case(store: Arc<dyn Store>) {
    // A report on a sensor warning merges into it.
    engine(&store, &[change("well-1", None, Some(Level::Orange), 100)]).await;
    let sensor = warning_of(&store, "well-1").await.id;
    let joined = report(&store, &manual("well-1", Level::Yellow, false, 200)).await;
    assert_eq!(
        joined,
        ManualOutcome {
            warning: sensor,
            merged: true
        }
    );
    let record = warning_of(&store, "well-1").await;
    assert_eq!(
        (record.source, record.level),
        (Source::Merged, Level::Orange)
    );
    assert_eq!(
        store.warning(sensor).await.unwrap().unwrap().history.len(),
        1
    );

    // A report on a cleared warning whose case is open reopens it at the reported level.
    let case = new_case(sensor, 0);
    save(&store, &case, &[], &[]).await;
    engine(&store, &[change("well-1", Some(Level::Orange), None, 300)]).await;
    let reopened = report(&store, &manual("well-1", Level::Blue, false, 400)).await;
    assert_eq!(reopened.warning, sensor);
    let record = warning_of(&store, "well-1").await;
    assert_eq!(
        (record.state, record.level, record.cleared_at),
        (WarningState::Open, Level::Blue, None)
    );

    // A manual-only warning: the engine's clear does not end it; closing its case does.
    let only = report(&store, &manual("well-9", Level::Yellow, false, 500)).await;
    engine(&store, &[change("well-9", Some(Level::Yellow), None, 550)]).await;
    assert_eq!(warning_of(&store, "well-9").await.state, WarningState::Open);
    let mut case = new_case(only.warning, 0);
    save(&store, &case, &[], &[]).await;
    case.version = 1;
    case.stage = "closed".into();
    case.closed_at = Some(at(600));
    save(&store, &case, &[], &[]).await;
    let closed = warning_of(&store, "well-9").await;
    assert_eq!(
        (closed.state, closed.cleared_at),
        (WarningState::Cleared, Some(at(600)))
    );
    // ... and a new report then opens a new warning.
    let next = report(&store, &manual("well-9", Level::Yellow, false, 700)).await;
    assert!(!next.merged);
    assert_ne!(next.warning, only.warning);
}

async fn warnings_filter_by_workflow(store: Arc<dyn Store>) {
    let mut bridge = change("bridge-1", None, Some(Level::Red), 300);
    bridge.department = "shenyang.transport".into();
    engine(
        &store,
        &[
            change("well-1", None, Some(Level::Orange), 100),
            change("well-2", None, Some(Level::Yellow), 200),
            bridge,
        ],
    )
    .await;
    let well1 = warning_of(&store, "well-1").await.id;
    let well2 = warning_of(&store, "well-2").await.id;
    let bridge = warning_of(&store, "bridge-1").await.id;
    let mut issued = new_case(well1, 0);
    issued.stage = "issued".into();
    issued.issued_to = vec!["shenyang.gas_company".into(), "district_210102".into()];
    save(&store, &issued, &[], &[]).await;
    let mut also = new_case(bridge, 0);
    also.stage = "acknowledged".into();
    also.issued_to = vec![
        "shenyang.gasXcompany".into(),
        "shenyang.gas_companyX".into(),
    ];
    save(&store, &also, &[], &[]).await;

    let ids = |records: Vec<WarningRecord>| -> Vec<i64> { records.iter().map(|w| w.id).collect() };
    let query = |filter: WarningFilter| {
        let store = store.clone();
        async move { ids(store.warnings(&filter).await.unwrap()) }
    };
    let visible = |department: &str| WarningFilter {
        visible_to_department: Some(DepartmentId::new(department)),
        ..WarningFilter::default()
    };
    // Issued to it, or its lead department; neither a longer id nor `_` as a wildcard matches.
    assert_eq!(query(visible("shenyang.gas_company")).await, vec![well1]);
    assert_eq!(query(visible("district_210102")).await, vec![well1]);
    assert_eq!(query(visible("district")).await, Vec::<i64>::new());
    assert_eq!(
        query(visible("shenyang.construction")).await,
        vec![well2, well1]
    );
    assert_eq!(query(visible("shenyang.transport")).await, vec![bridge]);
    assert_eq!(
        query(WarningFilter {
            stage: Some("issued".to_owned()),
            ..WarningFilter::default()
        })
        .await,
        vec![well1]
    );
    assert_eq!(
        query(WarningFilter {
            stage: Some("issued".to_owned()),
            visible_to_department: Some("shenyang.transport".into()),
            ..WarningFilter::default()
        })
        .await,
        Vec::<i64>::new()
    );
    let listed = store.warnings(&WarningFilter::default()).await.unwrap();
    let cases: Vec<Option<&str>> = listed
        .iter()
        .map(|w| w.case.as_ref().map(|c| c.stage.as_str()))
        .collect();
    assert_eq!(cases, vec![Some("acknowledged"), None, Some("issued")]);
}

store_tests!(
    cases_save_once_per_version,
    outbox_skips_known_keys,
    pending_reactions_follow_the_history,
    due_cases_earliest_first,
    recurrence_reopens_until_the_case_closes,
    manual_reports_open_merge_and_keep_drills_apart,
    manual_reports_join_sensor_warnings_and_end_with_their_case,
    warnings_filter_by_workflow,
);

/// A case's timer is in the store: after reopening the same URL (a restart) it is still due.
async fn timers_survive_reopening(url: String) {
    let id = {
        let store = storage::open(&url).await.unwrap();
        engine(&store, &[change("well-1", None, Some(Level::Red), 10)]).await;
        let id = warning_of(&store, "well-1").await.id;
        let mut case = new_case(id, 0);
        case.due = Some(Due {
            at: at(300_000),
            rung: 2,
        });
        save(&store, &case, &[notification(id, "k")], &[]).await;
        id
    };
    let store = storage::open(&url).await.unwrap();
    assert!(store.due_cases(at(299_999), 0).await.unwrap().is_empty());
    assert_eq!(store.due_cases(at(300_000), 0).await.unwrap(), vec![id]);
    assert_eq!(
        store.case(id).await.unwrap().unwrap().due,
        Some(Due {
            at: at(300_000),
            rung: 2
        })
    );
    assert_eq!(
        store.outbox(&OutboxFilter::default()).await.unwrap().len(),
        1
    );
    continuous_chain(&store).await;
}

#[tokio::test]
async fn sqlite_timers_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    timers_survive_reopening(url).await;
}

#[tokio::test]
async fn postgres_timers_survive_restart() {
    store_support::with_postgres_url(timers_survive_reopening).await;
}

/// A history entry written while the desk saves its reaction to the previous one keeps the
/// warning queued: the save's delete of the queue row waits for the appending transaction's row
/// lock and then sees the newer `seq` (PostgreSQL, read committed, two connections).
async fn an_append_racing_a_case_save_keeps_the_warning_queued(url: String) {
    use sqlx::Connection;
    let store = storage::open(&url).await.unwrap();
    engine(&store, &[change("well-1", None, Some(Level::Yellow), 10)]).await;
    let id = warning_of(&store, "well-1").await.id;

    // Another writer appends entry 2 (as `append_history` does) and keeps its transaction open.
    let mut writer = sqlx::PgConnection::connect(&url).await.unwrap();
    for sql in [
        "BEGIN",
        "UPDATE warnings SET last_seq = 2 WHERE id = $1",
        "INSERT INTO desk_pending (warning, seq) VALUES ($1, 2) \
         ON CONFLICT (warning) DO UPDATE SET seq = excluded.seq",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut writer)
            .await
            .unwrap();
    }
    // Meanwhile the desk saves its reaction to entry 1: it must wait for the writer.
    let saving = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            let case = Case {
                reacted_seq: 1,
                ..new_case(id, 0)
            };
            save(&store, &case, &[], &[]).await
        }
    });
    let mut watcher = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut waiting = false;
    for _ in 0..100_000 {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if blocked > 0 {
            waiting = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(
        waiting,
        "the case save never waited for the appending writer"
    );
    sqlx::query("COMMIT").execute(&mut writer).await.unwrap();
    assert_eq!(saving.await.unwrap(), SaveOutcome::Saved);
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![id]);
}

#[tokio::test]
async fn postgres_append_racing_a_case_save_keeps_the_warning_queued() {
    store_support::with_postgres_url(an_append_racing_a_case_save_keeps_the_warning_queued).await;
}

/// A directory holding the migrations of `backend` from before the workflow migration.
fn previous_migrations(backend: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "20261201000001" {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    dir
}

/// An open warning with two history entries and a cleared one, written under the previous schema.
const OLD_ROWS: [&str; 2] = [
    "INSERT INTO warnings (asset, hazard, domain, district, department, state, level, \
     peak_level, opened_at, updated_at, rule, sensor, generation, message) \
     VALUES ('well-1', 'gas_leak', 'city_gas', '210102', 'shenyang.construction', 'open', \
     'yellow', 'yellow', 1, 2, 'r', 's', 'g0', 'm'), \
     ('well-2', 'gas_leak', 'city_gas', '210102', 'shenyang.construction', 'cleared', \
     'blue', 'blue', 1, 3, 'r', 's', 'g0', 'm')",
    "INSERT INTO warning_history (warning, seq, from_level, to_level, ts, rule, sensor, \
     generation, message, evidence) \
     VALUES (1, 1, NULL, 'blue', 1, 'r', 's', 'g0', 'm', '[]'), \
     (1, 2, 'blue', 'yellow', 2, 'r', 's', 'g0', 'm', '[]'), \
     (2, 1, NULL, 'blue', 1, 'r', 's', 'g0', 'm', '[]'), \
     (2, 2, 'blue', NULL, 3, 'r', 's', 'g0', 'm', '[]')",
];

/// After the upgrade the old warnings are real sensor warnings without a case; only the open one
/// waits for the duty desk (one cleared before workflows existed gets no case); its history goes
/// on numbering from where it was, and the open-warning index knows about drills.
async fn upgraded_store_goes_on(store: Arc<dyn Store>) {
    let old = warning_of(&store, "well-1").await;
    assert_eq!(
        (old.id, old.source, old.drill, old.case),
        (1, Source::Sensor, false, None)
    );
    assert_eq!(store.pending_reactions(0, 0).await.unwrap(), vec![1]);
    engine(
        &store,
        &[change("well-1", Some(Level::Yellow), Some(Level::Red), 10)],
    )
    .await;
    let history = store.warning(1).await.unwrap().unwrap().history;
    let seqs: Vec<i64> = history.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    let mut case = new_case(1, 0);
    case.reacted_seq = 3;
    save(&store, &case, &[], &[]).await;
    assert!(store.pending_reactions(0, 0).await.unwrap().is_empty());
    assert!(
        !report(&store, &manual("well-1", Level::Red, true, 20))
            .await
            .merged
    );
    assert!(
        report(&store, &manual("well-1", Level::Red, false, 20))
            .await
            .merged
    );
    continuous_chain(&store).await;
}

#[tokio::test]
async fn sqlite_upgrade_from_the_previous_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        let previous = previous_migrations("sqlite");
        let migrator = sqlx::migrate::Migrator::new(previous.path()).await.unwrap();
        migrator.run(&pool).await.unwrap();
        for sql in OLD_ROWS {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    upgraded_store_goes_on(storage::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_upgrade_from_the_previous_schema() {
    store_support::with_postgres_url(|url| async move {
        {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let previous = previous_migrations("postgres");
            let migrator = sqlx::migrate::Migrator::new(previous.path()).await.unwrap();
            migrator.run(&pool).await.unwrap();
            for sql in OLD_ROWS {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        upgraded_store_goes_on(storage::open(&url).await.unwrap()).await;
    })
    .await;
}
