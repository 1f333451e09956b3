//! `tocsin replay` end to end: runs the binary on a deployment and recorded readings, and checks
//! the JSON lines it prints.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report we want"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs `tocsin replay`; returns (exit code, stdout lines as JSON, stderr).
fn replay(config: &Path, input: &Path) -> (i32, Vec<Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("replay")
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), lines, stderr)
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
"#;

/// A deployment of one well with one CH4 sensor over the shipped city_gas pack.
fn deployment(dir: &Path) {
    std::fs::create_dir_all(dir.join("city")).unwrap();
    std::fs::write(dir.join("city/registry.yaml"), REGISTRY).unwrap();
}

/// One reading line at `minutes` after 2026-11-29T00:00Z.
fn line(minutes: i64, value: f64) -> String {
    let ts = 1_796_083_200_000i64 - 2 * 86_400_000 + minutes * 60_000;
    format!(r#"{{"sensor":"ch4-1","metric":"gas.ch4_adjacent","value":{value},"ts":{ts}}}"#)
}

#[test]
fn replay_prints_warnings_faults_and_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    // every 10 minutes (the metric's reporting interval); out of order in the file
    let mut lines = vec![line(10, 60.0), line(0, 3.0)];
    lines.push("{not json".to_owned());
    lines.push(String::new());
    // 60 %LEL at 10m: red at once (and 5.7 %LEL/min: the dual-control rule's yellow); back to
    // 1 %LEL from 20m, cleared 30m (clear.after) later
    for m in (20..=50).step_by(10) {
        lines.push(line(m, 1.0));
    }
    // then silent for 40m: offline after 3 missed intervals (30m), back at 90m
    lines.push(line(90, 1.0));
    lines.push(line(90, 1.0)); // duplicate
    let input = dir.path().join("readings.ndjson");
    std::fs::write(&input, lines.join("\n")).unwrap();

    let (code, out, stderr) = replay(dir.path(), &input);
    assert_eq!(code, 0, "{stderr}");
    let warnings = of_type(&out, "warning");
    let got: Vec<(&str, &str, &str)> = warnings
        .iter()
        .map(|w| {
            (
                w["from"].as_str().unwrap(),
                w["level"].as_str().unwrap(),
                w["ts"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("none", "red", "2026-11-29T00:10:00.000Z"),
            // the dual-control rule (CH4 >= 5 and rising >= 1 %LEL/min) still holds yellow ...
            ("red", "yellow", "2026-11-29T00:50:00.000Z"),
            // ... and clears on the same reading
            ("yellow", "none", "2026-11-29T00:50:00.000Z"),
        ]
    );
    let red = warnings[0];
    assert_eq!(red["asset"], "well-1");
    assert_eq!(red["hazard"], "gas_leak");
    assert_eq!(red["rule"], "gas.ch4_adjacent.ladder");
    assert_eq!(red["sensor"], "ch4-1");
    assert_eq!(red["district"], "210102");
    assert_eq!(red["department"], "shenyang.construction");
    assert_eq!(red["generation"].as_str().unwrap().len(), 16);
    assert_eq!(
        red["message"],
        "gas.ch4_adjacent 60 %LEL >= red 50 (rule gas.ch4_adjacent.ladder)"
    );
    let faults: Vec<(&str, bool, &str)> = of_type(&out, "fault")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["active"].as_bool().unwrap(),
                f["ts"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        faults,
        vec![
            ("offline", true, "2026-11-29T01:20:00.001Z"),
            ("offline", false, "2026-11-29T01:30:00.000Z"),
        ]
    );
    assert!(stderr.contains("readings.ndjson:3: skipped"), "{stderr}");
    assert!(stderr.contains("1 late or duplicate"), "{stderr}");
    assert!(stderr.contains("1 bad lines"), "{stderr}");
}

/// Runs `tocsin replay` with extra arguments; returns (exit code, stdout lines as JSON, stderr).
fn replay_with(config: &Path, input: &Path, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("replay")
        .arg("--config")
        .arg(config)
        .arg("--input")
        .arg(input)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), lines, stderr)
}

/// (levels or fault, type, ts) of every printed warning and fault change (not shadow findings).
fn summary(lines: &[Value]) -> Vec<(String, String, String)> {
    lines
        .iter()
        .filter(|l| l["type"] == "warning" || l["type"] == "fault")
        .map(|l| match l["type"].as_str().unwrap() {
            "warning" => (
                format!(
                    "{} -> {}",
                    l["from"].as_str().unwrap(),
                    l["level"].as_str().unwrap()
                ),
                "warning".to_owned(),
                l["ts"].as_str().unwrap().to_owned(),
            ),
            _ => (
                format!("{} {}", l["kind"].as_str().unwrap(), l["active"]),
                "fault".to_owned(),
                l["ts"].as_str().unwrap().to_owned(),
            ),
        })
        .collect()
}

