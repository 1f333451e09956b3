//! Live edits keep what did not change (issue #16 point 1): a real runtime over a deployment
//! directory and a real store (SQLite and PostgreSQL), reloaded through the API after each edit
//! of the rule file. Each case checks the warnings, their level history, the cases and the outbox
//! rows against the semantics of docs/RULES.md "Reloading rules":
//! - an edit that changes no judgement (description, basis, comments, layout) changes nothing in
//!   the store, also for a cascaded warning, and the pending `for` run carries over;
//! - a changed threshold moves the warning in place with one "regraded by generation X" entry,
//!   and notifies only when the level rises;
//! - a removed rule's warning closes with the reason and the generation;
//! - a cascade whose target changed moves the cascaded warning to the new target.
//!
//! Time of readings comes from a `ManualClock`; nothing sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use serde_json::{Value, json};
use tocsin::model::{ManualClock, Timestamp};
use tocsin::runtime::Runtime;
use tocsin::settings::{ReloadSettings, Settings};
use tocsin::storage::{OutboxFilter, Store, WarningFilter};
use tower::ServiceExt;

/// 2026-11-29T00:00:00Z.
const T0: Timestamp = Timestamp(1_795_910_400_000);

const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
  - {id: well-2, name: Well 2, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.4205, lat: 41.7903}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
  - {id: ch4-2, asset: well-2, metrics: [gas.ch4_adjacent]}
"#;

/// The parts of the rule file an edit changes.
#[derive(Clone, Debug)]
struct Rules {
    /// `local.watch`'s description.
    description: String,
    /// `local.watch`'s basis, if any.
    basis: Option<String>,
    /// `local.watch`'s yellow, orange and red thresholds.
    levels: (u32, u32, u32),
    /// Whether `local.slow` is in the file at all.
    slow: bool,
    /// The hazard the cascade raises on the neighbouring well.
    cascade_to: &'static str,
    /// A comment put before the rules (layout only).
    comment: String,
    /// Flow-style (`{...}`) threshold maps instead of block style (layout only).
    flow: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            description: "methane in the well".to_owned(),
            basis: None,
            levels: (30, 50, 80),
            slow: true,
            cascade_to: "confined_gas_c",
            comment: String::new(),
            flow: true,
        }
    }
}

impl Rules {
    /// The text of `rules/local.yaml`.
    fn text(&self) -> String {
        let (yellow, orange, red) = self.levels;
        let mut text = format!("version: 1\n{}\nrules:\n", self.comment);
        {
            text.push_str(&format!(
                "  - id: local.watch\n    domain: city_gas\n    metric: gas.ch4_adjacent\n    \
                 hazard: confined_gas\n    description: {}\n",
                serde_json::to_string(&self.description).unwrap()
            ));
            if let Some(basis) = &self.basis {
                text.push_str(&format!(
                    "    basis: {}\n",
                    serde_json::to_string(basis).unwrap()
                ));
            }
            if self.flow {
                text.push_str(&format!(
                    "    threshold: {{direction: above, levels: {{yellow: {yellow}, orange: \
                     {orange}, red: {red}}}}}\n    clear: {{margin: 1, after: 1h}}\n"
                ));
            } else {
                text.push_str(&format!(
                    "    threshold:\n      direction: above\n      levels:\n        yellow: \
                     {yellow}\n        orange: {orange}\n        red: {red}\n    clear:\n      \
                     margin: 1\n      after: 1h\n"
                ));
            }
        }
        if self.slow {
            text.push_str(
                "  - id: local.slow\n    domain: city_gas\n    metric: gas.ch4_adjacent\n    \
             hazard: confined_gas_b\n    description: methane that stays\n    threshold: \
             {direction: above, levels: {yellow: 20}, for: {yellow: 45m}}\n    clear: {margin: \
             1, after: 1h}\n",
            );
        }
        text.push_str(&format!(
            r#"links:
  - id: local.neighbours
    relation: adjacent_to
    from: {{domain: city_gas, kinds: [adjacent_space]}}
    to: {{domain: city_gas, kinds: [adjacent_space]}}
    within_m: 100
    description: wells next to each other
cascades:
  - id: local.spread
    description: gas in one well makes its neighbour suspect
    from: {{hazard: confined_gas, domain: city_gas, kinds: [adjacent_space], min_level: orange}}
    through: [adjacent_to]
    hops: 1
    to: {{hazard: {}, domain: city_gas, kinds: [adjacent_space]}}
    raise_likelihood: 2
"#,
            self.cascade_to
        ));
        text
    }
}

fn settings() -> Settings {
    Settings {
        tick_interval: Duration::ZERO,
        reload: ReloadSettings {
            watch: false,
            debounce: Duration::from_millis(50),
        },
        ..Settings::default()
    }
}

