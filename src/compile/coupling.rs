//! The coupling part of a configuration: declared edges and sensitive receptors (`city/`),
//! spatial links that derive edges, and cascade rules (`rules/`). References to assets, domains,
//! object kinds and hazards are resolved here; derived edges come from `crate::coupling`.

use super::city::geo_point;
use super::composite::{hops, level, relation};
use super::item::{Item, suggest};
use crate::config::raw::{AssetFilterDef, CascadeDef, EdgeDef, LinkDef, ReceptorDef};
use crate::config::{Code, Diagnostic};
use crate::model::{
    Asset, AssetFilter, AssetIx, Cascade, CascadeSource, CascadeTarget, Domain, DomainId, Edge,
    EdgeOrigin, HazardId, Receptor, ReceptorKind, Rule, SpatialLink,
};

/// Most likelihood steps one cascade may add (1 + 4 reaches the top grade).
const MAX_RAISE: u8 = 4;

/// Declared edges between registered assets.
pub(super) fn edges(
    items: &[Item<'_, EdgeDef>],
    assets: &[Asset],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Edge> {
    let position = |item: &Item<'_, EdgeDef>, key: &str, id: &str, d: &mut Vec<Diagnostic>| {
        let found = assets.iter().position(|a| a.id.as_str() == id);
        if found.is_none() {
            d.push(
                item.error(Code::UnknownAsset, key, format!("unknown asset `{id}`"))
                    .with_hint(suggest(id, assets.iter().map(|a| a.id.as_str()), "assets")),
            );
        }
        found.map(|i| AssetIx(i as u32))
    };
    let mut out = Vec::new();
    for item in items {
        let def = item.def;
        let from = position(item, "from", &def.from, diagnostics);
        let to = position(item, "to", &def.to, diagnostics);
        let relation = relation(item, "relation", &def.relation, diagnostics);
        let (Some(from), Some(to), Some(relation)) = (from, to, relation) else {
            continue;
        };
        if from == to {
            diagnostics.push(item.error(
                Code::BadValue,
                "to",
                format!("edge from `{}` to itself", def.from),
            ));
            continue;
        }
        let (a, b) = (&assets[from.0 as usize], &assets[to.0 as usize]);
        let distance_m = a
            .location
            .zip(b.location)
            .map(|(a, b)| crate::coupling::spatial::distance_m(a, b));
        out.push(Edge {
            from,
            to,
            relation,
            origin: EdgeOrigin::Declared,
            distance_m,
        });
    }
    out
}

/// Sensitive receptors.
pub(super) fn receptors(
    items: &[Item<'_, ReceptorDef>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Receptor> {
    items
        .iter()
        .filter_map(|item| {
            let def = item.def;
            let kind = receptor_kind(item, "kind", &def.kind, diagnostics);
            let location = geo_point(item, "location", def.location, diagnostics);
            Some(Receptor {
                id: def.id.clone(),
                name: def.name.clone(),
                kind: kind?,
                location,
            })
        })
        .collect()
}

/// A receptor kind at `key`, with a suggestion when unknown.
pub(super) fn receptor_kind<T>(
    item: &Item<'_, T>,
    key: &str,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ReceptorKind> {
    let kind = ReceptorKind::parse(name);
    if kind.is_none() {
        diagnostics.push(
            item.error(
                Code::UnknownRelation,
                key,
                format!("unknown receptor kind `{name}`"),
            )
            .with_hint(suggest(
                name,
                ReceptorKind::ALL.iter().map(|k| k.as_str()),
                "receptor kinds",
            )),
        );
    }
    kind
}

/// An asset filter at `key`: the domain must exist and the kinds must be its object kinds.
fn filter<T>(
    item: &Item<'_, T>,
    key: &str,
    domain: Option<&str>,
    kinds: &[String],
    domains: &[Domain],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AssetFilter> {
    let Some(name) = domain else {
        return Some(AssetFilter {
            domain: None,
            kinds: kinds.to_vec(),
        });
    };
    let Some(domain) = domains.iter().find(|d| d.id.as_str() == name) else {
        diagnostics.push(
            item.error(
                Code::UnknownDomain,
                &format!("{key}.domain"),
                format!("unknown domain `{name}`"),
            )
            .with_hint(suggest(
                name,
                domains.iter().map(|d| d.id.as_str()),
                "domains",
            )),
        );
        return None;
    };
    let mut ok = true;
    for (i, kind) in kinds.iter().enumerate() {
        if !domain.objects.contains(kind) {
            ok = false;
            diagnostics.push(
                item.error(
                    Code::UnknownObjectKind,
                    &format!("{key}.kinds[{i}]"),
                    format!("domain `{name}` has no object kind `{kind}`"),
                )
                .with_hint(suggest(
                    kind,
                    domain.objects.iter().map(String::as_str),
                    "object kinds",
                )),
            );
        }
    }
    ok.then(|| AssetFilter {
        domain: Some(DomainId::new(name)),
        kinds: kinds.to_vec(),
    })
}

fn asset_filter<T>(
    item: &Item<'_, T>,
    key: &str,
    def: &AssetFilterDef,
    domains: &[Domain],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AssetFilter> {
    filter(
        item,
        key,
        def.domain.as_deref(),
        &def.kinds,
        domains,
        diagnostics,
    )
}

/// Spatial links.
pub(super) fn links(
    items: &[Item<'_, LinkDef>],
    domains: &[Domain],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<SpatialLink> {
    items
        .iter()
        .filter_map(|item| {
            let def = item.def;
            let relation = relation(item, "relation", &def.relation, diagnostics);
            let from = asset_filter(item, "from", &def.from, domains, diagnostics);
            let to = asset_filter(item, "to", &def.to, domains, diagnostics);
            if !(def.within_m.is_finite() && def.within_m > 0.0 && def.within_m <= 10_000.0) {
                diagnostics.push(
                    item.error(
                        Code::BadValue,
                        "within_m",
                        format!(
                            "link distance must be 0 to 10000 metres, found {}",
                            def.within_m
                        ),
                    )
                    .with_hint(
                        "spatial links join assets a few metres to a few hundred metres apart",
                    ),
                );
                return None;
            }
            Some(SpatialLink {
                id: def.id.clone(),
                relation: relation?,
                from: from?,
                to: to?,
                within_m: def.within_m,
            })
        })
        .collect()
}

/// Cascade rules; their hazards must be raised by some rule or reached by another cascade.
pub(super) fn cascades(
    items: &[Item<'_, CascadeDef>],
    domains: &[Domain],
    rules: &[Rule],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Cascade> {
    let compiled: Vec<Option<Cascade>> = items
        .iter()
        .map(|item| cascade(item, domains, diagnostics))
        .collect();
    // an upstream hazard must be able to have a warning: raised by a rule or by another cascade
    let reachable = |hazard: &HazardId| {
        rules.iter().any(|r| &r.hazard == hazard)
            || compiled.iter().flatten().any(|c| &c.to.hazard == hazard)
    };
    for (item, cascade) in items.iter().zip(&compiled) {
        if let Some(cascade) = cascade
            && !reachable(&cascade.from.hazard)
        {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    "from.hazard",
                    format!("no rule or cascade raises hazard `{}`", cascade.from.hazard),
                )
                .with_hint(suggest(
                    cascade.from.hazard.as_str(),
                    rules
                        .iter()
                        .map(|r| r.hazard.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter(),
                    "hazards",
                )),
            );
        }
    }
    compiled.into_iter().flatten().collect()
}

fn cascade(
    item: &Item<'_, CascadeDef>,
    domains: &[Domain],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Cascade> {
    let def = item.def;
    let from = filter(
        item,
        "from",
        def.from.domain.as_deref(),
        &def.from.kinds,
        domains,
        diagnostics,
    );
    let to = filter(
        item,
        "to",
        def.to.domain.as_deref(),
        &def.to.kinds,
        domains,
        diagnostics,
    );
    let through: Vec<_> = def
        .through
        .iter()
        .enumerate()
        .map(|(i, name)| relation(item, &format!("through[{i}]"), name, diagnostics))
        .collect();
    if def.through.is_empty() {
        diagnostics.push(item.error(Code::MissingKey, "through", "`through` names no relation"));
    }
    let hops = hops(item, "hops", def.hops, diagnostics);
    if !(1..=MAX_RAISE).contains(&def.raise_likelihood) {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "raise_likelihood",
                format!(
                    "raise_likelihood must be 1 to {MAX_RAISE}, found {}",
                    def.raise_likelihood
                ),
            )
            .with_hint("likelihood is graded 1 to 5; an asset with no alarm starts at 1"),
        );
        return None;
    }
    for (key, hazard) in [
        ("from.hazard", &def.from.hazard),
        ("to.hazard", &def.to.hazard),
    ] {
        if hazard.trim().is_empty() {
            diagnostics.push(item.error(Code::BadValue, key, "hazard is empty"));
            return None;
        }
    }
    let through: Option<Vec<_>> = through.into_iter().collect();
    Some(Cascade {
        id: def.id.clone(),
        from: CascadeSource {
            hazard: HazardId::new(def.from.hazard.as_str()),
            assets: from?,
            min_level: level(def.from.min_level),
        },
        through: through?,
        hops: hops?,
        to: CascadeTarget {
            hazard: HazardId::new(def.to.hazard.as_str()),
            assets: to?,
        },
        raise_likelihood: def.raise_likelihood,
        description: def.description.clone().unwrap_or_default(),
        basis: def.basis.clone(),
    })
}
