//! A domain's `grading:` -> [`Grading`]: likelihood per alarm level, the risk matrix (written
//! and checked to be monotone, or derived from R = L x S bands), the consequence spec and the
//! context escalation, with the defaults of `crate::grading` filled in. Every problem is
//! reported at its key; the semantics are documented in `crate::grading`.

use super::item::{Item, edit_distance};
use crate::config::raw::{
    ConsequenceDef, DomainDoc, GradingDef, Levels, LikelihoodDef, ReceptorRuleDef,
};
use crate::config::{Code, Diagnostic};
use crate::grading::{
    DEFAULT_CONSEQUENCE, DEFAULT_EXPOSURE_ATTRIBUTE, DEFAULT_LIKELIHOOD, DEFAULT_POPULATION_BANDS,
    DEFAULT_RECEPTOR_ADD, MAX_BAND, MAX_GRADE, Matrix, default_matrix, matrix_drops,
    matrix_from_bands,
};
use crate::model::level::level_name;
use crate::model::{ConsequenceSpec, GRADES, Grading, Level, ReceptorKind, ReceptorRule};

/// Where `grading:` sits in a domain document.
const KEY: &str = "grading";

/// The names a matrix cell may take.
const CELL_NAMES: [&str; 5] = ["none", "blue", "yellow", "orange", "red"];

/// Largest `add` of a receptor rule.
const MAX_ADD: u8 = 4;

/// Compiles the `grading:` of the domain `item`. Returns `None` when it has problems (pushed to
/// `diagnostics`, each once, at its key).
pub(super) fn grading(
    item: &Item<'_, DomainDoc>,
    def: &GradingDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Grading> {
    let before = diagnostics.len();
    let likelihood = def
        .likelihood
        .as_ref()
        .map_or(DEFAULT_LIKELIHOOD, |written| {
            likelihood(item, written, diagnostics)
        });
    let written = def
        .matrix
        .as_ref()
        .map(|rows| written_matrix(item, rows, diagnostics));
    let banded = def
        .bands
        .as_ref()
        .map(|levels| matrix_from_bands(bands(item, levels, diagnostics)));
    if written.is_some() && banded.is_some() {
        diagnostics.push(
            item.error(
                Code::Conflict,
                &format!("{KEY}.bands"),
                "`bands` and `matrix` are both written",
            )
            .with_hint("write either the whole `matrix` or the `bands` it is derived from"),
        );
    }
    let matrix = written.or(banded).unwrap_or_else(default_matrix);
    let consequence = consequence(item, def.consequence.as_ref(), diagnostics);
    let escalation = def
        .escalation
        .as_ref()
        .map(|rule| receptor_rule(item, &format!("{KEY}.escalation"), rule, diagnostics));
    (diagnostics.len() == before).then_some(Grading {
        likelihood,
        matrix,
        consequence,
        escalation,
    })
}

/// `likelihood:`: each 1..=5, never lower for a higher alarm level.
fn likelihood(
    item: &Item<'_, DomainDoc>,
    def: &LikelihoodDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> [u8; 4] {
    let values = [def.blue, def.yellow, def.orange, def.red];
    let mut previous: Option<(Level, u8)> = None;
    for level in Level::ALL {
        let value = values[level.index()];
        let key = format!("{KEY}.likelihood.{level}");
        if !(1..=MAX_GRADE).contains(&value) {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &key,
                    format!("likelihood of `{level}` is {value}; it must be 1 to 5"),
                )
                .with_hint("the default is blue 2, yellow 3, orange 4, red 5"),
            );
            continue;
        }
        if let Some((lower, below)) = previous
            && value < below
        {
            diagnostics.push(
                item.error(
                    Code::LadderOrder,
                    &key,
                    format!(
                        "likelihood of `{level}` ({value}) is below that of `{lower}` ({below})"
                    ),
                )
                .with_hint("a higher alarm level must not be less likely"),
            );
        }
        previous = Some((level, value));
    }
    values
}

