//! CAP 1.2 alerts: every alert produced here is validated against the OASIS schema
//! (`../shared/standards/cap/CAP-v1.2.xsd`) with `xmllint`. Issued, re-graded, closed and drill
//! warnings; warnings never issued; the polygon area; escaping of hostile names - first from audit
//! entries built in memory, then end to end with the shipped standard workflow, the real machine
//! and the real store (SQLite and PostgreSQL), and over HTTP through the duty desk and the router.
//!
//! `xmllint` comes with `libxml2-utils` (`.ci/run` installs it). When it is missing the test fails
//! if `CI` is `true`, and otherwise prints `skipped: ...` and checks everything but the schema.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use std::sync::Arc;

use serde_json::json;
use tocsin::cap::{self, CapError, CapOptions, MsgType};
use tocsin::model::{
    AuditEntry, Case, Change, Generation, GeoPoint, Level, ManualWarning, Principal, Reading, Role,
    Source, Timestamp, WarningChange,
};
use tocsin::storage::{
    AuditFilter, CaseUpdate, LevelChange, SaveOutcome, Store, WarningDetail, WarningFilter,
    WarningRecord, WarningState,
};
use tocsin::workflow::{ActionRequest, Event, WarningFacts, machine};

mod api_support;
mod loop_support;
#[allow(dead_code, reason = "shared with tests/store.rs, which uses all of it")]
mod store_support;

use loop_support::{loop_stages, loop_workflow, repo, shenyang_with};

/// 2026-11-30T08:00:00+08:00.
const T0: i64 = 1_795_996_800_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp(T0 + minutes * 60_000)
}

fn schema() -> PathBuf {
    repo().join("../shared/standards/cap/CAP-v1.2.xsd")
}

