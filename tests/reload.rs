//! Hot reload end to end: a real runtime over a deployment directory (the shipped packs plus a
//! small registry and two local rules) and a real store, driven through the router in-process
//! with an admin's token (a rule editor's against a `tocsin serve` process). The main cases run
//! on SQLite and PostgreSQL. Reloads are awaited through their answers or the runtime's reload
//! events; the file watch and SIGHUP are awaited with a bounded number of attempts, never a fixed
//! sleep. Time of readings comes from a `ManualClock`.

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

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tocsin::api::{ReloadOutcome, ReloadTrigger};
use tocsin::model::{ManualClock, Timestamp};
use tocsin::runtime::{ReloadEvent, Runtime};
use tocsin::settings::{ReloadSettings, Settings};
use tocsin::storage::Store;
use tower::ServiceExt;

/// 2026-11-29T00:00:00Z.
const T0: Timestamp = Timestamp(1_795_910_400_000);

const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
  - {id: well-2, name: Well 2, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.52, lat: 41.89}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
  - {id: ch4-2, asset: well-2, metrics: [gas.ch4_adjacent]}
"#;

/// Local rules on hazards of their own (so the shipped gas rules never mix in): `local.kept`,
/// which no edit touches, `local.edited`, whose threshold the edits change, and `local.trial`, a
/// shadow rule on `local.kept`'s hazard that would raise red at 20 if it were not a shadow.
fn rules(edited_orange: &str) -> String {
    format!(
        r#"version: 1
rules:
  - id: local.kept
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas
    description: local rule that the edits never touch
    threshold: {{direction: above, levels: {{yellow: 30, red: 80}}}}
    clear: {{margin: 1, after: 1h}}
  - id: local.edited
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas_b
    description: local rule that the edits change
    threshold: {{direction: above, levels: {{orange: {edited_orange}}}}}
    clear: {{margin: 1, after: 1h}}
  - id: local.trial
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: confined_gas
    description: candidate rule run in shadow
    shadow: true
    threshold: {{direction: above, levels: {{red: 20}}}}
    clear: {{margin: 1, after: 1h}}
"#
    )
}

/// The deployment with `local.edited` at `edited_orange` and, when given, `tocsin.yaml`.
fn deployment(dir: &Path, edited_orange: &str, settings_file: Option<&str>) {
    std::fs::create_dir_all(dir.join("city")).unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("city/registry.yaml"), REGISTRY).unwrap();
    std::fs::write(dir.join("rules/local.yaml"), rules(edited_orange)).unwrap();
    if let Some(text) = settings_file {
        std::fs::write(dir.join("tocsin.yaml"), text).unwrap();
    }
}

