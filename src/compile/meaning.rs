//! Checks of meaning, run once references resolve: thresholds a valid reading can reach, clear
//! conditions a valid reading can meet, deployment rules that bind a sensor, hazards a domain
//! lists, and metrics that something evaluates. The decisions are pure functions of the
//! compiled model (tested from tables); the wrappers turn them into diagnostics at the key.

use super::item::{Item, edit_distance, suggest};
use crate::config::raw::{CascadeDef, DomainDoc, RuleDef, SensorDef};
use crate::config::{Code, Diagnostic, Layer};
use crate::model::{Direction, Ladder, Level, Metric, Rule, RuleKind, Sensor};

/// Where a threshold stands against the valid range `(low, high)` (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Some valid readings reach it and some do not.
    Sometimes,
    /// No valid reading reaches it.
    Never,
    /// Every valid reading reaches it.
    Always,
}

/// Whether valid readings can reach `threshold` for `direction` (`>=` above, `<=` below).
pub(crate) fn reach(direction: Direction, threshold: f64, (low, high): (f64, f64)) -> Reach {
    match direction {
        Direction::Above if threshold > high => Reach::Never,
        Direction::Above if threshold <= low => Reach::Always,
        Direction::Below if threshold < low => Reach::Never,
        Direction::Below if threshold >= high => Reach::Always,
        _ => Reach::Sometimes,
    }
}

/// The value a reading must pass to be clear of `threshold`: `threshold - margin` (exclusive)
/// for `above`, `threshold + margin` for `below`.
pub(crate) fn clear_point(direction: Direction, threshold: f64, margin: f64) -> f64 {
    match direction {
        Direction::Above => threshold - margin,
        Direction::Below => threshold + margin,
    }
}

/// True when no valid reading is clear of `threshold` with `margin`: the clear point lies at or
/// past the low end (above) or the high end (below) of the valid range. A clear point past the
/// next lower level is allowed: the alarm then drops several levels at once.
pub(crate) fn never_clears(
    direction: Direction,
    threshold: f64,
    margin: f64,
    (low, high): (f64, f64),
) -> bool {
    let point = clear_point(direction, threshold, margin);
    match direction {
        Direction::Above => point <= low,
        Direction::Below => point >= high,
    }
}

/// True when `rule` is evaluated on `sensor`'s readings: same domain, the sensor reports the
/// rule's metric, and the sensor's object kind is in `objects:` (or `objects:` is empty).
/// Sequence and cluster rules read alarms, not sensors, and bind none.
pub(crate) fn binds(rule: &Rule, sensor: &Sensor) -> bool {
    let Some(metric) = &rule.metric else {
        return false;
    };
    rule.domain == sensor.domain
        && (sensor.metrics.is_empty() || sensor.metrics.contains(metric))
        && (rule.objects.is_empty() || rule.objects.contains(&sensor.kind))
}

/// `level_out_of_range` and `clear_unreachable` for one ladder of a rule: `levels_key` is where
/// its levels are written (`threshold.levels`), `None` when the ladder is the metric's default.
pub(super) fn check_ladder(
    item: &Item<'_, RuleDef>,
    levels_key: Option<&str>,
    ladder: &Ladder,
    metric: &Metric,
    margin: f64,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let range = metric.valid_range;
    let unit = metric.unit;
    for level in Level::ALL {
        let Some(threshold) = ladder.thresholds[level.index()] else {
            continue;
        };
        if !threshold.is_finite() {
            continue;
        }
        match (reach(ladder.direction, threshold, range), levels_key) {
            (Reach::Sometimes, _) => {}
            (reach, Some(key)) => {
                let what = if reach == Reach::Never {
                    "no valid reading reaches it"
                } else {
                    "every valid reading reaches it"
                };
                diagnostics.push(
                    item.error(
                        Code::LevelOutOfRange,
                        &format!("{key}.{level}"),
                        format!(
                            "`{level}` threshold {threshold} is outside the valid range \
                             {}..{} {unit} of metric `{}`: {what}",
                            range.0, range.1, metric.id
                        ),
                    )
                    .with_hint(format!(
                        "give the threshold in `{unit}`, between {} and {}",
                        range.0, range.1
                    )),
                );
                continue;
            }
            // the metric's own default ladder is checked where the domain defines it
            (_, None) => continue,
        }
        if never_clears(ladder.direction, threshold, margin, range) {
            let point = clear_point(ladder.direction, threshold, margin);
            let (side, end) = match ladder.direction {
                Direction::Above => ("below", range.0),
                Direction::Below => ("above", range.1),
            };
            diagnostics.push(
                item.error(
                    Code::ClearUnreachable,
                    "clear.margin",
                    format!(
                        "an alarm at `{level}` can never clear: clear means {side} {point} \
                         ({threshold} {} margin {margin}), and no valid reading of `{}` is \
                         {side} {end}",
                        if ladder.direction == Direction::Above {
                            "minus"
                        } else {
                            "plus"
                        },
                        metric.id
                    ),
                )
                .with_hint(format!(
                    "use a margin smaller than the distance from the `{level}` threshold to \
                     {end}, the end of the valid range"
                )),
            );
        }
    }
}