/// Validates `xml` against the CAP 1.2 schema (see the module doc for a missing `xmllint`).
fn assert_valid_cap(xml: &str) {
    let Ok(version) = Command::new("xmllint").arg("--version").output() else {
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("xmllint is not installed (apt-get install libxml2-utils); CI=true");
        }
        eprintln!("skipped: xmllint not installed, the CAP schema check did not run");
        return;
    };
    assert!(version.status.success() || !version.stderr.is_empty());
    assert!(schema().is_file(), "missing {}", schema().display());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CAP alert does not validate:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The test loop in place of the shipped `standard` workflow (issue deadlines: blue 4 h, yellow
/// 30 min, orange 10 min, red 5 min).
fn generation() -> Generation {
    shenyang_with(loop_workflow(
        "standard",
        loop_stages(&["acknowledged", "resolved"], &["closed", "dismissed"]),
        &[
            ("issue", "detected", "issued"),
            ("acknowledge", "issued", "acknowledged"),
            ("resolve", "acknowledged", "resolved"),
            ("close", "resolved", "closed"),
            ("dismiss", "detected", "dismissed"),
        ],
    ))
}

fn case(warning: i64, stage: &str, level: Level, drill: bool) -> Case {
    Case {
        warning,
        workflow: "standard".into(),
        stage: stage.into(),
        stage_since: at(2),
        level,
        drill,
        rungs_fired: 0,
        due: None,
        supervised: false,
        issued_to: vec![
            "shenyang.construction".into(),
            "shenyang.gas_company".into(),
        ],
        reacted_seq: 1,
        opened_at: at(0),
        closed_at: None,
        version: 3,
    }
}

fn detail(id: i64, level: Level, case: Option<Case>) -> WarningDetail {
    let drill = case.as_ref().is_some_and(|c| c.drill);
    WarningDetail {
        warning: WarningRecord {
            id,
            asset: "gas-well-njnj-01".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            state: WarningState::Open,
            level,
            peak_level: level,
            opened_at: at(0),
            updated_at: at(0),
            cleared_at: None,
            rule: "gas.ch4_adjacent.ladder".into(),
            sensor: "gas-ch4-njnj-01".into(),
            generation: "g1".into(),
            message: "CH4 25 %LEL in 电信井 T-017".to_owned(),
            causes: Vec::new(),
            source: Source::Sensor,
            drill,
            case,
        },
        history: vec![LevelChange {
            seq: 1,
            from: None,
            to: Some(level),
            ts: at(0),
            rule: "gas.ch4_adjacent.ladder".into(),
            sensor: "gas-ch4-njnj-01".into(),
            generation: "g1".into(),
            message: "CH4 25 %LEL in 电信井 T-017".to_owned(),
            evidence: vec![Reading {
                sensor: "gas-ch4-njnj-01".into(),
                metric: "gas.ch4_adjacent".into(),
                value: 25.0,
                ts: at(0),
            }],
            causes: Vec::new(),
            details: serde_json::Value::Null,
        }],
    }
}

/// An audit log being written for one warning.
struct Log {
    warning: i64,
    entries: Vec<AuditEntry>,
}

impl Log {
    fn new(warning: i64) -> Log {
        Log {
            warning,
            entries: Vec::new(),
        }
    }

    fn add(&mut self, minute: i64, action: &str, detail: serde_json::Value) -> &mut Log {
        let seq = i64::try_from(self.entries.len()).unwrap() + 1;
        self.entries.push(AuditEntry {
            seq,
            at: at(minute),
            actor: "system:test".to_owned(),
            action: action.to_owned(),
            warning: Some(self.warning),
            generation: Some("g1".to_owned()),
            subject: format!("warning:{}", self.warning),
            detail: detail.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        });
        self
    }

    fn opened(&mut self, minute: i64, level: Level) -> &mut Log {
        self.add(
            minute,
            "warning.opened",
            json!({"asset": "gas-well-njnj-01", "hazard": "gas_leak", "from": null, "to": level.as_str()}),
        )
        .add(
            minute,
            "workflow.auto",
            json!({"event": "opened", "to": "detected"}),
        )
    }

    fn act(&mut self, minute: i64, action: &str, from: &str, to: &str) -> &mut Log {
        self.add(
            minute,
            "workflow.transition",
            json!({"action": action, "from": from, "to": to, "note": null, "evidence": [], "role": "duty_officer"}),
        )
    }

    fn raised(&mut self, minute: i64, from: Level, to: Level) -> &mut Log {
        let levels = json!({"from": from.as_str(), "to": to.as_str()});
        self.add(minute, "warning.raised", levels.clone()).add(
            minute,
            "workflow.auto",
            json!({"event": "raised", "from": from.as_str(), "to": to.as_str()}),
        )
    }
}

fn element<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.match_indices(&open)
        .filter_map(|(start, _)| {
            let rest = &xml[start + open.len()..];
            rest.find(&close).map(|end| &rest[..end])
        })
        .collect()
}

fn options() -> CapOptions {
    let mut options = CapOptions::new("tocsin@shenyang").unwrap();
    options.web_base = Some("https://tocsin.example.org/".to_owned());
    options
}

