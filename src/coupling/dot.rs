//! The coupling graph as Graphviz DOT, for `tocsin graph`: one cluster per domain holding its
//! assets, one arrow per edge labelled with its relation (derived edges dashed, with the link
//! that derived them and the distance), and the cascade rules as a comment block at the end.
//!
//! The output is sorted (domains, assets and edges by id) so it only changes when the
//! configuration does: reviewers can diff it and tests can compare it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{Asset, AssetFilter, Cascade, Edge, EdgeOrigin, Generation};

/// Renders the generation's assets, edges and cascades as a DOT digraph.
pub fn render(generation: &Generation) -> String {
    let mut out = String::new();
    out.push_str("// Tocsin coupling graph: assets by domain, typed relations (dashed: derived by a spatial link)\n");
    let _ = writeln!(out, "// generation {}", generation.id);
    out.push_str("digraph coupling {\n");
    out.push_str("    graph [rankdir=LR, fontname=\"sans-serif\"];\n");
    out.push_str("    node [shape=box, fontname=\"sans-serif\"];\n");
    out.push_str("    edge [fontname=\"sans-serif\", fontsize=10];\n");
    render_clusters(generation, &mut out);
    render_edges(generation, &mut out);
    render_cascades(&generation.cascades, &mut out);
    out.push_str("}\n");
    out
}

/// One `subgraph cluster_<domain>` per domain that has assets, assets sorted by id.
fn render_clusters(generation: &Generation, out: &mut String) {
    let mut by_domain: BTreeMap<&str, Vec<&Asset>> = BTreeMap::new();
    for asset in &generation.assets {
        by_domain
            .entry(asset.domain.as_str())
            .or_default()
            .push(asset);
    }
    for (domain, mut assets) in by_domain {
        assets.sort_by(|a, b| a.id.cmp(&b.id));
        let label = match generation.domain(domain) {
            Some(d) if !d.name.is_empty() => format!("{} ({domain})", d.name),
            _ => domain.to_owned(),
        };
        let _ = writeln!(out, "    subgraph {} {{", id(&format!("cluster_{domain}")));
        let _ = writeln!(out, "        label={};", quoted(&label));
        for asset in assets {
            let text = format!(
                "{}\n{}\n{} / {}",
                asset.id, asset.name, asset.domain, asset.kind
            );
            let _ = writeln!(
                out,
                "        {} [label={}];",
                id(asset.id.as_str()),
                quoted(&text)
            );
        }
        out.push_str("    }\n");
    }
}

/// Edges sorted by (from id, to id, relation, declared before derived, link id).
fn render_edges(generation: &Generation, out: &mut String) {
    let name = |ix: u32| generation.assets.get(ix as usize).map(|a| a.id.as_str());
    let mut edges: Vec<(&str, &str, &Edge)> = generation
        .edges
        .iter()
        .filter_map(|e| Some((name(e.from.0)?, name(e.to.0)?, e)))
        .collect();
    edges.sort_by(|a, b| {
        (a.0, a.1, a.2.relation, origin_key(&a.2.origin)).cmp(&(
            b.0,
            b.1,
            b.2.relation,
            origin_key(&b.2.origin),
        ))
    });
    for (from, to, edge) in edges {
        let attributes = match &edge.origin {
            EdgeOrigin::Declared => format!("label={}", quoted(edge.relation.as_str())),
            EdgeOrigin::Derived(link) => {
                let mut label = format!("{}\n{link}", edge.relation);
                if let Some(d) = edge.distance_m {
                    let _ = write!(label, ", {d:.0} m");
                }
                format!("label={}, style=dashed", quoted(&label))
            }
        };
        let _ = writeln!(out, "    {} -> {} [{attributes}];", id(from), id(to));
    }
}

/// Declared edges sort before derived ones, derived ones by link id.
fn origin_key(origin: &EdgeOrigin) -> (u8, &str) {
    match origin {
        EdgeOrigin::Declared => (0, ""),
        EdgeOrigin::Derived(link) => (1, link.as_str()),
    }
}

/// The cascade rules, one comment line each, in id order.
fn render_cascades(cascades: &[Cascade], out: &mut String) {
    if cascades.is_empty() {
        return;
    }
    out.push_str(
        "    // cascades: when the upstream hazard reaches the level on an asset, the downstream\n",
    );
    out.push_str(
        "    // hazard's likelihood is raised on the assets reached along the relations\n",
    );
    let mut sorted: Vec<&Cascade> = cascades.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for cascade in sorted {
        let through: Vec<&str> = cascade.through.iter().map(|r| r.as_str()).collect();
        let line = format!(
            "{}: {} >= {} on {} -> {} on {} via {} within {} hop{}, likelihood +{}{}",
            cascade.id,
            cascade.from.hazard,
            cascade.from.min_level,
            assets(&cascade.from.assets),
            cascade.to.hazard,
            assets(&cascade.to.assets),
            through.join(", "),
            cascade.hops,
            if cascade.hops == 1 { "" } else { "s" },
            cascade.raise_likelihood,
            if cascade.description.is_empty() {
                String::new()
            } else {
                format!(" ({})", cascade.description)
            }
        );
        let _ = writeln!(out, "    // {}", one_line(&line));
    }
}

