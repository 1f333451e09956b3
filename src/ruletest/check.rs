//! Checking one expectation against what the case has seen, and saying in the rule editor's
//! words what was expected and what happened instead (times as offsets from the case's start,
//! with the rule and sensor that moved a warning, and a note when an id is not in the
//! configuration at all, the commonest reason a level stays `none`).

use crate::model::level::level_name;
use crate::model::{Cause, Generation, Timestamp};

use super::case::{Check, Expectation, ExpectedCause};
use super::check_workflow::check_workflow;
use super::duty::Duty;
use super::observed::{LevelSeen, Observed};
use super::offset::format_offset;
use super::report::Failure;

/// The failure of `expectation`, or `None` when it holds.
pub(crate) fn check(
    expectation: &Expectation,
    observed: &Observed,
    duty: &Duty<'_>,
    generation: &Generation,
    start: Timestamp,
) -> Option<Failure> {
    let at = |ts: Timestamp| format_offset(ts.since(start));
    let mut when = format!("at {}", format_offset(expectation.offset_ms));
    let (expected, actual) = match &expectation.check {
        Check::Warning {
            asset,
            hazard,
            level,
            caused_by,
        } => {
            let seen = observed.warning(asset, hazard);
            let actual_level = seen.and_then(|s| s.level);
            let actual_causes = seen.map(|s| causes_of(&s.causes)).unwrap_or_default();
            let causes_differ = caused_by.as_ref().is_some_and(|c| *c != actual_causes);
            if actual_level == *level && !causes_differ {
                return None;
            }
            let mut expected = format!("{asset} {hazard} level {}", level_name(*level));
            let mut actual = format!("{asset} {hazard} level {}", level_name(actual_level));
            match seen {
                Some(s) if s.level.is_some() => actual.push_str(&format!(
                    " since {} (rule {}, sensor {})",
                    at(s.since),
                    s.rule,
                    s.sensor
                )),
                Some(s) => actual.push_str(&format!(" (cleared at {})", at(s.since))),
                None => actual.push_str(" (never raised)"),
            }
            if let Some(causes) = caused_by {
                expected.push_str(&format!(", caused by {}", cause_list(causes)));
                actual.push_str(&format!(", caused by {}", cause_list(&actual_causes)));
            }
            actual.push_str(&unknown_asset(generation, asset, hazard));
            (expected, actual)
        }
        Check::Cleared { asset, hazard } => {
            when = format!("by {}", format_offset(expectation.offset_ms));
            let seen = observed.warning(asset, hazard);
            let expected = format!("{asset} {hazard} raised, then cleared");
            let actual = match seen {
                Some(s) if s.level.is_none() && s.first_raised.is_some() => return None,
                Some(s) => match (s.level, s.first_raised) {
                    (Some(level), Some(raised)) => format!(
                        "{asset} {hazard} still {level} since {} (raised at {}, rule {}, sensor {})",
                        at(s.since),
                        at(raised),
                        s.rule,
                        s.sensor
                    ),
                    _ => format!("{asset} {hazard} never raised"),
                },
                None => format!(
                    "{asset} {hazard} never raised{}",
                    unknown_asset(generation, asset, hazard)
                ),
            };
            (expected, actual)
        }
        Check::Shadow {
            rule,
            sensor,
            level,
        } => {
            let seen = observed.shadow(rule, sensor);
            if seen.and_then(|s| s.level) == *level {
                return None;
            }
            let subject = format!("shadow rule {rule} on {sensor}");
            let expected = format!("{subject} would raise {}", level_name(*level));
            let mut actual = format!("{subject} {}", describe_level(seen, &at, "no finding"));
            actual.push_str(&unknown_rule_or_sensor(generation, rule, sensor));
            (expected, actual)
        }
        Check::Alarm {
            rule,
            sensor,
            level,
        } => {
            let seen = observed.alarm(rule, sensor);
            if seen.and_then(|s| s.level) == *level {
                return None;
            }
            let subject = format!("alarm of {rule} on {sensor}");
            let expected = format!("{subject} level {}", level_name(*level));
            let mut actual = format!("{subject} {}", describe_level(seen, &at, "never moved"));
            actual.push_str(&unknown_rule_or_sensor(generation, rule, sensor));
            (expected, actual)
        }
        Check::Workflow(workflow) => {
            let (expected, mut actual) =
                check_workflow(workflow, observed, duty, generation, start)?;
            if duty.warning(&workflow.asset, &workflow.hazard).is_none() {
                actual.push_str(&unknown_asset(
                    generation,
                    &workflow.asset,
                    &workflow.hazard,
                ));
            }
            (expected, actual)
        }
        Check::Fault {
            sensor,
            metric,
            kind,
            active,
        } => {
            let seen = observed.fault(sensor, metric, *kind);
            if seen.is_some_and(|s| s.active) == *active {
                return None;
            }
            let subject = format!("{} fault of {sensor} {metric}", kind.as_str());
            let state = |active: bool| if active { "active" } else { "inactive" };
            let expected = format!("{subject} {}", state(*active));
            let mut actual = match seen {
                Some(s) if s.active => format!("{subject} active since {}", at(s.since)),
                Some(s) => format!("{subject} inactive (cleared at {})", at(s.since)),
                None => format!("{subject} inactive (never raised)"),
            };
            if generation.sensor(sensor).is_none() {
                actual.push_str(&format!(" (no sensor `{sensor}` in this configuration)"));
            }
            (expected, actual)
        }
    };
    Some(Failure {
        position: expectation.position,
        when,
        expected,
        actual,
    })
}

