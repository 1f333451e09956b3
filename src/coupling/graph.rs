//! [`CouplingGraph`]: the generation's assets and edges as a petgraph directed graph, with the
//! two bounded breadth-first walks the rest of the engine needs: `neighbours` (either direction,
//! for scripts that look around an asset) and `reachable` (edge direction only, for cascades,
//! where `from` affects `to`).
//!
//! Node `i` of the petgraph graph is asset `AssetIx(i)`; each edge carries its relation and its
//! position in `Generation::edges`. Walks keep a visited set, so cycles end them; the hop limit
//! bounds them. Both report each asset once, at its smallest hop count, nearest first.

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::FxHashSet;

use crate::model::{AssetIx, Generation, Relation};

/// An asset reached from another through the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbour {
    /// The asset reached.
    pub asset: AssetIx,
    /// The relation of the last edge followed.
    pub relation: Relation,
    /// Edges between the start and this asset (1..).
    pub hops: u8,
}

/// What an edge of the graph carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeWeight {
    /// How `from` affects `to`.
    pub relation: Relation,
    /// Position of the edge in `Generation::edges`.
    pub edge: u32,
}

/// The coupling graph of one generation.
#[derive(Debug, Default)]
pub struct CouplingGraph {
    /// Node `i` is `AssetIx(i)`; edges point from the asset that affects to the one affected.
    graph: DiGraph<AssetIx, EdgeWeight, u32>,
}

/// A set of relations as bits (`1 << relation as u16`), tested once per edge walked.
#[derive(Clone, Copy, Debug)]
struct RelationSet(u16);

impl RelationSet {
    /// The set of `relations`.
    fn of(relations: &[Relation]) -> RelationSet {
        RelationSet(relations.iter().fold(0, |bits, r| bits | 1 << (*r as u16)))
    }

    /// Whether `relation` is in the set.
    fn contains(self, relation: Relation) -> bool {
        self.0 & (1 << (relation as u16)) != 0
    }
}

impl CouplingGraph {
    /// Builds the graph from the generation's assets and edges. An edge naming an asset index
    /// outside `assets` (which the compiler never produces) is left out rather than panicking.
    pub fn build(generation: &Generation) -> CouplingGraph {
        let assets = generation.assets.len();
        let mut graph = DiGraph::with_capacity(assets, generation.edges.len());
        for i in 0..assets {
            graph.add_node(AssetIx(i as u32));
        }
        for (i, edge) in generation.edges.iter().enumerate() {
            let (from, to) = (edge.from.0 as usize, edge.to.0 as usize);
            if from < assets && to < assets {
                graph.add_edge(
                    NodeIndex::new(from),
                    NodeIndex::new(to),
                    EdgeWeight {
                        relation: edge.relation,
                        edge: i as u32,
                    },
                );
            }
        }
        CouplingGraph { graph }
    }

    /// Number of assets (nodes).
    pub fn asset_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The underlying petgraph graph, for algorithms not wrapped here (paths for the map).
    pub fn petgraph(&self) -> &DiGraph<AssetIx, EdgeWeight, u32> {
        &self.graph
    }

    /// Assets reachable from `asset` through edges of `relations` (followed in either direction),
    /// within `hops` edges, nearest first; `asset` itself is not included.
    pub fn neighbours(&self, asset: AssetIx, relations: &[Relation], hops: u8) -> Vec<Neighbour> {
        let mut found = Vec::new();
        let set = RelationSet::of(relations);
        self.walk(asset, set, hops, true, &mut Scratch::default(), &mut found);
        found
    }

    /// Assets reachable from `asset` along edges of `relations` in their direction (`from`
    /// affects `to`), within `hops` edges, nearest first; `asset` itself is not included.
    pub fn reachable(&self, asset: AssetIx, relations: &[Relation], hops: u8) -> Vec<Neighbour> {
        let mut found = Vec::new();
        let set = RelationSet::of(relations);
        self.walk(asset, set, hops, false, &mut Scratch::default(), &mut found);
        found
    }

