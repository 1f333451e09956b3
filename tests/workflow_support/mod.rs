//! The harness of the closed-loop tests (`tests/workflow_e2e.rs`): a small deployment (the
//! shipped packs with the standard workflow, one district with its government, two wells with a
//! methane sensor each, one local rule on a hazard of its own), a server over a store URL that
//! can be stopped and started again, people of each role, and readers of cases, outbox and audit.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tocsin::model::{
    Case, Clock, Generation, Level, ManualClock, Principal, Reading, Role, Timestamp,
};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage::{self, AuditFilter, OutboxFilter, OutboxRecord, Store};
use tocsin::workflow::ActionRequest;
use tocsin::workflow::desk::ManualReport;

/// 2026-11-29T00:00:00Z.
pub(crate) const T0: Timestamp = Timestamp(1_795_910_400_000);

pub(crate) const MINUTE: i64 = 60_000;

/// One district with its government, two wells, one methane sensor each.
pub(crate) const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区, government: heping.government}
departments:
  - id: heping.government
    name: 和平区人民政府
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
  - {id: well-2, name: Well 2, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.52, lat: 41.89}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
  - {id: ch4-2, asset: well-2, metrics: [gas.ch4_adjacent]}
"#;

/// A rule on a hazard of its own, so the shipped gas rules' warnings never mix in.
pub(crate) const RULES: &str = r#"version: 1
rules:
  - id: local.confined
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas
    description: methane in a confined space next to a gas main
    threshold: {direction: above, levels: {yellow: 30, red: 80}}
    clear: {margin: 1, after: 1h}
"#;

pub(crate) const HAZARD: &str = "confined_gas";

pub(crate) fn deployment(dir: &Path) -> Arc<Generation> {
    std::fs::create_dir_all(dir.join("city")).unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("city/registry.yaml"), REGISTRY).unwrap();
    std::fs::write(dir.join("rules/local.yaml"), RULES).unwrap();
    Arc::new(tocsin::compile::load(Some(dir)).unwrap())
}

pub(crate) fn settings() -> Settings {
    Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    }
}

pub(crate) fn duty_officer() -> Principal {
    Principal {
        user: 1,
        name: "值班员 Wang".to_owned(),
        role: Role::DutyOfficer,
        department: None,
        district: None,
    }
}

pub(crate) fn department_user(department: &str) -> Principal {
    Principal {
        user: 2,
        name: format!("{department} user"),
        role: Role::DepartmentUser,
        department: Some(department.into()),
        district: None,
    }
}

pub(crate) fn district_user(district: &str) -> Principal {
    Principal {
        user: 3,
        name: format!("{district} user"),
        role: Role::DistrictUser,
        department: None,
        district: Some(district.into()),
    }
}

pub(crate) fn action(name: &str, note: Option<&str>, evidence: &[&str]) -> ActionRequest {
    ActionRequest {
        action: name.to_owned(),
        note: note.map(str::to_owned),
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
    }
}

pub(crate) fn report(asset: &str, level: &str, drill: bool) -> ManualReport {
    ManualReport {
        asset: asset.to_owned(),
        hazard: HAZARD.to_owned(),
        level: level.to_owned(),
        channel: "hotline".to_owned(),
        message: "12345 热线: 井盖处有燃气味 caller smells gas at the manhole".to_owned(),
        drill,
    }
}

/// The server under test and what it runs on.
pub(crate) struct Server {
    /// The runtime.
    pub(crate) runtime: Runtime,
    /// Its store.
    pub(crate) store: Arc<dyn Store>,
    /// The clock it runs on.
    pub(crate) clock: ManualClock,
}