#[test]
fn an_issued_warning_is_a_valid_alert() {
    let generation = generation();
    let warning = detail(
        7,
        Level::Yellow,
        Some(case(7, "issued", Level::Yellow, false)),
    );
    let mut log = Log::new(7);
    log.opened(0, Level::Yellow)
        .act(3, "issue", "detected", "issued");
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert_eq!(element(&xml, "identifier"), ["tocsin-7-1"]);
    assert_eq!(element(&xml, "sender"), ["tocsin@shenyang"]);
    assert_eq!(element(&xml, "status"), ["Actual"]);
    assert_eq!(element(&xml, "msgType"), ["Alert"]);
    assert_eq!(element(&xml, "scope"), ["Restricted"]);
    assert!(element(&xml, "references").is_empty());
    assert_eq!(
        element(&xml, "addresses"),
        ["shenyang.construction shenyang.gas_company"]
    );
    // 08:03 in Shenyang, whole seconds, explicit offset.
    assert_eq!(element(&xml, "sent"), ["2026-11-30T08:03:00+08:00"]);
    assert_eq!(element(&xml, "language"), ["zh-CN", "en-US"]);
    assert_eq!(element(&xml, "category")[..2], ["Infra", "Safety"]);
    assert_eq!(element(&xml, "urgency")[0], "Expected");
    assert_eq!(element(&xml, "severity")[0], "Moderate");
    assert_eq!(element(&xml, "certainty")[0], "Possible");
    assert!(element(&xml, "instruction")[0].contains("30分钟内"));
    assert_eq!(
        element(&xml, "web")[0],
        "https://tocsin.example.org/api/v1/warnings/7"
    );
    assert!(element(&xml, "headline")[0].starts_with("【黄色预警】城镇燃气 gas_leak"));
    assert!(element(&xml, "description")[0].contains("gas.ch4_adjacent = 25 %LEL"));
    let values = element(&xml, "value");
    assert!(values.contains(&"黄色预警（三级）"));
    assert!(values.contains(&"gas-well-njnj-01"));
    assert!(values.contains(&"7"));
    // 南京南街 电信井 T-017 stands at 41.7860 N, 123.3906 E; gas wells get 0.1 km.
    assert_eq!(element(&xml, "circle")[0], "41.786000,123.390600 0.1");
    assert!(element(&xml, "polygon").is_empty());
    assert!(xml.contains("<valueName>GB/T 2260</valueName>\n        <value>210102</value>"));
}

#[test]
fn a_regraded_warning_is_an_update_referencing_the_alert() {
    let generation = generation();
    let warning = detail(
        8,
        Level::Red,
        Some(case(8, "acknowledged", Level::Red, false)),
    );
    let mut log = Log::new(8);
    log.opened(0, Level::Yellow)
        .act(3, "issue", "detected", "issued")
        .act(6, "acknowledge", "issued", "acknowledged")
        .raised(9, Level::Yellow, Level::Red);
    let messages = cap::message_list(&generation, &warning, &log.entries).unwrap();
    let kinds: Vec<(MsgType, Level)> = messages.iter().map(|m| (m.msg_type, m.level)).collect();
    assert_eq!(
        kinds,
        [
            (MsgType::Alert, Level::Yellow),
            (MsgType::Update, Level::Red)
        ],
        "one update per re-grading, however many entries record it"
    );
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert_eq!(element(&xml, "identifier"), ["tocsin-8-2"]);
    assert_eq!(element(&xml, "msgType"), ["Update"]);
    assert_eq!(
        element(&xml, "references"),
        ["tocsin@shenyang,tocsin-8-1,2026-11-30T08:03:00+08:00"]
    );
    assert_eq!(element(&xml, "urgency")[0], "Immediate");
    assert_eq!(element(&xml, "severity")[0], "Extreme");
    assert_eq!(element(&xml, "certainty")[0], "Likely");
    assert!(element(&xml, "headline")[0].contains("【红色预警】"));
    assert!(element(&xml, "headline")[0].ends_with("（更新）"));
    // The first message is still there, as it was.
    let first = cap::alert_number(&generation, &warning, &log.entries, &options(), 1).unwrap();
    assert_valid_cap(&first);
    assert_eq!(element(&first, "msgType"), ["Alert"]);
    assert_eq!(element(&first, "severity")[0], "Moderate");
    assert_eq!(
        cap::alert_number(&generation, &warning, &log.entries, &options(), 3),
        Err(CapError::NoSuchMessage {
            warning: 8,
            count: 2,
            asked: 3
        })
    );
}

