//! Cascade planning (次生衍生链): for every asset, the (cascade, target) pairs a warning on it
//! can raise, worked out once per generation so the engine never walks the graph when a warning
//! moves; it looks the source up and gets a slice.
//!
//! Trade-off: the plan holds every candidate link, whether or not a warning ever arrives, in one
//! compressed-sparse-row table (offsets per source asset, then one flat `Vec`). That costs a few
//! bytes per link and one graph walk per (source asset, admitting cascade) at reload, and makes
//! the lookup on the warning path a bounds check. The engine still checks the hazard and the
//! level, and bounds chains of cascades by `MAX_CASCADE_DEPTH` with its own visited set.

use super::graph::{CouplingGraph, Scratch};
use crate::model::{AssetIx, Generation};

/// One place a warning on a source asset can cascade to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CascadeLink {
    /// The cascade rule: a position in `Generation::cascades`.
    pub cascade: u32,
    /// The downstream asset whose `to.hazard` likelihood is raised.
    pub target: AssetIx,
    /// Edges between the source and the target (1..=the cascade's `hops`).
    pub hops: u8,
}

/// Every [`CascadeLink`] of a generation, by source asset.
#[derive(Clone, Debug, Default)]
pub struct CascadePlan {
    /// `links[offsets[i]..offsets[i + 1]]` are the links of `AssetIx(i)`; one more entry than
    /// there are assets.
    offsets: Vec<usize>,
    /// All links, grouped by source asset; within a source by cascade position, then hops, then
    /// target position.
    links: Vec<CascadeLink>,
}

impl CascadePlan {
    /// For every asset and every cascade whose `from.assets` admits it: each asset reachable
    /// through the cascade's `through` relations (in edge direction) within its `hops` that
    /// `to.assets` admits. The source itself is never a target.
    pub fn plan(generation: &Generation, graph: &CouplingGraph) -> CascadePlan {
        let mut offsets = Vec::with_capacity(generation.assets.len() + 1);
        let mut links = Vec::new();
        offsets.push(0);
        let mut scratch = Scratch::default();
        let mut reached = Vec::new();
        for (i, source) in generation.assets.iter().enumerate() {
            for (c, cascade) in generation.cascades.iter().enumerate() {
                if !cascade.from.assets.admits(&source.domain, &source.kind) {
                    continue;
                }
                let asset = AssetIx(i as u32);
                let (through, hops) = (&cascade.through, cascade.hops);
                graph.reachable_into(asset, through, hops, &mut scratch, &mut reached);
                links.extend(reached.iter().filter_map(|n| {
                    let target = generation.assets.get(n.asset.0 as usize)?;
                    cascade
                        .to
                        .assets
                        .admits(&target.domain, &target.kind)
                        .then_some(CascadeLink {
                            cascade: c as u32,
                            target: n.asset,
                            hops: n.hops,
                        })
                }));
            }
            offsets.push(links.len());
        }
        CascadePlan { offsets, links }
    }

