//! The walking graph.
//!
//! [`build_graph`] turns walkable OSM ways into a petgraph `UnGraph` (ways
//! split at shared nodes), keeps the connected components that matter
//! ([`components`]: petgraph's union-find), and freezes the result
//! into a [`WalkGraph`]: a flat CSR layout with haversine lengths and exact
//! integer travel times for the kernels.

mod build;
pub mod components;
mod walk_graph;

pub use build::{BuiltGraph, GraphReport, build_graph};
pub use walk_graph::{EdgeSpec, WalkGraph};
