//! Coupling at city scale: deriving edges with the spatial index, building the graph, planning
//! cascades, and the breadth-first walk a cascade needs per source asset.
//!
//! A synthetic 100,000-asset city on a Shenyang-sized box (123.20-123.70 E, 41.60-42.00 N,
//! about 42 km x 44 km): streets every 400 m both ways; 20,000 gas main segments, 60,000
//! underground wells (adjacent spaces) and 20,000 road segments placed at random along the
//! streets (a few metres off the centre line), so assets crowd along streets as they do in a
//! real city. Three spatial links: gas main -> wells within 50 m (`adjacent_to`, the one timed
//! alone), well -> well within 20 m (`connected_to`), well -> road within 30 m (`near`). Two
//! cascades: a gas leak on a main raises gas accumulation in wells through `adjacent_to` and
//! `connected_to` within 3 hops (DOMAINS.md C1); gas in a well raises road collapse on roads
//! reached through `connected_to` and `near` within 2 hops. Criterion prints the throughput:
//! assets per second for derivation and planning, sources per second for the walk.

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tocsin::coupling::{CascadePlan, CouplingGraph, derive_edges};
use tocsin::model::{
    Asset, AssetFilter, AssetIx, Cascade, CascadeSource, CascadeTarget, Generation,
    GenerationParts, GeoPoint, Level, Relation, SpatialLink,
};

/// Gas main segments.
const MAINS: usize = 20_000;
/// Underground wells (adjacent spaces).
const WELLS: usize = 60_000;
/// Road segments.
const ROADS: usize = 20_000;
/// West, east, south, north edges of the box, degrees.
const BOX: (f64, f64, f64, f64) = (123.20, 123.70, 41.60, 42.00);
/// Street spacing, metres.
const STREET_M: f64 = 400.0;
/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.08;
/// Sources walked per iteration of the BFS benchmark.
const SOURCES: usize = 1_000;

fn asset(i: usize, domain: &str, kind: &str, at: GeoPoint) -> Asset {
    Asset {
        id: format!("{kind}-{i}").as_str().into(),
        name: format!("{kind} {i}"),
        domain: domain.into(),
        kind: kind.to_owned(),
        district: "210102".into(),
        owner: "shenyang.construction".into(),
        location: Some(at),
        attributes: BTreeMap::new(),
    }
}

/// A random point on a random street, up to 3 m off its centre line.
fn on_street(rng: &mut StdRng) -> GeoPoint {
    let (west, east, south, north) = BOX;
    let mid_lat = ((south + north) / 2.0).to_radians();
    let lat_step = STREET_M / M_PER_DEG;
    let lon_step = STREET_M / (M_PER_DEG * mid_lat.cos());
    let jitter_lat = rng.gen_range(-3.0..3.0) / M_PER_DEG;
    let jitter_lon = rng.gen_range(-3.0..3.0) / (M_PER_DEG * mid_lat.cos());
    if rng.gen_bool(0.5) {
        // an east-west street
        let streets = ((north - south) / lat_step) as u32;
        let lat = south + f64::from(rng.gen_range(0..=streets)) * lat_step + jitter_lat;
        GeoPoint {
            lon: rng.gen_range(west..east),
            lat,
        }
    } else {
        let streets = ((east - west) / lon_step) as u32;
        let lon = west + f64::from(rng.gen_range(0..=streets)) * lon_step + jitter_lon;
        GeoPoint {
            lon,
            lat: rng.gen_range(south..north),
        }
    }
}

fn assets() -> Vec<Asset> {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut assets = Vec::with_capacity(MAINS + WELLS + ROADS);
    for i in 0..MAINS {
        assets.push(asset(i, "city_gas", "main_segment", on_street(&mut rng)));
    }
    for i in 0..WELLS {
        assets.push(asset(i, "city_gas", "adjacent_space", on_street(&mut rng)));
    }
    for i in 0..ROADS {
        assets.push(asset(i, "roads", "segment", on_street(&mut rng)));
    }
    assets
}

fn filter(domain: &str, kind: &str) -> AssetFilter {
    AssetFilter {
        domain: Some(domain.into()),
        kinds: vec![kind.to_owned()],
    }
}

fn link(id: &str, relation: Relation, from: AssetFilter, to: AssetFilter, m: f64) -> SpatialLink {
    SpatialLink {
        id: id.to_owned(),
        relation,
        from,
        to,
        within_m: m,
    }
}

