//! The store test suite, written once and run against both backends: every test is an async fn
//! taking `Arc<dyn Store>`, and `store_tests!` generates one `#[tokio::test]` per backend
//! (`sqlite::NAME` on an in-memory database, `postgres::NAME` on a fresh PostgreSQL database).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;

use std::sync::Arc;

use serde_json::json;
use tocsin::model::level::level_name;
use tocsin::model::{
    AlarmChange, Cause, Change, FaultChange, FaultKind, GenerationId, Level, OpenAlarm, OpenFault,
    Reading, ShadowFinding, SourceFile, Summary, Timestamp, WarningChange,
};
use tocsin::storage::{
    self, Backend, GenerationRecord, LevelChange, ShadowFilter, ShadowRecord, Store, WarningFilter,
    WarningRecord, WarningState,
};

/// A base instant (2025-11-29T07:06:40Z) so timestamps look like real ones.
const T0: i64 = 1_764_400_000_000;

fn at(offset: i64) -> Timestamp {
    Timestamp(T0 + offset)
}

fn reading(sensor: &str, metric: &str, offset: i64, value: f64) -> Reading {
    Reading {
        sensor: sensor.into(),
        metric: metric.into(),
        value,
        ts: at(offset),
    }
}

/// A warning change on `asset`/`gas_leak` in domain city_gas, district 210102.
fn warning(asset: &str, from: Option<Level>, to: Option<Level>, offset: i64) -> WarningChange {
    WarningChange {
        asset: asset.into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from,
        to,
        ts: at(offset),
        rule: "gas.ch4.ladder".into(),
        sensor: "gas-1".into(),
        evidence: vec![reading("gas-1", "gas.ch4", offset, offset as f64 / 10.0)],
        generation: "g1".into(),
        message: format!("{asset} {} at {offset}", level_name(to)),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    }
}

fn alarm(rule: &str, sensor: &str, to: Option<Level>, offset: i64) -> Change {
    Change::Alarm(AlarmChange {
        rule: rule.into(),
        sensor: sensor.into(),
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        from: None,
        to,
        ts: at(offset),
    })
}

fn fault(sensor: &str, kind: FaultKind, active: bool, offset: i64) -> Change {
    Change::Fault(FaultChange {
        sensor: sensor.into(),
        metric: "gas.ch4".into(),
        kind,
        active,
        ts: at(offset),
        detail: format!("{} at {offset}", kind.as_str()),
        generation: "g1".into(),
    })
}

fn all_warnings() -> WarningFilter {
    WarningFilter::default()
}

async fn only_warning(store: &Arc<dyn Store>) -> WarningRecord {
    let mut all = store.warnings(&all_warnings()).await.unwrap();
    assert_eq!(all.len(), 1, "expected exactly one warning: {all:?}");
    all.remove(0)
}

fn generation_record(id: &str, text: &str) -> GenerationRecord {
    GenerationRecord {
        id: GenerationId::new(id),
        hash: format!("{id}-full-hash"),
        created_at: at(5),
        summary: Summary {
            domains: 1,
            metrics: 2,
            rules: 3,
            districts: 4,
            departments: 5,
            assets: 6,
            sensors: 7,
            receptors: 8,
            edges: 9,
            cascades: 10,
        },
        sources: vec![
            SourceFile {
                path: "rules/gas.yaml".to_owned(),
                text: text.to_owned(),
            },
            SourceFile {
                path: "<builtin>/domains/city_gas.yaml".to_owned(),
                text: "version: 1\n".to_owned(),
            },
        ],
    }
}

async fn migrating_twice_is_fine(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let status = store.migration_status().await.unwrap();
    let versions: Vec<(i64, &str, bool)> = status
        .iter()
        .map(|m| (m.version, m.description.as_str(), m.applied))
        .collect();
    assert_eq!(
        versions,
        vec![
            (20261129000001, "init", true),
            (20261130000001, "coupling and reload", true),
            (20261201000001, "workflow audit access", true),
            (20261207000001, "engine journal", true),
            (20261207000002, "outbox delivery", true),
            (20261208000001, "case recipients", true),
            (20261208000002, "silences", true),
            (20261208000003, "ack links", true),
            (20261208000004, "scheduled reports", true),
            (20261208000005, "outbox audience", true),
            (20261208000006, "activation order", true),
            (20261208000007, "call outcomes", true),
        ]
    );
}