/// Causes as the expectations name them, sorted.
fn causes_of(causes: &[Cause]) -> Vec<ExpectedCause> {
    let mut out: Vec<ExpectedCause> = causes
        .iter()
        .map(|c| ExpectedCause {
            cascade: c.cascade.clone(),
            asset: c.asset.clone(),
            hazard: c.hazard.clone(),
        })
        .collect();
    out.sort();
    out
}

/// `C4 from wm-1 pipe_burst and C9 from ...`, or `nothing`.
fn cause_list(causes: &[ExpectedCause]) -> String {
    if causes.is_empty() {
        return "nothing".to_owned();
    }
    causes
        .iter()
        .map(|c| format!("{} from {} {}", c.cascade, c.asset, c.hazard))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `level orange since 3m`, or `level none (<never>)`, or `level none since 5m`.
fn describe_level(
    seen: Option<LevelSeen>,
    at: &impl Fn(Timestamp) -> String,
    never: &str,
) -> String {
    match seen {
        Some(s) => format!("level {} since {}", level_name(s.level), at(s.since)),
        None => format!("level none ({never})"),
    }
}

/// ` (no asset `x` in this configuration)` when the generation lacks the asset, or a note when
/// no rule or cascade can raise the hazard.
fn unknown_asset(generation: &Generation, asset: &str, hazard: &str) -> String {
    if generation.asset(asset).is_none() {
        format!(" (no asset `{asset}` in this configuration)")
    } else if !generation.rules.iter().any(|r| r.hazard.as_str() == hazard)
        && !generation
            .cascades
            .iter()
            .any(|c| c.to.hazard.as_str() == hazard)
    {
        format!(" (no rule or cascade raises `{hazard}`)")
    } else {
        String::new()
    }
}

/// A note naming a rule or sensor the generation lacks.
fn unknown_rule_or_sensor(generation: &Generation, rule: &str, sensor: &str) -> String {
    if generation.rule(rule).is_none() {
        format!(" (no rule `{rule}` in this configuration)")
    } else if generation.sensor(sensor).is_none() {
        format!(" (no sensor `{sensor}` in this configuration)")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_lists_read_as_sentences() {
        let c = |cascade: &str| ExpectedCause {
            cascade: cascade.to_owned(),
            asset: "wm-1".to_owned(),
            hazard: "pipe_burst".to_owned(),
        };
        assert_eq!(cause_list(&[]), "nothing");
        assert_eq!(
            cause_list(&[c("C4"), c("C5")]),
            "C4 from wm-1 pipe_burst and C5 from wm-1 pipe_burst"
        );
    }
}
