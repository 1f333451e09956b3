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