fn links() -> Vec<SpatialLink> {
    let main = || filter("city_gas", "main_segment");
    let well = || filter("city_gas", "adjacent_space");
    let road = || filter("roads", "segment");
    vec![
        link(
            "gas_main_to_wells",
            Relation::AdjacentTo,
            main(),
            well(),
            50.0,
        ),
        link("well_to_well", Relation::ConnectedTo, well(), well(), 20.0),
        link("well_to_road", Relation::Near, well(), road(), 30.0),
    ]
}

fn cascade(
    id: &str,
    from: AssetFilter,
    through: &[Relation],
    hops: u8,
    to: AssetFilter,
) -> Cascade {
    Cascade {
        id: id.to_owned(),
        from: CascadeSource {
            hazard: "gas_leak".into(),
            assets: from,
            min_level: Level::Orange,
        },
        through: through.to_vec(),
        hops,
        to: CascadeTarget {
            hazard: "gas_accumulation".into(),
            assets: to,
        },
        raise_likelihood: 2,
        description: String::new(),
        basis: None,
    }
}

fn generation() -> Generation {
    let assets = assets();
    let links = links();
    let edges = derive_edges(&assets, &links);
    let cascades = vec![
        cascade(
            "C1_gas_leak_to_adjacent_space",
            filter("city_gas", "main_segment"),
            &[Relation::AdjacentTo, Relation::ConnectedTo],
            3,
            filter("city_gas", "adjacent_space"),
        ),
        cascade(
            "C2_well_gas_to_road",
            filter("city_gas", "adjacent_space"),
            &[Relation::ConnectedTo, Relation::Near],
            2,
            filter("roads", "segment"),
        ),
    ];
    Generation::build(GenerationParts {
        assets,
        edges,
        links,
        cascades,
        ..GenerationParts::default()
    })
}

fn bench(c: &mut Criterion) {
    let generation = generation();
    let n = generation.assets.len();
    let graph = CouplingGraph::build(&generation);
    let plan = CascadePlan::plan(&generation, &graph);
    let mut per_link: BTreeMap<String, usize> = BTreeMap::new();
    for edge in &generation.edges {
        if let tocsin::model::EdgeOrigin::Derived(link) = &edge.origin {
            *per_link.entry(link.clone()).or_default() += 1;
        }
    }
    let mut rng = StdRng::seed_from_u64(7);
    let sources: Vec<AssetIx> = (0..SOURCES)
        .map(|_| AssetIx(rng.gen_range(0..MAINS as u32)))
        .collect();
    let through = [Relation::AdjacentTo, Relation::ConnectedTo, Relation::Near];
    let reached: usize = sources
        .iter()
        .map(|s| graph.reachable(*s, &through, 3).len())
        .sum();
    println!(
        "coupling city: {n} assets, {} edges {per_link:?}, {} cascade links; \
         reachable (3 hops, 3 relations) from a gas main: {:.2} assets on average",
        generation.edges.len(),
        plan.len(),
        reached as f64 / SOURCES as f64
    );

    let mut group = c.benchmark_group("coupling");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(n as u64));
    let one_link = &links()[..1];
    group.bench_function(BenchmarkId::new("derive", "gas_main_to_wells_50m"), |b| {
        b.iter(|| derive_edges(&generation.assets, one_link));
    });
    let all_links = links();
    group.bench_function(BenchmarkId::new("derive", "three_links"), |b| {
        b.iter(|| derive_edges(&generation.assets, &all_links));
    });
    group.bench_function(BenchmarkId::new("graph", "build"), |b| {
        b.iter(|| CouplingGraph::build(&generation));
    });
    group.bench_function(BenchmarkId::new("plan", "two_cascades"), |b| {
        b.iter(|| CascadePlan::plan(&generation, &graph));
    });
    group.throughput(Throughput::Elements(SOURCES as u64));
    group.bench_function(BenchmarkId::new("reachable", "3_hops_per_source"), |b| {
        b.iter(|| {
            sources
                .iter()
                .map(|s| graph.reachable(*s, &through, 3).len())
                .sum::<usize>()
        });
    });
    group.bench_function(BenchmarkId::new("plan", "from_source"), |b| {
        b.iter(|| {
            sources
                .iter()
                .map(|s| plan.from_source(*s).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
