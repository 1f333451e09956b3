//! Domains and their metrics: units, valid ranges, reporting intervals, default ladders, lead
//! departments. Metric ids are unique across all domains of a generation.

use std::collections::HashMap;
use std::time::Duration;

use super::item::{Item, known_department};
use super::ladder;
use crate::config::raw::{DomainDoc, MetricDef};
use crate::config::{Code, Diagnostic};
use crate::model::{Department, DepartmentId, Direction, Domain, DomainId, Metric, MetricId};

/// Missed reporting intervals before a sensor is offline, when a metric does not say.
const DEFAULT_OFFLINE_AFTER: u32 = 3;

/// Compiles domains (already layered) into domains and the metrics of all of them.
pub(super) fn domains(
    docs: &[Item<'_, DomainDoc>],
    departments: &[Department],
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Domain>, Vec<Metric>) {
    let mut domains = Vec::new();
    let mut metrics: Vec<Metric> = Vec::new();
    let mut metric_places: HashMap<String, String> = HashMap::new();
    for item in docs {
        let def = item.def;
        for (key, id) in std::iter::once(("lead_department".to_owned(), &def.lead_department))
            .chain(
                def.co_departments
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (format!("co_departments[{i}]"), id)),
            )
        {
            known_department(item, &key, id, departments, diagnostics);
        }
        let mut metric_ids = Vec::new();
        for (i, metric_def) in def.metrics.iter().enumerate() {
            let metric_item = Item::new(
                metric_def.id.clone(),
                item.doc,
                format!("metrics[{i}]"),
                metric_def,
            );
            if let Some(first) = metric_places.get(&metric_def.id) {
                diagnostics.push(
                    metric_item
                        .error(
                            Code::DuplicateId,
                            "id",
                            format!("duplicate metric id `{}`", metric_def.id),
                        )
                        .with_hint(format!("first defined at {first}")),
                );
                continue;
            }
            metric_places.insert(metric_def.id.clone(), metric_item.place("id"));
            let metric = metric(&metric_item, &def.id, diagnostics);
            metric_ids.push(metric.id.clone());
            metrics.push(metric);
        }
        let authority = &def.issuing_authority;
        domains.push(Domain {
            id: DomainId::new(def.id.as_str()),
            name: def.name.clone(),
            name_cn: def.name_cn.clone(),
            lead_department: DepartmentId::new(def.lead_department.as_str()),
            co_departments: def
                .co_departments
                .iter()
                .map(|id| DepartmentId::new(id.as_str()))
                .collect(),
            issuing_authority: [
                authority.blue.clone(),
                authority.yellow.clone(),
                authority.orange.clone(),
                authority.red.clone(),
            ],
            objects: def.objects.clone(),
            metrics: metric_ids,
            grading: def
                .grading
                .as_ref()
                .and_then(|g| super::grading::grading(item, g, diagnostics)),
        });
    }
    (domains, metrics)
}

/// One metric; built even when it has problems (they are in `diagnostics`, and the generation
/// will not be built), so that rules naming it do not report it as unknown.
fn metric(item: &Item<'_, MetricDef>, domain: &str, diagnostics: &mut Vec<Diagnostic>) -> Metric {
    let def = item.def;
    let unit = ladder::unit(item, "unit", &def.unit, diagnostics);
    let [lo, hi] = def.valid_range;
    let range_ok = lo.is_finite() && hi.is_finite() && lo < hi;
    if !range_ok {
        diagnostics.push(
            item.error(
                Code::BadRange,
                "valid_range",
                format!("valid range [{lo}, {hi}] is empty"),
            )
            .with_hint("write `[low, high]` with low below high"),
        );
    }
    let interval = ladder::positive_duration(
        item,
        "reporting_interval",
        &def.reporting_interval,
        diagnostics,
    );
    let offline_after = def.offline_after.unwrap_or(DEFAULT_OFFLINE_AFTER);
    if offline_after == 0 {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "offline_after",
                "`offline_after` must be at least 1 reporting interval",
            )
            .with_hint("the default is 3"),
        );
    }
    let default_ladder = def.ladder.as_ref().map(|ladder_def| {
        ladder::ladder_def(item, "ladder", ladder_def, Direction::Above, diagnostics)
    });
    Metric {
        id: MetricId::new(def.id.as_str()),
        domain: DomainId::new(domain),
        name: def.name.clone(),
        unit: unit.unwrap_or(""),
        valid_range: (lo, hi),
        reporting_interval: interval.unwrap_or(Duration::from_secs(600)),
        offline_after_intervals: offline_after,
        default_ladder,
        basis: def.basis.clone(),
    }
}