    /// The links of a warning on `source`; empty for an asset with none (or not in the plan).
    pub fn from_source(&self, source: AssetIx) -> &[CascadeLink] {
        let i = source.0 as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => &self.links[start..end],
            _ => &[],
        }
    }

    /// Number of links in the plan.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether no warning can cascade anywhere.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupling::testkit::{asset, cascade, declared, filter, generation};
    use crate::model::Relation::{AdjacentTo, ConnectedTo, Near, Undermines};

    fn link(cascade: u32, target: u32, hops: u8) -> CascadeLink {
        CascadeLink {
            cascade,
            target: AssetIx(target),
            hops,
        }
    }

    /// Gas main 0 is adjacent to wells 1 and 2; well 1 is connected to basement 3, which is
    /// connected back to well 1 (a cycle) and to well 4; water main 5 undermines road 6 and is
    /// near well 2.
    fn city() -> Generation {
        let assets = vec![
            asset("main-0", "city_gas", "main_segment", None),
            asset("well-1", "city_gas", "adjacent_space", None),
            asset("well-2", "city_gas", "adjacent_space", None),
            asset("basement-3", "waterlogging", "basement_entrance", None),
            asset("well-4", "city_gas", "adjacent_space", None),
            asset("water-5", "water_supply", "trunk_main", None),
            asset("road-6", "roads", "segment", None),
        ];
        let edges = vec![
            declared(0, 1, AdjacentTo),
            declared(0, 2, AdjacentTo),
            declared(1, 3, ConnectedTo),
            declared(3, 1, ConnectedTo),
            declared(3, 4, ConnectedTo),
            declared(5, 6, Undermines),
            declared(5, 2, Near),
        ];
        let cascades = vec![
            // Generation::build sorts cascades by id: this is cascade 0
            cascade(
                "C1_gas_leak_to_adjacent_space",
                filter(Some("city_gas"), &["main_segment"]),
                &[AdjacentTo, ConnectedTo],
                3,
                filter(Some("city_gas"), &["adjacent_space"]),
            ),
            // cascade 1
            cascade(
                "C4_water_burst_to_road_collapse",
                filter(Some("water_supply"), &[]),
                &[Undermines, Near],
                1,
                filter(Some("roads"), &[]),
            ),
            // cascade 2: any asset, through connected spaces, one hop, to any asset
            cascade(
                "C9_any_connected",
                filter(None, &[]),
                &[ConnectedTo],
                1,
                filter(None, &[]),
            ),
        ];
        generation(assets, edges, cascades)
    }

    #[test]
    fn plans_every_admitted_source_to_every_admitted_target() {
        let generation = city();
        let plan = CascadePlan::plan(&generation, &CouplingGraph::build(&generation));
        // wells 1 and 2 at one hop, well 4 through the basement (not itself a target) at three;
        // the cycle 1 <-> 3 does not repeat well 1
        assert_eq!(
            plan.from_source(AssetIx(0)),
            &[link(0, 1, 1), link(0, 2, 1), link(0, 4, 3)]
        );
        // the road only: well 2 is near the water main but is not a road
        assert_eq!(plan.from_source(AssetIx(5)), &[link(1, 6, 1)]);
        // the catch-all cascade from the spaces that connect
        assert_eq!(plan.from_source(AssetIx(1)), &[link(2, 3, 1)]);
        assert_eq!(
            plan.from_source(AssetIx(3)),
            &[link(2, 1, 1), link(2, 4, 1)]
        );
        // nothing leaves these
        for quiet in [2, 4, 6] {
            assert_eq!(plan.from_source(AssetIx(quiet)), &[]);
        }
        assert_eq!(plan.len(), 7);
        assert!(!plan.is_empty());
    }

    #[test]
    fn hop_limits_bound_the_targets() {
        let mut generation = city();
        generation.cascades[0].hops = 2;
        let plan = CascadePlan::plan(&generation, &CouplingGraph::build(&generation));
        assert_eq!(
            plan.from_source(AssetIx(0)),
            &[link(0, 1, 1), link(0, 2, 1)]
        );
    }

    #[test]
    fn unknown_sources_and_empty_generations_have_no_links() {
        let generation = city();
        let plan = CascadePlan::plan(&generation, &CouplingGraph::build(&generation));
        assert_eq!(plan.from_source(AssetIx(7)), &[]);
        assert_eq!(plan.from_source(AssetIx(u32::MAX)), &[]);
        let empty = generation_without_cascades();
        let plan = CascadePlan::plan(&empty, &CouplingGraph::build(&empty));
        assert!(plan.is_empty());
        assert_eq!(plan.from_source(AssetIx(0)), &[]);
        assert!(CascadePlan::default().from_source(AssetIx(0)).is_empty());
    }

    #[test]
    fn matches_one_walk_per_source_and_cascade_on_a_random_graph() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(3);
        let kinds = ["main_segment", "adjacent_space", "station"];
        let assets: Vec<_> = (0..300)
            .map(|i| asset(&format!("a{i}"), "city_gas", kinds[i % 3], None))
            .collect();
        let relations = [AdjacentTo, ConnectedTo, Near];
        let edges: Vec<_> = (0..900)
            .map(|_| {
                let relation = relations[rng.gen_range(0..3)];
                declared(rng.gen_range(0..300), rng.gen_range(0..300), relation)
            })
            .collect();
        let cascades = vec![
            cascade(
                "a",
                filter(None, &["main_segment"]),
                &[AdjacentTo, ConnectedTo],
                3,
                filter(None, &["adjacent_space"]),
            ),
            cascade("b", filter(None, &[]), &[Near], 2, filter(None, &[])),
        ];
        let generation = generation(assets, edges, cascades);
        let graph = CouplingGraph::build(&generation);
        let plan = CascadePlan::plan(&generation, &graph);
        let mut total = 0;
        for (i, source) in generation.assets.iter().enumerate() {
            let mut expected = Vec::new();
            for (c, cascade) in generation.cascades.iter().enumerate() {
                if !cascade.from.assets.admits(&source.domain, &source.kind) {
                    continue;
                }
                for n in graph.reachable(AssetIx(i as u32), &cascade.through, cascade.hops) {
                    let target = generation.asset_at(n.asset);
                    if cascade.to.assets.admits(&target.domain, &target.kind) {
                        expected.push(link(c as u32, n.asset.0, n.hops));
                    }
                }
            }
            assert_eq!(
                plan.from_source(AssetIx(i as u32)),
                &expected[..],
                "source {i}"
            );
            total += expected.len();
        }
        assert_eq!(plan.len(), total);
        assert!(total > 300, "the graph must cascade: {total}");
    }

    fn generation_without_cascades() -> Generation {
        let assets = vec![
            asset("main-0", "city_gas", "main_segment", None),
            asset("well-1", "city_gas", "adjacent_space", None),
        ];
        generation(assets, vec![declared(0, 1, AdjacentTo)], Vec::new())
    }
}