impl Server {
    pub(crate) async fn start(
        url: &str,
        generation: &Arc<Generation>,
        clock: &ManualClock,
    ) -> Server {
        let store = storage::open(url).await.unwrap();
        let runtime = Runtime::start(
            &settings(),
            Arc::clone(generation),
            Arc::clone(&store),
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        Server {
            runtime,
            store,
            clock: clock.clone(),
        }
    }

    pub(crate) async fn stop(self) {
        self.runtime.shutdown().await;
    }

    /// Sets the clock to `minutes` after T0.
    pub(crate) fn at(&self, minutes: i64) -> Timestamp {
        let now = Timestamp(T0.millis() + minutes * MINUTE);
        self.clock.set(now);
        now
    }

    /// Stores and evaluates one methane reading taken now, then lets the desk react.
    pub(crate) async fn reading(&self, sensor: &str, value: f64) {
        let reading = Reading {
            sensor: sensor.into(),
            metric: "gas.ch4_adjacent".into(),
            value,
            ts: self.clock.now(),
        };
        let committed = self.runtime.queue().submit(vec![reading]).unwrap();
        committed.await.unwrap().unwrap();
        self.runtime.flush().await;
    }

    pub(crate) async fn tick(&self) {
        self.runtime.tick_now().await;
    }

    /// The open (or latest) warning of `asset` for the test hazard, real or drill.
    pub(crate) async fn warning_of(
        &self,
        asset: &str,
        drill: bool,
    ) -> tocsin::storage::WarningRecord {
        let warnings = self
            .store
            .warnings(&tocsin::storage::WarningFilter {
                asset: Some(asset.into()),
                hazard: Some(HAZARD.into()),
                drill: Some(drill),
                ..Default::default()
            })
            .await
            .unwrap();
        warnings.into_iter().next().expect("a warning")
    }

    pub(crate) async fn case(&self, warning: i64) -> Case {
        let detail = self.store.warning(warning).await.unwrap().unwrap();
        detail
            .warning
            .case
            .expect("the workflow took the warning up")
    }

    pub(crate) async fn act(&self, warning: i64, who: &Principal, request: ActionRequest) -> Case {
        match self.runtime.desk().act(warning, who, &request).await {
            Ok(case) => case,
            Err(error) => panic!("{} refused: {error}", request.action),
        }
    }

    pub(crate) async fn outbox(&self, warning: i64) -> Vec<OutboxRecord> {
        self.store
            .outbox(&OutboxFilter {
                warning: Some(warning),
                limit: 0,
            })
            .await
            .unwrap()
    }

    /// `(action, detail)` of the warning's audit entries, in order.
    pub(crate) async fn audit(&self, warning: i64) -> Vec<(String, Value)> {
        self.store
            .audit(&AuditFilter {
                warning: Some(warning),
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|entry| {
                let detail = serde_json::from_str(&entry.detail).unwrap();
                (entry.action, detail)
            })
            .collect()
    }

    /// The rungs fired for the warning, as `(stage, rung)` in order.
    pub(crate) async fn rungs(&self, warning: i64) -> Vec<(String, u64)> {
        self.audit(warning)
            .await
            .into_iter()
            .filter(|(action, _)| action == "timer.fired")
            .map(|(_, detail)| {
                (
                    detail["stage"].as_str().unwrap().to_owned(),
                    detail["rung"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

/// Departments notified for the warning with `reason`, sorted and deduplicated.
pub(crate) fn recipients(outbox: &[OutboxRecord], reason: &str) -> Vec<String> {
    let mut departments: Vec<String> = outbox
        .iter()
        .filter(|row| row.notification.reason == reason)
        .map(|row| row.notification.recipient.to_string())
        .collect();
    departments.sort();
    departments.dedup();
    departments
}

pub(crate) fn count(audit: &[(String, Value)], action: &str) -> usize {
    audit.iter().filter(|(name, _)| name == action).count()
}

/// The acknowledge limit of the standard workflow for `level`, in minutes.
pub(crate) fn acknowledge_limit(generation: &Generation, level: Level) -> i64 {
    let workflow = generation.workflow_for("city_gas").unwrap();
    let limit = workflow.stage("issued").unwrap().deadline[level.index()].unwrap();
    i64::try_from(limit.as_millis()).unwrap() / MINUTE
}
