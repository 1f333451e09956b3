//! Rules: threshold (ladder, per-level `for` / `count` persistence), rate, and dual control,
//! each with a clear policy (hysteresis), plus scripts and the composite primitives (compiled in
//! `composite`). References to the domain, metric and object kinds are resolved here.

use std::time::Duration;

use super::composite::{self, Scripts};
use super::item::{Item, suggest};
use super::ladder;
use super::meaning;
use crate::config::raw::{
    ClearDef, CountDef, DualControlDef, ForDef, RateDef, RuleDef, ThresholdDef,
};
use crate::config::{Code, Diagnostic};
use crate::model::{
    ClearPolicy, Combine, Direction, Domain, DomainId, HazardId, Level, Metric, Persistence,
    RateSpec, Rule, RuleId, RuleKind,
};

/// Longest `count` window the engine keeps (`of`).
const MAX_COUNT_WINDOW: u8 = 16;

/// Compiles every rule (already layered).
pub(super) fn rules(
    items: &[Item<'_, RuleDef>],
    domains: &[Domain],
    metrics: &[Metric],
    scripts: &Scripts<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Rule> {
    let rules: Vec<Rule> = items
        .iter()
        .filter_map(|item| rule(item, domains, metrics, scripts, diagnostics))
        .collect();
    for item in items {
        composite::check_references(item, &rules, diagnostics);
    }
    rules
}

fn rule(
    item: &Item<'_, RuleDef>,
    domains: &[Domain],
    metrics: &[Metric],
    scripts: &Scripts<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Rule> {
    let def = item.def;
    let reads_alarms = def.sequence.is_some() || def.cluster.is_some();
    let domain = domains.iter().find(|d| d.id.as_str() == def.domain);
    if domain.is_none() {
        diagnostics.push(
            item.error(
                Code::UnknownDomain,
                "domain",
                format!("unknown domain `{}`", def.domain),
            )
            .with_hint(suggest(
                &def.domain,
                domains.iter().map(|d| d.id.as_str()),
                "domains",
            )),
        );
    }
    let metric_name = def.metric.as_deref().unwrap_or_default();
    let metric = metrics.iter().find(|m| m.id.as_str() == metric_name);
    match (metric, domain) {
        _ if reads_alarms && def.metric.is_some() => {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    "metric",
                    "a sequence or cluster rule reads alarms, not a metric",
                )
                .with_hint("remove `metric`; the alarms it matches name their own"),
            );
        }
        _ if reads_alarms => {}
        (None, _) if def.metric.is_none() => {
            diagnostics.push(item.error(Code::MissingKey, "id", "rule has no `metric`"));
        }
        (None, _) => {
            let in_domain = metrics
                .iter()
                .filter(|m| domain.is_none_or(|d| m.domain == d.id))
                .map(|m| m.id.as_str());
            diagnostics.push(
                item.error(
                    Code::UnknownMetric,
                    "metric",
                    format!("unknown metric `{metric_name}`"),
                )
                .with_hint(suggest(metric_name, in_domain, "metrics")),
            );
        }
        (Some(metric), Some(domain)) if metric.domain != domain.id => {
            diagnostics.push(
                item.error(
                    Code::UnknownMetric,
                    "metric",
                    format!("metric `{metric_name}` is not in domain `{}`", def.domain),
                )
                .with_hint(format!("it belongs to domain `{}`", metric.domain)),
            );
        }
        _ => {}
    }
    if let Some(domain) = domain {
        for (i, object) in def.objects.iter().enumerate() {
            if !domain.objects.contains(object) {
                diagnostics.push(
                    item.error(
                        Code::UnknownObjectKind,
                        &format!("objects[{i}]"),
                        format!("domain `{}` has no object kind `{object}`", domain.id),
                    )
                    .with_hint(suggest(
                        object,
                        domain.objects.iter().map(String::as_str),
                        "object kinds",
                    )),
                );
            }
        }
    }
    if def.hazard.trim().is_empty() {
        diagnostics.push(item.error(Code::BadValue, "hazard", "`hazard` is empty"));
    }
    let kinds = usize::from(def.threshold.is_some())
        + usize::from(def.rate.is_some())
        + usize::from(def.dual_control.is_some())
        + usize::from(def.script.is_some())
        + usize::from(def.sequence.is_some())
        + usize::from(def.cluster.is_some());
    if kinds != 1 {
        const KINDS: &str = "`threshold`, `rate`, `dual_control`, `script`, `sequence`, `cluster`";
        let (code, message) = if kinds == 0 {
            (Code::MissingKey, format!("rule has none of {KINDS}"))
        } else {
            (Code::BadValue, format!("rule has more than one of {KINDS}"))
        };
        diagnostics.push(
            item.error(code, "id", message)
                .with_hint("give exactly one; write two rules for two checks"),
        );
        return None;
    }
    if reads_alarms {
        let kind = if let Some(sequence) = &def.sequence {
            composite::sequence(item, sequence, diagnostics)?
        } else {
            composite::cluster(item, def.cluster.as_ref()?, diagnostics)?
        };
        let clear = composite_clear(item, def.clear.as_ref(), diagnostics);
        return Some(Rule {
            metric: None,
            ..shell(def, kind, clear)
        });
    }
    let metric = metric?;
    let kind = if let Some(script) = &def.script {
        composite::script(item, script, scripts, diagnostics)?
    } else if let Some(threshold) = &def.threshold {
        threshold_kind(item, threshold, metric, diagnostics)
    } else if let Some(rate) = &def.rate {
        RuleKind::Rate(rate_spec(item, "rate", rate, diagnostics))
    } else if let Some(dual) = &def.dual_control {
        dual_kind(item, dual, metric, diagnostics)
    } else {
        return None;
    };
    let clear = clear_policy(item, def.clear.as_ref(), metric, diagnostics);
    if clear.margin.is_finite() && clear.margin >= 0.0 {
        check_meaning(item, &kind, metric, clear.margin, diagnostics);
    }
    Some(Rule {
        metric: Some(metric.id.clone()),
        ..shell(def, kind, clear)
    })
}

/// Thresholds against the metric's valid range and whether each level can clear (`meaning`).
fn check_meaning(
    item: &Item<'_, RuleDef>,
    kind: &RuleKind,
    metric: &Metric,
    margin: f64,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (own, key) = match kind {
        RuleKind::Threshold { ladder, .. } => (ladder.as_ref(), "threshold.levels"),
        RuleKind::DualControl { cumulative, .. } => {
            (cumulative.as_ref(), "dual_control.cumulative.levels")
        }
        _ => return,
    };
    match (own, metric.default_ladder.as_ref()) {
        (Some(ladder), _) => {
            meaning::check_ladder(item, Some(key), ladder, metric, margin, diagnostics);
        }
        (None, Some(ladder)) => {
            meaning::check_ladder(item, None, ladder, metric, margin, diagnostics);
        }
        (None, None) => {}
    }
}

/// A rule with everything but its metric taken from `def`.
fn shell(def: &RuleDef, kind: RuleKind, clear: ClearPolicy) -> Rule {
    Rule {
        id: RuleId::new(def.id.as_str()),
        domain: DomainId::new(def.domain.as_str()),
        hazard: HazardId::new(def.hazard.as_str()),
        metric: None,
        objects: def.objects.clone(),
        kind,
        clear,
        description: def.description.clone().unwrap_or_default(),
        basis: def.basis.clone(),
        shadow: def.shadow,
    }
}

/// `clear:` of a sequence or cluster rule: no margin (it has no value), `after` default zero
/// (the alarms it reads already have their own hysteresis).
fn composite_clear(
    item: &Item<'_, RuleDef>,
    def: Option<&ClearDef>,
    diagnostics: &mut Vec<Diagnostic>,
) -> ClearPolicy {
    if def.is_some_and(|c| c.margin.is_some()) {
        diagnostics.push(item.error(
            Code::BadValue,
            "clear.margin",
            "a sequence or cluster rule has no value to keep a margin from",
        ));
    }
    let after = def
        .and_then(|c| c.after.as_ref())
        .and_then(|text| ladder::duration(item, "clear.after", text, diagnostics))
        .unwrap_or(Duration::ZERO);
    ClearPolicy { margin: 0.0, after }
}

/// The direction a ladder on `metric`'s values takes when the author does not say.
fn default_direction(metric: &Metric) -> Direction {
    metric
        .default_ladder
        .map_or(Direction::Above, |ladder| ladder.direction)
}

fn threshold_kind(
    item: &Item<'_, RuleDef>,
    def: &ThresholdDef,
    metric: &Metric,
    diagnostics: &mut Vec<Diagnostic>,
) -> RuleKind {
    let ladder = match &def.levels {
        Some(levels) => {
            let direction = def
                .direction
                .map_or(default_direction(metric), ladder::direction);
            Some(ladder::levels(
                item,
                "threshold.levels",
                levels,
                direction,
                diagnostics,
            ))
        }
        None => {
            if def.direction.is_some() {
                diagnostics.push(
                    item.error(
                        Code::BadValue,
                        "threshold.direction",
                        "`direction` without `levels`",
                    )
                    .with_hint("the metric's default ladder keeps its own direction"),
                );
            }
            if metric.default_ladder.is_none() {
                diagnostics.push(
                    item.error(
                        Code::MissingKey,
                        "threshold",
                        format!(
                            "no `levels`, and metric `{}` has no default ladder",
                            metric.id
                        ),
                    )
                    .with_hint("add `levels: {blue: .., red: ..}` or a `ladder` to the metric"),
                );
            }
            None
        }
    };
    RuleKind::Threshold {
        ladder,
        persistence: persistence(item, def, diagnostics),
    }
}

/// Per-level persistence from `for` and `count`.
fn persistence(
    item: &Item<'_, RuleDef>,
    def: &ThresholdDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> [Persistence; 4] {
    let mut levels = [Persistence::Immediate; 4];
    let mut has_for = [false; 4];
    match &def.hold_for {
        Some(ForDef::All(text)) => {
            if let Some(d) = ladder::duration(item, "threshold.for", text, diagnostics) {
                levels = [hold(d); 4];
            }
            has_for = [true; 4];
        }
        Some(ForDef::PerLevel(per)) => {
            for (level, text) in
                Level::ALL
                    .into_iter()
                    .zip([&per.blue, &per.yellow, &per.orange, &per.red])
            {
                let Some(text) = text else { continue };
                has_for[level.index()] = true;
                let key = format!("threshold.for.{level}");
                if let Some(d) = ladder::duration(item, &key, text, diagnostics) {
                    levels[level.index()] = hold(d);
                }
            }
        }
        None => {}
    }
    if let Some(count) = &def.count {
        apply_count(item, count, &has_for, &mut levels, diagnostics);
    }
    levels
}

/// `for: 0s` is the same as no `for`.
fn hold(duration: Duration) -> Persistence {
    if duration.is_zero() {
        Persistence::Immediate
    } else {
        Persistence::For(duration)
    }
}

fn apply_count(
    item: &Item<'_, RuleDef>,
    count: &CountDef,
    has_for: &[bool; 4],
    levels: &mut [Persistence; 4],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if count.n == 0 || count.n > count.of || count.of > MAX_COUNT_WINDOW {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "threshold.count",
                format!(
                    "`count: {{n: {}, of: {}}}` is not possible",
                    count.n, count.of
                ),
            )
            .with_hint(format!(
                "need 1 <= n <= of <= {MAX_COUNT_WINDOW} (n of the last `of` readings)"
            )),
        );
        return;
    }
    let targets: Vec<Level> = match &count.levels {
        Some(named) => named.iter().map(|l| ladder::level(*l)).collect(),
        None => Level::ALL
            .into_iter()
            .filter(|l| !has_for[l.index()])
            .collect(),
    };
    if targets.is_empty() {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "threshold.count",
                "`count` applies to no level: `for` already covers every level",
            )
            .with_hint(
                "give `for` per level, or name the levels: `count: {n: 3, of: 5, levels: [blue]}`",
            ),
        );
    }
    for level in targets {
        if has_for[level.index()] {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    "threshold.count",
                    format!("level `{level}` has both `for` and `count`"),
                )
                .with_hint("each level takes one kind of persistence"),
            );
        } else {
            levels[level.index()] = Persistence::Count {
                n: count.n,
                m: count.of,
            };
        }
    }
}

