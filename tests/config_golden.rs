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
fn warnings_are_printed_and_the_configuration_still_loads() {
    // `tests/golden/warnings/<case>/`: a deployment whose only diagnostics are warnings. The
    // output is the expected warnings, then the `ok:` summary (its generation id is a hash of
    // every file, so only its start is compared), and the exit status is 0.
    let cases_dir = root().join("tests/golden/warnings");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for case in &cases {
        let (output, code) = validate(&case.join("deployment"));
        assert_eq!(code, Some(0), "{}:\n{output}", case.display());
        let (warnings, summary) = output
            .trim_end()
            .rsplit_once('\n')
            .unwrap_or_else(|| panic!("no warnings in {output}"));
        assert!(summary.starts_with("ok: generation "), "{output}");
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, format!("{warnings}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(format!("{warnings}\n"), expected, "{}", case.display());
        assert!(warnings.contains("warning["), "{output}");
        assert!(!warnings.contains("error["), "{output}");
    }
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
    // Warnings are shown by `tests/golden/warnings/`.
    for entry in std::fs::read_dir(root().join("tests/golden/warnings")).unwrap() {
        let path = entry.unwrap().path().join("expected.txt");
        all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
    // Contacts and roster codes are shown by `tests/contacts.rs`'s golden cases.
    for entry in std::fs::read_dir(root().join("tests/golden/contacts")).unwrap() {
        let path = entry.unwrap().path().join("expected.txt");
        all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
    // A FIFO cannot be committed, nor is a 4 MiB fixture worth it: these two are shown by the
    // loader's own tests (`src/config/sources.rs`).
    let shown_elsewhere = [Code::NotRegularFile, Code::FileTooLarge];
    for code in Code::ALL
        .iter()
        .filter(|code| !shown_elsewhere.contains(code))
    {
        assert!(
            all.contains(&format!("error[{}]", code.as_str()))
                || all.contains(&format!("warning[{}]", code.as_str())),
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
fn the_standard_workflow_is_the_default_of_every_shipped_domain() {
    use std::time::Duration;
    use tocsin::model::{Level, NotifyOn, Recipient, Role};
    let generation = tocsin::compile::load(None).unwrap();
    assert_eq!(generation.workflows.len(), 1);
    let standard = generation.workflow("standard").unwrap();
    assert!(standard.domains.is_empty(), "the default lists no domains");
    for domain in &generation.domains {
        let workflow = generation.workflow_for(domain.id.as_str()).unwrap();
        assert_eq!(workflow.id.as_str(), "standard", "{}", domain.id);
    }
    // The closed loop of DOMAINS.md 2.5, initial stage first.
    let stages: Vec<&str> = standard.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        stages,
        [
            "detected",
            "issued",
            "acknowledged",
            "on_site",
            "controlled",
            "resolved",
            "closed",
            "dismissed"
        ]
    );
    assert_eq!(standard.initial.as_str(), "detected");
    let terminal: Vec<&str> = standard
        .stages
        .iter()
        .filter(|s| s.terminal)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(terminal, ["closed", "dismissed"]);
    // Its time limits per level (blue, yellow, orange, red).
    let minutes = |m: u64| Some(Duration::from_secs(60 * m));
    let limits = |stage: &str| standard.stage(stage).unwrap().deadline;
    assert_eq!(
        limits("detected"),
        [minutes(120), minutes(30), minutes(10), minutes(5)]
    );
    assert_eq!(
        limits("issued"),
        [minutes(240), minutes(30), minutes(10), minutes(5)]
    );
    assert_eq!(
        limits("acknowledged"),
        [minutes(1440), minutes(120), minutes(30), minutes(15)]
    );
    assert_eq!(
        limits("on_site"),
        [minutes(1440), minutes(240), minutes(60), minutes(30)]
    );
    assert_eq!(
        limits("controlled"),
        [
            minutes(7 * 1440),
            minutes(72 * 60),
            minutes(1440),
            minutes(240)
        ]
    );
    // Escalation at 1x / 2x / 3x, the last one a supervision item to the city duty office.
    let ladder = &standard.stage("issued").unwrap().escalation;
    let afters: Vec<f64> = ladder.iter().map(|r| r.after).collect();
    assert_eq!(afters, [1.0, 2.0, 3.0]);
    assert_eq!(ladder[0].recipients, [Recipient::Issued]);
    assert_eq!(
        ladder[1].recipients,
        [
            Recipient::DepartmentDutyLeader,
            Recipient::DistrictGovernment
        ]
    );
    assert_eq!(ladder[2].recipients, [Recipient::CityDutyOffice]);
    assert!(ladder[2].supervision && !ladder[1].supervision);
    assert_eq!(standard.city_duty_office.as_str(), "shenyang.duty_office");
    assert!(generation.department("shenyang.duty_office").is_some());
    // Issuing authority per level (DOMAINS.md 2.2).
    let government = [Recipient::Department("shenyang.government".into())];
    assert_eq!(standard.issuing_authority[Level::Red.index()], government);
    assert_eq!(
        standard.issuing_authority[Level::Orange.index()],
        government
    );
    assert_eq!(
        standard.issuing_authority[Level::Yellow.index()],
        [Recipient::LeadDepartment]
    );
    // Who may do what; what closing and resolving require.
    let close = standard.transition("close").unwrap();
    assert_eq!(close.roles, [Role::DutyOfficer]);
    assert_eq!(close.requires, [tocsin::model::Field::Note]);
    let resolve = standard.transition("resolve").unwrap();
    assert_eq!(resolve.requires.len(), 2);
    assert!(resolve.roles.contains(&Role::DepartmentUser));
    assert!(resolve.roles.contains(&Role::DistrictUser));
    assert_eq!(standard.transition("feedback").unwrap().to, None);
    let dismiss = standard.transition("dismiss").unwrap();
    assert_eq!(dismiss.to.as_ref().unwrap().as_str(), "dismissed");
    // The automatic transitions of the closed loop.
    let auto = &standard.auto;
    assert_eq!(
        auto.on_cleared
            .as_ref()
            .unwrap()
            .to
            .as_ref()
            .unwrap()
            .as_str(),
        "resolved"
    );
    assert_eq!(
        auto.on_recurrence
            .as_ref()
            .unwrap()
            .to
            .as_ref()
            .unwrap()
            .as_str(),
        "issued"
    );
    assert_eq!(
        auto.on_raised
            .as_ref()
            .unwrap()
            .to
            .as_ref()
            .unwrap()
            .as_str(),
        "issued"
    );
    assert!(
        standard
            .notify
            .iter()
            .any(|plan| plan.on == NotifyOn::Raised)
    );
}

/// Writes `files` (path, text) under a fresh deployment directory.
fn deployment_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

#[test]
fn a_deployment_replaces_or_adds_workflows() {
    let shipped = std::fs::read_to_string(root().join("workflows/standard.yaml")).unwrap();
    // Replaced by id: the deployment's `standard` with a slower triage is the default.
    let slower = shipped.replace(
        "deadline: {red: 5m, orange: 10m, yellow: 30m, blue: 2h}",
        "deadline: {red: 15m, orange: 30m, yellow: 1h, blue: 4h}",
    );
    assert_ne!(slower, shipped);
    let dir = deployment_with(&[("workflows/standard.yaml", &slower)]);
    let generation = tocsin::compile::load(Some(dir.path())).unwrap();
    assert_eq!(generation.workflows.len(), 1);
    let triage = generation
        .workflow_for("bridges")
        .unwrap()
        .stage("detected")
        .unwrap();
    assert_eq!(
        triage.deadline[tocsin::model::Level::Red.index()],
        Some(std::time::Duration::from_secs(900))
    );
    // Added for one domain: gas follows it, the others the shipped default.
    let gas = shipped
        .replace("id: standard", "id: gas_loop")
        .replace("default: true", "domains: [city_gas]");
    let dir = deployment_with(&[("workflows/gas.yaml", &gas)]);
    let generation = tocsin::compile::load(Some(dir.path())).unwrap();
    assert_eq!(generation.workflows.len(), 2);
    assert_eq!(
        generation.workflow_for("city_gas").unwrap().id.as_str(),
        "gas_loop"
    );
    assert_eq!(
        generation.workflow_for("metro").unwrap().id.as_str(),
        "standard"
    );
}

#[test]
fn assets_without_a_district_are_placed_by_boundaries() {
    let registry = r#"version: 1
districts:
  - code: 210102
    name: 和平区
    government: heping.government
    boundary: [[123.30, 41.70], [123.43, 41.70], [123.43, 41.80], [123.30, 41.80], [123.30, 41.70]]
  - code: 210103
    name: 沈河区
    boundary: [[123.43, 41.70], [123.55, 41.70], [123.55, 41.85], [123.43, 41.85]]
  - {code: 210100, name: 沈阳市, boundary: [[123.0, 41.5], [124.0, 41.5], [124.0, 42.2], [123.0, 42.2]]}
departments:
  - {id: heping.government, name: 和平区人民政府, district: 210102}
  - {id: gas_co, name: 沈阳燃气有限公司}
assets:
  - {id: west, name: w, domain: city_gas, kind: adjacent_space, owner: gas_co, location: {lon: 123.39, lat: 41.78}}
  - {id: east, name: e, domain: city_gas, kind: adjacent_space, owner: gas_co, location: {lon: 123.50, lat: 41.78}}
  - {id: edge, name: on the shared edge, domain: city_gas, kind: adjacent_space, owner: gas_co, location: {lon: 123.43, lat: 41.75}}
  - {id: north, name: n, domain: city_gas, kind: adjacent_space, owner: gas_co, location: {lon: 123.40, lat: 41.95}}
  - {id: written, name: d, domain: city_gas, kind: adjacent_space, owner: gas_co, district: 210103, location: {lon: 123.39, lat: 41.78}}
sensors:
  - {id: s-west, asset: west}
"#;
    let csv = "id,name,domain,kind,owner,lon,lat
csv-east,c,city_gas,adjacent_space,gas_co,123.45,41.80
";
    let dir = deployment_with(&[("city/registry.yaml", registry), ("city/assets.csv", csv)]);
    let generation = tocsin::compile::load(Some(dir.path())).unwrap();
    let district = |id: &str| generation.asset(id).unwrap().district.as_str().to_owned();
    assert_eq!(district("west"), "210102");
    assert_eq!(district("east"), "210103");
    assert_eq!(district("csv-east"), "210103");
    // On the shared edge both hold it (and the city): the smallest, 和平区, wins.
    let heping = generation.district("210102").unwrap();
    assert_eq!(
        heping.boundary.as_ref().unwrap().len(),
        4,
        "the closing point is dropped"
    );
    assert_eq!(
        heping.government.as_ref().unwrap().as_str(),
        "heping.government"
    );
    assert_eq!(district("edge"), "210102");
    // Inside the city only: the city.
    assert_eq!(district("north"), "210100");
    // A written district is kept.
    assert_eq!(district("written"), "210103");
    assert_eq!(
        generation.sensor("s-west").unwrap().district.as_str(),
        "210102"
    );
}

#[test]
fn minimal_example_validates_cleanly() {
    let (output, code) = validate(&root().join("examples/minimal"));
    assert_eq!(code, Some(0), "{output}");
    // One warning, on purpose: the example's CH4 well sensor also reports the well's water level,
    // which the shipped packs record as context but no rule judges.
    let (warnings, output) = output.split_at(output.find("ok: generation ").unwrap());
    assert_eq!(
        warnings,
        "city/sensors.yaml:10:33: warning[unused_metric]: no rule evaluates metric \
         `gas.well_water_level`\n  = hint: add a rule that reads it (or remove it): readings of \
         it are stored but never judged\n1 warning\n"
    );
    assert!(
        output.ends_with(
            ": 8 domains, 28 metrics, 32 rules, 2 districts, 22 departments, 6 assets, 10 sensors\n"
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
         metric: gas.ch4_adjacent\n    hazard: gas_leak\n    replaces: gas.ch4_adjacent.ladder\n    \
         threshold:\n      levels: {red: 30}\n",
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