/// A running server over a deployment directory.
struct Server {
    runtime: Runtime,
    router: Router,
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
}

impl Server {
    async fn start(store: Arc<dyn Store>, rules: &Rules) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("city")).unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("city/registry.yaml"), REGISTRY).unwrap();
        std::fs::write(dir.path().join("rules/local.yaml"), rules.text()).unwrap();
        let generation = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
        let runtime = Runtime::start_deployment(
            &settings(),
            dir.path(),
            generation,
            Arc::clone(&store),
            Arc::new(ManualClock::new(T0)),
        )
        .await
        .unwrap();
        let token = api_support::admin_token(&*store).await;
        let router = api_support::signed_in(runtime.router(), &token);
        Server {
            runtime,
            router,
            store,
            dir,
        }
    }

    /// Writes `rules` and reloads; returns the answer (which must be 200).
    async fn edit(&self, rules: &Rules) -> Value {
        std::fs::write(self.dir.path().join("rules/local.yaml"), rules.text()).unwrap();
        let request = Request::post("/api/v1/admin/reload")
            .body(Body::empty())
            .unwrap();
        let (status, answer) = call(&self.router, request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        self.runtime.settle().await;
        answer
    }

    /// Posts one reading of `sensor` at `minutes` after T0 and waits until the desk reacted.
    async fn reading(&self, sensor: &str, value: f64, minutes: i64) {
        let body = json!([{"sensor": sensor, "metric": "gas.ch4_adjacent", "value": value,
                           "ts": T0.millis() + minutes * 60_000}]);
        let request = Request::post("/api/v1/readings")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, answer) = call(&self.router, request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        self.runtime.flush().await;
    }

    /// The warning of `hazard` on `asset` (open or cleared), with its history.
    async fn warning(&self, asset: &str, hazard: &str) -> Option<Value> {
        let all = self
            .store
            .warnings(&WarningFilter::default())
            .await
            .unwrap();
        let record = all
            .iter()
            .find(|w| w.asset.as_str() == asset && w.hazard.as_str() == hazard)?;
        let detail = self.store.warning(record.id).await.unwrap().unwrap();
        Some(serde_json::to_value(detail).unwrap())
    }

    /// The outbox rows of the warning of `hazard` on `asset`.
    async fn outbox(&self, asset: &str, hazard: &str) -> Vec<Value> {
        let Some(warning) = self.warning(asset, hazard).await else {
            return Vec::new();
        };
        let filter = OutboxFilter {
            warning: warning["id"].as_i64(),
            limit: 0,
        };
        let rows = self.store.outbox(&filter).await.unwrap();
        rows.iter()
            .map(|row| serde_json::to_value(row).unwrap())
            .collect()
    }

    /// Everything a live edit could disturb: every warning with its history and case, every
    /// outbox row, every open alarm.
    async fn everything(&self) -> Value {
        let mut warnings = Vec::new();
        for record in self
            .store
            .warnings(&WarningFilter::default())
            .await
            .unwrap()
        {
            let detail = self.store.warning(record.id).await.unwrap().unwrap();
            let case = self.store.case(record.id).await.unwrap();
            warnings.push(json!({"warning": detail, "case": case}));
        }
        let outbox = self
            .store
            .outbox(&OutboxFilter {
                warning: None,
                limit: 0,
            })
            .await
            .unwrap();
        let mut alarms = self.store.open_alarms().await.unwrap();
        alarms.sort_by(|a, b| (&a.rule, &a.sensor).cmp(&(&b.rule, &b.sensor)));
        json!({"warnings": warnings, "outbox": outbox, "alarms": alarms})
    }

    async fn stop(self) {
        drop(self.router);
        self.runtime.shutdown().await;
    }
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

/// The warning of `hazard` on `asset` (with its case) in a [`Server::everything`] value.
fn stored<'a>(all: &'a Value, asset: &str, hazard: &str) -> &'a Value {
    all["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["warning"]["asset"] == asset && w["warning"]["hazard"] == hazard)
        .unwrap_or_else(|| panic!("no {hazard} warning on {asset}: {all}"))
}

fn history(warning: &Value) -> &Vec<Value> {
    warning["history"].as_array().unwrap()
}

