//! Tests of the script host on hand-built generations: the API scripts see, every limit of the
//! sandbox, faults with positions, and neighbours through the coupling graph.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod fixture;
mod limits;
mod neighbours;
