//! Table-driven tests of the risk matrix, consequence, escalation and [`GradeTable`].

use std::collections::BTreeMap;

use super::*;
use crate::model::{Asset, ConsequenceSpec, Grading, Level, ReceptorKind, ReceptorRule};

/// Receptors around an asset: (kind, metres).
type Near = &'static [(ReceptorKind, f64)];

const N: Option<Level> = None;
const B: Option<Level> = Some(Level::Blue);
const Y: Option<Level> = Some(Level::Yellow);
const O: Option<Level> = Some(Level::Orange);
const R: Option<Level> = Some(Level::Red);

/// The default matrix written out cell by cell (rows L = 1..=5, columns S = 1..=5).
const DEFAULT_CELLS: Matrix = [
    [B, B, B, B, B], // R = 1 2 3 4 5
    [B, B, B, B, Y], // R = 2 4 6 8 10
    [B, B, Y, Y, O], // R = 3 6 9 12 15
    [B, B, Y, O, R], // R = 4 8 12 16 20
    [B, Y, O, R, R], // R = 5 10 15 20 25
];

/// DOMAINS.md §2.4 item 1, stated independently of the code under test.
fn band_of(risk: u8) -> Option<Level> {
    match risk {
        20..=25 => R,
        15..=19 => O,
        9..=14 => Y,
        1..=8 => B,
        _ => N,
    }
}

#[test]
fn every_cell_of_the_default_matrix_follows_the_r_bands() {
    let matrix = default_matrix();
    for l in 1..=5u8 {
        for s in 1..=5u8 {
            let cell = matrix[usize::from(l) - 1][usize::from(s) - 1];
            assert_eq!(cell, band_of(l * s), "L {l} x S {s}");
            assert_eq!(
                cell,
                DEFAULT_CELLS[usize::from(l) - 1][usize::from(s) - 1],
                "L {l} x S {s}"
            );
        }
    }
}

#[test]
fn bands_build_matrices() {
    let cases: [([Option<u8>; 4], Matrix); 3] = [
        (DEFAULT_BANDS, DEFAULT_CELLS),
        // No blue or yellow band: low risks give no warning.
        (
            [None, None, Some(15), Some(20)],
            [
                [N, N, N, N, N],
                [N, N, N, N, N],
                [N, N, N, N, O],
                [N, N, N, O, R],
                [N, N, O, R, R],
            ],
        ),
        // Stricter: red from 12, orange from 6, yellow from 3, blue from 2.
        (
            [Some(2), Some(3), Some(6), Some(12)],
            [
                [N, B, Y, Y, Y],
                [B, Y, O, O, O],
                [Y, O, O, R, R],
                [Y, O, R, R, R],
                [Y, O, R, R, R],
            ],
        ),
    ];
    for (bands, expected) in cases {
        assert_eq!(matrix_from_bands(bands), expected, "bands {bands:?}");
        assert!(matrix_drops(&expected).is_empty(), "bands {bands:?}");
    }
}

#[test]
fn drops_name_each_lower_cell_once() {
    let mut matrix = DEFAULT_CELLS;
    // Too low: lower than the cell above (yellow) and to its left (yellow).
    matrix[2][3] = N;
    // Too high: the cells right of it and below it fall.
    matrix[0][0] = R;
    let drops = matrix_drops(&matrix);
    let cells: Vec<(usize, usize)> = drops.iter().map(|d| (d.row, d.column)).collect();
    assert_eq!(cells, vec![(0, 1), (1, 0), (2, 3)]);
    let low = drops[2];
    assert_eq!(low.level, N);
    assert_eq!(low.neighbour_level, Y);
    assert_eq!(matrix_drops(&DEFAULT_CELLS), Vec::new());
}

#[test]
fn raising_caps_at_red_and_keeps_none() {
    let cases = [
        (N, 1, N),
        (N, 4, N),
        (B, 0, B),
        (B, 1, Y),
        (B, 2, O),
        (B, 3, R),
        (B, 4, R),
        (O, 1, R),
        (R, 1, R),
        (Y, 255, R),
    ];
    for (level, steps, expected) in cases {
        assert_eq!(raise(level, steps), expected, "{level:?} + {steps}");
    }
}

