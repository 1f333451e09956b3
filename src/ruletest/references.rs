//! Expectations that name something the configuration does not have: an asset, hazard, rule or
//! sensor that no check could ever find would make the expectation pass or fail for the wrong
//! reason (a `level: none` on a misspelt asset always passes). Each is an error at the
//! expectation's position, with the closest known name as a hint; the case does not run.

use super::case::{Case, Check};
use crate::config::{Code, Diagnostic};
use crate::model::Generation;
use crate::text::suggest;

/// The hazards a warning can have in `generation`: those its rules raise and its cascades reach.
fn hazards(generation: &Generation) -> Vec<&str> {
    let mut known: Vec<&str> = generation
        .rules
        .iter()
        .map(|r| r.hazard.as_str())
        .chain(generation.cascades.iter().map(|c| c.to.hazard.as_str()))
        .collect();
    known.sort_unstable();
    known.dedup();
    known
}

/// Every reference of `case`'s expectations that `generation` does not define.
pub(crate) fn unknown_references(
    case: &Case,
    generation: &Generation,
    file: &str,
) -> Vec<Diagnostic> {
    let hazards = hazards(generation);
    let mut out = Vec::new();
    for expectation in &case.expectations {
        let at = expectation.position;
        let asset = |id: &str, out: &mut Vec<Diagnostic>| {
            if generation.asset(id).is_none() {
                out.push(
                    Diagnostic::new(
                        Code::UnknownAsset,
                        file,
                        at,
                        format!("unknown asset `{id}`"),
                    )
                    .with_hint(suggest(
                        id,
                        generation.assets.iter().map(|a| a.id.as_str()),
                        "assets",
                    )),
                );
            }
        };
        let hazard = |id: &str, out: &mut Vec<Diagnostic>| {
            if !hazards.contains(&id) {
                out.push(
                    Diagnostic::new(
                        Code::UnknownHazard,
                        file,
                        at,
                        format!("no rule or cascade raises hazard `{id}`"),
                    )
                    .with_hint(suggest(id, hazards.iter().copied(), "hazards")),
                );
            }
        };
        let rule = |id: &str, out: &mut Vec<Diagnostic>| {
            if generation.rule(id).is_none() {
                out.push(
                    Diagnostic::new(Code::UnknownRule, file, at, format!("unknown rule `{id}`"))
                        .with_hint(suggest(
                            id,
                            generation.rules.iter().map(|r| r.id.as_str()),
                            "rules",
                        )),
                );
            }
        };
        let sensor = |id: &str, out: &mut Vec<Diagnostic>| {
            if generation.sensor(id).is_none() {
                out.push(
                    Diagnostic::new(
                        Code::UnknownSensor,
                        file,
                        at,
                        format!("unknown sensor `{id}`"),
                    )
                    .with_hint(suggest(
                        id,
                        generation.sensors.iter().map(|s| s.id.as_str()),
                        "sensors",
                    )),
                );
            }
        };
        match &expectation.check {
            Check::Warning {
                asset: a,
                hazard: h,
                caused_by,
                ..
            } => {
                asset(a, &mut out);
                hazard(h, &mut out);
                for cause in caused_by.iter().flatten() {
                    asset(&cause.asset, &mut out);
                    hazard(&cause.hazard, &mut out);
                }
            }
            Check::Cleared {
                asset: a,
                hazard: h,
            } => {
                asset(a, &mut out);
                hazard(h, &mut out);
            }
            Check::Workflow(check) => {
                asset(&check.asset, &mut out);
                hazard(&check.hazard, &mut out);
            }
            Check::Shadow {
                rule: r, sensor: s, ..
            }
            | Check::Alarm {
                rule: r, sensor: s, ..
            } => {
                rule(r, &mut out);
                sensor(s, &mut out);
            }
            Check::Fault { sensor: s, .. } => sensor(s, &mut out),
        }
    }
    out
}