#[test]
fn a_closed_warning_is_a_cancel_referencing_every_earlier_message() {
    let generation = generation();
    let mut closed = case(9, "closed", Level::Orange, false);
    closed.closed_at = Some(at(40));
    let warning = detail(9, Level::Orange, Some(closed));
    let mut log = Log::new(9);
    log.opened(0, Level::Orange)
        .act(1, "issue", "detected", "issued")
        .raised(5, Level::Orange, Level::Red)
        .add(
            20,
            "warning.lowered",
            json!({"from": "red", "to": "orange"}),
        )
        .act(25, "acknowledge", "issued", "acknowledged")
        .act(30, "resolve", "acknowledged", "resolved")
        .act(40, "close", "resolved", "closed");
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert_eq!(element(&xml, "identifier"), ["tocsin-9-4"]);
    assert_eq!(element(&xml, "msgType"), ["Cancel"]);
    assert_eq!(
        element(&xml, "references"),
        ["tocsin@shenyang,tocsin-9-1,2026-11-30T08:01:00+08:00 \
             tocsin@shenyang,tocsin-9-2,2026-11-30T08:05:00+08:00 \
             tocsin@shenyang,tocsin-9-3,2026-11-30T08:20:00+08:00"]
    );
    assert_eq!(element(&xml, "sent"), ["2026-11-30T08:40:00+08:00"]);
    assert_eq!(element(&xml, "urgency")[0], "Past");
    assert_eq!(element(&xml, "responseType")[0], "AllClear");
    assert!(element(&xml, "headline")[0].ends_with("（解除）"));
    for n in 1..=4 {
        assert_valid_cap(
            &cap::alert_number(&generation, &warning, &log.entries, &options(), n).unwrap(),
        );
    }
}

#[test]
fn a_drill_is_an_exercise_and_says_so() {
    let generation = generation();
    let warning = detail(10, Level::Red, Some(case(10, "issued", Level::Red, true)));
    let mut log = Log::new(10);
    log.opened(0, Level::Red)
        .act(1, "issue", "detected", "issued");
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert_eq!(element(&xml, "status"), ["Exercise"]);
    assert!(element(&xml, "note")[0].starts_with("【演练】"));
    assert!(element(&xml, "headline")[0].starts_with("【演练】【红色预警】"));
    assert!(element(&xml, "headline")[1].starts_with("[EXERCISE] "));
    assert!(element(&xml, "instruction")[0].contains("5分钟内"));
}

#[test]
fn a_warning_never_issued_has_no_alert() {
    let generation = generation();
    let triage = detail(
        11,
        Level::Blue,
        Some(case(11, "detected", Level::Blue, false)),
    );
    let mut log = Log::new(11);
    log.opened(0, Level::Blue);
    assert_eq!(
        cap::alert(&generation, &triage, &log.entries, &options()),
        Err(CapError::NotIssued {
            warning: 11,
            stage: "detected".to_owned()
        })
    );

    let mut dismissed_case = case(11, "dismissed", Level::Blue, false);
    dismissed_case.closed_at = Some(at(4));
    let dismissed = detail(11, Level::Blue, Some(dismissed_case));
    log.act(4, "dismiss", "detected", "dismissed");
    let error = cap::alert(&generation, &dismissed, &log.entries, &options()).unwrap_err();
    assert_eq!(error.code().as_str(), "not_issued");
    assert_eq!(
        error.to_string(),
        "warning 11 is in stage `dismissed` and has not been issued"
    );

    let no_case = detail(12, Level::Blue, None);
    assert!(matches!(
        cap::alert(&generation, &no_case, &[], &options()),
        Err(CapError::NotIssued { stage, .. }) if stage == "none"
    ));
}

#[test]
fn an_issued_case_without_audit_entries_still_has_its_alert() {
    let generation = generation();
    let warning = detail(
        13,
        Level::Orange,
        Some(case(13, "acknowledged", Level::Orange, false)),
    );
    let xml = cap::alert(&generation, &warning, &[], &options()).unwrap();
    assert_valid_cap(&xml);
    assert_eq!(element(&xml, "msgType"), ["Alert"]);
    assert_eq!(element(&xml, "sent"), ["2026-11-30T08:02:00+08:00"]);
}

