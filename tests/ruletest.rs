//! Rule test cases (`*.test.yaml`) through `tocsin::ruletest` and the `tocsin test` binary:
//! every shipped case passes on the minimal example; a failing case says what it expected and
//! what happened; a malformed file or case is reported at its position; and each kind of
//! expectation (warning level, `cleared_by`, `caused_by`, shadow, alarm, fault) and the registry
//! fragment is shown both to pass and to fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tocsin::model::SourceFile;
use tocsin::ruletest::{self, Outcome, Report};

/// The city of most cases: one well beside a gas main with one CH4 sensor, over the shipped
/// city_gas pack (`gas.ch4_adjacent.ladder`: 5 / 10 / 20 / 50 %LEL, orange and red at once,
/// cleared 30m after falling back; the metric reports every 10m and is offline after 30m).
const REGISTRY: &str = r#"    registry:
      districts: [{code: "210102", name: 和平区}]
      assets:
        - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102",
           owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
      sensors:
        - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
"#;

/// 3 %LEL, then 60 (red at once) at 10m, back to 1 from 20m to 50m, then silence.
const READINGS: &str = r#"    readings:
      - {at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, value: 3}
      - {at: 10m, sensor: ch4-1, metric: gas.ch4_adjacent, values: [60, 1, 1, 1, 1], every: 10m}
"#;

/// A case on [`REGISTRY`] and [`READINGS`] with one expectation.
fn case(name: &str, expectation: &str) -> String {
    format!("  - name: {name}\n{REGISTRY}{READINGS}    expect:\n      - {expectation}\n")
}

/// A test file of `cases`.
fn file(cases: &[String]) -> String {
    format!("version: 1\ncases:\n{}", cases.concat())
}

/// Runs one test file (shown as `rules/t.test.yaml`) on `deployment` (or the shipped packs).
fn run_text(deployment: Option<&Path>, text: &str) -> Report {
    ruletest::run_files(
        deployment,
        &[SourceFile {
            path: "rules/t.test.yaml".to_owned(),
            text: text.to_owned(),
        }],
    )
}

fn minimal() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/minimal")
}

/// Runs `tocsin test --config dir`; returns (exit code, stdout).
fn tocsin_test(dir: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("test")
        .arg("--config")
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), format!("{stdout}{stderr}"))
}

#[test]
fn every_shipped_case_passes_on_the_minimal_example() {
    let report = ruletest::run(&minimal());
    assert!(report.passed() > 0, "no shipped cases ran:\n{report}");
    assert_eq!(report.failed(), 0, "\n{report}");
    let text = report.to_string();
    assert!(
        text.lines()
            .all(|l| l.starts_with("ok   ") || l.ends_with(" failed"))
    );
    assert_eq!(
        text.lines().last().unwrap(),
        format!("{} passed, 0 failed", report.passed())
    );
}

#[test]
fn a_failing_case_prints_expected_and_actual_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/gas")).unwrap();
    let text = file(&[
        case(
            "red at once",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red}",
        ),
        case(
            "cleared by 40m, too early",
            "{cleared_by: 40m, asset: well-1, hazard: gas_leak}",
        ),
    ]);
    std::fs::write(dir.path().join("rules/gas/well.test.yaml"), &text).unwrap();

    let (code, out) = tocsin_test(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ok   rules/gas/well.test.yaml :: red at once\n"),
        "{out}"
    );
    // the second case starts on line 16 at its `name`; its expectation's first key is at 28:10
    let failure = "FAIL rules/gas/well.test.yaml:16:5 :: cleared by 40m, too early
  rules/gas/well.test.yaml:28:10: by 40m
    expected: well-1 gas_leak raised, then cleared
    actual:   well-1 gas_leak still red since 10m (raised at 10m, rule gas.ch4_adjacent.ladder, sensor ch4-1)
";
    assert!(out.contains(failure), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.ends_with(" passed, 1 failed"), "{out}");

    let report = run_text(Some(dir.path()), &text);
    assert_eq!((report.passed(), report.failed()), (1, 1), "{report}");
}

#[test]
fn the_minimal_example_passes_through_the_binary() {
    let (code, out) = tocsin_test(&minimal());
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
}