fn settings(watch: bool) -> Settings {
    Settings {
        tick_interval: Duration::ZERO,
        reload: ReloadSettings {
            watch,
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
    async fn start(store: Arc<dyn Store>, watch: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        deployment(dir.path(), "60", None);
        let generation = Arc::new(tocsin::compile::load(Some(dir.path())).unwrap());
        let runtime = Runtime::start_deployment(
            &settings(watch),
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

    fn rules_file(&self) -> PathBuf {
        self.dir.path().join("rules/local.yaml")
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        call(&self.router, Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn reload(&self) -> (StatusCode, Value) {
        let request = Request::post("/api/v1/admin/reload")
            .body(Body::empty())
            .unwrap();
        call(&self.router, request).await
    }

    /// Posts one reading of `sensor` at `seconds` after T0 and waits until it is evaluated.
    async fn reading(&self, sensor: &str, value: f64, seconds: i64) {
        let body = json!([{"sensor": sensor, "metric": "gas.ch4_adjacent", "value": value,
                           "ts": T0.millis() + seconds * 1000}]);
        let request = Request::post("/api/v1/readings")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, answer) = call(&self.router, request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["accepted"], json!(1), "{answer}");
        self.runtime.flush().await;
    }

    async fn generation(&self) -> String {
        let (_, config) = self.get("/api/v1/config").await;
        config["generation"].as_str().unwrap().to_owned()
    }

    /// Every warning of `hazard`, most recently changed first.
    async fn warnings(&self, hazard: &str) -> Vec<Value> {
        let (_, list) = self.get(&format!("/api/v1/warnings?hazard={hazard}")).await;
        list["warnings"].as_array().unwrap().clone()
    }

    async fn history(&self, warning: &Value) -> Vec<Value> {
        let (_, detail) = self
            .get(&format!("/api/v1/warnings/{}", warning["id"]))
            .await;
        detail["history"].as_array().unwrap().clone()
    }

    async fn metrics(&self) -> String {
        let (_, text) = self.get("/api/v1/metrics").await;
        text.as_str().unwrap().to_owned()
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

/// The next reload event, within a bounded wait (the file watch runs in real time).
async fn next_event(events: &mut tokio::sync::broadcast::Receiver<ReloadEvent>) -> ReloadEvent {
    tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("no reload within 30 s")
        .unwrap()
}

async fn valid_edit_keeps_unchanged_rule_state(store: Arc<dyn Store>) {
    let server = Server::start(store, false).await;
    let first = server.generation().await;
    server.reading("ch4-1", 35.0, -120).await;
    let kept = server.warnings("confined_gas").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["level"], json!("yellow"));
    assert_eq!(kept[0]["generation"], json!(first));
    assert!(server.warnings("confined_gas_b").await.is_empty());

    std::fs::write(server.rules_file(), rules("30")).unwrap();
    let (status, answer) = server.reload().await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    let second = answer["generation"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(answer["previous"], json!(first));
    assert_eq!(
        answer["changes"]["rules"]["changed"]["ids"],
        json!(["local.edited"])
    );
    assert_eq!(
        answer["changes"]["summary"],
        json!("1 rule changed (local.edited)")
    );
    // The lowered threshold judges the latest reading (35) again in place: `local.edited` now
    // holds orange, so its alarm and warning open at the reload, once.
    assert_eq!(answer["corrections"], json!(2), "{answer}");
    assert_eq!(server.generation().await, second);
    let regraded = server.warnings("confined_gas_b").await;
    assert_eq!(regraded.len(), 1);
    let history = server.history(&regraded[0]).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(
        history[0]["message"],
        json!(format!("regraded by generation {second}: none -> orange"))
    );

    // The warning of the unchanged rule is still open, untouched: no duplicate change.
    let after = server.warnings("confined_gas").await;
    assert_eq!(after, kept);
    // Its rule kept its state: another reading at the same level changes nothing.
    server.reading("ch4-1", 36.0, -60).await;
    let still = server.warnings("confined_gas").await;
    assert_eq!(still.len(), 1);
    assert_eq!(server.history(&still[0]).await.len(), 1, "{still:?}");
    assert_eq!(still[0]["generation"], json!(first));
    let alarms = server.store.open_alarms().await.unwrap();
    assert!(
        alarms
            .iter()
            .any(|a| a.rule.as_str() == "local.kept" && a.sensor.as_str() == "ch4-1"),
        "{alarms:?}"
    );

    // The shadow rule recorded what it would have raised (red), and raised nothing.
    assert_eq!(still[0]["level"], json!("yellow"));
    let (_, shadow) = server.get("/api/v1/shadow?rule=local.trial").await;
    let findings = shadow["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{shadow}");
    assert_eq!(findings[0]["to"], json!("red"));
    assert_eq!(findings[0]["sensor"], json!("ch4-1"));
    assert_eq!(findings[0]["generation"], json!(first));

    // New warnings carry the new generation: the edited rule now fires at 36 ...
    let edited = server.warnings("confined_gas_b").await;
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0]["level"], json!("orange"));
    assert_eq!(edited[0]["generation"], json!(second));
    // ... and so does the unchanged rule on another sensor.
    server.reading("ch4-2", 40.0, -30).await;
    let kept = server.warnings("confined_gas").await;
    let well_2 = kept.iter().find(|w| w["asset"] == "well-2").unwrap();
    assert_eq!(well_2["generation"], json!(second));

    // The generations list says what each activation did.
    let (_, listed) = server.get("/api/v1/config/generations").await;
    let generations = listed["generations"].as_array().unwrap();
    assert_eq!(generations.len(), 2, "{listed}");
    assert_eq!(generations[0]["id"], json!(second));
    assert_eq!(generations[0]["active"], json!(true));
    assert_eq!(
        generations[0]["changes"]["summary"],
        json!("1 rule changed (local.edited)")
    );
    assert_eq!(generations[1]["id"], json!(first));
    assert_eq!(generations[1]["active"], json!(false));
    assert!(
        generations[1]["changes"]["summary"]
            .as_str()
            .unwrap()
            .contains("2 sensors added"),
        "{listed}"
    );
    assert!(
        server
            .metrics()
            .await
            .contains("tocsin_config_reloads_total{outcome=\"applied\"} 1")
    );
    server.stop().await;
}

async fn removed_rule_warning_is_corrected_on_reload(store: Arc<dyn Store>) {
    let server = Server::start(store, false).await;
    server.reading("ch4-1", 65.0, -120).await;
    let raised = server.warnings("confined_gas_b").await;
    assert_eq!(raised[0]["state"], json!("open"));

    // Remove `local.edited`.
    let text = rules("60");
    let start = text.find("  - id: local.edited").unwrap();
    let end = text.find("  - id: local.trial").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    std::fs::write(server.rules_file(), without).unwrap();
    let (status, answer) = server.reload().await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["changes"]["rules"]["removed"]["ids"],
        json!(["local.edited"])
    );
    // The removed rule's alarm and warning.
    assert_eq!(answer["corrections"], json!(2), "{answer}");
    let second = answer["generation"].as_str().unwrap().to_owned();

    let cleared = server.warnings("confined_gas_b").await;
    assert_eq!(cleared[0]["state"], json!("cleared"));
    assert_eq!(cleared[0]["generation"], json!(second));
    let history = server.history(&cleared[0]).await;
    assert_eq!(history.len(), 2);
    assert!(
        history[1]["message"].as_str().unwrap()
            == format!("rule local.edited removed by generation {second}: orange -> none"),
        "{history:?}"
    );
    // The unchanged rule's warning stays open with its one history entry.
    let kept = server.warnings("confined_gas").await;
    assert_eq!(kept[0]["state"], json!("open"));
    assert_eq!(server.history(&kept[0]).await.len(), 1);
    let alarms = server.store.open_alarms().await.unwrap();
    let rules: Vec<&str> = alarms.iter().map(|a| a.rule.as_str()).collect();
    assert!(!rules.contains(&"local.edited"), "{rules:?}");
    server.stop().await;
}

async fn invalid_edit_changes_nothing(store: Arc<dyn Store>) {
    let server = Server::start(store, false).await;
    let first = server.generation().await;
    std::fs::write(server.rules_file(), rules("sixty")).unwrap();
    let (status, answer) = server.reload().await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], json!("config_invalid"));
    assert!(
        answer["message"].as_str().unwrap().contains(&first),
        "{answer}"
    );
    let diagnostics = answer["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty());
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["file"], json!("rules/local.yaml"), "{answer}");
    // `orange: sixty` on line 15 of the rules file.
    assert_eq!(diagnostic["line"], json!(15), "{answer}");
    assert!(diagnostic["column"].as_u64().unwrap() > 0, "{answer}");
    assert!(diagnostic["code"].is_string());
    assert!(diagnostic.get("hint").is_some());

    // The old generation keeps serving, and evaluating.
    assert_eq!(server.generation().await, first);
    server.reading("ch4-1", 65.0, -60).await;
    let warning = &server.warnings("confined_gas_b").await[0];
    assert_eq!(warning["generation"], json!(first));
    let (_, listed) = server.get("/api/v1/config/generations").await;
    assert_eq!(listed["generations"].as_array().unwrap().len(), 1);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("tocsin_config_reloads_total{outcome=\"rejected\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("tocsin_config_reloads_total{outcome=\"applied\"} 0"));
    server.stop().await;
}

async fn unchanged_reload_does_nothing(store: Arc<dyn Store>) {
    let server = Server::start(store, false).await;
    let first = server.generation().await;
    // Rewriting the same text is no change.
    std::fs::write(server.rules_file(), rules("60")).unwrap();
    let (status, answer) = server.reload().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"unchanged": true, "generation": first}));
    let (_, listed) = server.get("/api/v1/config/generations").await;
    assert_eq!(listed["generations"].as_array().unwrap().len(), 1);
    assert!(
        server
            .metrics()
            .await
            .contains("tocsin_config_reloads_total{outcome=\"unchanged\"} 1")
    );
    server.stop().await;
}

