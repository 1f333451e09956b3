//! Risk grading (风险分级) as data: a domain's risk matrix, level = f(likelihood, consequence),
//! with consequence from the asset's exposure and nearby sensitive receptors, and an optional
//! context escalation. The arithmetic lives in `crate::grading`.

use super::coupling::ReceptorKind;
use super::level::Level;

/// Likelihood and consequence are graded 1..=5.
pub const GRADES: usize = 5;

/// A domain's grading.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Grading {
    /// Likelihood (1..=5) implied by an alarm level, indexed by [`Level::index`]. An asset with
    /// no alarm has likelihood 1 before cascades raise it.
    pub likelihood: [u8; 4],
    /// `matrix[l - 1][s - 1]`: the warning level for likelihood `l` and consequence `s`.
    pub matrix: [[Option<Level>; GRADES]; GRADES],
    /// How an asset's consequence is found.
    pub consequence: ConsequenceSpec,
    /// Raise the graded level by one step near these receptors.
    pub escalation: Option<ReceptorRule>,
}

/// How an asset's consequence grade (1..=5) is found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConsequenceSpec {
    /// The asset attribute holding the people exposed (e.g. `population`).
    pub exposure_attribute: String,
    /// Ascending population thresholds; the grade is 1 + the number reached (4 bands: 1..=5).
    pub population_bands: Vec<f64>,
    /// Grade of an asset without the attribute.
    pub default: u8,
    /// Grades added when a receptor is near, capped at 5.
    pub receptors: Option<ReceptorRule>,
}

/// "Within `radius_m` of any of `kinds`, add `add`."
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReceptorRule {
    /// Receptor kinds that count.
    pub kinds: Vec<ReceptorKind>,
    /// Search radius in metres.
    pub radius_m: f64,
    /// Steps added (grades for consequence, levels for escalation).
    pub add: u8,
}