#[test]
fn a_malformed_file_is_one_failure_at_its_position() {
    let text = "version: 1\ncases:\n  - name: a\n    expct: []\n";
    let report = run_text(None, text);
    assert_eq!((report.passed(), report.failed()), (0, 1));
    let out = report.to_string();
    assert!(
        out.starts_with("FAIL rules/t.test.yaml:4:5 :: (test file)\n  rules/t.test.yaml:4:5: error[unknown_key]: unknown key `expct` in `cases[0]`\n"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");

    let report = run_text(None, "cases: []\n");
    let out = report.to_string();
    assert!(out.contains("error[bad_version]"), "{out}");
    let report = run_text(None, "version: 1\ncases:\n  - {name: a\n");
    assert!(
        report.to_string().contains("error[malformed_yaml]"),
        "{report}"
    );
}

#[test]
fn a_malformed_case_fails_alone_at_its_keys() {
    let text = file(&[
        case(
            "fine",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red}",
        ),
        case(
            "bad offset",
            "{at: 10 minutes, asset: well-1, hazard: gas_leak, level: red}",
        ),
        case(
            "two kinds",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red, alarm: {rule: r, sensor: s, level: red}}",
        ),
        case(
            "cleared with a level",
            "{cleared_by: 10m, asset: well-1, hazard: gas_leak, level: red}",
        ),
        case("no level", "{at: 10m, asset: well-1, hazard: gas_leak}"),
    ]);
    let report = run_text(None, &text);
    let out = report.to_string();
    assert_eq!((report.passed(), report.failed()), (1, 4), "{out}");
    for expected in [
        "FAIL rules/t.test.yaml:16:5 :: bad offset\n  rules/t.test.yaml:28:14: error[bad_duration]: cannot read \"10 minutes\" as a time offset",
        "FAIL rules/t.test.yaml:29:5 :: two kinds\n  rules/t.test.yaml:41:10: error[bad_value]: the expectation mixes kinds",
        "FAIL rules/t.test.yaml:42:5 :: cleared with a level\n  rules/t.test.yaml:54:60: error[bad_value]: `cleared_by` takes only `asset` and `hazard`, not `level`",
        "FAIL rules/t.test.yaml:55:5 :: no level\n  rules/t.test.yaml:67:10: error[missing_key]: missing key `level` in a warning expectation",
    ] {
        assert!(out.contains(expected), "{expected}\n---\n{out}");
    }
}