async fn reinserting_readings_is_idempotent(store: Arc<dyn Store>) {
    assert_eq!(
        store.insert_readings(&[]).await.unwrap(),
        Vec::<bool>::new()
    );
    let batch = vec![
        reading("s1", "m1", 1, 1.0),
        reading("s1", "m1", 2, 2.0),
        reading("s1", "m2", 1, 3.0),
    ];
    assert_eq!(store.insert_readings(&batch).await.unwrap(), vec![true; 3]);
    assert_eq!(store.insert_readings(&batch).await.unwrap(), vec![false; 3]);
    // One new reading sent twice in the batch, between two old ones: only its first copy is new,
    // and the first copy's value is the one kept.
    let mixed = vec![
        reading("s1", "m1", 1, 9.0),
        reading("s2", "m1", 1, 4.0),
        reading("s2", "m1", 1, 5.0),
        reading("s1", "m2", 1, 9.0),
    ];
    assert_eq!(
        store.insert_readings(&mixed).await.unwrap(),
        vec![false, true, false, false]
    );
    let s1 = store
        .readings(&"s1".into(), None, None, None, 0)
        .await
        .unwrap();
    assert_eq!(s1, batch_sorted(&batch));
    let s2 = store
        .readings(&"s2".into(), None, None, None, 0)
        .await
        .unwrap();
    assert_eq!(s2, vec![reading("s2", "m1", 1, 4.0)]);
}

fn batch_sorted(batch: &[Reading]) -> Vec<Reading> {
    let mut sorted = batch.to_vec();
    sorted.sort_by(|a, b| (a.ts, a.metric.as_str()).cmp(&(b.ts, b.metric.as_str())));
    sorted
}

async fn large_batches_span_several_chunks(store: Arc<dyn Store>) {
    let batch: Vec<Reading> = (0..2_500)
        .map(|i| reading("s1", "m1", i, i as f64))
        .collect();
    assert_eq!(
        store.insert_readings(&batch).await.unwrap(),
        vec![true; 2_500]
    );
    let mut again = batch[2_000..].to_vec();
    again.push(reading("s1", "m1", 2_500, 1.5));
    let mut expected = vec![false; 500];
    expected.push(true);
    assert_eq!(store.insert_readings(&again).await.unwrap(), expected);
    let stored = store
        .readings(&"s1".into(), None, None, None, 0)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2_501);
    assert_eq!(stored[1_234], reading("s1", "m1", 1_234, 1_234.0));
}