/// A rate part at `key` (`rate` or `dual_control.rate`).
fn rate_spec(
    item: &Item<'_, RuleDef>,
    key: &str,
    def: &RateDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> RateSpec {
    let window =
        ladder::positive_duration(item, &format!("{key}.window"), &def.window, diagnostics);
    let per = ladder::positive_duration(item, &format!("{key}.per"), &def.per, diagnostics);
    let direction = def.direction.map_or(Direction::Above, ladder::direction);
    let ladder = ladder::levels(
        item,
        &format!("{key}.levels"),
        &def.levels,
        direction,
        diagnostics,
    );
    RateSpec {
        window: window.unwrap_or(Duration::from_secs(60)),
        per: per.unwrap_or(Duration::from_secs(60)),
        ladder,
    }
}

fn dual_kind(
    item: &Item<'_, RuleDef>,
    def: &DualControlDef,
    metric: &Metric,
    diagnostics: &mut Vec<Diagnostic>,
) -> RuleKind {
    let cumulative = match &def.cumulative {
        Some(ladder_def) => Some(ladder::ladder_def(
            item,
            "dual_control.cumulative",
            ladder_def,
            default_direction(metric),
            diagnostics,
        )),
        None => {
            if metric.default_ladder.is_none() {
                diagnostics.push(item.error(
                    Code::MissingKey,
                    "dual_control",
                    format!(
                        "no `cumulative` ladder, and metric `{}` has no default ladder",
                        metric.id
                    ),
                ));
            }
            None
        }
    };
    let combine = match def.combine {
        Some(crate::config::raw::CombineDef::Any) => Combine::Any,
        _ => Combine::All,
    };
    RuleKind::DualControl {
        cumulative,
        rate: rate_spec(item, "dual_control.rate", &def.rate, diagnostics),
        combine,
    }
}

/// `clear:`; defaults: margin 0, after one reporting interval of the metric.
fn clear_policy(
    item: &Item<'_, RuleDef>,
    def: Option<&ClearDef>,
    metric: &Metric,
    diagnostics: &mut Vec<Diagnostic>,
) -> ClearPolicy {
    let margin = def.and_then(|c| c.margin).unwrap_or(0.0);
    if !margin.is_finite() || margin < 0.0 {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "clear.margin",
                format!("clear margin {margin} must be zero or more"),
            )
            .with_hint("the margin is how far back past the threshold counts as clear"),
        );
    }
    let after = def
        .and_then(|c| c.after.as_ref())
        .and_then(|text| ladder::duration(item, "clear.after", text, diagnostics))
        .unwrap_or(metric.reporting_interval);
    ClearPolicy { margin, after }
}