/// Each expectation kind passes when it holds and fails, with expected and actual, when not.
#[test]
fn every_kind_of_expectation_passes_and_fails() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "level",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red}",
            None,
        ),
        (
            "level none before",
            "{at: 9m, asset: well-1, hazard: gas_leak, level: none}",
            None,
        ),
        (
            "level wrong",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: orange}",
            Some(
                "actual:   well-1 gas_leak level red since 10m (rule gas.ch4_adjacent.ladder, sensor ch4-1)",
            ),
        ),
        (
            "level of an unknown asset",
            "{at: 10m, asset: well-2, hazard: gas_leak, level: red}",
            Some(
                "rules/t.test.yaml:54:10: error[unknown_asset]: unknown asset `well-2`\n    = hint: did you mean `well-1`?",
            ),
        ),
        (
            // it would pass by checking nothing: an expectation naming an unknown thing is an error
            "no level of an unknown asset",
            "{at: 10m, asset: well-2, hazard: gas_leak, level: none}",
            Some("error[unknown_asset]: unknown asset `well-2`"),
        ),
        (
            "alarm of an unknown rule on an unknown sensor",
            "{at: 10m, alarm: {rule: gas.ch4_adjacent.ladd, sensor: ch4-2, level: none}}",
            Some(
                "error[unknown_rule]: unknown rule `gas.ch4_adjacent.ladd`\n    = hint: did you mean `gas.ch4_adjacent.ladder`?",
            ),
        ),
        (
            "level of a misspelt hazard",
            "{at: 10m, asset: well-1, hazard: gas_leek, level: red}",
            Some(
                "error[unknown_hazard]: no rule or cascade raises hazard `gas_leek`\n    = hint: did you mean `gas_leak`?",
            ),
        ),
        (
            "cleared",
            "{cleared_by: 50m, asset: well-1, hazard: gas_leak}",
            None,
        ),
        (
            "cleared but never raised",
            "{cleared_by: 50m, asset: well-1, hazard: pipe_rupture}",
            Some("actual:   well-1 pipe_rupture never raised"),
        ),
        (
            "alarm",
            "{at: 10m, alarm: {rule: gas.ch4_adjacent.ladder, sensor: ch4-1, level: red}}",
            None,
        ),
        (
            "alarm wrong",
            "{at: 50m, alarm: {rule: gas.ch4_adjacent.ladder, sensor: ch4-1, level: red}}",
            Some("actual:   alarm of gas.ch4_adjacent.ladder on ch4-1 level none since 50m"),
        ),
        (
            "fault offline",
            "{at: 90m, fault: {sensor: ch4-1, metric: gas.ch4_adjacent, kind: offline, active: true}}",
            None,
        ),
        (
            "fault offline too early",
            "{at: 80m, fault: {sensor: ch4-1, metric: gas.ch4_adjacent, kind: offline}}",
            Some("actual:   offline fault of ch4-1 gas.ch4_adjacent inactive (never raised)"),
        ),
        (
            "no shadow finding of a live rule",
            "{at: 10m, shadow: {rule: gas.ch4_adjacent.ladder, sensor: ch4-1, level: none}}",
            None,
        ),
        (
            "shadow expected of a live rule",
            "{at: 10m, shadow: {rule: gas.ch4_adjacent.ladder, sensor: ch4-1, level: red}}",
            Some("actual:   shadow rule gas.ch4_adjacent.ladder on ch4-1 level none (no finding)"),
        ),
        (
            "raised by its own sensor",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red, caused_by: []}",
            None,
        ),
        (
            "cause expected but none",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red, caused_by: [{cascade: C1, asset: well-1, hazard: pipe_rupture}]}",
            Some(
                "expected: well-1 gas_leak level red, caused by C1 from well-1 pipe_rupture\n    actual:   well-1 gas_leak level red since 10m (rule gas.ch4_adjacent.ladder, sensor ch4-1), caused by nothing",
            ),
        ),
    ];
    let text = file(
        &cases
            .iter()
            .map(|(name, expectation, _)| case(name, expectation))
            .collect::<Vec<_>>(),
    );
    let report = run_text(None, &text);
    let out = report.to_string();
    for ((name, _, failure), got) in cases.iter().zip(&report.cases) {
        assert_eq!(got.name, *name);
        match failure {
            None => assert!(got.passed(), "{name} should pass\n{out}"),
            Some(actual) => {
                assert!(!got.passed(), "{name} should fail\n{out}");
                let block = out
                    .split("FAIL ")
                    .find(|b| b.contains(&format!(":: {name}\n")))
                    .unwrap();
                assert!(block.contains(actual), "{name}: {actual}\n---\n{out}");
            }
        }
    }
}

#[test]
fn an_out_of_range_value_is_a_fault_not_a_warning() {
    let readings = "      - {at: 0m, sensor: ch4-1, metric: gas.ch4_adjacent, value: 150}\n";
    let text = format!(
        "version: 1\ncases:\n  - name: out of range\n{REGISTRY}    readings:\n{readings}    expect:\n      - {{at: 0m, fault: {{sensor: ch4-1, metric: gas.ch4_adjacent, kind: out_of_range}}}}\n      - {{at: 0m, asset: well-1, hazard: gas_leak, level: none}}\n"
    );
    let report = run_text(None, &text);
    assert_eq!(report.failed(), 0, "{report}");
}

#[test]
fn readings_of_unknown_sensors_fail_the_case() {
    let text = format!(
        "version: 1\ncases:\n  - name: typo\n{REGISTRY}    readings:\n      - {{at: 0m, sensor: ch4-9, metric: gas.ch4_adjacent, value: 3}}\n    expect:\n      - {{at: 0m, asset: well-1, hazard: gas_leak, level: none}}\n"
    );
    let report = run_text(None, &text);
    let out = report.to_string();
    assert_eq!(report.failed(), 1, "{out}");
    assert!(
        out.contains("actual:   no sensor `ch4-9` in this configuration"),
        "{out}"
    );
}