    /// [`CouplingGraph::reachable`] into `found` (cleared first), reusing `scratch`: the
    /// cascade planner walks once per source asset and cascade and keeps its buffers.
    pub(crate) fn reachable_into(
        &self,
        asset: AssetIx,
        relations: &[Relation],
        hops: u8,
        scratch: &mut Scratch,
        found: &mut Vec<Neighbour>,
    ) {
        found.clear();
        self.walk(
            asset,
            RelationSet::of(relations),
            hops,
            false,
            scratch,
            found,
        );
    }

    /// Breadth-first walk, one level per hop. Each level is sorted by asset index; when several
    /// edges reach an asset on the same level, the relation reported is the first of them in
    /// [`Relation::ALL`] order, so the answer does not depend on edge insertion order.
    fn walk(
        &self,
        start: AssetIx,
        relations: RelationSet,
        hops: u8,
        both_ways: bool,
        scratch: &mut Scratch,
        found: &mut Vec<Neighbour>,
    ) {
        if hops == 0 || relations.0 == 0 || start.0 as usize >= self.graph.node_count() {
            return;
        }
        let Scratch {
            seen,
            frontier,
            level,
        } = scratch;
        seen.clear();
        seen.insert(start.0);
        frontier.clear();
        frontier.push(start);
        for depth in 1..=hops {
            level.clear();
            for node in frontier.iter() {
                let node = NodeIndex::new(node.0 as usize);
                for edge in self.graph.edges_directed(node, Outgoing) {
                    let relation = edge.weight().relation;
                    let other = edge.target().index() as u32;
                    if relations.contains(relation) && !seen.contains(&other) {
                        level.push((AssetIx(other), relation));
                    }
                }
                if both_ways {
                    for edge in self.graph.edges_directed(node, Incoming) {
                        let relation = edge.weight().relation;
                        let other = edge.source().index() as u32;
                        if relations.contains(relation) && !seen.contains(&other) {
                            level.push((AssetIx(other), relation));
                        }
                    }
                }
            }
            if level.is_empty() {
                break;
            }
            level.sort_unstable();
            level.dedup_by_key(|(asset, _)| *asset);
            frontier.clear();
            for &(asset, relation) in level.iter() {
                seen.insert(asset.0);
                frontier.push(asset);
                found.push(Neighbour {
                    asset,
                    relation,
                    hops: depth,
                });
            }
        }
    }
}

