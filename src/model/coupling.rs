//! The coupling model (风险耦合) as data: typed relations between assets (declared in `city/` or
//! derived at compile time from spatial links), sensitive receptors, and cascade rules that raise
//! the likelihood of a hazard downstream when a hazard upstream reaches a level. The graph
//! algorithms over this data live in `crate::coupling`.

use std::fmt;

use super::city::{AssetIx, GeoPoint};
use super::ids::{DomainId, HazardId};
use super::level::Level;

/// How one asset bears on another. Edges are directed: `from` affects `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Side by side (a gas main and the sewer well beside it).
    AdjacentTo,
    /// Upstream along a flow (water, sewage, surface runoff).
    UpstreamOf,
    /// Supplies service to (a pump station to the points it drains, a main to a district).
    Supplies,
    /// Drains into.
    DrainsTo,
    /// Can wash out or weaken the ground under (a water main under a road).
    Undermines,
    /// Within a stated distance, with no stronger relation known.
    Near,
    /// Physically connected spaces (a well to a basement, an entrance to a station).
    ConnectedTo,
    /// Part of a larger asset (an entrance of a station, a span of a bridge).
    PartOf,
    /// Covers an area (a rain gauge or weather station over the points of its catchment).
    Covers,
}

impl Relation {
    /// Every relation, in declaration order.
    pub const ALL: [Relation; 9] = [
        Relation::AdjacentTo,
        Relation::UpstreamOf,
        Relation::Supplies,
        Relation::DrainsTo,
        Relation::Undermines,
        Relation::Near,
        Relation::ConnectedTo,
        Relation::PartOf,
        Relation::Covers,
    ];

    /// The snake_case name used in config and DOT output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Relation::AdjacentTo => "adjacent_to",
            Relation::UpstreamOf => "upstream_of",
            Relation::Supplies => "supplies",
            Relation::DrainsTo => "drains_to",
            Relation::Undermines => "undermines",
            Relation::Near => "near",
            Relation::ConnectedTo => "connected_to",
            Relation::PartOf => "part_of",
            Relation::Covers => "covers",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an edge comes from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "link")]
pub enum EdgeOrigin {
    /// Written in `city/` (`edges:`).
    Declared,
    /// Derived by the spatial link with this id.
    Derived(String),
}

/// A directed, typed relation between two assets.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Edge {
    /// The asset that affects.
    pub from: AssetIx,
    /// The asset affected.
    pub to: AssetIx,
    /// How.
    pub relation: Relation,
    /// Declared or derived.
    pub origin: EdgeOrigin,
    /// Distance between the two assets' locations, in metres, when both are known.
    pub distance_m: Option<f64>,
}

/// A set of assets by domain and object kind (empty kinds: every kind of the domain).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AssetFilter {
    /// The domain, or any domain when `None`.
    pub domain: Option<DomainId>,
    /// Object kinds; empty means all.
    pub kinds: Vec<String>,
}

impl AssetFilter {
    /// Whether an asset of `domain` and `kind` is in the set.
    pub fn admits(&self, domain: &DomainId, kind: &str) -> bool {
        self.domain.as_ref().is_none_or(|d| d == domain)
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }
}

/// A compile-time spatial link: every `from` asset gets an edge to every `to` asset within
/// `within_m` metres (e.g. link each gas main to the underground spaces within 50 m).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpatialLink {
    /// Stable id, shown as the origin of the edges it derives.
    pub id: String,
    /// The relation of the derived edges.
    pub relation: Relation,
    /// Source assets.
    pub from: AssetFilter,
    /// Target assets.
    pub to: AssetFilter,
    /// Largest distance, in metres.
    pub within_m: f64,
}

/// Kinds of sensitive receptor (敏感目标) that raise the consequence of a nearby hazard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceptorKind {
    /// 学校.
    School,
    /// 幼儿园.
    Kindergarten,
    /// 医院.
    Hospital,
    /// 养老院.
    ElderlyHome,
    /// 地铁出入口.
    MetroEntrance,
    /// 人员密集场所.
    CrowdedPlace,
}

impl ReceptorKind {
    /// Every kind.
    pub const ALL: [ReceptorKind; 6] = [
        ReceptorKind::School,
        ReceptorKind::Kindergarten,
        ReceptorKind::Hospital,
        ReceptorKind::ElderlyHome,
        ReceptorKind::MetroEntrance,
        ReceptorKind::CrowdedPlace,
    ];

    /// The snake_case name used in config.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReceptorKind::School => "school",
            ReceptorKind::Kindergarten => "kindergarten",
            ReceptorKind::Hospital => "hospital",
            ReceptorKind::ElderlyHome => "elderly_home",
            ReceptorKind::MetroEntrance => "metro_entrance",
            ReceptorKind::CrowdedPlace => "crowded_place",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<ReceptorKind> {
        ReceptorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A sensitive receptor registered in `city/` (`receptors:`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Receptor {
    /// Stable id.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// What it is.
    pub kind: ReceptorKind,
    /// Where it is.
    pub location: GeoPoint,
}

/// The upstream condition of a cascade.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CascadeSource {
    /// Hazard whose warning triggers the cascade.
    pub hazard: HazardId,
    /// Assets it applies to.
    pub assets: AssetFilter,
    /// Lowest warning level that triggers it.
    pub min_level: Level,
}

/// The downstream side of a cascade.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CascadeTarget {
    /// Hazard whose likelihood is raised on the reached assets.
    pub hazard: HazardId,
    /// Assets it applies to.
    pub assets: AssetFilter,
}

/// A cascade rule (次生衍生链): when `from.hazard` reaches `from.min_level` on an asset, the
/// likelihood of `to.hazard` on assets reachable through `through` within `hops` is raised by
/// `raise_likelihood` (1..=4), for as long as the upstream warning stays at or above the level.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Cascade {
    /// Stable id (e.g. `C4_water_burst_to_road_collapse`).
    pub id: String,
    /// Upstream condition.
    pub from: CascadeSource,
    /// Relations followed, in edge direction.
    pub through: Vec<Relation>,
    /// Largest number of edges between source and target (1..=3).
    pub hops: u8,
    /// Downstream hazard and assets.
    pub to: CascadeTarget,
    /// Likelihood steps added downstream.
    pub raise_likelihood: u8,
    /// Why, for people.
    pub description: String,
    /// Evidence or standard.
    pub basis: Option<String>,
}

/// Longest cascade chain (source warning -> ... -> last derived warning), as DOMAINS.md §4 advises.
pub const MAX_CASCADE_DEPTH: usize = 3;

/// A warning's link to the upstream warning that raised its likelihood.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Cause {
    /// The cascade rule.
    pub cascade: String,
    /// Upstream asset id.
    pub asset: String,
    /// Upstream hazard.
    pub hazard: String,
    /// Upstream level at the time.
    pub level: Level,
    /// Likelihood steps it added.
    pub raise_likelihood: u8,
}