/// `binds_no_sensor`: a deployment rule that reads a metric while the deployment has sensors
/// and none of them is bound to it.
pub(super) fn check_bindings(
    items: &[Item<'_, RuleDef>],
    rules: &[Rule],
    sensors: &[Sensor],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if sensors.is_empty() {
        return;
    }
    for item in items.iter().filter(|i| i.doc.layer == Layer::Deployment) {
        let Some(rule) = rules.iter().find(|r| r.id.as_str() == item.id) else {
            continue;
        };
        if rule.metric.is_none() || sensors.iter().any(|s| binds(rule, s)) {
            continue;
        }
        let (key, hint) = if rule.objects.is_empty() {
            (
                "metric",
                format!(
                    "no sensor of domain `{}` reports `{}`; add the sensor to `city/` or check \
                     the metric",
                    rule.domain,
                    rule.metric.as_ref().map_or("", |m| m.as_str())
                ),
            )
        } else {
            let kinds = sensors
                .iter()
                .filter(|s| s.domain == rule.domain)
                .map(|s| s.kind.as_str());
            let mut kinds: Vec<&str> = kinds.collect();
            kinds.sort_unstable();
            kinds.dedup();
            let listed = if kinds.is_empty() {
                format!("the deployment has no sensor of domain `{}`", rule.domain)
            } else {
                format!(
                    "the sensors of domain `{}` monitor: {}",
                    rule.domain,
                    kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            ("objects", listed)
        };
        diagnostics.push(
            item.error(
                Code::BindsNoSensor,
                key,
                format!("rule `{}` is bound to no sensor", rule.id),
            )
            .with_hint(hint),
        );
    }
}

/// The known name `wanted` is probably a misspelling of: the closest one within the distance
/// `suggest` uses for "did you mean" (a third of the name, at least 2), when `wanted` is not known.
pub(crate) fn misspelling_of<'k>(
    wanted: &str,
    known: impl Iterator<Item = &'k str>,
) -> Option<&'k str> {
    let limit = (wanted.chars().count() / 3).max(2);
    let mut closest: Option<(usize, &str)> = None;
    for name in known {
        if name == wanted {
            return None;
        }
        let distance = edit_distance(&wanted.to_lowercase(), &name.to_lowercase());
        if distance <= limit && closest.is_none_or(|(d, _)| distance < d) {
            closest = Some((distance, name));
        }
    }
    closest.map(|(_, name)| name)
}

/// `unknown_hazard` for a rule's `hazard` when its domain lists `hazards:`. A shipped rule must
/// name a listed hazard; a deployment rule may add a hazard of its own, unless the name is a
/// misspelling of a listed one (`gas_leek`).
pub(super) fn check_hazard(
    item: &Item<'_, RuleDef>,
    domain: &str,
    listed: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let hazard = item.def.hazard.as_str();
    if listed.is_empty() || hazard.trim().is_empty() || listed.iter().any(|h| h == hazard) {
        return;
    }
    let misspelt = misspelling_of(hazard, listed.iter().map(String::as_str));
    if item.doc.layer == Layer::Deployment && misspelt.is_none() {
        return;
    }
    diagnostics.push(
        item.error(
            Code::UnknownHazard,
            "hazard",
            format!("domain `{domain}` lists no hazard `{hazard}`"),
        )
        .with_hint(suggest(
            hazard,
            listed.iter().map(String::as_str),
            "hazards of the domain",
        )),
    );
}

/// `replaces_shipped`: a deployment rule reusing a shipped rule's id must say `replaces: <id>`;
/// `replaces:` must name the shipped rule of the same id. `items` are the rules before layering.
pub(super) fn check_replacements(items: &[Item<'_, RuleDef>], diagnostics: &mut Vec<Diagnostic>) {
    let shipped: Vec<&str> = items
        .iter()
        .filter(|i| i.doc.layer == Layer::Shipped)
        .map(|i| i.id.as_str())
        .collect();
    for item in items.iter().filter(|i| i.doc.layer == Layer::Deployment) {
        let reuses = shipped.contains(&item.id.as_str());
        match (&item.def.replaces, reuses) {
            (Some(named), true) if *named == item.id => {}
            (None, false) => {}
            (None, true) => diagnostics.push(
                item.error(
                    Code::ReplacesShipped,
                    "id",
                    format!(
                        "rule `{}` reuses the id of a shipped rule, which it would replace",
                        item.id
                    ),
                )
                .with_hint(format!(
                    "add `replaces: {}` if replacing it is intended, or choose another id",
                    item.id
                )),
            ),
            (Some(named), _) if *named != item.id => diagnostics.push(
                item.error(
                    Code::ReplacesShipped,
                    "replaces",
                    format!(
                        "`replaces: {named}` names another rule than this one (`{}`)",
                        item.id
                    ),
                )
                .with_hint(format!(
                    "a deployment rule replaces the shipped rule with its own id: \
                     `id: {named}` with `replaces: {named}`"
                )),
            ),
            (Some(named), _) => diagnostics.push(
                item.error(
                    Code::ReplacesShipped,
                    "replaces",
                    format!("`replaces: {named}`, but no shipped rule has that id"),
                )
                .with_hint(suggest(
                    named,
                    shipped.iter().copied(),
                    "shipped rules",
                )),
            ),
        }
    }
}

/// `unknown_hazard` for a cascade's `to.hazard`: a misspelling of a hazard `to.domain` lists
/// (when the domain lists any), else of one that some rule raises or some domain lists.
pub(super) fn check_cascade_hazard(
    item: &Item<'_, CascadeDef>,
    domains: &[Item<'_, DomainDoc>],
    rules: &[Rule],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let hazard = item.def.to.hazard.as_str();
    if hazard.trim().is_empty() {
        return;
    }
    let target = item
        .def
        .to
        .domain
        .as_deref()
        .and_then(|d| domains.iter().find(|doc| doc.id == d))
        .filter(|doc| !doc.def.hazards.is_empty());
    let (known, message): (Vec<&str>, String) = match target {
        Some(doc) => (
            doc.def.hazards.iter().map(String::as_str).collect(),
            format!("domain `{}` lists no hazard `{hazard}`", doc.id),
        ),
        None => {
            let mut known: Vec<&str> = rules.iter().map(|r| r.hazard.as_str()).collect();
            known.extend(
                domains
                    .iter()
                    .flat_map(|d| d.def.hazards.iter().map(String::as_str)),
            );
            known.sort_unstable();
            known.dedup();
            (
                known,
                format!("no rule raises hazard `{hazard}` and no domain lists it"),
            )
        }
    };
    if known.contains(&hazard) {
        return;
    }
    // a new hazard of the deployment's own is allowed; a misspelt known one is not
    if item.doc.layer == Layer::Deployment
        && misspelling_of(hazard, known.iter().copied()).is_none()
    {
        return;
    }
    diagnostics.push(
        item.error(Code::UnknownHazard, "to.hazard", message)
            .with_hint(suggest(hazard, known.into_iter(), "hazards")),
    );
}

/// True when some rule evaluates `metric`: a rule reads it, or a script names it in a string
/// literal (`window("dr.h2s", "20 min")`).
pub(crate) fn evaluated(metric: &str, rules: &[Rule], scripts: &[&str]) -> bool {
    let quoted = [format!("\"{metric}\""), format!("'{metric}'")];
    rules
        .iter()
        .any(|r| r.metric.as_ref().is_some_and(|m| m.as_str() == metric))
        || scripts
            .iter()
            .any(|text| quoted.iter().any(|q| text.contains(q.as_str())))
}

/// `unused_metric` warnings: a metric the deployment defines (`domains/`) or a deployment sensor
/// lists under `metrics:` that no rule evaluates. Reported once, where it is first written; a
/// name no domain defines is left to `unknown_metric`.
pub(super) fn check_unused_metrics(
    domains: &[Item<'_, DomainDoc>],
    sensors: &[Item<'_, SensorDef>],
    metrics: &[Metric],
    rules: &[Rule],
    scripts: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut report = |id: &str, diagnostic: Diagnostic, seen: &mut Vec<String>| {
        if !seen.iter().any(|r| r == id) {
            seen.push(id.to_owned());
            diagnostics.push(diagnostic.warning());
        }
    };
    let mut seen: Vec<String> = Vec::new();
    let message = |id: &str| format!("no rule evaluates metric `{id}`");
    const HINT: &str = "add a rule that reads it (or remove it): readings of it are stored but \
                        never judged";
    for item in domains.iter().filter(|d| d.doc.layer == Layer::Deployment) {
        for (i, metric) in item.def.metrics.iter().enumerate() {
            if !evaluated(&metric.id, rules, scripts) {
                let key = format!("metrics[{i}].id");
                let d = item.error(Code::UnusedMetric, &key, message(&metric.id));
                report(&metric.id, d.with_hint(HINT), &mut seen);
            }
        }
    }
    for item in sensors.iter().filter(|s| s.doc.layer == Layer::Deployment) {
        for (i, metric) in item.def.metrics.iter().enumerate() {
            let defined = metrics.iter().any(|m| m.id.as_str() == metric);
            if defined && !evaluated(metric, rules, scripts) {
                let key = format!("metrics[{i}]");
                let d = item.error(Code::UnusedMetric, &key, message(metric));
                report(metric, d.with_hint(HINT), &mut seen);
            }
        }
    }
}

/// `script_type`: the literals of every script file that a rule runs (`crate::script::lint`),
/// each file once however many rules run it.
pub(super) fn check_scripts(rules: &[Rule], metrics: &[Metric], diagnostics: &mut Vec<Diagnostic>) {
    let ids: Vec<&str> = metrics.iter().map(|m| m.id.as_str()).collect();
    let mut linted: Vec<&str> = Vec::new();
    for rule in rules {
        let RuleKind::Script(spec) = &rule.kind else {
            continue;
        };
        if linted.contains(&spec.file.as_str()) {
            continue;
        }
        linted.push(spec.file.as_str());
        for finding in crate::script::lint::lint(&spec.source, &ids) {
            diagnostics.push(
                Diagnostic::new(
                    Code::ScriptType,
                    spec.file.clone(),
                    (finding.line, finding.column),
                    finding.message,
                )
                .with_hint(finding.hint),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_per_direction() {
        let range = (0.0, 7.0);
        let table = [
            (Direction::Above, 200.0, Reach::Never),
            (Direction::Above, 7.0, Reach::Sometimes),
            (Direction::Above, 0.5, Reach::Sometimes),
            (Direction::Above, 0.0, Reach::Always),
            (Direction::Above, -1.0, Reach::Always),
            (Direction::Below, -1.0, Reach::Never),
            (Direction::Below, 0.0, Reach::Sometimes),
            (Direction::Below, 6.9, Reach::Sometimes),
            (Direction::Below, 7.0, Reach::Always),
            (Direction::Below, 400.0, Reach::Always),
        ];
        for (direction, threshold, expected) in table {
            assert_eq!(
                reach(direction, threshold, range),
                expected,
                "{direction:?} {threshold}"
            );
        }
    }

    #[test]
    fn clearing_per_direction() {
        let range = (0.0, 100.0);
        let table = [
            // above: clear means value < threshold - margin, some value >= 0 must be below it
            (Direction::Above, 5.0, 0.0, false),
            (Direction::Above, 5.0, 4.9, false),
            (Direction::Above, 5.0, 5.0, true),
            (Direction::Above, 5.0, 10.0, true),
            // a clear point past the next level is allowed (several levels at once)
            (Direction::Above, 50.0, 40.0, false),
            // below: clear means value > threshold + margin, some value <= 100 must be above it
            (Direction::Below, 20.0, 79.0, false),
            (Direction::Below, 20.0, 80.0, true),
            (Direction::Below, 99.0, 2.0, true),
        ];
        for (direction, threshold, margin, expected) in table {
            assert_eq!(
                never_clears(direction, threshold, margin, range),
                expected,
                "{direction:?} {threshold} margin {margin}"
            );
        }
        assert_eq!(clear_point(Direction::Above, 50.0, 2.0), 48.0);
    }

    #[test]
    fn misspellings_are_close_to_a_known_name() {
        let known = ["gas_leak", "pipe_rupture", "corrosion"];
        let table = [
            ("gas_leek", Some("gas_leak")),
            ("Gas_Leak", Some("gas_leak")),
            ("pipe_rapture", Some("pipe_rupture")),
            ("gas_leak", None),
            ("confined_gas", None),
            ("flooding", None),
        ];
        for (wanted, expected) in table {
            assert_eq!(
                misspelling_of(wanted, known.into_iter()),
                expected,
                "{wanted}"
            );
        }
        assert_eq!(clear_point(Direction::Below, 0.2, 0.1), 0.30000000000000004);
    }
}