/// `domain[kind, kind]`, `domain` (every kind) or `any asset`.
fn assets(filter: &AssetFilter) -> String {
    let domain = filter.domain.as_ref().map_or("any", |d| d.as_str());
    match (filter.domain.is_some(), filter.kinds.is_empty()) {
        (false, true) => "any asset".to_owned(),
        (true, true) => domain.to_owned(),
        _ => format!("{domain}[{}]", filter.kinds.join(", ")),
    }
}

/// Text safe inside a `//` comment: line breaks become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect()
}

/// A DOT id: bare when it is a plain identifier, quoted otherwise.
fn id(text: &str) -> String {
    let mut chars = text.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let keyword = ["graph", "digraph", "subgraph", "node", "edge", "strict"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(text));
    if plain && !keyword {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// A DOT double-quoted string; a line break becomes DOT's `\n` (a centred line in labels).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupling::testkit::{asset, cascade, declared, filter, generation};
    use crate::model::{AssetIx, Relation};

    fn city() -> Generation {
        let assets = vec![
            asset("wm-1", "water_supply", "trunk_main", None),
            asset("road-1", "roads", "segment", None),
            asset("main-1", "city_gas", "main_segment", None),
            asset("well \"7\"", "city_gas", "adjacent_space", None),
        ];
        let derived = Edge {
            from: AssetIx(2),
            to: AssetIx(3),
            relation: Relation::AdjacentTo,
            origin: EdgeOrigin::Derived("gas_to_wells".to_owned()),
            distance_m: Some(31.6),
        };
        let edges = vec![
            derived,
            declared(0, 1, Relation::Undermines),
            declared(0, 9, Relation::Near),
        ];
        let cascades = vec![cascade(
            "C4_water_burst_to_road_collapse",
            filter(Some("water_supply"), &[]),
            &[Relation::Undermines, Relation::Near],
            1,
            filter(Some("roads"), &["segment"]),
        )];
        generation(assets, edges, cascades)
    }

    #[test]
    fn renders_clusters_edges_and_cascades_in_order() {
        let generation = city();
        let dot = render(&generation);
        let expected = format!(
            "\
// Tocsin coupling graph: assets by domain, typed relations (dashed: derived by a spatial link)
// generation {}
digraph coupling {{
    graph [rankdir=LR, fontname=\"sans-serif\"];
    node [shape=box, fontname=\"sans-serif\"];
    edge [fontname=\"sans-serif\", fontsize=10];
    subgraph cluster_city_gas {{
        label=\"city_gas\";
        \"main-1\" [label=\"main-1\\nAsset main-1\\ncity_gas / main_segment\"];
        \"well \\\"7\\\"\" [label=\"well \\\"7\\\"\\nAsset well \\\"7\\\"\\ncity_gas / adjacent_space\"];
    }}
    subgraph cluster_roads {{
        label=\"roads\";
        \"road-1\" [label=\"road-1\\nAsset road-1\\nroads / segment\"];
    }}
    subgraph cluster_water_supply {{
        label=\"water_supply\";
        \"wm-1\" [label=\"wm-1\\nAsset wm-1\\nwater_supply / trunk_main\"];
    }}
    \"main-1\" -> \"well \\\"7\\\"\" [label=\"adjacent_to\\ngas_to_wells, 32 m\", style=dashed];
    \"wm-1\" -> \"road-1\" [label=\"undermines\"];
    // cascades: when the upstream hazard reaches the level on an asset, the downstream
    // hazard's likelihood is raised on the assets reached along the relations
    // C4_water_burst_to_road_collapse: upstream_hazard >= orange on water_supply -> downstream_hazard on roads[segment] via undermines, near within 1 hop, likelihood +2 (C4_water_burst_to_road_collapse raises the downstream likelihood)
}}
",
            generation.id
        );
        assert_eq!(dot, expected);
        assert_eq!(dot, render(&generation), "deterministic");
    }

    #[test]
    fn ids_are_quoted_only_when_needed() {
        assert_eq!(id("city_gas"), "city_gas");
        assert_eq!(id("_x9"), "_x9");
        assert_eq!(id("well-1"), "\"well-1\"");
        assert_eq!(id("9a"), "\"9a\"");
        assert_eq!(id("Node"), "\"Node\"");
        assert_eq!(id(""), "\"\"");
        assert_eq!(id("井-1"), "\"井-1\"");
        assert_eq!(quoted("a\\b\r\nc"), "\"a\\\\b\\nc\"");
        assert_eq!(one_line("a\nb\rc"), "a b c");
    }

    #[test]
    fn filters_read_as_text() {
        assert_eq!(assets(&filter(None, &[])), "any asset");
        assert_eq!(assets(&filter(Some("city_gas"), &[])), "city_gas");
        assert_eq!(
            assets(&filter(Some("city_gas"), &["main_segment", "station"])),
            "city_gas[main_segment, station]"
        );
        assert_eq!(assets(&filter(None, &["segment"])), "any[segment]");
    }

    #[test]
    fn an_empty_generation_is_an_empty_digraph() {
        let dot = render(&generation(Vec::new(), Vec::new(), Vec::new()));
        assert!(dot.contains("digraph coupling {\n"));
        assert!(
            dot.ends_with("edge [fontname=\"sans-serif\", fontsize=10];\n}\n"),
            "{dot}"
        );
        assert!(!dot.contains("subgraph"));
        assert!(!dot.contains("->"));
    }
}
