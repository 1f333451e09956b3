//! Builders shared by the coupling unit tests: assets, edges, cascades and generations made in
//! code, with the registry fields the coupling code does not read filled with fixed values.

use std::collections::BTreeMap;

use crate::model::{
    Asset, AssetFilter, AssetIx, Cascade, CascadeSource, CascadeTarget, Edge, EdgeOrigin,
    Generation, GenerationParts, GeoPoint, Level, Relation,
};

/// An asset of `domain` and `kind`, at `(lon, lat)` when given.
pub(crate) fn asset(id: &str, domain: &str, kind: &str, location: Option<(f64, f64)>) -> Asset {
    Asset {
        id: id.into(),
        name: format!("Asset {id}"),
        domain: domain.into(),
        kind: kind.to_owned(),
        district: "210102".into(),
        owner: "shenyang.construction".into(),
        location: location.map(|(lon, lat)| GeoPoint { lon, lat }),
        attributes: BTreeMap::new(),
    }
}

/// A declared edge between asset positions.
pub(crate) fn declared(from: u32, to: u32, relation: Relation) -> Edge {
    Edge {
        from: AssetIx(from),
        to: AssetIx(to),
        relation,
        origin: EdgeOrigin::Declared,
        distance_m: None,
    }
}

/// A filter on one domain and some kinds (none: every kind).
pub(crate) fn filter(domain: Option<&str>, kinds: &[&str]) -> AssetFilter {
    AssetFilter {
        domain: domain.map(Into::into),
        kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
    }
}

/// A cascade from `from` assets through `through` within `hops` to `to` assets.
pub(crate) fn cascade(
    id: &str,
    from: AssetFilter,
    through: &[Relation],
    hops: u8,
    to: AssetFilter,
) -> Cascade {
    Cascade {
        id: id.to_owned(),
        from: CascadeSource {
            hazard: "upstream_hazard".into(),
            assets: from,
            min_level: Level::Orange,
        },
        through: through.to_vec(),
        hops,
        to: CascadeTarget {
            hazard: "downstream_hazard".into(),
            assets: to,
        },
        raise_likelihood: 2,
        description: format!("{id} raises the downstream likelihood"),
        basis: None,
    }
}

/// A generation holding only assets, edges and cascades.
pub(crate) fn generation(
    assets: Vec<Asset>,
    edges: Vec<Edge>,
    cascades: Vec<Cascade>,
) -> Generation {
    Generation::build(GenerationParts {
        assets,
        edges,
        cascades,
        ..GenerationParts::default()
    })
}
