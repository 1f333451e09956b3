//! Risk grading (风险分级): a warning's level = f(likelihood, consequence), per domain. Pure
//! arithmetic over [`crate::model::Grading`]; the compile step checks the configuration and the
//! engine keeps one precomputed [`GradeTable`] per distinct (domain grading, consequence,
//! escalation), so grading on the hot path is two array lookups.
//!
//! # Semantics
//!
//! - **Likelihood L (1..=5).** An alarm level gives a likelihood: by default blue 2, yellow 3,
//!   orange 4, red 5 (`grading.likelihood`); no alarm gives 1. Each cascade step (`boost`) adds
//!   one, capped at 5. With no alarm and no boost there is no warning, whatever the matrix says.
//! - **Consequence S (1..=5).** From the asset attribute `exposure_attribute` (default
//!   `population`) through `population_bands` (default `[3, 10, 30, 100]`, DOMAINS.md §2.4
//!   item 4): S = 1 + the number of bands the value reaches; `default` (3) when the asset lacks
//!   the attribute. `receptors.add` (default 1) is added when a receptor of one of the listed
//!   kinds is within `radius_m` metres of the asset. Capped at 5.
//! - **Matrix.** Level = `matrix[L-1][S-1]`. A written matrix has five rows (L = 1..=5) of five
//!   cells (S = 1..=5), each `none`, `blue`, `yellow`, `orange` or `red`, and must be monotone:
//!   a cell is never lower than the cell above it or to its left. Otherwise the matrix is derived
//!   from `bands` on R = L x S: a cell takes the highest level whose band R reaches (default
//!   red 20, orange 15, yellow 9, blue 1, DOMAINS.md §2.4 item 1); a level without a band is
//!   never given.
//! - **Context escalation** (`context_escalation`, DOMAINS.md §2.3). When a receptor of the
//!   listed kinds is within `radius_m`, a level of at least blue is raised `add` levels
//!   (default 1), capped at red. `none` stays `none`.
//! - **No `grading:`.** The domain grades by likelihood alone: L 1 -> none, 2 -> blue,
//!   3 -> yellow, 4 -> orange, 5 -> red. An alarm alone gives its own level, and each cascade
//!   step raises it one level.
//!
//! The trade-off: consequence and escalation depend only on the asset (its attributes and the
//! receptors around it), so they are computed once per generation, not per reading.

mod consequence;
mod matrix;
mod table;

#[cfg(test)]
mod tests;

pub use consequence::{
    DEFAULT_CONSEQUENCE, DEFAULT_EXPOSURE_ATTRIBUTE, DEFAULT_POPULATION_BANDS,
    DEFAULT_RECEPTOR_ADD, consequence, escalation, exposure_grade, receptor_radii,
};
pub use matrix::{
    DEFAULT_BANDS, DEFAULT_LIKELIHOOD, MAX_BAND, Matrix, MatrixDrop, default_matrix, matrix_drops,
    matrix_from_bands, raise,
};
pub use table::GradeTable;

/// The highest likelihood or consequence grade.
pub const MAX_GRADE: u8 = 5;