/// Opens an orange `confined_gas` warning on well-1 (and so the cascaded one on well-2) and
/// starts a `for` run of `local.slow` that has 5 of its 45 minutes to go. The run is longer than
/// the sample window of any rule on the stream (the shipped rate rule's 10 minutes) and spans more
/// readings than are kept beyond it, so only the carried timer, not the samples, can complete it
/// on time.
async fn orange_with_cascade_and_pending_run(server: &Server) {
    // More readings than the engine keeps as evidence (5) past the sample window.
    for minutes in (-60..=-24).step_by(4) {
        server.reading("ch4-1", 55.0, minutes).await;
    }
    server.reading("ch4-1", 56.0, -20).await;
    let watch = server.warning("well-1", "confined_gas").await.unwrap();
    assert_eq!(watch["level"], json!("orange"), "{watch}");
    assert_eq!(watch["state"], json!("open"));
    let cascaded = server.warning("well-2", "confined_gas_c").await;
    assert!(cascaded.is_some(), "the cascade raised nothing on well-2");
    // `local.slow` (yellow after 45 minutes above 20) has run for 40 minutes: no warning yet.
    assert!(server.warning("well-1", "confined_gas_b").await.is_none());
}

async fn description_only_edit_changes_nothing(store: Arc<dyn Store>) {
    let rules = Rules::default();
    let server = Server::start(store, &rules).await;
    orange_with_cascade_and_pending_run(&server).await;
    let before = server.everything().await;
    assert!(
        !server.outbox("well-1", "confined_gas").await.is_empty(),
        "the warning notified nobody: {before}"
    );

    let answer = server
        .edit(&Rules {
            description: "methane in the well, reworded".to_owned(),
            basis: Some("GB 50494 clause 4".to_owned()),
            ..rules.clone()
        })
        .await;
    assert_eq!(answer["corrections"], json!(0), "{answer}");
    assert_eq!(server.everything().await, before);

    // The next reading at the same level changes none of them either (no clear-then-reopen) ...
    server.reading("ch4-1", 57.0, 0).await;
    for (asset, hazard) in [
        ("well-1", "confined_gas"),
        ("well-2", "confined_gas_c"),
        ("well-1", "gas_leak"),
    ] {
        let (now, then) = (
            server.warning(asset, hazard).await,
            stored(&before, asset, hazard),
        );
        assert_eq!(now.as_ref(), Some(&then["warning"]), "{asset} {hazard}");
        let id = then["warning"]["id"].as_i64().unwrap();
        let rows = |all: &Value| -> Vec<Value> {
            all["outbox"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|row| row["warning"].as_i64() == Some(id))
                .cloned()
                .collect()
        };
        assert_eq!(
            rows(&server.everything().await),
            rows(&before),
            "{asset} {hazard}"
        );
    }
    // ... and the pending `for` run of `local.slow` carried over: 60 minutes after it started
    // it has held for its 45 (a run rebuilt from the samples kept would have held for 36).
    let slow = server.warning("well-1", "confined_gas_b").await.unwrap();
    assert_eq!(slow["level"], json!("yellow"), "{slow}");
    server.stop().await;
}