/// `matrix:`: five rows of five level names, monotone.
fn written_matrix(
    item: &Item<'_, DomainDoc>,
    rows: &[Vec<String>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Matrix {
    let key = format!("{KEY}.matrix");
    let mut matrix: Matrix = [[None; GRADES]; GRADES];
    let mut complete = true;
    if rows.len() != GRADES {
        complete = false;
        diagnostics.push(
            item.error(
                Code::BadValue,
                &key,
                format!("the matrix has {} rows; it needs 5", rows.len()),
            )
            .with_hint("one row per likelihood 1..5, top to bottom"),
        );
    }
    for (r, row) in rows.iter().enumerate() {
        if row.len() != GRADES {
            complete = false;
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &format!("{key}[{r}]"),
                    format!("row {r} of the matrix has {} cells; it needs 5", row.len()),
                )
                .with_hint("one cell per consequence 1..5, left to right"),
            );
        }
        for (c, name) in row.iter().enumerate() {
            match cell(name) {
                Some(level) => {
                    if let Some(slot) = matrix.get_mut(r).and_then(|cells| cells.get_mut(c)) {
                        *slot = level;
                    }
                }
                None => {
                    complete = false;
                    diagnostics.push(
                        item.error(
                            Code::BadValue,
                            &format!("{key}[{r}][{c}]"),
                            format!("unknown level `{name}` in the matrix"),
                        )
                        .with_hint(cell_hint(name)),
                    );
                }
            }
        }
    }
    if complete {
        for drop in matrix_drops(&matrix) {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &format!("{key}[{}][{}]", drop.row, drop.column),
                    format!(
                        "the matrix falls: likelihood {}, consequence {} is `{}`, below `{}` at \
                         likelihood {}, consequence {}",
                        drop.row + 1,
                        drop.column + 1,
                        level_name(drop.level),
                        level_name(drop.neighbour_level),
                        drop.neighbour_row + 1,
                        drop.neighbour_column + 1,
                    ),
                )
                .with_hint(
                    "a level must not fall when likelihood (down a column) or consequence \
                     (along a row) rises",
                ),
            );
        }
    }
    matrix
}

/// A matrix cell: `Some(level or none)` for a valid name.
fn cell(name: &str) -> Option<Option<Level>> {
    match name {
        "none" => Some(None),
        _ => Level::parse(name).map(Some),
    }
}

/// How to write a matrix cell, with the closest valid name when there is one.
fn cell_hint(name: &str) -> String {
    let valid = "a cell is `none`, `blue`, `yellow`, `orange` or `red`";
    let closest = CELL_NAMES
        .iter()
        .map(|known| (edit_distance(&name.to_lowercase(), known), *known))
        .min();
    match closest {
        Some((distance, known)) if distance <= 2 => format!("did you mean `{known}`? {valid}"),
        _ => valid.to_owned(),
    }
}

/// `bands:`: lowest R = L x S of each level, whole numbers 1..=25, rising from blue to red,
/// at least one.
fn bands(
    item: &Item<'_, DomainDoc>,
    levels: &Levels,
    diagnostics: &mut Vec<Diagnostic>,
) -> [Option<u8>; 4] {
    let written = [levels.blue, levels.yellow, levels.orange, levels.red];
    let mut bands = [None; 4];
    let mut previous: Option<(Level, u8)> = None;
    for level in Level::ALL {
        let Some(value) = written[level.index()] else {
            continue;
        };
        let key = format!("{KEY}.bands.{level}");
        let whole = value.is_finite() && value.fract() == 0.0;
        if !whole || !(1.0..=f64::from(MAX_BAND)).contains(&value) {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &key,
                    format!("band of `{level}` is {value}; it must be a whole number 1 to 25"),
                )
                .with_hint("a band is the lowest R = likelihood x consequence of its level"),
            );
            continue;
        }
        // In 1..=25 and whole: the conversion is exact.
        let band = value as u8;
        if let Some((lower, below)) = previous
            && band <= below
        {
            diagnostics.push(
                item.error(
                    Code::LadderOrder,
                    &key,
                    format!("band of `{level}` ({band}) is not above that of `{lower}` ({below})"),
                )
                .with_hint("bands rise from blue to red; the default is 1, 9, 15, 20"),
            );
        }
        previous = Some((level, band));
        bands[level.index()] = Some(band);
    }
    if written.iter().all(Option::is_none) {
        diagnostics.push(
            item.error(
                Code::LadderOrder,
                &format!("{KEY}.bands"),
                "`bands` has no levels",
            )
            .with_hint("give at least one of `blue`, `yellow`, `orange`, `red`"),
        );
    }
    bands
}

