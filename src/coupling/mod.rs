//! The coupling graph (风险耦合): assets as nodes, typed relations as edges (petgraph), with the
//! spatial index that derives edges at compile time, neighbourhood queries for scripts, cascade
//! target planning for the engine, and DOT output for `tocsin graph`.
//!
//! - [`spatial`]: haversine distance and a grid index over WGS84 points.
//! - [`derive`]: edges from spatial links (the compiler appends them to the declared edges).
//! - [`CouplingGraph`]: the graph and its bounded walks (`neighbours` either way, `reachable`
//!   along edge direction).
//! - [`cascade`]: per source asset, the targets each cascade rule can reach.
//! - [`dot`]: the graph as Graphviz DOT.

pub mod cascade;
pub mod derive;
pub mod dot;
mod graph;
pub mod spatial;
#[cfg(test)]
mod testkit;

pub use cascade::{CascadeLink, CascadePlan};
pub use derive::derive_edges;
pub use graph::{CouplingGraph, EdgeWeight, Neighbour};
pub use spatial::{GeoIndex, distance_m};