async fn readings_filter_by_time_metric_and_limit(store: Arc<dyn Store>) {
    let mut batch: Vec<Reading> = (1..=5)
        .map(|i| reading("s1", "m1", i * 10, i as f64))
        .collect();
    batch.push(reading("s1", "m2", 30, 30.0));
    batch.push(reading("s2", "m1", 30, -1.0));
    store.insert_readings(&batch).await.unwrap();
    let s1 = "s1".into();
    let m1 = "m1".into();

    let all = store.readings(&s1, None, None, None, 100).await.unwrap();
    let times: Vec<(i64, &str)> = all
        .iter()
        .map(|r| (r.ts.0 - T0, r.metric.as_str()))
        .collect();
    assert_eq!(
        times,
        vec![
            (10, "m1"),
            (20, "m1"),
            (30, "m1"),
            (30, "m2"),
            (40, "m1"),
            (50, "m1")
        ]
    );

    let window = store
        .readings(&s1, Some(&m1), Some(at(20)), Some(at(40)), 100)
        .await
        .unwrap();
    assert_eq!(
        window,
        vec![
            reading("s1", "m1", 20, 2.0),
            reading("s1", "m1", 30, 3.0),
            reading("s1", "m1", 40, 4.0)
        ]
    );

    let limited = store
        .readings(&s1, Some(&m1), Some(at(20)), None, 2)
        .await
        .unwrap();
    assert_eq!(
        limited,
        vec![reading("s1", "m1", 20, 2.0), reading("s1", "m1", 30, 3.0)]
    );

    let m2 = store
        .readings(&s1, Some(&"m2".into()), None, Some(at(30)), 0)
        .await
        .unwrap();
    assert_eq!(m2, vec![reading("s1", "m2", 30, 30.0)]);
    let none = store
        .readings(&"s9".into(), None, None, None, 0)
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn latest_reading_times_per_sensor_and_metric(store: Arc<dyn Store>) {
    assert!(store.latest_reading_times(None).await.unwrap().is_empty());
    store
        .insert_readings(&[
            reading("s2", "m1", 7, 0.0),
            reading("s1", "m1", 30, 0.0),
            reading("s1", "m1", 10, 0.0),
            reading("s1", "m2", 20, 0.0),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.latest_reading_times(None).await.unwrap(),
        vec![
            ("s1".into(), "m1".into(), at(30)),
            ("s1".into(), "m2".into(), at(20)),
            ("s2".into(), "m1".into(), at(7)),
        ]
    );
    assert_eq!(
        store
            .latest_reading_times(Some(&"s1".into()))
            .await
            .unwrap(),
        vec![
            ("s1".into(), "m1".into(), at(30)),
            ("s1".into(), "m2".into(), at(20)),
        ]
    );
    assert!(
        store
            .latest_reading_times(Some(&"nobody".into()))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn warning_opens_moves_and_clears_with_history(store: Arc<dyn Store>) {
    let open = warning("well-1", None, Some(Level::Blue), 100);
    let raise = warning("well-1", Some(Level::Blue), Some(Level::Orange), 200);
    let lower = warning("well-1", Some(Level::Orange), Some(Level::Yellow), 300);
    let clear = warning("well-1", Some(Level::Yellow), None, 400);

    store
        .apply_changes(&[
            Change::Warning(open.clone()),
            Change::Warning(raise.clone()),
        ])
        .await
        .unwrap();
    let current = only_warning(&store).await;
    assert_eq!(current.state, WarningState::Open);
    assert_eq!(current.level, Level::Orange);
    assert_eq!(current.peak_level, Level::Orange);
    assert_eq!(current.cleared_at, None);

    store
        .apply_changes(&[Change::Warning(lower.clone())])
        .await
        .unwrap();
    store
        .apply_changes(&[Change::Warning(clear.clone())])
        .await
        .unwrap();
    let cleared = only_warning(&store).await;
    assert_eq!(
        cleared,
        WarningRecord {
            id: cleared.id,
            asset: "well-1".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            state: WarningState::Cleared,
            level: Level::Yellow,
            peak_level: Level::Orange,
            opened_at: at(100),
            updated_at: at(400),
            cleared_at: Some(at(400)),
            rule: "gas.ch4.ladder".into(),
            sensor: "gas-1".into(),
            generation: "g1".into(),
            message: "well-1 none at 400".to_owned(),
            causes: Vec::new(),
            source: tocsin::model::Source::Sensor,
            drill: false,
            case: None,
        }
    );

    let detail = store.warning(cleared.id).await.unwrap().unwrap();
    assert_eq!(detail.warning, cleared);
    let expected: Vec<LevelChange> = [&open, &raise, &lower, &clear]
        .iter()
        .zip(1..)
        .map(|(change, seq)| LevelChange {
            seq,
            from: change.from,
            to: change.to,
            ts: change.ts,
            rule: change.rule.clone(),
            sensor: change.sensor.clone(),
            generation: change.generation.clone(),
            message: change.message.clone(),
            evidence: change.evidence.clone(),
            causes: change.causes.clone(),
            details: change.details.clone(),
        })
        .collect();
    assert_eq!(detail.history, expected);
    assert_eq!(detail.history[1].evidence[0].value, 20.0);
    assert_eq!(store.warning(cleared.id + 1000).await.unwrap(), None);
}

async fn opening_twice_never_gives_two_open_warnings(store: Arc<dyn Store>) {
    let first = warning("well-1", None, Some(Level::Blue), 100);
    // After a restart the engine may "open" the same warning again.
    let again = warning("well-1", None, Some(Level::Red), 200);
    store
        .apply_changes(&[Change::Warning(first)])
        .await
        .unwrap();
    store
        .apply_changes(&[Change::Warning(again)])
        .await
        .unwrap();
    let only = only_warning(&store).await;
    assert_eq!(
        (only.state, only.level, only.peak_level, only.opened_at),
        (WarningState::Open, Level::Red, Level::Red, at(100))
    );
    let history = store.warning(only.id).await.unwrap().unwrap().history;
    let steps: Vec<(i64, Option<Level>, Option<Level>)> =
        history.iter().map(|h| (h.seq, h.from, h.to)).collect();
    assert_eq!(
        steps,
        vec![
            (1, None, Some(Level::Blue)),
            (2, Some(Level::Blue), Some(Level::Red))
        ]
    );

    // A clear of nothing open changes nothing; once cleared, a new warning may open.
    store
        .apply_changes(&[Change::Warning(warning("well-2", None, None, 250))])
        .await
        .unwrap();
    store
        .apply_changes(&[
            Change::Warning(warning("well-1", Some(Level::Red), None, 300)),
            Change::Warning(warning("well-1", None, Some(Level::Yellow), 400)),
        ])
        .await
        .unwrap();
    let all = store.warnings(&all_warnings()).await.unwrap();
    let states: Vec<(WarningState, Level)> = all.iter().map(|w| (w.state, w.level)).collect();
    assert_eq!(
        states,
        vec![
            (WarningState::Open, Level::Yellow),
            (WarningState::Cleared, Level::Red)
        ]
    );
    assert_ne!(all[0].id, all[1].id);
    assert_eq!(all[1].id, only.id);
}

async fn warnings_filter_and_order(store: Arc<dyn Store>) {
    let mut gas_red = warning("well-1", None, Some(Level::Red), 100);
    gas_red.district = "210103".into();
    let gas_blue = warning("well-2", None, Some(Level::Blue), 200);
    let mut bridge = warning("bridge-1", None, Some(Level::Yellow), 300);
    bridge.hazard = "collapse".into();
    bridge.domain = "bridges".into();
    bridge.department = "shenyang.transport".into();
    let cleared = warning("well-3", None, Some(Level::Orange), 50);
    let clear = warning("well-3", Some(Level::Orange), None, 400);
    let changes: Vec<Change> = [gas_red, gas_blue, bridge, cleared, clear]
        .into_iter()
        .map(Change::Warning)
        .collect();
    store.apply_changes(&changes).await.unwrap();

    let assets = |records: Vec<WarningRecord>| -> Vec<String> {
        records.into_iter().map(|w| w.asset.to_string()).collect()
    };
    let query = |filter: WarningFilter| {
        let store = store.clone();
        async move { assets(store.warnings(&filter).await.unwrap()) }
    };
    assert_eq!(
        query(all_warnings()).await,
        vec!["well-3", "bridge-1", "well-2", "well-1"]
    );
    assert_eq!(
        query(WarningFilter {
            state: Some(WarningState::Open),
            ..all_warnings()
        })
        .await,
        vec!["bridge-1", "well-2", "well-1"]
    );
    assert_eq!(
        query(WarningFilter {
            state: Some(WarningState::Cleared),
            ..all_warnings()
        })
        .await,
        vec!["well-3"]
    );
    assert_eq!(
        query(WarningFilter {
            level: Some(Level::Red),
            ..all_warnings()
        })
        .await,
        vec!["well-1"]
    );
    assert_eq!(
        query(WarningFilter {
            domain: Some("bridges".into()),
            ..all_warnings()
        })
        .await,
        vec!["bridge-1"]
    );
    assert_eq!(
        query(WarningFilter {
            district: Some("210103".into()),
            ..all_warnings()
        })
        .await,
        vec!["well-1"]
    );
    assert_eq!(
        query(WarningFilter {
            department: Some("shenyang.construction".into()),
            ..all_warnings()
        })
        .await,
        vec!["well-3", "well-2", "well-1"]
    );
    assert_eq!(
        query(WarningFilter {
            since: Some(at(200)),
            ..all_warnings()
        })
        .await,
        vec!["well-3", "bridge-1", "well-2"]
    );
    assert_eq!(
        query(WarningFilter {
            limit: 2,
            ..all_warnings()
        })
        .await,
        vec!["well-3", "bridge-1"]
    );
    assert_eq!(
        query(WarningFilter {
            asset: Some("well-2".into()),
            hazard: Some("gas_leak".into()),
            ..all_warnings()
        })
        .await,
        vec!["well-2"]
    );
    assert_eq!(
        query(WarningFilter {
            state: Some(WarningState::Open),
            domain: Some("city_gas".into()),
            level: Some(Level::Yellow),
            ..all_warnings()
        })
        .await,
        Vec::<String>::new()
    );
}

async fn faults_raise_clear_and_never_double(store: Arc<dyn Store>) {
    store
        .apply_changes(&[
            fault("s1", FaultKind::Offline, true, 10),
            fault("s1", FaultKind::Offline, true, 20),
            fault("s1", FaultKind::OutOfRange, true, 15),
        ])
        .await
        .unwrap();
    let open = |sensor: &str, kind, offset| OpenFault {
        sensor: sensor.into(),
        metric: "gas.ch4".into(),
        kind,
        since: at(offset),
    };
    assert_eq!(
        store.open_faults().await.unwrap(),
        vec![
            open("s1", FaultKind::Offline, 10),
            open("s1", FaultKind::OutOfRange, 15)
        ]
    );

    store
        .apply_changes(&[
            fault("s1", FaultKind::Offline, false, 30),
            fault("s2", FaultKind::Offline, false, 30),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.open_faults().await.unwrap(),
        vec![open("s1", FaultKind::OutOfRange, 15)]
    );
    store
        .apply_changes(&[fault("s1", FaultKind::Offline, true, 40)])
        .await
        .unwrap();

    let listed = store.faults(None, 0).await.unwrap();
    let summary: Vec<(FaultKind, bool, i64, Option<i64>, &str)> = listed
        .iter()
        .map(|f| {
            (
                f.kind,
                f.active,
                f.raised_at.0 - T0,
                f.cleared_at.map(|t| t.0 - T0),
                f.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (FaultKind::Offline, true, 40, None, "offline at 40"),
            (FaultKind::OutOfRange, true, 15, None, "out_of_range at 15"),
            (FaultKind::Offline, false, 10, Some(30), "offline at 10"),
        ]
    );
    assert_eq!(listed[0].generation, GenerationId::new("g1"));
    assert_eq!(
        store.faults(Some(&"s1".into()), 1).await.unwrap(),
        vec![listed[0].clone()]
    );
    assert!(
        store
            .faults(Some(&"s2".into()), 0)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn alarms_upsert_and_delete(store: Arc<dyn Store>) {
    store
        .apply_changes(&[
            alarm("r1", "s1", Some(Level::Blue), 10),
            alarm("r2", "s1", Some(Level::Yellow), 15),
            alarm("r1", "s1", Some(Level::Red), 20),
        ])
        .await
        .unwrap();
    let standing = |rule: &str, level, offset| OpenAlarm {
        rule: rule.into(),
        sensor: "s1".into(),
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        level,
        since: at(offset),
    };
    assert_eq!(
        store.open_alarms().await.unwrap(),
        vec![
            standing("r1", Level::Red, 20),
            standing("r2", Level::Yellow, 15)
        ]
    );
    store
        .apply_changes(&[alarm("r1", "s1", None, 30), alarm("r9", "s1", None, 30)])
        .await
        .unwrap();
    assert_eq!(
        store.open_alarms().await.unwrap(),
        vec![standing("r2", Level::Yellow, 15)]
    );
}

async fn generations_are_saved_once_with_their_text(store: Arc<dyn Store>) {
    let record = generation_record("0123456789abcdef", "version: 1\nrules: []\n");
    store.save_generation(&record).await.unwrap();
    // Saving the same id again (even with other text) changes nothing.
    store
        .save_generation(&generation_record("0123456789abcdef", "tampered"))
        .await
        .unwrap();
    let mut expected = record.clone();
    expected.sources.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(store.generation(&record.id).await.unwrap(), Some(expected));
    assert_eq!(
        store.generation(&"fedcba9876543210".into()).await.unwrap(),
        None
    );
}

fn cause(asset: &str, level: Level) -> Cause {
    Cause {
        cascade: "C4_water_burst_to_road_collapse".to_owned(),
        asset: asset.to_owned(),
        hazard: "pipe_burst".to_owned(),
        level,
        raise_likelihood: 2,
    }
}

async fn warnings_keep_causes_and_details(store: Arc<dyn Store>) {
    let mut open = warning("road-1", None, Some(Level::Yellow), 100);
    open.causes = vec![cause("main-1", Level::Orange)];
    open.details = json!({"matched": ["gas.a", "gas.b"], "gap_s": 42});
    let mut raise = warning("road-1", Some(Level::Yellow), Some(Level::Orange), 200);
    raise.causes = vec![cause("main-1", Level::Red), cause("main-2", Level::Orange)];
    // A clear carries no causes; the warning keeps those of its last raise.
    let clear = warning("road-1", Some(Level::Orange), None, 300);
    store
        .apply_changes(&[
            Change::Warning(open.clone()),
            Change::Warning(raise.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(only_warning(&store).await.causes, raise.causes);
    store
        .apply_changes(&[Change::Warning(clear)])
        .await
        .unwrap();
    let cleared = only_warning(&store).await;
    assert_eq!(cleared.state, WarningState::Cleared);
    assert_eq!(cleared.causes, raise.causes);

    let history = store.warning(cleared.id).await.unwrap().unwrap().history;
    let stored: Vec<(Vec<Cause>, serde_json::Value)> = history
        .into_iter()
        .map(|entry| (entry.causes, entry.details))
        .collect();
    assert_eq!(
        stored,
        vec![
            (open.causes, open.details),
            (raise.causes, serde_json::Value::Null),
            (Vec::new(), serde_json::Value::Null),
        ]
    );
}

fn shadow(rule: &str, to: Option<Level>, offset: i64) -> Change {
    Change::Shadow(ShadowFinding {
        rule: rule.into(),
        sensor: "gas-1".into(),
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        from: None,
        to,
        ts: at(offset),
        message: format!("{rule} {} at {offset}", level_name(to)),
        generation: "g2".into(),
    })
}

async fn shadow_findings_are_recorded_and_filtered(store: Arc<dyn Store>) {
    store
        .apply_changes(&[
            shadow("gas.trial", Some(Level::Blue), 10),
            shadow("gas.other", Some(Level::Red), 20),
            shadow("gas.trial", Some(Level::Orange), 30),
            shadow("gas.trial", None, 40),
        ])
        .await
        .unwrap();
    // Recorded, never raised.
    assert!(store.warnings(&all_warnings()).await.unwrap().is_empty());
    assert!(store.open_alarms().await.unwrap().is_empty());

    let all = store
        .shadow_findings(&ShadowFilter::default())
        .await
        .unwrap();
    let listed: Vec<(&str, Option<Level>, i64)> = all
        .iter()
        .map(|f| (f.rule.as_str(), f.to, f.ts.0 - T0))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("gas.trial", None, 40),
            ("gas.trial", Some(Level::Orange), 30),
            ("gas.other", Some(Level::Red), 20),
            ("gas.trial", Some(Level::Blue), 10),
        ]
    );
    assert_eq!(
        all[2],
        ShadowRecord {
            id: all[2].id,
            rule: "gas.other".into(),
            sensor: "gas-1".into(),
            asset: "well-1".into(),
            hazard: "gas_leak".into(),
            from: None,
            to: Some(Level::Red),
            ts: at(20),
            message: "gas.other red at 20".to_owned(),
            generation: "g2".into(),
        }
    );
    let trial = store
        .shadow_findings(&ShadowFilter {
            rule: Some("gas.trial".into()),
            since: Some(at(15)),
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(trial, vec![all[0].clone()]);
    let none = store
        .shadow_findings(&ShadowFilter {
            rule: Some("gas.nothing".into()),
            ..ShadowFilter::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn generations_are_listed_by_activation(store: Arc<dyn Store>) {
    let a = generation_record("aaaaaaaaaaaaaaaa", "a");
    let mut b = generation_record("bbbbbbbbbbbbbbbb", "b");
    b.created_at = at(6);
    let mut never = generation_record("cccccccccccccccc", "c");
    never.created_at = at(7);
    for record in [&a, &b, &never] {
        store.save_generation(record).await.unwrap();
    }
    // Nothing activated yet: newest first.
    let ids = |listing: Vec<storage::GenerationListing>| -> Vec<String> {
        listing.into_iter().map(|g| g.id.to_string()).collect()
    };
    assert_eq!(
        ids(store.generations(0).await.unwrap()),
        vec!["cccccccccccccccc", "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"]
    );

    let first = json!({"summary": "1 rule added (gas.a)", "scope": "full"});
    assert!(
        store
            .activate_generation(&a.id, at(100), &first)
            .await
            .unwrap()
    );
    let second = json!({"summary": "1 rule changed (gas.a)", "rules": {"changed": {"count": 1}}});
    assert!(
        store
            .activate_generation(&b.id, at(200), &second)
            .await
            .unwrap()
    );
    assert!(
        !store
            .activate_generation(&"dddddddddddddddd".into(), at(250), &first)
            .await
            .unwrap()
    );
    let listed = store.generations(0).await.unwrap();
    assert_eq!(
        ids(listed.clone()),
        vec!["bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", "cccccccccccccccc"]
    );
    assert_eq!(listed[0].activated_at, Some(at(200)));
    assert_eq!(listed[0].changes, second);
    assert_eq!(listed[0].summary, b.summary);
    assert_eq!(listed[0].hash, b.hash);
    assert_eq!(listed[0].created_at, at(6));
    assert_eq!(listed[2].activated_at, None);
    assert_eq!(listed[2].changes, serde_json::Value::Null);

    // A rollback to `a` moves its activation and replaces its changes.
    let rollback = json!({"summary": "1 rule changed (gas.a)"});
    store
        .activate_generation(&a.id, at(300), &rollback)
        .await
        .unwrap();
    let listed = store.generations(1).await.unwrap();
    assert_eq!(ids(listed.clone()), vec!["aaaaaaaaaaaaaaaa"]);
    assert_eq!(listed[0].changes, rollback);
    // The record with its text is unaffected.
    let mut expected = a.clone();
    expected.sources.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(store.generation(&a.id).await.unwrap(), Some(expected));
}

async fn store_reports_its_backend(store: Arc<dyn Store>) {
    let expected = if format!("{store:?}").starts_with("SqliteStore") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected);
}

/// Data written through one store is there after reopening the same URL (a restart), and a
/// re-sent batch or a re-"opened" warning does not duplicate anything.
async fn data_survives_reopening(url: String) {
    let batch = vec![reading("s1", "m1", 1, 1.0), reading("s1", "m1", 2, 2.0)];
    {
        let store = storage::open(&url).await.unwrap();
        store.insert_readings(&batch).await.unwrap();
        store
            .apply_changes(&[
                alarm("r1", "s1", Some(Level::Orange), 2),
                Change::Warning(warning("well-1", None, Some(Level::Orange), 2)),
                fault("s2", FaultKind::Offline, true, 2),
            ])
            .await
            .unwrap();
        store
            .save_generation(&generation_record("0123456789abcdef", "v"))
            .await
            .unwrap();
    }
    let store = storage::open(&url).await.unwrap();
    assert_eq!(
        store.insert_readings(&batch).await.unwrap(),
        vec![false, false]
    );
    assert_eq!(
        store.latest_reading_times(None).await.unwrap(),
        vec![("s1".into(), "m1".into(), at(2))]
    );
    assert_eq!(store.open_alarms().await.unwrap().len(), 1);
    assert_eq!(store.open_faults().await.unwrap().len(), 1);
    assert!(
        store
            .generation(&"0123456789abcdef".into())
            .await
            .unwrap()
            .is_some()
    );
    store
        .apply_changes(&[Change::Warning(warning(
            "well-1",
            None,
            Some(Level::Orange),
            3,
        ))])
        .await
        .unwrap();
    let only = only_warning(&store).await;
    assert_eq!((only.state, only.opened_at), (WarningState::Open, at(2)));
}

store_tests!(
    migrating_twice_is_fine,
    reinserting_readings_is_idempotent,
    large_batches_span_several_chunks,
    readings_filter_by_time_metric_and_limit,
    latest_reading_times_per_sensor_and_metric,
    warning_opens_moves_and_clears_with_history,
    opening_twice_never_gives_two_open_warnings,
    warnings_filter_and_order,
    faults_raise_clear_and_never_double,
    alarms_upsert_and_delete,
    generations_are_saved_once_with_their_text,
    store_reports_its_backend,
    warnings_keep_causes_and_details,
    shadow_findings_are_recorded_and_filtered,
    generations_are_listed_by_activation,
);

#[tokio::test]
async fn sqlite_file_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    data_survives_reopening(url).await;
    assert!(dir.path().join("tocsin.db").exists());
}

#[tokio::test]
async fn sqlite_file_with_normal_synchronous_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?synchronous=normal",
        dir.path().join("tocsin.db").display()
    );
    data_survives_reopening(url).await;
}

#[tokio::test]
async fn postgres_survives_restart() {
    store_support::with_postgres_url(data_survives_reopening).await;
}

#[test]
fn database_url_replaces_only_the_name() {
    assert_eq!(
        store_support::database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        store_support::database_url("postgres://u:p@h/db?sslmode=disable", "t1"),
        "postgres://u:p@h/t1?sslmode=disable"
    );
    assert_eq!(
        store_support::database_url("postgres://h", "t1"),
        "postgres://h/t1"
    );
}