/// `consequence:`, defaults filled in.
fn consequence(
    item: &Item<'_, DomainDoc>,
    def: Option<&ConsequenceDef>,
    diagnostics: &mut Vec<Diagnostic>,
) -> ConsequenceSpec {
    let key = format!("{KEY}.consequence");
    let Some(def) = def else {
        return ConsequenceSpec {
            exposure_attribute: DEFAULT_EXPOSURE_ATTRIBUTE.to_owned(),
            population_bands: DEFAULT_POPULATION_BANDS.to_vec(),
            default: DEFAULT_CONSEQUENCE,
            receptors: None,
        };
    };
    let exposure_attribute = def
        .exposure_attribute
        .clone()
        .unwrap_or_else(|| DEFAULT_EXPOSURE_ATTRIBUTE.to_owned());
    if exposure_attribute.trim().is_empty() {
        diagnostics.push(
            item.error(
                Code::BadValue,
                &format!("{key}.exposure_attribute"),
                "`exposure_attribute` is empty",
            )
            .with_hint(
                "name the asset attribute with the people exposed; the default is `population`",
            ),
        );
    }
    let population_bands = def
        .population_bands
        .as_ref()
        .map_or(DEFAULT_POPULATION_BANDS.to_vec(), |bands| {
            population_bands(item, &format!("{key}.population_bands"), bands, diagnostics)
        });
    let default = def.default.unwrap_or(DEFAULT_CONSEQUENCE);
    if !(1..=MAX_GRADE).contains(&default) {
        diagnostics.push(
            item.error(
                Code::BadValue,
                &format!("{key}.default"),
                format!("default consequence is {default}; it must be 1 to 5"),
            )
            .with_hint("the grade of an asset without the exposure attribute; the default is 3"),
        );
    }
    let receptors = def
        .receptors
        .as_ref()
        .map(|rule| receptor_rule(item, &format!("{key}.receptors"), rule, diagnostics));
    ConsequenceSpec {
        exposure_attribute,
        population_bands,
        default,
        receptors,
    }
}

/// `population_bands:` at `key`: four finite, non-negative, strictly ascending thresholds.
fn population_bands(
    item: &Item<'_, DomainDoc>,
    key: &str,
    bands: &[f64],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<f64> {
    let hint = "four ascending people counts where consequence 2, 3, 4 and 5 begin; the \
                default is [3, 10, 30, 100]";
    if bands.len() != GRADES - 1 {
        diagnostics.push(
            item.error(
                Code::BadValue,
                key,
                format!("`population_bands` has {} values; it needs 4", bands.len()),
            )
            .with_hint(hint),
        );
    }
    let mut previous: Option<f64> = None;
    for (i, &band) in bands.iter().enumerate() {
        let at = format!("{key}[{i}]");
        if !band.is_finite() || band < 0.0 {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &at,
                    format!("population band {band} must be a number of people, 0 or more"),
                )
                .with_hint(hint),
            );
            continue;
        }
        if let Some(below) = previous
            && band <= below
        {
            diagnostics.push(
                item.error(
                    Code::LadderOrder,
                    &at,
                    format!("population band {band} is not above the one before it ({below})"),
                )
                .with_hint(hint),
            );
        }
        previous = Some(band);
    }
    bands.to_vec()
}