#[test]
fn replay_until_runs_the_clock_on_so_countdowns_end_without_readings() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    // red at 0m, back to 1 %LEL at 10m, then nothing
    let input = dir.path().join("readings.ndjson");
    std::fs::write(&input, [line(0, 60.0), line(10, 1.0)].join("\n")).unwrap();
    let red = (
        "none -> red".to_owned(),
        "warning".to_owned(),
        "2026-11-29T00:00:00.000Z".to_owned(),
    );

    // without --until the replay stops at the last reading: red still stands
    let (code, out, stderr) = replay(dir.path(), &input);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary(&out), vec![red.clone()]);

    // run on to 01:00: the clear countdown from 10m ends at 40m (stamped then, not 01:00), and
    // the sensor, silent for 3 intervals of 10m, is offline just after
    let (code, out, stderr) = replay_with(dir.path(), &input, &["--until", "2026-11-29T01:00:00Z"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        summary(&out),
        vec![
            red,
            (
                "red -> none".to_owned(),
                "warning".to_owned(),
                "2026-11-29T00:40:00.000Z".to_owned()
            ),
            (
                "offline true".to_owned(),
                "fault".to_owned(),
                "2026-11-29T00:40:00.001Z".to_owned()
            ),
        ]
    );

    let (code, _, stderr) = replay_with(dir.path(), &input, &["--until", "tomorrow"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an RFC 3339 time"), "{stderr}");
}

#[test]
fn replay_of_the_minimal_example_raises_red_and_clears() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let input = root.join("smoke.ndjson");
    let (code, out, stderr) = replay(&root, &input);
    assert_eq!(code, 0, "{stderr}");
    let warnings = of_type(&out, "warning");
    assert!(warnings.iter().any(|w| w["level"] == "red"), "{out:?}");
    assert!(warnings.iter().any(|w| w["level"] == "none"), "{out:?}");
    for w in &warnings {
        for key in [
            "asset",
            "hazard",
            "from",
            "ts",
            "rule",
            "sensor",
            "generation",
            "message",
        ] {
            assert!(w[key].is_string(), "{key} missing in {w}");
        }
    }
}

#[test]
fn replay_of_the_shenyang_chains_shows_causes_and_shadow_findings() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    let input = root.join("readings.ndjson");
    let (code, out, stderr) = replay(&root, &input);
    assert_eq!(code, 0, "{stderr}");
    let warnings = of_type(&out, "warning");
    // the rainstorm -> waterlogging -> metro chain: a metro warning caused by a waterlogging one
    let caused: Vec<&&Value> = warnings.iter().filter(|w| w["causes"].is_array()).collect();
    assert!(!caused.is_empty(), "no warning with causes: {out:?}");
    for w in &caused {
        let cause = &w["causes"][0];
        for key in ["cascade", "asset", "hazard", "level"] {
            assert!(cause[key].is_string(), "{key} missing in {cause}");
        }
    }
    // the second link of the chain: a metro section's inflow warning raised by the waterlogging
    // (`flooding`) warning of its entrance, which the rainstorm raised in turn
    assert!(
        caused.iter().any(|w| w["domain"] == "metro"
            && w["rule"] == "C9_waterlogging_to_metro_inflow"
            && w["causes"][0]["hazard"] == "flooding"),
        "no metro warning caused by waterlogging: {caused:?}"
    );
    assert!(
        caused.iter().any(|w| w["domain"] == "waterlogging"
            && w["causes"][0]["cascade"] == "C8_rainstorm_to_waterlogging"),
        "no waterlogging warning caused by the rainstorm: {caused:?}"
    );
    // warnings without a cascade carry no causes field at all
    assert!(warnings.iter().any(|w| w.get("causes").is_none()));
    let shadows = of_type(&out, "shadow");
    assert!(!shadows.is_empty(), "no shadow finding: {out:?}");
    for s in &shadows {
        assert!(s["rule"].is_string() && s["level"].is_string(), "{s}");
    }
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs `tocsin replay --baseline`; returns (exit code, stdout, stderr).
fn replay_against(config: &Path, baseline: &Path, input: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("replay")
        .arg("--config")
        .arg(config)
        .arg("--baseline")
        .arg(baseline)
        .arg("--input")
        .arg(input)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A rule the edited deployment adds: CH4 rising by 2 %LEL a minute is a blue `ch4_surge`.
const EXTRA_RULE: &str = "version: 1
rules:
  - id: gas.ch4_adjacent.surge
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: ch4_surge
    rate: {window: 5m, per: 1m, direction: above, levels: {blue: 2}}
    clear: {after: 10m}
";

#[test]
fn replay_against_a_baseline_prints_added_removed_and_regraded_warnings() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let input = root.join("smoke.ndjson");
    let dir = tempfile::tempdir().unwrap();
    let edited = dir.path().join("edited");
    copy_dir(&root, &edited);
    // the well's red step moves from 50 to 70 %LEL (the smoke test peaks at 60): red -> orange;
    // the trunk main's pressure ladder loses its blue step (it only ever dipped to blue)
    let sensors = std::fs::read_to_string(edited.join("city/sensors.yaml")).unwrap();
    let sensors = sensors
        .replace(
            "  - id: gas-ch4-0001\n    asset: well-hp-017\n    metrics: [gas.ch4_adjacent]\n",
            "  - id: gas-ch4-0001\n    asset: well-hp-017\n    metrics: [gas.ch4_adjacent]\n    thresholds:\n      gas.ch4_adjacent: {levels: {blue: 5, yellow: 10, orange: 20, red: 70}}\n",
        )
        .replace(
            "  - id: ws-p-0001\n    asset: main-ws-dn600-01\n    metrics: [ws.pressure]\n",
            "  - id: ws-p-0001\n    asset: main-ws-dn600-01\n    metrics: [ws.pressure]\n    thresholds:\n      ws.pressure: {direction: below, levels: {yellow: 0.14, orange: 0.10}}\n",
        );
    assert_eq!(sensors.matches("thresholds:").count(), 3, "{sensors}");
    std::fs::write(edited.join("city/sensors.yaml"), sensors).unwrap();
    std::fs::create_dir_all(edited.join("rules")).unwrap();
    std::fs::write(edited.join("rules/extra.yaml"), EXTRA_RULE).unwrap();

    let (code, out, stderr) = replay_against(&edited, &root, &input);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    // (which rule raises the well first depends on the shipped gas pack; the raise time does not move)
    let regraded: Vec<&&str> = lines.iter().filter(|l| l.starts_with("~ ")).collect();
    assert_eq!(regraded.len(), 1, "{out}");
    assert!(
        regraded[0]
            .starts_with("~ well-hp-017 gas_leak peak red -> orange, raised 2026-11-29T00:0"),
        "{out}"
    );
    assert!(!regraded[0].contains(" -> 2026"), "{out}");
    let removed: Vec<&&str> = lines.iter().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(removed.len(), 1, "{out}");
    assert!(
        removed[0].starts_with("- main-ws-dn600-01 supply_loss blue raised 2026-11-29T00:"),
        "{out}"
    );
    assert!(removed[0].ends_with("(rule ws.pressure.low)"), "{out}");
    let added: Vec<&&str> = lines.iter().filter(|l| l.starts_with("+ ")).collect();
    assert_eq!(added.len(), 1, "{out}");
    assert!(
        added[0].starts_with("+ well-hp-017 ch4_surge blue raised 2026-11-29T00:"),
        "{out}"
    );
    assert_eq!(lines[3], "1 added, 1 removed, 1 regraded");
    assert!(stderr.contains("80 readings"), "{stderr}");

    // the same configuration on both sides changes nothing
    let (code, out, stderr) = replay_against(&root, &root, &input);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out, "0 added, 0 removed, 0 regraded\n");

    // a baseline that does not compile is reported as such
    let broken = dir.path().join("broken");
    copy_dir(&root, &broken);
    std::fs::write(
        broken.join("city/extra.yaml"),
        "version: 1\nassets: [{id: x}]\n",
    )
    .unwrap();
    let (code, out, stderr) = replay_against(&root, &broken, &input);
    assert_eq!(code, 1, "{stderr}");
    assert!(out.is_empty(), "{out}");
    assert!(
        stderr.contains("replay: baseline configuration has"),
        "{stderr}"
    );
}

