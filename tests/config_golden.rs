//! Golden tests for `tocsin validate`: every folder under `tests/golden/config/<case>/` holds a
//! deployment directory (`deployment/`) and `expected.txt`, the exact output. The cases are
//! discovered by reading the directory, so adding a case is adding a folder. Run with
//! `UPDATE_GOLDEN=1` to rewrite the expected files (then review the diff).
//! Also checks that the shipped packs and `examples/minimal` validate cleanly, and that every
//! diagnostic code has its documentation page.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on a missing fixture"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tocsin::config::Code;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `tocsin validate --config DIR` with no settings from the environment.
fn validate(dir: &Path) -> (String, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("validate")
        .arg("--config")
        .arg(dir)
        .env_remove("TOCSIN_LISTEN")
        .env_remove("TOCSIN_STORE")
        .output()
        .unwrap();
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code(),
    )
}

#[test]
fn bad_configurations_match_their_golden_output() {
    let cases_dir = root().join("tests/golden/config");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "only {} golden cases", cases.len());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (output, code) = validate(&case.join("deployment"));
        assert_eq!(
            code,
            Some(1),
            "case {name} should fail validation:\n{output}"
        );
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &output).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if output != expected {
            failures.push(format!(
                "case {name}:\n--- expected\n{expected}--- actual\n{output}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_golden_case_shows_its_code() {
    // Together the cases must show every diagnostic code at least once.
    let cases_dir = root().join("tests/golden/config");
    let mut all = String::new();
    for entry in std::fs::read_dir(&cases_dir).unwrap() {
        let path = entry.unwrap().path().join("expected.txt");
        all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
    for code in Code::ALL {
        assert!(
            all.contains(&format!("error[{}]", code.as_str())),
            "no golden case shows error[{}]",
            code.as_str()
        );
    }
}

#[test]
fn shipped_packs_compile_alone() {
    let generation = tocsin::compile::load(None).unwrap();
    let summary = generation.summary();
    assert_eq!(summary.domains, 8);
    assert_eq!(summary.rules, 32);
    assert_eq!(summary.sensors, 0);
    assert!(
        generation
            .sources
            .iter()
            .all(|s| s.path.starts_with("<builtin>/"))
    );
    assert!(generation.domain("city_gas").is_some());
    assert!(generation.department("shenyang.construction").is_some());
}

#[test]
fn minimal_example_validates_cleanly() {
    let (output, code) = validate(&root().join("examples/minimal"));
    assert_eq!(code, Some(0), "{output}");
    assert!(output.starts_with("ok: generation "), "{output}");
    assert!(
        output.ends_with(
            ": 8 domains, 28 metrics, 32 rules, 2 districts, 19 departments, 6 assets, 10 sensors\n"
        ),
        "{output}"
    );
    assert_eq!(output.lines().count(), 1);
}

#[test]
fn minimal_example_compiles_to_the_model() {
    use tocsin::model::{Direction, Level, Persistence, RuleKind};
    let generation = tocsin::compile::load(Some(&root().join("examples/minimal"))).unwrap();
    // Sensor defaults from its asset; CSV and YAML sensors alike.
    let sensor = generation.sensor("gas-ch4-0001").unwrap();
    assert_eq!(sensor.domain.as_str(), "city_gas");
    assert_eq!(sensor.kind, "adjacent_space");
    assert_eq!(sensor.district.as_str(), "210102");
    assert_eq!(sensor.department.as_str(), "shenyang.gas_company");
    assert_eq!(
        (sensor.location.lon, sensor.location.lat),
        (123.3905, 41.7862)
    );
    let csv = generation.sensor("dr-ch4-0001").unwrap();
    let ladder = csv.overrides.values().next().unwrap();
    assert_eq!(ladder.thresholds, [Some(4.0), Some(8.0), None, Some(40.0)]);
    let below = generation
        .sensor("ws-p-0002")
        .unwrap()
        .overrides
        .values()
        .next()
        .unwrap();
    assert_eq!(below.direction, Direction::Below);
    // Per-level persistence and the metric default ladder.
    let rule = generation.rule("gas.ch4_adjacent.ladder").unwrap();
    match &rule.kind {
        RuleKind::Threshold {
            ladder,
            persistence,
        } => {
            assert_eq!(*ladder, None);
            assert_eq!(
                persistence[Level::Blue.index()],
                Persistence::For(std::time::Duration::from_secs(600))
            );
            assert_eq!(
                persistence[Level::Yellow.index()],
                Persistence::For(std::time::Duration::from_secs(300))
            );
            assert_eq!(persistence[Level::Red.index()], Persistence::Immediate);
        }
        other => panic!("unexpected kind {other:?}"),
    }
    assert_eq!(rule.clear.margin, 2.0);
    assert_eq!(rule.clear.after, std::time::Duration::from_secs(1800));
    let count = generation.rule("wl.depth.ladder").unwrap();
    assert!(matches!(
        count.kind,
        RuleKind::Threshold {
            persistence: [Persistence::Count { n: 2, m: 3 }, ..],
            ..
        }
    ));
    // Rate and dual control map onto RateSpec / Combine.
    let secs = std::time::Duration::from_secs;
    match &generation.rule("gas.pressure.drop").unwrap().kind {
        RuleKind::Rate(rate) => {
            assert_eq!((rate.window, rate.per), (secs(300), secs(300)));
            assert_eq!(rate.ladder.direction, Direction::Below);
            assert_eq!(
                rate.ladder.thresholds,
                [None, Some(-0.02), Some(-0.03), None]
            );
        }
        other => panic!("unexpected kind {other:?}"),
    }
    match &generation.rule("br.settlement.dual").unwrap().kind {
        RuleKind::DualControl {
            cumulative,
            rate,
            combine,
        } => {
            assert_eq!(*combine, tocsin::model::Combine::All);
            assert_eq!(
                cumulative.unwrap().thresholds,
                [None, Some(15.0), Some(20.0), Some(30.0)]
            );
            assert_eq!((rate.window, rate.per), (secs(2 * 86_400), secs(86_400)));
            assert_eq!(
                rate.ladder.thresholds,
                [None, Some(1.0), Some(2.0), Some(3.0)]
            );
        }
        other => panic!("unexpected kind {other:?}"),
    }
    match &generation.rule("br.crack_width.growth").unwrap().kind {
        RuleKind::DualControl {
            cumulative,
            combine,
            ..
        } => {
            assert_eq!(*combine, tocsin::model::Combine::Any);
            assert_eq!(*cumulative, None);
        }
        other => panic!("unexpected kind {other:?}"),
    }
    // A `below` ladder with one `for` for every level; a metric with its defaults.
    match &generation.rule("ws.pressure.low").unwrap().kind {
        RuleKind::Threshold {
            ladder,
            persistence,
        } => {
            let ladder = ladder.unwrap();
            assert_eq!(ladder.direction, Direction::Below);
            assert_eq!(
                ladder.thresholds,
                [Some(0.20), Some(0.14), Some(0.10), None]
            );
            assert_eq!(*persistence, [Persistence::For(secs(600)); 4]);
        }
        other => panic!("unexpected kind {other:?}"),
    }
    let metric = generation.metric("gas.co_user").unwrap();
    assert_eq!(metric.offline_after_intervals, 3);
    assert_eq!(metric.reporting_interval, secs(60));
    assert_eq!(metric.valid_range, (0.0, 1000.0));
    assert_eq!(metric.unit, "ppm");
    let domain = generation.domain("bridges").unwrap();
    assert_eq!(domain.lead_department.as_str(), "shenyang.urban_management");
    assert!(domain.issuing_authority[Level::Red.index()].starts_with("市人民政府"));
    // Sources: builtin paths and deployment-relative paths.
    let paths: Vec<&str> = generation.sources.iter().map(|s| s.path.as_str()).collect();
    assert!(paths.contains(&"<builtin>/domains/city_gas.yaml"));
    assert!(paths.contains(&"city/sensors.csv"));
}

#[test]
fn deployment_replaces_shipped_items_by_id() {
    use tocsin::model::RuleKind;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/gas.yaml"),
        "version: 1\nrules:\n  - id: gas.ch4_adjacent.ladder\n    domain: city_gas\n    \
         metric: gas.ch4_adjacent\n    hazard: gas_leak\n    threshold:\n      levels: {red: 30}\n",
    )
    .unwrap();
    let generation = tocsin::compile::load(Some(dir.path())).unwrap();
    assert_eq!(generation.summary().rules, 32);
    let rule = generation.rule("gas.ch4_adjacent.ladder").unwrap();
    match &rule.kind {
        RuleKind::Threshold { ladder, .. } => {
            assert_eq!(ladder.unwrap().thresholds, [None, None, None, Some(30.0)]);
        }
        other => panic!("unexpected kind {other:?}"),
    }
    assert!(rule.objects.is_empty());
}

#[test]
fn every_code_has_a_documentation_page() {
    for code in Code::ALL {
        let page = root().join(format!("docs/errors/{}.md", code.as_str()));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("missing {}", page.display()));
        assert!(
            text.starts_with(&format!("# `{}`", code.as_str())),
            "{}",
            page.display()
        );
    }
}
