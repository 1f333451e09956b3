//! `tocsin graph` end to end: runs the binary on a small deployment (declared edges, a spatial
//! link, a cascade) and checks the DOT it prints or writes; an invalid deployment exits 1 with
//! its diagnostics on standard error and no DOT.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report we want"
)]

use std::path::Path;
use std::process::Command;

/// Two gas wells beside a gas main (one 22 m away, one about 170 m), a water main under a low
/// road; the edge between those two is declared.
const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: gas-main-1, name: 南京南街 DN300 gas main, domain: city_gas, kind: main_segment, district: "210102", owner: shenyang.construction, location: {lon: 123.4000, lat: 41.7900}}
  - {id: well-near, name: Telecom well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.4000, lat: 41.7902}}
  - {id: well-far, name: Telecom well 2, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.4020, lat: 41.7900}}
  - {id: wm-1, name: 北京街 DN600 trunk main, domain: water_supply, kind: trunk_main, district: "210102", owner: shenyang.construction, location: {lon: 123.4100, lat: 41.7958}}
  - {id: road-1, name: 北京街 low road, domain: waterlogging, kind: low_road, district: "210102", owner: shenyang.construction, location: {lon: 123.4101, lat: 41.7958}}
edges:
  - {from: wm-1, relation: undermines, to: road-1}
"#;

/// A spatial link from gas mains to adjacent spaces within 50 m and the C4 cascade.
const COUPLING: &str = r#"version: 1
links:
  - id: gas_main_to_adjacent_spaces
    relation: adjacent_to
    from: {domain: city_gas, kinds: [main_segment]}
    to: {domain: city_gas, kinds: [adjacent_space]}
    within_m: 50
cascades:
  - id: C4_water_burst_to_road_collapse
    description: soil washout under the road
    from: {hazard: main_burst, domain: water_supply, min_level: orange}
    through: [undermines]
    hops: 1
    to: {hazard: flooding, domain: waterlogging}
    raise_likelihood: 2
"#;

/// Writes the deployment: the registry, plus the coupling rules when `coupling`.
fn deployment(dir: &Path, coupling: bool) {
    std::fs::create_dir_all(dir.join("city")).unwrap();
    std::fs::write(dir.join("city/registry.yaml"), REGISTRY).unwrap();
    if coupling {
        std::fs::create_dir_all(dir.join("rules")).unwrap();
        std::fs::write(dir.join("rules/coupling.yaml"), COUPLING).unwrap();
    }
}

/// Runs `tocsin graph --config DIR [extra]`; returns (exit code, stdout, stderr).
fn graph(config: &Path, extra: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("graph")
        .arg("--config")
        .arg(config)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn prints_every_asset_in_its_domain_cluster() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path(), false);
    let (code, dot, stderr) = graph(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dot.contains("digraph coupling {\n"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    for cluster in [
        "subgraph cluster_city_gas {",
        "subgraph cluster_water_supply {",
        "subgraph cluster_waterlogging {",
    ] {
        assert!(dot.contains(cluster), "{cluster} missing in\n{dot}");
    }
    assert!(
        dot.contains(
            r#""gas-main-1" [label="gas-main-1\n南京南街 DN300 gas main\ncity_gas / main_segment"];"#
        ),
        "{dot}"
    );
    // the gas cluster lists its assets sorted by id
    let main = dot.find(r#""gas-main-1" ["#).unwrap();
    let far = dot.find(r#""well-far" ["#).unwrap();
    let near = dot.find(r#""well-near" ["#).unwrap();
    assert!(main < far && far < near, "{dot}");
}

#[test]
fn edges_are_labelled_derived_ones_dashed_and_cascades_listed() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path(), true);
    let (code, dot, stderr) = graph(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        dot.contains(r#""wm-1" -> "road-1" [label="undermines"];"#),
        "the declared edge is missing in\n{dot}"
    );
    // 0.0002 degrees of latitude: 22 m; the far well is 166 m east
    assert!(
        dot.contains(
            r#""gas-main-1" -> "well-near" [label="adjacent_to\ngas_main_to_adjacent_spaces, 22 m", style=dashed];"#
        ),
        "the derived edge is missing in\n{dot}"
    );
    assert!(!dot.contains(r#""gas-main-1" -> "well-far""#), "{dot}");
    let edges = dot
        .lines()
        .filter(|line| !line.trim_start().starts_with("//") && line.contains(" -> "))
        .count();
    assert_eq!(edges, 2, "{dot}");
    assert!(
        dot.contains(
            "    // C4_water_burst_to_road_collapse: main_burst >= orange on water_supply -> flooding on \
             waterlogging via undermines within 1 hop, likelihood +2 (soil washout under the road)\n"
        ),
        "the cascade is missing in\n{dot}"
    );
}

#[test]
fn writes_the_same_dot_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path(), false);
    let file = dir.path().join("city.dot");
    let (code, stdout, stderr) = graph(dir.path(), &["--output", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "nothing on standard output when writing a file");
    let written = std::fs::read_to_string(&file).unwrap();
    let (_, printed, _) = graph(dir.path(), &[]);
    assert_eq!(written, printed);
    assert!(written.contains("subgraph cluster_city_gas {"));
}

#[test]
fn an_invalid_deployment_prints_diagnostics_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    deployment(dir.path(), false);
    let broken = REGISTRY.replace("domain: waterlogging", "domain: waterlogin");
    std::fs::write(dir.path().join("city/registry.yaml"), broken).unwrap();
    let file = dir.path().join("city.dot");
    let (code, stdout, stderr) = graph(dir.path(), &["--output", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(!file.exists(), "no DOT is written for an invalid set");
    assert!(
        stderr.contains("city/registry.yaml:") && stderr.contains("waterlogin"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(" error\n") || stderr.ends_with(" errors\n"),
        "{stderr}"
    );
}