/// Buffers of one walk, kept between walks to save allocations.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Assets already reached (and the start).
    seen: FxHashSet<u32>,
    /// Assets reached on the previous level.
    frontier: Vec<AssetIx>,
    /// Assets reached on this level, with the relation that reached them.
    level: Vec<(AssetIx, Relation)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupling::testkit::{asset, declared, generation};
    use crate::model::Relation::{AdjacentTo, ConnectedTo, Near, Undermines, UpstreamOf};

    fn n(asset: u32, relation: Relation, hops: u8) -> Neighbour {
        Neighbour {
            asset: AssetIx(asset),
            relation,
            hops,
        }
    }

    /// 0 -> 1 -> 2 -> 3 -> 0 (a cycle of `upstream_of`), 1 -> 4 `undermines`, 5 -> 1 `near`,
    /// 2 -> 6 `adjacent_to` and `connected_to` (two edges to one asset).
    fn ring() -> CouplingGraph {
        let assets = (0..7).map(|i| asset(&format!("a{i}"), "water_supply", "trunk_main", None));
        let edges = vec![
            declared(0, 1, UpstreamOf),
            declared(1, 2, UpstreamOf),
            declared(2, 3, UpstreamOf),
            declared(3, 0, UpstreamOf),
            declared(1, 4, Undermines),
            declared(5, 1, Near),
            declared(2, 6, ConnectedTo),
            declared(2, 6, AdjacentTo),
        ];
        CouplingGraph::build(&generation(assets.collect(), edges, Vec::new()))
    }

    #[test]
    fn build_has_one_node_per_asset_and_every_edge() {
        let graph = ring();
        assert_eq!(graph.asset_count(), 7);
        assert_eq!(graph.edge_count(), 8);
        let weights: Vec<u32> = graph.petgraph().edge_weights().map(|w| w.edge).collect();
        assert_eq!(weights, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn reachable_follows_direction_and_stops_on_the_cycle() {
        let graph = ring();
        assert_eq!(
            graph.reachable(AssetIx(0), &[UpstreamOf], 10),
            vec![
                n(1, UpstreamOf, 1),
                n(2, UpstreamOf, 2),
                n(3, UpstreamOf, 3)
            ],
            "the cycle back to 0 ends the walk; the start is never reported"
        );
        assert_eq!(
            graph.reachable(AssetIx(0), &[UpstreamOf, Undermines], 2),
            vec![
                n(1, UpstreamOf, 1),
                n(2, UpstreamOf, 2),
                n(4, Undermines, 2)
            ]
        );
        // 5 -> 1 exists, 1 -> 5 does not
        assert_eq!(graph.reachable(AssetIx(1), &[Near], 3), vec![]);
        assert_eq!(graph.reachable(AssetIx(5), &[Near], 3), vec![n(1, Near, 1)]);
    }

    #[test]
    fn neighbours_follow_either_direction() {
        let graph = ring();
        assert_eq!(
            graph.neighbours(AssetIx(1), &[UpstreamOf, Near], 1),
            vec![n(0, UpstreamOf, 1), n(2, UpstreamOf, 1), n(5, Near, 1)]
        );
        assert_eq!(
            graph.neighbours(AssetIx(4), &Relation::ALL, 2),
            vec![
                n(1, Undermines, 1),
                n(0, UpstreamOf, 2),
                n(2, UpstreamOf, 2),
                n(5, Near, 2)
            ]
        );
        // every asset once, at its smallest distance, however many paths lead there
        let all = graph.neighbours(AssetIx(0), &Relation::ALL, u8::MAX);
        let assets: Vec<u32> = all.iter().map(|x| x.asset.0).collect();
        assert_eq!(assets, vec![1, 3, 2, 4, 5, 6]);
        assert_eq!(all[0].hops, 1);
        assert_eq!(all[1].hops, 1);
        assert_eq!(all[5].hops, 3);
    }

    #[test]
    fn parallel_edges_report_the_first_relation_in_declaration_order() {
        let graph = ring();
        // 2 -> 6 is both connected_to (declared first) and adjacent_to (first in Relation::ALL)
        assert_eq!(
            graph.reachable(AssetIx(2), &[ConnectedTo, AdjacentTo], 1),
            vec![n(6, AdjacentTo, 1)]
        );
        assert_eq!(
            graph.reachable(AssetIx(2), &[ConnectedTo], 1),
            vec![n(6, ConnectedTo, 1)]
        );
    }

    #[test]
    fn limits_and_out_of_range_starts_give_nothing() {
        let graph = ring();
        assert_eq!(graph.reachable(AssetIx(0), &[UpstreamOf], 0), vec![]);
        assert_eq!(graph.reachable(AssetIx(0), &[], 3), vec![]);
        assert_eq!(graph.neighbours(AssetIx(99), &Relation::ALL, 3), vec![]);
        assert_eq!(
            graph.reachable(AssetIx(0), &[UpstreamOf], 1),
            vec![n(1, UpstreamOf, 1)]
        );
        let empty = CouplingGraph::default();
        assert_eq!(empty.neighbours(AssetIx(0), &Relation::ALL, 3), vec![]);
    }

    #[test]
    fn self_loops_and_edges_to_unknown_assets_are_harmless() {
        let assets = vec![
            asset("a", "city_gas", "main_segment", None),
            asset("b", "city_gas", "adjacent_space", None),
        ];
        let edges = vec![
            declared(0, 0, Near),
            declared(0, 1, Near),
            declared(0, 9, Near),
        ];
        let graph = CouplingGraph::build(&generation(assets, edges, Vec::new()));
        assert_eq!(graph.edge_count(), 2, "the edge to asset 9 is left out");
        assert_eq!(graph.reachable(AssetIx(0), &[Near], 3), vec![n(1, Near, 1)]);
    }
}
