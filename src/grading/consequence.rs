//! An asset's consequence grade (exposure and nearby receptors) and its context escalation.
//! Both depend only on the asset, so the engine computes them once per generation; the caller
//! finds the receptors within [`receptor_radii`] and passes each with its distance.

use super::MAX_GRADE;
use crate::model::{Asset, ConsequenceSpec, Grading, ReceptorKind, ReceptorRule};

/// The asset attribute holding the people exposed, when `exposure_attribute` is not written.
pub const DEFAULT_EXPOSURE_ATTRIBUTE: &str = "population";

/// People-exposed thresholds of consequence 2..=5 (DOMAINS.md §2.4 item 4: S = 1 below 3
/// people, 2 for 3-9, 3 for 10-29, 4 for 30-99, 5 for 100 or more).
pub const DEFAULT_POPULATION_BANDS: [f64; 4] = [3.0, 10.0, 30.0, 100.0];

/// Consequence of an asset without the exposure attribute.
pub const DEFAULT_CONSEQUENCE: u8 = 3;

/// Steps a receptor rule adds when `add` is not written.
pub const DEFAULT_RECEPTOR_ADD: u8 = 1;

/// The largest radius, in metres, within which receptors matter to `grading` (consequence or
/// escalation); 0 when neither looks at receptors.
pub fn receptor_radii(grading: &Grading) -> f64 {
    [
        grading.consequence.receptors.as_ref(),
        grading.escalation.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|rule| rule.radius_m)
    .fold(0.0, f64::max)
}

/// The consequence grade from exposure alone: 1 + the number of `population_bands` the asset's
/// exposure attribute reaches, or `default` when the asset has no such (finite) attribute.
/// Capped to 1..=5.
pub fn exposure_grade(spec: &ConsequenceSpec, asset: &Asset) -> u8 {
    let grade = match asset.attributes.get(&spec.exposure_attribute) {
        Some(&people) if people.is_finite() => {
            let reached = spec
                .population_bands
                .iter()
                .filter(|&&band| people >= band)
                .count();
            u8::try_from(reached).unwrap_or(MAX_GRADE).saturating_add(1)
        }
        _ => spec.default,
    };
    grade.clamp(1, MAX_GRADE)
}

/// The consequence grade (1..=5): [`exposure_grade`] plus `receptors.add` when a receptor of
/// one of its kinds is within its radius. `near` lists receptors around the asset with their
/// distance in metres (any radius; this filters by kind and distance).
pub fn consequence(spec: &ConsequenceSpec, asset: &Asset, near: &[(ReceptorKind, f64)]) -> u8 {
    exposure_grade(spec, asset)
        .saturating_add(escalation(spec.receptors.as_ref(), near))
        .min(MAX_GRADE)
}

/// The steps `rule` adds for an asset with receptors `near` (kind, metres): its `add` when one
/// of its kinds is within `radius_m` (inclusive), else 0; 0 without a rule.
pub fn escalation(rule: Option<&ReceptorRule>, near: &[(ReceptorKind, f64)]) -> u8 {
    match rule {
        Some(rule)
            if near.iter().any(|&(kind, distance)| {
                distance <= rule.radius_m && rule.kinds.contains(&kind)
            }) =>
        {
            rule.add
        }
        _ => 0,
    }
}
