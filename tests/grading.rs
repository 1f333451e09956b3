//! Risk grading end to end through `compile::load`: a deployment domain carrying `grading:`
//! compiles to the grading it wrote and grades through a `GradeTable`; a bad `grading:` is
//! reported at its `file:line:column`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tocsin::compile;
use tocsin::config::Code;
use tocsin::grading::{GradeTable, consequence, escalation, receptor_radii};
use tocsin::model::{Asset, Level, ReceptorKind};

/// A domain of the deployment, before its `grading:`.
const DOMAIN: &str = "version: 1
id: graded_test
name: Graded test
name_cn: 分级测试
lead_department: shenyang.construction
issuing_authority: {blue: centre, yellow: bureau, orange: city, red: city}
objects: [adjacent_space]
metrics: []
grading:
";

/// A deployment whose `domains/graded_test.yaml` is [`DOMAIN`] followed by `grading`.
fn deployment(grading: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let domains = dir.path().join("domains");
    std::fs::create_dir_all(&domains).unwrap();
    std::fs::write(
        domains.join("graded_test.yaml"),
        format!("{DOMAIN}{grading}"),
    )
    .unwrap();
    dir
}

fn load(dir: &Path) -> Result<tocsin::model::Generation, Vec<tocsin::config::Diagnostic>> {
    compile::load(Some(dir))
}

#[test]
fn a_domain_grading_compiles_and_grades() {
    let dir = deployment(
        "  bands: {blue: 1, yellow: 9, orange: 15, red: 20}
  consequence:
    population_bands: [3, 10, 30, 100]
    receptors: {kinds: [school, hospital], radius_m: 100}
  escalation: {kinds: [metro_entrance], radius_m: 50}
",
    );
    let generation = load(dir.path()).unwrap_or_else(|d| panic!("{d:#?}"));
    let domain = generation
        .domains
        .iter()
        .find(|d| d.id.as_str() == "graded_test")
        .unwrap();
    let grading = domain.grading.as_ref().expect("graded_test is graded");
    assert_eq!(receptor_radii(grading), 100.0);

    // An adjacent space under a street of 40 people (S 4), a school 80 m away (S 5) and a
    // metro entrance 40 m away (one level up).
    let asset = Asset {
        id: "space-1".into(),
        name: "utility room under Zhongshan Road".to_owned(),
        domain: "graded_test".into(),
        kind: "adjacent_space".to_owned(),
        district: "210102".into(),
        owner: "shenyang.construction".into(),
        location: None,
        attributes: [("population".to_owned(), 40.0)].into_iter().collect(),
    };
    let near = [
        (ReceptorKind::School, 80.0),
        (ReceptorKind::MetroEntrance, 40.0),
    ];
    let s = consequence(&grading.consequence, &asset, &near);
    let up = escalation(grading.escalation.as_ref(), &near);
    assert_eq!((s, up), (5, 1));
    let table = GradeTable::new(Some(grading), s, up);
    // Blue alarm: L 2 x S 5 = 10 yellow, escalated orange.
    assert_eq!(table.level(Some(Level::Blue), 0), Some(Level::Orange));
    // No alarm, no cascade: nothing.
    assert_eq!(table.level(None, 0), None);
}

#[test]
fn a_bad_grading_is_reported_at_its_key() {
    const GRADING: &str = "  matrix:
    - [blue, blue, blue, blue, blue]
    - [blue, blue, blue, blue, yellow]
    - [blue, blue, yellow, yellow, orange]
    - [blue, blue, yellow, orange, red]
    - [blue, yellow, orange, red, redd]
  escalation: {kinds: [scool], radius_m: 50}
";
    let dir = deployment(GRADING);
    let diagnostics = load(dir.path()).expect_err("the grading is invalid");
    // (line, column) of `needle` in the written file.
    let place = |needle: &str| {
        let text = format!("{DOMAIN}{GRADING}");
        text.lines()
            .enumerate()
            .find_map(|(i, line)| line.find(needle).map(|at| (i + 1, at + 1)))
            .unwrap()
    };
    type Found = (Code, String, (usize, usize), Option<String>);
    let found: Vec<Found> = diagnostics
        .iter()
        .map(|d| (d.code, d.file.clone(), (d.line, d.column), d.hint.clone()))
        .collect();
    let file = "domains/graded_test.yaml".to_owned();
    assert_eq!(
        found,
        vec![
            (
                Code::BadValue,
                file.clone(),
                place("redd"),
                Some(
                    "did you mean `red`? a cell is `none`, `blue`, `yellow`, `orange` or `red`"
                        .to_owned()
                ),
            ),
            (
                Code::UnknownRelation,
                file,
                place("scool"),
                Some("did you mean `school`?".to_owned()),
            ),
        ]
    );
}