#[test]
fn replay_prints_script_faults_with_their_reading() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path());
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/local.yaml"),
        "version: 1\nrules:\n  - id: local.spike\n    domain: city_gas\n    metric: \
         gas.ch4_adjacent\n    hazard: gas_leak\n    script: {file: spike.rhai}\n",
    )
    .unwrap();
    // a computed duration: `validate` cannot see it, the runtime refuses it
    std::fs::write(
        dir.path().join("rules/spike.rhai"),
        "let span = \"20\" + \" min\";\nlet w = window(\"gas.ch4_adjacent\", span);\n()\n",
    )
    .unwrap();
    let input = dir.path().join("readings.ndjson");
    std::fs::write(&input, format!("{}\n{}\n", line(0, 3.0), line(10, 4.0))).unwrap();
    let (code, lines, stderr) = replay(dir.path(), &input);
    assert_eq!(code, 0, "{stderr}");
    let faults = of_type(&lines, "script_fault");
    assert_eq!(faults.len(), 2, "{lines:?}");
    let first = faults[0];
    assert_eq!(first["rule"], "local.spike");
    assert_eq!(first["file"], "rules/spike.rhai");
    assert_eq!(first["line"], 2);
    assert_eq!(first["sensor"], "ch4-1");
    assert_eq!(first["metric"], "gas.ch4_adjacent");
    assert_eq!(first["value"], 3.0);
    assert!(
        first["ts"].as_str().unwrap().starts_with("2026-11-2"),
        "{first}"
    );
    assert!(
        first["message"].as_str().unwrap().contains("20 min"),
        "{first}"
    );
    assert!(stderr.contains("2 script faults"), "{stderr}");
}