#[test]
fn an_asset_without_location_gets_its_district_polygon() {
    let mut generation = generation();
    let asset = generation
        .assets
        .iter_mut()
        .find(|a| a.id.as_str() == "gas-well-njnj-01")
        .unwrap();
    asset.location = None;
    let district = generation
        .districts
        .iter_mut()
        .find(|d| d.code.as_str() == "210102")
        .unwrap();
    district.boundary = Some(vec![
        GeoPoint {
            lon: 123.38,
            lat: 41.78,
        },
        GeoPoint {
            lon: 123.42,
            lat: 41.78,
        },
        GeoPoint {
            lon: 123.42,
            lat: 41.80,
        },
        GeoPoint {
            lon: 123.38,
            lat: 41.80,
        },
    ]);
    let mut warning = detail(
        14,
        Level::Yellow,
        Some(case(14, "issued", Level::Yellow, false)),
    );
    warning.warning.sensor = "manual".into();
    let mut log = Log::new(14);
    log.opened(0, Level::Yellow)
        .act(3, "issue", "detected", "issued");
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert!(element(&xml, "circle").is_empty());
    assert_eq!(
        element(&xml, "polygon")[..1],
        [
            "41.780000,123.380000 41.780000,123.420000 41.800000,123.420000 41.800000,123.380000 \
          41.780000,123.380000"
        ]
    );
}

#[test]
fn hostile_names_are_escaped() {
    let mut generation = generation();
    let asset = generation
        .assets
        .iter_mut()
        .find(|a| a.id.as_str() == "gas-well-njnj-01")
        .unwrap();
    asset.name = "井 <T-017> & \"A\" ]]> \u{1}".to_owned();
    let mut warning = detail(
        15,
        Level::Yellow,
        Some(case(15, "issued", Level::Yellow, false)),
    );
    warning.warning.message = "</description><injected/>".to_owned();
    warning.history[0].message = warning.warning.message.clone();
    let mut log = Log::new(15);
    log.opened(0, Level::Yellow)
        .act(3, "issue", "detected", "issued");
    let xml = cap::alert(&generation, &warning, &log.entries, &options()).unwrap();
    assert_valid_cap(&xml);
    assert!(!xml.contains("<injected/>"));
    assert!(xml.contains("&lt;/description&gt;&lt;injected/&gt;"));
    assert!(xml.contains("井 &lt;T-017&gt; &amp; &quot;A&quot; ]]&gt; \u{FFFD}"));
}

#[test]
fn senders_are_checked_and_defaulted() {
    for bad in ["", "tocsin shenyang", "a,b", "a<b", "a&b"] {
        assert_eq!(
            CapOptions::new(bad),
            Err(CapError::InvalidSender(bad.to_owned()))
        );
    }
    assert_eq!(
        CapOptions::for_generation(&generation()).sender,
        "tocsin@shenyang"
    );
    let mut bare = generation();
    bare.workflows.clear();
    assert_eq!(CapOptions::for_generation(&bare).sender, "tocsin@localhost");
}

#[test]
fn the_schema_check_rejects_a_broken_alert() {
    // Guards the guard: an alert the schema refuses must fail the check.
    let generation = generation();
    let warning = detail(
        16,
        Level::Blue,
        Some(case(16, "issued", Level::Blue, false)),
    );
    let xml = cap::alert(&generation, &warning, &[], &options()).unwrap();
    let broken = xml.replace("<status>Actual</status>", "<status>Real</status>");
    if Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!("skipped: xmllint not installed");
        return;
    }
    let result = std::panic::catch_unwind(|| assert_valid_cap(&broken));
    assert!(
        result.is_err(),
        "a status outside the enumeration must not validate"
    );
    assert!(Path::new(&schema()).is_file());
}

// ---- end to end: the shipped standard workflow, the real machine and the real store ----

/// Steps the machine for one event and saves the result, as the duty desk does.
struct Desk {
    store: Arc<dyn Store>,
    generation: Generation,
    facts: WarningFacts,
}