#[test]
fn a_registry_fragment_that_does_not_compile_is_reported_in_the_test_file() {
    let bad = REGISTRY.replace("district: \"210102\"", "district: \"999999\"");
    let text = format!(
        "version: 1\ncases:\n  - name: bad district\n{bad}{READINGS}    expect:\n      - {{at: 10m, asset: well-1, hazard: gas_leak, level: red}}\n  - name: also bad\n{bad}{READINGS}    expect:\n      - {{at: 10m, asset: well-1, hazard: gas_leak, level: red}}\n"
    );
    let report = run_text(None, &text);
    assert_eq!(report.failed(), 2, "{report}");
    let Outcome::NotCompiled(diagnostics) = &report.cases[0].outcome else {
        panic!("{report}");
    };
    // the asset's `district` is on line 7, column 60 of the test file
    let d = diagnostics
        .iter()
        .find(|d| d.file == "rules/t.test.yaml")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!((d.line, d.code.as_str()), (7, "unknown_district"), "{d}");
    let line = text.lines().nth(6).unwrap();
    assert_eq!(
        line[..line.find("\"999999\"").unwrap()].chars().count() + 1,
        d.column,
        "{d}"
    );
    assert!(
        report
            .to_string()
            .contains("the configuration does not compile:")
    );
}

#[test]
fn cases_without_a_registry_run_on_the_deployment_city() {
    // examples/minimal: well-hp-017 with gas-ch4-0001
    let text = "version: 1
cases:
  - name: the deployment's own well
    start: 2026-11-29T08:00:00+08:00
    readings:
      - {at: 0s, sensor: gas-ch4-0001, metric: gas.ch4_adjacent, value: 25}
    expect:
      - {at: 0s, asset: well-hp-017, hazard: gas_leak, level: orange}
  - name: and again, on the same compiled configuration
    readings:
      - {at: 500ms, sensor: gas-ch4-0001, metric: gas.ch4_adjacent, value: 55}
    expect:
      - {at: 1s, asset: well-hp-017, hazard: gas_leak, level: red}
";
    let report = run_text(Some(&minimal()), text);
    assert_eq!(report.failed(), 0, "{report}");
}

/// A deployment rule file: a shadow ladder on the well's CH4, and a cascade from a gas leak at
/// orange or above to the gas-leak likelihood of the spaces `adjacent_to` it.
const DEPLOYMENT_RULES: &str = "version: 1
rules:
  - id: test.ch4.shadow
    domain: city_gas
    metric: gas.ch4_adjacent
    hazard: gas_leak
    objects: [adjacent_space]
    threshold: {levels: {blue: 2, yellow: 4, orange: 8, red: 30}}
    shadow: true
cascades:
  - id: T1_leak_to_next_space
    from: {hazard: gas_leak, domain: city_gas, kinds: [adjacent_space], min_level: orange}
    through: [adjacent_to]
    hops: 1
    to: {hazard: gas_leak, domain: city_gas, kinds: [adjacent_space]}
    raise_likelihood: 2
";

/// [`REGISTRY`] with a second well beside the first (no sensor of its own).
fn coupled_registry() -> String {
    REGISTRY.replace(
        "      sensors:\n",
        "        - {id: well-2, name: Well 2, domain: city_gas, kind: adjacent_space, district: \"210102\",
           owner: shenyang.construction, location: {lon: 123.4201, lat: 41.79}}
      edges:
        - {from: well-1, relation: adjacent_to, to: well-2}
      sensors:\n",
    )
}

