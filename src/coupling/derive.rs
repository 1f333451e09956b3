//! Edges derived at compile time from spatial links: "link every gas main segment to the
//! underground spaces within 50 m". The compiler appends these to the declared edges.
//!
//! One [`GeoIndex`] per link over its target assets, with cells the size of the link's radius,
//! then one query per source asset: about nine hash probes each, so 100,000 assets take tens
//! of milliseconds. The output order is fixed (link order, then source and target asset
//! positions) so the same configuration always gives the same edge list.

use super::spatial::GeoIndex;
use crate::model::{Asset, AssetIx, Edge, EdgeOrigin, SpatialLink};

/// For each link, an edge from every asset its `from` filter admits to every asset its `to`
/// filter admits within `within_m` metres. Both assets need a location; an asset is never
/// linked to itself; each edge records the link id as its origin and the distance. A link
/// whose radius is negative or not finite derives nothing (the compiler rejects those).
pub fn derive_edges(assets: &[Asset], links: &[SpatialLink]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for link in links {
        derive_link(assets, link, &mut edges);
    }
    edges
}

/// The edges of one link, appended to `edges` in (source, target) position order.
fn derive_link(assets: &[Asset], link: &SpatialLink, edges: &mut Vec<Edge>) {
    let radius = link.within_m;
    if !(radius.is_finite() && radius >= 0.0) {
        return;
    }
    let targets = GeoIndex::new(
        assets.iter().enumerate().filter_map(|(i, asset)| {
            let location = asset.location?;
            link.to
                .admits(&asset.domain, &asset.kind)
                .then_some((location, AssetIx(i as u32)))
        }),
        radius,
    );
    if targets.is_empty() {
        return;
    }
    let mut found: Vec<(AssetIx, f64)> = Vec::new();
    for (i, asset) in assets.iter().enumerate() {
        let Some(location) = asset.location else {
            continue;
        };
        if !link.from.admits(&asset.domain, &asset.kind) {
            continue;
        }
        let from = AssetIx(i as u32);
        found.clear();
        found.extend(
            targets
                .within(location, radius)
                .filter(|(to, _)| **to != from)
                .map(|(to, distance)| (*to, distance)),
        );
        found.sort_unstable_by_key(|(to, _)| *to);
        edges.extend(found.iter().map(|&(to, distance)| Edge {
            from,
            to,
            relation: link.relation,
            origin: EdgeOrigin::Derived(link.id.clone()),
            distance_m: Some(distance),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupling::spatial::distance_m;
    use crate::coupling::testkit::{asset, filter};
    use crate::model::Relation;

    /// Metres per degree of latitude on the mean sphere.
    const M_PER_DEG: f64 = 111_195.08;
    const LAT: f64 = 41.8;
    const LON: f64 = 123.4;

    /// A point `north` and `east` metres from (LON, LAT).
    fn offset(north: f64, east: f64) -> (f64, f64) {
        (
            LON + east / (M_PER_DEG * LAT.to_radians().cos()),
            LAT + north / M_PER_DEG,
        )
    }

    fn link(id: &str, from: &[&str], to: &[&str], within_m: f64) -> SpatialLink {
        SpatialLink {
            id: id.to_owned(),
            relation: Relation::AdjacentTo,
            from: filter(Some("city_gas"), from),
            to: filter(Some("city_gas"), to),
            within_m,
        }
    }

    fn pairs(edges: &[Edge]) -> Vec<(u32, u32)> {
        edges.iter().map(|e| (e.from.0, e.to.0)).collect()
    }

    fn city() -> Vec<Asset> {
        vec![
            asset("main-1", "city_gas", "main_segment", Some(offset(0.0, 0.0))),
            asset(
                "well-near",
                "city_gas",
                "adjacent_space",
                Some(offset(30.0, 0.0)),
            ),
            asset(
                "well-edge",
                "city_gas",
                "adjacent_space",
                Some(offset(0.0, -49.0)),
            ),
            asset(
                "well-far",
                "city_gas",
                "adjacent_space",
                Some(offset(0.0, 51.0)),
            ),
            asset("well-nowhere", "city_gas", "adjacent_space", None),
            asset(
                "main-2",
                "city_gas",
                "main_segment",
                Some(offset(60.0, 0.0)),
            ),
            asset("main-unplaced", "city_gas", "main_segment", None),
            asset(
                "water-1",
                "water_supply",
                "trunk_main",
                Some(offset(1.0, 1.0)),
            ),
        ]
    }

    #[test]
    fn links_sources_to_targets_within_the_radius() {
        let assets = city();
        let edges = derive_edges(
            &assets,
            &[link(
                "gas_to_wells",
                &["main_segment"],
                &["adjacent_space"],
                50.0,
            )],
        );
        // main-1: the near well (30 m) and the edge well (49 m), not the far one (51 m);
        // main-2: the near well (30 m away) only; unplaced assets take no part; the water
        // main is of another domain.
        assert_eq!(pairs(&edges), vec![(0, 1), (0, 2), (5, 1)]);
        for edge in &edges {
            assert_eq!(edge.relation, Relation::AdjacentTo);
            assert_eq!(edge.origin, EdgeOrigin::Derived("gas_to_wells".to_owned()));
            let (Some(a), Some(b)) = (
                assets[edge.from.0 as usize].location,
                assets[edge.to.0 as usize].location,
            ) else {
                panic!("derived edges join placed assets");
            };
            assert_eq!(edge.distance_m, Some(distance_m(a, b)));
        }
        let d = edges[0].distance_m.unwrap();
        assert!((d - 30.0).abs() < 0.01, "{d}");
    }

    #[test]
    fn overlapping_filters_never_link_an_asset_to_itself() {
        let assets = city();
        let edges = derive_edges(
            &assets,
            &[link("mains", &["main_segment"], &["main_segment"], 100.0)],
        );
        assert_eq!(pairs(&edges), vec![(0, 5), (5, 0)]);
        let any = SpatialLink {
            id: "anything_near".to_owned(),
            relation: Relation::Near,
            from: filter(None, &[]),
            to: filter(None, &[]),
            within_m: 2.0,
        };
        // only main-1 and water-1 (1.4 m apart) are that close
        assert_eq!(pairs(&derive_edges(&assets, &[any])), vec![(0, 7), (7, 0)]);
    }

    #[test]
    fn links_are_applied_in_order_and_bad_radii_derive_nothing() {
        let assets = city();
        let links = [
            link("second", &["main_segment"], &["adjacent_space"], 35.0),
            link("nan", &["main_segment"], &["adjacent_space"], f64::NAN),
            link("negative", &["main_segment"], &["adjacent_space"], -1.0),
            link("first", &["adjacent_space"], &["main_segment"], 35.0),
        ];
        let edges = derive_edges(&assets, &links);
        let got: Vec<(&EdgeOrigin, u32, u32)> = edges
            .iter()
            .map(|e| (&e.origin, e.from.0, e.to.0))
            .collect();
        let second = EdgeOrigin::Derived("second".to_owned());
        let first = EdgeOrigin::Derived("first".to_owned());
        assert_eq!(
            got,
            vec![
                (&second, 0, 1),
                (&second, 5, 1),
                (&first, 1, 0),
                (&first, 1, 5)
            ]
        );
        assert_eq!(derive_edges(&assets, &[]), vec![]);
        assert_eq!(derive_edges(&[], &links), vec![]);
    }

    #[test]
    fn matches_a_brute_force_scan_on_a_random_city() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(11);
        let assets: Vec<Asset> = (0..2_000)
            .map(|i| {
                let kind = if i % 4 == 0 {
                    "main_segment"
                } else {
                    "adjacent_space"
                };
                let at = offset(rng.gen_range(0.0..2_000.0), rng.gen_range(0.0..2_000.0));
                asset(&format!("a{i}"), "city_gas", kind, Some(at))
            })
            .collect();
        let edges = derive_edges(
            &assets,
            &[link("l", &["main_segment"], &["adjacent_space"], 50.0)],
        );
        let mut expected = Vec::new();
        for (i, a) in assets.iter().enumerate() {
            for (j, b) in assets.iter().enumerate() {
                let (Some(p), Some(q)) = (a.location, b.location) else {
                    continue;
                };
                if a.kind == "main_segment"
                    && b.kind == "adjacent_space"
                    && distance_m(p, q) <= 50.0
                {
                    expected.push((i as u32, j as u32));
                }
            }
        }
        assert!(
            expected.len() > 50,
            "the city must produce edges: {}",
            expected.len()
        );
        assert_eq!(pairs(&edges), expected);
    }
}