/// A receptor rule at `key`: known kinds (at least one), a positive radius, `add` 1..=4.
fn receptor_rule(
    item: &Item<'_, DomainDoc>,
    key: &str,
    def: &ReceptorRuleDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> ReceptorRule {
    let names = || ReceptorKind::ALL.into_iter().map(ReceptorKind::as_str);
    if def.kinds.is_empty() {
        diagnostics.push(
            item.error(Code::BadValue, &format!("{key}.kinds"), "`kinds` is empty")
                .with_hint(format!(
                    "list at least one receptor kind: {}",
                    names()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        );
    }
    let mut kinds = Vec::with_capacity(def.kinds.len());
    for (i, name) in def.kinds.iter().enumerate() {
        let key = format!("{key}.kinds[{i}]");
        match super::coupling::receptor_kind(item, &key, name, diagnostics) {
            Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
            _ => {}
        }
    }
    if !(def.radius_m.is_finite() && def.radius_m > 0.0) {
        diagnostics.push(
            item.error(
                Code::BadValue,
                &format!("{key}.radius_m"),
                format!("radius {} m must be more than 0", def.radius_m),
            )
            .with_hint("the distance in metres within which a receptor counts, e.g. 50"),
        );
    }
    let add = def.add.unwrap_or(DEFAULT_RECEPTOR_ADD);
    if !(1..=MAX_ADD).contains(&add) {
        diagnostics.push(
            item.error(
                Code::BadValue,
                &format!("{key}.add"),
                format!("`add` is {add}; it must be 1 to 4"),
            )
            .with_hint("the steps added near a receptor; the default is 1"),
        );
    }
    ReceptorRule {
        kinds,
        radius_m: def.radius_m,
        add,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::format::parse_yaml;
    use crate::config::{Body, Document, Layer};

    /// A domain document whose `grading:` is `grading` (block YAML, indented by this function).
    fn document(grading: &str) -> Document {
        let indented: String = grading.lines().map(|line| format!("  {line}\n")).collect();
        let text = format!(
            "version: 1\nid: test\nname: Test\nname_cn: 测试\nlead_department: d\n\
             issuing_authority: {{blue: a, yellow: b, orange: c, red: d}}\n\
             objects: [thing]\nmetrics: []\ngrading:\n{indented}"
        );
        let parsed = parse_yaml::<DomainDoc>("domains/test.yaml", &text);
        let (doc, positions) = parsed.unwrap_or_else(|d| panic!("{text}\n{d:?}"));
        Document {
            file: "domains/test.yaml".to_owned(),
            layer: Layer::Deployment,
            positions,
            body: Body::Domain(Box::new(doc)),
        }
    }

    /// Compiles the grading of `doc`.
    fn compile(doc: &Document) -> (Option<Grading>, Vec<Diagnostic>) {
        let Body::Domain(def) = &doc.body else {
            panic!("not a domain");
        };
        let item = Item::new(def.id.clone(), doc, String::new(), &**def);
        let mut diagnostics = Vec::new();
        let Some(grading_def) = def.grading.as_ref() else {
            panic!("no grading");
        };
        let compiled = grading(&item, grading_def, &mut diagnostics);
        (compiled, diagnostics)
    }

    const DEFAULT_ROWS: &str = "matrix:
  - [blue, blue, blue, blue, blue]
  - [blue, blue, blue, blue, yellow]
  - [blue, blue, yellow, yellow, orange]
  - [blue, blue, yellow, orange, red]
  - [blue, yellow, orange, red, red]";

    #[test]
    fn an_empty_grading_takes_every_default() {
        let doc = document("{}");
        let (compiled, diagnostics) = compile(&doc);
        assert_eq!(diagnostics, Vec::new());
        let expected = Grading {
            likelihood: [2, 3, 4, 5],
            matrix: default_matrix(),
            consequence: ConsequenceSpec {
                exposure_attribute: "population".to_owned(),
                population_bands: vec![3.0, 10.0, 30.0, 100.0],
                default: 3,
                receptors: None,
            },
            escalation: None,
        };
        assert_eq!(compiled, Some(expected));
    }

    #[test]
    fn a_full_grading_compiles_as_written() {
        let doc = document(&format!(
            "likelihood: {{blue: 1, yellow: 3, orange: 3, red: 5}}
{DEFAULT_ROWS}
consequence:
  exposure_attribute: people
  population_bands: [5, 20, 50, 200]
  default: 2
  receptors: {{kinds: [school, kindergarten, school], radius_m: 100}}
escalation: {{kinds: [metro_entrance, crowded_place], radius_m: 50, add: 2}}"
        ));
        let (compiled, diagnostics) = compile(&doc);
        assert_eq!(diagnostics, Vec::new());
        let expected = Grading {
            likelihood: [1, 3, 3, 5],
            matrix: default_matrix(),
            consequence: ConsequenceSpec {
                exposure_attribute: "people".to_owned(),
                population_bands: vec![5.0, 20.0, 50.0, 200.0],
                default: 2,
                receptors: Some(ReceptorRule {
                    kinds: vec![ReceptorKind::School, ReceptorKind::Kindergarten],
                    radius_m: 100.0,
                    add: 1,
                }),
            },
            escalation: Some(ReceptorRule {
                kinds: vec![ReceptorKind::MetroEntrance, ReceptorKind::CrowdedPlace],
                radius_m: 50.0,
                add: 2,
            }),
        };
        assert_eq!(compiled, Some(expected));
    }

    #[test]
    fn bands_derive_the_matrix() {
        let doc = document("bands: {orange: 12, red: 16}");
        let (compiled, diagnostics) = compile(&doc);
        assert_eq!(diagnostics, Vec::new());
        let matrix = compiled.map(|g| g.matrix);
        assert_eq!(
            matrix,
            Some(matrix_from_bands([None, None, Some(12), Some(16)]))
        );
    }

    /// (grading YAML, code, path of the key the diagnostic points at, part of the message or
    /// hint): each case has exactly one problem, reported once at that key.
    const BAD: &[(&str, Code, &str, &str)] = &[
        (
            "likelihood: {blue: 0, yellow: 3, orange: 4, red: 5}",
            Code::BadValue,
            "grading.likelihood.blue",
            "must be 1 to 5",
        ),
        (
            "likelihood: {blue: 2, yellow: 3, orange: 4, red: 6}",
            Code::BadValue,
            "grading.likelihood.red",
            "must be 1 to 5",
        ),
        (
            "likelihood: {blue: 2, yellow: 4, orange: 3, red: 5}",
            Code::LadderOrder,
            "grading.likelihood.orange",
            "below that of `yellow`",
        ),
        (
            "matrix:\n  - [blue, blue, blue, blue, blue]\n  - [blue, blue, blue, blue, blue]",
            Code::BadValue,
            "grading.matrix",
            "2 rows",
        ),
        (
            "matrix:
  - [blue, blue, blue, blue, blue]
  - [blue, blue, blue, blue, yellow, red]
  - [blue, blue, yellow, yellow, orange]
  - [blue, blue, yellow, orange, red]
  - [blue, yellow, orange, red, red]",
            Code::BadValue,
            "grading.matrix[1]",
            "6 cells",
        ),
        (
            "matrix:
  - [blue, blue, blue, blue, blue]
  - [blue, blue, blue, blue, yellow]
  - [blue, blue, yellow, yellow, Orange]
  - [blue, blue, yellow, orange, red]
  - [blue, yellow, orange, red, red]",
            Code::BadValue,
            "grading.matrix[2][4]",
            "did you mean `orange`?",
        ),
        (
            "matrix:
  - [blue, blue, blue, blue, blue]
  - [blue, blue, blue, blue, yellow]
  - [blue, blue, yellow, yellow, orange]
  - [blue, blue, yellow, orange, red]
  - [blue, yellow, purple, red, red]",
            Code::BadValue,
            "grading.matrix[4][2]",
            "a cell is `none`, `blue`, `yellow`, `orange` or `red`",
        ),
        (
            "matrix:
  - [blue, blue, blue, blue, blue]
  - [blue, blue, blue, blue, yellow]
  - [blue, blue, yellow, none, orange]
  - [blue, blue, yellow, orange, red]
  - [blue, yellow, orange, red, red]",
            Code::BadValue,
            "grading.matrix[2][3]",
            "likelihood 3, consequence 4 is `none`, below `yellow`",
        ),
        (
            "bands: {blue: 1, yellow: 8.5}",
            Code::BadValue,
            "grading.bands.yellow",
            "whole number 1 to 25",
        ),
        (
            "bands: {red: 26}",
            Code::BadValue,
            "grading.bands.red",
            "whole number 1 to 25",
        ),
        (
            "bands: {blue: 1, yellow: 15, orange: 9, red: 20}",
            Code::LadderOrder,
            "grading.bands.orange",
            "not above that of `yellow`",
        ),
        ("bands: {}", Code::LadderOrder, "grading.bands", "no levels"),
        (
            "consequence: {exposure_attribute: ''}",
            Code::BadValue,
            "grading.consequence.exposure_attribute",
            "is empty",
        ),
        (
            "consequence: {population_bands: [3, 10, 30]}",
            Code::BadValue,
            "grading.consequence.population_bands",
            "3 values; it needs 4",
        ),
        (
            "consequence: {population_bands: [3, 30, 10, 100]}",
            Code::LadderOrder,
            "grading.consequence.population_bands[2]",
            "not above the one before it (30)",
        ),
        (
            "consequence: {population_bands: [-1, 10, 30, 100]}",
            Code::BadValue,
            "grading.consequence.population_bands[0]",
            "0 or more",
        ),
        (
            "consequence: {default: 6}",
            Code::BadValue,
            "grading.consequence.default",
            "must be 1 to 5",
        ),
        (
            "consequence: {receptors: {kinds: [school, hopsital], radius_m: 50}}",
            Code::UnknownRelation,
            "grading.consequence.receptors.kinds[1]",
            "did you mean `hospital`?",
        ),
        (
            "escalation: {kinds: [], radius_m: 50}",
            Code::BadValue,
            "grading.escalation.kinds",
            "`elderly_home`",
        ),
        (
            "escalation: {kinds: [school], radius_m: 0}",
            Code::BadValue,
            "grading.escalation.radius_m",
            "more than 0",
        ),
        (
            "escalation: {kinds: [school], radius_m: 50, add: 5}",
            Code::BadValue,
            "grading.escalation.add",
            "must be 1 to 4",
        ),
        (
            "consequence: {receptors: {kinds: [school], radius_m: 50, add: 0}}",
            Code::BadValue,
            "grading.consequence.receptors.add",
            "must be 1 to 4",
        ),
    ];

    #[test]
    fn each_problem_is_reported_once_at_its_key() {
        for &(yaml, code, path, text) in BAD {
            let doc = document(yaml);
            assert!(
                doc.positions.contains(path),
                "{path} not written in\n{yaml}"
            );
            let (compiled, diagnostics) = compile(&doc);
            assert_eq!(compiled, None, "{yaml}");
            let [diagnostic] = diagnostics.as_slice() else {
                panic!("expected one diagnostic for\n{yaml}\ngot {diagnostics:#?}");
            };
            assert_eq!(diagnostic.code, code, "{yaml}");
            assert_eq!(
                (diagnostic.line, diagnostic.column),
                doc.positions.at(path),
                "{yaml}: {diagnostic:?}"
            );
            let said = format!(
                "{} {}",
                diagnostic.message,
                diagnostic.hint.clone().unwrap_or_default()
            );
            assert!(said.contains(text), "{yaml}: `{said}` lacks `{text}`");
        }
    }

    #[test]
    fn matrix_and_bands_together_conflict() {
        let doc = document(&format!("bands: {{red: 20}}\n{DEFAULT_ROWS}"));
        let (compiled, diagnostics) = compile(&doc);
        assert_eq!(compiled, None);
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::Conflict]);
        assert_eq!(
            (diagnostics[0].line, diagnostics[0].column),
            doc.positions.at("grading.bands")
        );
    }
}