#[test]
fn cause_chains_and_shadow_findings_pass_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/extra.yaml"), DEPLOYMENT_RULES).unwrap();
    let registry = coupled_registry();
    let coupled = |name: &str, expectation: &str| {
        format!("  - name: {name}\n{registry}{READINGS}    expect:\n      - {expectation}\n")
    };
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "the next space is raised by the cascade",
            "{at: 10m, asset: well-2, hazard: gas_leak, level: yellow, caused_by: [{cascade: T1_leak_to_next_space, asset: well-1, hazard: gas_leak}]}",
            None,
        ),
        (
            "the next space is not raised before",
            "{at: 9m, asset: well-2, hazard: gas_leak, level: none}",
            None,
        ),
        (
            "a cause of another cascade",
            "{at: 10m, asset: well-2, hazard: gas_leak, level: yellow, caused_by: [{cascade: C1_gas_leak_to_adjacent_space, asset: well-1, hazard: gas_leak}]}",
            Some(
                "expected: well-2 gas_leak level yellow, caused by C1_gas_leak_to_adjacent_space from well-1 gas_leak",
            ),
        ),
        (
            "the shadow ladder would have raised red",
            "{at: 10m, shadow: {rule: test.ch4.shadow, sensor: ch4-1, level: red}}",
            None,
        ),
        (
            "the shadow ladder raises no alarm",
            "{at: 10m, alarm: {rule: test.ch4.shadow, sensor: ch4-1, level: none}}",
            None,
        ),
        (
            "the shadow ladder at the wrong level",
            "{at: 10m, shadow: {rule: test.ch4.shadow, sensor: ch4-1, level: orange}}",
            Some("actual:   shadow rule test.ch4.shadow on ch4-1 level red since 10m"),
        ),
    ];
    let text = file(
        &cases
            .iter()
            .map(|(name, expectation, _)| coupled(name, expectation))
            .collect::<Vec<_>>(),
    );
    let report = run_text(Some(dir.path()), &text);
    let out = report.to_string();
    assert_eq!(report.cases.len(), cases.len(), "{out}");
    for ((name, _, failure), got) in cases.iter().zip(&report.cases) {
        match failure {
            None => assert!(got.passed(), "{name} should pass\n{out}"),
            Some(text) => {
                assert!(!got.passed(), "{name} should fail\n{out}");
                assert!(out.contains(text), "{name}: {text}\n---\n{out}");
            }
        }
    }
    // the actual cause is named in the failure
    assert!(
        out.contains("caused by T1_leak_to_next_space from well-1 gas_leak"),
        "{out}"
    );
}

#[test]
fn only_deployment_runs_the_deployments_own_cases() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/mine.test.yaml"),
        file(&[case(
            "mine",
            "{at: 10m, asset: well-1, hazard: gas_leak, level: red}",
        )]),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["test", "--only", "deployment", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout,
        "ok   rules/mine.test.yaml :: mine\n1 passed, 0 failed\n"
    );
    // without `--only`, the shipped packs' cases run too
    let (code, all) = tocsin_test(dir.path());
    assert_eq!(code, 0, "{all}");
    assert!(all.contains("<builtin>/rules/city_gas.test.yaml"), "{all}");
    assert!(all.ends_with("35 passed, 0 failed\n"), "{all}");
}

#[test]
fn a_script_fault_fails_the_case_and_names_the_reading() {
    // the duration is computed, so `validate` cannot see it; the runtime refuses it
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/local.yaml"),
        "version: 1\nrules:\n  - id: local.spike\n    domain: city_gas\n    metric: \
         gas.ch4_adjacent\n    hazard: gas_leak\n    script: {file: spike.rhai}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/spike.rhai"),
        "let span = \"20\" + \" min\";\nlet w = window(\"gas.ch4_adjacent\", span);\n\
         if w.count() > 2 { \"yellow\" } else { () }\n",
    )
    .unwrap();
    let text = file(&[case(
        "spike",
        "{at: 10m, asset: well-1, hazard: gas_leak, level: red}",
    )]);
    let report = run_text(Some(dir.path()), &text);
    let out = report.to_string();
    assert_eq!(report.failed(), 1, "{out}");
    // once per rule, position and message, although every reading faults
    assert_eq!(out.matches("script fault").count(), 1, "{out}");
    assert!(
        out.contains("expected: rule local.spike runs its script without a fault"),
        "{out}"
    );
    assert!(out.contains("script fault rules/spike.rhai:2:"), "{out}");
    assert!(
        out.contains("on the reading of ch4-1 gas.ch4_adjacent at 0s = 3: "),
        "{out}"
    );
}