impl Desk {
    async fn step(&mut self, event: Event<'_>, now: Timestamp) {
        let workflow = self
            .generation
            .workflow_for(self.facts.domain.as_str())
            .expect("the shipped standard workflow");
        let case = self.store.case(self.facts.id).await.unwrap();
        let step = machine::step(
            workflow,
            &self.generation,
            &self.facts,
            case.as_ref(),
            event,
            now,
        )
        .unwrap();
        let update = CaseUpdate {
            case: &step.case,
            notifications: &step.notifications,
            audit: &step.audit,
        };
        assert_eq!(
            self.store.save_case(update).await.unwrap(),
            SaveOutcome::Saved
        );
    }

    async fn act(&mut self, action: &str, now: Timestamp) {
        let request = ActionRequest {
            action: action.to_owned(),
            note: Some("已处置".to_owned()),
            evidence: vec!["https://example.org/photo.jpg".to_owned()],
        };
        let officer = Principal {
            user: 1,
            name: "duty".to_owned(),
            role: Role::DutyOfficer,
            department: None,
            district: None,
        };
        let event = Event::Action {
            request: &request,
            actor: &officer,
        };
        self.step(event, now).await;
    }

    /// The current alert, read back from the store like the API does.
    async fn alert(&self) -> Result<String, CapError> {
        let detail = self.store.warning(self.facts.id).await.unwrap().unwrap();
        let filter = AuditFilter {
            warning: Some(self.facts.id),
            ..AuditFilter::default()
        };
        let audit = self.store.audit(&filter).await.unwrap();
        let options = CapOptions::for_generation(&self.generation);
        cap::alert(&self.generation, &detail, &audit, &options)
    }
}

fn shipped_generation() -> Generation {
    tocsin::compile::load(Some(&repo().join("examples/shenyang")))
        .unwrap_or_else(|diagnostics| panic!("examples/shenyang: {diagnostics:?}"))
}

fn gas_change(from: Option<Level>, to: Option<Level>, minute: i64) -> Change {
    Change::Warning(WarningChange {
        asset: "gas-well-njnj-01".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from,
        to,
        ts: at(minute),
        rule: "gas.ch4_adjacent.ladder".into(),
        sensor: "gas-ch4-njnj-01".into(),
        evidence: vec![Reading {
            sensor: "gas-ch4-njnj-01".into(),
            metric: "gas.ch4_adjacent".into(),
            value: 12.5,
            ts: at(minute),
        }],
        generation: "g1".into(),
        message: format!("CH4 in 电信井 T-017: {}", tocsin::model::level_name(to)),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    })
}

fn facts(record: &WarningRecord, generation: &Generation) -> WarningFacts {
    WarningFacts {
        id: record.id,
        asset: record.asset.clone(),
        hazard: record.hazard.clone(),
        domain: record.domain.clone(),
        district: record.district.clone(),
        department: record.department.clone(),
        level: record.level,
        drill: record.drill,
        message: record.message.clone(),
        generation: generation.id.clone(),
    }
}