fn asset(attributes: &[(&str, f64)]) -> Asset {
    Asset {
        id: "school-road-1".into(),
        name: "school road".to_owned(),
        domain: "city_gas".into(),
        kind: "main_segment".into(),
        district: "210102".into(),
        owner: "owner.gas_company".into(),
        location: None,
        attributes: attributes
            .iter()
            .map(|&(name, value)| (name.to_owned(), value))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn rule(kinds: &[ReceptorKind], radius_m: f64, add: u8) -> ReceptorRule {
    ReceptorRule {
        kinds: kinds.to_vec(),
        radius_m,
        add,
    }
}

fn spec(receptors: Option<ReceptorRule>) -> ConsequenceSpec {
    ConsequenceSpec {
        exposure_attribute: DEFAULT_EXPOSURE_ATTRIBUTE.to_owned(),
        population_bands: DEFAULT_POPULATION_BANDS.to_vec(),
        default: DEFAULT_CONSEQUENCE,
        receptors,
    }
}

fn grading(matrix: Matrix, escalation: Option<ReceptorRule>) -> Grading {
    Grading {
        likelihood: DEFAULT_LIKELIHOOD,
        matrix,
        consequence: spec(None),
        escalation,
    }
}

#[test]
fn exposure_grades_follow_population_bands() {
    let cases: [(&[(&str, f64)], u8); 12] = [
        (&[("population", 0.0)], 1),
        (&[("population", 2.9)], 1),
        (&[("population", 3.0)], 2),
        (&[("population", 9.0)], 2),
        (&[("population", 10.0)], 3),
        (&[("population", 29.0)], 3),
        (&[("population", 30.0)], 4),
        (&[("population", 99.0)], 4),
        (&[("population", 100.0)], 5),
        (&[("population", 1.0e6)], 5),
        // Missing or unusable: the default.
        (&[("people", 500.0)], DEFAULT_CONSEQUENCE),
        (&[("population", f64::NAN)], DEFAULT_CONSEQUENCE),
    ];
    for (attributes, expected) in cases {
        assert_eq!(
            exposure_grade(&spec(None), &asset(attributes)),
            expected,
            "{attributes:?}"
        );
    }
    let other = ConsequenceSpec {
        exposure_attribute: "people".to_owned(),
        default: 1,
        ..spec(None)
    };
    assert_eq!(exposure_grade(&other, &asset(&[("people", 30.0)])), 4);
    assert_eq!(exposure_grade(&other, &asset(&[])), 1);
}

#[test]
fn receptors_add_to_consequence_within_their_radius_and_kinds() {
    use ReceptorKind::{CrowdedPlace, Hospital, School};
    let near_school = rule(&[School, Hospital], 50.0, 1);
    let cases: [(f64, Option<ReceptorRule>, Near, u8); 8] = [
        // population 10 -> S 3
        (10.0, None, &[(School, 5.0)], 3),
        (10.0, Some(near_school.clone()), &[], 3),
        (10.0, Some(near_school.clone()), &[(School, 49.0)], 4),
        (10.0, Some(near_school.clone()), &[(Hospital, 50.0)], 4),
        (10.0, Some(near_school.clone()), &[(School, 50.1)], 3),
        (10.0, Some(near_school.clone()), &[(CrowdedPlace, 1.0)], 3),
        // Several receptors add once; the sum is capped at 5.
        (
            30.0,
            Some(near_school.clone()),
            &[(School, 1.0), (Hospital, 2.0)],
            5,
        ),
        (100.0, Some(rule(&[School], 50.0, 4)), &[(School, 1.0)], 5),
    ];
    for (population, receptors, near, expected) in cases {
        let spec = spec(receptors);
        assert_eq!(
            consequence(&spec, &asset(&[("population", population)]), near),
            expected,
            "population {population}, near {near:?}, {:?}",
            spec.receptors
        );
    }
}

#[test]
fn escalation_counts_only_matching_receptors_in_radius() {
    use ReceptorKind::{ElderlyHome, MetroEntrance, School};
    let metro = rule(&[MetroEntrance], 30.0, 2);
    let cases: [(Option<&ReceptorRule>, Near, u8); 5] = [
        (None, &[(MetroEntrance, 1.0)], 0),
        (Some(&metro), &[], 0),
        (Some(&metro), &[(MetroEntrance, 30.0)], 2),
        (Some(&metro), &[(MetroEntrance, 31.0), (School, 1.0)], 0),
        (Some(&metro), &[(ElderlyHome, 1.0), (MetroEntrance, 3.0)], 2),
    ];
    for (rule, near, expected) in cases {
        assert_eq!(escalation(rule, near), expected, "{rule:?} near {near:?}");
    }
}

#[test]
fn receptor_radii_is_the_largest_radius_needed() {
    let mut graded = grading(DEFAULT_CELLS, None);
    assert_eq!(receptor_radii(&graded), 0.0);
    graded.escalation = Some(rule(&[ReceptorKind::School], 50.0, 1));
    assert_eq!(receptor_radii(&graded), 50.0);
    graded.consequence.receptors = Some(rule(&[ReceptorKind::Hospital], 200.0, 1));
    assert_eq!(receptor_radii(&graded), 200.0);
    graded.escalation = Some(rule(&[ReceptorKind::School], 500.0, 1));
    assert_eq!(receptor_radii(&graded), 500.0);
}

#[test]
fn no_alarm_and_no_boost_is_no_warning_whatever_the_matrix() {
    let everything_red = grading([[R; 5]; 5], Some(rule(&[ReceptorKind::School], 50.0, 3)));
    for graded in [
        None,
        Some(&everything_red),
        Some(&grading(DEFAULT_CELLS, None)),
    ] {
        for s in 1..=5 {
            for escalation in 0..=4 {
                let table = GradeTable::new(graded, s, escalation);
                assert_eq!(table.level(None, 0), None, "S {s} escalation {escalation}");
                assert_eq!(table.likelihood(None, 0), 1);
            }
        }
    }
}

#[test]
fn without_grading_an_alarm_gives_its_own_level_and_each_boost_one_more() {
    // (alarm, boost, likelihood, level)
    let cases = [
        (None, 1, 2, B),
        (None, 2, 3, Y),
        (None, 4, 5, R),
        (None, 9, 5, R),
        (B, 0, 2, B),
        (Y, 0, 3, Y),
        (O, 0, 4, O),
        (R, 0, 5, R),
        (B, 1, 3, Y),
        (Y, 2, 5, R),
        (O, 3, 5, R),
        (R, 255, 5, R),
    ];
    // Consequence does not matter without grading.
    for s in 1..=5 {
        let table = GradeTable::new(None, s, 0);
        for (alarm, boost, likelihood, level) in cases {
            assert_eq!(
                table.likelihood(alarm, boost),
                likelihood,
                "{alarm:?}+{boost}"
            );
            assert_eq!(table.level(alarm, boost), level, "{alarm:?}+{boost} S {s}");
        }
    }
}

#[test]
fn graded_tables_read_the_matrix_column_of_their_consequence() {
    let graded = grading(DEFAULT_CELLS, None);
    // (consequence, escalation, alarm, boost, level)
    let cases = [
        // Red alarm (L 5) by consequence: the bottom row.
        (1, 0, R, 0, B),
        (2, 0, R, 0, Y),
        (3, 0, R, 0, O),
        (4, 0, R, 0, R),
        (5, 0, R, 0, R),
        // Blue alarm (L 2) on a crowded asset (S 5): yellow; a cascade step makes L 3: orange.
        (5, 0, B, 0, Y),
        (5, 0, B, 1, O),
        (5, 0, B, 2, R),
        // A cascade alone (L 1 + 2 = 3) on S 3: yellow.
        (3, 0, None, 2, Y),
        // Escalation raises every level the matrix gives, capped at red.
        (3, 1, R, 0, R),
        (1, 1, B, 0, Y),
        (1, 2, B, 0, O),
        (1, 4, B, 0, R),
        (3, 1, None, 1, Y),
        (3, 1, None, 0, None),
        // Out-of-range consequence is clamped.
        (0, 0, R, 0, B),
        (9, 0, R, 0, R),
    ];
    for (s, escalation, alarm, boost, expected) in cases {
        let table = GradeTable::new(Some(&graded), s, escalation);
        assert_eq!(
            table.level(alarm, boost),
            expected,
            "S {s} escalation {escalation} alarm {alarm:?} boost {boost}"
        );
    }
}

#[test]
fn escalation_keeps_a_none_cell_none_and_custom_likelihood_applies() {
    let matrix = matrix_from_bands([None, Some(9), Some(15), Some(20)]);
    let mut graded = grading(matrix, None);
    graded.likelihood = [1, 2, 4, 5];
    let table = GradeTable::new(Some(&graded), 4, 1);
    // Blue alarm: L 1, R 4: none, and escalation does not make a warning from none.
    assert_eq!(table.likelihood(B, 0), 1);
    assert_eq!(table.level(B, 0), None);
    // Yellow alarm: L 2, R 8: still none.
    assert_eq!(table.level(Y, 0), None);
    // Orange alarm: L 4, R 16 orange, escalated red.
    assert_eq!(table.likelihood(O, 0), 4);
    assert_eq!(table.level(O, 0), R);
    assert_eq!(table.level_at(3), O);
    assert_eq!((table.consequence(), table.escalation()), (4, 1));
}

#[test]
fn grade_tables_are_small_copies() {
    assert!(std::mem::size_of::<GradeTable>() <= 16);
    let table = GradeTable::new(None, 3, 0);
    let copy = table;
    assert_eq!(copy, table);
}