async fn generations_record_their_cause_and_keep_their_text(store: Arc<dyn Store>) {
    let server = Server::start(store, false).await;
    let first = server.generation().await;
    std::fs::write(server.rules_file(), rules("30")).unwrap();
    let (status, answer) = server.reload().await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let second = answer["generation"].as_str().unwrap().to_owned();

    // Who caused each activation: the start, then the API user who asked for the reload.
    let (_, listed) = server.get("/api/v1/config/generations").await;
    let generations = listed["generations"].as_array().unwrap();
    assert_eq!(generations[0]["id"], json!(second));
    let cause = &generations[0]["changes"]["cause"];
    assert_eq!(cause["kind"], json!("api"), "{listed}");
    let (_, me) = server.get("/api/v1/whoami").await;
    assert!(
        cause["actor"].as_str().unwrap().starts_with("user:"),
        "{cause} {me}"
    );
    assert_eq!(generations[1]["changes"]["cause"], json!({"kind": "start"}));
    // ... and the audit entry of the activation names the same person
    let (_, audit) = server
        .get("/api/v1/audit?action=config.generation&limit=10")
        .await;
    let actors: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        ["system:start", cause["actor"].as_str().unwrap()],
        "{audit}"
    );

    // The exact text that was live in each generation.
    for (generation, orange) in [(&first, "60"), (&second, "30")] {
        let (status, files) = server
            .get(&format!(
                "/api/v1/config/generations/{generation}/files?path=rules/local.yaml"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{files}");
        assert_eq!(files["generation"], json!(generation));
        assert_eq!(files["files"][0]["text"], json!(rules(orange)));
        assert_eq!(files["files"].as_array().unwrap().len(), 1);
    }
    let (_, all) = server
        .get(&format!("/api/v1/config/generations/{first}/files"))
        .await;
    let paths: Vec<&str> = all["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"city/registry.yaml"), "{paths:?}");
    assert!(
        paths.iter().any(|path| path.starts_with("<builtin>/")),
        "{paths:?}"
    );
    let (status, missing) = server
        .get("/api/v1/config/generations/0000000000000000/files")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(missing["code"], json!("not_found"));
    let (status, _) = server
        .get(&format!(
            "/api/v1/config/generations/{first}/files?path=rules/none.yaml"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

store_tests!(
    generations_record_their_cause_and_keep_their_text,
    valid_edit_keeps_unchanged_rule_state,
    removed_rule_warning_is_corrected_on_reload,
    invalid_edit_changes_nothing,
    unchanged_reload_does_nothing,
);

#[tokio::test]
async fn file_watch_reloads_valid_edits_and_rejects_invalid_ones() {
    let server = Server::start(store_support::sqlite_memory().await, true).await;
    let mut events = server.runtime.reload_events().unwrap();
    let first = server.generation().await;

    std::fs::write(server.rules_file(), rules("sixty")).unwrap();
    let event = next_event(&mut events).await;
    assert_eq!(event.trigger, ReloadTrigger::Watch);
    assert!(
        matches!(&event.outcome, ReloadOutcome::Rejected { current, diagnostics }
            if current.as_str() == first && !diagnostics.is_empty()),
        "{event:?}"
    );
    assert_eq!(server.generation().await, first);

    std::fs::write(server.rules_file(), rules("30")).unwrap();
    let applied = loop {
        // Editors may write in several steps; each settled state is one reload.
        let event = next_event(&mut events).await;
        if let ReloadOutcome::Applied(applied) = event.outcome {
            break applied;
        }
    };
    assert_eq!(applied.previous.as_str(), first);
    assert_eq!(server.generation().await, applied.generation.as_str());
    assert_eq!(applied.diff.rules.changed.ids, vec!["local.edited"]);
    // The activation names the watch, the file it saw change and the hash of the text it read.
    let (_, listed) = server.get("/api/v1/config/generations").await;
    let cause = &listed["generations"][0]["changes"]["cause"];
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(rules("30").as_bytes()))
    };
    assert_eq!(
        cause,
        &json!({"kind": "watch", "files": [{"path": "rules/local.yaml", "sha256": sha256}]}),
        "{listed}"
    );

    server.stop().await;
}

/// A `tocsin serve` child process, killed when dropped.
struct ServeProcess(Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `url` until `check` accepts the JSON answer, at most `attempts` times.
async fn poll(
    client: &reqwest::Client,
    url: &str,
    attempts: usize,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..attempts {
        if let Ok(response) = client.get(url).send().await
            && let Ok(body) = response.json::<Value>().await
        {
            if check(&body) {
                return body;
            }
            last = body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never answered as expected; last answer {last}");
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    deployment(
        dir.path(),
        "60",
        Some("version: 1\ntick_interval: 1h\nreload:\n  watch: false\n"),
    );
    let store = format!("sqlite://{}", data.path().join("tocsin.db").display());
    let created = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args([
            "token",
            "create",
            "--role",
            "rule_editor",
            "--store",
            &store,
        ])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let child = ServeProcess(
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("serve")
            .arg("--config")
            .arg(dir.path())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--store")
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .default_headers(headers)
        .build()
        .unwrap();
    let config_url = format!("http://127.0.0.1:{port}/api/v1/config");
    let first = poll(&client, &config_url, 600, |body| {
        body["generation"].is_string()
    })
    .await;

    std::fs::write(dir.path().join("rules/local.yaml"), rules("30")).unwrap();
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let second = poll(&client, &config_url, 600, |body| {
        body["generation"] != first["generation"]
    })
    .await;
    let listed = poll(
        &client,
        &format!("http://127.0.0.1:{port}/api/v1/config/generations"),
        10,
        |body| body["generations"].as_array().is_some_and(|g| g.len() == 2),
    )
    .await;
    assert_eq!(listed["current"], second["generation"]);
    assert_eq!(
        listed["generations"][0]["changes"]["summary"],
        json!("1 rule changed (local.edited)")
    );
    assert_eq!(
        listed["generations"][0]["changes"]["cause"],
        json!({"kind": "signal"})
    );
}

/// `tocsin serve` on a busy port fails before it activates anything: the store it was given holds
/// no generation and no audit entry afterwards (issue #16: it used to activate the generation and
/// write to the audit first).
#[tokio::test]
async fn serve_on_a_busy_port_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    deployment(
        dir.path(),
        "60",
        Some("version: 1\nreload:\n  watch: false\n"),
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let path = data.path().join("tocsin.db");
    let store_url = format!("sqlite://{}", path.display());
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("serve")
        .arg("--config")
        .arg(dir.path())
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--store")
        .arg(&store_url)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen"), "{stderr}");
    drop(busy);
    let store = tocsin::storage::open(&store_url).await.unwrap();
    assert!(store.generations(10).await.unwrap().is_empty());
    let audit = store
        .audit(&tocsin::storage::AuditFilter::default())
        .await
        .unwrap();
    assert!(audit.is_empty(), "{audit:?}");
}

/// `tocsin config show --generation ID --store URL` prints the exact text that was live.
#[tokio::test]
async fn config_show_prints_a_past_generations_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    deployment(dir.path(), "45", None);
    let generation = tocsin::compile::load(Some(dir.path())).unwrap();
    let store_url = format!("sqlite://{}", data.path().join("tocsin.db").display());
    let store = tocsin::storage::open(&store_url).await.unwrap();
    store
        .save_generation(&tocsin::storage::GenerationRecord {
            id: generation.id.clone(),
            hash: generation.hash.clone(),
            created_at: T0,
            summary: generation.summary(),
            sources: generation.sources.clone(),
        })
        .await
        .unwrap();
    let show = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args(["config", "show", "--generation", generation.id.as_str()])
            .args(["--store", &store_url])
            .args(extra)
            .output()
            .unwrap()
    };
    let one = show(&["--path", "rules/local.yaml"]);
    assert!(one.status.success(), "{one:?}");
    assert_eq!(String::from_utf8(one.stdout).unwrap(), rules("45"));
    let all = show(&[]);
    assert!(all.status.success(), "{all:?}");
    let text = String::from_utf8(all.stdout).unwrap();
    assert!(text.contains("==> rules/local.yaml <==\n"), "{text}");
    assert!(text.contains(&rules("45")));
    assert!(text.contains("==> city/registry.yaml <==\n"));
    let unknown = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["config", "show", "--generation", "0000000000000000"])
        .args(["--store", &store_url])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no generation"));
}