/// A sensor warning through its whole life: no alert in triage, Alert on issue, Update on the
/// raise, Cancel on closure - each read back from the store and valid CAP.
async fn the_closed_loop_gives_alert_update_cancel(store: Arc<dyn Store>) {
    let generation = shipped_generation();
    store
        .apply_changes(&[gas_change(None, Some(Level::Yellow), 0)])
        .await
        .unwrap();
    let filter = WarningFilter {
        asset: Some("gas-well-njnj-01".into()),
        ..WarningFilter::default()
    };
    let record = store.warnings(&filter).await.unwrap().remove(0);
    let mut desk = Desk {
        facts: facts(&record, &generation),
        store,
        generation,
    };
    desk.step(Event::Opened, at(1)).await;
    assert!(
        matches!(desk.alert().await, Err(CapError::NotIssued { stage, .. }) if stage == "detected")
    );

    desk.act("issue", at(3)).await;
    let alert = desk.alert().await.unwrap();
    assert_valid_cap(&alert);
    assert_eq!(element(&alert, "msgType"), ["Alert"]);
    assert_eq!(element(&alert, "sent"), ["2026-11-30T08:03:00+08:00"]);
    assert_eq!(element(&alert, "severity")[0], "Moderate");
    assert!(
        !element(&alert, "addresses").is_empty(),
        "issued to someone"
    );

    desk.act("acknowledge", at(5)).await;
    desk.store
        .apply_changes(&[gas_change(Some(Level::Yellow), Some(Level::Red), 9)])
        .await
        .unwrap();
    desk.facts.level = Level::Red;
    desk.step(
        Event::Raised {
            from: Level::Yellow,
            to: Level::Red,
        },
        at(10),
    )
    .await;
    let update = desk.alert().await.unwrap();
    assert_valid_cap(&update);
    assert_eq!(
        element(&update, "identifier")[0],
        format!("tocsin-{}-2", desk.facts.id)
    );
    assert_eq!(element(&update, "msgType"), ["Update"]);
    assert_eq!(element(&update, "severity")[0], "Extreme");
    assert_eq!(element(&update, "references")[0].split(' ').count(), 1);

    for (action, minute) in [
        ("arrive", 15),
        ("control", 20),
        ("resolve", 30),
        ("close", 40),
    ] {
        desk.act(action, at(minute)).await;
    }
    let cancel = desk.alert().await.unwrap();
    assert_valid_cap(&cancel);
    assert_eq!(element(&cancel, "msgType"), ["Cancel"]);
    assert_eq!(element(&cancel, "sent"), ["2026-11-30T08:40:00+08:00"]);
    assert_eq!(element(&cancel, "references")[0].split(' ').count(), 2);
    assert_eq!(element(&cancel, "status"), ["Actual"]);
}

/// A manual drill issued through the same workflow is an Exercise.
async fn a_drill_through_the_store_is_an_exercise(store: Arc<dyn Store>) {
    let generation = shipped_generation();
    let manual = ManualWarning {
        asset: "gas-well-njnj-01".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        level: Level::Orange,
        channel: "hotline".to_owned(),
        message: "演练：12345 热线报告 电信井有燃气味".to_owned(),
        drill: true,
        at: at(0),
        actor: "user:1".to_owned(),
    };
    let id = store
        .report_manual(&manual, &generation.id)
        .await
        .unwrap()
        .warning;
    let record = store.warning(id).await.unwrap().unwrap().warning;
    assert!(record.drill);
    let mut desk = Desk {
        facts: facts(&record, &generation),
        store,
        generation,
    };
    desk.step(Event::Opened, at(1)).await;
    desk.act("issue", at(2)).await;
    let alert = desk.alert().await.unwrap();
    assert_valid_cap(&alert);
    assert_eq!(element(&alert, "status"), ["Exercise"]);
    assert_eq!(element(&alert, "severity")[0], "Severe");
    assert!(element(&alert, "headline")[0].starts_with("【演练】【橙色预警】"));
}

mod sqlite {
    #[tokio::test]
    async fn the_closed_loop_gives_alert_update_cancel() {
        let store = super::store_support::sqlite_memory().await;
        super::the_closed_loop_gives_alert_update_cancel(store).await;
    }

    #[tokio::test]
    async fn a_drill_through_the_store_is_an_exercise() {
        let store = super::store_support::sqlite_memory().await;
        super::a_drill_through_the_store_is_an_exercise(store).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn the_closed_loop_gives_alert_update_cancel() {
        super::store_support::with_postgres_store(super::the_closed_loop_gives_alert_update_cancel)
            .await;
    }

    #[tokio::test]
    async fn a_drill_through_the_store_is_an_exercise() {
        super::store_support::with_postgres_store(super::a_drill_through_the_store_is_an_exercise)
            .await;
    }
}

// ---- over HTTP: the router, the guard, the duty desk and the handler ----

/// One request with a bearer token; answers status, content type and body text.
async fn http(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (axum::http::StatusCode, String, String) {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        ))
        .unwrap();
    api_support::text_answer(router, request).await
}