async fn raised_threshold_lowers_the_warning_in_place(store: Arc<dyn Store>) {
    let rules = Rules::default();
    let server = Server::start(store, &rules).await;
    orange_with_cascade_and_pending_run(&server).await;
    let notified = server.outbox("well-1", "confined_gas").await.len();

    // orange now from 60: the latest reading (56) is yellow.
    let answer = server
        .edit(&Rules {
            levels: (30, 60, 80),
            ..rules.clone()
        })
        .await;
    let generation = answer["generation"].as_str().unwrap().to_owned();
    let watch = server.warning("well-1", "confined_gas").await.unwrap();
    assert_eq!(watch["state"], json!("open"), "{watch}");
    assert_eq!(watch["level"], json!("yellow"));
    let entries = history(&watch);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(
        entries[1]["message"],
        json!(format!(
            "regraded by generation {generation}: orange -> yellow"
        ))
    );
    assert_eq!(entries[1]["generation"], json!(generation));
    // The case followed the level; nobody was notified again for a lower level.
    let case = server
        .store
        .case(watch["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.level.as_str(), "yellow");
    assert_eq!(
        server.outbox("well-1", "confined_gas").await.len(),
        notified
    );
    // Below the cascade's orange the cascaded warning is withdrawn.
    let cascaded = server.warning("well-2", "confined_gas_c").await.unwrap();
    assert_eq!(cascaded["state"], json!("cleared"), "{cascaded}");
    server.stop().await;
}

async fn lowered_threshold_raises_the_warning_in_place(store: Arc<dyn Store>) {
    let rules = Rules::default();
    let server = Server::start(store, &rules).await;
    orange_with_cascade_and_pending_run(&server).await;
    let notified = server.outbox("well-1", "confined_gas").await.len();

    // red now from 55: the latest reading (56) is red.
    let answer = server
        .edit(&Rules {
            levels: (30, 50, 55),
            ..rules.clone()
        })
        .await;
    let generation = answer["generation"].as_str().unwrap().to_owned();
    let watch = server.warning("well-1", "confined_gas").await.unwrap();
    assert_eq!(watch["level"], json!("red"), "{watch}");
    let entries = history(&watch);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(
        entries[1]["message"],
        json!(format!(
            "regraded by generation {generation}: orange -> red"
        ))
    );
    let case = server
        .store
        .case(watch["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.level.as_str(), "red");
    // A rise notifies.
    assert!(server.outbox("well-1", "confined_gas").await.len() > notified);
    server.stop().await;
}

async fn removed_rule_closes_its_warning_with_the_reason(store: Arc<dyn Store>) {
    let rules = Rules::default();
    let server = Server::start(store, &rules).await;
    orange_with_cascade_and_pending_run(&server).await;
    // `local.slow` completes its run: yellow.
    server.reading("ch4-1", 57.0, 0).await;
    let slow = server.warning("well-1", "confined_gas_b").await.unwrap();
    assert_eq!(slow["level"], json!("yellow"), "{slow}");
    let before = server.everything().await;

    let answer = server
        .edit(&Rules {
            slow: false,
            ..rules.clone()
        })
        .await;
    let generation = answer["generation"].as_str().unwrap().to_owned();
    let slow = server.warning("well-1", "confined_gas_b").await.unwrap();
    assert_eq!(slow["state"], json!("cleared"), "{slow}");
    let entries = history(&slow);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(
        entries[1]["message"],
        json!(format!(
            "rule local.slow removed by generation {generation}: yellow -> none"
        ))
    );
    assert_eq!(entries[1]["generation"], json!(generation));
    let alarms = server.store.open_alarms().await.unwrap();
    assert!(
        alarms.iter().all(|a| a.rule.as_str() != "local.slow"),
        "{alarms:?}"
    );
    // Its case saw the clearance; the other warnings did not move.
    let case = server
        .store
        .case(slow["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(case.reacted_seq >= 2, "{case:?}");
    for (asset, hazard) in [("well-1", "confined_gas"), ("well-2", "confined_gas_c")] {
        assert_eq!(
            server.warning(asset, hazard).await.as_ref(),
            Some(&stored(&before, asset, hazard)["warning"]),
            "{asset} {hazard}"
        );
    }
    server.stop().await;
}

async fn changed_cascade_target_moves_the_cascaded_warning(store: Arc<dyn Store>) {
    let rules = Rules::default();
    let server = Server::start(store, &rules).await;
    orange_with_cascade_and_pending_run(&server).await;
    let source = server.warning("well-1", "confined_gas").await.unwrap();

    server
        .edit(&Rules {
            cascade_to: "confined_gas_d",
            ..rules.clone()
        })
        .await;
    // The source warning is untouched ...
    assert_eq!(
        server.warning("well-1", "confined_gas").await.unwrap(),
        source
    );
    // ... the old target closes, the new one opens.
    let old = server.warning("well-2", "confined_gas_c").await.unwrap();
    assert_eq!(old["state"], json!("cleared"), "{old}");
    let new = server.warning("well-2", "confined_gas_d").await.unwrap();
    assert_eq!(new["state"], json!("open"), "{new}");
    assert_eq!(history(&new).len(), 1, "{new}");
    server.stop().await;
}

store_tests! {
    description_only_edit_changes_nothing,
    raised_threshold_lowers_the_warning_in_place,
    lowered_threshold_raises_the_warning_in_place,
    removed_rule_closes_its_warning_with_the_reason,
    changed_cascade_target_moves_the_cascaded_warning,
}

/// Edits of the rule file that change no judgement.
fn wording() -> impl Strategy<Value = Rules> {
    (
        "[a-zA-Z0-9 ,.]{1,40}",
        proptest::option::of("[a-zA-Z0-9 ,.]{1,30}"),
        "(# [a-z ]{0,20})?",
        any::<bool>(),
    )
        .prop_map(|(description, basis, comment, flow)| Rules {
            description,
            basis,
            comment,
            flow,
            ..Rules::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any sequence of wording edits, each reloaded: the store stays exactly as it was.
    #[test]
    fn edits_that_change_no_judgement_leave_the_store_unchanged(
        edits in proptest::collection::vec(wording(), 1..4)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = store_support::sqlite_memory().await;
            let server = Server::start(store, &Rules::default()).await;
            orange_with_cascade_and_pending_run(&server).await;
            let before = server.everything().await;
            for edit in &edits {
                server.edit(edit).await;
                prop_assert_eq!(&server.everything().await, &before);
            }
            server.stop().await;
            Ok(())
        })?;
    }
}