#[tokio::test]
async fn the_api_serves_the_alert_through_a_warnings_life() {
    use axum::http::StatusCode;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cap.db").display());
    let store = tocsin::storage::open(&url).await.unwrap();
    let clock = tocsin::model::ManualClock::new(at(0));
    let settings = tocsin::settings::Settings {
        tick_interval: Duration::ZERO,
        ..tocsin::settings::Settings::default()
    };
    let runtime = tocsin::runtime::Runtime::start(
        &settings,
        Arc::new(shipped_generation()),
        Arc::clone(&store),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let router = runtime.router();
    let officer = api_support::token_for(&*store, "duty_officer", None).await;
    let stranger = api_support::token_for(&*store, "district_user", Some("210103")).await;

    let report = json!({"asset": "gas-well-njnj-01", "hazard": "gas_leak", "level": "yellow",
                        "message": "12345 热线：电信井有燃气味"});
    let (status, _, body) = http(&router, "POST", "/api/v1/warnings", &officer, Some(report)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["warning"]["id"]
        .as_i64()
        .unwrap();
    let cap_uri = format!("/api/v1/warnings/{id}/cap");
    let (status, _, body) = http(&router, "GET", &cap_uri, &officer, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("\"not_issued\""), "{body}");

    let act = |action: &str| json!({"action": action, "note": "现场已处置", "evidence": ["https://example.org/1.jpg"]});
    let actions_uri = format!("/api/v1/warnings/{id}/actions");
    clock.advance(Duration::from_secs(120));
    let (status, _, body) = http(&router, "POST", &actions_uri, &officer, Some(act("issue"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, content_type, alert) = http(&router, "GET", &cap_uri, &officer, None).await;
    assert_eq!(status, StatusCode::OK, "{alert}");
    assert_eq!(content_type, "application/cap+xml; charset=utf-8");
    assert_valid_cap(&alert);
    assert_eq!(element(&alert, "msgType"), ["Alert"]);
    assert_eq!(element(&alert, "sent"), ["2026-11-30T08:02:00+08:00"]);
    let (status, _, body) = http(&router, "GET", &cap_uri, &stranger, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    clock.advance(Duration::from_secs(120));
    let (status, _, body) = http(
        &router,
        "POST",
        &actions_uri,
        &officer,
        Some(act("acknowledge")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    clock.advance(Duration::from_secs(120));
    let worse = json!({"asset": "gas-well-njnj-01", "hazard": "gas_leak", "level": "red",
                       "message": "现场报告：浓度持续上升"});
    let (status, _, body) = http(&router, "POST", "/api/v1/warnings", &officer, Some(worse)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, update) = http(&router, "GET", &cap_uri, &officer, None).await;
    assert_eq!(status, StatusCode::OK, "{update}");
    assert_valid_cap(&update);
    assert_eq!(element(&update, "msgType"), ["Update"]);
    assert_eq!(element(&update, "severity")[0], "Extreme");
    assert_eq!(
        element(&update, "references"),
        [format!(
            "tocsin@shenyang,tocsin-{id}-1,2026-11-30T08:02:00+08:00"
        )]
    );

    for action in ["arrive", "control", "resolve", "close"] {
        clock.advance(Duration::from_secs(300));
        let (status, _, body) =
            http(&router, "POST", &actions_uri, &officer, Some(act(action))).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (status, _, cancel) = http(&router, "GET", &cap_uri, &officer, None).await;
    assert_eq!(status, StatusCode::OK, "{cancel}");
    assert_valid_cap(&cancel);
    assert_eq!(element(&cancel, "msgType"), ["Cancel"]);
    assert_eq!(element(&cancel, "identifier"), [format!("tocsin-{id}-3")]);

    let (status, _, first) = http(
        &router,
        "GET",
        &format!("{cap_uri}?message=1"),
        &officer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(element(&first, "msgType"), ["Alert"]);
    let (status, _, body) = http(
        &router,
        "GET",
        &format!("{cap_uri}?message=4"),
        &officer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = http(
        &router,
        "GET",
        &format!("{cap_uri}?message=x"),
        &officer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = http(
        &router,
        "GET",
        "/api/v1/warnings/999999/cap",
        &officer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    drop(router);
    runtime.shutdown().await;
}
